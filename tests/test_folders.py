"""The teaching system's model folders: read into deepbasics' archive layout, strictly checked.

The fixtures are folders written here, in exactly the teaching system's
layout, from deepbasics' own networks (deepbasics itself never writes this
format). Until ``MLP.load`` and the composite loaders read folders
themselves, ``load`` below goes the way they will: the folder's arrays, then
the code that loads ``.npz`` files.
"""

import json
import os
import re
import shutil

import numpy as np
import pytest

import folders
from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from autoencoder import Autoencoder
from gan import GAN
from layers import Dense
from loss import CrossEntropy
from nn import MLP
from optimizer import Adam
from saving import writeArchive
from vae import VAE, Sampler


# ----------------------------------------------------------------- helpers
def writeLayer(folder, layer):
    """One layer subfolder as the teaching system writes it: weight.npy, bias.npy, dense.json."""
    os.makedirs(folder)
    np.save(os.path.join(folder, "weight.npy"), layer.W.astype(np.float64))
    np.save(os.path.join(folder, "bias.npy"), layer.b.astype(np.float64))
    with open(os.path.join(folder, "dense.json"), "w") as file:
        json.dump({"inputDim": layer.inputDim, "outputDim": layer.outputDim,
                   "activation": type(layer.activation).__name__}, file)


def writeFolder(folder, network, name="layer"):
    """The MLP ``network`` as the subfolders ``{name}0/``, ``{name}1/``, ... of ``folder``; returns ``folder``."""
    for index, layer in enumerate(network.layers):
        writeLayer(os.path.join(folder, f"{name}{index}"), layer)
    return folder


def writeVAE(folder, vae):
    writeFolder(folder, vae.encoder, "encoder_layer")
    writeLayer(os.path.join(folder, "sampler_mean"), vae.sampler.mean.layers[0])
    writeLayer(os.path.join(folder, "sampler_logvar"), vae.sampler.logVar.layers[0])
    with open(os.path.join(folder, "sampler.json"), "w") as file:
        json.dump({"inputDim": vae.sampler.inputDim, "outputDim": vae.sampler.latentDim}, file)
    writeFolder(folder, vae.decoder, "decoder_layer")
    return folder


def load(cls, folder, tmp_path):
    """What ``cls.load(folder)`` does once it reads folders: the folder's arrays, then the ``.npz`` loader."""
    arrays = folders.readFolder(folder, kind=cls)
    if cls is MLP:
        return MLP.fromArrays(arrays, source=str(folder))
    return cls.load(writeArchive(tmp_path / "from_folder.npz", arrays))


def network(widths, activations, seed=0, dtype=np.float64):
    model = MLP(dtype=dtype)
    for index, activation in enumerate(activations):
        model.addLayer(Dense(widths[index], widths[index + 1], activation=activation, seed=seed + index))
    return model


def byHand(folder, x):
    """The network the folder describes, computed from its files with plain NumPy: ``f(x W^T + b)`` per layer."""
    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    functions = {"Identity": lambda z: z, "Sigmoid": lambda z: 1 / (1 + np.exp(-z)), "Tanh": np.tanh,
                 "ReLU": lambda z: np.maximum(z, 0), "LeakyReLU": lambda z: np.where(z > 0, z, 0.01 * z),
                 "Softmax": softmax}
    index = 0
    while os.path.isdir(os.path.join(folder, f"layer{index}")):
        layer = os.path.join(folder, f"layer{index}")
        with open(os.path.join(layer, "dense.json")) as file:
            activation = json.load(file)["activation"]
        W, b = np.load(os.path.join(layer, "weight.npy")), np.load(os.path.join(layer, "bias.npy"))
        x = functions[activation](x @ W.T + b)
        index += 1
    return x


@pytest.fixture
def classifierFolder(tmp_path):
    """A trained 6-8-7-7-5-4-3 classifier with all six activations, written as a model folder."""
    model = network([6, 8, 7, 7, 5, 4, 3], [ReLU(), LeakyReLU(), Identity(), Tanh(), Sigmoid(), Softmax()])
    rng = np.random.default_rng(0)
    x, y = rng.random((30, 6)), np.eye(3)[rng.integers(0, 3, 30)]
    for _ in range(3):
        yPred = model.forward(x)
        model.backward(CrossEntropy().gradient(yPred, y))
        model.update()
    return model, writeFolder(tmp_path / "classifier", model), x


# ------------------------------------------------------------ what loads
def test_a_classifier_folder_predicts_exactly_as_a_network_with_its_weights(classifierFolder, tmp_path):
    model, folder, x = classifierFolder
    loaded = load(MLP, folder, tmp_path)
    assert np.array_equal(loaded.predict(x), model.predict(x))
    np.testing.assert_allclose(loaded.predict(x), byHand(folder, x), rtol=0, atol=1e-14)
    assert [type(layer.activation).__name__ for layer in loaded.layers] == \
        ["ReLU", "LeakyReLU", "Identity", "Tanh", "Sigmoid", "Softmax"]
    assert loaded.layers[1].activation == LeakyReLU(0.01)
    for ours, theirs in zip(loaded.layers, model.layers):
        assert np.array_equal(ours.W, theirs.W) and np.array_equal(ours.b, theirs.b)


def test_a_loaded_folder_trains_on_with_a_fresh_shared_adam_in_float64(classifierFolder, tmp_path):
    model, folder, x = classifierFolder
    loaded = load(MLP, folder, tmp_path)
    assert loaded.dtype == np.float64
    assert all(layer.optimizer is loaded.layers[0].optimizer for layer in loaded.layers)
    assert loaded.layers[0].optimizer.config() == Adam().config()
    assert all(layer.trainable for layer in loaded.layers)
    # The same weights with a fresh Adam, the way the chapter builds one, take the same step.
    fresh = MLP(dtype=np.float64)
    adam = Adam()
    for layer in model.layers:
        copy = Dense(layer.inputDim, layer.outputDim, activation=layer.activation, optimizer=adam, dtype=np.float64)
        copy.W, copy.b = layer.W.copy(), layer.b.copy()
        fresh.addLayer(copy)
    y = np.eye(3)[np.arange(30) % 3]
    for net in (loaded, fresh):
        net.backward(CrossEntropy().gradient(net.forward(x), y))
        net.update()
    assert np.array_equal(loaded.predict(x), fresh.predict(x))
    # and it saves to, and loads from, an ordinary model file
    assert np.array_equal(MLP.load(loaded.save(tmp_path / "again.npz")).predict(x), loaded.predict(x))


def test_a_float32_network_written_as_a_folder_loads_as_float64_with_the_same_weights(tmp_path):
    model = network([5, 4, 3], [ReLU(), Softmax()], dtype=np.float32)
    loaded = load(MLP, writeFolder(tmp_path / "model", model), tmp_path)
    assert loaded.dtype == np.float64
    assert np.array_equal(loaded.layers[0].W, model.layers[0].W.astype(np.float64))


def test_an_autoencoder_folder_loads_with_encoder_and_decoder(tmp_path):
    encoder, decoder = network([9, 6, 3], [ReLU(), Tanh()]), network([3, 6, 9], [ReLU(), Sigmoid()], seed=5)
    folder = writeFolder(writeFolder(tmp_path / "ae", encoder, "encoder_layer"), decoder, "decoder_layer")
    loaded = load(Autoencoder, folder, tmp_path)
    x = np.random.default_rng(1).random((7, 9))
    assert np.array_equal(loaded.reconstruct(x), Autoencoder(encoder, decoder).reconstruct(x))
    assert loaded.noise is None and loaded.codeDim == 3


def test_a_layer_folder_read_as_an_autoencoder_splits_after_its_narrowest_layer(tmp_path):
    whole = network([9, 6, 2, 5, 9], [ReLU(), Identity(), ReLU(), Sigmoid()])
    folder = writeFolder(tmp_path / "ae", whole)
    loaded = load(Autoencoder, folder, tmp_path)
    assert (len(loaded.encoder), len(loaded.decoder), loaded.codeDim) == (2, 2, 2)
    x = np.random.default_rng(2).random((4, 9))
    assert np.array_equal(loaded.reconstruct(x), whole.predict(x))
    # The same folder is also the whole network as one MLP.
    assert np.array_equal(load(MLP, folder, tmp_path).predict(x), whole.predict(x))


def test_a_vae_folder_loads_and_its_noise_follows_the_seed(tmp_path):
    encoder, decoder = network([8, 5], [ReLU()]), network([2, 5, 8], [ReLU(), Sigmoid()], seed=3)
    vae = VAE(encoder, Sampler(5, 2, seed=1, dtype=np.float64), decoder)
    folder = writeVAE(tmp_path / "vae", vae)
    loaded = load(VAE, folder, tmp_path)
    x = np.random.default_rng(3).random((6, 8))
    for ours, theirs in zip(loaded.encode(x), vae.encode(x)):
        assert np.array_equal(ours, theirs)
    z = np.random.default_rng(4).normal(size=(6, 2))
    assert np.array_equal(loaded.decode(z), vae.decode(z))
    first, second = (VAE.load(writeArchive(tmp_path / f"{i}.npz", folders.readFolder(folder, VAE, seed=7)))
                     for i in range(2))
    code = first.encoder.predict(x)
    assert np.array_equal(first.sampler.forward(code), second.sampler.forward(code))


def test_a_gan_folder_loads_with_its_latent_size_from_the_generator(tmp_path):
    generator = network([4, 6, 10], [LeakyReLU(), Tanh()])
    discriminator = network([10, 6, 1], [LeakyReLU(), Sigmoid()], seed=4)
    folder = writeFolder(writeFolder(tmp_path / "gan", generator, "generator_layer"), discriminator,
                         "discriminator_layer")
    loaded = load(GAN, folder, tmp_path)
    z = np.random.default_rng(5).normal(size=(3, 4))
    assert loaded.latentDim == 4 and loaded.realLabel == 1.0
    assert np.array_equal(loaded.generate(z), generator.predict(z))
    fake = generator.predict(z)
    assert np.array_equal(loaded.discriminator.predict(fake), discriminator.predict(fake))


def test_the_folder_kind_is_taken_from_the_folder_when_none_is_asked(tmp_path):
    generator, discriminator = network([2, 3], [Tanh()]), network([3, 1], [Sigmoid()])
    folder = writeFolder(writeFolder(tmp_path / "gan", generator, "generator_layer"), discriminator,
                         "discriminator_layer")
    arrays = folders.readFolder(folder)
    assert json.loads(str(arrays["gan"]))["latentDim"] == 2
    assert {key.split(".")[0] for key in arrays} == {"gan", "generator", "discriminator"}


# -------------------------------------------------------- what is refused
def corrupt(folder, change):
    """Apply ``change(folder)`` to a model folder, then read it as an MLP; return the ValueError's message."""
    change(folder)
    with pytest.raises(ValueError) as error:
        folders.readFolder(folder, kind=MLP)
    return str(error.value)


def saveArray(relative, array, **keywords):
    return lambda folder: np.save(os.path.join(folder, relative), array, **keywords)


def writeJson(relative, content):
    def change(folder):
        with open(os.path.join(folder, relative), "w") as file:
            file.write(content if isinstance(content, str) else json.dumps(content))
    return change


def truncate(relative, keep):
    def change(folder):
        path = os.path.join(folder, relative)
        data = open(path, "rb").read()
        open(path, "wb").write(data[:keep])
    return change


def hugeHeader(folder):
    """A weight.npy header and dense.json that both declare 10**6 x 10**6 float64 (8 TB), with 80 bytes stored."""
    path = os.path.join(folder, "layer0", "weight.npy")
    with open(path, "wb") as file:
        np.lib.format.write_array_header_1_0(file, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
        file.write(bytes(80))
    writeJson("layer0/dense.json", {"inputDim": 10**6, "outputDim": 10**6, "activation": "ReLU"})(folder)


CORRUPTIONS = [
    (saveArray("layer1/weight.npy", np.array([{"a": 1}] * 56, dtype=object).reshape(7, 8), allow_pickle=True),
     r"layer1/weight.npy holds Python objects, which would need pickle"),
    (saveArray("layer1/weight.npy", np.zeros((7, 9))),
     r"layer1/weight.npy has shape \(7, 9\), expected \(7, 8\), since .*layer1/dense.json says "
     r"inputDim=8, outputDim=7"),
    (saveArray("layer0/bias.npy", np.zeros(9)), r"layer0/bias.npy has shape \(9,\), expected \(8,\)"),
    (saveArray("layer0/weight.npy", np.zeros((8, 6), dtype=np.float32)),
     r"layer0/weight.npy holds float32, expected float64"),
    (saveArray("layer0/bias.npy", np.zeros(8, dtype=np.int64)), r"layer0/bias.npy holds int64, expected float64"),
    (saveArray("layer2/weight.npy", np.full((7, 7), np.nan)), r"layer2/weight.npy holds values that are not finite"),
    (truncate("layer1/weight.npy", 200), r"layer1/weight.npy is truncated: shape \(7, 8\) needs 448 bytes, it holds"),
    (truncate("layer1/weight.npy", 5), r"layer1/weight.npy is not a readable .npy file"),
    (hugeHeader, r"layer0/weight.npy is truncated: shape \(1000000, 1000000\) needs 8,000,000,000,000 bytes"),
    (lambda folder: os.rename(os.path.join(folder, "layer3"), os.path.join(folder, "layer9")),
     r"layer3 is missing: the layers are numbered \[0, 1, 2, 4, 5, 9\], expected 0 to 9 without gaps"),
    (writeJson("layer4/dense.json", {"inputDim": 5, "outputDim": 4, "activation": "Swish"}),
     r"layer4/dense.json has activation 'Swish'; known: Identity, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax"),
    (writeJson("layer4/dense.json", {"inputDim": 5, "outputDim": 4, "activation": "relu"}),
     r"layer4/dense.json has activation 'relu'"),
    (lambda folder: [writeJson("layer3/dense.json", {"inputDim": 7, "outputDim": 6, "activation": "Tanh"})(folder),
                     saveArray("layer3/weight.npy", np.zeros((6, 7)))(folder),
                     saveArray("layer3/bias.npy", np.zeros(6))(folder)],
     r"layer4/dense.json says inputDim=5, but .*layer3/dense.json says outputDim=6"),
    (writeJson("layer0/dense.json", "{not json"), r"layer0/dense.json is not readable JSON"),
    (writeJson("layer0/dense.json", "[" * 100000 + "]" * 100000), r"layer0/dense.json is 200,000 bytes"),
    (writeJson("layer0/dense.json", "[" * 30000 + "]" * 30000),
     r"layer0/dense.json is not readable JSON \(RecursionError"),
    (writeJson("layer0/dense.json", {"inputDim": 6, "outputDim": 8, "activation": "ReLU", "dropout": 0.5}),
     r"layer0/dense.json must be a JSON object with the keys \['activation', 'inputDim', 'outputDim'\], "
     r"got \['activation', 'dropout', 'inputDim', 'outputDim'\]"),
    (writeJson("layer0/dense.json", [6, 8]), r"layer0/dense.json must be a JSON object .*got list"),
    (writeJson("layer0/dense.json", {"inputDim": 6.0, "outputDim": 8, "activation": "ReLU"}),
     r"layer0/dense.json has inputDim=6.0, expected a positive integer"),
    (writeJson("layer0/dense.json", {"inputDim": True, "outputDim": 8, "activation": "ReLU"}),
     r"layer0/dense.json has inputDim=True"),
    (writeJson("layer0/dense.json", {"inputDim": 6, "outputDim": 0, "activation": "ReLU"}),
     r"layer0/dense.json has outputDim=0"),
    (writeJson("README.txt", "my classifier"), r"README.txt is not part of a model folder"),
    (lambda folder: os.mkdir(os.path.join(folder, "layer01")), r"layer01 is not part of a model folder"),
    (writeJson("layer2/notes.txt", "hi"), r"layer2/notes.txt is not part of a layer folder, which holds only "
                                          r"\['bias.npy', 'dense.json', 'weight.npy'\]"),
    (lambda folder: os.remove(os.path.join(folder, "layer2", "bias.npy")), r"layer2/bias.npy is missing"),
    (lambda folder: os.mkdir(os.path.join(folder, "generator_layer0")),
     r"classifier mixes the parts of different models: generator_layer\*/, layer\*/"),
    (writeJson("sampler.json", {"inputDim": 3, "outputDim": 2}),
     r"classifier mixes the parts of different models: layer\*/, sampler.json"),
]


@pytest.mark.parametrize("change, message", CORRUPTIONS, ids=[m[:40] for _, m in CORRUPTIONS])
def test_a_broken_folder_is_refused_naming_the_file(classifierFolder, change, message):
    _, folder, _ = classifierFolder
    text = corrupt(str(folder), change)
    assert text.startswith("MLP.load: ")
    assert re.search(message, text), text


def test_nothing_is_read_from_a_weight_file_before_the_whole_folder_is_checked(classifierFolder, monkeypatch):
    _, folder, _ = classifierFolder
    saveArray("layer5/bias.npy", np.zeros(2))(folder)   # the last layer's bias is wrong
    reads = []
    monkeypatch.setattr(np, "load", lambda *a, **k: reads.append(a) or pytest.fail("np.load called"))
    with pytest.raises(ValueError, match=r"layer5/bias.npy has shape \(2,\), expected \(3,\)"):
        folders.readFolder(folder)
    assert reads == []


def test_a_folder_of_another_kind_is_refused_naming_its_loader(tmp_path):
    folder = writeFolder(writeFolder(tmp_path / "gan", network([2, 3], [Tanh()]), "generator_layer"),
                         network([3, 1], [Sigmoid()]), "discriminator_layer")
    with pytest.raises(ValueError, match=r"MLP.load: .*gan holds a GAN \(generator_layer0/, discriminator_layer0/, "
                                         r"...\), not an MLP \(layer0/, ...\); read it with GAN.load"):
        folders.readFolder(folder, kind=MLP)
    with pytest.raises(ValueError, match=r"VAE.load: .*read it with GAN.load"):
        folders.readFolder(folder, kind="VAE")


@pytest.mark.parametrize("layout, message", [
    ({"encoder_layer": [9, 6, 3]}, r"ae/decoder_layer0 is missing: the folder holds encoder_layer\*/"),
    ({"encoder_layer": [9, 6, 3], "decoder_layer": [4, 9]},
     r"decoder_layer0/dense.json says inputDim=4, but .*encoder_layer1/dense.json says outputDim=3"),
    ({"encoder_layer": [9, 6, 3], "decoder_layer": [3, 8]},
     r"decoder_layer0/dense.json says outputDim=8, but an autoencoder reconstructs its input: expected "
     r".*encoder_layer0/dense.json's inputDim=9"),
    ({"layer": [9, 3]}, r"ae holds 1 layer, but an autoencoder needs an encoder and a decoder"),
])
def test_autoencoder_folders_that_do_not_fit_are_refused(tmp_path, layout, message):
    folder = tmp_path / "ae"
    for name, widths in layout.items():
        writeFolder(folder, network(widths, [Sigmoid()] * (len(widths) - 1)), name)
    with pytest.raises(ValueError, match="Autoencoder.load: .*" + message):
        folders.readFolder(folder, kind=Autoencoder)


@pytest.mark.parametrize("change, message", [
    (lambda folder: os.remove(os.path.join(folder, "sampler.json")), r"vae/sampler.json is missing"),
    (writeJson("sampler.json", {"inputDim": 5, "outputDim": 3}),
     r"sampler_mean/dense.json says inputDim=5, outputDim=2, but .*sampler.json says inputDim=5, outputDim=3"),
    (writeJson("sampler.json", {"inputDim": 5}), r"sampler.json must be a JSON object with the keys"),
    (writeJson("sampler_mean/dense.json", {"inputDim": 5, "outputDim": 2, "activation": "ReLU"}),
     r"sampler_mean/dense.json has activation 'ReLU'; a sampler's head is linear: 'Identity'"),
    (lambda folder: [os.rename(os.path.join(folder, "encoder_layer0"), os.path.join(folder, "layer0"))],
     r"vae mixes the parts of different models: decoder_layer\*/, layer\*/, sampler.json, sampler_logvar, "
     r"sampler_mean"),
    (lambda folder: shutil.rmtree(os.path.join(folder, "encoder_layer0")),
     r"vae/encoder_layer0 is missing: the folder holds decoder_layer\*/, sampler.json"),
    (lambda folder: shutil.rmtree(os.path.join(folder, "sampler_logvar")), r"vae/sampler_logvar is missing"),
])
def test_vae_folders_with_a_broken_sampler_are_refused(tmp_path, change, message):
    vae = VAE(network([8, 5], [ReLU()]), Sampler(5, 2, dtype=np.float64), network([2, 8], [Sigmoid()]))
    folder = writeVAE(tmp_path / "vae", vae)
    change(folder)
    with pytest.raises(ValueError, match="VAE.load: .*" + message):
        folders.readFolder(folder, kind=VAE)


def test_a_missing_path_an_empty_folder_a_file_and_an_unknown_kind(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"MLP.load: no such folder: .*nowhere"):
        folders.readFolder(tmp_path / "nowhere", kind=MLP)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"empty holds no layer folders \(layer0/, layer1/, ...\)"):
        folders.readFolder(tmp_path / "empty")
    (tmp_path / "model.npz").write_bytes(b"PK")
    with pytest.raises(ValueError, match=r"model.npz is not a model folder"):
        folders.readFolder(tmp_path / "model.npz")
    with pytest.raises(ValueError, match=r"kind must be one of MLP, Autoencoder, VAE, GAN \(or None\), got 'CNN'"):
        folders.readFolder(tmp_path, kind="CNN")


def test_the_gan_folder_checks_that_the_discriminator_takes_the_generators_output(tmp_path):
    folder = writeFolder(writeFolder(tmp_path / "gan", network([2, 5], [Tanh()]), "generator_layer"),
                         network([4, 1], [Sigmoid()]), "discriminator_layer")
    with pytest.raises(ValueError, match=r"GAN.load: .*discriminator_layer0/dense.json says inputDim=4, but "
                                         r".*generator_layer0/dense.json says outputDim=5"):
        folders.readFolder(folder, kind=GAN)
