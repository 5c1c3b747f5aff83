"""Saving models to files and loading them back, without pickle.

A model is saved as one ``.npz`` archive of plain arrays: a JSON string
``architecture`` (format version, dtype, optimizers with their
hyperparameters, and for each layer its sizes, activation and optimizer),
then ``layer{i}.W``, ``layer{i}.b`` and the optimizer state of each,
``layer{i}.W.m`` and so on. Models made of several networks store each
under its own prefix in one archive.

Loading checks the whole archive before allocating anything: a file that
declares a layer of 10**12 inputs with a small stored ``W`` is refused at
once, and no array is ever broadcast into a place of another shape. Files of
format 1, written by deepbasics before its core redesign (in any of the three
layouts it had), load too.

>>> import os, tempfile
>>> import numpy as np
>>> from nn import MLP
>>> from layers import Dense
>>> model = MLP()
>>> model.addLayer(Dense(3, 2, seed=0))
>>> path = model.save(os.path.join(tempfile.mkdtemp(), "model"))
>>> np.array_equal(MLP.load(path).layers[0].W, model.layers[0].W)
True
"""

import json
import math
import os

import numpy as np

import activations
import optimizer as optimizerModule
from files import writeAtomically
from folders import readFolder, readNpyHeader
from layers import Dense

MLP_FORMAT = 2    # version of an MLP's part of the archive

# Each kind of model file by the record only it has at the top: an MLP's architecture, the others' settings.
KINDS = {"architecture": ("an", "MLP"), "autoencoder": ("an", "Autoencoder"), "vae": ("a", "VAE"), "gan": ("a", "GAN")}
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError, IndexError)


class Saveable:
    """What saving and loading need of a model, and the ``save`` and ``load`` every model inherits.

    An ``MLP`` writes its own arrays (``toArrays``, ``fromArrays``). A model
    made of parts names them in ``PARTS`` (name -> class, each part itself
    saveable), keeps its own settings in ``record()`` (JSON values, stored as
    ``RECORD`` with the layout's version ``FORMAT``) and is rebuilt from both
    by ``fromParts``; each part is stored under its name as prefix.
    """

    PARTS = {}      # name -> class of each saved part
    RECORD = None   # the name of the model's own settings in a saved file
    FORMAT = 1      # the version of that record's layout

    def __init_subclass__(cls, **keywords):
        # A model of one's own is a kind of file too: loading it with another load names the right one.
        super().__init_subclass__(**keywords)
        if "RECORD" in cls.__dict__ and cls.FORMAT is not None and cls.RECORD not in KINDS:
            KINDS[cls.RECORD] = ("an" if cls.__name__[0] in "AEIOU" else "a", cls.__name__)

    def save(self, path):
        """Write the whole model (architecture, weights, optimizer state, settings) to one ``.npz`` file.

        The file holds only numeric arrays and JSON strings, so ``load``
        never needs pickle. It is written atomically (a failed save keeps
        the old file); ``.npz`` is appended when missing. Returns the path.
        """
        return writeArchive(path, self.toArrays())

    @classmethod
    def load(cls, path):
        """Rebuild a model written by ``save``: same parts, weights, optimizer state and settings.

        The whole file is checked before anything is allocated; a file that
        is unreadable, of another kind, or inconsistent raises ``ValueError``
        naming the file and the part. A folder is the teaching system's
        layout (see :mod:`folders`), read into the same arrays as a file.
        """
        source, owner = os.fspath(path), f"{cls.__name__}.load"
        arrays = readFolder(source, kind=cls) if os.path.isdir(source) else readArchive(source, owner)
        kinds = [KINDS[key] for key in KINDS if key in arrays]
        if kinds and cls.RECORD not in arrays:
            article, kind = kinds[0]
            raise ValueError(f"{owner}: {source} is not a deepbasics {cls.__name__} file: it holds {article} {kind}; "
                             f"read it with {kind}.load")
        return cls.fromArrays(arrays, source=source)

    def toArrays(self, prefix=""):
        """Everything ``save`` writes, as a dict of arrays whose names start with ``prefix``.

        The model's record, then each part under its own prefix: a VAE's file
        holds ``vae`` (``{"format": 1}``), then its encoder's arrays as
        ``encoder.architecture``, ``encoder.layer0.W``, ..., its sampler's as
        ``sampler.mean.layer0.W``, ..., ``sampler.rng``, and its decoder's.
        """
        record = self.record() if self.FORMAT is None else {"format": self.FORMAT, **self.record()}
        arrays = {prefix + self.RECORD: np.array(json.dumps(record))}
        for name in self.PARTS:
            arrays.update(getattr(self, name).toArrays(f"{prefix}{name}."))
        return arrays

    @classmethod
    def fromArrays(cls, arrays, prefix="", source="arrays", owner=None):
        """The model that ``toArrays(prefix)`` described: its record and every part checked, nothing unknown allowed.

        Errors name ``owner`` (the ``load`` that was called), ``source`` and the part.
        """
        owner = owner or f"{cls.__name__}.load"
        where = f"{owner}: {_where(source, prefix)}"
        key = prefix + cls.RECORD
        try:
            record = json.loads(str(arrays[key]))
        except _MALFORMED as error:
            raise ValueError(f"{where} is not a valid deepbasics {cls.__name__} file: its part {key!r} is missing "
                             f"or not JSON ({type(error).__name__})") from error
        if cls.FORMAT is not None:
            if not isinstance(record, dict) or type(record.get("format")) is not int or record["format"] != cls.FORMAT:
                found = record.get("format") if isinstance(record, dict) else record
                raise ValueError(f"{where}: part {key!r} has format {found!r}; this version of deepbasics "
                                 f"reads format {cls.FORMAT}")
            del record["format"]   # the layout's version, checked: not a setting
        owned = tuple(f"{prefix}{name}." for name in cls.PARTS)
        unexpected = sorted(name for name in arrays
                            if name.startswith(prefix) and name != key and not name.startswith(owned))
        if unexpected:
            raise ValueError(f"{where} has unexpected parts {unexpected}")
        parts = {name: part.fromArrays(arrays, f"{prefix}{name}.", source=source, owner=owner)
                 for name, part in cls.PARTS.items()}
        try:
            return cls.fromParts(record, parts)
        except _MALFORMED as error:
            raise ValueError(f"{where}: part {key!r} or the parts it joins are invalid "
                             f"({type(error).__name__}: {error})") from error

    def record(self):
        """The model's own settings (JSON values) that ``save`` stores beside its parts."""
        return {}

    @classmethod
    def fromParts(cls, record, parts):
        """The model rebuilt from its ``record()`` and its loaded ``parts`` (name -> part)."""
        return cls(**parts)


def _where(source, prefix):
    """``"model.npz (sampler.mean)"``: the file, and the part of it that ``prefix`` names."""
    return f"{source} ({prefix[:-1]})" if prefix else source


def modelArrays(model, prefix=""):
    """Everything ``MLP.save`` writes about ``model``, as a dict of arrays whose names start with ``prefix``."""
    optimizers = list({id(layer.optimizer): layer.optimizer for layer in model.layers}.values())   # each once, in order
    architecture = {
        "format": MLP_FORMAT, "dtype": model.dtype.name,
        "optimizers": [{"name": type(o).__name__, "config": o.config()} for o in optimizers],
        "layers": [{"inputDim": layer.inputDim, "outputDim": layer.outputDim,
                    "activation": {"name": type(layer.activation).__name__, "config": layer.activation.config()},
                    "optimizer": next(i for i, o in enumerate(optimizers) if o is layer.optimizer),
                    "trainable": bool(layer.trainable)}
                   for layer in model.layers]}
    arrays = {prefix + "architecture": np.array(json.dumps(architecture))}
    for index, layer in enumerate(model.layers):
        for name in ("W", "b"):
            arrays[f"{prefix}layer{index}.{name}"] = getattr(layer, name)
            for key, value in layer.optimizerState[name].items():
                arrays[f"{prefix}layer{index}.{name}.{key}"] = np.asarray(value)
    return arrays


def modelFromArrays(cls, arrays, prefix="", source="arrays", owner=None):
    """The ``cls`` (an MLP) that ``modelArrays`` described, after checking every part before allocating.

    Errors name ``owner`` (the ``load`` that was called), ``source`` and the part (``prefix``).
    """
    def fail(problem):
        raise ValueError(f"{owner or cls.__name__ + '.load'}: {_where(source, prefix)} is not a valid deepbasics "
                         f"model file: {problem}")

    spec = _readArchitecture(arrays, prefix, fail)
    if spec["format"] == 1:
        arrays = _fromFormat1(arrays, spec, fail)
    dtype = np.dtype(spec["dtype"])
    expected = {prefix + "architecture"}
    for index, layer in enumerate(spec["layers"]):
        shapes = {"W": (layer["outputDim"], layer["inputDim"]), "b": (layer["outputDim"],)}
        stateKeys = {name: {k for k in arrays if k.startswith(f"{prefix}layer{index}.{name}.")} for name in shapes}
        hasState = any(stateKeys.values())   # W and b are stepped together: both have a full state, or neither
        for name, shape in shapes.items():
            key = f"{prefix}layer{index}.{name}"
            _checkArray(arrays, key, shape, fail, dtype)
            wanted = {f"{key}.{k}" for k in spec["optimizers"][layer["optimizer"]].stateKeys()} if hasState else set()
            if stateKeys[name] != wanted:
                fail(f"optimizer state of {key} has {sorted(stateKeys[name])}, expected {sorted(wanted)}")
            for stateKey in wanted:
                _checkArray(arrays, stateKey, () if stateKey.endswith(".t") else shape, fail, dtype)
            if f"{key}.v" in wanted and np.any(arrays[f"{key}.v"] < 0):
                fail(f"{key}.v holds negative second moments")
            expected |= {key} | wanted
        steps = {int(arrays[k]) for keys in stateKeys.values() for k in keys if k.endswith(".t")}
        if len(steps) > 1:
            fail(f"the step counts of layer {index}'s W and b differ: {sorted(steps)}")
    unexpected = sorted(k for k in arrays if k.startswith(prefix) and k not in expected)
    if unexpected:
        fail(f"unexpected parts {unexpected}")

    model = cls(dtype=dtype)
    for index, layer in enumerate(spec["layers"]):
        dense = Dense(layer["inputDim"], layer["outputDim"], activation=layer["activation"],
                      optimizer=spec["optimizers"][layer["optimizer"]], dtype=dtype, trainable=layer["trainable"])
        for name in ("W", "b"):
            key = f"{prefix}layer{index}.{name}"
            setattr(dense, name, arrays[key].astype(dtype))
            dense.optimizerState[name] = {
                stateKey[len(key) + 1:]: int(value) if value.ndim == 0 else value.astype(dtype)
                for stateKey, value in arrays.items() if stateKey.startswith(key + ".")}
        model.addLayer(dense)
    return model


def _readArchitecture(arrays, prefix, fail):
    """The architecture's JSON, checked part by part, with activations and optimizers built."""
    text = arrays.get(prefix + "architecture")
    if not isinstance(text, np.ndarray) or text.shape != () or text.dtype.kind != "U":
        fail(f"no architecture string at {prefix + 'architecture'!r}")
    try:
        spec = json.loads(str(text))
    except (ValueError, RecursionError) as error:
        fail(f"the architecture is not JSON ({error})")
    if not isinstance(spec, dict) or type(spec.get("format")) is not int or spec["format"] not in (1, MLP_FORMAT):
        fail(f"format {spec.get('format') if isinstance(spec, dict) else None!r}, "
             f"expected 1 or {MLP_FORMAT} (this version of deepbasics reads formats 1 to {MLP_FORMAT})")
    if spec["format"] == 1 and prefix:
        fail(f"format 1 holds a single MLP, not parts such as {prefix!r}")
    if spec.get("dtype") not in ("float32", "float64"):
        fail(f"dtype {spec.get('dtype')!r}, expected 'float32' or 'float64'")
    try:
        optimizers = [optimizerModule.fromConfig(o["name"], o["config"]) for o in spec["optimizers"]]
        layers = [{"inputDim": layer["inputDim"], "outputDim": layer["outputDim"], "optimizer": layer["optimizer"],
                   "activation": activations.fromConfig(layer["activation"]["name"], layer["activation"]["config"]),
                   "trainable": layer.get("trainable", True)}   # files written before trainable existed: True
                  for layer in spec["layers"]]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        fail(f"malformed architecture ({type(error).__name__}: {error})")
    if not layers:
        fail("the architecture has no layers")
    for index, layer in enumerate(layers):
        for name in ("inputDim", "outputDim"):
            if type(layer[name]) is not int or layer[name] < 1:
                fail(f"layer {index} has {name}={layer[name]!r}, expected a positive integer")
        if type(layer["trainable"]) is not bool:
            fail(f"layer {index} has trainable={layer['trainable']!r}, expected true or false")
        if type(layer["optimizer"]) is not int or not 0 <= layer["optimizer"] < len(optimizers):
            fail(f"layer {index} refers to optimizer {layer['optimizer']!r}, but the file has {len(optimizers)}")
        if index and layer["inputDim"] != layers[index - 1]["outputDim"]:
            fail(f"layer {index} has inputDim={layer['inputDim']} but layer {index - 1} "
                 f"has outputDim={layers[index - 1]['outputDim']}")
    return {"format": spec["format"], "dtype": spec["dtype"], "optimizers": optimizers, "layers": layers}


def _fromFormat1(arrays, spec, fail):
    """The arrays of a format 1 file (deepbasics before its core redesign) under format 2's names.

    Three layouts carried format 1. The first kept optimizer state per array,
    ``layer{i}.W.m`` and so on, as format 2 does. The two later ones kept the
    state of a layer's ``W`` and ``b`` together, for the vector ``theta =
    (W.ravel(), b)``: ``layer{i}.theta.t`` with Adam's moments ``.m`` and
    ``.v``, or with its weighted sums ``.M`` and ``.V`` instead
    (``M = sum beta_1^(t-i) g_i``, so that ``m = (1 - beta_1) M`` and
    ``v = (1 - beta_2) V``); ``.velocity`` for SGD with momentum. All three
    saved a model that had not trained yet with a step count of 0 and zero
    moments: no state at all, today.
    """
    for key in [key for key in arrays if key.endswith(".t") and arrays[key].shape == () and arrays[key] == 0]:
        state = [other for other in arrays if other.startswith(key[:-1])]   # the t, m, v of one parameter
        if not any(np.any(arrays[other]) for other in state):
            arrays = {other: value for other, value in arrays.items() if other not in state}
    if not any(".theta." in key for key in arrays):
        return arrays
    layers = range(len(spec["layers"]))
    known = {"architecture"} | {f"layer{index}.{name}" for index in layers for name in ("W", "b")}
    unexpected = sorted(key for key in arrays if key not in known
                        and not any(key.startswith(f"layer{index}.theta.") for index in layers))
    if unexpected:
        fail(f"unexpected parts {unexpected}")
    upgraded = {key: arrays[key] for key in known if key in arrays}
    for index, layer in enumerate(spec["layers"]):
        optimizer = spec["optimizers"][layer["optimizer"]]
        prefix = f"layer{index}.theta."
        stored = {key[len(prefix):] for key in arrays if key.startswith(prefix)}
        if not stored:
            continue
        if not isinstance(optimizer, optimizerModule.Adam):
            scales = {"velocity": 1.0}
        elif "M" in stored:
            scales = {"t": None, "M": 1 - optimizer.beta_1, "V": 1 - optimizer.beta_2}
        else:
            scales = {"t": None, "m": 1.0, "v": 1.0}
        if stored != set(scales):
            fail(f"optimizer state of layer {index} has {sorted(stored)}, expected {sorted(scales)}")
        outputDim, inputDim = layer["outputDim"], layer["inputDim"]
        for name, scale in scales.items():
            _checkArray(arrays, prefix + name, () if name == "t" else (outputDim * (inputDim + 1),), fail)
            if name == "t":
                upgraded[f"layer{index}.W.t"] = upgraded[f"layer{index}.b.t"] = arrays[prefix + name]
                continue
            value = arrays[prefix + name] * scale
            upgraded[f"layer{index}.W.{name.lower()}"] = value[:outputDim * inputDim].reshape(outputDim, inputDim)
            upgraded[f"layer{index}.b.{name.lower()}"] = value[outputDim * inputDim:]
    return upgraded


def _checkArray(arrays, key, shape, fail, dtype=np.float64):
    """Fail unless ``arrays[key]`` exists with exactly ``shape`` (a step count: an integer >= 1).

    Floats must be finite in ``dtype``, the model's: 1e39 is finite in a
    float64 file but would become inf in a float32 model.
    """
    if key not in arrays:
        fail(f"missing {key!r}")
    array = arrays[key]
    isStepCount = shape == ()   # of integers; every other array holds floats
    if array.shape != shape or array.dtype.kind not in ("iu" if isStepCount else "f"):
        fail(f"{key!r} has shape {array.shape} and dtype {array.dtype}, expected shape {shape} "
             f"of {'integers' if isStepCount else 'floats'}")
    if not isStepCount and not (np.isfinite(array).all() and np.abs(array).max() <= np.finfo(dtype).max):
        fail(f"{key!r} holds values that are not finite in {np.dtype(dtype).name}")
    if isStepCount and array < 1:
        fail(f"{key!r} is {array}, expected a step count of at least 1")


def writeArchive(path, arrays):
    """Write a dict of arrays to one ``.npz`` file, atomically (see :mod:`files`); return the path.

    An interrupted or failed save never leaves a half-written file and keeps
    the old one. ``.npz`` is appended when missing, as ``numpy.savez`` does.
    """
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    return writeAtomically(path, lambda file: np.savez(file, **arrays))


def readArchive(path, owner="MLP.load"):
    """Every array of a ``.npz`` file written by ``writeArchive``, as a dict; never unpickles.

    Each member's header is read first, and a member whose declared shape
    needs more bytes than it stores is refused before anything is allocated.

    Raises
    ------
    ValueError
        Naming the file, when it is empty, truncated, corrupt, not an
        ``.npz`` archive, holds Python objects, declares more than it holds,
        or inflates to far more than its size (a "zip bomb").
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{owner}: there is no file {path} (a model written by model.save(path))")
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        start = file.read(4)
    if start != b"PK\x03\x04":   # NumPy would take anything else for a pickle, and advise allow_pickle
        raise ValueError(f"{owner}: {path} is not a readable deepbasics model file: model files are .npz (zip) "
                         f"archives, which begin with b'PK\\x03\\x04', but this one begins with {start!r}")
    try:
        with np.load(path, allow_pickle=False) as archive:   # an NpzFile: the file begins as a zip archive does
            members = archive.zip.infolist()
            inflated = sum(member.file_size for member in members)
            if inflated > 100 * size + 2**20:
                raise ValueError(f"its {size:,} bytes inflate to {inflated:,}")
            for member in members:
                _checkHeader(archive.zip, member)
            return {name: archive[name] for name in archive.files}
    except Exception as error:   # whatever an unreadable file makes zipfile or NumPy raise
        raise ValueError(f"{owner}: {path} is not a readable deepbasics model file "
                         f"({type(error).__name__}: {error})") from error


def _checkHeader(archive, member):
    """Refuse a member whose ``.npy`` header declares objects, or more bytes than the member holds."""
    with archive.open(member) as file:
        shape, _, dtype = readNpyHeader(file)
    if dtype.hasobject:
        raise ValueError(f"{member.filename} holds Python objects, which would need pickle")
    needed = math.prod(shape) * dtype.itemsize
    if needed > member.file_size:
        raise ValueError(f"{member.filename} declares shape {shape} ({needed:,} bytes) "
                         f"but holds {member.file_size:,} bytes")
