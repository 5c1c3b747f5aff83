"""Backpropagation with the numbers: one training step in the chapter's notation, filled in with the network's values.

``explain(model, x, y, loss)`` writes down one step of training, the way the
chapter writes it, with every number of the network plugged in::

    forward    z^l = W^l a^(l-1) + b^l,   a^l = σ(z^l),   a^0 = x
    loss       L(a^L, y): the chapter's MSE or CrossEntropy, filled in
    backward   dL/da^L,   δ^l = σ'(z^l) ⊙ dL/da^l,   dL/dW^l = δ^l (a^(l-1))ᵀ,
               dL/db^l = δ^l,   dL/da^(l-1) = (W^l)ᵀ δ^l
    update     SGD's θ - η g (with momentum v = μ v + g), or Adam's t, m, v, m̂, v̂ and the new θ

It computes every value itself, in float64 NumPy, from these formulas and
from nothing of the layers' code. Then it lets the model take the same step
on a copy (``explain`` changes nothing unless ``apply=True``) and compares:
each line whose value the model computes differently is flagged with ✗, and
the message names the code that computed it. So a derivative you wrote
yourself is checked too: for an ``Activation`` subclass of yours, whose
formula ``explain`` cannot know, the reference for ``δ`` is measured by
central differences of your ``forward``.

Layers are numbered as in the chapter: ``W^1`` joins the input to the first
layer, so ``W^l`` is ``model.layers[l - 1].W``. Samples are rows, as
everywhere in deepbasics: the chapter's column ``a^l`` of one sample is a row
of the batch, and for a batch of ``n`` samples ``dL/dW^l = Σ_k δ^l_k
(a^(l-1)_k)ᵀ`` is a plain sum (the ``1/n`` of the mean sits in ``dL/da^L``).

>>> import numpy as np
>>> from nn import MLP
>>> from layers import Dense
>>> from loss import CrossEntropy
>>> network = MLP(dtype = np.float64)
>>> network.addLayer(Dense(inputDim = 3, outputDim = 4, seed = 0))
>>> network.addLayer(Dense(inputDim = 4, outputDim = 2, seed = 1))
>>> explanation = explain(network, [0.5, -1.0, 2.0], [1.0, 0.0], CrossEntropy())
>>> explanation.passed
True
>>> explanation["dL/db^2"].value.round(4)
array([-0.4146,  0.5233])
>>> (explanation["a^2"].value - [1.0, 0.0]).round(4)     # a Sigmoid output with CrossEntropy: δ = p - y
array([[-0.4146,  0.5233]])

``print(explanation)`` shows it all in a terminal; in Jupyter it displays
with the chapter's notation in LaTeX; ``toMarkdown()`` and ``toLatex()``
give it for a document, and :func:`plotBackprop` draws it.
"""

import copy
import unicodedata

import numpy as np

from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from autoencoder import Autoencoder
from loss import CrossEntropy, Loss, MSE
from nn import MLP
from optimizer import SGD, Adam

SHOWN = 10     # an array with more rows or columns than this is summarised unless full=True
CORNER = 4     # rows and columns of the corner shown of a summarised matrix


# ================================================================ the formulas
# Everything in this section is the chapter's mathematics in float64 NumPy, written anew: the layers',
# activations', losses' and optimizers' own code is what the explanation checks, so it must not be used here.

def _computesAs(loss, cls):
    """True when ``loss`` computes exactly what ``cls`` (MSE or CrossEntropy) does: a subclass that
    changes its value or its gradient is a loss of the user's own, checked as such."""
    return all(getattr(type(loss), name) is getattr(cls, name) for name in ("__call__", "gradient", "valueAndGradient"))


class _ActivationFormula:
    """The formula of one of the chapter's activations: ``a = f(z)`` and its derivative, in words and in LaTeX.

    ``derivativeText`` and ``derivativeLatex`` are the right-hand side of
    ``σ'(z) = ...`` with ``Z`` standing for the layer's ``z^l``.
    """

    def __init__(self, name, text, latex, derivativeText, derivativeLatex, function, derivative=None):
        self.name, self.text, self.latex = name, text, latex
        self.derivativeText, self.derivativeLatex = derivativeText, derivativeLatex
        self.function, self.derivative = function, derivative   # derivative None: Softmax's Jacobian


def _sigmoid(z):
    # exp(-log(1 + e^-z)): logaddexp never overflows, and small outputs keep their relative precision.
    return np.exp(-np.logaddexp(0.0, -z))


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))   # the shift changes nothing but keeps exp <= 1
    return e / e.sum(axis=-1, keepdims=True)


def _activationFormula(activation):
    """The formula for ``activation``, or None when it is one of the user's own (its ``forward`` is not the chapter's).

    A subclass that keeps a chapter activation's ``forward`` (and perhaps
    writes its own ``backward``) is that activation: its backward is checked
    against the chapter's derivative.
    """
    for kind in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax):
        if isinstance(activation, kind) and type(activation).forward is kind.forward:
            break
    else:
        return None
    if kind is Identity:
        return _ActivationFormula("Identity", "σ(z) = z", r"\sigma(z) = z", "1", "1", lambda z: z.copy(), np.ones_like)
    if kind is Sigmoid:
        return _ActivationFormula("Sigmoid", "σ(z) = 1 / (1 + e^-z)", r"\sigma(z) = \frac{1}{1 + e^{-z}}",
                                  "σ(Z) (1 - σ(Z))", r"\sigma(Z)\,(1 - \sigma(Z))",
                                  _sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z)))
    if kind is Tanh:
        return _ActivationFormula("Tanh", "σ(z) = tanh z", r"\sigma(z) = \tanh z",
                                  "1 - tanh² Z", r"1 - \tanh^2 Z",
                                  np.tanh, lambda z: 1 - np.tanh(z) ** 2)
    if kind is ReLU:
        # At z = 0 the derivative is taken as 0, the convention of the chapter's code, PyTorch and scikit-learn.
        return _ActivationFormula("ReLU", "σ(z) = max(0, z)", r"\sigma(z) = \max(0, z)",
                                  "1 if Z > 0 else 0", r"[Z > 0]",
                                  lambda z: np.where(z > 0, z, 0.0), lambda z: (z > 0).astype(np.float64))
    if kind is LeakyReLU:
        epsilon = float(activation.epsilon)
        return _ActivationFormula("LeakyReLU", f"σ(z) = max(εz, z), ε = {epsilon:g}",
                                  rf"\sigma(z) = \max(\varepsilon z, z),\ \varepsilon = {epsilon:g}",
                                  "1 if Z > 0 else ε", r"1 \text{ if } Z > 0 \text{ else } \varepsilon",
                                  lambda z: np.where(z > 0, z, epsilon * z),
                                  lambda z: np.where(z > 0, 1.0, epsilon))
    return _ActivationFormula("Softmax", "σ(z)_i = e^z_i / Σ_j e^z_j",
                              r"\sigma(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}", None, None, _softmax)


def _softmaxJacobian(a):
    """``J = diag(a) - a aᵀ`` for every row of ``a (n, k)``: ``(n, k, k)``."""
    return np.einsum("ni,ij->nij", a, np.eye(a.shape[1])) - np.einsum("ni,nj->nij", a, a)


def _measuredDelta(forward, z, gradient, step=1e-4):
    """``δ = (∂a/∂z)ᵀ dL/da`` of any row-wise ``forward``, measured by central differences in float64.

    ``∂/∂z_i`` of ``forward(z) · gradient``, row by row, with fourth-order
    central differences ``(f(z-2h) - 8 f(z-h) + 8 f(z+h) - f(z+2h)) / 12h``:
    one column of ``z`` is nudged for every sample at once, since samples are independent.
    """
    delta = np.empty_like(z)
    for column in range(z.shape[1]):
        values = []
        for offset in (-2, -1, 1, 2):
            nudged = z.copy()
            nudged[:, column] += offset * step
            values.append(np.sum(np.asarray(forward(nudged), dtype=np.float64) * gradient, axis=1))
        delta[:, column] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * step)
    return delta


def _lossFormula(loss, eps):
    """(value, gradient) functions of ``(yPred, y)`` for the chapter's losses, None for another loss."""
    if _computesAs(loss, MSE):
        return (lambda p, y: float(np.sum((p - y) ** 2)) / (2 * len(p)),
                lambda p, y: (p - y) / len(p))
    if _computesAs(loss, CrossEntropy):
        def clip(p):
            return np.clip(p, eps, 1 - eps)

        def value(p, y):
            p = clip(p)
            return -float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))) / len(p)

        def gradient(p, y):   # the derivative of the chapter's formula in p, at the clipped point
            p = clip(p)
            return ((1 - y) / (1 - p) - y / p) / len(p)
        return value, gradient
    return None


def _measuredLossGradient(loss, yPred, y, step=1e-6):
    """``dL/dyPred`` of any loss, measured by central differences of its value in float64."""
    gradient = np.empty_like(yPred)
    for index in np.ndindex(yPred.shape):
        values = []
        for offset in (-1, 1):
            nudged = yPred.copy()
            nudged[index] += offset * step
            values.append(float(loss(nudged, y)))
        gradient[index] = (values[1] - values[0]) / (2 * step)
    return gradient


def _sgdStep(theta, g, state, optimizer):
    """SGD: ``v = μ v + g``, ``θ_new = θ - η v`` (plain ``θ - η g`` when ``μ = 0``)."""
    learningRate, momentum = float(optimizer.learningRate), float(optimizer.momentum)
    if not momentum:
        return {"new": theta - learningRate * g}
    velocity = momentum * state.get("velocity", 0.0) + g
    return {"velocity": velocity, "new": theta - learningRate * velocity}


def _adamStep(theta, g, state, optimizer):
    """Adam, Algorithm 1 of Kingma and Ba: ``t``, ``m``, ``v``, ``m̂``, ``v̂`` and ``θ_new``."""
    alpha, beta1, beta2, epsilon = (float(optimizer.learningRate), float(optimizer.beta_1),
                                    float(optimizer.beta_2), float(optimizer.epsilon))
    t = int(state.get("t", 0)) + 1
    m = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    v = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    mHat, vHat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    step = -alpha * mHat / (np.sqrt(vHat) + epsilon)
    return {"t": t, "m": m, "v": v, "mHat": mHat, "vHat": vHat, "step": step, "new": theta + step}


def _optimizerStep(optimizer):
    """The step formula of ``optimizer`` (one of the chapter's, its ``step`` not overridden), or None."""
    if type(optimizer).step is SGD.step:
        return _sgdStep
    if type(optimizer).step is Adam.step:
        return _adamStep
    return None


def _optimizerState(layer, name):
    """What the optimizer remembers about ``layer``'s parameter ``name`` (``"W"`` or ``"b"``): a dict, maybe empty.

    The one place that knows where a layer keeps it (``{"t", "m", "v"}`` for
    Adam, ``{"velocity"}`` for SGD with momentum).
    """
    return layer.optimizerState[name]


def _optimizerDescription(optimizer):
    """``(formula, latex, hyperparameters, latex)`` of ``optimizer``'s step, in the chapter's symbols."""
    if type(optimizer).step is Adam.step:
        return ("Adam (Algorithm 1): t ← t + 1,  m ← β1 m + (1 - β1) g,  v ← β2 v + (1 - β2) g²,  "
                "m̂ = m / (1 - β1^t),  v̂ = v / (1 - β2^t),  θ ← θ - α m̂ / (√v̂ + ε)",
                r"\text{Adam: } t \leftarrow t + 1,\ m \leftarrow \beta_1 m + (1 - \beta_1) g,\ "
                r"v \leftarrow \beta_2 v + (1 - \beta_2) g^2,\ \hat m = \frac{m}{1 - \beta_1^t},\ "
                r"\hat v = \frac{v}{1 - \beta_2^t},\ "
                r"\theta \leftarrow \theta - \frac{\alpha\, \hat m}{\sqrt{\hat v} + \epsilon}",
                f"α = {optimizer.learningRate:g}, β1 = {optimizer.beta_1:g}, β2 = {optimizer.beta_2:g}, "
                f"ε = {optimizer.epsilon:g}",
                rf"\alpha = {_latexHyperparameter(optimizer.learningRate)},\ \beta_1 = {optimizer.beta_1:g},\ "
                rf"\beta_2 = {optimizer.beta_2:g},\ \epsilon = {_latexHyperparameter(optimizer.epsilon)}")
    if type(optimizer).step is SGD.step and optimizer.momentum:
        return ("SGD with momentum: v ← μ v + g,  θ ← θ - η v",
                r"\text{SGD: } v \leftarrow \mu v + g,\ \theta \leftarrow \theta - \eta v",
                f"η = {optimizer.learningRate:g}, μ = {optimizer.momentum:g}",
                rf"\eta = {_latexHyperparameter(optimizer.learningRate)},\ \mu = {optimizer.momentum:g}")
    if type(optimizer).step is SGD.step:
        return ("SGD: θ ← θ - η g", r"\text{SGD: } \theta \leftarrow \theta - \eta g",
                f"η = {optimizer.learningRate:g}", rf"\eta = {_latexHyperparameter(optimizer.learningRate)}")
    name = type(optimizer).__name__
    return (f"{name}.step (yours): its formula is not known here", rf"\text{{{name}.step (yours)}}",
            repr(optimizer), "")


def _float64(value):
    """A float64 copy of an array (or of each array in a dict), None for None."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {key: (item if np.isscalar(item) else np.array(item, dtype=np.float64)) for key, item in value.items()}
    return np.array(value, dtype=np.float64)


# ============================================================ the model's step
def _layersOf(model):
    """``[(layer, part)]``: the model's Dense layers in order, ``part`` None, ``"encoder"`` or ``"decoder"``."""
    if isinstance(model, Autoencoder):
        return ([(layer, "encoder") for layer in model.encoder.layers]
                + [(layer, "decoder") for layer in model.decoder.layers])
    if isinstance(model, MLP):
        if not model.layers:
            raise ValueError("explain: the MLP has no layers yet; add some with addLayer(Dense(...))")
        return [(layer, None) for layer in model.layers]
    raise TypeError(f"explain: expected an MLP or an Autoencoder, got {type(model).__name__}")


def _modelStep(model, x, y, loss):
    """What the model itself computes in one training step, taken on a deep copy of it.

    The copy's layers and activations are wrapped so that the values they
    pass along are recorded: each layer's input ``x`` and output ``a``, the
    ``dL/da`` it receives, the ``δ`` its activation returns, the ``dL/dx`` it
    hands down, its ``dW``, ``db``, and its parameters and optimizer state
    after the update. The model's own ``forward``, ``backward`` and
    ``update`` do the work, so whatever they do is what gets compared.
    """
    twin = copy.deepcopy(model)
    layers = [layer for layer, _ in _layersOf(twin)]
    records = [{} for _ in layers]
    running = {}   # the record of the layer whose backward is running, for its activation's
    wrapped = set()

    def recordLayer(layer, record):
        forward, backward = layer.forward, layer.backward

        def recordingForward(inputs, *args, **keywords):
            record["x"] = np.array(inputs, copy=True)
            output = forward(inputs, *args, **keywords)
            record["a"] = np.array(output, copy=True)
            return output

        def recordingBackward(gradient, *args, **keywords):
            record["dL/da"] = np.array(gradient, copy=True)
            running["record"] = record
            try:
                result = backward(gradient, *args, **keywords)
            finally:
                running.pop("record", None)
            if result is not None:
                record["dL/dx"] = np.array(result, copy=True)
            return result
        layer.forward, layer.backward = recordingForward, recordingBackward

    def recordActivation(activation):
        backward = activation.backward

        def recordingBackward(a, gradient, *args, **keywords):
            delta = backward(a, gradient, *args, **keywords)
            if "record" in running:
                running["record"]["delta"] = np.array(delta, copy=True)
            return delta
        activation.backward = recordingBackward

    for layer, record in zip(layers, records):
        recordLayer(layer, record)
        if id(layer.activation) not in wrapped:   # an activation object shared by two layers is wrapped once
            wrapped.add(id(layer.activation))
            recordActivation(layer.activation)
    modelLoss = copy.deepcopy(loss)   # a loss of the user's own may keep state
    yPred = twin.forward(x)
    result = {"yPred": np.array(yPred, copy=True), "L": float(modelLoss(yPred, y))}
    lossGradient = modelLoss.gradient(yPred, y)
    result["dL/da^L"] = np.array(lossGradient, copy=True)
    twin.backward(lossGradient)
    for layer, record in zip(layers, records):
        record.update(dW=layer.dW.copy(), db=layer.db.copy())
    twin.update()
    for layer, record in zip(layers, records):
        record.update({"new W": layer.W.copy(), "new b": layer.b.copy(),
                       "state W": copy.deepcopy(_optimizerState(layer, "W")),
                       "state b": copy.deepcopy(_optimizerState(layer, "b"))})
    result["layers"] = records
    return result


# ================================================================ the lines
class Line:
    """One value of the step: its symbol, the formula it comes from, the explanation's number and the model's.

    Attributes
    ----------
    key : str
        ASCII name to look it up with ``explanation[key]``: ``"a^0"``,
        ``"z^1"``, ``"a^1"``, ``"L"``, ``"dL/da^2"``, ``"sigma'(z^2)"`` or
        ``"J^2"``, ``"delta^2"``, ``"dL/dW^2"``, ``"dL/db^2"``, ``"dL/da^1"``,
        and for the update ``"t[W^1]"``, ``"m[W^1]"``, ``"v[W^1]"``,
        ``"mHat[W^1]"``, ``"vHat[W^1]"``, ``"step[W^1]"``, ``"velocity[W^1]"``, ``"new W^1"``.
    symbol, formula : str
        As printed, e.g. ``"δ^2"`` and ``"σ'(z^2) ⊙ dL/da^2"``.
    latexSymbol, latexFormula : str
    value : float or ndarray (float64)
        Computed here from the formula. A value of each sample (``z``,
        ``a``, ``δ``, ...) has one row per sample (one row for a single
        sample); a parameter, its gradient and its update have its shape.
    perSample : bool
        Whether ``value`` has one row per sample.
    model : float or ndarray or None
        The same value as the model computed it, None when the model does
        not keep it (``z``) or the line is not checked.
    status : str
        ``"agrees"``, ``"differs"`` (the model computes this line
        differently: the numbers part here), ``"follows"`` (the model's value
        differs only because a line above it does), ``"not checked"``, or
        ``"given"`` (the model's own parameters and the data).
    error : float or None
        ``max |explanation - model| / max |value|``, at the line's own inputs.
    culprit : str or None
        The code that computed the model's value, e.g. ``"Sigmoid.backward"``.
    notes : list of (str, str)
        Explanations printed under the line, as text and as LaTeX-friendly Markdown.
    """

    def __init__(self, key, symbol, formula, latexSymbol, latexFormula, value, perSample=False, culprit=None,
                 notes=None, filled=None):
        self.key, self.symbol, self.formula = key, symbol, formula
        self.latexSymbol, self.latexFormula = latexSymbol, latexFormula
        self.value, self.perSample, self.culprit = value, perSample, culprit
        self.notes = notes or []
        self.filled = filled             # for the loss: the formula with the numbers, per sample (text, latex)
        self.model = None
        self.reference = None            # the formula applied to the model's own inputs of this line
        self.status, self.error, self.where, self.tolerance = "given", None, None, None
        self.culpritNote = ""            # added to the message when the line differs

    def __repr__(self):
        return f"Line({self.key!r}, status={self.status!r})"


def _difference(reference, model):
    """``(error, index)``: the largest ``|reference - model|`` over the largest ``|value|`` of either, and where."""
    reference, model = np.atleast_1d(np.asarray(reference, dtype=np.float64)), np.asarray(model, dtype=np.float64)
    model = np.atleast_1d(model) if model.ndim == 0 else model
    if reference.shape != model.shape:
        return np.inf, None
    if reference.size == 0:
        return 0.0, None
    difference = np.abs(reference - model)
    difference[np.isnan(reference) & np.isnan(model)] = 0.0
    if not np.all(np.isfinite(difference)):
        return np.inf, np.unravel_index(int(np.argmax(~np.isfinite(difference))), difference.shape)
    scale = max(float(np.max(np.abs(reference))), float(np.max(np.abs(model))), np.finfo(np.float64).tiny)
    index = np.unravel_index(int(np.argmax(difference)), difference.shape)
    return float(difference[index]) / scale, index


class Explanation:
    """One training step of a model in the chapter's notation, with the model's numbers; made by :func:`explain`.

    ``print(explanation)`` shows it; ``explanation[key]`` is one :class:`Line`
    (``explanation["dL/dW^1"].value``); ``passed`` says whether the model
    computes every checked value as the formulas do, ``differences`` lists
    the lines where it does not. ``text(sample=, full=, digits=)``,
    ``toMarkdown(...)`` and ``toLatex(...)`` render it; Jupyter shows the Markdown.

    Attributes
    ----------
    lines : list of Line
    title : str
    n : int
        Samples in the batch.
    sample : int
        The sample whose own values (``z``, ``a``, ``δ``, ...) are shown.
    full : bool
        Show large arrays in full rather than summarised.
    tolerance : float
        Largest relative difference counted as agreement.
    sizes : list of int
        Neurons per column: the input, then every layer.
    """

    def __init__(self, title, blocks, n, sample, full, digits, tolerance, sizes, activationNames):
        self.title, self.blocks, self.n = title, blocks, n
        self.sample, self.full, self.digits, self.tolerance = sample, full, digits, tolerance
        self.sizes, self.activationNames = sizes, activationNames
        self.lines = [block[1] for block in blocks if block[0] == "line"]

    def __getitem__(self, key):
        for line in self.lines:
            if line.key == key:
                return line
        raise KeyError(f"explanation has no line {key!r}; it has {[line.key for line in self.lines]}")

    def __contains__(self, key):
        return any(line.key == key for line in self.lines)

    @property
    def differences(self):
        """The lines whose value the model computes differently (status ``"differs"``)."""
        return [line for line in self.lines if line.status == "differs"]

    @property
    def passed(self):
        """True when every checked line agrees with the model."""
        return not self.differences

    def message(self):
        """One sentence per line where the numbers part, naming the code to look at ("" when none)."""
        return "\n".join(_message(line) for line in self.differences)

    def __repr__(self):
        checked = sum(line.status in ("agrees", "differs", "follows") for line in self.lines)
        verdict = (f"all {checked} checked values agree with the model" if self.passed else
                   f"{len(self.differences)} of {checked} checked values differ, first at {self.differences[0].key}")
        return f"<Explanation of {self.title}: {verdict}; print() it to see the step>"

    def __str__(self):
        return self.text()

    def text(self, sample=None, full=None, digits=None):
        """The explanation for a terminal: aligned, rounded to ``digits`` decimals, matrices labelled."""
        return _renderText(self, *self._options(sample, full, digits))

    def toMarkdown(self, sample=None, full=None, digits=None):
        """The explanation as Markdown with the formulas in LaTeX (``$...$``), for Jupyter or a document."""
        return _renderMarkdown(self, *self._options(sample, full, digits))

    def toLatex(self, sample=None, full=None, digits=None):
        """The explanation as a LaTeX fragment (needs ``\\usepackage{amsmath, amssymb}``)."""
        return _renderLatex(self, *self._options(sample, full, digits))

    def _repr_markdown_(self):
        return self.toMarkdown()

    def _options(self, sample, full, digits):
        sample = self.sample if sample is None else _checkSample(sample, self.n)
        return (sample, self.full if full is None else bool(full),
                self.digits if digits is None else _checkDigits(digits))


def _message(line):
    if np.shape(line.model) != np.shape(line.reference) and np.size(line.model) != np.size(line.reference):
        return (f"{line.symbol}: {line.culprit} gives an array of shape {np.shape(line.model)}, the formula one of "
                f"shape {np.shape(line.reference)}. Look at {line.culprit}.")
    if line.where is None or np.ndim(line.value) == 0:
        where = ""
    elif line.perSample:
        where = f" for sample {int(line.where[0])}, entry {_index(line.where[1:])}"
    else:
        where = f" at {_index(line.where)}"
    ours = _entry(line.reference, line.where)
    theirs = _entry(line.model, line.where)
    return (f"{line.symbol}: {line.culprit} gives a different value{where}: {theirs:.6g} in the model, "
            f"{ours:.6g} from {line.culpritNote or 'the formula'} (relative difference {line.error:.2e}). "
            f"Look at {line.culprit}.")


def _entry(value, where):
    value = np.asarray(value, dtype=np.float64)
    return float(value if value.ndim == 0 or where is None else value[where])


def _index(where):
    """An index as a learner writes it: ``3`` or ``(2, 3)``."""
    where = tuple(int(i) for i in where)
    return str(where[0]) if len(where) == 1 else "(" + ", ".join(map(str, where)) + ")"


def _checkSample(sample, n):
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)):
        raise TypeError(f"explain: sample must be an int, the index of a sample in the batch, got {sample!r}")
    if not 0 <= sample < n:
        raise ValueError(f"explain: sample={sample} is outside the batch of {n} sample{'s' * (n != 1)} "
                         f"(0 to {n - 1})")
    return int(sample)


def _checkDigits(digits):
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or not 1 <= digits <= 16:
        raise ValueError(f"explain: digits must be an int from 1 to 16, got {digits!r}")
    return int(digits)


# ============================================================ the explanation
def explain(model, x, y, loss, apply=False, sample=0, full=False, digits=4, tolerance=None):
    """Explain one training step of ``model`` on ``(x, y)`` in the chapter's notation, with its own numbers.

    Every value is computed here from the chapter's formulas in float64
    NumPy, then compared with what the model's own ``forward``,
    ``backward`` and ``update`` compute for the same step; a value that
    disagrees is flagged on its line (see :class:`Explanation`).

    Parameters
    ----------
    model : MLP or Autoencoder
        An autoencoder's layers are its encoder's then its decoder's; its
        target is ``x`` when ``y`` is None. No noise is added: to explain a
        denoising step, pass the noisy input as ``x`` and the clean one as ``y``.
    x : array_like (inputDim,) or (n, inputDim)
        One sample or a batch.
    y : array_like, the shape of the output, or None for an autoencoder
    loss : Loss
        ``MSE()`` or ``CrossEntropy()`` get the chapter's formulas; for a
        loss of your own the gradient is checked against central differences of its value.
    apply : bool, default False
        Take the step for real: the model ends as after ``forward``,
        ``backward`` and ``update``. Otherwise nothing of the model changes
        (weights, gradients, optimizer state, the values layers keep).
    sample : int, default 0
        For a batch: the sample whose own values (``z``, ``a``, ``δ``) are
        shown; the gradients and the update are always sums over the whole batch.
    full : bool, default False
        Show arrays with more than 10 rows or columns in full, rather than
        as their shape, a corner and their norms.
    digits : int, default 4
        Decimals shown.
    tolerance : float, optional
        Largest relative difference ``max |ours - model| / max |value|``
        counted as agreement; default ``sqrt(eps)`` of the model's dtype
        (1.5e-8 for float64, 3.5e-4 for float32), and at least 1e-6 where
        the reference is measured by finite differences.

    Returns
    -------
    Explanation

    Raises
    ------
    TypeError
        For a model other than an MLP or an Autoencoder, or a loss that is not a ``Loss``.
    ValueError
        For ``x`` or ``y`` of the wrong shape, naming both shapes.
    """
    layerParts = _layersOf(model)
    if not isinstance(loss, Loss):
        raise TypeError(f"explain: loss must be a Loss such as CrossEntropy() or MSE(), got {type(loss).__name__}")
    dtype = np.dtype(model.dtype)
    first, last = layerParts[0][0], layerParts[-1][0]
    x = np.asarray(x, dtype=dtype)
    if x.ndim not in (1, 2) or x.shape[-1] != first.inputDim or x.size == 0:
        raise ValueError(f"explain: x has shape {x.shape}; expected ({first.inputDim},) for one sample or "
                         f"(n, {first.inputDim}) for a batch")
    if y is None:
        if not isinstance(model, Autoencoder):
            raise ValueError("explain: y is None; only an Autoencoder may leave it out (its target is x)")
        y = x
    y = np.asarray(y, dtype=dtype)
    expected = (last.outputDim,) if x.ndim == 1 else (x.shape[0], last.outputDim)
    if y.shape != expected:
        raise ValueError(f"explain: y has shape {y.shape} but the model's output for x of shape {x.shape} "
                         f"has shape {expected}")
    n = 1 if x.ndim == 1 else x.shape[0]
    sample = _checkSample(sample, n)
    digits = _checkDigits(digits)
    if tolerance is None:
        tolerance = float(np.sqrt(np.finfo(dtype).eps))
    elif not isinstance(tolerance, (int, float, np.floating)) or not tolerance > 0:
        raise ValueError(f"explain: tolerance must be a positive number, got {tolerance!r}")

    recorded = _modelStep(model, x, y, loss)
    builder = _Builder(layerParts, np.atleast_2d(x).astype(np.float64), np.atleast_2d(y).astype(np.float64),
                       loss, dtype, recorded, float(tolerance), model)
    blocks = builder.build()   # from the parameters and optimizer state before the step
    if apply:
        # The model's own code takes the step its copy took.
        output = model.forward(x)
        model.backward(loss.gradient(output, y))
        model.update()
    sizes = [first.inputDim] + [layer.outputDim for layer, _ in layerParts]
    kind = type(model).__name__
    title = (f"one training step of {kind} {'-'.join(map(str, sizes))} ({dtype.name}) on "
             f"{'1 sample' if n == 1 else f'a batch of {n} samples'}, loss {loss!r}")
    return Explanation(title, blocks, n, sample, bool(full), digits, float(tolerance), sizes,
                       [type(layer.activation).__name__ for layer, _ in layerParts])


class _Builder:
    """Computes the step from the formulas, line by line, next to the model's recorded values."""

    def __init__(self, layerParts, x, y, loss, dtype, recorded, tolerance, model):
        self.layerParts, self.x, self.y, self.loss, self.dtype = layerParts, x, y, loss, dtype
        self.recorded, self.tolerance = recorded, tolerance
        self.isAutoencoder = isinstance(model, Autoencoder)
        self.blocks = []
        self.explainedFirstStep = False

    # ------------------------------------------------------------- helpers
    def add(self, line, model=None, reference=None, tolerance=None):
        """Append ``line``; with a model value, compare it with ``reference`` (default the line's own value)."""
        if model is not None:
            line.model = model
            line.reference = line.value if reference is None else reference
            line.status = "checked"
            line.tolerance = self.tolerance if tolerance is None else tolerance
        self.blocks.append(("line", line))
        return line

    def heading(self, text, latex):
        self.blocks.append(("heading", text, latex))

    def section(self, name, text, latex):
        self.blocks.append(("section", name, text, latex))

    def note(self, text, latex=None):
        self.blocks.append(("note", text, latex if latex is not None else text))

    def asModelShape(self, values):
        """``values (n, k)`` shaped as the model's output: a vector for a single sample."""
        return values if self.recorded["yPred"].ndim == 2 else values[0]

    def model2d(self, value):
        return None if value is None else np.atleast_2d(np.asarray(value, dtype=np.float64))

    # ---------------------------------------------------------------- build
    def build(self):
        records = self.recorded["layers"]
        count = len(self.layerParts)
        formulas = [_activationFormula(layer.activation) for layer, _ in self.layerParts]
        W = [_float64(layer.W) for layer, _ in self.layerParts]
        b = [_float64(layer.b) for layer, _ in self.layerParts]

        # forward
        self.section("Forward", "z^l = W^l a^(l-1) + b^l,  a^l = σ(z^l),  a^0 = x",
                     r"z^{l} = W^{l} a^{l-1} + b^{l},\quad a^{l} = \sigma(z^{l}),\quad a^{0} = x")
        a = [self.x]
        z = [None]
        self.add(Line("a^0", "a^0", "x", "a^{0}", "x", self.x, perSample=True))
        for l, ((layer, part), formula, record) in enumerate(zip(self.layerParts, formulas, records), start=1):
            self.heading(self.layerTitle(l, layer, part, formula), self.layerLatex(l, layer, part, formula))
            self.add(Line(f"W^{l}", f"W^{l}", "", f"W^{{{l}}}", "", W[l - 1]))
            self.add(Line(f"b^{l}", f"b^{l}", "", f"b^{{{l}}}", "", b[l - 1]))
            zl = a[-1] @ W[l - 1].T + b[l - 1]
            z.append(zl)
            self.add(Line(f"z^{l}", f"z^{l}", f"W^{l} a^{l - 1} + b^{l}", f"z^{{{l}}}",
                          f"W^{{{l}}} a^{{{l - 1}}} + b^{{{l}}}", zl, perSample=True))
            activation = copy.deepcopy(layer.activation)   # yours may keep state; this copy is ours
            function = formula.function if formula else lambda values: np.asarray(activation.forward(values),
                                                                                    dtype=np.float64)
            al = function(zl)
            a.append(al)
            modelX, modelA = self.model2d(record.get("x")), self.model2d(record.get("a"))
            reference = None
            if modelX is not None and modelA is not None:
                reference = function(modelX @ W[l - 1].T + b[l - 1])
            culprit = f"{type(layer.activation).__name__}.forward" if formula else f"{type(layer).__name__}.forward"
            line = self.add(Line(f"a^{l}", f"a^{l}", f"σ(z^{l})", f"a^{{{l}}}", rf"\sigma(z^{{{l}}})", al,
                                 perSample=True, culprit=culprit), modelA, reference)
            if not formula:
                line.notes.append((f"σ is {type(layer.activation).__name__}.forward, yours: its formula is not "
                                   f"the chapter's, so its output is not checked, only how the layer applies it",
                                   f"$\\sigma$ is `{type(layer.activation).__name__}.forward`, yours: not checked "
                                   f"against a formula, only how the layer applies it"))

        # loss
        L = count
        eps = float(np.finfo(self.dtype).eps)
        formulaPair = _lossFormula(self.loss, eps)
        self.lossSection(L, eps, formulaPair, a[-1])

        # backward
        self.section("Backward", "δ^l = σ'(z^l) ⊙ dL/da^l,  dL/dW^l = δ^l (a^(l-1))ᵀ,  dL/db^l = δ^l,  "
                                 "dL/da^(l-1) = (W^l)ᵀ δ^l",
                     r"\delta^{l} = \sigma'(z^{l}) \odot \frac{\partial L}{\partial a^{l}},\quad "
                     r"\frac{\partial L}{\partial W^{l}} = \delta^{l} (a^{l-1})^\top,\quad "
                     r"\frac{\partial L}{\partial b^{l}} = \delta^{l},\quad "
                     r"\frac{\partial L}{\partial a^{l-1}} = (W^{l})^\top \delta^{l}")
        if len(self.x) > 1:
            self.note(f"For the batch, dL/dW^l = Σ_k δ^l_k (a^(l-1)_k)ᵀ and dL/db^l = Σ_k δ^l_k are sums over "
                      f"its {len(self.x)} samples: the 1/n of the mean is already in dL/da^{L}.",
                      rf"For the batch, $\frac{{\partial L}}{{\partial W^{{l}}}} = \sum_k \delta^{{l}}_k "
                      rf"(a^{{l-1}}_k)^\top$ and $\frac{{\partial L}}{{\partial b^{{l}}}} = \sum_k \delta^{{l}}_k$ "
                      rf"are sums over its {len(self.x)} samples: the $1/n$ of the mean is already in "
                      rf"$\partial L / \partial a^{{{L}}}$.")
        gradient = self.lossGradientLine(L, formulaPair, a[-1], eps)
        gradients = {}
        for l in range(L, 0, -1):
            layer, part = self.layerParts[l - 1]
            formula, record = formulas[l - 1], records[l - 1]
            self.heading(f"Layer {l}" + (f" ({part})" if part else "") + f": {type(layer.activation).__name__}"
                         + ("" if layer.trainable else ", frozen (trainable=False)"),
                         f"Layer {l}" + (f" ({part})" if part else "") + f": {type(layer.activation).__name__}"
                         + ("" if layer.trainable else ", frozen (`trainable=False`)"))
            modelIn = self.model2d(record.get("dL/da"))
            modelX, modelA = self.model2d(record.get("x")), self.model2d(record.get("a"))
            delta, modelZ = self.deltaLines(l, layer, formula, z[l], a[l], gradient, modelIn, modelX, W, b,
                                            record, L)
            modelDelta = self.model2d(record.get("delta"))
            dW, db = delta.T @ a[l - 1], delta.sum(axis=0)
            gradients[l] = (dW, db)
            if layer.trainable:
                referenceDW = referenceDb = None
                if modelDelta is not None and modelX is not None:
                    referenceDW, referenceDb = modelDelta.T @ modelX, modelDelta.sum(axis=0)
                culprit = f"{type(layer).__name__}.backward"
                self.add(Line(f"dL/dW^{l}", f"dL/dW^{l}", f"δ^{l} (a^{l - 1})ᵀ",
                              rf"\frac{{\partial L}}{{\partial W^{{{l}}}}}", rf"\delta^{{{l}}} (a^{{{l - 1}}})^\top",
                              dW, culprit=culprit),
                         _float64(record.get("dW")), referenceDW)
                self.add(Line(f"dL/db^{l}", f"dL/db^{l}", f"δ^{l}", rf"\frac{{\partial L}}{{\partial b^{{{l}}}}}",
                              rf"\delta^{{{l}}}", db, culprit=culprit), _float64(record.get("db")), referenceDb)
            else:
                self.note(f"Frozen: the layer keeps dW and db as they were (dL/dW^{l} would be computed from δ^{l} "
                          f"as above) and passes dL/da^{l - 1} down all the same.",
                          rf"Frozen: the layer keeps `dW` and `db` as they were and passes "
                          rf"$\partial L / \partial a^{{{l - 1}}}$ down all the same.")
            if l > 1:
                previous = delta @ W[l - 1]
                referencePrevious = None if modelDelta is None else modelDelta @ W[l - 1]
                self.add(Line(f"dL/da^{l - 1}", f"dL/da^{l - 1}", f"(W^{l})ᵀ δ^{l}",
                              rf"\frac{{\partial L}}{{\partial a^{{{l - 1}}}}}", rf"(W^{{{l}}})^\top \delta^{{{l}}}",
                              previous, perSample=True, culprit=f"{type(layer).__name__}.backward"),
                         self.model2d(record.get("dL/dx")), referencePrevious)
                gradient = previous
            else:
                self.note("dL/da^0 is not needed: the input has no layer below to hand it to.",
                          r"$\partial L / \partial a^{0}$ is not needed: the input has no layer below.")
        # update
        self.updateSection(W, b, gradients, records)
        self.settle()
        return self.blocks

    # ------------------------------------------------------------- pieces
    def layerTitle(self, l, layer, part, formula):
        name = formula.text if formula else f"σ = {type(layer.activation).__name__}.forward (yours)"
        where = f" ({part})" if part else ""
        frozen = "" if layer.trainable else ", frozen (trainable=False)"
        return (f"Layer {l}{where}: Dense({layer.inputDim} → {layer.outputDim}), "
                f"{type(layer.activation).__name__}: {name}{frozen}")

    def layerLatex(self, l, layer, part, formula):
        name = f"${formula.latex}$" if formula else f"$\\sigma$ = `{type(layer.activation).__name__}.forward` (yours)"
        where = f" ({part})" if part else ""
        frozen = "" if layer.trainable else ", frozen (`trainable=False`)"
        return (f"Layer {l}{where}: Dense({layer.inputDim} → {layer.outputDim}), "
                f"{type(layer.activation).__name__}: {name}{frozen}")

    def lossSection(self, L, eps, formulaPair, p):
        loss, y = self.loss, self.y
        name = type(loss).__name__
        target = "x" if self.isAutoencoder and np.array_equal(self.y, self.x) else "y"
        if _computesAs(loss, MSE):
            self.section("Loss", f"MSE = 1/(2n) Σ_k ||a^{L}_k - y_k||²",
                         rf"\mathrm{{MSE}} = \frac{{1}}{{2n}} \sum_k \lVert a^{{{L}}}_k - y_k \rVert^2")
        elif _computesAs(loss, CrossEntropy):
            self.section("Loss", f"CrossEntropy = -1/n Σ_k Σ_i [y_i ln p_i + (1 - y_i) ln(1 - p_i)],  p = a^{L}",
                         rf"\mathrm{{CrossEntropy}} = -\frac{{1}}{{n}} \sum_k \sum_i \big[y_i \ln p_i + "
                         rf"(1 - y_i) \ln(1 - p_i)\big],\quad p = a^{{{L}}}")
            self.note(f"p is kept inside [eps, 1 - eps] with eps = {eps:.3g}, the machine epsilon of "
                      f"{self.dtype.name} (the model's dtype), so that ln never sees 0.",
                      rf"$p$ is kept inside $[\varepsilon, 1 - \varepsilon]$ with $\varepsilon = {_latexNumber(eps)}$, "
                      rf"the machine epsilon of {self.dtype.name} (the model's dtype), so that $\ln$ never sees 0.")
        else:
            self.section("Loss", f"L = {name}(a^{L}, y), your own loss", rf"L = \mathrm{{{name}}}(a^{{{L}}}, y)")
        self.add(Line("y", "y", "" if target == "y" else "x", "y", "" if target == "y" else "x", y, perSample=True))
        referenceLoss = copy.deepcopy(loss)
        if formulaPair:
            value = formulaPair[0](p, y)
            modelP = self.model2d(self.recorded["yPred"])
            reference = formulaPair[0](modelP, y)
            filled = [self.filledLoss(p[k], y[k], name, formulaPair[0](p[k:k + 1], y[k:k + 1]))
                      for k in range(len(p))]
        else:
            value = float(referenceLoss(self.asModelShape(p), self.asModelShape(y)))
            reference, filled = None, None
        line = Line("L", "L", f"{name}(a^{L}, y)", "L", rf"\mathrm{{{name}}}(a^{{{L}}}, y)", value,
                    culprit=f"{name}.__call__", filled=filled)
        if reference is not None:
            self.add(line, self.recorded["L"], reference)
        else:
            self.add(line)
            line.status = "not checked"
            line.notes.append((f"{name} is yours: its value is the formula.",
                               f"`{name}` is yours: its value is the formula."))

    def filledLoss(self, p, y, name, value):
        """The chapter's formula for one sample, its numbers and value: ``(text, latex)``, 4 outputs at most."""
        shown = min(len(p), 4)
        more = len(p) > shown
        if name == "MSE":
            terms = [(f"({_number(p[i])} - {_compact(y[i])})²", f"({_latexNumber(p[i])} - {_compact(y[i], True)})^2")
                     for i in range(shown)]
            prefix, latexPrefix = "1/2 [", r"\tfrac{1}{2}\big["
        else:
            pc = np.clip(p, np.finfo(self.dtype).eps, 1 - np.finfo(self.dtype).eps)
            terms = [(f"{_compact(y[i])} ln {_number(pc[i])} + {_compact(1 - y[i])} ln {_number(1 - pc[i])}",
                      rf"{_compact(y[i], True)} \ln {_latexNumber(pc[i])} + {_compact(1 - y[i], True)} "
                      rf"\ln {_latexNumber(1 - pc[i])}")
                     for i in range(shown)]
            prefix, latexPrefix = "-[", r"-\big["
        text = prefix + " + ".join(term for term, _ in terms) + (" + …" if more else "") + f"] = {_number(value)}"
        latex = (latexPrefix + " + ".join(term for _, term in terms) + (r" + \dots" if more else "") + r"\big] = "
                 + _latexNumber(value))
        return text, latex

    def lossGradientLine(self, L, formulaPair, p, eps):
        name = type(self.loss).__name__
        modelP = self.model2d(self.recorded["yPred"])
        modelGradient = self.model2d(self.recorded["dL/da^L"])
        if formulaPair:
            gradient = formulaPair[1](p, self.y)
            reference = formulaPair[1](modelP, self.y)
            tolerance = None
            if _computesAs(self.loss, MSE):
                text, latex = "(a - y) / n", r"\frac{1}{n}(a - y)"
            else:
                text, latex = "1/n [(1 - y)/(1 - p) - y/p]", r"\frac{1}{n}\Big[\frac{1 - y}{1 - p} - \frac{y}{p}\Big]"
            note = None
        else:
            lossCopy = copy.deepcopy(self.loss)

            def value(yPred, y):   # the loss as the model called it: a single sample as a vector
                return lossCopy(self.asModelShape(yPred), self.asModelShape(y))
            gradient = _measuredLossGradient(value, p, self.y)
            reference = _measuredLossGradient(value, modelP, self.y)
            tolerance = max(self.tolerance, 1e-6)
            text, latex = f"measured: central differences of {name}", rf"\text{{central differences of {name}}}"
            note = (f"{name} is yours: dL/da^{L} is measured by central differences of its value.",
                    f"`{name}` is yours: the gradient is measured by central differences of its value.")
        line = self.add(Line(f"dL/da^{L}", f"dL/da^{L}", text, rf"\frac{{\partial L}}{{\partial a^{{{L}}}}}", latex,
                             gradient, perSample=True, culprit=f"{name}.gradient"), modelGradient, reference, tolerance)
        if note:
            line.notes.append(note)
        return gradient

    def deltaLines(self, l, layer, formula, zl, al, gradient, modelIn, modelX, W, b, record, L):
        """``σ'(z^l)`` (or Softmax's Jacobian) and ``δ^l``; returns ``(δ, z from the model's input)``."""
        name = type(layer.activation).__name__
        modelZ = None if modelX is None else modelX @ W[l - 1].T + b[l - 1]
        modelDelta = self.model2d(record.get("delta"))
        culprit = f"{name}.backward"
        tolerance = None
        if formula and formula.derivative is not None:
            slope = formula.derivative(zl)
            self.add(Line(f"sigma'(z^{l})", f"σ'(z^{l})", formula.derivativeText.replace("Z", f"z^{l}"),
                          rf"\sigma'(z^{{{l}}})", formula.derivativeLatex.replace("Z", f"z^{{{l}}}"), slope,
                          perSample=True))
            delta = slope * gradient
            reference = None if modelZ is None or modelIn is None else formula.derivative(modelZ) * modelIn
            text = f"σ'(z^{l}) ⊙ dL/da^{l}"
            latex = rf"\sigma'(z^{{{l}}}) \odot \frac{{\partial L}}{{\partial a^{{{l}}}}}"
        elif formula:   # Softmax: a Jacobian per sample
            jacobian = _softmaxJacobian(al)
            self.add(Line(f"J^{l}", f"J^{l}", f"diag(a^{l}) - a^{l} (a^{l})ᵀ", f"J^{{{l}}}",
                          rf"\operatorname{{diag}}(a^{{{l}}}) - a^{{{l}}} (a^{{{l}}})^\top", jacobian, perSample=True))
            delta = np.einsum("nij,nj->ni", jacobian, gradient)   # Jᵀ g, and J is symmetric
            reference = None
            if modelZ is not None and modelIn is not None:
                reference = np.einsum("nij,nj->ni", _softmaxJacobian(_softmax(modelZ)), modelIn)
            text, latex = f"(J^{l})ᵀ dL/da^{l}", rf"(J^{{{l}}})^\top \frac{{\partial L}}{{\partial a^{{{l}}}}}"
        else:           # the user's own: measured
            forward = copy.deepcopy(layer.activation).forward
            delta = _measuredDelta(forward, zl, gradient)
            reference = None if modelZ is None or modelIn is None else _measuredDelta(forward, modelZ, modelIn)
            tolerance = max(self.tolerance, 1e-6)
            text = f"σ'(z^{l}) ⊙ dL/da^{l}"
            latex = rf"\sigma'(z^{{{l}}}) \odot \frac{{\partial L}}{{\partial a^{{{l}}}}}"
        line = self.add(Line(f"delta^{l}", f"δ^{l}", text, rf"\delta^{{{l}}}", latex, delta, perSample=True,
                             culprit=culprit), modelDelta, reference, tolerance)
        if not formula:
            line.culpritNote = f"central differences of {name}.forward"
            line.notes.append((f"{name} is yours: σ'(z^{l}) ⊙ dL/da^{l} is measured by central differences of "
                               f"{name}.forward and compared with what {name}.backward gives.",
                               f"`{name}` is yours: $\\sigma'(z^{{{l}}}) \\odot \\partial L/\\partial a^{{{l}}}$ is "
                               f"measured by central differences of `{name}.forward` and compared with "
                               f"`{name}.backward`."))
        if formula and formula.name == "Softmax":
            line.notes.append((
                "Softmax mixes its outputs, so σ'(z) is a Jacobian and δ = Jᵀ dL/da, which the library computes "
                "per sample as a ⊙ (dL/da - Σ_j a_j dL/da_j).",
                r"Softmax mixes its outputs, so $\sigma'(z)$ is a Jacobian and $\delta = J^\top "
                r"\frac{\partial L}{\partial a}$, computed per sample as $a \odot \big(\frac{\partial L}{\partial a} "
                r"- \sum_j a_j \frac{\partial L}{\partial a_j}\big)$."))
            if l == L and _computesAs(self.loss, CrossEntropy):
                line.notes.append((
                    "This is not p - y: the chapter's CrossEntropy scores every output as its own yes/no "
                    "classifier, so dL/da keeps the (1 - y) ln(1 - p) terms. p - y is the gradient of the "
                    "categorical -Σ y ln p after a Softmax, a different loss; here it would be:",
                    r"This is not $p - y$: the chapter's CrossEntropy scores every output as its own yes/no "
                    r"classifier, so $\partial L/\partial a$ keeps the $(1 - y)\ln(1 - p)$ terms; $p - y$ is the "
                    r"gradient of the categorical $-\sum y \ln p$ after a Softmax, a different loss; "
                    r"here it would be:"))
                self.add(Line("(p-y)/n", "(p - y)/n", "", r"(p - y)/n", "", (al - self.y) / len(self.y),
                              perSample=True))
        if (formula and formula.name == "Sigmoid" and l == L and _computesAs(self.loss, CrossEntropy)):
            line.notes.append(("With a Sigmoid output and CrossEntropy, σ'(z) = p (1 - p) cancels the denominator "
                               "of dL/dp: δ = (p - y) / n (unless p was clipped).",
                               r"With a Sigmoid output and CrossEntropy, $\sigma'(z) = p(1 - p)$ cancels the "
                               r"denominator of $\partial L/\partial p$: $\delta = (p - y)/n$."))
        return delta, modelZ

    def updateSection(self, W, b, gradients, records):
        kinds = []   # each kind of optimizer's formula once, however many layers or instances use it
        for layer, _ in self.layerParts:
            formula = _optimizerDescription(layer.optimizer)[:2]
            if formula not in kinds:
                kinds.append(formula)
        self.section("Update", "   ".join(text for text, _ in kinds), r"\qquad ".join(latex for _, latex in kinds))
        for l, ((layer, part), record) in enumerate(zip(self.layerParts, records), start=1):
            optimizer = layer.optimizer
            _, _, hyperText, hyperLatex = _optimizerDescription(optimizer)
            label = f"Layer {l}" + (f" ({part})" if part else "") + f": {type(optimizer).__name__}"
            if not layer.trainable:
                self.heading(f"{label}, frozen (trainable=False): no step",
                             f"{label}, frozen (`trainable=False`): no step")
                for name, theta in (("W", W[l - 1]), ("b", b[l - 1])):
                    self.add(Line(f"new {name}^{l}", f"{name}^{l} new", f"{name}^{l}",
                                  f"{name}^{{{l}}}_{{\\text{{new}}}}",
                                  f"{name}^{{{l}}}", theta, culprit=f"{type(layer).__name__}.update"),
                             _float64(record.get(f"new {name}")), theta)
                continue
            self.heading(f"{label}, {hyperText}", f"{label}, ${hyperLatex}$" if hyperLatex else label)
            stepFormula = _optimizerStep(optimizer)
            dW, db = gradients[l]
            modelGradients = {"W": _float64(record.get("dW")), "b": _float64(record.get("db"))}
            for name, theta, g in (("W", W[l - 1], dW), ("b", b[l - 1], db)):
                self.parameterUpdate(l, name, theta, g, modelGradients[name], optimizer, stepFormula, layer, record)

    def parameterUpdate(self, l, name, theta, g, modelGradient, optimizer, stepFormula, layer, record):
        key = f"{name}^{l}"
        latexKey = f"{name}^{{{l}}}"
        before = _float64(_optimizerState(layer, name))
        after = _float64(record.get(f"state {name}")) or {}
        modelNew = _float64(record.get(f"new {name}"))
        culprit = f"{type(optimizer).__name__}.step"
        if stepFormula is None:
            line = self.add(Line(f"new {key}", f"{key} new", f"{culprit}({key}, dL/d{key})", latexKey,
                                 rf"\text{{{culprit}}}", modelNew))
            line.status = "not checked"
            line.notes.append((f"{culprit} is yours: the new value is the model's, not checked.",
                               f"`{culprit}` is yours: the new value is the model's, not checked."))
            return
        ours = stepFormula(theta, g, before, optimizer)
        reference = stepFormula(theta, modelGradient, before, optimizer) if modelGradient is not None else ours
        gradientName, gradientLatex = f"dL/d{key}", rf"\frac{{\partial L}}{{\partial {latexKey}}}"
        self.heading(f" θ = {key}, g = {gradientName}", rf"$\theta = {latexKey},\ g = {gradientLatex}$")
        for state in ("m", "v", "velocity"):   # what the optimizer remembers from the steps before
            if state in before and state in ours:
                symbol = {"m": "m", "v": "v", "velocity": "v"}[state]
                self.add(Line(f"{state} before[{key}]", f"{symbol} before", "", rf"{symbol}_{{\text{{before}}}}", "",
                              before[state]))
        if "t" in ours:
            self.add(Line(f"t[{key}]", "t", f"{ours['t'] - 1} + 1", "t", f"{ours['t'] - 1} + 1", ours["t"],
                          culprit=culprit), None if "t" not in after else int(after["t"]), reference["t"])
            self.add(Line(f"m[{key}]", "m", "β1 m + (1 - β1) g", "m", r"\beta_1 m + (1 - \beta_1) g", ours["m"],
                          culprit=culprit), after.get("m"), reference["m"])
            self.add(Line(f"v[{key}]", "v", "β2 v + (1 - β2) g²", "v", r"\beta_2 v + (1 - \beta_2) g^2", ours["v"],
                          culprit=culprit), after.get("v"), reference["v"])
            t = ours["t"]
            self.add(Line(f"mHat[{key}]", "m̂", f"m / (1 - β1^{t})", r"\hat m", rf"m / (1 - \beta_1^{{{t}}})",
                          ours["mHat"]))
            self.add(Line(f"vHat[{key}]", "v̂", f"v / (1 - β2^{t})", r"\hat v", rf"v / (1 - \beta_2^{{{t}}})",
                          ours["vHat"]))
            line = self.add(Line(f"step[{key}]", f"Δ{key}", "-α m̂ / (√v̂ + ε)", rf"\Delta {latexKey}",
                                 r"-\alpha\, \hat m / (\sqrt{\hat v} + \epsilon)", ours["step"]))
            if t == 1 and not self.explainedFirstStep:
                self.explainedFirstStep = True
                line.notes.append(("At t = 1, m̂ = g and v̂ = g², so every entry moves by about α against the sign "
                                   "of its gradient, whatever the gradient's size.",
                                   r"At $t = 1$, $\hat m = g$ and $\hat v = g^2$, so every entry moves by about "
                                   r"$\alpha$ against the sign of its gradient, whatever the gradient's size."))
            newText, newLatex = f"{key} + Δ{key}", rf"{latexKey} + \Delta {latexKey}"
        elif "velocity" in ours:
            self.add(Line(f"velocity[{key}]", "v", "μ v + g", "v", r"\mu v + g", ours["velocity"], culprit=culprit),
                     after.get("velocity"), reference["velocity"])
            newText, newLatex = f"{key} - η v", rf"{latexKey} - \eta v"
        else:
            newText, newLatex = f"{key} - η g", rf"{latexKey} - \eta g"
        self.add(Line(f"new {key}", f"{key} new", newText, rf"{latexKey}_{{\text{{new}}}}", newLatex, ours["new"],
                      culprit=culprit), modelNew, reference["new"])

    def settle(self):
        """Give every checked line its status: the numbers part at the first line the model computes differently."""
        parted = False
        for block in self.blocks:
            if block[0] != "line" or block[1].status != "checked":
                continue
            line = block[1]
            line.error, line.where = _difference(line.reference, line.model)
            if line.error > line.tolerance:
                line.status, parted = "differs", True
            elif parted and _difference(line.value, line.model)[0] > line.tolerance:
                line.status = "follows"
            else:
                line.status = "agrees"


# ============================================================== rendering
MARKS = {"agrees": "✓", "differs": "✗", "follows": "~", "not checked": "?", "given": " "}


def _number(value, digits=4):
    """One number, rounded to ``digits`` decimals (scientific for very small or large)."""
    return _formatted(np.array([value], dtype=np.float64), digits)[0].strip()


def _compact(value, latex=False):
    """A target as written by hand: ``1`` or ``0`` for whole numbers, else rounded like the rest."""
    if float(value).is_integer():
        return str(int(value))
    return _latexNumber(value) if latex else _number(value)


def _formatted(values, digits):
    """The numbers of one array as strings rounded alike, so that they align.

    Fixed point with ``digits`` decimals when the largest magnitude is
    between 0.01 and 100000, else scientific notation for the whole array.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    finite = np.abs(values[np.isfinite(values)])
    largest = float(finite.max()) if finite.size else 0.0
    scientific = largest != 0.0 and not 1e-2 <= largest < 1e5
    pattern = f"{{:.{max(digits - 1, 1)}e}}" if scientific else f"{{:.{digits}f}}"
    return [pattern.format(value) for value in values]


def _summary(value, digits):
    norm, largest = float(np.linalg.norm(value)), float(np.max(np.abs(value)))
    where = np.unravel_index(int(np.argmax(np.abs(value))), value.shape)
    shape = f"{value.size} entries" if value.ndim == 1 else " × ".join(map(str, value.shape))
    return f"{shape}, norm {_number(norm, digits)}, largest |entry| {_number(largest, digits)} at {_index(where)}"


def _vectorText(vector, digits, full=True):
    vector = np.asarray(vector, dtype=np.float64)
    shown = vector if full or len(vector) <= SHOWN else vector[:6]
    strings = _formatted(shown, digits)
    width = max(len(text) for text in strings)
    text = "[" + " ".join(s.rjust(width + 1) for s in strings) + (" …" if len(shown) < len(vector) else "") + " ]"
    if len(shown) < len(vector):
        text += f"  ({_summary(vector, digits)})"
    return text


def _matrixLines(matrix, digits, full):
    """A matrix labelled by row and column: a header of column indices, then one line per row."""
    rows, columns = matrix.shape
    cut = not full and (rows > SHOWN or columns > SHOWN)
    shownRows = range(min(rows, CORNER)) if cut else range(rows)
    shownColumns = range(min(columns, CORNER)) if cut else range(columns)
    part = matrix[np.ix_(list(shownRows), list(shownColumns))]
    strings = np.array(_formatted(part, digits) if part.size else [], dtype=object).reshape(part.shape)
    width = max([len(s) for s in strings.ravel()] + [len(str(columns - 1))])
    rowWidth = len(str(rows - 1))
    lines = []
    if cut:
        lines.append(f"{_summary(matrix, digits)}; top-left corner:")
    lines.append(" " * rowWidth + " " + " ".join(str(j).rjust(width + 1) for j in shownColumns)
                 + ("  …" if cut and columns > CORNER else ""))
    for i, row in zip(shownRows, strings):
        lines.append(str(i).rjust(rowWidth) + " " + " ".join(s.rjust(width + 1) for s in row)
                     + ("  …" if cut and columns > CORNER else ""))
    if cut and rows > CORNER:
        lines.append("…".rjust(rowWidth))
    return lines


def _valueLines(line, sample, digits, full):
    value = line.value
    if value is None:
        return ["(not available)"]
    if isinstance(value, (int, np.integer)):
        return [str(value)]
    if np.ndim(value) == 0:
        return [_number(value, digits)]
    value = np.asarray(value, dtype=np.float64)
    if line.perSample:
        value = value[sample]
    if value.ndim == 1:
        return [_vectorText(value, digits, full)]
    return _matrixLines(value, digits, full)


def _modelLines(line, sample, digits, full):
    shadow = Line(line.key, "", "", "", "", line.model, perSample=line.perSample)
    return _valueLines(shadow, sample, digits, full)


def _width(text):
    """Columns ``text`` takes on a terminal: a combining accent (the hat of m̂) takes none."""
    return sum(not unicodedata.combining(character) for character in text)


def _pad(text, width):
    return text + " " * max(width - _width(text), 0)


def _labelText(line):
    if not line.formula:
        return line.symbol
    return f"{line.symbol} = {line.formula}"


def _renderText(explanation, sample, full, digits):
    lines = [explanation.title[0].upper() + explanation.title[1:],
             "Every value is computed here from the chapter's formulas and compared with the model's own:",
             f"✓ agrees, ✗ differs (relative difference above {explanation.tolerance:.2g}), "
             f"~ differs because a line above does, ? not checked."]
    if explanation.n > 1:
        lines.append(f"Values of each sample are shown for sample {sample} of 0 to {explanation.n - 1} "
                     f"(sample=...); gradients and the update are sums over the whole batch.")
    labelWidth = max(_width(_labelText(line)) for line in explanation.lines) + 2
    indent = " " * (3 + labelWidth)
    for block in explanation.blocks:
        kind = block[0]
        if kind == "section":
            lines += ["", f"{block[1].upper()}   {block[2]}"]
        elif kind == "heading":
            lines += ["", f"  {block[1]}"]
        elif kind == "note":
            lines.append(f"     {block[1]}")
        else:
            line = block[1]
            values = _valueLines(line, sample, digits, full)
            if line.key == "L" and line.filled:
                text, _ = line.filled[sample]
                if explanation.n > 1:
                    values = [f"1/{explanation.n} Σ_k L_k = {values[0]};  sample {sample}: L_{sample} = {text}"]
                else:
                    values = [text]
            lines.append(f"{MARKS[line.status]}  {_pad(_labelText(line), labelWidth)}{values[0]}")
            lines += [indent + value for value in values[1:]]
            if line.status == "differs":
                model = _modelLines(line, sample, digits, full)
                lines.append(f"   {'the model has'.ljust(labelWidth)}{model[0]}")
                lines += [indent + value for value in model[1:]]
                lines.append(f"   ✗ {_message(line)}")
            for text, _ in line.notes:
                lines.append(f"     {text}")
    lines += ["", _verdict(explanation)]
    return "\n".join(lines)


def _verdict(explanation):
    checked = [line for line in explanation.lines if line.status in ("agrees", "differs", "follows")]
    if explanation.passed:
        return f"All {len(checked)} checked values agree with the model."
    first = explanation.differences[0]
    return (f"{len(explanation.differences)} of {len(checked)} checked values differ; the numbers part first at "
            f"{first.symbol} ({first.key}): look at {first.culprit}.")


# --------------------------------------------------------- markdown, LaTeX
def _latexNumber(value, digits=4):
    text = _number(value, digits)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa}\cdot 10^{{{int(exponent)}}}"
    return text


def _latexHyperparameter(value):
    """A hyperparameter as it was typed: ``0.001``, ``10^{-8}``."""
    text = f"{value:g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return (f"{mantissa} \\cdot " if mantissa != "1" else "") + f"10^{{{int(exponent)}}}"


def _latexEntries(values, digits):
    result = []
    for text in _formatted(values, digits):
        if "e" in text:
            mantissa, exponent = text.split("e")
            text = rf"{mantissa}\mathrm{{e}}{{{int(exponent)}}}"
        result.append(text)
    return result


def _latexVector(vector, digits, full=True):
    """A column vector, as the chapter writes ``a^l``; a long one cut to its first entries."""
    vector = np.asarray(vector, dtype=np.float64)
    cut = not full and len(vector) > SHOWN
    entries = _latexEntries(vector[:6] if cut else vector, digits) + ([r"\vdots"] if cut else [])
    return r"\begin{bmatrix}" + r" \\ ".join(entries) + r"\end{bmatrix}"


def _latexMatrix(matrix, digits, full):
    rows, columns = matrix.shape
    cut = not full and (rows > SHOWN or columns > SHOWN)
    part = matrix[:CORNER, :CORNER] if cut else matrix
    entries = np.array(_latexEntries(part, digits), dtype=object).reshape(part.shape)
    body = []
    for row in entries:
        body.append(" & ".join(row) + (r" & \cdots" if cut and columns > CORNER else ""))
    if cut and rows > CORNER:
        body.append(" & ".join([r"\vdots"] * part.shape[1]) + (r" & \ddots" if columns > CORNER else ""))
    return r"\begin{bmatrix}" + r" \\ ".join(body) + r"\end{bmatrix}"


def _latexValue(value, perSample, sample, digits, full):
    if value is None:
        return r"\text{(not available)}"
    if isinstance(value, (int, np.integer)):
        return str(value)
    if np.ndim(value) == 0:
        return _latexNumber(value, digits)
    value = np.asarray(value, dtype=np.float64)
    if perSample:
        value = value[sample]
    if value.ndim == 1:
        return _latexVector(value, digits, full)
    return _latexMatrix(value, digits, full)


def _latexLine(line, sample, digits, full, n):
    parts = [line.latexSymbol]
    if line.latexFormula:
        parts.append(line.latexFormula)
    if line.key == "L" and line.filled:
        text = line.filled[sample][1]
        if n > 1:
            parts.append(rf"\frac{{1}}{{{n}}}\sum_k L_k")
            return " = ".join(parts + [_latexNumber(line.value, digits)]) + rf",\quad L_{{{sample}}} = {text}"
        return " = ".join(parts + [text])
    parts.append(_latexValue(line.value, line.perSample, sample, digits, full))
    return " = ".join(parts)


def _sizeNote(line, sample, digits, full):
    value = line.value
    if value is None or np.ndim(value) == 0 or full:
        return ""
    value = np.asarray(value, dtype=np.float64)
    if line.perSample:
        value = value[sample]
    if max(value.shape) > SHOWN:
        return f" ({_summary(value, digits)})"
    return ""


def _renderMarkdown(explanation, sample, full, digits):
    out = [f"**{explanation.title[0].upper() + explanation.title[1:]}**", "",
           f"Every value is computed from the chapter's formulas and compared with the model's own: ✓ agrees, "
           f"✗ differs (relative difference above {explanation.tolerance:.2g}), ~ differs because a line above does, "
           f"? not checked.", ""]
    if explanation.n > 1:
        out += [f"Values of each sample are shown for sample {sample} (`sample=`); gradients and the update are sums "
                f"over the batch of {explanation.n}.", ""]
    for block in explanation.blocks:
        kind = block[0]
        if kind == "section":
            out += [f"#### {block[1]}", "", f"${block[3]}$", ""]
        elif kind == "heading":
            out += [f"**{block[2]}**", ""]
        elif kind == "note":
            out += [f"> {block[2]}", ""]
        else:
            line = block[1]
            mark = MARKS[line.status].strip() or "&nbsp;"
            out += [f"{mark} $\\displaystyle {_latexLine(line, sample, digits, full, explanation.n)}$"
                    f"{_sizeNote(line, sample, digits, full)}", ""]
            if line.status == "differs":
                model = _latexValue(line.model, line.perSample, sample, digits, full)
                out += [f"**✗ the model has** ${model}$", "", f"**{_message(line)}**", ""]
            for _, latex in line.notes:
                out += [f"> {latex}", ""]
    out.append(f"**{_verdict(explanation)}**")
    return "\n".join(out)


def _latexText(text):
    """Markdown with inline math turned into LaTeX text: `code` becomes \\texttt, math stays."""
    pieces = text.split("`")
    for index in range(1, len(pieces), 2):
        pieces[index] = r"\texttt{" + pieces[index].replace("_", r"\_") + "}"
    return "".join(pieces).replace("→", r"$\to$").replace("✓", r"$\checkmark$").replace("✗", r"$\times$")


def _renderLatex(explanation, sample, full, digits):
    marks = {"agrees": r"\checkmark", "differs": r"\times\ \text{differs}", "follows": r"\sim",
             "not checked": r"?", "given": ""}
    out = [r"% " + explanation.title + r" (deepbasics.explain); needs \usepackage{amsmath, amssymb}",
           r"\paragraph{" + explanation.title[0].upper() + explanation.title[1:].replace("_", r"\_") + "}",
           "Every value is computed from the chapter's formulas and compared with the model's own: "
           r"$\checkmark$ agrees, $\times$ differs, $\sim$ differs because a line above does."]
    if explanation.n > 1:
        out.append(f"Values of each sample are shown for sample {sample}; gradients and the update are sums over "
                   f"the batch of {explanation.n}.")
    inAlign = False

    def close():
        nonlocal inAlign
        if inAlign:
            out.append(r"\end{align*}")
            inAlign = False
    for block in explanation.blocks:
        kind = block[0]
        if kind == "section":
            close()
            out += ["", r"\subsubsection*{" + block[1] + "}", f"${block[3]}$"]
        elif kind == "heading":
            close()
            out += ["", r"\noindent " + _latexText(block[2])]
        elif kind == "note":
            close()
            out += ["", _latexText(block[2])]
        else:
            line = block[1]
            if not inAlign:
                out.append(r"\begin{align*}")
                inAlign = True
            else:
                out[-1] += r" \\"
            equation = _latexLine(line, sample, digits, full, explanation.n)
            symbol, _, rest = equation.partition(" = ")
            mark = marks[line.status]
            out.append(f"{symbol} &= {rest}" + (rf" && {mark}" if mark else ""))
            if line.status == "differs" or line.notes:
                close()
                if line.status == "differs":
                    model = _latexValue(line.model, line.perSample, sample, digits, full)
                    out += [r"\[\text{the model has } " + model + r"\]",
                            r"\textbf{" + _message(line).replace("_", r"\_").replace("^", r"\^{}") + "}"]
                for _, latex in line.notes:
                    out += ["", _latexText(latex)]
    close()
    out += ["", r"\noindent\textbf{" + _verdict(explanation).replace("_", r"\_").replace("^", r"\^{}") + "}"]
    return "\n".join(out) + "\n"


# ================================================================ the picture
def plotBackprop(explanation, save=None, sample=None, numbers=None, maxNeurons=10, figsize=None):
    """The chapter's Figure 1 with the step's numbers: activations in the neurons, gradients on the connections.

    Each neuron shows its activation ``a`` (the input ``x`` in the first
    column), shaded by it (orange positive, purple negative, against the
    largest ``|a|`` of its column), and its ``δ = dL/dz`` below it; the
    targets ``y`` stand beside the outputs. Each connection ``W[j, i]`` is
    coloured by its gradient ``dL/dW[j, i]``, red for positive and blue for
    negative (the update moves the weight the other way), and is the wider
    the larger ``|dL/dW|`` is against the largest of its layer.

    Parameters
    ----------
    explanation : Explanation
        As returned by :func:`explain`.
    save : str or path, optional
        Also write the figure there (PNG, or the suffix's format), atomically.
    sample : int, optional
        The sample whose activations are shown (default the explanation's);
        the gradients are those of the whole batch.
    numbers : bool, optional
        Print the gradient on every connection; default when no layer has more than 6 neurons.
    maxNeurons : int, default 10
        Most neurons drawn per column; a larger layer shows its first and last few.
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes; each neuron is a ``matplotlib.patches.Circle``, each
        layer's connections one ``LineCollection``.
    """
    if not isinstance(explanation, Explanation):
        raise TypeError(f"plotBackprop: expected an Explanation from explain(...), got {type(explanation).__name__}")
    import figures   # matplotlib only now: nothing else in this module needs it
    import networkplots
    pyplot = figures.pyplot()   # without matplotlib: an ImportError naming the install command
    from matplotlib.collections import LineCollection
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Circle

    sample = explanation._options(sample, None, None)[0]
    sizes = explanation.sizes
    count = len(sizes) - 1
    numbers = max(sizes) <= 6 if numbers is None else bool(numbers)
    columns = [networkplots.shownNeurons(size, maxNeurons) for size in sizes]
    tallest = max(len(shown) + elided for shown, elided in columns)
    spacing, radius = 5.0, 0.34
    width, height = count * spacing + 3.0, tallest + 2.2
    figure, axes = figures.newFigure(figsize or (0.85 * width + 1.4, 0.8 * height + 0.3))
    ax = axes[0, 0]
    activationMap, gradientMap = pyplot.get_cmap("PuOr_r"), pyplot.get_cmap("RdBu_r")
    gradientNorm = TwoSlopeNorm(0.0, -1.0, 1.0)

    activations = [np.asarray(explanation[f"a^{l}"].value, dtype=np.float64)[sample] for l in range(count + 1)]
    deltas = [None] + [np.asarray(explanation[f"delta^{l}"].value, dtype=np.float64)[sample]
                       for l in range(1, count + 1)]
    target = np.asarray(explanation["y"].value, dtype=np.float64)[sample]
    positions = []
    for column, ((shown, elided), size) in enumerate(zip(columns, sizes)):
        color = (networkplots.INPUT_COLOR if column == 0 else networkplots.OUTPUT_COLOR if column == count
                 else networkplots.HIDDEN_COLOR)
        heights, ellipsis = networkplots.columnPositions(shown, elided)
        positions.append(heights)
        largest = float(np.max(np.abs(activations[column]))) or 1.0
        for neuron, y in zip(shown, heights):
            value = activations[column][neuron]
            # 0.15 to 0.85 of the colour map: the darkest ends would hide the number.
            face = activationMap(0.5 + 0.35 * value / largest)
            ax.add_patch(Circle((column * spacing, y), radius, facecolor=face, edgecolor=color, linewidth=2.5,
                                zorder=3))
            ax.text(column * spacing, y, _number(value, 2), ha="center", va="center", fontsize=8, zorder=4)
            if deltas[column] is not None:
                ax.text(column * spacing, y - radius - 0.04, rf"$\delta$ {_number(deltas[column][neuron], 3)}",
                        ha="center", va="top", fontsize=7, color="0.2", zorder=4)
            if column == count:
                ax.text(column * spacing + radius + 0.2, y, f"y = {_compact(target[neuron])}", ha="left",
                        va="center", fontsize=8, color="0.2")
        if elided:
            ax.text(column * spacing, ellipsis, "\u22ee", ha="center", va="center", fontsize=16)
        caption = (f"$x = a^0$\n{size} inputs" if column == 0 else
                   rf"$a^{column}$" + f"\n{explanation.activationNames[column - 1]}\n{size} neurons")
        ax.text(column * spacing, -tallest / 2 - 0.55, caption, ha="center", va="top", fontsize=9)
    collections = []
    for l in range(1, count + 1):
        inputs, outputs = columns[l - 1][0], columns[l][0]
        gradient = np.asarray(explanation[f"dL/dW^{l}"].value, dtype=np.float64)
        largest = float(np.max(np.abs(gradient))) or 1.0
        left, right = (l - 1) * spacing + radius, l * spacing - radius
        segments, values = [], []
        for j, jy in zip(outputs, positions[l]):            # in the order of W's rows: into neuron j
            for i, iy in zip(inputs, positions[l - 1]):
                segments.append(((left, iy), (right, jy)))
                values.append(gradient[j, i] / largest)
        values = np.array(values)
        lines = LineCollection(segments, cmap=gradientMap, norm=gradientNorm, zorder=1)
        lines.set_array(values)
        lines.set_linewidth(0.5 + 4.0 * np.abs(values))
        ax.add_collection(lines)
        collections.append(lines)
        if numbers:
            # Each label at its own distance along its connection, so that no two share a place; rounded
            # alike within the layer.
            labels = _formatted(values * largest, 3)
            for index, (((x0, y0), (x1, y1)), label) in enumerate(zip(segments, labels)):
                fraction = 0.12 + 0.76 * (index + 0.5) / len(segments)
                ax.text(x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0), label,
                        ha="center", va="center", fontsize=6.5, color="0.1", zorder=2,
                        bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none", alpha=0.8))
    bar = figure.colorbar(collections[-1], ax=ax, shrink=0.55, pad=0.01)
    bar.set_label(r"$\partial L / \partial W$ over the largest $|\partial L / \partial W|$ of its layer", fontsize=8)
    loss = explanation["L"].value
    batch = (f"sample {sample} of a batch of {explanation.n}; gradients summed over the batch"
             if explanation.n > 1 else "one sample")
    ax.set_title(f"Backpropagation through {'-'.join(map(str, sizes))}: loss {_number(loss, 4)} ({batch})\n"
                 r"neurons: activation $a$ and $\delta = \partial L / \partial z$;  "
                 r"connections: $\partial L / \partial W$ (colour and width)", fontsize=9)
    ax.set_xlim(-1.2, width - 1.2)
    ax.set_ylim(-tallest / 2 - 1.8, height - tallest / 2 - 1.8)
    ax.set_aspect("equal")
    ax.axis("off")
    return figures.finish(figure, save)
