import numpy as np
import pytest

import optimizer
import optimizers
from optimizer import SGD, Adam


def test_plain_sgd_step_by_hand():
    theta = np.array([1.0, -2.0, 3.0])
    state = {}
    SGD(learningRate=0.1).step(theta, np.array([0.5, 1.0, -1.0]), state)
    np.testing.assert_allclose(theta, [0.95, -2.1, 3.1], rtol=1e-15)
    assert state == {}   # plain SGD remembers nothing


def test_sgd_momentum_follows_pytorchs_convention_by_hand():
    theta = np.array([1.0])
    sgd, state = SGD(learningRate=0.1, momentum=0.9), {}
    sgd.step(theta, np.array([1.0]), state)   # v = 1,              theta = 1 - 0.1
    sgd.step(theta, np.array([2.0]), state)   # v = 0.9 * 1 + 2 = 2.9, theta = 0.9 - 0.29
    np.testing.assert_allclose(theta, [0.61], rtol=1e-14)
    np.testing.assert_allclose(state["velocity"], [2.9], rtol=1e-15)


def test_adam_two_steps_by_hand():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    theta = np.array([0.5, -0.5])
    g1, g2 = np.array([0.2, -0.4]), np.array([0.1, 0.3])
    adam, state = Adam(learningRate=lr, beta_1=b1, beta_2=b2, epsilon=eps), {}
    adam.step(theta, g1, state)
    # t = 1: mHat = g, vHat = g^2, so the step is lr * g / (|g| + eps)
    expected = np.array([0.5, -0.5]) - lr * g1 / (np.abs(g1) + eps)
    np.testing.assert_allclose(theta, expected, rtol=1e-15)
    adam.step(theta, g2, state)
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    mHat, vHat = m / (1 - b1**2), v / (1 - b2**2)
    expected -= lr * mHat / (np.sqrt(vHat) + eps)
    np.testing.assert_allclose(theta, expected, rtol=1e-14)
    assert state["t"] == 2
    np.testing.assert_allclose(state["m"], m, rtol=1e-15)
    np.testing.assert_allclose(state["v"], v, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [lambda: SGD(0.05, 0.8), lambda: Adam(0.01)], ids=["SGD", "Adam"])
def test_updates_stay_in_place_and_in_dtype(make, dtype):
    theta = np.ones((3, 2), dtype=dtype)
    alias = theta
    opt, state = make(), {}
    for _ in range(3):
        opt.step(theta, np.full((3, 2), 0.5, dtype=dtype), state)
    assert theta is alias and theta.dtype == dtype and np.all(theta < 1)
    assert all(value.dtype == dtype for value in state.values() if isinstance(value, np.ndarray))


def test_one_shared_instance_behaves_like_one_instance_per_parameter():
    rng = np.random.default_rng(0)
    for make in (lambda: Adam(0.01), lambda: SGD(0.1, momentum=0.5)):
        shared = make()
        thetasShared = [rng.normal(size=(4, 3)), rng.normal(size=3)]
        thetasOwn = [t.copy() for t in thetasShared]
        owners, statesShared, statesOwn = [make(), make()], [{}, {}], [{}, {}]
        for step in range(5):
            gradients = [rng.normal(size=t.shape) for t in thetasShared]
            for theta, gradient, state in zip(thetasShared, gradients, statesShared):
                shared.step(theta, gradient, state)
            for theta, gradient, own, state in zip(thetasOwn, gradients, owners, statesOwn):
                own.step(theta, gradient, state)
            # now and then the second parameter steps once more: its step count must be its own
            if step % 2:
                extra = rng.normal(size=3)
                shared.step(thetasShared[1], extra, statesShared[1])
                owners[1].step(thetasOwn[1], extra, statesOwn[1])
        for a, b in zip(thetasShared, thetasOwn):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_against_torch_optim(momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    theta = rng.normal(size=(5, 4))
    reference = torch.tensor(theta.copy(), requires_grad=True)
    torchSgd = torch.optim.SGD([reference], lr=0.05, momentum=momentum)
    ours, state = SGD(learningRate=0.05, momentum=momentum), {}
    for _ in range(10):
        gradient = rng.normal(size=theta.shape)
        reference.grad = torch.tensor(gradient.copy())
        torchSgd.step()
        ours.step(theta, gradient, state)
    np.testing.assert_allclose(theta, reference.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_against_torch_optim(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    theta = rng.normal(size=(6, 3)).astype(dtype)
    reference = torch.tensor(theta.copy(), requires_grad=True)
    torchAdam = torch.optim.Adam([reference], lr=0.01, betas=(0.8, 0.99), eps=1e-6)
    ours, state = Adam(learningRate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6), {}
    for _ in range(20):
        gradient = rng.normal(size=theta.shape).astype(dtype)
        reference.grad = torch.tensor(gradient.copy())
        torchAdam.step()
        ours.step(theta, gradient, state)
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
    (lambda: SGD(learningRate=float("inf")), r"SGD: learningRate must be in \[0, inf\), got inf"),
])
def test_hyperparameters_are_validated(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_adam_flushes_subnormal_first_moments_and_moves_like_pytorch_after_hundreds_of_steps():
    """A gradient that is zero after the first steps makes m decay below float32's smallest normal
    number; those entries are set to zero (for speed) without changing any step that matters."""
    torch = pytest.importorskip("torch")
    theta = np.array([0.5, -0.5], dtype=np.float32)
    reference = torch.tensor(theta.copy(), requires_grad=True)
    torchAdam = torch.optim.Adam([reference], lr=0.001)
    ours, state = Adam(), {}
    for step in range(1000):
        gradient = np.array([0.3, 0.2] if step < 5 else [0.0, 0.2], dtype=np.float32)
        reference.grad = torch.tensor(gradient)
        torchAdam.step()
        ours.step(theta, gradient, state)
    assert 0 < abs(torchAdam.state[reference]["exp_avg"][0].item()) < np.finfo(np.float32).tiny
    np.testing.assert_allclose(theta, reference.detach().numpy(), rtol=1e-5)


def test_hyperparameters_must_be_numbers():
    with pytest.raises(TypeError, match="Adam: learningRate must be a number, got str '0.1'"):
        Adam(learningRate="0.1")


def test_repr_reads_like_the_code():
    assert repr(SGD(learningRate=0.01)) == "SGD(learningRate=0.01, momentum=0.0)"
    assert repr(Adam()) == "Adam(learningRate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08)"


def test_both_spellings_give_the_same_classes():
    assert optimizers.SGD is optimizer.SGD and optimizers.Adam is optimizer.Adam


@pytest.mark.parametrize("make", [lambda: Adam(0.01), lambda: SGD(0.01, momentum=0.9)])
def test_a_numpy_learning_rate_set_later_steps_like_a_python_float(make):
    # A schedule such as lr0 * np.exp(-k * epoch) gives NumPy float64 scalars; a float32 update must stay float32.
    scheduled, plain = make(), make()
    scheduled.learningRate, plain.learningRate = np.float64(0.005), 0.005
    assert type(scheduled.learningRate) is float and repr(scheduled) == repr(plain)
    rng = np.random.default_rng(0)
    start = rng.normal(size=(3, 4)).astype(np.float32)
    parameters = [start.copy(), start.copy()]
    states = [{}, {}]
    for _ in range(3):
        gradient = rng.normal(size=(3, 4)).astype(np.float32)
        for optimizer_, parameter, state in zip((scheduled, plain), parameters, states):
            optimizer_.step(parameter, gradient, state)
    np.testing.assert_array_equal(parameters[0], parameters[1])
    assert parameters[0].dtype == np.float32
