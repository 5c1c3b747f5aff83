"""Argument checks shared by every module: one place, one wording.

Each function returns the checked value (converted where that helps) or
raises ``TypeError`` for a value of the wrong type and ``ValueError`` for a
value out of range, naming the owner, the argument and the value given.

>>> checkInteger("train", "epochs", 3)
3
>>> checkInteger("train", "epochs", 2.5)
Traceback (most recent call last):
    ...
TypeError: train: epochs must be a positive integer, got float 2.5
"""

import itertools
import math
import numbers

import numpy as np


def checkInteger(owner, name, value, low=1, high=None):
    """Return ``value`` as an int if it is an integer in ``[low, high]``."""
    wanted = "a positive integer" if low == 1 else f"an integer of at least {low}"
    if high is not None:
        wanted = f"an integer between {low} and {high}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be {wanted}, got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{owner}: {name} must be {wanted}, got {value}")
    return int(value)


def checkNumber(owner, name, value, low, high=None, closed="left"):
    """Return ``value`` as a float if it is a finite real number between ``low`` and ``high``.

    ``closed`` says which ends belong to the interval, as in ``pandas.Interval``:
    ``"left"`` (``[low, high)``, the default), ``"right"``, ``"both"`` or
    ``"neither"``. ``high=None`` leaves it open above; nan and inf are refused.
    """
    if closed not in ("left", "right", "both", "neither"):
        raise ValueError(f"checkNumber: closed must be 'left', 'right', 'both' or 'neither', got {closed!r}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    try:
        value = float(value)
    except OverflowError:   # an int beyond any float, e.g. 10**400
        value = math.inf if value > 0 else -math.inf
    lowIn, highIn = closed in ("left", "both"), closed in ("right", "both") and high is not None
    high = math.inf if high is None else high
    if not (math.isfinite(value) and (low <= value if lowIn else low < value)
            and (value <= high if highIn else value < high)):
        interval = f"{'[' if lowIn else '('}{low}, {high}{']' if highIn else ')'}"
        raise ValueError(f"{owner}: {name} must be in {interval}, got {value!r}")
    return value


def checkBounds(owner, name, bounds):
    """``bounds`` as floats ``(low, high)``; ``ValueError`` naming ``owner`` and ``name`` unless low < high."""
    low, high = (float(bound) for bound in bounds)
    if not low < high:
        raise ValueError(f"{owner}: {name} must be (low, high) with low < high, got {bounds!r}")
    return low, high


def checkInstance(owner, name, value, kind, example):
    """Return ``value`` if it is an instance of ``kind``; ``example`` shows what to pass."""
    if isinstance(value, type) and issubclass(value, kind):   # CrossEntropy for CrossEntropy()
        raise TypeError(f"{owner}: {name} must be {example}, got the class {value.__name__} itself; "
                        f"create one: {value.__name__}()")
    if not isinstance(value, kind):
        raise TypeError(f"{owner}: {name} must be {example}, got {type(value).__name__} {value!r}")
    return value


def checkMetrics(owner, metrics, known, dataset):
    """Return ``metrics`` if it is a list of names from ``known``; a test metric needs ``dataset.x_test``."""
    if not isinstance(metrics, (list, tuple)) or not all(isinstance(name, str) for name in metrics):
        raise TypeError(f"{owner}: metrics must be a list of names, got {metrics!r}")
    unknown = [name for name in metrics if name not in known]
    if unknown:
        raise ValueError(f"{owner}: unknown metric(s) {unknown}; known metrics: {list(known)}")
    if any(name.startswith("test") for name in metrics) and getattr(dataset, "x_test", None) is None:
        raise ValueError(f"{owner}: metrics {list(metrics)} need a test set, but the dataset has none")
    return metrics


def checkDataset(owner, dataset, widths):
    """Return ``dataset`` if it has the training arrays ``widths`` names, each (and its test twin) fitting.

    ``widths`` maps ``"x"`` (and ``"y"`` where labels are used) to ``(columns,
    who)``: ``x_train`` and ``x_test`` must be ``(n, columns)``, or the error
    says that ``who`` (e.g. "the network") needs that many.
    """
    wanted = [f"{part}_train" for part in widths]
    if not all(hasattr(dataset, name) for name in wanted):
        given = (f"an array of shape {dataset.shape}; wrap arrays in one: Dataset(x_train=x, y_train=y)"
                 if isinstance(dataset, np.ndarray) else repr(dataset))
        raise TypeError(f"{owner}: dataset must be a Dataset (with {', '.join(wanted)}), got {given}")
    for part, (columns, who) in widths.items():
        for split in ("train", "test"):
            array = getattr(dataset, f"{part}_{split}", None)
            if array is not None and (np.ndim(array) != 2 or np.shape(array)[1] != columns):
                raise ValueError(f"{owner}: dataset.{part}_{split} has shape {np.shape(array)}, but {who} "
                                 f"needs {columns} columns")
    return dataset


def checkFloatType(owner, dtype):
    """Return ``numpy.dtype(dtype)`` if it is float32 or float64, the two dtypes deepbasics computes in."""
    try:
        dtype = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{owner}: dtype must be numpy.float32 or numpy.float64, got {dtype!r}") from error
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"{owner}: dtype must be numpy.float32 or numpy.float64, got {dtype}")
    return dtype


def checkChain(owner, parts, reconstructs=False):
    """Return ``parts``, ``(name, part)`` pairs in the order data flows, if they fit together.

    The parts must be distinct objects with layers, each one's ``outputDim`` the
    next one's ``inputDim``, all of one ``dtype``; when the chain ``reconstructs``
    its input, the last one's ``outputDim`` must also be the first one's ``inputDim``.
    """
    for name, part in parts:
        # Asked first, since an MLP without layers cannot tell its widths (its inputDim raises).
        if hasattr(part, "layers") and not part.layers:
            raise ValueError(f"{owner}: the {name} has no layers yet; add some with addLayer(Dense(...))")
        if not all(hasattr(part, attribute) for attribute in ("inputDim", "outputDim", "dtype")):
            raise TypeError(f"{owner}: the {name} must be a network with inputDim, outputDim and dtype, "
                            f"got {type(part).__name__} {part!r}")
    for (name, part), (otherName, other) in itertools.combinations(parts, 2):
        if part is other:
            raise ValueError(f"{owner}: the {name} and the {otherName} are the same {type(part).__name__} "
                             f"object; give two separate ones")
    links = [(part, nextPart, "") for part, nextPart in zip(parts, parts[1:])]
    if reconstructs:   # the last part's output stands for the first part's input
        links.append((parts[-1], parts[0], ", since it reconstructs the input"))
    for (name, part), (nextName, nextPart), why in links:
        if part.outputDim != nextPart.inputDim:
            # A VAE's Sampler is built with latentDim, which is its outputDim.
            output = "latentDim" if hasattr(part, "latentDim") else "outputDim"
            raise ValueError(f"{owner}: the {name}'s {output}={part.outputDim} must equal the "
                             f"{nextName}'s inputDim={nextPart.inputDim}{why}")
    firstName, first = parts[0]
    for name, part in parts[1:]:
        if part.dtype != first.dtype:
            raise ValueError(f"{owner}: the {firstName}'s dtype={first.dtype} must equal the {name}'s "
                             f"dtype={part.dtype}; build every part with the same dtype")
    return parts
