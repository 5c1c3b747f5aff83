"""readImage: your own digit, photographed or drawn, read the way MNIST's digits were made."""

import os
import sys

import numpy as np
import pytest

from conftest import dataDir
from dataset import Dataset
from images import readImage
from test_dataset import runExample


@pytest.fixture(scope="module")
def smallMnist():
    """5,000 training and 200 test digits, read once for the tests below."""
    folder = dataDir()
    if folder is None or not (folder / "mnist").is_dir():
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    return Dataset(name="mnist", train_size=5000, test_size=200, data_dir=folder, seed=0)


def centreOfMass(image):
    image = image.reshape(28, 28)
    return (np.sum(image.sum(axis=1) * np.arange(28)) / image.sum(),
            np.sum(image.sum(axis=0) * np.arange(28)) / image.sum())


def drawAsPhoto(digit, path, ink=(20, 30, 90), paper=(250, 235, 190), size=230, at=(240, 40)):
    """An MNIST digit drawn 8 times larger, off-centre, dark ink on coloured paper, as a JPEG or PNG."""
    from PIL import Image
    pixels = Image.fromarray((digit.reshape(28, 28) * 255).astype(np.uint8)).resize((size, size),
                                                                                   Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (520, 400), paper)
    canvas.paste(Image.new("RGB", (size, size), ink), at, pixels)   # the digit's grey levels mix ink into paper
    canvas.save(path)
    return path


def test_read_image_of_an_mnist_digit_gives_it_back(tmp_path, smallMnist):
    Image = pytest.importorskip("PIL.Image")
    digits = smallMnist.x_test[:5]
    for index, digit in enumerate(digits):
        path = tmp_path / f"{index}.png"
        Image.fromarray((digit.reshape(28, 28) * 255).astype(np.uint8)).save(path)   # white on black, as MNIST
        seen = readImage(path)
        assert seen.shape == (784,) and seen.dtype == np.float32
        assert seen.min() == 0 and seen.max() == 1
        assert np.corrcoef(seen, digit)[0, 1] > 0.8


def test_read_image_undoes_size_position_polarity_and_colour(tmp_path, smallMnist):
    pytest.importorskip("PIL")
    digits = smallMnist.x_test[:8]
    for index, digit in enumerate(digits):
        seen = readImage(drawAsPhoto(digit, tmp_path / f"{index}.jpg"))
        assert np.corrcoef(seen, digit)[0, 1] > 0.7
        # MNIST's recipe: a 20-pixel box, the centre of mass at (14, 14) to the nearest pixel.
        rows, columns = np.flatnonzero(seen.reshape(28, 28).any(axis=1)), np.flatnonzero(seen.reshape(28, 28).any(axis=0))
        assert max(rows[-1] - rows[0], columns[-1] - columns[0]) + 1 == 20
        assert np.allclose(centreOfMass(seen), 14, atol=0.5 + 1e-9)


def test_a_tall_stroke_keeps_its_aspect_ratio(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    page = np.full((300, 200), 255, dtype=np.uint8)
    page[50:250, 90:110] = 0                                   # a black bar, 200 tall and 20 wide: a "1"
    Image.fromarray(page).save(tmp_path / "one.png")
    seen = readImage(tmp_path / "one.png").reshape(28, 28)
    rows, columns = np.flatnonzero(seen.any(axis=1)), np.flatnonzero(seen.any(axis=0))
    assert len(rows) == 20 and len(columns) == 2
    assert np.allclose(centreOfMass(seen), 14, atol=0.5)


def test_ink_in_the_alpha_channel_of_a_transparent_drawing_is_read(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    drawing = np.zeros((100, 100, 4), dtype=np.uint8)           # fully transparent ...
    drawing[20:80, 45:55] = [0, 0, 0, 255]                      # ... but for an opaque black stroke
    Image.fromarray(drawing, "RGBA").save(tmp_path / "stroke.png")
    seen = readImage(tmp_path / "stroke.png").reshape(28, 28)
    assert seen.max() == 1 and len(np.flatnonzero(seen.any(axis=1))) == 20


def test_a_blank_page_or_the_wrong_polarity_has_no_ink(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    with pytest.raises(ValueError, match=r"blank\.png shows no ink"):
        readImage(tmp_path / "blank.png")
    page = np.full((50, 50), 255, dtype=np.uint8)
    page[10:40, 20:25] = 0
    Image.fromarray(page).save(tmp_path / "dark-ink.png")
    with pytest.raises(ValueError, match="should invert be changed"):
        readImage(tmp_path / "dark-ink.png", invert=False)


def test_a_file_that_is_not_an_image_is_named(tmp_path):
    pytest.importorskip("PIL")
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(ValueError, match=r"notes\.png is not an image Pillow can read"):
        readImage(tmp_path / "notes.png")
    with pytest.raises(FileNotFoundError):
        readImage(tmp_path / "missing.png")


def test_without_pillow_read_image_names_the_install_command(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "deepbasics\[image\]"'):
        readImage("digit.png")


@pytest.fixture(scope="module")
def digitModel(tmp_path_factory, smallMnist):
    """A small MNIST classifier (784-64-10), trained for a few seconds and saved."""
    from activations import ReLU, Softmax
    from layers import Dense
    from loss import CrossEntropy
    from nn import MLP
    from optimizer import Adam

    model = MLP()
    optimizer = Adam(learningRate=0.002)
    model.addLayer(Dense(784, 64, activation=ReLU(), optimizer=optimizer, seed=0))
    model.addLayer(Dense(64, 10, activation=Softmax(), optimizer=optimizer, seed=1))
    model.train(smallMnist, loss=CrossEntropy(), epochs=4, verbose=False)
    path = tmp_path_factory.mktemp("model") / "mnist.npz"
    model.save(path)
    return model, path


@pytest.mark.slow
def test_own_handwriting_is_classified_as_the_original_digit(tmp_path, digitModel, smallMnist):
    pytest.importorskip("PIL")
    model, _ = digitModel
    digits = smallMnist.x_test[:40]
    original = model.predict(digits)
    # Digits the model is sure of: for a borderline one, any change of pixels may flip the answer.
    sure = np.flatnonzero(original.max(axis=1) > 0.9)[:12]
    assert len(sure) >= 10
    variants = [dict(), dict(ink=(200, 30, 30), paper=(255, 255, 255), size=120, at=(20, 260)),
                dict(ink=(255, 255, 240), paper=(10, 40, 20), size=300, at=(100, 50))]   # light on dark
    for index in sure:
        for number, variant in enumerate(variants):
            path = drawAsPhoto(digits[index], tmp_path / f"{index}-{number}.{'png' if number else 'jpg'}", **variant)
            predicted = model.predict(readImage(path)).argmax()
            assert predicted == original[index].argmax(), f"digit {index}, variant {variant}"


@pytest.mark.slow
def test_predict_image_prints_the_top_three(tmp_path, digitModel, smallMnist):
    pytest.importorskip("PIL")
    model, path = digitModel
    digits = smallMnist.x_test[:1]
    expected = int(model.predict(digits[0]).argmax())
    image = drawAsPhoto(digits[0], tmp_path / "seven.jpg")
    result = runExample("examples/predict_image.py", str(image), "--model", str(path), "--show",
                        str(tmp_path / "seen.png"))
    assert result.returncode == 0, result.stderr[-2000:]
    line = result.stdout.splitlines()[-1]
    assert line.startswith(f"{image}: {expected} (")
    assert line.count("%") == 3
    probabilities = [float(part.split("(")[1].rstrip(")%")) for part in line.split(": ", 1)[1].split(", ")]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 100.1
    from PIL import Image
    assert Image.open(tmp_path / "seen.png").size == (280, 280)


def test_predict_image_has_help():
    result = runExample("examples/predict_image.py", "--help")
    assert result.returncode == 0
    for option in ("PATH", "--model", "--top", "--invert", "--show"):
        assert option in result.stdout


# ------------------------------------------------------------ bit depths
def page(dtype=np.uint8):
    """A "7" in dark grey ink on white paper, with lighter anti-aliased edges, as 8-bit grey levels."""
    levels = np.full((120, 90), 255, dtype=np.uint8)
    levels[20:30, 15:75] = 40
    for row in range(30, 100):
        column = 75 - (row - 30) * 40 // 70
        levels[row, column - 6:column + 6] = 40
        levels[row, column + 6] = 150
    return levels


@pytest.mark.parametrize("kind, suffix, convert", [
    ("I;16", "png", lambda levels: (levels.astype(np.uint16) * 257, None)),        # 16-bit PNG: 0 to 65,535
    ("I", "tif", lambda levels: (levels.astype(np.int32) * 257, None)),            # Pillow before 10 read 16-bit as I
    ("F", "tif", lambda levels: (levels.astype(np.float32) / 255, None)),          # floating point in [0, 1]
    ("F", "tiff", lambda levels: (levels.astype(np.float32) * 4 - 100, None)),     # beyond [0, 1]: its own extremes
])
def test_every_bit_depth_is_read_by_its_own_range(tmp_path, kind, suffix, convert):
    Image = pytest.importorskip("PIL.Image")
    levels = page()
    Image.fromarray(levels).save(tmp_path / "eight.png")
    values, _ = convert(levels)
    Image.fromarray(values).save(tmp_path / f"deep.{suffix}")
    with Image.open(tmp_path / f"deep.{suffix}") as image:
        assert image.mode == kind
    expected = readImage(tmp_path / "eight.png")
    seen = readImage(tmp_path / f"deep.{suffix}")     # "shows no ink" when clipped to 8 bits
    np.testing.assert_allclose(seen, expected, atol=1e-5)
    assert seen.max() == 1 and seen.dtype == np.float32


def test_a_faint_16_bit_page_still_shows_no_ink(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    levels = np.full((50, 50), 60000, dtype=np.uint16)
    levels[10:40, 20:25] = 56000   # 6% darker than the paper: below readImage's 10% contrast
    Image.fromarray(levels).save(tmp_path / "faint.png")
    with pytest.raises(ValueError, match=r"faint\.png shows no ink \(contrast 0\.061"):
        readImage(tmp_path / "faint.png")


def test_a_float_image_with_nan_is_refused_by_name(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    values = page().astype(np.float32) / 255
    values[5, 5] = np.nan
    Image.fromarray(values).save(tmp_path / "nan.tif")
    with pytest.raises(ValueError, match=r"readImage: .*nan\.tif holds NaN or infinite values"):
        readImage(tmp_path / "nan.tif")


# ------------------------------------------------- the predict_image example
@pytest.fixture
def untrainedModel(tmp_path):
    """A 784-10 MLP file: enough for the example to get past loading."""
    from activations import Softmax
    from layers import Dense
    from nn import MLP
    from optimizer import Adam

    model = MLP()
    model.addLayer(Dense(784, 10, activation=Softmax(), optimizer=Adam(), seed=0))
    model.save(tmp_path / "model.npz")
    return tmp_path / "model.npz"


def test_predict_image_turns_a_bad_image_or_model_into_a_usage_error(tmp_path, untrainedModel):
    Image = pytest.importorskip("PIL.Image")
    Image.fromarray(page()).save(tmp_path / "seven.png")   # dark ink on white: --invert no leaves no ink
    (tmp_path / "notes.txt").write_text("not a model")
    seven, notes = tmp_path / "seven.png", tmp_path / "notes.txt"
    for arguments, message in [
        ([seven, "--invert", "no"], f"readImage: {seven} shows no ink"),
        ([tmp_path / "missing.png"], f"{tmp_path / 'missing.png'}"),
        ([seven, "--model", tmp_path / "nowhere.npz"], f"{tmp_path / 'nowhere.npz'}"),
        ([seven, "--model", notes], f"{notes}"),
    ]:
        model = [] if "--model" in arguments else ["--model", untrainedModel]
        result = runExample("examples/predict_image.py", *map(str, arguments + model))
        assert result.returncode == 2, (arguments, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, arguments
        assert result.stderr.startswith("usage: predict_image.py") and "predict_image.py: error: " in result.stderr
        assert message in result.stderr, (arguments, result.stderr)
    result = runExample("examples/predict_image.py", str(seven), "--model", str(untrainedModel))
    assert result.returncode == 0 and result.stdout.startswith(f"{seven}: "), result.stderr[-2000:]
