"""Data sets: MNIST, Fashion-MNIST, toy sets, or your own arrays, served in mini-batches.

>>> import numpy as np
>>> data = Dataset(x_train=np.zeros((10, 3)), y_train=np.ones((10, 1)), batch_size=4, seed=0)
>>> len(data), [x.shape for x, y in data]
(3, [(4, 3), (4, 3), (2, 3)])

The named sets are read from the four official IDX files (``.gz`` or not) in
``<data_dir>/<name>/``. ``data_dir`` is the argument, else the environment
variable ``DEEPBASICS_DATA_DIR``, else ``~/.cache/deepbasics``. Missing files
are downloaded from public mirrors, checked against the SHA-256 of their
decompressed content, and only then given their final name.

The toy sets ``"xor"``, ``"spiral"``, ``"moons"``, ``"circles"`` (generated,
2-D) and ``"iris"`` (shipped) come from ``toydata.py``:

>>> spiral = Dataset(name="spiral", train_size=300, test_size=60, classes=3, seed=0)
>>> spiral.x_train.shape, spiral.y_train.shape, spiral.x_test.shape
((300, 2), (300, 3), (60, 2))
"""

import gzip
import hashlib
import http.client
import mmap
import os
import struct
import sys
import tempfile
import urllib.error
import urllib.request
import zlib

import numpy as np

import toydata
from checks import checkFloatType, checkInteger, checkNumber

ENVIRONMENT_VARIABLE = "DEEPBASICS_DATA_DIR"
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# Where maintained loaders (torchvision, TensorFlow Datasets, Keras) fetch the
# files today; yann.lecun.com has answered 403, then 404, since 2024.
MIRRORS = {
    "mnist": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"],
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                      "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"],
}
# SHA-256 of the decompressed IDX content: mirrors re-compress, so .gz bytes differ.
SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}
CLASSES = 10
# Default (train_size, test_size) of the toy sets; Iris has 150 rows in all.
TOY_SIZES = {**{name: (1000, 200) for name in toydata.GENERATORS}, "iris": (120, 30)}
NAMES = list(SHA256) + list(TOY_SIZES)
TIMEOUT = 30  # seconds a mirror may stay silent before the next one is tried


# ---------------------------------------------------------------- IDX files
def readIdx(path):
    """Read an IDX file of unsigned bytes (``.gz`` or not) into a uint8 array.

    Raises ``ValueError`` naming the file when it is not gzip when it says
    so, has a wrong magic number, or holds more or fewer bytes than its
    header announces.
    """
    path = os.fspath(path)
    try:
        with (gzip.open if path.endswith(".gz") else open)(path, "rb") as file:
            data = file.read()
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"{path}: not a readable IDX file ({error})") from error
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08 or not 1 <= data[3] <= 3:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes (magic number {data[:4].hex() or 'missing'}, "
                         f"expected 00000801, 00000802 or 00000803)")
    dimensions = data[3]
    header = 4 + 4 * dimensions
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes, expected at least {header})")
    shape = struct.unpack(f">{dimensions}I", data[4:header])
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"{path}: IDX header announces shape {shape}, i.e. {expected} bytes, but the file "
                         f"holds {len(data)} bytes ({'truncated' if len(data) < expected else 'trailing data'})")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _contentSha256(path):
    """SHA-256 of a file's content, decompressed first when it is gzip."""
    with open(path, "rb") as file:
        isGzip = file.read(2) == b"\x1f\x8b"
    digest = hashlib.sha256()
    with (gzip.open if isGzip else open)(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest(), isGzip


# ---------------------------------------------------------------- downloads
def _progressBar(name, done, total):
    if total:
        filled = 30 * done // total
        sys.stderr.write(f"\r{name}: [{'=' * filled}{'.' * (30 - filled)}] {done / 2**20:.1f}/{total / 2**20:.1f} MiB")
    else:
        sys.stderr.write(f"\r{name}: {done / 2**20:.1f} MiB")
    sys.stderr.flush()


def downloadFile(url, folder, fileName, sha256, timeout=None):
    """Fetch ``url`` into ``folder`` as ``fileName`` (``.gz`` added if it is gzip).

    The bytes go to a hidden temporary file beside the target; it is renamed
    only once complete and verified, and removed on any failure (including
    Ctrl-C), so no half-written file is ever left behind. Returns the path.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "deepbasics"})
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{fileName}.", suffix=".part")
    showProgress = sys.stderr.isatty()
    try:
        with os.fdopen(handle, "wb") as out, \
                urllib.request.urlopen(request, timeout=timeout or TIMEOUT) as response:
            total = int(response.headers.get("Content-Length") or 0)
            received = 0
            while chunk := response.read(1 << 16):
                out.write(chunk)
                received += len(chunk)
                if showProgress:
                    _progressBar(fileName, received, total)
            if showProgress:
                sys.stderr.write("\n")
            if total and received != total:
                raise http.client.IncompleteRead(b"", total - received)
        digest, isGzip = _contentSha256(temporary)
        if digest != sha256:
            raise ValueError(f"SHA-256 of the content is {digest}, expected {sha256}")
        target = os.path.join(folder, fileName + (".gz" if isGzip else ""))
        os.replace(temporary, target)
        return target
    except BaseException:
        os.unlink(temporary)
        raise


def _findFile(folder, fileName):
    for candidate in (fileName, fileName + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


def _downloadMissing(name, folder, missing, mirror):
    """Try the mirrors in turn for each missing file; return what went wrong."""
    mirrors = MIRRORS[name] if mirror is None else ([mirror] if isinstance(mirror, str) else list(mirror))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        return [f"cannot create {folder}: {error}"]
    failures = []
    for fileName in missing:
        for base in mirrors:
            url = base.rstrip("/") + "/" + fileName + ".gz"
            try:
                downloadFile(url, folder, fileName, SHA256[name][fileName])
                break
            except (OSError, ValueError, http.client.HTTPException) as error:
                failures.append(f"{url}: {error}")
    return failures


def fetch(name, dataDir=None, download=True, mirror=None):
    """Return ``{part: path}`` for the four IDX files of ``name``, downloading missing ones."""
    dataDir = dataDir or os.environ.get(ENVIRONMENT_VARIABLE) or os.path.join("~", ".cache", "deepbasics")
    folder = os.path.join(os.path.expanduser(os.fspath(dataDir)), name)
    paths = {part: _findFile(folder, fileName) for part, fileName in FILES.items()}
    missing = [FILES[part] for part, path in paths.items() if path is None]
    if not missing:
        return paths
    failures = []
    if download:
        failures = _downloadMissing(name, folder, missing, mirror)
        paths = {part: _findFile(folder, fileName) for part, fileName in FILES.items()}
        missing = [FILES[part] for part, path in paths.items() if path is None]
        if not missing:
            return paths
    reason = ("downloading failed:\n  " + "\n  ".join(failures)) if failures else "download=False"
    raise FileNotFoundError(
        f"{name}: missing {', '.join(missing)} (.gz or uncompressed) in {folder}; {reason}\n"
        f"Put the official IDX files there, or point the environment variable {ENVIRONMENT_VARIABLE} "
        f"(or data_dir=...) at a folder that holds {name}/.")


# ------------------------------------------------------- your own digits
def readImage(path, invert=None):
    """Turn a photo or drawing of one digit into an MNIST-style vector, the way MNIST was made.

    LeCun, Cortes and Burges scaled each NIST digit into a 20x20 box keeping
    its aspect ratio (anti-aliasing gives grey levels), then placed it in a
    28x28 field with its centre of mass at the centre. Here, in order:

    1. grayscale (a transparent background counts as white; a phone photo is
       turned upright from its EXIF orientation);
    2. inverted when the ink is darker than the paper, which is judged from
       the border, so white-on-black digits are kept as they are;
    3. the paper's level (median of the border) becomes 0 and the darkest ink
       1, with the faintest 15% of that range dropped as paper noise;
    4. cropped to the ink and scaled so that its longer side is 20 pixels;
    5. put into 28x28 with its centre of mass at pixel (14, 14), as in MNIST.

    Parameters
    ----------
    path : str, path-like or file object
        Any image Pillow reads (PNG, JPEG, ...).
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
        When the file is not an image, or shows no ink.
    """
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError as error:
        raise ImportError('readImage needs Pillow; install it with: pip install "deepbasics[image]"') from error
    name = getattr(path, "name", path)
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image).convert("RGBA")
    except (UnidentifiedImageError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"readImage: {name} is not an image Pillow can read ({error})") from error
    paper = Image.new("RGBA", image.size, "white")
    gray = np.asarray(Image.alpha_composite(paper, image).convert("L"), dtype=np.float32) / 255

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

    rowCentre = np.sum(digit.sum(axis=1) * np.arange(height)) / digit.sum()
    columnCentre = np.sum(digit.sum(axis=0) * np.arange(width)) / digit.sum()
    top = min(max(round(14 - rowCentre), 0), 28 - height)   # whole pixels, as MNIST: no extra blur
    left = min(max(round(14 - columnCentre), 0), 28 - width)
    field = np.zeros((28, 28), dtype=np.float32)
    field[top:top + height, left:left + width] = digit
    return field.reshape(784)


# ------------------------------------------------------------------ Dataset
def _emptyArray(shape, dtype):
    """Like ``numpy.empty``, in an anonymous memory map of its own.

    NumPy asks the kernel for transparent huge pages on arrays of 4 MB and
    more; where the kernel then compacts memory synchronously (THP defrag set
    to "madvise"), filling MNIST's 188 MB took 0.7 s instead of 0.14 s. Plain
    pages avoid that wait; the array is freed like any other.
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    return np.frombuffer(mmap.mmap(-1, max(size, 1)), dtype=dtype, count=int(np.prod(shape))).reshape(shape)


def _checkFinite(name, array, chunk=1 << 22):
    flat = array.reshape(-1)
    for start in range(0, flat.size, chunk):
        if not np.isfinite(flat[start:start + chunk]).all():
            raise ValueError(f"Dataset: {name} contains NaN or infinite values")


class Dataset:
    """Training (and test) data, iterated as shuffled mini-batches.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "xor", "spiral", "moons", "circles", "iris"}, default "mnist"
        A named data set; leave it out when passing ``x_train``. The last
        five are toy sets (see ``toydata``): the generated four are 2-D,
        Iris has 4 features, standardised with the training split's mean
        and standard deviation (kept as ``featureMean``, ``featureStd``).
    train_size, test_size : int
        MNIST: use the first so many samples (default all: 60,000 and
        10,000). Generated sets: how many points to draw (default 1,000 and
        200). Iris: a split of the 150 flowers with the three species in
        equal shares (default 120 and 30).
    batch_size : int, default 50
        Samples per mini-batch; the last batch of an epoch may be smaller.
    data_dir : str or None
        Folder holding ``<name>/``; default ``$DEEPBASICS_DATA_DIR``, then
        ``~/.cache/deepbasics``.
    download : bool, default True
        Download missing files; if False they raise ``FileNotFoundError``.
    mirror : str or list of str, optional
        Base URL(s) to download from instead of the public mirrors.
    shuffle : bool, default True
        Reshuffle the training samples on every pass.
    seed : int or None
        Seed for the shuffling (reproducible when given). The toy sets also
        draw their points (and Iris its split) with it, or with 0 when it is
        None, so that the same call always gives the same points.
    noise : float, optional
        Generated sets only: standard deviation of the jitter (default
        ``toydata.NOISE``: 0.2 for xor and spiral, 0.1 moons, 0.05 circles).
    classes : int, default 3
        Spiral only: the number of arms, one class each.
    x_train, y_train, x_test, y_test : array_like, optional
        Your own data instead: ``x (n, features)``, ``y (n, outputs)`` (a
        1-D ``y`` becomes one column).
    dtype : numpy float type, default numpy.float32
        dtype of the arrays (use the model's).

    Attributes
    ----------
    x_train, x_test : ndarray (n, 784) in [0, 1] for MNIST, (n, 2) or (n, 4) for the toy sets
    y_train, y_test : ndarray (n, classes), one-hot for the named sets
    """

    def __init__(self, name=None, train_size=None, test_size=None, batch_size=50, data_dir=None,
                 download=True, mirror=None, shuffle=True, seed=None, *, x_train=None, y_train=None,
                 x_test=None, y_test=None, dtype=np.float32, noise=None, classes=None):
        self.dtype = checkFloatType("Dataset", dtype)
        if x_train is None and y_train is None:
            self.name = "mnist" if name is None else name
            if self.name not in NAMES:
                raise ValueError(f"Dataset: unknown name {self.name!r}; known: {', '.join(NAMES)}")
            if noise is not None and self.name not in toydata.GENERATORS:
                raise ValueError(f"Dataset: noise is for the generated sets ({', '.join(toydata.GENERATORS)}), "
                                 f"not {self.name!r}")
            if classes is not None and self.name != "spiral":
                raise ValueError(f"Dataset: classes is for the spiral, not {self.name!r}")
            if self.name in TOY_SIZES:
                self._loadToy(train_size, test_size, noise, classes, seed)
            else:
                self._loadNamed(train_size, test_size, data_dir, download, mirror)
        else:
            if name is not None:
                raise ValueError(f"Dataset: give either name={name!r} or x_train/y_train, not both")
            self.name = None
            self._loadArrays(x_train, y_train, x_test, y_test, train_size, test_size)
        self.batch_size = checkInteger("Dataset", "batch_size", batch_size, 1, len(self.x_train))
        self.shuffle = bool(shuffle)
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def _loadNamed(self, train_size, test_size, data_dir, download, mirror):
        paths = fetch(self.name, data_dir, download, mirror)
        for split, size in (("train", train_size), ("test", test_size)):
            images = readIdx(paths[f"{split}_images"])
            labels = readIdx(paths[f"{split}_labels"])
            if images.ndim != 3 or images.shape[1:] != (28, 28):
                raise ValueError(f"{paths[f'{split}_images']}: expected images of shape (n, 28, 28), got {images.shape}")
            if labels.ndim != 1 or len(labels) != len(images):
                raise ValueError(f"{paths[f'{split}_labels']}: expected {len(images)} labels to match "
                                 f"{paths[f'{split}_images']}, got shape {labels.shape}")
            if labels.max(initial=0) >= CLASSES:
                raise ValueError(f"{paths[f'{split}_labels']}: labels must be 0 to 9, found {labels.max()}")
            if size is not None:
                checkInteger("Dataset", f"{split}_size", size, 1, len(images))
            size = len(images) if size is None else size
            # One conversion straight into the model's dtype: the only float copy.
            x = _emptyArray((size, images[0].size), self.dtype)
            np.divide(images[:size].reshape(size, -1), self.dtype.type(255), out=x)
            y = np.zeros((size, CLASSES), dtype=self.dtype)
            y[np.arange(size), labels[:size]] = 1
            setattr(self, f"x_{split}", x)
            setattr(self, f"y_{split}", y)

    def _loadToy(self, train_size, test_size, noise, classes, seed):
        defaultTrain, defaultTest = TOY_SIZES[self.name]
        largest = 10 ** 7 if self.name != "iris" else 149
        if train_size is not None:
            train_size = checkInteger("Dataset", "train_size", train_size, 1, largest)
        if test_size is not None:
            test_size = checkInteger("Dataset", "test_size", test_size, 1, largest)
        train_size, test_size = train_size or defaultTrain, test_size or defaultTest
        rng = np.random.default_rng(0 if seed is None else seed)
        if self.name == "iris":
            if train_size + test_size > 150:
                raise ValueError(f"Dataset: iris has 150 flowers, but train_size + test_size = "
                                 f"{train_size} + {test_size} = {train_size + test_size}")
            x, labels = toydata.iris()
            # Shuffle each species, then take them in turns, so that any first
            # rows (the training split) and the rows after them hold all three
            # species in equal shares.
            turns = np.concatenate([rng.permutation(np.flatnonzero(labels == k)) for k in range(3)])
            order = turns.reshape(3, -1).T.reshape(-1)
        else:
            options = {}
            if noise is not None:
                options["noise"] = checkNumber("Dataset", "noise", noise, 0)
            if self.name == "spiral" and classes is not None:
                options["classes"] = checkInteger("Dataset", "classes", classes, 2, 100)
            x, labels = toydata.GENERATORS[self.name](train_size + test_size, rng=rng, **options)
            order = rng.permutation(len(x))   # the generators return the classes in blocks
        classCount = int(labels.max()) + 1 if self.name != "spiral" else options.get("classes", 3)
        oneHot = np.eye(classCount, dtype=self.dtype)[labels]
        train, test = order[:train_size], order[train_size:train_size + test_size]
        if self.name == "iris":
            # Standardised with the training split only: the test flowers stay unseen.
            self.featureMean, self.featureStd = x[train].mean(axis=0), x[train].std(axis=0)
            x = (x - self.featureMean) / self.featureStd
        self.x_train, self.y_train = x[train].astype(self.dtype), oneHot[train]
        self.x_test, self.y_test = x[test].astype(self.dtype), oneHot[test]

    def _loadArrays(self, x_train, y_train, x_test, y_test, train_size, test_size):
        if x_train is None or y_train is None:
            raise ValueError("Dataset: x_train and y_train must be given together")
        if (x_test is None) != (y_test is None):
            raise ValueError("Dataset: x_test and y_test must be given together")
        for split, x, y, size in (("train", x_train, y_train, train_size), ("test", x_test, y_test, test_size)):
            if x is None:
                setattr(self, f"x_{split}", None)
                setattr(self, f"y_{split}", None)
                continue
            x = np.asarray(x, dtype=self.dtype)
            y = np.asarray(y, dtype=self.dtype)
            if y.ndim == 1:
                y = y[:, np.newaxis]
            if x.ndim != 2 or y.ndim != 2:
                raise ValueError(f"Dataset: x_{split} must be (n, features) and y_{split} (n, outputs), "
                                 f"got shapes {x.shape} and {y.shape}")
            if len(x) != len(y) or len(x) == 0:
                raise ValueError(f"Dataset: x_{split} has {len(x)} samples but y_{split} has {len(y)}; "
                                 f"they must match and be at least 1")
            if size is not None:
                size = checkInteger("Dataset", f"{split}_size", size, 1, len(x))
                x, y = x[:size], y[:size]
            _checkFinite(f"x_{split}", x)
            _checkFinite(f"y_{split}", y)
            setattr(self, f"x_{split}", x)
            setattr(self, f"y_{split}", y)

    def __len__(self):
        """Mini-batches per epoch."""
        return -(-len(self.x_train) // self.batch_size)

    def __iter__(self):
        """Yield ``(x, y)`` training mini-batches, reshuffled on every pass.

        Without shuffling the batches are views (no copy); with it, each is
        gathered once with ``numpy.take``.
        """
        n = len(self.x_train)
        order = self._rng.permutation(n) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                yield self.x_train[start:start + self.batch_size], self.y_train[start:start + self.batch_size]
            else:
                indices = order[start:start + self.batch_size]
                yield self.x_train.take(indices, axis=0), self.y_train.take(indices, axis=0)

    def __repr__(self):
        test = 0 if self.x_test is None else len(self.x_test)
        source = f"name={self.name!r}, " if self.name else ""
        return (f"Dataset({source}train_size={len(self.x_train)}, test_size={test}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, seed={self.seed!r})")
