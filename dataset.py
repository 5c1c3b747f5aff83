"""Data sets: MNIST, Fashion-MNIST, toy sets, or your own arrays, served in mini-batches.

>>> import numpy as np
>>> data = Dataset(x_train=np.zeros((10, 3)), y_train=np.ones((10, 1)), batch_size=4, seed=0)
>>> len(data), [x.shape for x, y in data]
(3, [(4, 3), (4, 3), (2, 3)])

Integer class labels are one-hot encoded, floats are targets as they are, and
the default batch of 50 shrinks to fit a smaller set:

>>> labelled = Dataset(x_train=np.zeros((4, 3)), y_train=[0, 2, 1, 2])
>>> labelled.y_train
array([[1., 0., 0.],
       [0., 0., 1.],
       [0., 1., 0.],
       [0., 0., 1.]], dtype=float32)
>>> labelled.batch_size, Dataset(x_train=np.zeros((4, 3)), y_train=[0.5, 2.0, 1.0, 2.0]).y_train.shape
(4, (4, 1))

The named sets are read from the four official IDX files (``.gz`` or not) in
``<data_dir>/<name>/``. ``data_dir`` is the argument, else the environment
variable ``DEEPBASICS_DATA_DIR``, else ``~/.cache/deepbasics``. Missing files
are downloaded from public mirrors (``download.py``), checked against the
SHA-256 of their decompressed content, and only then written. IDX files are
read by ``idx.py``; ``readImage`` (``images.py``) is here too.

The toy sets ``"xor"``, ``"spiral"``, ``"moons"``, ``"circles"`` (generated,
2-D) and ``"iris"`` (shipped) come from ``toydata.py``:

>>> spiral = Dataset(name="spiral", train_size=300, test_size=60, classes=3, seed=0)
>>> spiral.x_train.shape, spiral.y_train.shape, spiral.x_test.shape
((300, 2), (300, 3), (60, 2))
"""

import mmap
import numbers
import os
import warnings

import numpy as np

import toydata
from checks import checkFloatType, checkInteger, checkNumber
from download import downloadMissing
from idx import readIdx
from images import readImage  # noqa: F401  (documented here: `from dataset import readImage`)

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
BATCH_SIZE = 50   # the chapter's
# Default (train_size, test_size) of the toy sets; Iris has 150 rows in all.
TOY_SIZES = {**{name: (1000, 200) for name in toydata.GENERATORS}, "iris": (120, 30)}
NAMES = list(SHA256) + list(TOY_SIZES)


# ------------------------------------------------------------ the named sets
def _findFiles(folder):
    """``{part: path or None}`` of the four IDX files in ``folder`` (``.gz`` or not), and those missing."""
    candidates = {part: [os.path.join(folder, name + ending) for ending in ("", ".gz")] for part, name in FILES.items()}
    paths = {part: next(filter(os.path.isfile, both), None) for part, both in candidates.items()}
    return paths, [FILES[part] for part, path in paths.items() if path is None]


def fetch(name, data_dir=None, download=True, mirror=None, *, dataDir=None):
    """Return ``{part: path}`` for the four IDX files of ``name``, downloading missing ones.

    ``data_dir``, ``download`` and ``mirror`` mean what they mean for
    ``Dataset``. (The old keyword ``dataDir=`` still works, with a
    ``DeprecationWarning``.)
    """
    if dataDir is not None:
        if data_dir is not None:
            raise TypeError(f"fetch: got data_dir={data_dir!r} and its old name dataDir={dataDir!r}; give data_dir")
        warnings.warn("fetch(dataDir=...) is deprecated; use fetch(data_dir=...), as for Dataset", DeprecationWarning,
                      stacklevel=2)
    data_dir = data_dir or dataDir or os.environ.get(ENVIRONMENT_VARIABLE) or os.path.join("~", ".cache", "deepbasics")
    folder = os.path.join(os.path.expanduser(os.fspath(data_dir)), name)
    paths, missing = _findFiles(folder)
    failures = []
    if missing and download:
        mirrors = MIRRORS[name] if mirror is None else ([mirror] if isinstance(mirror, str) else list(mirror))
        failures = downloadMissing(mirrors, folder, {fileName: SHA256[name][fileName] for fileName in missing})
        paths, missing = _findFiles(folder)
    if not missing:
        return paths
    reason = ("downloading failed:\n  " + "\n  ".join(failures)) if failures else "download=False"
    raise FileNotFoundError(
        f"{name}: missing {', '.join(missing)} (.gz or uncompressed) in {folder}; {reason}\n"
        f"Put the official IDX files there, or point the environment variable {ENVIRONMENT_VARIABLE} "
        f"(or data_dir=...) at a folder that holds {name}/.")


# ------------------------------------------------------------------ Dataset
def _emptyArray(shape, dtype):
    """Like ``numpy.empty``, in an anonymous memory map of its own.

    NumPy asks the kernel for transparent huge pages on arrays of 4 MB and
    more; where the kernel then compacts memory synchronously (THP defrag set
    to "madvise"), filling MNIST's 188 MB took 0.7 s instead of 0.14 s. Plain
    pages avoid that wait; the array is freed like any other.
    """
    count = int(np.prod(shape))
    return np.frombuffer(mmap.mmap(-1, max(count * dtype.itemsize, 1)), dtype=dtype, count=count).reshape(shape)


def _oneHot(labels, classes, dtype):
    """``(n, classes)`` rows of zeros with a 1 in the column of each label; ``labels (n,)`` in ``[0, classes)``."""
    return (labels[:, np.newaxis] == np.arange(classes)).astype(dtype)


def _checkSize(split, size, largest, default=None):
    """``train_size`` or ``test_size`` (``split`` says which) checked to be 1 to ``largest``.

    None gives ``default``, or ``largest`` when there is no default: all the samples there are.
    """
    if size is None:
        return largest if default is None else default
    return checkInteger("Dataset", f"{split}_size", size, 1, largest)


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
    batch_size : int, optional
        Samples per mini-batch, at most the number of training samples; the
        last batch of an epoch may be smaller. Default 50 (the chapter's),
        or all the training samples when there are fewer, as in Keras.
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
        Your own data instead: ``x (n, features)`` and ``y``, which is
        either

        - integer class labels, ``(n,)`` or ``(n, 1)``, e.g. ``[0, 2, 1,
          ...]``: one-hot encoded as the named sets are, label ``k`` in
          column ``k``, with one column for each of 0 to y_train's largest
          label (``model.predict(x).argmax(axis=1)`` gives labels back).
          y_test's labels are encoded with y_train's classes and must be
          among them; a test set that lacks some classes is fine.
        - anything else (floats, booleans, 2-D integer arrays such as
          one-hot rows of your own): targets as they are, ``(n, outputs)``,
          a 1-D ``y`` as one column. To regress on integers, pass them as
          floats (``y.astype(float)``).
    dtype : numpy float type, default numpy.float32
        dtype of the arrays (use the model's).

    Attributes
    ----------
    x_train, x_test : ndarray (n, 784) in [0, 1] for MNIST, (n, 2) or (n, 4) for the toy sets
    y_train, y_test : ndarray (n, classes), one-hot for the named sets and for integer labels; else (n, outputs)
    """

    def __init__(self, name=None, train_size=None, test_size=None, batch_size=None, data_dir=None,
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
            for option, value, sets in (("noise", noise, "the generated sets"), ("classes", classes, "the spiral")):
                if value is not None:
                    raise ValueError(f"Dataset: {option}={value!r} is for {sets}, not for your own x_train/y_train")
            self.name = None
            self._loadArrays(x_train, y_train, x_test, y_test, train_size, test_size)
        n = len(self.x_train)
        if batch_size is None:
            batch_size = min(BATCH_SIZE, n)   # as in Keras, the default never asks for more than the data holds
        elif isinstance(batch_size, numbers.Integral) and batch_size > n:
            raise ValueError(f"Dataset: batch_size must be an integer between 1 and {n}, got {batch_size}: "
                             f"a mini-batch holds at most the {n} training samples")
        self.batch_size = checkInteger("Dataset", "batch_size", batch_size, 1, n)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def _loadNamed(self, train_size, test_size, data_dir, download, mirror):
        paths = fetch(self.name, data_dir, download, mirror)
        for split, size in (("train", train_size), ("test", test_size)):
            imagesPath, labelsPath = paths[f"{split}_images"], paths[f"{split}_labels"]
            images = readIdx(imagesPath)
            labels = readIdx(labelsPath)
            if images.ndim != 3 or images.shape[1:] != (28, 28):
                raise ValueError(f"{imagesPath}: expected images of shape (n, 28, 28), got {images.shape}")
            if labels.ndim != 1 or len(labels) != len(images):
                raise ValueError(f"{labelsPath}: expected {len(images)} labels to match {imagesPath}, "
                                 f"got shape {labels.shape}")
            if labels.max(initial=0) >= CLASSES:
                raise ValueError(f"{labelsPath}: labels must be 0 to 9, found {labels.max()}")
            size = _checkSize(split, size, len(images))
            # One conversion straight into the model's dtype: the only float copy.
            x = _emptyArray((size, images[0].size), self.dtype)
            np.divide(images[:size].reshape(size, -1), self.dtype.type(255), out=x)
            setattr(self, f"x_{split}", x)
            setattr(self, f"y_{split}", _oneHot(labels[:size], CLASSES, self.dtype))

    def _loadToy(self, train_size, test_size, noise, classes, seed):
        defaultTrain, defaultTest = TOY_SIZES[self.name]
        largest = 10 ** 7 if self.name != "iris" else 149
        train_size = _checkSize("train", train_size, largest, defaultTrain)
        test_size = _checkSize("test", test_size, largest, defaultTest)
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
            if classes is not None:   # the spiral's: __init__ refused it for the others
                options["classes"] = checkInteger("Dataset", "classes", classes, 2, 100)
            x, labels = toydata.GENERATORS[self.name](train_size + test_size, rng=rng, **options)
            order = rng.permutation(len(x))   # the generators return the classes in blocks
        classCount = int(labels.max()) + 1 if self.name != "spiral" else options.get("classes", 3)
        oneHot = _oneHot(labels, classCount, self.dtype)
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
        self.x_test = self.y_test = classes = None   # classes: y_train's, when it holds class labels
        for split, x, y, size in (("train", x_train, y_train, train_size), ("test", x_test, y_test, test_size)):
            if x is None:
                continue
            x, y = np.asarray(x, dtype=self.dtype), np.asarray(y)
            if y.dtype.kind not in "biuf":
                raise TypeError(f"Dataset: y_{split} must hold numbers (integer class labels, or floats for a "
                                f"regression target), got dtype {y.dtype}; turn class names into integers "
                                f"first, e.g. np.unique(y_{split}, return_inverse=True)[1]")
            if y.ndim == 1:
                y = y[:, np.newaxis]
            if x.ndim != 2 or y.ndim != 2:
                raise ValueError(f"Dataset: x_{split} must be (n, features) and y_{split} (n, outputs), "
                                 f"got shapes {x.shape} and {y.shape}")
            if len(x) != len(y) or len(x) == 0:
                raise ValueError(f"Dataset: x_{split} has {len(x)} samples but y_{split} has {len(y)}; "
                                 f"they must match and be at least 1")
            size = _checkSize(split, size, len(x))
            x, y = x[:size], y[:size]
            if split == "train" and y.dtype.kind in "iu" and y.shape[1] == 1:
                classes = int(y.max()) + 1
                # More classes than samples, and than ImageNet's 1,000: a regression target typed as integers.
                if classes > max(len(y), 1000):
                    raise ValueError(f"Dataset: y_train holds integer labels up to {classes - 1}, i.e. {classes} "
                                     f"classes for {len(y)} samples; for a regression target pass floats, "
                                     f"e.g. y_train.astype(float)")
            y = y.astype(self.dtype) if classes is None else self._oneHotLabels(split, y, classes)
            for name, array in ((f"x_{split}", x), (f"y_{split}", y)):
                # The smallest and largest values are NaN or infinite when any is, and need no temporary array.
                if not np.isfinite([array.min(initial=0), array.max(initial=0)]).all():
                    raise ValueError(f"Dataset: {name} contains NaN or infinite values")
                setattr(self, name, array)

    def _oneHotLabels(self, split, y, classes):
        """The integer labels ``y (n, 1)`` as one-hot rows of ``classes`` columns, label k in column k."""
        if y.dtype.kind not in "iu" or y.shape[1] != 1:
            raise ValueError(f"Dataset: y_train holds class labels, so y_{split} must too (integers of shape (n,)), "
                             f"got {y.dtype} of shape {y.shape}")
        low, high = y.min(), y.max()
        if low < 0 or high >= classes:
            raise ValueError(f"Dataset: y_{split} holds the label {low if low < 0 else high}, but the classes are "
                             f"0 to {classes - 1} (those of y_train; for a regression target pass floats)")
        return _oneHot(y[:, 0], classes, self.dtype)

    def __len__(self):
        """Mini-batches per epoch."""
        return -(-len(self.x_train) // self.batch_size)

    def __iter__(self):
        """Yield ``(x, y)`` training mini-batches, reshuffled on every pass.

        Without shuffling the batches are views (slices, no copy); with it,
        each is gathered once by its indices.
        """
        n = len(self.x_train)
        order = self._rng.permutation(n) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            batch = slice(start, start + self.batch_size) if order is None else order[start:start + self.batch_size]
            yield self.x_train[batch], self.y_train[batch]

    def __repr__(self):
        test = 0 if self.x_test is None else len(self.x_test)
        source = f"name={self.name!r}, " if self.name else ""
        return (f"Dataset({source}train_size={len(self.x_train)}, test_size={test}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, seed={self.seed!r})")
