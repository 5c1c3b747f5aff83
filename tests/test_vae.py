"""Tests of vae.py: the Sampler, the VAE's gradients, training, persistence and errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conftest

from activations import Identity, ReLU, Sigmoid, Tanh
from callbacks import EarlyStopping
from dataset import Dataset
from helpers import assertGradient, numericalGradient
from layers import Dense
from loss import CrossEntropy
from nn import MLP
from optimizer import SGD, Adam
from vae import VAE, Sampler, klDivergence


def makeVAE(inputDim=6, hidden=5, latent=2, dtype=np.float64, seed=0, hiddenActivation=Tanh, optimizer=None):
    """A small VAE: inputDim-hidden encoder, Sampler, latent-hidden-inputDim decoder."""
    optimizer = optimizer or Adam()
    encoder, decoder = MLP(dtype=dtype), MLP(dtype=dtype)
    encoder.addLayer(Dense(inputDim, hidden, activation=hiddenActivation(), optimizer=optimizer, seed=seed,
                           dtype=dtype))
    decoder.addLayer(Dense(latent, hidden, activation=hiddenActivation(), optimizer=optimizer, seed=seed + 1,
                           dtype=dtype))
    decoder.addLayer(Dense(hidden, inputDim, activation=Sigmoid(), optimizer=optimizer, seed=seed + 2, dtype=dtype))
    return VAE(encoder, Sampler(hidden, latent, optimizer=optimizer, seed=seed + 3, dtype=dtype), decoder)


@pytest.fixture(scope="module")
def mnist():
    """3,000 training and 500 test MNIST digits (skips without the data, like the other MNIST tests)."""
    folder = conftest.dataDir()
    if folder is None or not (folder / "mnist").is_dir():
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    return Dataset(name="mnist", train_size=3000, test_size=500, batch_size=32, data_dir=folder, seed=0)


def smallMnistVAE(seed=0, hidden=64, latent=2):
    encoder, decoder = MLP(), MLP()
    encoder.addLayer(Dense(784, hidden, activation=ReLU(), seed=seed))
    decoder.addLayer(Dense(latent, hidden, activation=ReLU(), seed=seed + 1))
    decoder.addLayer(Dense(hidden, 784, activation=Sigmoid(), seed=seed + 2))
    return VAE(encoder, Sampler(hidden, latent, seed=seed + 3), decoder)


# --------------------------------------------------------------------- Sampler
def test_sampler_draws_mu_plus_sigma_times_noise_and_keeps_the_kl():
    sampler = Sampler(inputDim=3, latentDim=2, seed=0, dtype=np.float64)
    x = np.random.default_rng(1).normal(size=(4, 3))
    noise = np.random.default_rng(2).normal(size=(4, 2))
    z = sampler.forward(x, noise)
    mean, logVar = sampler.mean.layers[0], sampler.logVar.layers[0]
    mu, lv = x @ mean.W.T + mean.b, x @ logVar.W.T + logVar.b
    np.testing.assert_allclose(z, mu + np.exp(lv / 2) * noise)
    np.testing.assert_allclose(sampler.kl, np.mean(0.5 * np.sum(np.exp(lv) + mu**2 - 1 - lv, axis=1)))
    np.testing.assert_allclose(sampler.predict(x), (mu, lv))
    assert isinstance(mean.activation, Identity) and isinstance(logVar.activation, Identity)


def test_kl_is_zero_only_for_the_prior():
    assert klDivergence(np.zeros((1, 3)), np.zeros((1, 3)))[0] == 0
    assert klDivergence(np.array([[1.0, 0.0]]), np.zeros((1, 2)))[0] == pytest.approx(0.5)
    # A variance of e (logVar 1): 0.5 * (e - 1 - 1)
    assert klDivergence(np.zeros((1, 1)), np.ones((1, 1)))[0] == pytest.approx(0.5 * (np.e - 2))


def test_sampler_noise_follows_the_seed():
    x = np.ones((5, 3))
    first, second = Sampler(3, 2, seed=7), Sampler(3, 2, seed=7)
    np.testing.assert_array_equal(first.forward(x), second.forward(x))
    assert not np.array_equal(first.forward(x), first.forward(x))   # fresh noise on every call


def test_sampler_backward_gives_the_input_gradient_of_path_and_kl():
    """L = sum(G * z) + kl with eps fixed: dL/dx and every head gradient against finite differences."""
    sampler = Sampler(inputDim=4, latentDim=3, seed=3, dtype=np.float64)
    rng = np.random.default_rng(0)
    x, noise, weights = rng.normal(size=(5, 4)), rng.normal(size=(5, 3)), rng.normal(size=(5, 3))

    def lossValue():
        z = sampler.forward(x, noise)
        return float(np.sum(weights * z) + sampler.kl)

    lossValue()
    inputGradient = sampler.backward(weights)
    analytic = [gradient.copy() for _, gradient in sampler.parameters()]
    assertGradient(inputGradient, numericalGradient(lossValue, x), "Sampler dL/dx")
    for index, ((parameter, _), gradient) in enumerate(zip(sampler.parameters(), analytic)):
        assertGradient(gradient, numericalGradient(lossValue, parameter), f"Sampler parameter {index}")


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 5), inputDim=st.integers(1, 6), latentDim=st.integers(1, 4), seed=st.integers(0, 2**16),
       scale=st.floats(0.0, 10.0))
def test_sampler_shapes_and_kl_for_any_sizes(n, inputDim, latentDim, seed, scale):
    """z and dL/dx keep their shapes, the KL is never negative, and with eps = 0, z is the mean."""
    sampler = Sampler(inputDim, latentDim, seed=seed, dtype=np.float64)
    x = scale * np.random.default_rng(seed).normal(size=(n, inputDim))
    assert sampler.forward(x).shape == (n, latentDim)
    assert sampler.kl >= 0
    np.testing.assert_array_equal(sampler.forward(x, noise=np.zeros((n, latentDim))), sampler.predict(x)[0])
    assert sampler.backward(np.ones((n, latentDim))).shape == (n, inputDim)
    assert sampler.backward(np.ones((n, latentDim)), inputGradient=False) is None


def test_sampler_checks_its_arguments():
    with pytest.raises(TypeError, match="latentDim must be a positive integer, got float 2.0"):
        Sampler(4, 2.0)
    with pytest.raises(ValueError, match="inputDim must be a positive integer, got 0"):
        Sampler(0, 2)
    sampler = Sampler(4, 2)
    with pytest.raises(ValueError, match=r"noise has shape \(3, 3\), expected \(3, 2\)"):
        sampler.forward(np.ones((3, 4)), noise=np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"expected a batch x of shape \(n, 4\), got shape \(4,\)"):
        sampler.forward(np.ones(4))
    with pytest.raises(RuntimeError, match="before forward"):
        Sampler(4, 2).backward(np.ones((3, 2)))


# ------------------------------------------------------------------ gradients
def test_whole_vae_gradients_match_finite_differences_with_the_noise_held():
    vae = makeVAE(inputDim=6, hidden=5, latent=2)
    rng = np.random.default_rng(0)
    x, noise = rng.uniform(size=(7, 6)), rng.normal(size=(7, 2))
    figures = vae.backpropagate(x, noise)
    assert figures["loss"] == pytest.approx(vae.evaluate(x, noise=noise)["loss"], rel=1e-12)
    assert figures["loss"] == pytest.approx(figures["reconstruction"] + figures["kl"])
    analytic = [gradient.copy() for _, gradient in vae.parameters()]
    assert len(analytic) == len(vae.getWeights())
    for index, ((parameter, _), gradient) in enumerate(zip(vae.parameters(), analytic)):
        numeric = numericalGradient(lambda: vae.evaluate(x, noise=noise)["loss"], parameter)
        assertGradient(gradient, numeric, f"VAE parameter {index}")


def test_gradients_match_pytorch_autograd():
    torch = pytest.importorskip("torch")
    vae = makeVAE(inputDim=8, hidden=6, latent=3, hiddenActivation=ReLU)
    rng = np.random.default_rng(1)
    x, noise = rng.uniform(size=(10, 8)), rng.normal(size=(10, 3))
    figures = vae.backpropagate(x, noise)

    layers = vae.encoder.layers + vae.sampler.mean.layers + vae.sampler.logVar.layers + vae.decoder.layers
    weights = [(torch.tensor(layer.W.copy(), requires_grad=True), torch.tensor(layer.b.copy(), requires_grad=True))
               for layer in layers]
    (W0, b0), (Wm, bm), (Wv, bv), (W1, b1), (W2, b2) = weights
    tx, tnoise = torch.tensor(x), torch.tensor(noise)
    hidden = torch.relu(tx @ W0.T + b0)
    mu, logVar = hidden @ Wm.T + bm, hidden @ Wv.T + bv
    z = mu + torch.exp(0.5 * logVar) * tnoise
    p = torch.sigmoid(torch.relu(z @ W1.T + b1) @ W2.T + b2)
    reconstruction = torch.nn.functional.binary_cross_entropy(p, tx, reduction="sum") / len(x)
    kl = 0.5 * torch.sum(torch.exp(logVar) + mu**2 - 1 - logVar) / len(x)
    (reconstruction + kl).backward()

    assert figures["reconstruction"] == pytest.approx(reconstruction.item(), rel=1e-12)
    assert figures["kl"] == pytest.approx(kl.item(), rel=1e-12)
    for index, (layer, (W, b)) in enumerate(zip(layers, weights)):
        np.testing.assert_allclose(layer.dW, W.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"layer {index} dW")
        np.testing.assert_allclose(layer.db, b.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"layer {index} db")


# -------------------------------------------------------------- construction
def test_parts_that_do_not_fit_are_refused_naming_both_widths():
    good = makeVAE(inputDim=6, hidden=5, latent=2)
    tooWide = MLP(dtype=np.float64)
    tooWide.addLayer(Dense(2, 7, activation=Sigmoid(), dtype=np.float64))
    relu = MLP(dtype=np.float64)
    relu.addLayer(Dense(2, 6, activation=ReLU(), dtype=np.float64))
    for encoder, sampler, decoder, error, message in [
        (good.encoder, Sampler(4, 2, dtype=np.float64), good.decoder, ValueError,
         "VAE: the encoder's outputDim=5 must equal the sampler's inputDim=4"),
        (good.encoder, Sampler(5, 3, dtype=np.float64), good.decoder, ValueError,
         "VAE: the sampler's latentDim=3 must equal the decoder's inputDim=2"),
        (good.encoder, good.sampler, tooWide, ValueError,
         "VAE: the decoder's outputDim=7 must equal the encoder's inputDim=6, since it reconstructs the input"),
        (good.encoder, good.sampler, relu, ValueError,
         "VAE: the decoder's last layer must output pixel probabilities with Sigmoid(), got ReLU()"),
        (good.encoder, Sampler(5, 2), good.decoder, ValueError,
         "VAE: the encoder's dtype=float64 must equal the sampler's dtype=float32; "
         "build every part with the same dtype"),
        (good.encoder, good.sampler, good.encoder, ValueError,
         "VAE: the encoder and the decoder are the same MLP object; give two separate ones"),
        (MLP(dtype=np.float64), good.sampler, good.decoder, ValueError,
         "VAE: the encoder has no layers yet; add some with addLayer(Dense(...))"),
        (good.encoder, Dense(5, 2), good.decoder, TypeError,
         "VAE: sampler must be a Sampler(inputDim, latentDim), got Dense Dense("),
    ]:
        with pytest.raises(error) as raised:
            VAE(encoder, sampler, decoder)
        assert str(raised.value).startswith(message)


def test_the_sampler_hands_the_decoder_latentDim_values():
    assert Sampler(inputDim=5, latentDim=3).outputDim == 3


def test_repr_reads_like_the_model():
    text = repr(makeVAE())
    assert text.startswith("VAE(") and "Sampler(inputDim=5, latentDim=2" in text and "encoder=MLP(" in text


# ------------------------------------------------------------------ using it
def test_encode_decode_reconstruct_and_sample_shapes_and_ranges():
    vae = makeVAE()
    x = np.random.default_rng(0).uniform(size=(4, 6))
    mu, logVar = vae.encode(x)
    assert mu.shape == logVar.shape == (4, 2)
    reconstruction = vae.reconstruct(x)
    np.testing.assert_array_equal(reconstruction, vae.decode(mu))
    assert reconstruction.shape == (4, 6) and np.all((reconstruction > 0) & (reconstruction < 1))
    state = json.dumps(vae.sampler.rng.bit_generator.state)
    np.testing.assert_array_equal(vae.sample(5, seed=3), vae.sample(5, seed=3))
    assert vae.sample(5, seed=3).shape == (5, 6)
    vae.evaluate(x)
    assert json.dumps(vae.sampler.rng.bit_generator.state) == state, "sampling or evaluating drew training noise"
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        vae.sample(0)


def test_evaluate_is_reproducible_and_checks_its_input():
    vae = makeVAE()
    x = np.random.default_rng(0).uniform(size=(5, 6))
    assert vae.evaluate(x) == vae.evaluate(x)
    assert vae.evaluate(x, seed=1) != vae.evaluate(x, seed=2)
    with pytest.raises(ValueError, match=r"x must hold values in \[0, 1\].*from -1.0 to 0.5"):
        vae.evaluate(np.where(x < 0.5, -1.0, 0.5))
    with pytest.raises(ValueError, match=r"x has shape \(5, 5\), but the encoder needs \(n, 6\)"):
        vae.evaluate(x[:, :5])
    with pytest.raises(ValueError, match=r"noise has shape \(5, 3\), expected \(5, 2\)"):
        vae.evaluate(x, noise=np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"x has shape \(6,\), but the encoder needs \(n, 6\)"):
        vae.backpropagate(x[0])


# ------------------------------------------------------------------ training
@pytest.mark.slow   # 1.5 s alone, but BLAS threads on a busy machine have made it 28 s
def test_training_on_mnist_lowers_the_test_negative_elbo(mnist):
    vae = smallMnistVAE()
    before = vae.evaluate(mnist.x_test)["loss"]
    history = vae.train(mnist, epochs=3, metrics=["train_loss", "test_loss", "test_kl", "test_reconstruction"],
                        verbose=False)
    assert sorted(history) == ["test_kl", "test_loss", "test_reconstruction", "train_loss"]
    assert all(len(values) == 3 for values in history.values())
    # An untrained decoder outputs about 0.5 everywhere: 784 ln 2 = 543 nats. Drawing every test digit
    # as the mean training image costs about 200 nats; the trained VAE must do better than that.
    meanImage = np.clip(mnist.x_train.mean(axis=0), 1e-6, 1 - 1e-6)
    baseline = CrossEntropy()(np.tile(meanImage, (len(mnist.x_test), 1)), mnist.x_test)
    assert before > 500
    assert history["test_loss"][-1] < baseline - 5 < history["test_loss"][0]
    for epoch in range(3):
        assert history["test_loss"][epoch] == pytest.approx(
            history["test_kl"][epoch] + history["test_reconstruction"][epoch])
    assert history["test_kl"][-1] > 0


def test_train_rejects_bad_metrics_and_data_before_any_work():
    vae = makeVAE()
    before = vae.getWeights()
    data = Dataset(x_train=np.random.default_rng(0).uniform(size=(20, 6)), y_train=np.zeros((20, 1)), batch_size=5)
    with pytest.raises(ValueError, match=r"unknown metric\(s\) \['test_accuracy'\]"):
        vae.train(data, epochs=1, metrics=["test_accuracy"])
    with pytest.raises(ValueError, match=r"need a test set, but the dataset has none"):
        vae.train(data, epochs=1, metrics=["test_loss"])
    with pytest.raises(TypeError, match="metrics must be a list of names"):
        vae.train(data, epochs=1, metrics="train_loss")
    with pytest.raises(ValueError, match="VAE.train: epochs must be a positive integer, got 0"):
        vae.train(data, epochs=0)
    wide = Dataset(x_train=np.full((20, 6), 2.0), y_train=np.zeros((20, 1)), batch_size=5)
    with pytest.raises(ValueError, match=r"dataset.x_train must hold values in \[0, 1\].*from 2.0 to 2.0"):
        vae.train(wide, epochs=1)
    narrow = Dataset(x_train=np.zeros((20, 4)), y_train=np.zeros((20, 1)), batch_size=5)
    with pytest.raises(ValueError, match=r"dataset.x_train has shape \(20, 4\), but the encoder needs \(n, 6\)"):
        vae.train(narrow, epochs=1)
    for old, new in zip(before, vae.getWeights()):
        np.testing.assert_array_equal(old, new)


def test_divergence_restores_finite_weights_and_says_so():
    vae = makeVAE(optimizer=SGD(learningRate=1e6))
    x = np.random.default_rng(0).uniform(size=(40, 6))
    data = Dataset(x_train=x, y_train=np.zeros((40, 1)), batch_size=10, seed=0)
    with pytest.raises(FloatingPointError, match="diverged.*lower learning rate"):
        vae.train(data, epochs=5, verbose=False)
    assert all(np.all(np.isfinite(weights)) for weights in vae.getWeights())
    assert np.isfinite(vae.evaluate(x)["loss"])


def test_ctrl_c_returns_the_finished_epochs_and_early_stopping_works():
    vae = makeVAE()
    x = np.random.default_rng(0).uniform(size=(40, 6))
    data = Dataset(x_train=x, y_train=np.zeros((40, 1)), x_test=x[:10], y_test=np.zeros((10, 1)),
                   batch_size=10, seed=0)

    def interrupt(model, batch, logs):
        if len(seen) == 1 and batch == 2:
            raise KeyboardInterrupt
    seen = []
    history = vae.train(data, epochs=5, metrics=["train_loss"], verbose=False,
                        callbacks={"on_epoch_end": lambda model, epoch, logs: seen.append(epoch),
                                   "on_batch_end": interrupt})
    assert len(history["train_loss"]) == 1
    assert np.isfinite(vae.evaluate(x)["loss"])

    # No later epoch can improve by 1e9 nats: stop after the second, back to the first one's weights.
    stopper = EarlyStopping(monitor="test_loss", patience=1, min_delta=1e9)
    history = vae.train(data, epochs=5, metrics=["test_loss"], callbacks=[stopper], verbose=False)
    assert len(history["test_loss"]) == 2 and (stopper.best_epoch, stopper.stopped_epoch) == (0, 1)
    for best, now in zip(stopper.best_weights, vae.getWeights()):
        np.testing.assert_array_equal(best, now)


# --------------------------------------------------------------- persistence
def test_save_and_load_give_the_same_outputs_and_the_same_further_training(tmp_path):
    vae = makeVAE(dtype=np.float32)
    x = np.random.default_rng(0).uniform(size=(30, 6)).astype(np.float32)

    def data():
        return Dataset(x_train=x, y_train=np.zeros((30, 1)), batch_size=10, shuffle=False)
    vae.train(data(), epochs=2, verbose=False)
    path = vae.save(tmp_path / "model")
    assert path.endswith(".npz")
    loaded = VAE.load(path)
    assert loaded.dtype == np.float32 and loaded.latentDim == 2
    np.testing.assert_array_equal(loaded.reconstruct(x), vae.reconstruct(x))
    np.testing.assert_array_equal(loaded.sample(4, seed=1), vae.sample(4, seed=1))
    # Same weights, optimizer state and noise generator: the next epochs are identical, bit for bit.
    first = vae.train(data(), epochs=2, metrics=["train_loss"], verbose=False)
    second = loaded.train(data(), epochs=2, metrics=["train_loss"], verbose=False)
    assert first == second
    for old, new in zip(vae.getWeights(), loaded.getWeights()):
        np.testing.assert_array_equal(old, new)


def test_load_refuses_files_that_are_not_vaes(tmp_path):
    network = MLP()
    network.addLayer(Dense(3, 2))
    plain = network.save(tmp_path / "mlp.npz")
    with pytest.raises(ValueError, match=r"mlp.npz is not a deepbasics VAE file"):
        VAE.load(plain)
    pickled = tmp_path / "objects.npz"
    np.savez(pickled, vae=np.array([{"format": 1}], dtype=object))
    with pytest.raises(ValueError, match="objects.npz"):
        VAE.load(pickled)
    # A file whose sampler's heads were written for other widths than the encoder's output
    vae = makeVAE()
    arrays = {"vae": np.array(json.dumps({"format": 1}))}
    arrays.update(vae.encoder.toArrays("encoder."))
    arrays.update(Sampler(4, 2, dtype=np.float64).toArrays("sampler."))
    arrays.update(vae.decoder.toArrays("decoder."))
    mismatched = tmp_path / "mismatched.npz"
    np.savez(mismatched, **arrays)
    with pytest.raises(ValueError, match=r"mismatched.npz.*encoder's outputDim=5 must equal the sampler's inputDim=4"):
        VAE.load(mismatched)
    arrays["sampler.random"] = np.array("not json")
    np.savez(mismatched, **arrays)
    with pytest.raises(ValueError, match=r"mismatched.npz \(sampler\).*part 'sampler.random' is missing or not JSON"):
        VAE.load(mismatched)


# ------------------------------------------------------- example, benchmark
@pytest.mark.slow
def test_example_prints_the_test_elbo_writes_three_pictures_and_saves(tmp_path):
    folder = conftest.dataDir()
    if folder is None or not (folder / "mnist").is_dir():
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    pytest.importorskip("matplotlib")
    result = subprocess.run(
        [sys.executable, "examples/vae.py", "--epochs", "2", "--train-size", "2000", "--hidden", "100",
         "--data-dir", str(folder), "--plots", str(tmp_path), "--save", str(tmp_path / "vae.npz")],
        cwd=conftest.ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.startswith("Epoch ") and "test_loss: " in line]) == 2
    final = [line for line in lines if line.startswith("Test -ELBO: ")]
    assert len(final) == 1 and final[0].endswith(" nats")
    # Two epochs on 2,000 digits: well below the 543 nats of an untrained decoder.
    assert 150 < float(final[0].split()[2]) < 260
    for name in ("vae_latent.png", "vae_grid.png", "vae_interpolation.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loaded = VAE.load(tmp_path / "vae.npz")
    assert (loaded.inputDim, loaded.latentDim) == (784, 2)


def test_example_refuses_a_latent_of_zero():
    result = subprocess.run([sys.executable, "examples/vae.py", "--latent", "0"], cwd=conftest.ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--latent must be at least 1, got 0" in result.stderr


@pytest.mark.slow
def test_pytorch_reference_trains_both_libraries_in_turns_and_compares_them():
    pytest.importorskip("torch")
    pytest.importorskip("threadpoolctl")
    folder = conftest.dataDir()
    if folder is None or not (folder / "mnist").is_dir():
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    result = subprocess.run(
        [sys.executable, "benchmarks/vae_torch.py", "--epochs", "1", "--train-size", "2000", "--threads", "1",
         "--hidden", "100", "--data-dir", str(folder)], cwd=conftest.ROOT, capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    figures = {}
    for name in ("deepbasics", "pytorch"):
        final = [line for line in lines if line.startswith(f"{name}: Test -ELBO: ")]
        assert len(final) == 1, result.stdout
        figures[name] = float(final[0].split()[3])
        assert 150 < figures[name] < 350
    ratio = [line for line in lines if line.startswith("deepbasics / pytorch: test -ELBO ")]
    assert len(ratio) == 1
    assert float(ratio[0].split()[5].rstrip(",")) == pytest.approx(figures["deepbasics"] / figures["pytorch"],
                                                                   abs=2e-3)
