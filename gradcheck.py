"""Check a gradient against finite differences: for learners, on anything they write.

Backpropagation is easy to get almost right. ``gradcheck`` compares the
gradient that your code computes (``backward``) with the slope it measures by
nudging each parameter a little and watching the loss move, and tells you
where the two disagree:

>>> from activations import Tanh
>>> report = gradcheck(Tanh())
>>> report.passed
True
>>> print(report)                                   # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
gradcheck of Tanh() in float64 (tolerance 1e-06): passed
-----------------------------------------------------------------------------
what             shape   entries checked  relative error  worst entry  result
-----------------------------------------------------------------------------
Tanh().backward  (4, 5)  20               ...  pass
-----------------------------------------------------------------------------

It accepts an ``MLP`` (every layer's ``dW``, ``db`` and the gradient of the
input), a single ``Dense``, an ``Activation`` or a ``Loss``, including your own
subclasses. It works on a float64 copy and never changes what it checks.

The slope is measured with fourth-order central differences,

    df/dx ~ (f(x - 2h) - 8 f(x - h) + 8 f(x + h) - f(x + 2h)) / 12h,

whose truncation error shrinks like ``h^4``, and the two gradients are
compared by their *relative* error ``||a - n|| / max(||a||, ||n||, floor)``
(see ``relativeError``). A correct gradient in float64 gives errors around
1e-10; a wrong derivative gives errors of 1e-3 to 1.
"""

import copy

import numpy as np

from activations import Activation, LeakyReLU, ReLU
from checks import checkFloatType, checkInteger, checkNumber
from loss import Loss, MSE
from tables import formatTable

TOLERANCE = 1e-6   # largest relative error that passes, in float64
STEP = 1e-5        # h of the finite differences
FLOOR = 1e-4       # gradients smaller than this are compared absolutely (see relativeError)


# ------------------------------------------------------- the arithmetic
def numericalGradient(function, x, step=1e-4):
    """Fourth-order central differences of the scalar ``function()`` with respect to ``x``.

    Parameters
    ----------
    function : callable
        Takes no argument and returns a float that depends on ``x``.
    x : ndarray
        Changed in place, entry by entry, and restored.
    step : float, default 1e-4
        The ``h`` of ``(f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h``.

    Returns
    -------
    ndarray of float64, the shape of ``x``.
    """
    return np.array([_slope(function, x, index, step) for index in np.ndindex(x.shape)]).reshape(x.shape)


def _slope(function, x, index, step):
    """The derivative of ``function()`` along the entry ``x[index]``."""
    # By index: for a non-contiguous view, reshape(-1) would be a copy and the
    # nudges would not reach the function.
    original = x[index]
    values = []
    for offset in (-2, -1, 1, 2):
        x[index] = original + offset * step
        values.append(float(function()))
    x[index] = original
    return (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * step)


def relativeError(analytic, numeric, floor=FLOOR):
    """``||analytic - numeric|| / max(||analytic||, ||numeric||, floor)``.

    Relative, so that the same tolerance suits large and small gradients.
    The floor keeps gradients that vanish (a one-output Softmax, a saturated
    Sigmoid) from turning the ~1e-12 round-off of the differences into a
    large ratio: below it, the check is absolute, at ``tolerance * floor``.
    """
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), floor)
    return float(np.linalg.norm(analytic - numeric) / scale)


# ------------------------------------------------------------ the report
class Check:
    """One compared gradient: a row of the report.

    Attributes
    ----------
    name : str
        What was checked, e.g. ``"layer 0 W"`` or ``"Swish().backward"``.
    shape : tuple
        Shape of the array whose gradient was checked.
    entries : int
        How many of its entries were nudged.
    error : float
        Relative error over those entries (see ``relativeError``).
    worst : tuple
        Index of the entry with the largest absolute difference.
    analytic, numeric : float
        The two gradients at that entry.
    passed : bool
        ``error < tolerance``.
    culprit : str
        Whose code computed this gradient, for the failure message.
    """

    def __init__(self, name, shape, entries, error, worst, analytic, numeric, tolerance, culprit):
        self.name, self.shape, self.entries = name, tuple(shape), entries
        self.error, self.worst = error, tuple(int(i) for i in worst)
        self.analytic, self.numeric = analytic, numeric
        self.passed = bool(error < tolerance)
        self.culprit = culprit

    def __repr__(self):
        return f"Check({self.name!r}, error={self.error:.2e}, passed={self.passed})"


class GradcheckReport:
    """What ``gradcheck`` found: one ``Check`` per compared gradient.

    ``print(report)`` shows the table; ``bool(report)`` and ``report.passed``
    say whether every check passed; ``report.failures`` lists those that did
    not; ``report.raiseIfFailed()`` raises an ``AssertionError`` that names them.
    """

    def __init__(self, target, checks, tolerance, dtype, hint=None):
        self.target, self.checks = target, checks
        self.tolerance, self.dtype = tolerance, np.dtype(dtype)
        self.hint = hint   # said after the failures, e.g. about ReLU's kink

    @property
    def passed(self):
        return all(check.passed for check in self.checks)

    @property
    def failures(self):
        return [check for check in self.checks if not check.passed]

    @property
    def worstError(self):
        return max(check.error for check in self.checks)

    def __bool__(self):
        return self.passed

    def __getitem__(self, name):
        """The check called ``name``, e.g. ``report["layer 1 W"]``."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check called {name!r}; there are {[check.name for check in self.checks]}")

    def message(self):
        """One sentence per failed check, naming the code to look at."""
        lines = [f"{check.name}: relative error {check.error:.2e} >= tolerance {self.tolerance:g}; at entry "
                 f"{check.worst} backward gives {check.analytic:.6g}, finite differences "
                 f"{check.numeric:.6g}. Look at {check.culprit}." for check in self.failures]
        if lines and self.hint:
            lines.append(self.hint)
        return "\n".join(lines)

    def raiseIfFailed(self):
        """Raise ``AssertionError`` with ``message()`` if any check failed; else return the report."""
        if not self.passed:
            raise AssertionError(f"gradcheck of {_describe(self.target)} failed:\n{self.message()}")
        return self

    def __str__(self):
        header = ("what", "shape", "entries checked", "relative error", "worst entry", "result")
        rows = [(check.name, str(check.shape), str(check.entries), f"{check.error:.2e}", str(check.worst),
                 "pass" if check.passed else "FAIL") for check in self.checks]
        verdict = "passed" if self.passed else f"FAILED ({len(self.failures)} of {len(self.checks)})"
        return formatTable(header, rows, footer=[] if self.passed else [self.message()],
                           title=f"gradcheck of {_describe(self.target)} in {self.dtype} "
                                 f"(tolerance {self.tolerance:g}): {verdict}")

    __repr__ = __str__


# ------------------------------------------------------------ the checks
def gradcheck(target, x=None, y=None, loss=None, tolerance=TOLERANCE, step=STEP, entries=200, seed=0,
              dtype=np.float64, verbose=False):
    """Compare the gradients of ``target``'s backward with finite differences.

    Parameters
    ----------
    target : MLP, Dense, Activation or Loss
        What to check; your own subclasses too. It is copied, never changed.

        - ``MLP``: ``dW`` and ``db`` of every layer and ``dL/dx`` of the input,
          for ``L = loss(model.forward(x), y)``; also every activation and the
          loss on their own, so that a failure points at the piece that is wrong.
        - ``Dense``: ``dW``, ``db`` and ``dL/dx`` for ``L = sum(u * forward(x))``
          with a random ``u`` (the ``dL/da`` that ``backward`` receives).
        - ``Activation``: ``backward(a, u)`` against ``L = sum(u * forward(z))``.
        - ``Loss``: ``gradient(yPred, yTrue)`` against ``loss(yPred, yTrue)``.
    x : array_like, optional
        Model or layer: input ``(n, inputDim)``; activation: ``z``; loss:
        ``yPred``. Default: 4 random samples (kept away from the kink of the
        ReLU family at 0, where no derivative exists; for a loss, in (0.05, 0.95)).
    y : array_like, optional
        Model: targets ``(n, outputDim)``; loss: ``yTrue``. Default: random
        one-hot rows, which suit both MSE and CrossEntropy.
    loss : Loss, default MSE()
        Model only: the loss to differentiate.
    tolerance : float, default 1e-6
        Largest relative error that passes. A correct float64 gradient is
        off by about 1e-10, a wrong one by 1e-3 or more.
    step : float, default 1e-5
        ``h`` of the differences. Smaller makes it unlikely that a nudge
        carries a ReLU input across 0 (the one way a correct gradient fails).
    entries : int or None, default 200
        Check at most this many entries of each array, drawn at random (a
        network has many thousands; each costs four forward passes); None
        checks every entry.
    seed : int, default 0
        Seed for the random inputs, targets and entries.
    dtype : numpy float type, default numpy.float64
        The check runs on a copy in this dtype. float64, because a difference
        quotient divides the change of the loss by ``h``: float32 keeps about
        7 digits, so that change carries an error near ``1e-7 * |L| / h ~ 1e-2``,
        as large as the mistakes the check is there to find; float64 keeps 16.
    verbose : bool, default False
        Print the report.

    Returns
    -------
    GradcheckReport
        ``print`` it for the table; ``report.passed``; ``report.raiseIfFailed()``.
    """
    tolerance = checkNumber("gradcheck", "tolerance", tolerance, 0, closed="neither")
    step = checkNumber("gradcheck", "step", step, 0, closed="neither")
    if entries is not None:
        entries = checkInteger("gradcheck", "entries", entries)
    dtype = checkFloatType("gradcheck", dtype)
    # Imported here, not above: the test suite's own gradient checks use the
    # arithmetic above while nn and layers are under test themselves.
    from layers import Dense
    from nn import MLP
    checker = _Checker(tolerance, step, entries, np.random.default_rng(seed), dtype)
    if loss is not None and not isinstance(target, MLP):
        raise ValueError(f"gradcheck: loss= is for a model; {type(target).__name__} brings its own function")
    if isinstance(target, MLP):
        checks = checker.model(target, x, y, MSE() if loss is None else loss)
    elif isinstance(target, Dense):
        checks = checker.layer(target, x)
    elif isinstance(target, Activation):
        checks = checker.activation(target, x)
    elif isinstance(target, Loss):
        checks = checker.loss(target, x, y)
    else:
        raise TypeError(f"gradcheck: expected an MLP, a Dense, an Activation or a Loss, "
                        f"got {type(target).__name__} {target!r}")
    report = GradcheckReport(target, checks, tolerance, dtype, checker.hint)
    if verbose:
        print(report)
    return report


class _Checker:
    """The four kinds of check, sharing the settings and one random generator."""

    def __init__(self, tolerance, step, entries, rng, dtype):
        self.tolerance, self.step, self.entries, self.rng, self.dtype = tolerance, step, entries, rng, dtype
        self.hint = None   # said after the report's failures, when a network or layer has ReLU's kink

    def compare(self, name, function, array, analytic, culprit):
        """Nudge (some) entries of ``array``, differentiate ``function()``, compare with ``analytic``."""
        if np.shape(analytic) != array.shape:
            raise ValueError(f"gradcheck: {name} returned shape {np.shape(analytic)}, expected {array.shape}")
        indices = list(np.ndindex(array.shape))
        if self.entries is not None and len(indices) > self.entries:
            chosen = self.rng.choice(len(indices), self.entries, replace=False)
            indices = [indices[i] for i in np.sort(chosen)]
        numeric = np.array([_slope(function, array, index, self.step) for index in indices])
        analytic = np.array([analytic[index] for index in indices], dtype=np.float64)
        worst = int(np.argmax(np.abs(analytic - numeric)))
        return Check(name, array.shape, len(indices), relativeError(analytic, numeric), indices[worst],
                     float(analytic[worst]), float(numeric[worst]), self.tolerance, culprit)

    def given(self, values, name, rows=False):
        """A copy of ``values`` in the check's dtype, non-empty and finite; with ``rows``, 1-D becomes one row."""
        values = np.array(values, dtype=self.dtype)   # a copy: the nudges must not reach the caller's array
        if rows and values.ndim == 1:
            values = values[np.newaxis]
        if values.size == 0:
            raise ValueError(f"gradcheck: {name} holds no values, shape {values.shape}")
        if not np.isfinite(values).all():
            raise ValueError(f"gradcheck: {name} contains NaN or infinite values")
        return values

    def input(self, x, width):
        """``x`` as rows ``(n, width)`` of the check's dtype, or 4 random rows."""
        if x is None:
            return self.rng.normal(0, 1, (4, width)).astype(self.dtype)
        x = self.given(x, "x", rows=True)
        if x.ndim != 2 or x.shape[1] != width:
            raise ValueError(f"gradcheck: x must have shape (n, {width}), got {x.shape}")
        return x

    def targets(self, y, n, width, name):
        """``y`` as rows ``(n, width)`` of the check's dtype, or random one-hot rows."""
        if y is None:
            return np.eye(width, dtype=self.dtype)[self.rng.integers(0, width, n)]
        y = self.given(y, name, rows=True)
        if y.shape != (n, width):
            raise ValueError(f"gradcheck: {name} must have shape ({n}, {width}), got {y.shape}")
        return y

    # -- an activation
    def activation(self, activation, z):
        activation = copy.deepcopy(activation)
        if z is None:
            z = _awayFromKinks(self.rng.normal(0, 1.5, (4, 5))).astype(self.dtype)
        else:
            z = self.given(z, "z")
        upstream = self.rng.normal(0, 1, z.shape).astype(self.dtype)
        analytic = activation.backward(activation.forward(z.copy()), upstream.copy())
        culprit = f"{type(activation).__name__}.backward: its derivative does not match its forward"
        return [self.compare(f"{activation!r}.backward", lambda: np.sum(upstream * activation.forward(z.copy())), z,
                             analytic, culprit)]

    # -- a loss
    def loss(self, loss, yPred, yTrue):
        loss = copy.deepcopy(loss)
        if yPred is None:
            yPred = self.rng.uniform(0.05, 0.95, (4, 3)).astype(self.dtype)
        else:
            yPred = self.given(yPred, "yPred (x)", rows=True)
        yTrue = self.targets(yTrue, *yPred.shape, "yTrue (y)")
        analytic = np.asarray(loss.gradient(yPred.copy(), yTrue))
        return [self.compare(f"{loss!r}.gradient", lambda: loss(yPred, yTrue), yPred, analytic,
                             f"{type(loss).__name__}.gradient: it is not the derivative of {type(loss).__name__}()")]

    # -- one layer
    def layer(self, layer, x):
        network = _copyInto([layer], self.dtype)
        layer = network.layers[0]
        x = self.input(x, layer.inputDim)
        upstream = self.rng.normal(0, 1, (len(x), layer.outputDim)).astype(self.dtype)
        layer.forward(x)
        dx = layer.backward(upstream.copy())
        culprit = (f"{_backwardOf(layer)} (dW = delta^T x, db = sum of delta, dx = delta W) and "
                   f"{layer.activation!r}.backward")
        return self.layers(network, [""], lambda: np.sum(upstream * layer.forward(x)), x, dx, culprit)

    # -- a whole network
    def model(self, model, x, y, loss):
        if not isinstance(loss, Loss):
            raise TypeError(f"gradcheck: loss must be a Loss such as MSE(), got {type(loss).__name__} {loss!r}")
        network = _copyInto(model.layers, self.dtype)
        x = self.input(x, network.inputDim)
        y = self.targets(y, len(x), network.outputDim, "y")
        yPred = network.forward(x)
        dx = network.backward(loss.gradient(yPred, y), inputGradient=True)
        layerCode = list(dict.fromkeys(_backwardOf(layer) for layer in network.layers))   # each once, in order
        culprit = (f"{_definedIn(network, 'backward').__name__}.backward and the backward of every layer below "
                   f"the output ({', '.join(layerCode)}), or a check below that fails")
        names = [f"layer {index} " for index in range(len(network.layers))]
        checks = self.layers(network, names, lambda: loss(network.forward(x), y), x, dx, culprit)
        # The loss on the network's own outputs, where Softmax or Sigmoid put it.
        return checks + self.loss(loss, np.clip(yPred, 0.02, 0.98), y)

    def layers(self, network, names, function, x, dx, culprit):
        """Every layer's ``dW`` and ``db``, the input's ``dx`` from the backward just run, then each activation."""
        analytic = [(layer.dW.copy(), layer.db.copy()) for layer in network.layers]   # before the nudges
        checks = []
        for layer, name, (dW, db) in zip(network.layers, names, analytic):
            checks += [self.compare(f"{name}W", function, layer.W, dW, culprit),
                       self.compare(f"{name}b", function, layer.b, db, culprit)]
        checks.append(self.compare("x (input)", function, x, dx, culprit))
        # Each piece on its own: when the network fails, these say which piece to blame.
        activations = []
        for layer in network.layers:
            if layer.activation not in activations:
                activations.append(layer.activation)
                checks += self.activation(layer.activation, None)
        if any(isinstance(activation, (ReLU, LeakyReLU)) for activation in activations):
            self.hint = ("Note: ReLU has a kink at 0, where no derivative exists. If only a layer's check fails, at "
                         "one entry, a nudge may have carried an input across 0: run again with another seed= or a "
                         "smaller step= before you look for a bug.")
        return checks


def _describe(target):
    """A short name for the report's title: a network's repr lists every optimizer setting."""
    if hasattr(target, "layers") and target.layers:
        sizes = [target.layers[0].inputDim] + [layer.outputDim for layer in target.layers]
        names = ", ".join(type(layer.activation).__name__ for layer in target.layers)
        return f"{type(target).__name__} {'-'.join(map(str, sizes))} ({names})"
    if hasattr(target, "inputDim") and hasattr(target, "activation"):
        return f"{type(target).__name__}({target.inputDim} -> {target.outputDim}, {target.activation!r})"
    return repr(target)


def _definedIn(target, method):
    """The class whose code ``target.method`` runs: a user's subclass, or the library's."""
    return next(kind for kind in type(target).__mro__ if method in vars(kind))


def _backwardOf(layer):
    """Whose code computed a layer's gradients: its ``backward``, and its ``forward`` when written after it.

    For ``class Mine(Dense)`` that overrides ``backward``, ``"Mine.backward"``;
    one that overrides only ``forward``, ``"Mine.forward and Dense.backward"``
    (a backward written for another forward).
    """
    forward, backward = _definedIn(layer, "forward"), _definedIn(layer, "backward")
    if issubclass(forward, backward) and forward is not backward:
        return f"{forward.__name__}.forward and {backward.__name__}.backward"
    return f"{backward.__name__}.backward"


def _awayFromKinks(z):
    """Move entries with ``|z| < 0.05`` to +-0.05: ReLU's derivative does not exist at 0."""
    return np.where(np.abs(z) < 0.05, np.where(z < 0, -0.05, 0.05), z)


def _copyInto(layers, dtype):
    """A new ``MLP`` of ``dtype`` holding deep copies of ``layers`` (the originals are left alone).

    The copies are trainable: a frozen layer's ``dW`` and ``db`` are checked as
    its backward would compute them once thawed.
    """
    from nn import MLP
    network = MLP(dtype=dtype)
    for layer in layers:
        network.addLayer(copy.deepcopy(layer))
    network.trainable = True
    return network
