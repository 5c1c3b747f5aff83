import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import assertGradient, numericalGradient
from loss import MSE, CrossEntropy


def test_mse_is_the_chapters_formula_with_its_half():
    yPred = np.array([[1.0, 2.0], [0.0, -1.0]])
    yTrue = np.array([[0.0, 0.0], [1.0, 1.0]])
    # 1/(2n) sum ||d||^2 = 1/4 * (1 + 4 + 1 + 4)
    assert MSE()(yPred, yTrue) == pytest.approx(2.5, rel=1e-15)
    np.testing.assert_allclose(MSE().gradient(yPred, yTrue), (yPred - yTrue) / 2)


def test_cross_entropy_is_the_per_output_binary_form():
    p = np.array([[0.7, 0.2, 0.1]])
    y = np.array([[1.0, 0.0, 0.0]])
    expected = -(np.log(0.7) + np.log(0.8) + np.log(0.9))
    assert CrossEntropy()(p, y) == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(CrossEntropy().gradient(p, y), [[-1 / 0.7, 1 / 0.8, 1 / 0.9]], rtol=1e-14)


def test_single_sample_counts_as_a_batch_of_one():
    assert MSE()(np.array([1.0, 1.0]), np.array([0.0, 0.0])) == pytest.approx(1.0)
    assert CrossEntropy()(np.array([0.5]), np.array([1.0])) == pytest.approx(np.log(2))


def test_loss_returns_a_python_float():
    assert type(MSE()(np.ones((2, 2), np.float32), np.zeros((2, 2)))) is float
    assert type(CrossEntropy()(np.full((2, 2), 0.5, np.float32), np.zeros((2, 2)))) is float


@pytest.mark.parametrize("loss", [MSE(), CrossEntropy()], ids=repr)
@pytest.mark.parametrize("shape", [(5, 3), (4,)])
def test_gradient_matches_finite_differences(loss, shape):
    rng = np.random.default_rng(0)
    yPred = rng.uniform(0.05, 0.95, shape)
    yTrue = rng.uniform(0, 1, shape)
    numeric = numericalGradient(lambda: loss(yPred, yTrue), yPred)
    assertGradient(loss.gradient(yPred, yTrue), numeric, f"{loss!r} {shape}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_finite_for_predictions_of_exactly_0_and_1(dtype):
    p = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=dtype)
    y = np.array([[1.0, 0.0, 1.0, 0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = CrossEntropy()(p, y)
        gradient = CrossEntropy().gradient(p, y)
    assert np.isfinite(value) and value > 0
    assert np.all(np.isfinite(gradient)) and gradient.dtype == dtype
    # right answers cost almost nothing, wrong ones a lot
    assert np.abs(gradient[0, 2:]).max() < 10
    assert gradient[0, 0] < 0 < gradient[0, 1]


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.sampled_from([np.float32, np.float64]))
def test_cross_entropy_is_finite_for_any_probability(p, y, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = CrossEntropy()(np.array([p], dtype), np.array([y], dtype))
        gradient = CrossEntropy().gradient(np.array([p], dtype), np.array([y], dtype))
    assert np.isfinite(value) and np.all(np.isfinite(gradient))


@pytest.mark.parametrize("loss", [MSE(), CrossEntropy()], ids=repr)
def test_mismatched_shapes_are_refused_with_both_shapes(loss):
    with pytest.raises(ValueError, match=r"yPred has shape \(2, 3\) but yTrue has shape \(2, 4\)"):
        loss(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"yPred has shape \(3,\) but yTrue has shape \(1, 3\)"):
        loss.gradient(np.zeros(3), np.zeros((1, 3)))


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    yPred, yTrue = rng.uniform(0.01, 0.99, (6, 4)), rng.uniform(0, 1, (6, 4))
    for loss, reference in [
        (MSE(), lambda p, y: torch.nn.functional.mse_loss(p, y, reduction="sum") / (2 * len(y))),
        (CrossEntropy(), lambda p, y: torch.nn.functional.binary_cross_entropy(p, y, reduction="sum") / len(y)),
    ]:
        p = torch.tensor(yPred, requires_grad=True)
        value = reference(p, torch.tensor(yTrue))
        value.backward()
        assert loss(yPred, yTrue) == pytest.approx(value.item(), rel=1e-12)
        assertGradient(loss.gradient(yPred, yTrue), p.grad.numpy(), f"{loss!r} vs torch", 1e-10)
