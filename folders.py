"""Reading the model folders of the teaching system the chapter comes from.

The course behind the chapter saved a trained network as a folder with one
subfolder per dense layer, each holding three files::

    model/
        layer0/weight.npy     float64, shape (outputDim, inputDim): deepbasics' W
        layer0/bias.npy       float64, shape (outputDim,)
        layer0/dense.json     {"inputDim": 784, "outputDim": 100, "activation": "ReLU"}
        layer1/...

``activation`` is one of the class names ``Identity``, ``Sigmoid``,
``Tanh``, ``ReLU``, ``LeakyReLU`` (slope 0.01, deepbasics' default) and
``Softmax``. The names of the subfolders say what the folder holds:

==============================================  =========================================
subfolders                                      model
==============================================  =========================================
``layer0/``, ``layer1/``, ...                   a classifier (an ``MLP``), or an autoencoder
``encoder_layer0/``, ..., ``decoder_layer0/``   an ``Autoencoder``
the same with ``sampler_mean/``,                a ``VAE``; ``sampler.json`` holds
``sampler_logvar/`` and ``sampler.json``        ``{"inputDim": 256, "outputDim": 32}``
``generator_layer0/``, ...,                     a ``GAN``
``discriminator_layer0/``, ...
==============================================  =========================================

:func:`readFolder` turns such a folder into the same dict of arrays that a
deepbasics ``.npz`` file holds (see :mod:`saving`), so that everything after
reading, checking included, is the code that loads ``.npz`` files. The
folders hold no optimizer state: a loaded network trains on with a fresh
``Adam()`` (one per network, shared by its layers, as in the chapter) and
computes in float64, the dtype of the stored weights.

An ``Autoencoder`` read from a folder of ``layer*`` subfolders is split at
its code: the encoder ends with the narrowest layer (the first one, if
several are equally narrow; never the last), the decoder is the rest.

Reading is as strict as for ``.npz`` files, and nothing is used before the
whole folder has been checked: no pickle (``allow_pickle=False``), every
``.npy`` header's dtype and shape checked against ``dense.json`` before its
data is read, layer numbers from 0 without gaps, known activations only,
each layer's ``inputDim`` the previous one's ``outputDim``, and no file or
subfolder that the layout does not name. Every problem is a ``ValueError``
naming the file.

>>> import os, tempfile, json
>>> import numpy as np
>>> folder = tempfile.mkdtemp()
>>> os.mkdir(os.path.join(folder, "layer0"))
>>> np.save(os.path.join(folder, "layer0", "weight.npy"), np.ones((2, 3)))
>>> np.save(os.path.join(folder, "layer0", "bias.npy"), np.zeros(2))
>>> with open(os.path.join(folder, "layer0", "dense.json"), "w") as file:
...     json.dump({"inputDim": 3, "outputDim": 2, "activation": "Sigmoid"}, file)
>>> sorted(readFolder(folder))
['architecture', 'layer0.W', 'layer0.b']
"""

import json
import math
import os
import re

import numpy as np

import activations
import optimizer

ARCHIVE_FORMAT = 2    # the version of saving.py's archive layout that readFolder's arrays follow
COMPOSITE_FORMAT = 1  # the version of the Autoencoder's, VAE's and GAN's records in that layout
KINDS = ("MLP", "Autoencoder", "VAE", "GAN")
LAYER_FILES = {"weight.npy", "bias.npy", "dense.json"}
_LAYER = re.compile(r"(layer|encoder_layer|decoder_layer|generator_layer|discriminator_layer)(0|[1-9][0-9]*)")
_SAMPLER = {"sampler_mean", "sampler_logvar", "sampler.json"}
# Each model's networks, in the order its data passes through them.
_FAMILIES = {"MLP": ("layer",), "Autoencoder": ("encoder_layer", "decoder_layer"),
             "VAE": ("encoder_layer", "decoder_layer"), "GAN": ("generator_layer", "discriminator_layer")}
_DESCRIPTIONS = {"MLP": "an MLP (layer0/, ...)",
                 "Autoencoder": "an Autoencoder (encoder_layer0/, decoder_layer0/, ...)",
                 "VAE": "a VAE (encoder_layer0/, sampler_mean/, sampler_logvar/, decoder_layer0/, ...)",
                 "GAN": "a GAN (generator_layer0/, discriminator_layer0/, ...)"}
_JSON_LIMIT = 2**16   # bytes: a dense.json holds three short entries


def readFolder(path, kind=None, seed=None):
    """The arrays of a deepbasics ``.npz`` file for the teaching system's model folder ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The model folder.
    kind : None, "MLP", "Autoencoder", "VAE", "GAN", or one of those classes
        The model the caller loads (a subclass works too). None takes the
        folder's own kind, ``layer*`` subfolders being an MLP.
    seed : int or None, default None
        Seed of a VAE's sampler noise (the folder stores none).

    Returns
    -------
    dict from str to ndarray
        For an MLP, ``architecture`` (JSON), ``layer{i}.W`` ``(outputDim,
        inputDim)`` and ``layer{i}.b`` ``(outputDim,)``; for an Autoencoder,
        VAE or GAN the record (``autoencoder``, ``vae``, ``gan``) and each
        network's arrays under its prefix (``encoder.``, ``sampler.mean.``,
        ``generator.``, ...), as their ``save`` writes them.

    Raises
    ------
    ValueError
        Naming the file or subfolder, for anything the layout does not allow.
    """
    path = os.fspath(path)
    wanted = None if kind is None else _kindName(kind)
    owner = "readFolder" if wanted is None else f"{wanted}.load"

    def fail(culprit, problem):
        raise ValueError(f"{owner}: {culprit} {problem}")

    if not os.path.exists(path):
        raise FileNotFoundError(f"{owner}: no such folder: {path}")
    if not os.path.isdir(path):
        fail(path, "is not a model folder")
    networks, sampler = _scan(path, fail)
    found = _folderKind(path, networks, sampler, fail)
    wanted = wanted or found
    if wanted != found and not (wanted == "Autoencoder" and found == "MLP"):
        fail(path, f"holds {_DESCRIPTIONS[found]}, not {_DESCRIPTIONS[wanted]}; read it with {found}.load")
    networks = {name: [_readLayer(folder, fail) for folder in layers] for name, layers in networks.items()}
    sampler = {entry: _readJson(full, {"inputDim", "outputDim"}, fail) if entry == "sampler.json"
               else _readLayer(full, fail) for entry, full in sampler.items()}
    if wanted == "Autoencoder" and found == "MLP":
        networks = _splitAtCode(path, networks["layer"], fail)
    flow = [networks[name] for name in _FAMILIES[wanted]]
    if wanted == "VAE":   # the sampler sits between encoder and decoder
        _checkSampler(sampler, fail)
        flow.insert(1, [sampler["sampler.json"]])
    layers = [layer for network in flow for layer in network]
    for previous, layer in zip(layers, layers[1:]):   # each layer takes as many inputs as the one before gives
        if layer["inputDim"] != previous["outputDim"]:
            fail(layer["json"], f"says inputDim={layer['inputDim']}, but {previous['json']} says "
                                f"outputDim={previous['outputDim']}")
    if wanted == "Autoencoder" and layers[-1]["outputDim"] != layers[0]["inputDim"]:
        fail(layers[-1]["json"], f"says outputDim={layers[-1]['outputDim']}, but an autoencoder reconstructs "
                                 f"its input: expected {layers[0]['json']}'s inputDim={layers[0]['inputDim']}")
    return _archive(wanted, networks, sampler, seed, fail)   # everything is checked: only now is a weight read


def _archive(kind, networks, sampler, seed, fail):
    """The arrays that ``kind``'s ``save`` would write for these checked layers, with fresh optimizers."""
    if kind == "MLP":
        return _networkArrays(networks["layer"], "", fail)
    if kind == "Autoencoder":
        arrays = {"autoencoder": np.array(json.dumps({"format": COMPOSITE_FORMAT, "noise": None}))}
        parts = {"encoder.": networks["encoder_layer"], "decoder.": networks["decoder_layer"]}
    elif kind == "VAE":
        arrays = {"vae": np.array(json.dumps({"format": COMPOSITE_FORMAT})),
                  "sampler.random": np.array(json.dumps(np.random.PCG64(seed).state))}
        parts = {"encoder.": networks["encoder_layer"], "sampler.mean.": [sampler["sampler_mean"]],
                 "sampler.logVar.": [sampler["sampler_logvar"]], "decoder.": networks["decoder_layer"]}
    else:
        record = {"format": COMPOSITE_FORMAT, "latentDim": networks["generator_layer"][0]["inputDim"],
                  "realLabel": 1.0}
        arrays = {"gan": np.array(json.dumps(record))}
        parts = {"generator.": networks["generator_layer"], "discriminator.": networks["discriminator_layer"]}
    for prefix, layers in parts.items():
        arrays.update(_networkArrays(layers, prefix, fail))
    return arrays


def _kindName(kind):
    """``"MLP"``, ``"Autoencoder"``, ``"VAE"`` or ``"GAN"`` for a name or a class (or subclass) of those."""
    if isinstance(kind, str) and kind in KINDS:
        return kind
    for cls in getattr(kind, "__mro__", ()):
        if cls.__name__ in KINDS:
            return cls.__name__
    raise ValueError(f"readFolder: kind must be one of {', '.join(KINDS)} (or None), got {kind!r}")


def _scan(path, fail):
    """The layer subfolders' paths, in order, by network (``layer``, ``encoder_layer``, ...), and the sampler's.

    Only the names are looked at here.
    """
    networks, sampler = {}, {}
    for entry in sorted(os.listdir(path)):
        full = os.path.join(path, entry)
        match = _LAYER.fullmatch(entry)
        if match and os.path.isdir(full):
            networks.setdefault(match.group(1), {})[int(match.group(2))] = full
        elif entry in _SAMPLER and os.path.isdir(full) == (entry != "sampler.json"):
            sampler[entry] = full
        else:
            fail(full, "is not part of a model folder, which holds only the subfolders layer0/, layer1/, ... "
                       "(or encoder_layer0/, ..., sampler_mean/, sampler_logvar/, sampler.json, decoder_layer0/, "
                       "..., or generator_layer0/, ..., discriminator_layer0/, ...)")
    for name, layers in networks.items():
        missing = [index for index in range(max(layers) + 1) if index not in layers]
        if missing:
            fail(os.path.join(path, f"{name}{missing[0]}"), f"is missing: the layers are numbered "
                 f"{sorted(layers)}, expected 0 to {max(layers)} without gaps")
        networks[name] = [layers[index] for index in range(len(layers))]
    return networks, sampler


def _folderKind(path, networks, sampler, fail):
    """The model the subfolders' names describe; a ValueError for a mixture or a missing part."""
    names = set(networks)
    if not names and not sampler:
        fail(path, "holds no layer folders (layer0/, layer1/, ...): it is not a model folder")
    kinds = [kind for kind, family in _FAMILIES.items() if names.intersection(family) and kind != "VAE"]
    if sampler:   # a VAE is an autoencoder with a sampler between encoder and decoder
        kinds = [kind for kind in kinds if kind != "Autoencoder"] + ["VAE"]
    parts = ", ".join([f"{name}*/" for name in sorted(names)] + sorted(sampler))
    if len(kinds) > 1:
        fail(path, f"mixes the parts of different models: {parts}")
    kind = kinds[0]
    for missing in sorted(set(_FAMILIES[kind]) - names):
        fail(os.path.join(path, f"{missing}0"), f"is missing: the folder holds {parts}")
    for missing in sorted(_SAMPLER - set(sampler)) if kind == "VAE" else ():
        fail(os.path.join(path, missing), "is missing: a VAE folder holds sampler_mean/, sampler_logvar/ "
                                          "and sampler.json")
    return kind


def _splitAtCode(path, layers, fail):
    """An autoencoder's ``layer*`` list as encoder and decoder, split after the narrowest layer (not the last)."""
    if len(layers) < 2:
        fail(path, f"holds {len(layers)} layer, but an autoencoder needs an encoder and a decoder (2 layers or more)")
    code = min(range(len(layers) - 1), key=lambda index: layers[index]["outputDim"])
    return {"encoder_layer": layers[:code + 1], "decoder_layer": layers[code + 1:]}


def _readJson(file, keys, fail):
    """The JSON object in ``file``, with exactly ``keys``, each a positive integer (bar the activation's name)."""
    size = os.path.getsize(file)
    if size > _JSON_LIMIT:
        fail(file, f"is {size:,} bytes, far more than a layer's description")
    try:
        with open(file, "rb") as handle:
            description = json.loads(handle.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        fail(file, f"is not readable JSON ({type(error).__name__}: {error})")
    if not isinstance(description, dict) or set(description) != keys:
        got = sorted(description) if isinstance(description, dict) else type(description).__name__
        fail(file, f"must be a JSON object with the keys {sorted(keys)}, got {got}")
    for name in sorted(keys - {"activation"}):
        value = description[name]
        if type(value) is not int or value < 1:
            fail(file, f"has {name}={value!r}, expected a positive integer")
    return {"json": file, **description}


def _readLayer(folder, fail):
    """One layer subfolder: its ``dense.json``, with the headers of its ``.npy`` files checked against it."""
    entries = set(os.listdir(folder))
    for entry in sorted(entries - LAYER_FILES):
        fail(os.path.join(folder, entry), f"is not part of a layer folder, which holds only {sorted(LAYER_FILES)}")
    for entry in sorted(LAYER_FILES - entries):
        fail(os.path.join(folder, entry), "is missing")
    layer = _readJson(os.path.join(folder, "dense.json"), {"inputDim", "outputDim", "activation"}, fail)
    if layer["activation"] not in activations.ACTIVATIONS:
        fail(layer["json"], f"has activation {layer['activation']!r}; known: {', '.join(activations.ACTIVATIONS)}")
    layer["weight"], layer["bias"] = os.path.join(folder, "weight.npy"), os.path.join(folder, "bias.npy")
    _checkHeader(layer["weight"], (layer["outputDim"], layer["inputDim"]), layer, fail)
    _checkHeader(layer["bias"], (layer["outputDim"],), layer, fail)
    return layer


def readNpyHeader(file):
    """``(shape, fortranOrder, dtype)`` as the header of the open ``.npy`` ``file`` declares them; no data is read.

    Here, below :mod:`saving`, so that both read headers with it: these
    folders' ``.npy`` files, and the members of a ``.npz`` model file.
    """
    version = np.lib.format.read_magic(file)
    readHeader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return readHeader(file)


def _checkHeader(file, shape, layer, fail):
    """Fail unless the ``.npy`` header of ``file`` declares float64 of ``shape`` and the file holds that much."""
    try:
        with open(file, "rb") as handle:
            stored, _, dtype = readNpyHeader(handle)
            held = os.fstat(handle.fileno()).st_size - handle.tell()
    except Exception as error:   # whatever a broken header makes NumPy raise
        fail(file, f"is not a readable .npy file ({type(error).__name__}: {error})")
    if dtype.hasobject:
        fail(file, "holds Python objects, which would need pickle")
    if dtype.kind != "f" or dtype.itemsize != 8:
        fail(file, f"holds {dtype}, expected float64")
    if stored != shape:
        fail(file, f"has shape {stored}, expected {shape}, since {layer['json']} says "
                   f"inputDim={layer['inputDim']}, outputDim={layer['outputDim']}")
    if math.prod(shape) * 8 > held:
        fail(file, f"is truncated: shape {shape} needs {math.prod(shape) * 8:,} bytes, it holds {held:,}")


def _checkSampler(sampler, fail):
    """The sampler's heads: one Identity layer each, of the sizes in ``sampler.json``."""
    size = sampler["sampler.json"]
    for name in ("sampler_mean", "sampler_logvar"):
        head = sampler[name]
        if head["activation"] != "Identity":
            fail(head["json"], f"has activation {head['activation']!r}; a sampler's head is linear: 'Identity'")
        if (head["inputDim"], head["outputDim"]) != (size["inputDim"], size["outputDim"]):
            fail(head["json"], f"says inputDim={head['inputDim']}, outputDim={head['outputDim']}, but "
                               f"{size['json']} says inputDim={size['inputDim']}, outputDim={size['outputDim']}")


def _networkArrays(layers, prefix, fail):
    """One network's part of the archive: its architecture (float64, one fresh Adam) and each layer's W and b."""
    architecture = {
        "format": ARCHIVE_FORMAT, "dtype": "float64",
        "optimizers": [{"name": "Adam", "config": optimizer.Adam().config()}],
        "layers": [{"inputDim": layer["inputDim"], "outputDim": layer["outputDim"],
                    "activation": {"name": layer["activation"],
                                   "config": activations.fromConfig(layer["activation"], {}).config()},
                    "optimizer": 0, "trainable": True}
                   for layer in layers]}
    arrays = {prefix + "architecture": np.array(json.dumps(architecture))}
    for index, layer in enumerate(layers):
        for name, file in (("W", layer["weight"]), ("b", layer["bias"])):
            try:
                array = np.load(file, allow_pickle=False)
            except Exception as error:   # the header was sound; the data may still be unreadable
                fail(file, f"is not a readable .npy file ({type(error).__name__}: {error})")
            if not np.isfinite(array).all():
                fail(file, "holds values that are not finite (nan or inf)")
            arrays[f"{prefix}layer{index}.{name}"] = array.astype(np.float64)
    return arrays
