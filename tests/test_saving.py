"""Saving and loading models: exact resumption, the checks before anything is allocated, atomic writes."""

import json
import os
import re
import stat
import tracemalloc
import zipfile

import numpy as np
import pytest

from activations import ReLU, Sigmoid, Softmax
from dataset import Dataset
from helpers import blobs, chapterNetwork, classifier, oneStep
from layers import Dense
from loss import MSE, CrossEntropy
from autoencoder import Autoencoder
from gan import GAN
from nn import MLP
from saving import readArchive
from vae import VAE
from optimizer import SGD, Adam

def savedArrays(tmp_path):
    """A trained chapter network saved to a file, and its arrays as a dict."""
    model = chapterNetwork(np.float64, Adam(0.01))
    oneStep(model, np.random.default_rng(0))
    path = model.save(tmp_path / "model.npz")
    return path, readArchive(path)


def rewrite(tmp_path, arrays, change):
    """Save ``arrays`` after ``change(arrays)`` (which may also edit the architecture dict) to a new file."""
    arrays = dict(arrays)
    architecture = json.loads(str(arrays["architecture"]))
    change(arrays, architecture)
    arrays["architecture"] = np.array(json.dumps(architecture))
    path = tmp_path / "changed.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("change, message", [
    (lambda a, s: s["layers"][0].update(inputDim=10**12), r"layer0.W' has shape \(6, 8\).*expected shape \(6, 1000000000000\)"),
    (lambda a, s: a.update({"layer1.W": np.zeros((5, 1))}), r"layer1.W' has shape \(5, 1\)"),
    (lambda a, s: a.update({"layer0.b.m": np.zeros(1)}), r"layer0.b.m' has shape \(1,\)"),
    (lambda a, s: a.pop("layer2.W.v"), r"optimizer state of layer2.W has"),
    (lambda a, s: a.update({"layer0.W.t": np.array(0)}), r"step count of at least 1"),
    (lambda a, s: a.update({"extra": np.zeros(3)}), r"unexpected parts \['extra'\]"),
    (lambda a, s: s.update(format=3), r"format 3, expected 1 or 2"),
    (lambda a, s: s["layers"][0].update(trainable="yes"), r"layer 0 has trainable='yes', expected true or false"),
    (lambda a, s: (s.update(dtype="float32"), a["layer1.b"].__setitem__(0, 1e39)),
     r"'layer1.b' holds values that are not finite in float32"),
    (lambda a, s: s.update(dtype="int8"), r"dtype 'int8'"),
    (lambda a, s: s["layers"][1].update(optimizer=3), r"layer 1 refers to optimizer 3, but the file has 1"),
    (lambda a, s: s["layers"][1].update(activation={"name": "Swish", "config": {}}), r"unknown activation 'Swish'"),
    (lambda a, s: s["optimizers"][0].update(config={"learningRate": -1}), r"learningRate must be in"),
    (lambda a, s: s["layers"][2].update(inputDim=4, outputDim=3), r"layer 2 has inputDim=4 but layer 1 has outputDim=5"),
    (lambda a, s: s.update(layers=[]), r"no layers"),
    (lambda a, s: s.update(layers="all"), r"malformed architecture"),
    (lambda a, s: s.update(format=2.0), r"format 2.0, expected 1 or 2"),
    (lambda a, s: [a.pop(k) for k in ("layer0.W.t", "layer0.W.m", "layer0.W.v")], r"optimizer state of layer0.W has \[\]"),
    (lambda a, s: a.update({"layer1.b.t": np.array(7)}), r"step counts of layer 1's W and b differ: \[1, 7\]"),
    (lambda a, s: s["optimizers"][0]["config"].update(learningRate=float("inf")), r"learningRate must be in"),
    (lambda a, s: a["layer0.W"].__setitem__((0, 0), np.nan), r"'layer0.W' holds values that are not finite"),
    (lambda a, s: a.update({"layer2.b.v": -np.ones(3)}), r"layer2.b.v holds negative second moments"),
])
def test_load_refuses_an_inconsistent_file_naming_it_and_the_part(tmp_path, change, message):
    _, arrays = savedArrays(tmp_path)
    path = rewrite(tmp_path, arrays, change)
    tracemalloc.start()
    with pytest.raises(ValueError, match="changed.npz is not a valid deepbasics model file: .*" + message):
        MLP.load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * 2**20   # nothing of the declared size was allocated


DATA = os.path.join(os.path.dirname(__file__), "data")
FORMAT_ONE = ["per-array", "theta-moments", "theta-sums", "theta-sums-float32",
              "per-array-untrained", "theta-moments-untrained", "theta-sums-untrained"]


def formatOneStep(model, seed):
    """The step ``tests/data/format1-*.npz`` were made with, by deepbasics itself at commits e036261 (per-array),
    81d61e2 (theta-moments), 67c3a97 (theta-sums-untrained) and 2b78926 (theta-sums, theta-sums-float32)."""
    x = np.random.default_rng(seed).random((4, 4))
    out = model.forward(x)
    model.backward(MSE().gradient(out, np.zeros_like(out)))
    model.update()


@pytest.mark.parametrize("layout", FORMAT_ONE)
def test_load_reads_files_saved_before_the_core_redesign_and_trains_on_as_they_did(layout):
    # Each file: a 4-5-3-2 network (one Adam shared by two layers, then SGD with momentum) after two steps
    # (none for "untrained", whose Adam state was saved with t = 0), saved by an old version; "-after" holds
    # the weights that version reached after three more steps.
    model = MLP.load(os.path.join(DATA, f"format1-{layout}.npz"))
    trained = 0 if layout.endswith("untrained") else 2
    assert model.layers[1].optimizerState["b"].get("t", 0) == trained
    for seed in range(trained, trained + 3):
        formatOneStep(model, seed)
    after = np.load(os.path.join(DATA, f"format1-{layout}-after.npz"))
    tolerance = 1e-6 if layout.endswith("float32") else 1e-12   # float32: Adam's operations in another order
    for index, layer in enumerate(model.layers):
        np.testing.assert_allclose(layer.W, after[f"W{index}"], rtol=tolerance, atol=tolerance * 1e-3)
        np.testing.assert_allclose(layer.b, after[f"b{index}"], rtol=tolerance, atol=tolerance * 1e-3)
    assert model.layers[0].optimizer is model.layers[1].optimizer
    assert model.layers[1].optimizerState["b"]["t"] == trained + 3


@pytest.mark.parametrize("change, message", [
    (lambda a: a.update({"layer1.theta.M": np.zeros(7)}), r"'layer1.theta.M' has shape \(7,\)"),
    (lambda a: a.pop("layer0.theta.V"), r"optimizer state of layer 0 has \['M', 't'\], expected \['M', 'V', 't'\]"),
    (lambda a: a.update({"layer0.theta.m": np.zeros(25)}), r"optimizer state of layer 0 has \['M', 'V', 'm', 't'\]"),
    (lambda a: a.update({"layer0.W.m": np.zeros((5, 4))}), r"unexpected parts \['layer0.W.m'\]"),
    (lambda a: a.update({"layer5.theta.M": np.zeros(3)}), r"unexpected parts \['layer5.theta.M'\]"),
    # one layer's state in the theta layout, another's per array: a file no version of deepbasics wrote
    (lambda a: a.update({"layer2.W.velocity": a.pop("layer2.theta.velocity")[:a["layer2.W"].size].reshape(
        a["layer2.W"].shape)}), r"unexpected parts \['layer2.W.velocity'\]"),
    (lambda a: a.update({"layer2.theta.velocity": np.zeros(10**6)}), r"'layer2.theta.velocity' has shape \(1000000,\)"),
])
def test_load_refuses_an_inconsistent_format_one_file(tmp_path, change, message):
    arrays = dict(np.load(os.path.join(DATA, "format1-theta-sums.npz")))
    change(arrays)
    np.savez(tmp_path / "old.npz", **arrays)
    tracemalloc.start()
    with pytest.raises(ValueError, match="old.npz is not a valid deepbasics model file: " + message):
        MLP.load(tmp_path / "old.npz")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 2**20   # what the file holds, and nothing of a declared size


@pytest.mark.parametrize("corrupt", ["empty", "truncated", "bad CRC", "plain npy", "JSON list", "deep JSON",
                                     "not JSON", "text file"])
def test_load_refuses_an_unreadable_file_with_value_error_naming_it(tmp_path, corrupt):
    path, arrays = savedArrays(tmp_path)
    data = open(path, "rb").read()
    bad = tmp_path / "bad.npz"
    if corrupt == "empty":
        bad.write_bytes(b"")
    elif corrupt == "truncated":
        bad.write_bytes(data[:len(data) // 2])
    elif corrupt == "bad CRC":
        start = data.index(b"\x93NUMPY", data.index(b"layer0.W.npy")) + 200   # inside W's values
        bad.write_bytes(data[:start] + bytes([data[start] ^ 0xFF]) + data[start + 1:])
    elif corrupt == "plain npy":
        np.save(bad, np.zeros(3))
        bad = tmp_path / "bad.npz.npy"
    elif corrupt == "text file":
        bad.write_text("architecture = 784-100-10\n")
    else:
        text = {"JSON list": "[1, 2]", "deep JSON": "[" * 100000 + "]" * 100000, "not JSON": "{layers"}[corrupt]
        np.savez(bad, **{**arrays, "architecture": np.array(text)})
    with pytest.raises(ValueError, match=f"MLP.load: {re.escape(str(bad))} is not a (readable|valid) deepbasics"):
        MLP.load(bad)


def zipMembers(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


@pytest.mark.parametrize("corrupt", ["huge declared shape", "garbled header", "unknown compression", "encrypted"])
def test_load_refuses_a_member_it_cannot_read_before_allocating(tmp_path, corrupt):
    path, _ = savedArrays(tmp_path)
    members = zipMembers(path)
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(bad, "w") as archive:
        for name, data in members.items():
            if name == "layer0.W.npy" and corrupt == "huge declared shape":
                data = data.replace(b"(6, 8)", b"(10**12,)".replace(b"10**12", b"1000000000000"), 1)
            if name == "layer0.W.npy" and corrupt == "garbled header":
                data = data[:10] + b"\x00(:'" * 2 + data[18:]
            archive.writestr(name, data)
    data = bad.read_bytes()
    if corrupt in ("unknown compression", "encrypted"):   # patch the first member's local and central headers
        field = (8, 2) if corrupt == "unknown compression" else (6, 2)
        value = (99).to_bytes(2, "little") if corrupt == "unknown compression" else (1).to_bytes(2, "little")
        data = bytearray(data)
        for signature, offset in ((b"PK\x03\x04", 0), (b"PK\x01\x02", 2)):
            start = data.index(signature) + offset
            data[start + field[0]:start + field[0] + field[1]] = value
        bad.write_bytes(bytes(data))
    tracemalloc.start()
    with pytest.raises(ValueError, match=f"MLP.load: {re.escape(str(bad))} is not a readable deepbasics"):
        MLP.load(bad)
    assert tracemalloc.get_traced_memory()[1] < 10 * 2**20
    tracemalloc.stop()


def test_saving_over_a_file_keeps_its_permissions(tmp_path):
    path = chapterNetwork().save(tmp_path / "model")
    os.chmod(path, 0o640)
    chapterNetwork().save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_load_of_a_missing_file_says_so():
    with pytest.raises(FileNotFoundError, match=r"^MLP.load: there is no file no/such/model.npz \(a model written by"):
        MLP.load("no/such/model.npz")


def test_save_gives_the_usual_permissions_and_no_leftovers(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    path = chapterNetwork().save(tmp_path / "model")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["model.npz"]


def test_a_failed_save_keeps_the_old_file_and_leaves_nothing_behind(tmp_path, monkeypatch):
    model = chapterNetwork()
    path = model.save(tmp_path / "model.npz")
    before = open(path, "rb").read()

    def failingSavez(file, **arrays):
        file.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", failingSavez)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_saved_optimizer_state_resumes_sgd_with_momentum_and_adam_exactly(tmp_path):
    model = MLP(dtype=np.float64)
    model.addLayer(Dense(8, 6, activation=ReLU(), optimizer=SGD(0.05, momentum=0.9), seed=0))
    model.addLayer(Dense(6, 3, activation=Softmax(), optimizer=Adam(0.01), seed=1))
    for seed in range(3):
        oneStep(model, np.random.default_rng(seed))
    loaded = MLP.load(model.save(tmp_path / "model"))
    for seed in range(3, 6):
        oneStep(model, np.random.default_rng(seed))
        oneStep(loaded, np.random.default_rng(seed))
    for a, b in zip(model.getWeights(), loaded.getWeights()):
        np.testing.assert_array_equal(a, b)


def test_save_and_load_give_identical_predictions_and_resume_training(tmp_path):
    data = blobs(shuffle=False)
    model = classifier(optimizer=Adam(learningRate=0.02, beta_1=0.8))
    model.addLayer(Dense(3, 2, activation=Sigmoid(), optimizer=SGD(0.1, momentum=0.5), seed=5))
    data = Dataset(x_train=data.x_train, y_train=data.y_train[:, :2], batch_size=20, shuffle=False)
    model.train(data, loss=CrossEntropy(), epochs=1, verbose=False)
    path = model.save(tmp_path / "model")
    assert path.endswith("model.npz")
    loaded = MLP.load(path)
    assert repr(loaded) == repr(model)
    assert loaded.layers[0].optimizer is loaded.layers[1].optimizer  # still one shared Adam
    x = np.random.default_rng(0).normal(size=(7, 4))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    model.train(data, loss=CrossEntropy(), epochs=1, verbose=False)
    loaded.train(data, loss=CrossEntropy(), epochs=1, verbose=False)
    for a, b in zip(model.getWeights(), loaded.getWeights()):
        np.testing.assert_array_equal(a, b)


def test_load_refuses_pickled_objects(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, architecture=np.array([{"layers": []}], dtype=object))
    with pytest.raises(ValueError, match="evil.npz is not a readable deepbasics model file.*Python objects, which would need pickle"):
        MLP.load(path)
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="is not a valid deepbasics model file"):
        MLP.load(tmp_path / "other.npz")


def test_a_frozen_layer_stays_frozen_through_save_and_load(tmp_path):
    model = chapterNetwork()
    model.layers[1].trainable = False
    loaded = MLP.load(model.save(tmp_path / "model"))
    assert [layer.trainable for layer in loaded.layers] == [True, False, True]


# ------------------------------------------------------------ models made of parts
COMPOSITES = {"autoencoder": Autoencoder, "vae": VAE, "gan": GAN}


def _fixtureData(kind, seed):
    """The batches tests/data/make_fixtures.py and make_after.py trained on."""
    x = np.random.default_rng(0).random((12, 6))
    return Dataset(x_train=x * 2 - 1 if kind == "gan" else x, y_train=x, batch_size=4, seed=seed)


@pytest.mark.parametrize("kind", sorted(COMPOSITES))
def test_files_written_before_the_model_protocol_load_and_train_on_as_they_did(kind):
    """Written by 8154be9; '-after' holds the weights that version reached one epoch after loading."""
    cls = COMPOSITES[kind]
    model = cls.load(os.path.join(DATA, f"{kind}-1.npz"), **({"seed": 5} if kind == "gan" else {}))
    expected = cls.load(os.path.join(DATA, f"{kind}-1-after.npz"))
    model.train(_fixtureData(kind, seed=7), loss=MSE() if kind == "autoencoder" else None, epochs=1, verbose=False)
    for trained, reference in zip(model.getWeights(), expected.getWeights()):
        np.testing.assert_allclose(trained, reference, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", sorted(COMPOSITES))
def test_a_saved_model_made_of_parts_trains_on_exactly_like_the_original(kind, tmp_path):
    cls = COMPOSITES[kind]
    original = cls.load(os.path.join(DATA, f"{kind}-1.npz"))
    copy = cls.load(original.save(tmp_path / "copy"))
    loss = MSE() if kind == "autoencoder" else None
    for model in (original, copy):
        model.train(_fixtureData(kind, seed=3), loss=loss, epochs=2, verbose=False)
    for a, b in zip(original.getWeights(), copy.getWeights()):
        np.testing.assert_array_equal(a, b)     # the noise generators' states were saved too


def _rewritten(tmp_path, kind, change):
    arrays = dict(readArchive(os.path.join(DATA, f"{kind}-1.npz")))
    change(arrays)
    path = tmp_path / f"changed-{kind}.npz"
    np.savez(path, **arrays)
    return path


def _record(kind, **changes):
    def change(arrays):
        record = json.loads(str(arrays[kind]))
        record.update(changes)
        arrays[kind] = np.array(json.dumps(record))
    return change


@pytest.mark.parametrize("kind", sorted(COMPOSITES))
@pytest.mark.parametrize("change, message", [
    (lambda kind: (lambda a: a.update({"extra": np.zeros(2)})), r"unexpected parts \['extra'\]"),
    (lambda kind: _record(kind, format=True), r"part '\w+' has format True; this version of deepbasics reads format 1"),
    (lambda kind: _record(kind, format=1.0), r"has format 1.0"),
    (lambda kind: (lambda a: a.update({kind: np.array("[" * 100000 + "]" * 100000)})),
     r"part '\w+' is missing or not JSON \(RecursionError\)"),
    (lambda kind: (lambda a: a.update({kind: np.array("{format")})), r"part '\w+' is missing or not JSON"),
    (lambda kind: (lambda a: a.pop(kind)), r"part '\w+' is missing or not JSON"),
])
def test_the_loaders_of_models_made_of_parts_are_as_strict_as_mlp_load(tmp_path, kind, change, message):
    path = _rewritten(tmp_path, kind, change(kind))
    with pytest.raises(ValueError, match=f"{COMPOSITES[kind].__name__}.load: .*changed-{kind}.npz.*{message}"):
        COMPOSITES[kind].load(path)


def test_a_deeply_nested_record_is_a_value_error_not_a_recursion_error(tmp_path):
    path = _rewritten(tmp_path, "gan", lambda a: a.update({"gan": np.array('{"format": 1, "latentDim": '
                                                                            + "[" * 100000 + "]" * 100000 + "}")}))
    with pytest.raises(ValueError, match=r"GAN.load: .*changed-gan.npz.*'gan' is missing or not JSON \(RecursionError\)"):
        GAN.load(path)


@pytest.mark.parametrize("kind, key", [("vae", "sampler.random"), ("autoencoder", "autoencoder")])
def test_a_random_state_too_large_for_64_bits_is_a_value_error_naming_the_part(tmp_path, kind, key):
    def change(arrays):
        record = json.loads(str(arrays[key]))
        state = record if kind == "vae" else record["noise"]["state"]
        state["state"]["state"] = 2**200
        arrays[key] = np.array(json.dumps(record))
    with pytest.raises(ValueError, match=f"changed-{kind}.npz.*part '{key}' or the parts it joins are invalid"):
        COMPOSITES[kind].load(_rewritten(tmp_path, kind, change))


@pytest.mark.parametrize("cls, kind, other", [(MLP, "vae", "a VAE"), (Autoencoder, "gan", "a GAN"),
                                               (VAE, "autoencoder", "an Autoencoder"), (GAN, "vae", "a VAE")])
def test_load_of_another_kind_of_file_says_which_load_reads_it(cls, kind, other):
    path = os.path.join(DATA, f"{kind}-1.npz")
    reader = other.split()[1]
    with pytest.raises(ValueError, match=f"{cls.__name__}.load: .*{kind}-1.npz is not a deepbasics {cls.__name__} "
                                         f"file: it holds {other}; read it with {reader}.load"):
        cls.load(path)


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n" + bytes(100), b"architecture = 784-100-10\n"])
def test_load_of_an_image_or_text_says_it_is_no_model_file_and_gives_no_pickle_advice(tmp_path, content):
    path = tmp_path / "digit.png"
    path.write_bytes(content)
    with pytest.raises(ValueError) as error:
        MLP.load(path)
    message = str(error.value)
    assert "is not a readable deepbasics model file: model files are .npz (zip) archives" in message
    assert repr(content[:4]) in message and "allow_pickle" not in message


def test_save_into_a_folder_that_does_not_exist_names_that_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"the folder {re.escape(str(tmp_path / 'nofolder' / 'x'))} does not exist"):
        chapterNetwork().save(tmp_path / "nofolder" / "x" / "m.npz")
    assert not list(tmp_path.rglob("*.part"))


def test_a_part_inside_a_part_is_named_by_its_path_and_checked_as_strictly(tmp_path):
    path = _rewritten(tmp_path, "vae", lambda a: a.update({"sampler.extra": np.zeros(2)}))
    with pytest.raises(ValueError, match=r"VAE.load: .*changed-vae.npz \(sampler\) has unexpected parts \['sampler.extra'\]"):
        VAE.load(path)
    path = _rewritten(tmp_path, "vae", lambda a: a.update({"sampler.mean.layer0.b": np.zeros(5)}))
    with pytest.raises(ValueError, match=r"VAE.load: .*changed-vae.npz \(sampler.mean\) is not a valid deepbasics "
                                         r"model file: 'sampler.mean.layer0.b' has shape \(5,\)"):
        VAE.load(path)


@pytest.mark.parametrize("change, message", [
    (lambda a: a.update({k.replace("logVar.", "logVar.x"): v for k, v in a.items() if "logVar.layer0" in k}),
     r"unexpected parts"),
    (lambda a: _swapHeadActivation(a), r"the sampler's logVar head must be one Dense layer with Identity activation"),
])
def test_a_sampler_whose_heads_are_not_its_own_is_refused(tmp_path, change, message):
    with pytest.raises(ValueError, match=f"VAE.load: .*changed-vae.npz.*{message}"):
        VAE.load(_rewritten(tmp_path, "vae", change))


def _swapHeadActivation(arrays):
    architecture = json.loads(str(arrays["sampler.logVar.architecture"]))
    architecture["layers"][0]["activation"] = {"name": "ReLU", "config": {}}
    arrays["sampler.logVar.architecture"] = np.array(json.dumps(architecture))


def test_the_old_name_of_the_samplers_generator_reads_and_writes_with_a_warning():
    vae = VAE.load(os.path.join(DATA, "vae-1.npz"))
    with pytest.warns(DeprecationWarning, match="Sampler.random is deprecated; use Sampler.rng"):
        assert vae.sampler.random is vae.sampler.rng
    generator = np.random.default_rng(3)
    with pytest.warns(DeprecationWarning, match="use Sampler.rng"):
        vae.sampler.random = generator
    assert vae.sampler.rng is generator


def test_a_file_of_a_model_of_ones_own_names_the_load_that_reads_it(tmp_path):
    from nn import Model

    class Stack(Model):
        PARTS = {"lower": MLP, "upper": MLP}
        RECORD = "stack"

        def __init__(self, lower, upper):
            self.lower, self.upper = lower, upper

        def parts(self):
            return (self.lower, self.upper)

    path = Stack(chapterNetwork(), chapterNetwork()).save(tmp_path / "stack")
    assert isinstance(Stack.load(path), Stack)
    with pytest.raises(ValueError, match=r"MLP.load: .*stack.npz is not a deepbasics MLP file: it holds a Stack; "
                                         r"read it with Stack.load"):
        MLP.load(path)
