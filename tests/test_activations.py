import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, fromConfig
from helpers import assertGradient, numericalGradient

ALL = [Identity(), Sigmoid(), Tanh(), ReLU(), LeakyReLU(epsilon=0.01), LeakyReLU(epsilon=0.2), Softmax()]


def awayFromKinks(rng, shape):
    """Inputs with |z| >= 0.05, so the ReLU family is differentiable at every point."""
    z = rng.normal(0, 2, shape)
    return np.where(np.abs(z) < 0.05, 0.05 * np.sign(z) + 0.05 * (z == 0), z)


def test_values_follow_the_chapter_formulas():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(Identity()(z), z)
    np.testing.assert_allclose(Sigmoid()(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    np.testing.assert_allclose(Tanh()(z), np.sinh(z) / np.cosh(z), rtol=1e-15)
    np.testing.assert_array_equal(ReLU()(z), [0, 0, 0, 0.5, 3])
    np.testing.assert_allclose(LeakyReLU(epsilon=0.1)(z), [-0.2, -0.05, 0, 0.5, 3])
    row = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(Softmax()(row), np.exp(row) / np.exp(row).sum(), rtol=1e-15)


@pytest.mark.parametrize("activation", ALL, ids=repr)
@pytest.mark.parametrize("shape", [(4, 5), (6,)])
def test_backward_matches_finite_differences(activation, shape):
    rng = np.random.default_rng(0)
    z = awayFromKinks(rng, shape)
    upstream = rng.normal(size=shape)  # dL/da for L = sum(upstream * f(z))
    analytic = activation.backward(activation.forward(z.copy()), upstream)
    numeric = numericalGradient(lambda: float(np.sum(upstream * activation.forward(z.copy()))), z)
    assertGradient(analytic, numeric, f"{activation!r} {shape}")


@pytest.mark.parametrize("activation", ALL, ids=repr)
def test_forward_and_backward_leave_their_inputs_alone(activation):
    rng = np.random.default_rng(1)
    z = awayFromKinks(rng, (3, 4))
    zCopy = z.copy()
    a = activation.forward(z)
    gradient = rng.normal(size=(3, 4))
    aCopy, gradientCopy = a.copy(), gradient.copy()
    result = activation.backward(a, gradient)
    np.testing.assert_array_equal(z, zCopy)
    np.testing.assert_array_equal(a, aCopy)
    np.testing.assert_array_equal(gradient, gradientCopy)
    assert result is not gradient and a is not z


@pytest.mark.parametrize("activation", ALL, ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(activation, dtype):
    z = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    a = activation(z)
    assert a.dtype == dtype
    assert activation.backward(a, np.ones_like(a)).dtype == dtype


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=8),
                  elements=st.floats(-1e4, 1e4)),
       st.sampled_from([np.float32, np.float64]))
def test_sigmoid_and_softmax_are_safe_for_large_inputs(z, dtype):
    z = z.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
            for activation in (Sigmoid(), Softmax(), Tanh()):
                a = activation(z)
                assert np.all(np.isfinite(a))
                assert np.all((a >= 0) | isinstance(activation, Tanh)) and np.all(a <= 1)
    np.testing.assert_allclose(Softmax()(z).sum(axis=-1), 1, rtol=1e-5)


def test_softmax_extremes():
    a = Softmax()(np.array([[1e4, -1e4, 0.0], [5.0, 5.0, 5.0]]))
    np.testing.assert_allclose(a, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])
    assert Sigmoid()(np.array([-1e4]))[0] == 0 and Sigmoid()(np.array([1e4]))[0] == 1


def test_integer_input_is_converted_to_float():
    np.testing.assert_allclose(Sigmoid()([0, 0]), [0.5, 0.5])


def test_leaky_relu_validates_epsilon():
    with pytest.raises(ValueError, match=r"epsilon must be in \[0, 1\), got -0.1"):
        LeakyReLU(epsilon=-0.1)
    with pytest.raises(TypeError, match="epsilon must be a number, got str"):
        LeakyReLU(epsilon="0.1")


def test_repr_and_rebuild_from_config():
    assert repr(LeakyReLU(epsilon=0.01)) == "LeakyReLU(epsilon=0.01)"
    assert repr(Softmax()) == "Softmax()"
    for activation in ALL:
        assert fromConfig(type(activation).__name__, activation.config()) == activation
    with pytest.raises(ValueError, match="unknown activation 'Swish'"):
        fromConfig("Swish", {})


@pytest.mark.parametrize("activation", ALL, ids=repr)
def test_against_pytorch_autograd(activation):
    torch = pytest.importorskip("torch")
    functions = {"Identity": lambda t: t, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh,
                 "ReLU": torch.relu, "Softmax": lambda t: torch.softmax(t, dim=-1),
                 "LeakyReLU": lambda t: torch.nn.functional.leaky_relu(t, activation.config().get("epsilon", 0))}
    rng = np.random.default_rng(2)
    z = awayFromKinks(rng, (5, 7))
    upstream = rng.normal(size=(5, 7))
    zTorch = torch.tensor(z, requires_grad=True)
    aTorch = functions[type(activation).__name__](zTorch)
    (aTorch * torch.tensor(upstream)).sum().backward()
    a = activation(z)
    np.testing.assert_allclose(a, aTorch.detach().numpy(), rtol=1e-12, atol=1e-15)
    assertGradient(activation.backward(a, upstream), zTorch.grad.numpy(), f"{activation!r} vs torch", 1e-10)
