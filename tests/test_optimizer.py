import numpy as np
import pytest

import optimizer
import optimizers
from optimizer import SGD, Adam


def test_plain_sgd_step_by_hand():
    theta = np.array([1.0, -2.0, 3.0])
    SGD(learningRate=0.1).step(theta, np.array([0.5, 1.0, -1.0]))
    np.testing.assert_allclose(theta, [0.95, -2.1, 3.1], rtol=1e-15)


def test_sgd_momentum_follows_pytorchs_convention_by_hand():
    theta = np.array([1.0])
    sgd = SGD(learningRate=0.1, momentum=0.9)
    sgd.step(theta, np.array([1.0]))   # v = 1,              theta = 1 - 0.1
    sgd.step(theta, np.array([2.0]))   # v = 0.9 * 1 + 2 = 2.9, theta = 0.9 - 0.29
    np.testing.assert_allclose(theta, [0.61], rtol=1e-14)
    np.testing.assert_allclose(sgd.state(theta)["velocity"], [2.9], rtol=1e-15)


def test_adam_two_steps_by_hand():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    theta = np.array([0.5, -0.5])
    g1, g2 = np.array([0.2, -0.4]), np.array([0.1, 0.3])
    adam = Adam(learningRate=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    adam.step(theta, g1)
    # t = 1: mHat = g, vHat = g^2, so the step is lr * g / (|g| + eps)
    expected = np.array([0.5, -0.5]) - lr * g1 / (np.abs(g1) + eps)
    np.testing.assert_allclose(theta, expected, rtol=1e-15)
    adam.step(theta, g2)
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    mHat, vHat = m / (1 - b1**2), v / (1 - b2**2)
    expected -= lr * mHat / (np.sqrt(vHat) + eps)
    np.testing.assert_allclose(theta, expected, rtol=1e-14)
    state = adam.state(theta)
    assert state["t"] == 2
    np.testing.assert_allclose((1 - b1) * state["M"], m, rtol=1e-15)
    np.testing.assert_allclose((1 - b2) * state["V"], v, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [lambda: SGD(0.05, 0.8), lambda: Adam(0.01)], ids=["SGD", "Adam"])
def test_updates_stay_in_place_and_in_dtype(make, dtype):
    theta = np.ones((3, 2), dtype=dtype)
    alias = theta
    opt = make()
    for _ in range(3):
        opt.step(theta, np.full((3, 2), 0.5, dtype=dtype))
    assert theta is alias and theta.dtype == dtype and np.all(theta < 1)


def test_one_shared_instance_behaves_like_one_instance_per_parameter():
    rng = np.random.default_rng(0)
    for make in (lambda: Adam(0.01), lambda: SGD(0.1, momentum=0.5)):
        shared = make()
        thetasShared = [rng.normal(size=(4, 3)), rng.normal(size=3)]
        thetasOwn = [t.copy() for t in thetasShared]
        owners = [make(), make()]
        for step in range(5):
            gradients = [rng.normal(size=t.shape) for t in thetasShared]
            for theta, gradient in zip(thetasShared, gradients):
                shared.step(theta, gradient)
            for theta, gradient, own in zip(thetasOwn, gradients, owners):
                own.step(theta, gradient)
            # now and then the second parameter steps once more: its step count must be its own
            if step % 2:
                extra = rng.normal(size=3)
                shared.step(thetasShared[1], extra)
                owners[1].step(thetasOwn[1], extra)
        for a, b in zip(thetasShared, thetasOwn):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_against_torch_optim(momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    theta = rng.normal(size=(5, 4))
    reference = torch.tensor(theta.copy(), requires_grad=True)
    torchSgd = torch.optim.SGD([reference], lr=0.05, momentum=momentum)
    ours = SGD(learningRate=0.05, momentum=momentum)
    for _ in range(10):
        gradient = rng.normal(size=theta.shape)
        reference.grad = torch.tensor(gradient.copy())
        torchSgd.step()
        ours.step(theta, gradient)
    np.testing.assert_allclose(theta, reference.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_against_torch_optim(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    theta = rng.normal(size=(6, 3)).astype(dtype)
    reference = torch.tensor(theta.copy(), requires_grad=True)
    torchAdam = torch.optim.Adam([reference], lr=0.01, betas=(0.8, 0.99), eps=1e-6)
    ours = Adam(learningRate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6)
    for _ in range(20):
        gradient = rng.normal(size=theta.shape).astype(dtype)
        reference.grad = torch.tensor(gradient.copy())
        torchAdam.step()
        ours.step(theta, gradient)
    tolerance = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(theta, reference.detach().numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("call, message", [
    (lambda: SGD(learningRate=-0.1), r"SGD: learningRate must be in \[0, inf\), got -0.1"),
    (lambda: SGD(momentum=1.0), r"SGD: momentum must be in \[0, 1\), got 1.0"),
    (lambda: Adam(learningRate=-1), r"Adam: learningRate must be in \[0, inf\), got -1.0"),
    (lambda: Adam(beta_1=1.0), r"Adam: beta_1 must be in \[0, 1\), got 1.0"),
    (lambda: Adam(beta_2=-0.5), r"Adam: beta_2 must be in \[0, 1\), got -0.5"),
    (lambda: Adam(epsilon=-1e-8), r"Adam: epsilon must be in \[0, inf\), got -1e-08"),
    (lambda: Adam(learningRate=float("nan")), r"Adam: learningRate must be in \[0, inf\), got nan"),
])
def test_hyperparameters_are_validated(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_hyperparameters_must_be_numbers():
    with pytest.raises(TypeError, match="Adam: learningRate must be a number, got str '0.1'"):
        Adam(learningRate="0.1")


def test_repr_reads_like_the_code():
    assert repr(SGD(learningRate=0.01)) == "SGD(learningRate=0.01, momentum=0.0)"
    assert repr(Adam()) == "Adam(learningRate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08)"


def test_both_spellings_give_the_same_classes():
    assert optimizers.SGD is optimizer.SGD and optimizers.Adam is optimizer.Adam
