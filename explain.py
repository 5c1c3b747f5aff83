"""Backpropagation with the numbers: one training step in the chapter's notation, filled in with the network's values.

``explain(model, x, y, loss)`` writes down one step of training, the way the
chapter writes it, with every number of the network plugged in::

    forward    z^l = W^l a^(l-1) + b^l,   a^l = σ(z^l),   a^0 = x
    loss       L(a^L, y): the chapter's MSE or CrossEntropy, filled in
    backward   dL/da^L,   δ^l = σ'(z^l) ⊙ dL/da^l,   dL/dW^l = δ^l (a^(l-1))ᵀ,
               dL/db^l = δ^l,   dL/da^(l-1) = (W^l)ᵀ δ^l
    update     SGD's θ - η g (with momentum v = μ v + g), or Adam's t, m, v, m̂, v̂ and the new θ

It computes every value itself, in float64 NumPy, from these formulas
(:mod:`explainformulas`) and from nothing of the layers' code. Then it lets the model take the same step
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
give it for a document (:mod:`explainviews` writes them), and
:func:`plotBackprop` (of :mod:`networkplots`, importable from here) draws it.
"""

import copy
import functools

import numpy as np

from autoencoder import Autoencoder
from checks import checkInteger
from explainformulas import (activationFormula, computesAs, lossFormula, measuredDelta, measuredLossGradient,
                             optimizerFormula, softmax, softmaxJacobian)
from explainviews import asLatex, asMarkdown, asText, compact, differenceMessage, latex, number, prose
from loss import CrossEntropy, Loss, MSE
from networkplots import plotBackprop
from nn import MLP

__all__ = ["explain", "Explanation", "Line", "plotBackprop"]


# ============================================================ the model's step
def _float64(value):
    """A float64 copy of an array, or of each array in a dict."""
    if isinstance(value, dict):
        return {key: (item if np.isscalar(item) else np.array(item, dtype=np.float64)) for key, item in value.items()}
    return np.array(value, dtype=np.float64)


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
    for activation in {id(layer.activation): layer.activation for layer in layers}.values():   # a shared one once
        recordActivation(activation)
    modelLoss = copy.deepcopy(loss)   # a loss of the user's own may keep state
    yPred = twin.forward(x)
    result = {"yPred": np.array(yPred, copy=True), "L": float(modelLoss(yPred, y)), "layers": records}
    lossGradient = modelLoss.gradient(yPred, y)
    result["dL/da^L"] = np.array(lossGradient, copy=True)
    twin.backward(lossGradient)
    for layer, record in zip(layers, records):
        record.update(dW=layer.dW.copy(), db=layer.db.copy())
    twin.update()
    for layer, record in zip(layers, records):
        record.update({"new W": layer.W.copy(), "new b": layer.b.copy(),
                       "state W": copy.deepcopy(layer.optimizerState["W"]),
                       "state b": copy.deepcopy(layer.optimizerState["b"])})
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
        The same in LaTeX (:func:`explainviews.latex`).
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
        Explanations printed under the line, as text and as Markdown with LaTeX.
    filled : list of str or None
        For the loss: its formula with each sample's numbers.
    """

    def __init__(self, symbol, formula, value, key=None, perSample=False, culprit=None):
        self.key = symbol.replace("δ", "delta").replace("σ", "sigma") if key is None else key
        self.symbol, self.formula, self.latexSymbol, self.latexFormula = symbol, formula, latex(symbol), latex(formula)
        self.value, self.perSample, self.culprit = value, perSample, culprit
        self.notes, self.filled = [], None
        self.model = None
        self.reference = None            # the formula applied to the model's own inputs of this line
        self.status, self.error, self.where, self.tolerance = "given", None, None, None
        self.culpritNote = ""            # added to the message when the line differs

    def __repr__(self):
        return f"Line({self.key!r}, status={self.status!r})"


def _difference(reference, model):
    """``(error, index)``: the largest ``|reference - model|`` over the largest ``|value|`` of either, and where."""
    reference = np.atleast_1d(np.asarray(reference, dtype=np.float64))
    model = np.atleast_1d(np.asarray(model, dtype=np.float64))
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
    activationNames : list of str
        Each layer's activation.
    blocks : list of tuple
        The step in order, as :mod:`explainviews` writes it down:
        ``("section", name, text, markdown)``, ``("heading", text, markdown)``,
        ``("note", text, markdown)`` and ``("line", line)``.
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
    def checked(self):
        """The lines compared with the model (status ``"agrees"``, ``"differs"`` or ``"follows"``)."""
        return [line for line in self.lines if line.status in ("agrees", "differs", "follows")]

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
        return "\n".join(differenceMessage(line) for line in self.differences)

    def sampleValue(self, key, sample=None):
        """The value of line ``key`` for one sample (default the explanation's): its row if it has one per sample."""
        line, sample = self[key], self._options(sample, None, None)[0]
        return np.asarray(line.value, dtype=np.float64)[sample] if line.perSample else line.value

    def __repr__(self):
        verdict = (f"all {len(self.checked)} checked values agree with the model" if self.passed else
                   f"{len(self.differences)} of {len(self.checked)} checked values differ, first at "
                   f"{self.differences[0].key}")
        return f"<Explanation of {self.title}: {verdict}; print() it to see the step>"

    def __str__(self):
        return self.text()

    def text(self, sample=None, full=None, digits=None):
        """The explanation for a terminal: aligned, rounded to ``digits`` decimals, matrices labelled."""
        return asText(self, *self._options(sample, full, digits))

    def toMarkdown(self, sample=None, full=None, digits=None):
        """The explanation as Markdown with the formulas in LaTeX (``$...$``), for Jupyter or a document."""
        return asMarkdown(self, *self._options(sample, full, digits))

    def toLatex(self, sample=None, full=None, digits=None):
        """The explanation as a LaTeX fragment (needs ``\\usepackage{amsmath, amssymb}``)."""
        return asLatex(self, *self._options(sample, full, digits))

    def _repr_markdown_(self):
        return self.toMarkdown()

    def _options(self, sample, full, digits):
        return (self.sample if sample is None else _checkSample(sample, self.n),
                self.full if full is None else bool(full),
                self.digits if digits is None else checkInteger("explain", "digits", digits, 1, 16))


def _checkSample(sample, n):
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)):
        raise TypeError(f"explain: sample must be an int, the index of a sample in the batch, got {sample!r}")
    if not 0 <= sample < n:
        raise ValueError(f"explain: sample={sample} is outside the batch of {n} sample{'s' * (n != 1)} "
                         f"(0 to {n - 1})")
    return int(sample)


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
        Decimals shown, from 1 to 16.
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
        For a model other than an MLP or an Autoencoder, a loss that is not
        a ``Loss``, or a ``sample`` or ``digits`` that is not an int.
    ValueError
        For ``x`` or ``y`` of the wrong shape, naming both shapes, or a
        ``sample``, ``digits`` or ``tolerance`` out of range.
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
    digits = checkInteger("explain", "digits", digits, 1, 16)
    if tolerance is None:
        tolerance = float(np.sqrt(np.finfo(dtype).eps))
    elif isinstance(tolerance, bool) or not isinstance(tolerance, (int, float, np.floating)) or not tolerance > 0:
        raise ValueError(f"explain: tolerance must be a positive number, got {tolerance!r}")

    recorded = _modelStep(model, x, y, loss)
    # The blocks are built from the parameters and optimizer state before the step.
    blocks = _Builder(layerParts, np.atleast_2d(x).astype(np.float64), np.atleast_2d(y).astype(np.float64),
                      loss, dtype, recorded, float(tolerance), isinstance(model, Autoencoder)).build()
    if apply:
        # The model's own code takes the step its copy took.
        output = model.forward(x)
        model.backward(loss.gradient(output, y))
        model.update()
    sizes = [first.inputDim] + [layer.outputDim for layer, _ in layerParts]
    title = (f"one training step of {type(model).__name__} {'-'.join(map(str, sizes))} ({dtype.name}) on "
             f"{'1 sample' if n == 1 else f'a batch of {n} samples'}, loss {loss!r}")
    return Explanation(title, blocks, n, sample, bool(full), digits, float(tolerance), sizes,
                       [type(layer.activation).__name__ for layer, _ in layerParts])


FROZEN = ", frozen (`trainable=False`)"


class _Builder:
    """Writes the step down line by line: each value from the formulas, next to the model's recorded one.

    The four sections follow the chapter: :meth:`forward`, :meth:`lossLines`,
    :meth:`backward` and :meth:`update`; :meth:`settle` then compares.
    """

    def __init__(self, layerParts, x, y, loss, dtype, recorded, tolerance, isAutoencoder):
        self.layerParts, self.x, self.y, self.loss, self.dtype = layerParts, x, y, loss, dtype
        self.recorded, self.records, self.tolerance = recorded, recorded["layers"], tolerance
        self.isAutoencoder = isAutoencoder
        self.formulas = [activationFormula(layer.activation) for layer, _ in layerParts]
        self.W = [_float64(layer.W) for layer, _ in layerParts]
        self.b = [_float64(layer.b) for layer, _ in layerParts]
        self.eps = float(np.finfo(dtype).eps)
        self.lossFormula = lossFormula(loss, self.eps)
        self.blocks = []
        self.explainedFirstStep = False

    def build(self):
        a, z = self.forward()
        self.lossLines(a[-1])
        gradients = self.backward(a, z)
        self.update(gradients)
        self.settle()
        return self.blocks

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

    def section(self, name, marked):
        """A section of the step, with its formulas marked ``$...$`` as for :func:`explainviews.prose`."""
        self.blocks.append(("section", name, *prose(marked)))

    def heading(self, marked):
        self.blocks.append(("heading", *prose(marked)))

    def note(self, marked):
        self.blocks.append(("note", *prose(marked)))

    def label(self, l):
        part = self.layerParts[l - 1][1]
        return f"Layer {l}" + (f" ({part})" if part else "")

    def asModelShape(self, values):
        """``values (n, k)`` shaped as the model's output: a vector for a single sample."""
        return values if self.recorded["yPred"].ndim == 2 else values[0]

    def model2d(self, value):
        return None if value is None else np.atleast_2d(np.asarray(value, dtype=np.float64))

    # ------------------------------------------------------------- forward
    def forward(self):
        """``z^l = W^l a^(l-1) + b^l`` and ``a^l = σ(z^l)``, layer by layer: returns the lists ``a`` and ``z``."""
        self.section("Forward", "$z^l = W^l a^(l-1) + b^l,  a^l = σ(z^l),  a^0 = x$")
        a, z = [self.x], [None]
        self.add(Line("a^0", "x", self.x, perSample=True))
        for l, ((layer, _), formula, record) in enumerate(zip(self.layerParts, self.formulas, self.records), start=1):
            W, b, name = self.W[l - 1], self.b[l - 1], type(layer.activation).__name__
            sigma = f"${formula.text}$" if formula else f"$σ$ = `{name}.forward` (yours)"
            self.heading(f"{self.label(l)}: Dense({layer.inputDim} → {layer.outputDim}), {name}: {sigma}"
                         + ("" if layer.trainable else FROZEN))
            self.add(Line(f"W^{l}", "", W))
            self.add(Line(f"b^{l}", "", b))
            z.append(a[-1] @ W.T + b)
            self.add(Line(f"z^{l}", f"W^{l} a^{l - 1} + b^{l}", z[l], perSample=True))
            activation = copy.deepcopy(layer.activation)   # yours may keep state; this copy is ours
            function = formula.function if formula else lambda values: np.asarray(activation.forward(values), float)
            a.append(function(z[l]))
            modelX, modelA = self.model2d(record.get("x")), self.model2d(record.get("a"))
            reference = None if modelX is None or modelA is None else function(modelX @ W.T + b)
            culprit = f"{name}.forward" if formula else f"{type(layer).__name__}.forward"
            line = self.add(Line(f"a^{l}", f"σ(z^{l})", a[l], perSample=True, culprit=culprit), modelA, reference)
            if not formula:
                line.notes.append(prose(f"$σ$ is `{name}.forward`, yours: its formula is not the chapter's, so its "
                                        f"output is not checked, only how the layer applies it"))
        return a, z

    # ---------------------------------------------------------------- loss
    def lossLines(self, p):
        """The loss of the output ``p = a^L``, its formula filled in with each sample's numbers."""
        name, L = type(self.loss).__name__, len(self.layerParts)
        self.section("Loss", f"${self.lossFormula.text.replace('A', f'a^{L}')}$" if self.lossFormula
                     else f"$L = {name}(a^{L}, y)$, your own loss")
        if computesAs(self.loss, CrossEntropy):
            self.note(f"$p$ is kept inside $[eps, 1 - eps]$ with $eps = {self.eps:.3g}$, the machine epsilon of "
                      f"{self.dtype.name} (the model's dtype), so that $ln$ never sees 0.")
        target = "x" if self.isAutoencoder and np.array_equal(self.y, self.x) else ""
        self.add(Line("y", target, self.y, perSample=True))
        line = Line("L", f"{name}(a^{L}, y)", None, culprit=f"{name}.__call__")
        if self.lossFormula:
            value = self.lossFormula.value
            line.value = value(p, self.y)
            line.filled = [self.filledLoss(p[k], self.y[k], value(p[k:k + 1], self.y[k:k + 1])) for k in range(len(p))]
            self.add(line, self.recorded["L"], value(self.model2d(self.recorded["yPred"]), self.y))
        else:
            line.value = float(copy.deepcopy(self.loss)(self.asModelShape(p), self.asModelShape(self.y)))
            self.add(line)
            line.status = "not checked"
            line.notes.append(prose(f"`{name}` is yours: its value is the formula."))

    def filledLoss(self, p, y, value):
        """The chapter's formula for one sample with its numbers and value, 4 outputs at most."""
        shown = range(min(len(p), 4))
        if computesAs(self.loss, MSE):
            terms, opening = [f"({number(p[i])} - {compact(y[i])})²" for i in shown], "1/2 ["
        else:
            p = np.clip(p, self.eps, 1 - self.eps)
            terms = [f"{compact(y[i])} ln {number(p[i])} + {compact(1 - y[i])} ln {number(1 - p[i])}" for i in shown]
            opening = "-["
        return opening + " + ".join(terms) + (" + …" if len(p) > len(shown) else "") + f"] = {number(value)}"

    # ------------------------------------------------------------ backward
    def backward(self, a, z):
        """``δ^l``, ``dL/dW^l``, ``dL/db^l`` and ``dL/da^(l-1)`` from the last layer down: returns ``{l: (dW, db)}``."""
        L, n = len(self.layerParts), len(self.x)
        self.section("Backward", "$δ^l = σ'(z^l) ⊙ dL/da^l,  dL/dW^l = δ^l (a^(l-1))ᵀ,  dL/db^l = δ^l,  "
                                 "dL/da^(l-1) = (W^l)ᵀ δ^l$")
        if n > 1:
            self.note(f"For the batch, $dL/dW^l = Σ_k δ^l_k (a^(l-1)_k)ᵀ$ and $dL/db^l = Σ_k δ^l_k$ are sums over "
                      f"its {n} samples: the $1/n$ of the mean is already in $dL/da^{L}$.")
        gradient = self.lossGradientLine(a[-1])
        gradients = {}
        for l in range(L, 0, -1):
            layer, record, W = self.layerParts[l - 1][0], self.records[l - 1], self.W[l - 1]
            culprit = f"{type(layer).__name__}.backward"
            self.heading(f"{self.label(l)}: {type(layer.activation).__name__}" + ("" if layer.trainable else FROZEN))
            delta = self.deltaLines(l, layer, z[l], a[l], gradient)
            modelDelta, modelX = self.model2d(record.get("delta")), self.model2d(record.get("x"))
            gradients[l] = dW, db = delta.T @ a[l - 1], delta.sum(axis=0)
            if layer.trainable:
                known = modelDelta is not None and modelX is not None
                self.add(Line(f"dL/dW^{l}", f"δ^{l} (a^{l - 1})ᵀ", dW, culprit=culprit),
                         _float64(record["dW"]), modelDelta.T @ modelX if known else None)
                self.add(Line(f"dL/db^{l}", f"δ^{l}", db, culprit=culprit),
                         _float64(record["db"]), modelDelta.sum(axis=0) if known else None)
            else:
                self.note(f"Frozen: the layer keeps `dW` and `db` as they were ($dL/dW^{l}$ would be computed from "
                          f"$δ^{l}$ as above) and passes $dL/da^{l - 1}$ down all the same.")
            if l > 1:
                gradient = delta @ W
                self.add(Line(f"dL/da^{l - 1}", f"(W^{l})ᵀ δ^{l}", gradient, perSample=True, culprit=culprit),
                         self.model2d(record.get("dL/dx")), None if modelDelta is None else modelDelta @ W)
            else:
                self.note("$dL/da^0$ is not needed: the input has no layer below to hand it to.")
        return gradients

    def lossGradientLine(self, p):
        """``dL/da^L``: the chapter's formula, or central differences of a loss of your own. Returns it."""
        name, L = type(self.loss).__name__, len(self.layerParts)
        if self.lossFormula:
            gradientOf, formula = self.lossFormula.gradient, self.lossFormula.gradientText
            tolerance = None
        else:
            lossCopy = copy.deepcopy(self.loss)

            def value(yPred, y):   # the loss as the model called it: a single sample as a vector
                return lossCopy(self.asModelShape(yPred), self.asModelShape(y))
            gradientOf = functools.partial(measuredLossGradient, value)
            formula, tolerance = f"measured: central differences of {name}", max(self.tolerance, 1e-6)
        gradient = gradientOf(p, self.y)
        line = self.add(Line(f"dL/da^{L}", formula, gradient, perSample=True, culprit=f"{name}.gradient"),
                        self.model2d(self.recorded["dL/da^L"]),
                        gradientOf(self.model2d(self.recorded["yPred"]), self.y), tolerance)
        if not self.lossFormula:
            line.notes.append(prose(f"`{name}` is yours: $dL/da^{L}$ is measured by central differences of its value."))
        return gradient

    def deltaLines(self, l, layer, z, a, gradient):
        """``σ'(z^l)`` (or Softmax's Jacobian) and ``δ^l = σ'(z^l) ⊙ dL/da^l``: returns ``δ^l``.

        The model's ``δ`` is compared with the formula applied to the
        model's own ``z^l`` and ``dL/da^l``, so that a difference above does not count here.
        """
        name, formula, record = type(layer.activation).__name__, self.formulas[l - 1], self.records[l - 1]
        modelX, modelIn = self.model2d(record.get("x")), self.model2d(record.get("dL/da"))
        modelZ = None if modelX is None or modelIn is None else modelX @ self.W[l - 1].T + self.b[l - 1]
        product, tolerance = f"σ'(z^{l}) ⊙ dL/da^{l}", None
        if formula and formula.derivative:
            self.add(Line(f"σ'(z^{l})", formula.derivativeText.replace("Z", f"z^{l}"), formula.derivative(z),
                          perSample=True))

            def deltaOf(z, gradient):
                return formula.derivative(z) * gradient
        elif formula:   # Softmax: a Jacobian per sample
            self.add(Line(f"J^{l}", f"diag(a^{l}) - a^{l} (a^{l})ᵀ", softmaxJacobian(a), perSample=True))
            product = f"(J^{l})ᵀ dL/da^{l}"

            def deltaOf(z, gradient):   # Jᵀ g, and J is symmetric
                return np.einsum("nij,nj->ni", softmaxJacobian(softmax(z)), gradient)
        else:           # the user's own: measured
            deltaOf = functools.partial(measuredDelta, copy.deepcopy(layer.activation).forward)
            tolerance = max(self.tolerance, 1e-6)
        delta = deltaOf(z, gradient)
        line = self.add(Line(f"δ^{l}", product, delta, perSample=True, culprit=f"{name}.backward"),
                        self.model2d(record.get("delta")), None if modelZ is None else deltaOf(modelZ, modelIn),
                        tolerance)
        if not formula:
            line.culpritNote = f"central differences of {name}.forward"
            line.notes.append(prose(f"`{name}` is yours: $σ'(z^{l}) ⊙ dL/da^{l}$ is measured by central differences "
                                    f"of `{name}.forward` and compared with what `{name}.backward` gives."))
        output = l == len(self.layerParts) and computesAs(self.loss, CrossEntropy)   # the output with CrossEntropy
        if formula and formula.name == "Softmax":
            line.notes.append(prose("Softmax mixes its outputs, so $σ'(z)$ is a Jacobian and $δ = Jᵀ dL/da$, which "
                                    "the library computes per sample as $a ⊙ (dL/da - Σ_j a_j dL/da_j)$."))
            if output:
                line.notes.append(prose(
                    "This is not $p - y$: the chapter's CrossEntropy scores every output as its own yes/no "
                    "classifier, so $dL/da$ keeps the $(1 - y) ln(1 - p)$ terms. $p - y$ is the gradient of the "
                    "categorical $-Σ y ln p$ after a Softmax, a different loss; here it would be:"))
                self.add(Line("(p - y)/n", "", (a - self.y) / len(self.y), key="(p-y)/n", perSample=True))
        if formula and formula.name == "Sigmoid" and output:
            line.notes.append(prose("With a Sigmoid output and CrossEntropy, $σ'(z) = p (1 - p)$ cancels the "
                                    "denominator of $dL/dp$: $δ = (p - y) / n$ (unless $p$ was clipped)."))
        return delta

    # -------------------------------------------------------------- update
    def update(self, gradients):
        """Each parameter's step: SGD's ``θ - η g`` (with momentum ``v``), or Adam's ``t``, ``m``, ``v``, ...."""
        # each kind of optimizer's formula once, in order, however many layers or instances use it
        kinds = dict.fromkeys(optimizerFormula(layer.optimizer).text for layer, _ in self.layerParts)
        self.section("Update", "   ".join(kinds))
        for l, ((layer, _), record) in enumerate(zip(self.layerParts, self.records), start=1):
            label = f"{self.label(l)}: {type(layer.optimizer).__name__}"
            parameters = (("W", self.W[l - 1]), ("b", self.b[l - 1]))
            if not layer.trainable:
                self.heading(f"{label}{FROZEN}: no step")
                for name, theta in parameters:
                    self.add(Line(f"{name}^{l} new", f"{name}^{l}", theta, key=f"new {name}^{l}",
                                  culprit=f"{type(layer).__name__}.update"), _float64(record[f"new {name}"]), theta)
                continue
            self.heading(f"{label}, {optimizerFormula(layer.optimizer).hyperparameters}")
            for (name, theta), g in zip(parameters, gradients[l]):
                self.parameterUpdate(l, name, theta, g, layer, record)

    def parameterUpdate(self, l, name, theta, g, layer, record):
        """The step of one parameter ``θ`` with its gradient ``g``, compared with the optimizer's state after it."""
        optimizer, key = layer.optimizer, f"{name}^{l}"
        step = optimizerFormula(optimizer).step
        before = _float64(layer.optimizerState[name])
        after = _float64(record[f"state {name}"])
        modelNew, modelGradient = _float64(record[f"new {name}"]), _float64(record[f"d{name}"])
        culprit = f"{type(optimizer).__name__}.step"
        if step is None:
            line = self.add(Line(f"{key} new", f"{culprit}({key}, dL/d{key})", modelNew, key=f"new {key}"))
            line.status = "not checked"
            line.notes.append(prose(f"`{culprit}` is yours: the new value is the model's, not checked."))
            return
        ours = step(theta, g, before, optimizer)
        reference = step(theta, modelGradient, before, optimizer)   # at the model's own gradient

        def checked(state, symbol, formula):   # a value the optimizer keeps: compared with its state after the step
            return self.add(Line(symbol, formula, ours[state], key=f"{state}[{key}]", culprit=culprit),
                            after.get(state), reference[state])
        self.heading(f" $θ = {key}, g = dL/d{key}$")
        for state in ("m", "v", "velocity"):   # what the optimizer remembers from the steps before
            if state in before and state in ours:
                self.add(Line(f"{'v' if state == 'velocity' else state} before", "", before[state],
                              key=f"{state} before[{key}]"))
        if "t" in ours:
            t = ours["t"]
            checked("t", "t", f"{t - 1} + 1")
            checked("m", "m", "β1 m + (1 - β1) g")
            checked("v", "v", "β2 v + (1 - β2) g²")
            self.add(Line("m\u0302", f"m / (1 - β1^{t})", ours["mHat"], key=f"mHat[{key}]"))
            self.add(Line("v\u0302", f"v / (1 - β2^{t})", ours["vHat"], key=f"vHat[{key}]"))
            line = self.add(Line(f"Δ{key}", "-α m\u0302 / (√v\u0302 + ε)", ours["step"], key=f"step[{key}]"))
            if t == 1 and not self.explainedFirstStep:
                self.explainedFirstStep = True
                line.notes.append(prose("At $t = 1$, $m\u0302 = g$ and $v\u0302 = g²$, so every entry moves by about "
                                        "$α$ against the sign of its gradient, whatever the gradient's size."))
            newFormula = f"{key} + Δ{key}"
        elif "velocity" in ours:
            checked("velocity", "v", "μ v + g")
            newFormula = f"{key} - η v"
        else:
            newFormula = f"{key} - η g"
        self.add(Line(f"{key} new", newFormula, ours["new"], key=f"new {key}", culprit=culprit), modelNew,
                 reference["new"])

    def settle(self):
        """Give every checked line its status: the numbers part at the first line the model computes differently."""
        parted = False
        for line in [block[1] for block in self.blocks if block[0] == "line" and block[1].status == "checked"]:
            line.error, line.where = _difference(line.reference, line.model)
            if line.error > line.tolerance:
                line.status, parted = "differs", True
            elif parted and _difference(line.value, line.model)[0] > line.tolerance:
                line.status = "follows"
            else:
                line.status = "agrees"
