"""Your own digits: a photo or drawing of one digit, made into an MNIST-style vector.

Needs Pillow (``pip install "deepbasics[image]"``), imported only when an
image is read.

>>> import os, tempfile
>>> import numpy as np
>>> from PIL import Image
>>> page = np.full((60, 40), 255, dtype=np.uint8)
>>> page[10:50, 18:22] = 0                          # a black "1" on white paper
>>> path = os.path.join(tempfile.mkdtemp(), "one.png")
>>> Image.fromarray(page).save(path)
>>> digit = readImage(path)
>>> digit.shape, float(digit.max()), np.flatnonzero(digit.reshape(28, 28).any(axis=1)).size
((784,), 1.0, 20)
"""

import numpy as np

# Pillow modes of more than 8 bits per pixel, which its conversion to 8 bits would clip at 255.
DEEP_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")


def _grayLevels(image):
    """The grey levels of a Pillow ``image`` as ``(height, width)`` float32 in [0, 1], 0 black.

    A transparent background counts as white. An image of more than 8 bits
    per pixel is read by its own range: 0 to 65,535 for 16-bit (Pillow reads
    16-bit greyscale PNGs as ``I;16``, or as ``I`` before version 10), 0 to 1
    for floating point (mode ``F``); when its values go beyond that range,
    from its darkest to its brightest value.
    """
    from PIL import Image

    if image.mode not in DEEP_MODES:
        paper = Image.new("RGBA", image.size, "white")
        return np.asarray(Image.alpha_composite(paper, image.convert("RGBA")).convert("L"), dtype=np.float32) / 255
    values = np.asarray(image, dtype=np.float32)
    low, high = 0.0, (1.0 if image.mode == "F" else 65535.0)
    if values.min() < low or values.max() > high:
        low, high = float(values.min()), float(values.max())
    return (values - low) / ((high - low) or 1)


def readImage(path, invert=None):
    """Turn a photo or drawing of one digit into an MNIST-style vector, the way MNIST was made.

    LeCun, Cortes and Burges scaled each NIST digit into a 20x20 box keeping
    its aspect ratio (anti-aliasing gives grey levels), then placed it in a
    28x28 field with its centre of mass at the centre. Here, in order:

    1. grayscale (a transparent background counts as white; a phone photo is
       turned upright from its EXIF orientation; 16-bit and floating-point
       images are read by their own range, not clipped to 8 bits);
    2. inverted when the ink is darker than the paper, which is judged from
       the border, so white-on-black digits are kept as they are;
    3. the paper's level (median of the border) becomes 0 and the darkest ink
       1, with the faintest 15% of that range dropped as paper noise;
    4. cropped to the ink and scaled so that its longer side is 20 pixels;
    5. put into 28x28 with its centre of mass at pixel (14, 14), as in MNIST.

    Parameters
    ----------
    path : str, path-like or file object
        Any image Pillow reads (PNG, JPEG, TIFF, ...), of any bit depth.
    invert : bool or None, default None
        Force (True) or forbid (False) step 2; None decides from the border.

    Returns
    -------
    ndarray (784,) of float32 in [0, 1]
        Ready for ``model.predict``; ``.reshape(28, 28)`` to look at it.

    Raises
    ------
    ImportError
        Without Pillow (``pip install "deepbasics[image]"``).
    ValueError
        When the file is not an image, holds NaN, or shows no ink.
    """
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError as error:
        raise ImportError('readImage needs Pillow; install it with: pip install "deepbasics[image]"') from error
    name = getattr(path, "name", path)
    try:
        with Image.open(path) as image:
            gray = _grayLevels(ImageOps.exif_transpose(image))
    except (UnidentifiedImageError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"readImage: {name} is not an image Pillow can read ({error})") from error
    if not np.isfinite(gray).all():
        raise ValueError(f"readImage: {name} holds NaN or infinite values")

    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if invert if invert is not None else np.median(border) > 0.5:
        gray, border = 1 - gray, 1 - border
    background, darkest = float(np.median(border)), float(gray.max())
    if darkest - background < 0.1:
        raise ValueError(f"readImage: {name} shows no ink (contrast {darkest - background:.3f} between the "
                         f"paper and the darkest stroke); is it a blank page, or should invert be changed?")
    low = background + 0.15 * (darkest - background)
    ink = np.clip((gray - low) / (darkest - low), 0, 1)

    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    ink = ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    scale = 20 / max(ink.shape)
    height, width = max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale))
    # Pillow's resampling averages over the pixels each new one covers: the anti-aliasing of MNIST.
    digit = np.asarray(Image.fromarray(ink).resize((width, height), Image.Resampling.LANCZOS))
    digit = np.clip(digit, 0, 1)   # Lanczos overshoots a little at sharp edges
    digit /= digit.max()

    rowCentre = np.average(np.arange(height), weights=digit.sum(axis=1))
    columnCentre = np.average(np.arange(width), weights=digit.sum(axis=0))
    top = min(max(round(14 - rowCentre), 0), 28 - height)   # whole pixels, as MNIST: no extra blur
    left = min(max(round(14 - columnCentre), 0), 28 - width)
    field = np.zeros((28, 28), dtype=np.float32)
    field[top:top + height, left:left + width] = digit
    return field.reshape(784)
