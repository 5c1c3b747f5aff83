"""The chapter's formulas, written anew in float64 NumPy: what :func:`explain.explain` checks a model against.

Every activation, loss and optimizer step of the chapter is here a second
time, from the formulas and from nothing of the library's own code, since
that code is what gets checked. Each comes with the formula as the
printout writes it (``explainviews.latex`` typesets it):

- :func:`activationFormula`: ``a = σ(z)`` and ``σ'(z)``, or Softmax's
  Jacobian ``J = diag(a) - a aᵀ`` (:func:`softmaxJacobian`);
- :func:`lossFormula`: the chapter's MSE or CrossEntropy and ``dL/da``;
- :func:`optimizerFormula`: SGD's ``θ - η g`` (with momentum ``v``) or
  Adam's Algorithm 1.

For what the chapter does not give, an activation or a loss of your own,
:func:`measuredDelta` and :func:`measuredLossGradient` measure the
derivative by central differences of its value.

>>> import numpy as np
>>> from activations import Sigmoid
>>> sigmoid = activationFormula(Sigmoid())
>>> sigmoid.text, sigmoid.derivativeText
('σ(z) = 1 / (1 + e^-z)', 'σ(Z) (1 - σ(Z))')
>>> sigmoid.derivative(np.array([0.0]))
array([0.25])
>>> measuredDelta(Sigmoid().forward, np.array([[0.0]]), np.array([[1.0]])).round(12)
array([[0.25]])
"""

from typing import Callable, NamedTuple, Optional

import numpy as np

from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from loss import CrossEntropy, MSE
from optimizer import SGD, Adam


class ActivationFormula(NamedTuple):
    """One of the chapter's activations: ``a = function(z)``, its derivative, and both as written."""
    name: str
    text: str                        # σ(z) = ...
    derivativeText: Optional[str]    # σ'(Z) = ..., with Z standing for the layer's z^l
    function: Callable
    derivative: Optional[Callable]   # None for Softmax: its derivative is a Jacobian


class LossFormula(NamedTuple):
    """One of the chapter's losses: its value and gradient as functions of ``(yPred, y)``, and both as written."""
    text: str                        # the loss, with A standing for the output a^L
    value: Callable
    gradient: Callable
    gradientText: str


class OptimizerFormula(NamedTuple):
    """One of the chapter's optimizers: ``step(θ, g, state, optimizer)``, its formula and hyperparameters as written.

    ``step`` returns the new ``θ`` as ``"new"`` and what the optimizer
    remembers (``"velocity"``, or ``"t"``, ``"m"``, ``"v"``) with Adam's
    ``"mHat"``, ``"vHat"`` and ``"step"``. The texts mark their formulas
    ``$...$`` and code in backticks (``explainviews.prose``).
    """
    step: Optional[Callable]         # None for an optimizer whose step is its own
    text: str
    hyperparameters: str


def computesAs(loss, kind):
    """True when ``loss`` computes exactly what ``kind`` (MSE or CrossEntropy) does: a subclass that
    changes its value or its gradient is a loss of the user's own, checked as such."""
    methods = {"__call__", "gradient", "valueAndGradient", "_check"} | {name for name, value in vars(kind).items()
                                                                      if callable(value)}
    return all(getattr(type(loss), name, None) is getattr(kind, name) for name in methods)


# ============================================================ activations
def _sigmoid(z):
    # exp(-log(1 + e^-z)): logaddexp never overflows, and small outputs keep their relative precision.
    return np.exp(-np.logaddexp(0.0, -z))


def softmax(z):
    """``e^(z_i) / Σ_j e^(z_j)`` for every row of ``z (n, k)``."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))   # the shift changes nothing but keeps exp <= 1
    return e / e.sum(axis=-1, keepdims=True)


def activationFormula(activation):
    """The formula for ``activation``, or None when it is one of the user's own (its ``forward`` is not the chapter's).

    A subclass that keeps a chapter activation's ``forward`` (and perhaps
    writes its own ``backward``) is that activation: its backward is checked
    against the chapter's derivative.
    """
    epsilon = float(getattr(activation, "epsilon", 0.0))
    formulas = {
        Identity: ("σ(z) = z", "1", lambda z: z.copy(), np.ones_like),
        Sigmoid: ("σ(z) = 1 / (1 + e^-z)", "σ(Z) (1 - σ(Z))", _sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
        Tanh: ("σ(z) = tanh z", "1 - tanh² Z", np.tanh, lambda z: 1 - np.tanh(z) ** 2),
        # At z = 0 the derivative is taken as 0, the convention of the chapter's code, PyTorch and scikit-learn.
        ReLU: ("σ(z) = max(0, z)", "1 if Z > 0 else 0", lambda z: np.where(z > 0, z, 0.0),
               lambda z: (z > 0).astype(np.float64)),
        LeakyReLU: (f"σ(z) = max(εz, z), ε = {epsilon:g}", "1 if Z > 0 else ε",
                    lambda z: np.where(z > 0, z, epsilon * z), lambda z: np.where(z > 0, 1.0, epsilon)),
        Softmax: ("σ(z)_i = e^(z_i) / Σ_j e^(z_j)", None, softmax, None),
    }
    for kind, formula in formulas.items():
        if isinstance(activation, kind) and type(activation).forward is kind.forward:
            return ActivationFormula(kind.__name__, *formula)
    return None


def softmaxJacobian(a):
    """``J = diag(a) - a aᵀ`` for every row of ``a (n, k)``: ``(n, k, k)``."""
    return np.einsum("ni,ij->nij", a, np.eye(a.shape[1])) - np.einsum("ni,nj->nij", a, a)


def measuredDelta(forward, z, gradient, step=1e-4):
    """``δ = (∂a/∂z)ᵀ dL/da`` of any row-wise ``forward``, measured by central differences in float64.

    ``∂/∂z_i`` of ``forward(z) · gradient``, row by row, with fourth-order
    central differences ``(f(z-2h) - 8 f(z-h) + 8 f(z+h) - f(z+2h)) / 12h``:
    one column of ``z`` is nudged for every sample at once, since samples are independent.
    """
    def f(nudged):   # forward(z) · dL/da, per sample: its slope in z_i is δ_i
        return np.sum(np.asarray(forward(nudged), dtype=np.float64) * gradient, axis=1)
    delta = np.empty_like(z)
    for column in range(z.shape[1]):
        at = {offset: f(_nudged(z, (slice(None), column), offset * step)) for offset in (-2, -1, 1, 2)}
        delta[:, column] = (at[-2] - 8 * at[-1] + 8 * at[1] - at[2]) / (12 * step)
    return delta


def _nudged(values, index, by):
    """A copy of ``values`` with ``by`` added at ``index``."""
    nudged = values.copy()
    nudged[index] += by
    return nudged


# ================================================================ losses
def lossFormula(loss, eps):
    """The chapter's formula for ``loss`` (MSE or CrossEntropy), None for another loss.

    CrossEntropy keeps ``p`` inside ``[eps, 1 - eps]``, as the library does
    with the machine epsilon of the model's dtype.
    """
    if computesAs(loss, MSE):
        return LossFormula("MSE = 1/(2n) Σ_k ||A_k - y_k||²", lambda p, y: float(np.sum((p - y) ** 2)) / (2 * len(p)),
                           lambda p, y: (p - y) / len(p), "(a - y) / n")
    if computesAs(loss, CrossEntropy):
        def value(p, y):
            p = np.clip(p, eps, 1 - eps)
            return -float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))) / len(p)

        def gradient(p, y):   # the derivative of the chapter's formula in p, at the clipped point
            p = np.clip(p, eps, 1 - eps)
            return ((1 - y) / (1 - p) - y / p) / len(p)
        return LossFormula("CrossEntropy = -1/n Σ_k Σ_i [y_i ln p_i + (1 - y_i) ln(1 - p_i)],  p = A", value, gradient,
                           "1/n [(1 - y)/(1 - p) - y/p]")
    return None


def measuredLossGradient(loss, yPred, y, step=1e-6):
    """``dL/dyPred`` of any loss, measured by central differences of its value in float64."""
    gradient = np.empty_like(yPred)
    for index in np.ndindex(yPred.shape):
        at = {offset: float(loss(_nudged(yPred, index, offset * step), y)) for offset in (-1, 1)}
        gradient[index] = (at[1] - at[-1]) / (2 * step)
    return gradient


# ============================================================ optimizers
def _sgdStep(theta, g, state, optimizer):
    """SGD: ``v = μ v + g``, ``θ_new = θ - η v`` (plain ``θ - η g`` when ``μ = 0``)."""
    learningRate, momentum = float(optimizer.learningRate), float(optimizer.momentum)
    if not momentum:
        return {"new": theta - learningRate * g}
    velocity = momentum * state.get("velocity", 0.0) + g
    return {"velocity": velocity, "new": theta - learningRate * velocity}


def _adamStep(theta, g, state, optimizer):
    """Adam, Algorithm 1 of Kingma and Ba: ``t``, ``m``, ``v``, ``m̂``, ``v̂`` and ``θ_new``."""
    alpha = float(optimizer.learningRate)
    beta1 = float(optimizer.beta_1)
    beta2 = float(optimizer.beta_2)
    epsilon = float(optimizer.epsilon)
    t = int(state.get("t", 0)) + 1
    m = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    v = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    mHat, vHat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    step = -alpha * mHat / (np.sqrt(vHat) + epsilon)
    return {"t": t, "m": m, "v": v, "mHat": mHat, "vHat": vHat, "step": step, "new": theta + step}


def optimizerFormula(optimizer):
    """The chapter's formula for ``optimizer``'s step (one of the chapter's, its ``step`` not overridden)."""
    kind, learningRate = type(optimizer).step, f"{optimizer.learningRate:g}"
    if kind is Adam.step:
        return OptimizerFormula(_adamStep, "Adam (Algorithm 1): $t ← t + 1,  m ← β1 m + (1 - β1) g,  "
                                           "v ← β2 v + (1 - β2) g²,  m̂ = m / (1 - β1^t),  v̂ = v / (1 - β2^t),  "
                                           "θ ← θ - α m̂ / (√v̂ + ε)$",
                                f"$α = {learningRate}, β1 = {optimizer.beta_1:g}, β2 = {optimizer.beta_2:g}, "
                                f"ε = {optimizer.epsilon:g}$")
    if kind is SGD.step and optimizer.momentum:
        return OptimizerFormula(_sgdStep, "SGD with momentum: $v ← μ v + g,  θ ← θ - η v$",
                                f"$η = {learningRate}, μ = {optimizer.momentum:g}$")
    if kind is SGD.step:
        return OptimizerFormula(_sgdStep, "SGD: $θ ← θ - η g$", f"$η = {learningRate}$")
    return OptimizerFormula(None, f"`{type(optimizer).__name__}.step` (yours): its formula is not known here",
                            f"`{optimizer!r}`")
