import os
import shutil
import tracemalloc

import numpy as np
import pytest

from dataset import FILES, Dataset
from test_idx import writeIdx


def fakeSet(folder, train=20, test=8, seed=0):
    """Write a small MNIST-shaped set in the official layout."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", train), ("test", test)):
        writeIdx(folder / f"{FILES[split + '_images']}.gz", rng.integers(0, 256, (n, 28, 28)))
        writeIdx(folder / FILES[split + "_labels"], rng.integers(0, 10, n))  # uncompressed works too
    return folder


def test_small_set_in_the_official_layout(tmp_path):
    fakeSet(tmp_path / "mnist", train=20, test=8)
    data = Dataset(name="mnist", data_dir=tmp_path, batch_size=6, download=False)
    assert data.x_train.shape == (20, 784) and data.y_train.shape == (20, 10)
    assert data.x_test.shape == (8, 784) and data.x_train.dtype == np.float32
    assert data.x_train.min() >= 0 and data.x_train.max() <= 1
    np.testing.assert_array_equal(data.y_train.sum(axis=1), 1)
    assert len(data) == 4
    assert [len(x) for x, _ in data] == [6, 6, 6, 2]


def test_mismatched_image_and_label_counts_are_refused(tmp_path):
    folder = fakeSet(tmp_path / "mnist")
    writeIdx(folder / FILES["train_labels"], np.zeros(19))
    with pytest.raises(ValueError, match=r"expected 20 labels .* got shape \(19,\)"):
        Dataset(data_dir=tmp_path, download=False)


def test_labels_out_of_range_are_refused(tmp_path):
    folder = fakeSet(tmp_path / "mnist")
    writeIdx(folder / FILES["test_labels"], np.full(8, 12))
    with pytest.raises(ValueError, match="labels must be 0 to 9, found 12"):
        Dataset(data_dir=tmp_path, download=False)


def test_missing_files_without_download_name_folder_files_and_variable(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        Dataset(name="fashion-mnist", data_dir=tmp_path, download=False)
    message = str(error.value)
    assert str(tmp_path / "fashion-mnist") in message
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert "DEEPBASICS_DATA_DIR" in message


def test_an_unwritable_data_dir_is_reported_not_raised_raw(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(FileNotFoundError, match="cannot create .*a-file/mnist") as error:
        Dataset(data_dir=blocker, mirror="http://127.0.0.1:9/")
    assert "DEEPBASICS_DATA_DIR" in str(error.value)


def test_data_dir_defaults_to_the_environment_variable(tmp_path, monkeypatch):
    fakeSet(tmp_path / "mnist")
    monkeypatch.setenv("DEEPBASICS_DATA_DIR", str(tmp_path))
    assert Dataset(download=False, batch_size=5).x_train.shape == (20, 784)


def test_unknown_name_is_refused():
    with pytest.raises(ValueError, match="unknown name 'cifar'; known: mnist, fashion-mnist, xor, spiral, moons, "
                                         "circles, iris"):
        Dataset(name="cifar")


# ------------------------------------------------------------- real MNIST
def test_real_mnist_matches_its_published_figures(mnistDir):
    data = Dataset(name="mnist", train_size=60000, test_size=10000, batch_size=50, data_dir=mnistDir)
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert data.x_train.mean() == pytest.approx(0.1307, abs=1e-4)
    assert data.x_train.std() == pytest.approx(0.3081, abs=1e-4)
    np.testing.assert_array_equal(data.y_train[:10].argmax(axis=1), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    assert len(data) == 1200


def test_real_fashion_mnist_loads(mnistDir):
    data = Dataset(name="fashion-mnist", train_size=100, test_size=50, data_dir=mnistDir, dtype=np.float64)
    assert data.x_train.shape == (100, 784) and data.y_test.shape == (50, 10)
    assert data.x_train.dtype == np.float64


def test_loading_holds_no_more_than_one_float_copy(mnistDir):
    tracemalloc.start()
    try:
        data = Dataset(name="mnist", data_dir=mnistDir)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    floats = data.x_train.nbytes + data.x_test.nbytes
    rawBytes = 60000 * 784  # the decompressed uint8 images, read once
    assert peak < floats + 2 * rawBytes, f"peak {peak / 2**20:.0f} MiB for {floats / 2**20:.0f} MiB of floats"


@pytest.mark.parametrize("name, value, message", [
    ("train_size", 60001, "train_size must be an integer between 1 and 60000, got 60001"),
    ("test_size", 0, "test_size must be an integer between 1 and 10000, got 0"),
    ("batch_size", 101, "batch_size must be an integer between 1 and 100, got 101"),
])
def test_sizes_are_checked_against_the_files(mnistDir, name, value, message):
    arguments = {"train_size": 100, name: value}
    with pytest.raises(ValueError, match=message):
        Dataset(data_dir=mnistDir, **arguments)


# ------------------------------------------------------------- batches
def arrays(n=23, seed=None, batch_size=5, shuffle=True):
    x = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    return Dataset(x_train=x, y_train=x[:, :1] * 10, batch_size=batch_size, seed=seed, shuffle=shuffle)


def test_batches_cover_every_sample_once_per_epoch_and_reshuffle():
    data = arrays(seed=3)
    first = np.concatenate([x[:, 0] for x, _ in data])
    second = np.concatenate([x[:, 0] for x, _ in data])
    assert sorted(first) == sorted(second) == list(np.arange(23) * 2.0)
    assert not np.array_equal(first, second)
    for x, y in data:
        np.testing.assert_array_equal(y[:, 0], x[:, 0] * 10)  # pairs stay together


def test_seed_makes_shuffling_reproducible():
    a = [x.copy() for x, _ in arrays(seed=7)]
    b = [x.copy() for x, _ in arrays(seed=7)]
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)


def test_unshuffled_batches_are_views_in_order():
    data = arrays(shuffle=False)
    batches = list(data)
    assert all(np.shares_memory(x, data.x_train) for x, _ in batches)
    np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), data.x_train)


def test_own_arrays_are_checked():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match="x_train has 4 samples but y_train has 3"):
        Dataset(x_train=x, y_train=np.zeros((3, 1)), batch_size=2)
    with pytest.raises(ValueError, match="x_train contains NaN or infinite values"):
        Dataset(x_train=np.full((4, 3), np.nan), y_train=np.zeros(4), batch_size=2)
    with pytest.raises(ValueError, match="x_test and y_test must be given together"):
        Dataset(x_train=x, y_train=np.zeros(4), x_test=x, batch_size=2)
    with pytest.raises(ValueError, match="give either name='mnist' or x_train/y_train"):
        Dataset(name="mnist", x_train=x, y_train=np.zeros(4))
    with pytest.raises(ValueError, match="noise=0.1 is for the generated sets, not for your own x_train/y_train"):
        Dataset(x_train=x, y_train=np.zeros(4), noise=0.1)
    with pytest.raises(ValueError, match="classes=3 is for the spiral, not for your own x_train/y_train"):
        Dataset(x_train=x, y_train=np.zeros(4), classes=3)
    with pytest.raises(TypeError, match="batch_size must be an integer between 1 and [0-9]+, got float 2.5"):
        Dataset(x_train=x, y_train=np.zeros(4), batch_size=2.5)


def test_one_dimensional_float_targets_become_a_column():
    data = Dataset(x_train=np.zeros((4, 3)), y_train=np.arange(4.0), batch_size=2, dtype=np.float64)
    assert data.y_train.shape == (4, 1) and data.y_train.dtype == np.float64
    np.testing.assert_array_equal(data.y_train[:, 0], [0, 1, 2, 3])


# ------------------------------------------------------------ your own labels
def test_integer_class_labels_are_one_hot_encoded_like_the_named_sets():
    x = np.zeros((6, 2))
    column = np.array([[2], [0], [1], [1], [0], [2]])
    for labels in ([2, 0, 1, 1, 0, 2], column[:, 0].astype(np.uint8), column):   # a list, unsigned, one column
        data = Dataset(x_train=x, y_train=labels, x_test=x[:3], y_test=[0, 0, 1], batch_size=2)
        np.testing.assert_array_equal(data.y_train, np.eye(3)[[2, 0, 1, 1, 0, 2]])
        np.testing.assert_array_equal(data.y_test, [[1, 0, 0], [1, 0, 0], [0, 1, 0]])   # fewer classes, same columns
        assert data.y_train.dtype == np.float32
    # Label k is column k, so argmax gives the labels back, even where a class is missing.
    np.testing.assert_array_equal(Dataset(x_train=x[:3], y_train=[3, 0, 3]).y_train.argmax(axis=1), [3, 0, 3])


def test_floats_booleans_and_two_dimensional_integers_stay_targets():
    x = np.zeros((4, 2))
    assert Dataset(x_train=x, y_train=[0.0, 1.0, 1.0, 0.0]).y_train.shape == (4, 1)
    assert Dataset(x_train=x, y_train=np.array([True, False, True, True])).y_train.tolist() == [[1], [0], [1], [1]]
    own = np.array([[0, 1], [1, 0], [1, 0], [0, 1]])
    np.testing.assert_array_equal(Dataset(x_train=x, y_train=own).y_train, own)


def test_a_network_learns_from_integer_labels_without_encoding_them():
    from activations import ReLU, Softmax
    from layers import Dense
    from loss import CrossEntropy
    from nn import MLP
    from optimizer import Adam
    import toydata

    points, labels = toydata.moons(400, rng=np.random.default_rng(0))
    data = Dataset(x_train=points[:300], y_train=labels[:300], x_test=points[300:], y_test=labels[300:], seed=0)
    model = MLP()
    optimizer = Adam(learningRate=0.01)
    model.addLayer(Dense(2, 16, activation=ReLU(), optimizer=optimizer, seed=0))
    model.addLayer(Dense(16, 2, activation=Softmax(), optimizer=optimizer, seed=1))
    history = model.train(data, loss=CrossEntropy(), epochs=40, metrics=["test_accuracy"], verbose=False)
    assert history["test_accuracy"][-1] >= 0.95
    assert (model.predict(points[300:]).argmax(axis=1) == labels[300:]).mean() >= 0.95


@pytest.mark.parametrize("arguments, message", [
    (dict(y_train=[0, 1, 2, 1], x_test=np.zeros((2, 2)), y_test=[1, 3]),
     r"^Dataset: y_test holds the label 3, but the classes are 0 to 2 \(those of y_train; for a regression target "
     r"pass floats\)$"),
    (dict(y_train=[0, 1, -1, 1]),
     r"^Dataset: y_train holds the label -1, but the classes are 0 to 1 \(those of y_train"),
    (dict(y_train=[0, 1, 2, 1], x_test=np.zeros((2, 2)), y_test=[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
     r"^Dataset: y_train holds class labels, so y_test must too \(integers of shape \(n,\)\), got float64 of shape "
     r"\(2, 3\)$"),
    (dict(y_train=[250000, 180000, 320000, 99000]),
     r"^Dataset: y_train holds integer labels up to 320000, i.e. 320001 classes for 4 samples; for a regression "
     r"target pass floats, e.g. y_train.astype\(float\)$"),
])
def test_labels_that_cannot_be_classes_are_refused_clearly(arguments, message):
    with pytest.raises(ValueError, match=message):
        Dataset(x_train=np.zeros((4, 2)), **arguments)


def test_class_names_as_labels_are_refused_with_how_to_number_them():
    with pytest.raises(TypeError, match=r"^Dataset: y_train must hold numbers \(integer class labels, or floats for "
                                        r"a regression target\), got dtype <U1; turn class names into integers "
                                        r"first, e.g. np.unique\(y_train, return_inverse=True\)\[1\]$"):
        Dataset(x_train=np.zeros((3, 3)), y_train=["a", "b", "a"])


# ------------------------------------------------------------ batch size
def test_the_default_batch_size_fits_a_small_set():
    data = Dataset(x_train=np.zeros((20, 3)), y_train=np.zeros(20))   # 50 by default: more than there is
    assert data.batch_size == 20 and len(data) == 1 and [len(x) for x, _ in data] == [20]
    assert Dataset(name="xor", train_size=30).batch_size == 30
    assert Dataset(x_train=np.zeros((120, 3)), y_train=np.zeros(120)).batch_size == 50   # the chapter's default
    assert "batch_size=20" in repr(data)


def test_a_batch_size_given_larger_than_the_set_is_refused_with_the_limit():
    with pytest.raises(ValueError, match=r"^Dataset: batch_size must be an integer between 1 and 20, got 50: "
                                         r"a mini-batch holds at most the 20 training samples$"):
        Dataset(x_train=np.zeros((20, 3)), y_train=np.zeros(20), batch_size=50)
    with pytest.raises(ValueError, match=r"^Dataset: batch_size must be an integer between 1 and 20, got 0$"):
        Dataset(x_train=np.zeros((20, 3)), y_train=np.zeros(20), batch_size=0)


# ------------------------------------------------------------ fetch
def test_the_documented_imports_work():
    import dataset
    import idx
    import images
    from dataset import Dataset as D, fetch, readIdx, readImage  # noqa: F401
    assert readImage is images.readImage and readIdx is idx.readIdx and dataset.fetch is fetch


def test_fetch_takes_data_dir_and_still_dataDir_with_a_warning(tmp_path):
    import warnings
    from dataset import fetch
    fakeSet(tmp_path / "mnist")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = fetch("mnist", data_dir=tmp_path, download=False)
    assert paths["train_images"] == str(tmp_path / "mnist" / f"{FILES['train_images']}.gz")
    deprecated = r"^fetch\(dataDir=\.\.\.\) is deprecated; use fetch\(data_dir=\.\.\.\), as for Dataset$"
    with pytest.warns(DeprecationWarning, match=deprecated) as caught:
        assert fetch("mnist", dataDir=tmp_path, download=False) == paths
    assert caught[0].filename == __file__   # the warning points at the caller's line
    with pytest.raises(TypeError, match="fetch: got data_dir=.* and its old name dataDir=.*; give data_dir"):
        fetch("mnist", data_dir=tmp_path, dataDir=tmp_path)


# -------------------------------------------------------------- toy sets
TOYS = {"xor": 2, "spiral": 3, "moons": 2, "circles": 2, "iris": 3}


@pytest.mark.parametrize("name, classes", TOYS.items())
def test_toy_sets_have_one_hot_labels_and_batch_like_mnist(name, classes):
    data = Dataset(name=name, batch_size=32)
    features = 4 if name == "iris" else 2
    train, test = (120, 30) if name == "iris" else (1000, 200)
    assert data.x_train.shape == (train, features) and data.x_test.shape == (test, features)
    assert data.y_train.shape == (train, classes) and data.y_test.shape == (test, classes)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.float32
    np.testing.assert_array_equal(data.y_train.sum(axis=1), 1)
    assert set(np.unique(data.y_train)) == {0.0, 1.0}
    assert data.y_train.sum(axis=0).min() > train / classes * 0.8       # every class is there, in fair shares
    assert len(data) == -(-train // 32) and sum(len(x) for x, _ in data) == train
    assert f"name={name!r}" in repr(data)


@pytest.mark.parametrize("name", TOYS)
def test_toy_sets_are_the_same_for_the_same_seed_and_differ_for_another(name):
    a, b, c = Dataset(name=name, seed=1), Dataset(name=name, seed=1), Dataset(name=name, seed=2)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(Dataset(name=name).x_test, Dataset(name=name).x_test)   # seed None: fixed points
    assert not np.array_equal(a.x_train, c.x_train)


def test_toy_train_and_test_points_are_distinct_draws():
    data = Dataset(name="moons", train_size=300, test_size=100, seed=0)
    together = np.concatenate([data.x_train, data.x_test])
    assert len(np.unique(together, axis=0)) == 400


def test_xor_class_is_whether_the_signs_differ():
    data = Dataset(name="xor", train_size=500, test_size=10, seed=0)
    differ = (np.sign(data.x_train[:, 0]) != np.sign(data.x_train[:, 1]))
    np.testing.assert_array_equal(data.y_train.argmax(axis=1), differ)


def test_circles_without_noise_lie_on_two_rings():
    data = Dataset(name="circles", train_size=200, test_size=10, noise=0, seed=0)
    radius = np.linalg.norm(data.x_train, axis=1)
    np.testing.assert_allclose(radius, np.where(data.y_train.argmax(axis=1) == 0, 1.0, 0.5), rtol=1e-6)


def test_noise_moves_the_points_by_about_its_size():
    quiet = Dataset(name="circles", train_size=2000, test_size=10, noise=0, seed=0, dtype=np.float64)
    noisy = Dataset(name="circles", train_size=2000, test_size=10, noise=0.1, seed=0, dtype=np.float64)
    spread = np.linalg.norm(noisy.x_train, axis=1) - np.linalg.norm(quiet.x_train, axis=1)
    assert 0.08 < spread.std() < 0.12


def test_the_spiral_takes_the_number_of_arms():
    data = Dataset(name="spiral", train_size=500, test_size=50, classes=5, seed=0)
    assert data.y_train.shape == (500, 5)
    assert np.all(np.abs(data.x_train) <= 1.0 + 1e-6)    # noise is in the angle only: radius stays in [0, 1]


def test_iris_is_the_verified_table_standardised_on_the_training_split():
    import hashlib
    import toydata
    from conftest import dataDir
    assert hashlib.sha256(toydata.IRIS_CSV.encode("ascii")).hexdigest() == toydata.IRIS_SHA256
    reference = (dataDir() or pytest.fail("../shared/data not found")) / "iris" / "iris.csv"
    assert reference.read_text(encoding="ascii") == toydata.IRIS_CSV
    x, labels = toydata.iris()
    assert x.shape == (150, 4) and np.bincount(labels).tolist() == [50, 50, 50]
    np.testing.assert_allclose(x.mean(axis=0), [5.8433, 3.0573, 3.7580, 1.1993], atol=1e-4)  # Fisher's table
    data = Dataset(name="iris", dtype=np.float64, seed=0)
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1, atol=1e-12)
    np.testing.assert_array_equal(data.y_train.sum(axis=0), [40, 40, 40])
    np.testing.assert_array_equal(data.y_test.sum(axis=0), [10, 10, 10])
    raw = np.concatenate([data.x_train, data.x_test]) * data.featureStd + data.featureMean
    np.testing.assert_allclose(np.sort(raw, axis=0), np.sort(x, axis=0), atol=1e-12)   # the 150 flowers, each once


@pytest.mark.parametrize("arguments, error, message", [
    (dict(name="mnist", noise=0.1), ValueError, r"noise is for the generated sets \(xor, spiral, moons, circles\), "
                                                r"not 'mnist'"),
    (dict(name="iris", noise=0.1), ValueError, "noise is for the generated sets"),
    (dict(name="moons", classes=3), ValueError, "classes is for the spiral, not 'moons'"),
    (dict(name="moons", noise=-0.1), ValueError, r"noise must be in \[0, inf\), got -0.1"),
    (dict(name="spiral", classes=1), ValueError, "classes must be an integer between 2 and 100, got 1"),
    (dict(name="spiral", classes=2.5), TypeError, "classes must be an integer between 2 and 100, got float 2.5"),
    (dict(name="xor", train_size=0), ValueError, "train_size must be an integer between 1 and 10000000, got 0"),
    (dict(name="iris", train_size=130, test_size=30), ValueError,
     r"iris has 150 flowers, but train_size \+ test_size = 130 \+ 30 = 160"),
    (dict(name="iris", batch_size=121), ValueError, "batch_size must be an integer between 1 and 120, got 121"),
])
def test_toy_set_arguments_are_checked(arguments, error, message):
    with pytest.raises(error, match=message):
        Dataset(**arguments)


@pytest.mark.parametrize("name, hidden, epochs", [("xor", 8, 30), ("spiral", 64, 60)])
def test_a_small_network_learns_xor_and_the_spiral(name, hidden, epochs):
    from activations import ReLU, Softmax
    from layers import Dense
    from loss import CrossEntropy
    from nn import MLP
    from optimizer import Adam

    data = Dataset(name=name, train_size=600, test_size=300, batch_size=20, seed=0)
    model = MLP()
    optimizer = Adam(learningRate=0.01)
    model.addLayer(Dense(2, hidden, activation=ReLU(), optimizer=optimizer, seed=0))
    model.addLayer(Dense(hidden, hidden, activation=ReLU(), optimizer=optimizer, seed=1))
    model.addLayer(Dense(hidden, data.y_train.shape[1], activation=Softmax(), optimizer=optimizer, seed=2))
    model.train(data, loss=CrossEntropy(), epochs=epochs, verbose=False)
    assert model.evaluate(data.x_test, data.y_test, CrossEntropy())["accuracy"] >= 0.98


@pytest.mark.slow
def test_iris_loads_from_an_installed_wheel(tmp_path):
    """py-modules install no data files: the table must travel inside a module."""
    import subprocess
    import sys
    import zipfile
    from conftest import ROOT
    source = tmp_path / "source"   # build from a copy, so the build leaves nothing in the working tree
    source.mkdir()
    for path in list(ROOT.glob("*.py")) + [ROOT / "pyproject.toml", ROOT / "README.md"]:
        shutil.copy(path, source)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "wheel"), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    site = tmp_path / "site"
    with zipfile.ZipFile(next((tmp_path / "wheel").glob("deepbasics-*.whl"))) as wheel:
        wheel.extractall(site)
    script = "from dataset import Dataset; d = Dataset(name='iris'); print(d.x_train.shape, d.__module__)"
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(site)}, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "(120, 4) dataset"
    assert (site / "toydata.py").is_file() and not (site / "toydata.py").samefile(ROOT / "toydata.py")


# ------------------------------------------------------------- playground
def runExample(*arguments, timeout=300):
    import subprocess
    import sys
    from conftest import ROOT
    return subprocess.run([sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "MPLBACKEND": "Agg"})


def test_playground_has_help_and_checks_its_arguments():
    result = runExample("examples/playground.py", "--help")
    assert result.returncode == 0
    for option in ("--dataset", "--hidden", "--epochs", "--learning-rate", "--plots", "--every", "--noise"):
        assert option in result.stdout
    result = runExample("examples/playground.py", "--dataset", "xor", "--classes", "4")
    assert result.returncode == 2 and "--classes is for --dataset spiral" in result.stderr
    result = runExample("examples/playground.py", "--hidden", "32,x")
    assert result.returncode == 2 and "--hidden takes widths separated by commas" in result.stderr


@pytest.mark.slow
def test_playground_learns_the_spiral_and_draws_the_boundary_as_it_bends(tmp_path):
    pytest.importorskip("matplotlib")
    result = runExample("examples/playground.py", "--epochs", "30", "--every", "15", "--plots", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    accuracy = float(result.stdout.split("Final test accuracy on the spiral: ")[1].split("%")[0])
    assert accuracy >= 95
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "spiral-epoch-000.png", "spiral-epoch-015.png", "spiral-epoch-030.png"]
    from PIL import Image
    first, last = (np.asarray(Image.open(tmp_path / f"spiral-epoch-{epoch:03d}.png").convert("RGB"))
                   for epoch in (0, 30))
    assert first.shape == last.shape and (first != last).any()   # the boundary moved


@pytest.mark.slow
def test_playground_draws_the_boundary_after_epochs_1_2_4_8_by_default(tmp_path):
    pytest.importorskip("matplotlib")
    result = runExample("examples/playground.py", "--epochs", "10", "--plots", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"spiral-epoch-{epoch:03d}.png" for epoch in (0, 1, 2, 4, 8, 10)]
