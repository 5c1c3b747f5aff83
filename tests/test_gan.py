"""The GAN: its gradients (finite differences, PyTorch), its training, its files, its score."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from conftest import ROOT, dataDir
from dataset import Dataset
from gan import GAN, classShares, mnistScore
from helpers import assertGradient, numericalGradient
from layers import Dense
from nn import MLP
from optimizer import SGD, Adam


def network(sizes, hidden, output, dtype=np.float64, seed=0, optimizer=None):
    model = MLP(dtype=dtype)
    for index, (inputDim, outputDim) in enumerate(zip(sizes, sizes[1:])):
        activation = output if index == len(sizes) - 2 else hidden
        model.addLayer(Dense(inputDim, outputDim, activation=activation,
                             optimizer=optimizer or Adam(0.0002, 0.5), seed=seed + index))
    return model


def smallGAN(dtype=np.float64, seed=0, realLabel=1.0):
    """Latent 3 -> 5 -> 4 generator, 4 -> 6 -> 1 discriminator: the GAN's activations, tiny."""
    generator = network([3, 5, 4], LeakyReLU(0.2), Tanh(), dtype, seed)
    discriminator = network([4, 6, 1], LeakyReLU(0.2), Sigmoid(), dtype, seed + 10)
    return GAN(generator, discriminator, latentDim=3, realLabel=realLabel, seed=seed)


def gaussianGAN(seed=0):
    """A GAN that learns the 1-D normal distribution N(3, 0.5^2) from 1,024 samples."""
    generator = network([2, 16, 1], LeakyReLU(0.2), Identity(), np.float32, seed, Adam(0.005, 0.5))
    discriminator = network([1, 16, 1], LeakyReLU(0.2), Sigmoid(), np.float32, seed + 10, Adam(0.005, 0.5))
    data = Dataset(x_train=np.random.default_rng(seed).normal(3.0, 0.5, (1024, 1)), y_train=np.zeros(1024),
                   batch_size=64, seed=seed)
    return GAN(generator, discriminator, latentDim=2, seed=seed), data


# ------------------------------------------------------------------ building
def test_sample_has_the_generators_shape_dtype_and_range():
    gan = smallGAN(dtype=np.float32)
    samples = gan.sample(7)
    assert samples.shape == (7, 4) and samples.dtype == np.float32
    assert np.all(np.abs(samples) <= 1)   # a Tanh output
    z = gan.noise(5)
    np.testing.assert_array_equal(gan.generate(z), gan.generator.predict(z))


def test_the_same_seed_samples_the_same_digits():
    np.testing.assert_array_equal(smallGAN(seed=4).sample(3), smallGAN(seed=4).sample(3))


@pytest.mark.parametrize("build, error, message", [
    (lambda g, d: GAN("generator", d, 3), TypeError, "GAN: generator must be an MLP, got str 'generator'"),
    (lambda g, d: GAN(g, MLP(dtype=np.float64), 3), ValueError,
     "GAN: the discriminator has no layers yet; add some with addLayer(Dense(...))"),
    (lambda g, d: GAN(g, g, 3), ValueError,
     "GAN: the generator and the discriminator are the same MLP object; give two separate ones"),
    (lambda g, d: GAN(g, d, 2), ValueError, "latentDim=2 but the generator's inputDim is 3"),
    (lambda g, d: GAN(g, d, 3.0), TypeError, "latentDim must be a"),
    (lambda g, d: GAN(g, d, 3, realLabel=0.5), ValueError, "realLabel must be in (0.5, 1], got 0.5"),
    (lambda g, d: GAN(g, d, 3, realLabel=1.5), ValueError, "realLabel must be in (0.5, 1], got 1.5"),
    (lambda g, d: GAN(g, network([5, 1], None, Sigmoid()), 3), ValueError,
     "GAN: the generator's outputDim=4 must equal the discriminator's inputDim=5"),
    (lambda g, d: GAN(g, network([4, 2], None, Softmax()), 3), ValueError,
     "must end in one Sigmoid output (a probability), got outputDim=2"),
    (lambda g, d: GAN(g, network([4, 1], None, ReLU()), 3), ValueError, "got outputDim=1 with ReLU"),
    (lambda g, d: GAN(g, network([4, 1], None, Sigmoid(), dtype=np.float32), 3), ValueError,
     "GAN: the generator's dtype=float64 must equal the discriminator's dtype=float32; build every part"),
])
def test_a_gan_that_cannot_work_is_refused_at_construction(build, error, message):
    parts = smallGAN()
    with pytest.raises(error, match=re.escape(message)):
        build(parts.generator, parts.discriminator)


@pytest.mark.parametrize("n", [0, -2, 2.5, True])
def test_sample_refuses_a_count_that_is_not_a_positive_integer(n):
    with pytest.raises((ValueError, TypeError), match="GAN: the number of samples n must be"):
        smallGAN().sample(n)


# ----------------------------------------------------------------- gradients
def assertGradientsAndUntouched(model, lossFunction, name, other, otherWeights):
    """Every ``dW``, ``db`` of ``model`` equals finite differences of ``lossFunction``; ``other`` kept its weights."""
    for index, layer in enumerate(model.layers):
        assertGradient(layer.dW, numericalGradient(lossFunction, layer.W), f"{name} layer {index} W")
        assertGradient(layer.db, numericalGradient(lossFunction, layer.b), f"{name} layer {index} b")
    for before, after in zip(otherWeights, other.getWeights()):
        np.testing.assert_array_equal(before, after)


def test_generator_gradients_through_the_discriminator_equal_finite_differences():
    gan = smallGAN()
    z = np.random.default_rng(1).standard_normal((6, 3))
    discriminatorBefore = gan.discriminator.getWeights()
    loss = gan.generatorBackward(z)
    ones = np.ones((6, 1))

    def generatorLoss():
        return gan.loss(gan.discriminator.predict(gan.generator.predict(z)), ones)

    assert loss == pytest.approx(generatorLoss(), rel=1e-12)
    # Backpropagating through the discriminator left its weights alone.
    assertGradientsAndUntouched(gan.generator, generatorLoss, "generator", gan.discriminator, discriminatorBefore)


@pytest.mark.parametrize("realLabel", [1.0, 0.9])
def test_discriminator_gradients_equal_finite_differences(realLabel):
    gan = smallGAN(realLabel=realLabel)
    rng = np.random.default_rng(2)
    real, z = rng.uniform(-1, 1, (5, 4)), rng.standard_normal((3, 3))
    generatorBefore = gan.generator.getWeights()
    loss = gan.discriminatorBackward(real, z)
    labels = np.array([[realLabel]] * 5 + [[0.0]] * 3)
    fake = gan.generator.predict(z)

    def discriminatorLoss():
        return gan.loss(gan.discriminator.predict(np.concatenate([real, fake])), labels)

    assert loss == pytest.approx(discriminatorLoss(), rel=1e-12)
    assertGradientsAndUntouched(gan.discriminator, discriminatorLoss, "discriminator", gan.generator, generatorBefore)


def test_both_players_gradients_equal_pytorch_autograd():
    torch = pytest.importorskip("torch")
    gan = smallGAN()
    rng = np.random.default_rng(3)
    real = rng.uniform(-1, 1, (4, 4))
    zDiscriminator, zGenerator = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))

    def torchCopy(model, last):
        modules = []
        for layer in model.layers:
            linear = torch.nn.Linear(layer.inputDim, layer.outputDim, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.W))
                linear.bias.copy_(torch.from_numpy(layer.b))
            modules += [linear, last if layer is model.layers[-1] else torch.nn.LeakyReLU(0.2)]
        return torch.nn.Sequential(*modules)

    generator = torchCopy(gan.generator, torch.nn.Tanh())
    discriminator = torchCopy(gan.discriminator, torch.nn.Sigmoid())
    bce = torch.nn.BCELoss()

    loss = gan.generatorBackward(zGenerator)
    expected = bce(discriminator(generator(torch.from_numpy(zGenerator))), torch.ones(4, 1, dtype=torch.float64))
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    for layer, linear in zip(gan.generator.layers, generator[::2]):
        np.testing.assert_allclose(layer.dW, linear.weight.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(layer.db, linear.bias.grad.numpy(), rtol=1e-10, atol=1e-13)

    discriminator.zero_grad()
    loss = gan.discriminatorBackward(real, zDiscriminator)
    fake = generator(torch.from_numpy(zDiscriminator)).detach()
    labels = torch.cat([torch.ones(4, 1), torch.zeros(4, 1)]).double()
    expected = bce(discriminator(torch.cat([torch.from_numpy(real), fake])), labels)
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    for layer, linear in zip(gan.discriminator.layers, discriminator[::2]):
        np.testing.assert_allclose(layer.dW, linear.weight.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(layer.db, linear.bias.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_train_step_moves_the_discriminator_then_the_generator_with_their_own_gradients():
    """One step with SGD is exactly theta - learningRate * gradient, for each player in turn."""
    generator = network([3, 5, 4], LeakyReLU(0.2), Tanh(), optimizer=SGD(learningRate=0.1))
    discriminator = network([4, 6, 1], LeakyReLU(0.2), Sigmoid(), seed=10, optimizer=SGD(learningRate=0.1))
    gan, twin = GAN(generator, discriminator, 3, seed=5), smallGAN()
    twin.generator.setWeights(generator.getWeights())
    twin.discriminator.setWeights(discriminator.getWeights())
    real = np.random.default_rng(4).uniform(-1, 1, (6, 4))
    noise = np.random.default_rng(5)   # the noise the GAN seeded with 5 draws: one batch for D, one for G
    zDiscriminator, zGenerator = noise.standard_normal((6, 3)), noise.standard_normal((6, 3))

    figures = gan.trainStep(real)

    twin.discriminatorBackward(real, zDiscriminator)
    for layer, stepped in zip(twin.discriminator.layers, discriminator.layers):
        np.testing.assert_allclose(stepped.W, layer.W - 0.1 * layer.dW, rtol=1e-12)
    twin.discriminator.setWeights(discriminator.getWeights())
    assert figures["generator_loss"] == pytest.approx(twin.generatorBackward(zGenerator), rel=1e-12)
    for layer, stepped in zip(twin.generator.layers, generator.layers):
        np.testing.assert_allclose(stepped.W, layer.W - 0.1 * layer.dW, rtol=1e-12)
        np.testing.assert_allclose(stepped.b, layer.b - 0.1 * layer.db, rtol=1e-12, atol=1e-15)
    assert set(figures) == {"discriminator_loss", "generator_loss"}


def test_the_generator_step_leaves_the_discriminators_gradients_and_trainable_flags_as_they_were():
    gan = smallGAN()
    gan.discriminatorBackward(np.zeros((6, 4)), np.ones((6, 3)))
    gradients = [gradient.copy() for _, gradient in gan.discriminator.parameters()]
    gan.discriminator.layers[0].trainable = False          # the user's own choice survives the step
    gan.generatorBackward(np.random.default_rng(0).standard_normal((6, 3)))
    for (_, gradient), before in zip(gan.discriminator.parameters(), gradients):
        np.testing.assert_array_equal(gradient, before)
    assert [layer.trainable for layer in gan.discriminator.layers] == [False, True]


def test_a_frozen_discriminator_keeps_its_weights_while_the_generator_learns():
    gan = smallGAN()
    gan.discriminator.trainable = False
    discriminator, generator = gan.discriminator.getWeights(), gan.generator.getWeights()
    for _ in range(3):
        gan.trainStep(np.random.default_rng(1).uniform(-1, 1, (6, 4)))
    for now, before in zip(gan.discriminator.getWeights(), discriminator):
        np.testing.assert_array_equal(now, before)
    assert not np.array_equal(gan.generator.getWeights()[0], generator[0])


# ------------------------------------------------------------------ training
def test_a_small_gan_learns_a_normal_distribution():
    gan, data = gaussianGAN()
    before = gan.sample(2000)
    history = gan.train(data, epochs=40, verbose=False)
    after = gan.sample(2000)

    def nearTheData(samples):   # 99.7% of the real samples lie in [1.5, 4.5]
        return np.mean(np.abs(samples - 3) < 1.5)

    assert abs(before.mean() - 3) > 1.5 and nearTheData(before) < 0.3
    # Over seeds 0-5 the mean lands within 0.16 of 3; the spread varies more (0.35 to 1.9).
    assert abs(after.mean() - 3) < 0.25, f"generated mean {after.mean():.3f}, real mean 3"
    assert nearTheData(after) > 0.5
    assert sorted(history) == ["discriminator_loss", "generator_loss"]
    assert all(len(values) == 40 and all(np.isfinite(values)) for values in history.values())
    # At equilibrium the discriminator cannot tell real from generated: D = 1/2 everywhere, loss ln 2.
    assert history["discriminator_loss"][-1] == pytest.approx(np.log(2), abs=0.05)


def test_train_prints_one_line_per_epoch_with_both_losses(capsys):
    gan, data = gaussianGAN()
    gan.train(data, epochs=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"Epoch 2/2 - [\d.]+s - discriminator_loss: [\d.]+ - generator_loss: [\d.]+", lines[1])


def test_callbacks_receive_the_gan_and_can_stop_it():
    gan, data = gaussianGAN()
    seen = []

    def stopAfterTwo(model, epoch, logs):
        seen.append((model, epoch, sorted(logs)))
        model.stop_training = epoch == 1

    history = gan.train(data, epochs=5, callbacks={"on_epoch_end": stopAfterTwo}, verbose=False)
    assert seen == [(gan, 0, ["discriminator_loss", "generator_loss"]),
                    (gan, 1, ["discriminator_loss", "generator_loss"])]
    assert len(history["generator_loss"]) == 2


def test_ctrl_c_returns_the_finished_epochs_and_the_gan_still_works():
    gan, data = gaussianGAN()

    def interrupt(model, batch, logs):
        if len(seen) == 20:   # batch 4 of the second epoch (16 batches an epoch)
            raise KeyboardInterrupt
        seen.append(batch)

    seen = []
    history = gan.train(data, epochs=3, callbacks={"on_batch_end": interrupt}, verbose=False)
    assert [len(values) for values in history.values()] == [1, 1]
    assert np.all(np.isfinite(gan.sample(10)))
    assert len(gan.train(data, epochs=1, verbose=False)["generator_loss"]) == 1


def test_divergence_raises_and_restores_finite_weights():
    gan, data = gaussianGAN()

    def poison(model, batch, logs):
        if batch == 3:
            model.generator.layers[-1].W[...] = np.inf

    with pytest.raises(FloatingPointError, match="training diverged.*lower learning rate"):
        gan.train(data, epochs=1, callbacks={"on_batch_end": poison}, verbose=False)
    assert all(np.all(np.isfinite(weights)) for weights in gan.getWeights())
    assert np.all(np.isfinite(gan.sample(10)))


def test_train_refuses_data_of_the_wrong_width_and_bad_epochs():
    gan, data = gaussianGAN()
    with pytest.raises(ValueError, match=re.escape("dataset.x_train has shape (10, 2), but the discriminator needs 1")):
        gan.train(Dataset(x_train=np.zeros((10, 2)), y_train=np.zeros(10), batch_size=5), epochs=1)
    with pytest.raises(ValueError, match="GAN.train: epochs must be .*, got 0"):
        gan.train(data, epochs=0)
    with pytest.raises(TypeError, match="dataset must be a Dataset"):
        gan.train([np.zeros((4, 1))], epochs=1)


def test_set_weights_checks_the_count():
    gan = smallGAN()
    total = len(gan.getWeights())
    with pytest.raises(ValueError, match=re.escape(f"GAN.setWeights: expected {total} arrays, got {total - 1}")):
        gan.setWeights(gan.getWeights()[:-1])


# --------------------------------------------------------------- persistence
def test_a_loaded_gan_samples_and_trains_exactly_like_the_original(tmp_path):
    gan, data = gaussianGAN()
    gan.train(data, epochs=2, verbose=False)   # so that Adam has moments and a step count to save
    path = gan.save(tmp_path / "gan")
    assert path.endswith("gan.npz") and os.path.exists(path)
    loaded = GAN.load(path, seed=7)
    z = gan.noise(50)
    np.testing.assert_array_equal(loaded.generate(z), gan.generate(z))
    assert (loaded.latentDim, loaded.realLabel) == (2, 1.0)
    original = GAN(gan.generator, gan.discriminator, 2, seed=7)   # the same noise as the loaded one
    real = data.x_train[:64]
    for _ in range(3):
        assert original.trainStep(real) == loaded.trainStep(real)
    for mine, theirs in zip(original.getWeights(), loaded.getWeights()):
        np.testing.assert_array_equal(mine, theirs)


def test_load_refuses_a_file_that_is_not_a_gan(tmp_path):
    classifier = network([4, 2], None, Softmax())
    path = classifier.save(tmp_path / "mlp.npz")
    with pytest.raises(ValueError, match=f"GAN.load: {re.escape(path)} is not a deepbasics GAN file: it holds an MLP"):
        GAN.load(path)


def savedWithRecord(tmp_path, name, record):
    """A saved small GAN's file, rewritten with ``record`` as its 'gan' entry; returns the new path."""
    with np.load(smallGAN().save(tmp_path / "gan.npz")) as archive:
        arrays = dict(archive)
    arrays["gan"] = record
    np.savez(tmp_path / name, **arrays)
    return tmp_path / name


def test_load_refuses_a_broken_gan_record_and_pickles(tmp_path):
    broken = savedWithRecord(tmp_path, "broken.npz", np.array('{"format": 99}'))
    with pytest.raises(ValueError, match=f"{re.escape(str(broken))}: part 'gan' has format 99"):
        GAN.load(broken)
    pickled = savedWithRecord(tmp_path, "pickled.npz", np.array([{"latentDim": 3}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        GAN.load(pickled)


def test_load_refuses_parts_that_do_not_fit(tmp_path):
    misfit = savedWithRecord(tmp_path, "misfit.npz", np.array('{"format": 1, "latentDim": 8, "realLabel": 1.0}'))
    with pytest.raises(ValueError, match="part 'gan' or the parts it joins are invalid.*latentDim=8"):
        GAN.load(misfit)


# -------------------------------------------------------------------- score
def test_mnist_score_is_ten_for_sure_and_varied_digits_and_one_for_a_single_class():
    assert mnistScore(np.eye(10)) == pytest.approx(10)
    assert mnistScore(np.tile(np.eye(10)[3], (50, 1))) == pytest.approx(1)   # mode collapse: one digit
    assert mnistScore(np.full((8, 10), 0.1)) == pytest.approx(1)             # no digit recognised


def test_mnist_score_matches_the_definition_by_hand():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    marginal = p.mean(axis=0)
    divergences = [sum(row[k] * np.log(row[k] / marginal[k]) for k in range(3)) for row in p]
    assert mnistScore(p) == pytest.approx(np.exp(np.mean(divergences)), rel=1e-12)


@pytest.mark.parametrize("probabilities, message", [
    (np.ones(10) / 10, r"shape \(n, classes\), got shape \(10,\)"),
    (np.zeros((0, 10)), r"got shape \(0, 10\)"),
    (np.full((2, 10), 0.2), "sum to 1 .*row sums from 2 to 2"),
    (np.array([[1.5, -0.5]]), "non-negative .*minimum -0.5"),
])
def test_mnist_score_refuses_what_is_not_probabilities(probabilities, message):
    with pytest.raises(ValueError, match=message):
        mnistScore(probabilities)


def test_class_shares_count_the_most_probable_class():
    p = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.5, 0.1, 0.4]])
    np.testing.assert_allclose(classShares(p), [0.75, 0.25, 0.0])


# ------------------------------------------------------- example, benchmark
def test_example_and_benchmark_have_help():
    for script in ("examples/gan.py", "benchmarks/gan_torch.py"):
        result = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0 and "--epochs" in result.stdout and "--classifier" in result.stdout


@pytest.fixture
def smallClassifier(tmp_path):
    """The chapter's classifier trained one epoch on 3,000 digits, saved for the scripts."""
    folder = dataDir()
    if folder is None or not (folder / "mnist").is_dir():
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    classifier = network([784, 100, 50, 10], ReLU(), Softmax(), np.float32, optimizer=Adam(0.001))
    from loss import CrossEntropy
    classifier.train(Dataset(name="mnist", train_size=3000, test_size=100, data_dir=folder, seed=0),
                     loss=CrossEntropy(), epochs=1, verbose=False)
    return classifier.save(tmp_path / "classifier.npz"), folder


@pytest.mark.slow
def test_example_trains_saves_grids_and_prints_the_score(smallClassifier, tmp_path):
    classifier, folder = smallClassifier
    result = subprocess.run(
        [sys.executable, "examples/gan.py", "--epochs", "2", "--train-size", "512", "--classifier", classifier,
         "--plots", str(tmp_path / "grids"), "--save", str(tmp_path / "gan.npz")], cwd=ROOT,
        capture_output=True, text=True, timeout=600, env={**os.environ, "DEEPBASICS_DATA_DIR": str(folder)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"^MNIST score: generated \d+\.\d, real test digits \d+\.\d$", result.stdout, re.MULTILINE)
    assert sorted(os.listdir(tmp_path / "grids")) == ["epoch_001.png", "epoch_002.png"]
    assert GAN.load(tmp_path / "gan.npz").sample(3).shape == (3, 784)


@pytest.mark.slow
def test_pytorch_reference_trains_and_prints_the_score(smallClassifier):
    pytest.importorskip("torch")
    classifier, folder = smallClassifier
    result = subprocess.run(
        [sys.executable, "benchmarks/gan_torch.py", "--epochs", "1", "--train-size", "512", "--classifier",
         classifier, "--speed-rounds", "1"], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "DEEPBASICS_DATA_DIR": str(folder)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"deepbasics / PyTorch = \d+\.\d\d$", result.stdout, re.MULTILINE)
    assert re.search(r"^MNIST score \(PyTorch\): generated \d+\.\d, real test digits \d+\.\d$", result.stdout,
                     re.MULTILINE)
