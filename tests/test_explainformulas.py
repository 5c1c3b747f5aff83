"""explainformulas: the chapter's formulas written anew, each checked here against its own definition."""

import math

import numpy as np
import pytest

from activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from explainformulas import (activationFormula, computesAs, lossFormula, measuredDelta, measuredLossGradient,
                             optimizerFormula, softmax, softmaxJacobian)
from loss import CrossEntropy, MSE
from optimizer import SGD, Adam

Z = np.array([[-2.0, -0.3, 0.4, 1.7], [0.9, -1.1, 2.5, -0.05]])   # no entry at ReLU's kink
EPS = float(np.finfo(np.float64).eps)


@pytest.mark.parametrize("activation", [Identity(), Sigmoid(), Tanh(), ReLU(), LeakyReLU(epsilon=0.1)], ids=repr)
def test_each_derivative_is_the_slope_of_its_function(activation):
    formula = activationFormula(activation)
    gradient = np.random.default_rng(0).normal(size=Z.shape)
    measured = measuredDelta(formula.function, Z, gradient)
    np.testing.assert_allclose(formula.derivative(Z) * gradient, measured, rtol=0, atol=1e-9)
    assert formula.name == type(activation).__name__ and formula.text.startswith("σ(z) = ")
    assert "Z" in formula.derivativeText or formula.derivativeText == "1"


def test_each_function_is_the_chapters():
    assert np.array_equal(activationFormula(ReLU()).function(Z), np.maximum(Z, 0))
    assert np.array_equal(activationFormula(LeakyReLU(epsilon=0.1)).function(Z), np.where(Z > 0, Z, 0.1 * Z))
    np.testing.assert_allclose(activationFormula(Sigmoid()).function(Z), 1 / (1 + np.exp(-Z)), rtol=1e-15)
    np.testing.assert_allclose(activationFormula(Tanh()).function(Z), np.tanh(Z), rtol=0, atol=0)
    # The sigmoid never overflows, and keeps the relative precision of a tiny output.
    assert activationFormula(Sigmoid()).function(np.array([-800.0, 800.0])).tolist() == [0.0, 1.0]
    assert activationFormula(Sigmoid()).function(np.array([-50.0]))[0] == pytest.approx(math.exp(-50), rel=1e-14)
    assert activationFormula(ReLU()).derivative(np.array([0.0]))[0] == 0.0   # the convention at the kink


def test_softmax_has_a_jacobian_whose_product_is_its_measured_delta():
    formula = activationFormula(Softmax())
    assert formula.derivative is None and formula.derivativeText is None
    a = formula.function(Z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(softmax(Z + 1000.0), a, rtol=1e-12)   # shifted by the row max: no overflow
    gradient = np.random.default_rng(1).normal(size=Z.shape)
    delta = np.einsum("nij,nj->ni", softmaxJacobian(a), gradient)
    np.testing.assert_allclose(delta, measuredDelta(softmax, Z, gradient), rtol=0, atol=1e-9)
    np.testing.assert_allclose(softmaxJacobian(a)[0], np.diag(a[0]) - np.outer(a[0], a[0]), rtol=0, atol=0)


class Swish(Activation):
    def forward(self, z):
        return z / (1 + np.exp(-z))

    def backward(self, a, gradient):
        return gradient


class KeptSigmoid(Sigmoid):
    """The chapter's Sigmoid with a backward of its own: still the chapter's formula."""

    def backward(self, a, gradient):
        return gradient


def test_a_users_own_activation_has_no_formula_and_a_subclass_keeping_forward_has_the_chapters():
    assert activationFormula(Swish()) is None
    assert activationFormula(KeptSigmoid()).name == "Sigmoid"


@pytest.mark.parametrize("loss", [MSE(), CrossEntropy()], ids=repr)
def test_each_loss_gradient_is_the_slope_of_its_value(loss):
    formula = lossFormula(loss, EPS)
    rng = np.random.default_rng(2)
    p, y = rng.uniform(0.05, 0.95, size=(3, 4)), np.eye(4)[[0, 2, 3]]
    measured = measuredLossGradient(formula.value, p, y)
    np.testing.assert_allclose(formula.gradient(p, y), measured, rtol=1e-6, atol=1e-9)
    assert "A" in formula.text and formula.gradientText


def test_the_loss_values_are_the_chapters_formulas():
    p, y = np.array([[0.8, 0.3]]), np.array([[1.0, 0.0]])
    assert lossFormula(MSE(), EPS).value(p, y) == pytest.approx((0.2 ** 2 + 0.3 ** 2) / 2)
    assert lossFormula(CrossEntropy(), EPS).value(p, y) == pytest.approx(-(math.log(0.8) + math.log(0.7)))
    # CrossEntropy keeps p inside [eps, 1 - eps]: a certain wrong answer costs -ln(eps), not infinity.
    certain = lossFormula(CrossEntropy(), 1e-7).value(np.array([[0.0]]), np.array([[1.0]]))
    assert certain == pytest.approx(-math.log(1e-7))


class Halved(MSE):
    def gradient(self, yPred, y):
        return super().gradient(yPred, y) / 2


class Renamed(MSE):
    """A subclass that changes nothing is the chapter's MSE."""


def test_a_loss_of_your_own_has_no_formula():
    assert lossFormula(Halved(), EPS) is None and not computesAs(Halved(), MSE)
    assert lossFormula(Renamed(), EPS) is not None and computesAs(Renamed(), MSE)


def test_adams_step_is_algorithm_one():
    formula = optimizerFormula(Adam(learningRate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-8))
    theta, g = np.array([1.0, -2.0]), np.array([0.5, -0.25])
    first = formula.step(theta, g, {}, Adam(learningRate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-8))
    assert first["t"] == 1
    np.testing.assert_allclose(first["m"], 0.2 * g)
    np.testing.assert_allclose(first["v"], 0.01 * g * g)
    np.testing.assert_allclose(first["mHat"], g)                        # the bias corrections undo the start at 0
    np.testing.assert_allclose(first["new"], theta - 0.01 * np.sign(g), rtol=1e-6)   # about α against the sign
    second = formula.step(first["new"], g, first, Adam(learningRate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-8))
    m, v = 0.8 * first["m"] + 0.2 * g, 0.99 * first["v"] + 0.01 * g * g
    np.testing.assert_allclose(second["new"], first["new"] - 0.01 * (m / (1 - 0.8 ** 2))
                               / (np.sqrt(v / (1 - 0.99 ** 2)) + 1e-8))
    assert formula.text.startswith("Adam (Algorithm 1): $") and "ε = 1e-08" in formula.hyperparameters


def test_sgds_step_with_and_without_momentum():
    theta, g = np.array([1.0, -2.0]), np.array([0.5, -0.25])
    plain = optimizerFormula(SGD(learningRate=0.1))
    assert plain.step(theta, g, {}, SGD(learningRate=0.1)) == {"new": pytest.approx(theta - 0.1 * g)}
    assert plain.text == "SGD: $θ ← θ - η g$" and plain.hyperparameters == "$η = 0.1$"
    heavy = SGD(learningRate=0.1, momentum=0.9)
    result = optimizerFormula(heavy).step(theta, g, {"velocity": np.array([1.0, 1.0])}, heavy)
    np.testing.assert_allclose(result["velocity"], 0.9 + g)
    np.testing.assert_allclose(result["new"], theta - 0.1 * (0.9 + g))


class Signed(SGD):
    def step(self, parameter, gradient, state):
        parameter -= self.learningRate * np.sign(gradient)


def test_an_optimizer_with_its_own_step_has_no_formula_and_says_so():
    formula = optimizerFormula(Signed(learningRate=0.1))
    assert formula.step is None
    assert formula.text == "`Signed.step` (yours): its formula is not known here"
