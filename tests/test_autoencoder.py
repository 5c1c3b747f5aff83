import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activations import Identity, ReLU, Sigmoid, Tanh
from autoencoder import Autoencoder, GaussianNoise, Masking, Noise, SaltAndPepper, psnr
from callbacks import EarlyStopping, ModelCheckpoint
from conftest import ROOT
from dataset import Dataset
from helpers import assertGradient, numericalGradient
from layers import Dense
from loss import MSE, CrossEntropy
from nn import MLP
from optimizer import SGD, Adam


def network(widths, activations, dtype=np.float32, optimizer=None, seed=0):
    model = MLP(dtype=dtype)
    for index, (inputDim, outputDim, activation) in enumerate(zip(widths, widths[1:], activations)):
        model.addLayer(Dense(inputDim, outputDim, activation=activation, optimizer=optimizer or Adam(),
                             seed=seed + index))
    return model


def smallAutoencoder(noise=None, dtype=np.float32, optimizer=None, hidden=ReLU):
    """16-8-4-8-16: ReLU inside, Sigmoid out."""
    encoder = network([16, 8, 4], [hidden(), hidden()], dtype, optimizer, seed=0)
    decoder = network([4, 8, 16], [hidden(), Sigmoid()], dtype, optimizer, seed=2)
    return Autoencoder(encoder, decoder, noise)


def images(n=200, seed=0):
    """Blurry 4x4 'images' in [0, 1] drawn from three prototypes: something to compress."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((3, 16))
    return np.clip(prototypes[rng.integers(0, 3, n)] + 0.05 * rng.normal(size=(n, 16)), 0, 1)


def imageData(n=200, batch_size=20, **options):
    x = images(n)
    return Dataset(x_train=x[: n * 3 // 4], y_train=x[: n * 3 // 4], x_test=x[n * 3 // 4:], y_test=x[n * 3 // 4:],
                   batch_size=batch_size, **options)


# ------------------------------------------------------------------- noise
def test_gaussian_noise_adds_the_given_spread_and_is_clipped_to_the_bounds():
    x = np.full((200, 50), 0.5, dtype=np.float32)
    free = GaussianNoise(std=0.2, bounds=None, seed=0)(x)
    assert free.dtype == np.float32 and free.shape == x.shape
    assert abs(free.mean() - 0.5) < 0.005 and abs(free.std() - 0.2) < 0.005
    clipped = GaussianNoise(std=1.0, seed=0)(x)
    assert clipped.min() == 0.0 and clipped.max() == 1.0
    assert 0.3 < np.mean(clipped == 0.0) < 0.32   # P(N(0, 1) < -0.5) = 0.309
    np.testing.assert_array_equal(x, 0.5)           # the input is left alone


def test_noise_is_reproducible_with_a_seed_and_fresh_on_every_call():
    x = np.full((10, 30), 0.5)
    for kind in (lambda: GaussianNoise(0.3, seed=7), lambda: SaltAndPepper(0.3, seed=7), lambda: Masking(0.3, seed=7)):
        first, second = kind(), kind()
        one = first(x)
        np.testing.assert_array_equal(one, second(x))
        assert not np.array_equal(one, first(x))


def test_salt_and_pepper_sets_the_given_share_to_the_ends_half_each():
    x = np.full((400, 100), 0.5)
    noisy = SaltAndPepper(amount=0.2, seed=0)(x)
    changed = noisy != 0.5
    assert abs(changed.mean() - 0.2) < 0.005
    assert set(np.unique(noisy[changed])) == {0.0, 1.0}
    assert abs(np.mean(noisy[changed] == 1.0) - 0.5) < 0.02
    dark = SaltAndPepper(amount=1.0, bounds=(-1.0, 2.0), seed=0)(x)
    assert set(np.unique(dark)) == {-1.0, 2.0}


def test_masking_zeroes_the_given_share_and_keeps_the_rest():
    x = np.random.default_rng(0).uniform(0.1, 1.0, size=(400, 100))
    noisy = Masking(fraction=0.25, seed=0)(x)
    zeroed = noisy == 0
    assert abs(zeroed.mean() - 0.25) < 0.005
    np.testing.assert_array_equal(noisy[~zeroed], x[~zeroed])
    np.testing.assert_array_equal(Masking(0.0)(x), x)


@pytest.mark.parametrize("make, error, message", [
    (lambda: GaussianNoise(-0.1), ValueError, r"GaussianNoise: std must be in \[0, inf\), got -0.1"),
    (lambda: GaussianNoise(float("inf")), ValueError, r"GaussianNoise: std must be in \[0, inf\), got inf"),
    (lambda: GaussianNoise("0.5"), TypeError, r"GaussianNoise: std must be a number, got str '0.5'"),
    (lambda: SaltAndPepper(1.5), ValueError, r"SaltAndPepper: amount must be in \[0, 1\], got 1.5"),
    (lambda: SaltAndPepper(0.1, bounds=None), ValueError, r"SaltAndPepper: bounds cannot be None"),
    (lambda: Masking(-1), ValueError, r"Masking: fraction must be in \[0, 1\], got -1.0"),
    (lambda: Masking(0.5, bounds=(1, 0)), ValueError, r"Masking: bounds must be a pair .* got \(1, 0\)"),
    (lambda: GaussianNoise(0.5, bounds=(0, np.inf)), ValueError, r"GaussianNoise: bounds must be a pair"),
    (lambda: GaussianNoise(0.5, bounds=(0, 1, 2)), ValueError,
     r"GaussianNoise: bounds must be a pair .* got \(0, 1, 2\)"),
    (lambda: Masking(0.5, bounds=1.0), TypeError, r"Masking: bounds must be a pair .* got float 1.0"),
    (lambda: Masking(0.5, bounds=("0", "1")), TypeError, r"Masking: bounds must be a pair .* got tuple \('0', '1'\)"),
])
def test_bad_noise_arguments_are_refused_with_the_culprit(make, error, message):
    with pytest.raises(error, match=message):
        make()


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from([GaussianNoise, SaltAndPepper, Masking]), strength=st.floats(0, 1),
       low=st.floats(-5, 5), width=st.floats(0.01, 10), shape=st.tuples(st.integers(1, 6), st.integers(1, 9)),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**32))
def test_any_noise_keeps_shape_and_dtype_and_stays_within_the_bounds(kind, strength, low, width, shape, dtype, seed):
    bounds = (low, low + width)
    x = np.random.default_rng(seed).uniform(*bounds, size=shape).astype(dtype)
    noisy = kind(strength, bounds=bounds, seed=seed)(x)
    assert noisy.shape == x.shape and noisy.dtype == dtype
    assert np.all(noisy >= dtype(bounds[0])) and np.all(noisy <= dtype(bounds[1]))


def test_noise_repr_reads_like_the_code():
    assert repr(SaltAndPepper(0.1, seed=3)) == "SaltAndPepper(amount=0.1, bounds=(0.0, 1.0), seed=3)"
    assert repr(GaussianNoise(0.5, bounds=None)) == "GaussianNoise(std=0.5, bounds=None, seed=None)"


def test_psnr_of_known_errors():
    clean = np.zeros((4, 25))
    assert psnr(clean + 0.1, clean) == pytest.approx(20.0)
    assert psnr(clean + 0.5, clean, peak=2.0) == pytest.approx(10 * np.log10(4 / 0.25))
    assert psnr(clean, clean) == np.inf
    with pytest.raises(ValueError, match=r"psnr: x has shape \(4, 25\) but reference has shape \(4, 24\)"):
        psnr(clean, clean[:, 1:])


# ----------------------------------------------------------- construction
def test_encoder_and_decoder_widths_must_meet():
    encoder = network([16, 8, 4], [ReLU(), ReLU()])
    square = network([4, 4], [ReLU()])
    for decoder, error, message in [
        (network([5, 16], [Sigmoid()]), ValueError,
         "Autoencoder: the encoder's outputDim=4 must equal the decoder's inputDim=5"),
        (network([4, 15], [Sigmoid()]), ValueError,
         "Autoencoder: the decoder's outputDim=15 must equal the encoder's inputDim=16, "
         "since it reconstructs the input"),
        (network([4, 16], [Sigmoid()], dtype=np.float64), ValueError,
         "Autoencoder: the encoder's dtype=float32 must equal the decoder's dtype=float64; "
         "build every part with the same dtype"),
        (Dense(4, 16), TypeError, "Autoencoder: decoder must be an MLP, got Dense Dense("),
        (MLP(), ValueError, "Autoencoder: the decoder has no layers yet; add some with addLayer(Dense(...))"),
    ]:
        with pytest.raises(error) as raised:
            Autoencoder(encoder, decoder)
        assert str(raised.value).startswith(message)
    with pytest.raises(ValueError) as raised:
        Autoencoder(square, square)
    assert str(raised.value) == ("Autoencoder: the encoder and the decoder are the same MLP object; "
                                 "give two separate ones")
    with pytest.raises(TypeError, match=r"noise must be a Noise such as GaussianNoise\(0.5\), or None, got 0.5"):
        Autoencoder(encoder, network([4, 16], [Sigmoid()]), noise=0.5)


def test_summary_shows_the_noise_and_both_networks(capsys):
    smallAutoencoder(Masking(0.25, seed=1)).summary()
    out = capsys.readouterr().out
    assert out.startswith("Autoencoder, noise Masking(fraction=0.25, bounds=(0.0, 1.0), seed=1)\nEncoder:")
    assert "Decoder:" in out and out.count("Total parameters: ") == 2


def test_reconstruct_is_decode_of_encode_and_keeps_no_noise():
    autoencoder = smallAutoencoder(GaussianNoise(0.5, seed=0))
    x = images(10)
    code = autoencoder.encode(x)
    assert code.shape == (10, 4) and code.dtype == np.float32
    np.testing.assert_array_equal(autoencoder.reconstruct(x), autoencoder.decode(code))
    np.testing.assert_array_equal(autoencoder.reconstruct(x), autoencoder.reconstruct(x))
    assert autoencoder.reconstruct(x[0]).shape == (16,)
    assert repr(autoencoder) == ("Autoencoder(encoder=16-8-4, decoder=4-8-16, "
                                 "noise=GaussianNoise(std=0.5, bounds=(0.0, 1.0), seed=0))")


# -------------------------------------------------------------- gradients
@pytest.mark.parametrize("hidden, lossFunction", [(Tanh, MSE()), (ReLU, MSE()), (Tanh, CrossEntropy())])
def test_whole_autoencoder_gradients_match_finite_differences(hidden, lossFunction):
    autoencoder = smallAutoencoder(GaussianNoise(0.3, seed=1), dtype=np.float64, hidden=hidden)
    x = images(6)
    noisy = autoencoder.noise(x)   # the noise held fixed: one draw

    def objective():
        return lossFunction(autoencoder.forward(noisy), x)

    inputGradient = autoencoder.backward(lossFunction.gradient(autoencoder.forward(noisy), x), inputGradient=True)
    layers = autoencoder.encoder.layers + autoencoder.decoder.layers
    analytic = [(layer.dW.copy(), layer.db.copy()) for layer in layers]
    for index, (layer, (dW, db)) in enumerate(zip(layers, analytic)):
        assertGradient(dW, numericalGradient(objective, layer.W), f"autoencoder layer {index} dW ({hidden.__name__})")
        assertGradient(db, numericalGradient(objective, layer.b), f"autoencoder layer {index} db ({hidden.__name__})")
    assertGradient(inputGradient, numericalGradient(objective, noisy), "autoencoder dL/dx")


def test_gradients_agree_with_pytorch_autograd():
    torch = pytest.importorskip("torch")
    autoencoder = smallAutoencoder(dtype=np.float64)
    x = images(5)
    yPred = autoencoder.forward(x)
    autoencoder.backward(MSE().gradient(yPred, x))
    layers = autoencoder.encoder.layers + autoencoder.decoder.layers
    weights = [(torch.tensor(layer.W, requires_grad=True), torch.tensor(layer.b, requires_grad=True))
               for layer in layers]
    out = torch.tensor(x)
    for index, (W, b) in enumerate(weights):
        out = out @ W.T + b
        out = torch.sigmoid(out) if index == len(weights) - 1 else torch.relu(out)
    (0.5 * ((out - torch.tensor(x)) ** 2).sum() / len(x)).backward()
    np.testing.assert_allclose(yPred, out.detach().numpy(), rtol=1e-12)
    for layer, (W, b) in zip(layers, weights):
        np.testing.assert_allclose(layer.dW, W.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(layer.db, b.grad.numpy(), rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------- training
def test_one_epoch_of_one_batch_is_one_step_on_a_noisy_input_towards_the_clean_one():
    x = images(32)
    data = Dataset(x_train=x, y_train=np.zeros((32, 1)), batch_size=32, shuffle=False, dtype=np.float64)
    trained = smallAutoencoder(GaussianNoise(0.4, seed=5), dtype=np.float64, optimizer=SGD(learningRate=0.5))
    byHand = smallAutoencoder(GaussianNoise(0.4, seed=5), dtype=np.float64, optimizer=SGD(learningRate=0.5))
    trained.train(data, MSE(), epochs=1, verbose=False)
    noisy = GaussianNoise(0.4, seed=5)(x)
    byHand.backward(MSE().gradient(byHand.forward(noisy), x))   # target: the clean x, not y
    byHand.update()
    for a, b in zip(trained.getWeights(), byHand.getWeights()):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_every_batch_gets_fresh_noise():
    class Recording(GaussianNoise):
        def __call__(self, x):
            noisy = super().__call__(x)
            seen.append((x.copy(), noisy))
            return noisy

    seen = []
    autoencoder = smallAutoencoder(Recording(0.3, seed=0))
    data = Dataset(x_train=np.tile(images(1), (40, 1)), y_train=np.zeros((40, 1)), batch_size=10)
    autoencoder.train(data, MSE(), epochs=2, verbose=False)
    assert len(seen) == 8
    noises = [noisy - clean for clean, noisy in seen]   # the clean batches are all alike here
    assert all(not np.array_equal(noises[i], noises[j]) for i in range(8) for j in range(i))


def test_training_denoises_and_reports_its_metrics(capsys):
    autoencoder = smallAutoencoder(GaussianNoise(0.3, seed=0), optimizer=Adam(learningRate=0.01))
    data = imageData(400)
    before = autoencoder.evaluate(data.x_test, MSE())
    history = autoencoder.train(data, MSE(), epochs=15, metrics=["train_loss", "test_loss", "test_psnr"])
    after = autoencoder.evaluate(data.x_test, MSE())
    assert set(history) == {"train_loss", "test_loss", "test_psnr"}
    assert all(len(values) == 15 for values in history.values())
    assert history["test_loss"][-1] == pytest.approx(after["loss"])
    assert history["test_psnr"][-1] == pytest.approx(after["psnr"])
    assert after["noisy_psnr"] == before["noisy_psnr"]   # the same noisy test set every time
    assert after["psnr"] > after["noisy_psnr"] + 3 and after["loss"] < before["loss"] / 4
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 15 and "test_psnr" in out


def test_the_same_seed_gives_the_same_training():
    runs = [smallAutoencoder(GaussianNoise(0.3, seed=4)) for _ in range(2)]
    for run in runs:
        run.train(imageData(seed=1), MSE(), epochs=2, verbose=False)
    for a, b in zip(*(run.getWeights() for run in runs)):
        np.testing.assert_array_equal(a, b)


def test_without_noise_it_is_a_plain_autoencoder():
    autoencoder = smallAutoencoder(noise=None, optimizer=Adam(learningRate=0.01))
    data = imageData(400)
    autoencoder.train(data, MSE(), epochs=10, verbose=False)
    figures = autoencoder.evaluate(data.x_test, MSE())
    assert figures["noisy_psnr"] == np.inf and figures["psnr"] > 20


def test_early_stopping_and_callbacks_see_the_autoencoder():
    autoencoder = smallAutoencoder(GaussianNoise(0.3, seed=0))
    seen = []
    stopper = EarlyStopping(monitor="test_loss", patience=0, min_delta=1.0)   # nothing improves by 1.0
    history = autoencoder.train(imageData(), MSE(), epochs=10, metrics=["test_loss"], verbose=False,
                                callbacks={"on_epoch_end": [lambda model, epoch, logs: seen.append(model), stopper]})
    assert len(history["test_loss"]) == 2 and stopper.stopped_epoch == 1
    assert seen == [autoencoder, autoencoder]


def test_divergence_raises_and_restores_finite_weights():
    encoder = network([16, 8], [Identity()], optimizer=SGD(learningRate=50.0))
    decoder = network([8, 16], [Identity()], optimizer=SGD(learningRate=50.0))
    autoencoder = Autoencoder(encoder, decoder, GaussianNoise(0.3, seed=0))
    with pytest.raises(FloatingPointError, match="training diverged.*lower learning rate"):
        autoencoder.train(imageData(), MSE(), epochs=50, verbose=False)
    assert all(np.all(np.isfinite(weights)) for weights in autoencoder.getWeights())
    assert np.all(np.isfinite(autoencoder.reconstruct(images(3))))


def test_ctrl_c_returns_the_finished_epochs():
    autoencoder = smallAutoencoder(GaussianNoise(0.3, seed=0))
    finished = []

    def interrupt(model, batch, logs):
        if finished and batch == 2:
            raise KeyboardInterrupt

    history = autoencoder.train(imageData(), MSE(), epochs=5, metrics=["train_loss"], verbose=False,
                                callbacks={"on_batch_end": interrupt,
                                           "on_epoch_end": lambda model, epoch, logs: finished.append(epoch)})
    assert len(history["train_loss"]) == 1
    assert np.all(np.isfinite(autoencoder.reconstruct(images(3))))


def test_bad_training_arguments_fail_before_any_work():
    autoencoder = smallAutoencoder()
    weights = autoencoder.getWeights()
    with pytest.raises(ValueError, match=r"unknown metric\(s\) \['test_accuracy'\]; known metrics"):
        autoencoder.train(imageData(), MSE(), epochs=1, metrics=["test_accuracy"])
    with pytest.raises(TypeError, match=r"loss must be a Loss such as CrossEntropy\(\) or MSE\(\)"):
        autoencoder.train(imageData(), "mse", epochs=1)
    with pytest.raises(ValueError, match="Autoencoder.train: epochs must be a positive integer, got 0"):
        autoencoder.train(imageData(), MSE(), epochs=0)
    noTest = Dataset(x_train=images(20), y_train=images(20), batch_size=10)
    with pytest.raises(ValueError, match=r"metrics \['test_loss'\] need a test set"):
        autoencoder.train(noTest, MSE(), epochs=1, metrics=["test_loss"])
    wide = Dataset(x_train=np.zeros((20, 17)), y_train=np.zeros((20, 1)), batch_size=10)
    with pytest.raises(ValueError, match=r"dataset.x_train has shape \(20, 17\), but the encoder needs 16 columns"):
        autoencoder.train(wide, MSE(), epochs=1)
    with pytest.raises(ValueError, match=r"expected x of shape \(n, 16\), got \(3, 4\)"):
        autoencoder.evaluate(np.zeros((3, 4)), MSE())
    for a, b in zip(weights, autoencoder.getWeights()):
        np.testing.assert_array_equal(a, b)


def test_set_weights_checks_the_count():
    autoencoder = smallAutoencoder()
    with pytest.raises(ValueError, match="expected 8 arrays, got 7"):
        autoencoder.setWeights(autoencoder.getWeights()[:-1])


@pytest.mark.slow
def test_trains_on_real_mnist(mnistDir):
    data = Dataset(name="mnist", train_size=3000, test_size=500, batch_size=64, data_dir=mnistDir, seed=0)
    encoder = network([784, 64, 32], [ReLU(), ReLU()], optimizer=Adam(), seed=0)
    decoder = network([32, 64, 784], [ReLU(), Sigmoid()], optimizer=Adam(), seed=2)
    autoencoder = Autoencoder(encoder, decoder, GaussianNoise(0.5, seed=0))
    history = autoencoder.train(data, MSE(), epochs=4, metrics=["test_psnr"], verbose=False)
    figures = autoencoder.evaluate(data.x_test, MSE())
    assert 9 < figures["noisy_psnr"] < 10.5      # std 0.5, clipped to [0, 1]
    assert figures["psnr"] > figures["noisy_psnr"] + 3
    assert history["test_psnr"][-1] > history["test_psnr"][0]


# ------------------------------------------------------------- persistence
def test_save_and_load_predict_alike_and_resume_training_exactly(tmp_path):
    original = smallAutoencoder(SaltAndPepper(0.2, seed=3))
    original.train(imageData(seed=0), MSE(), epochs=2, verbose=False)
    path = original.save(tmp_path / "denoiser")
    assert path.endswith("denoiser.npz") and os.path.exists(path)
    loaded = Autoencoder.load(path)
    assert repr(loaded) == repr(original)
    np.testing.assert_array_equal(loaded.reconstruct(images(5)), original.reconstruct(images(5)))
    for model in (original, loaded):   # the same batches; the noise and Adam continue where they were
        model.train(imageData(seed=9), MSE(), epochs=2, verbose=False)
    for a, b in zip(original.getWeights(), loaded.getWeights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_saves_loadable_autoencoders(tmp_path):
    autoencoder = smallAutoencoder(Masking(0.3, seed=0))
    autoencoder.train(imageData(), MSE(), epochs=2, verbose=False,
                      callbacks=[ModelCheckpoint(tmp_path / "epoch{epoch}.npz")])
    assert sorted(os.listdir(tmp_path)) == ["epoch1.npz", "epoch2.npz"]
    last = Autoencoder.load(tmp_path / "epoch2.npz")
    np.testing.assert_array_equal(last.reconstruct(images(4)), autoencoder.reconstruct(images(4)))


def test_save_refuses_a_noise_that_load_could_not_rebuild(tmp_path):
    class Inverted(Noise):
        def corrupt(self, x, rng):
            return 1 - x

    autoencoder = smallAutoencoder(Inverted())
    np.testing.assert_array_equal(autoencoder.noise(np.zeros((2, 16))), 1.0)
    with pytest.raises(TypeError, match="cannot save a noise of type Inverted; load knows GaussianNoise, Salt"):
        autoencoder.save(tmp_path / "inverted.npz")
    assert not os.path.exists(tmp_path / "inverted.npz")


def test_save_and_load_without_noise(tmp_path):
    original = smallAutoencoder(noise=None, dtype=np.float64)
    loaded = Autoencoder.load(original.save(tmp_path / "plain.npz"))
    assert loaded.noise is None and loaded.dtype == np.float64
    np.testing.assert_array_equal(loaded.reconstruct(images(5)), original.reconstruct(images(5)))


def test_load_refuses_what_is_not_an_autoencoder(tmp_path):
    evil = tmp_path / "evil.npz"
    np.savez(evil, autoencoder=np.array([{"noise": None}], dtype=object))
    with pytest.raises(ValueError, match="evil.npz"):
        Autoencoder.load(evil)
    classifier = network([4, 2], [Sigmoid()])
    with pytest.raises(ValueError, match=r"classifier.npz is not a deepbasics Autoencoder file: it holds an MLP; read it with MLP.load"):
        Autoencoder.load(classifier.save(tmp_path / "classifier.npz"))
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(open(smallAutoencoder().save(tmp_path / "whole.npz"), "rb").read()[:300])
    with pytest.raises(ValueError, match="truncated.npz"):
        Autoencoder.load(truncated)


def test_load_names_a_bad_noise_and_mismatched_networks(tmp_path):
    arrays = dict(np.load(smallAutoencoder(GaussianNoise(0.5)).save(tmp_path / "a.npz")))
    description = json.loads(str(arrays["autoencoder"]))
    description["noise"]["config"]["std"] = -1
    np.savez(tmp_path / "badnoise.npz", **{**arrays, "autoencoder": np.array(json.dumps(description))})
    with pytest.raises(ValueError, match=r"badnoise.npz: part 'autoencoder' or the parts it joins are invalid .*std"):
        Autoencoder.load(tmp_path / "badnoise.npz")
    np.savez(tmp_path / "extra.npz", **arrays, stowaway=np.zeros(3))
    with pytest.raises(ValueError, match=r"extra.npz has unexpected parts \['stowaway'\]"):
        Autoencoder.load(tmp_path / "extra.npz")
    other = Autoencoder(network([16, 5], [ReLU()]), network([5, 8, 16], [ReLU(), Sigmoid()]))
    other = dict(np.load(other.save(tmp_path / "b")))
    mixed = {**arrays, **{key: value for key, value in other.items() if key.startswith("decoder.")}}
    np.savez(tmp_path / "mixed.npz", **mixed)
    with pytest.raises(ValueError, match=r"mixed.npz.*encoder's outputDim=4 must equal the decoder's inputDim=5"):
        Autoencoder.load(tmp_path / "mixed.npz")


# ----------------------------------------------------------- the example
def runScript(arguments, **options):
    return subprocess.run([sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, **options)


def test_example_and_benchmark_have_help():
    for script in ("examples/denoising_autoencoder.py", "benchmarks/autoencoder_torch.py"):
        result = runScript([script, "--help"], timeout=120)
        assert result.returncode == 0 and "--epochs" in result.stdout, result.stderr


@pytest.mark.slow
def test_example_prints_psnr_and_draws_its_picture(mnistDir, tmp_path):
    result = runScript(["examples/denoising_autoencoder.py", "--epochs", "1", "--train-size", "2000",
                        "--plots", str(tmp_path), "--save", str(tmp_path / "model")], timeout=600,
                       env={**os.environ, "DEEPBASICS_DATA_DIR": str(mnistDir)})
    assert result.returncode == 0, result.stderr[-2000:]
    match = re.search(r"^Test PSNR: noisy (\d+\.\d) dB -> denoised (\d+\.\d) dB$", result.stdout, re.MULTILINE)
    assert match and float(match[2]) > float(match[1])
    assert "Epoch 1/1" in result.stdout and "test_loss" in result.stdout
    picture = tmp_path / "autoencoder_mnist.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Autoencoder.load(tmp_path / "model.npz").inputDim == 784


@pytest.mark.slow
def test_benchmark_compares_with_pytorch(mnistDir):
    pytest.importorskip("torch")
    result = runScript(["benchmarks/autoencoder_torch.py", "--epochs", "1", "--train-size", "2000"], timeout=600,
                       env={**os.environ, "DEEPBASICS_DATA_DIR": str(mnistDir)})
    assert result.returncode == 0, result.stderr[-2000:]
    for library in ("deepbasics", "pytorch"):
        assert re.search(rf"^{library}: Test PSNR: noisy \d+\.\d dB -> denoised \d+\.\d dB", result.stdout, re.M)
    assert "deepbasics - pytorch: " in result.stdout
