"""Look inside a network: what its layers do on some inputs, and whether units have died.

A network that does not learn usually shows it inside first. ``diagnose``
runs inputs through the layers and reports, per layer, the mean and spread
of the activations, the share of *dead* ReLU units (a ReLU unit whose input
is negative for every sample outputs 0 and passes back no gradient, so it
never learns again: a too large learning rate kills them), the share of
*saturated* Sigmoid or Tanh units (stuck where the slope is nearly flat, so
they learn very slowly), and the norms of the last gradients:

>>> import numpy as np
>>> from nn import MLP
>>> from layers import Dense
>>> from activations import ReLU, Softmax
>>> model = MLP()
>>> model.addLayer(Dense(inputDim=4, outputDim=3, activation=ReLU(), seed=0))
>>> model.addLayer(Dense(inputDim=3, outputDim=2, activation=Softmax(), seed=1))
>>> model.layers[0].b[:] = [-100, 0, 0]                  # unit 0 can no longer fire
>>> report = diagnose(model, np.random.default_rng(0).uniform(0, 1, (50, 4)))
>>> report[0].deadUnits, report[0].deadShare
(1, 0.3333333333333333)
>>> deadUnitWarning(model, np.ones((5, 4)), threshold=0.3)
'layer 0 (ReLU): 1 of 3 units (33%) never fire on these inputs; try a lower learning rate'
"""

import numpy as np

from activations import LeakyReLU, ReLU, Sigmoid, Tanh
from checks import checkNumber
from tables import formatTable

# A Sigmoid or Tanh output this close to its bounds has a slope under 1% of
# (Sigmoid) or 2% of (Tanh) the slope at 0.
SATURATION = {Sigmoid: (0.01, 0.99), Tanh: (-0.99, 0.99)}


class LayerDiagnosis:
    """What one layer does on the inputs given to ``diagnose``.

    Attributes
    ----------
    index : int
        Position in ``model.layers``.
    activation : str
        The layer's activation, e.g. ``"ReLU()"``.
    units : int
        The layer's ``outputDim``.
    mean, std : float
        Mean and standard deviation of all its outputs ``a (n, units)``.
    deadUnits : int or None
        ReLU layers: units whose output is 0 for every sample. None otherwise.
    deadShare : float or None
        ``deadUnits / units``.
    saturatedShare : float or None
        Sigmoid and Tanh layers: share of units whose output sits near a
        bound (see ``SATURATION``) for every sample. None otherwise.
    weightNorm : float
        ``||W||`` (Frobenius norm).
    gradientNormW, gradientNormB : float or None
        ``||dW||`` and ``||db||`` from the last ``backward``; None for a
        frozen layer (``trainable=False``), which computes none.
    """

    def __init__(self, index, layer, a):
        self.index = index
        self.activation = repr(layer.activation)
        self.units = layer.outputDim
        self.mean, self.std = float(a.mean()), float(a.std())
        self.deadUnits = self.deadShare = self.saturatedShare = None
        if isinstance(layer.activation, ReLU) and not isinstance(layer.activation, LeakyReLU):
            self.deadUnits = int(np.sum(~np.any(a > 0, axis=0)))
            self.deadShare = self.deadUnits / self.units
        bounds = next((bounds for kind, bounds in SATURATION.items() if isinstance(layer.activation, kind)), None)
        if bounds is not None:
            saturated = (a <= bounds[0]) | (a >= bounds[1])
            self.saturatedShare = float(np.mean(np.all(saturated, axis=0)))
        self.weightNorm = float(np.linalg.norm(layer.W))
        self.gradientNormW = self.gradientNormB = None
        if getattr(layer, "trainable", True):   # a frozen layer's dW and db are older than the last backward
            dW, db = getattr(layer, "dW", None), getattr(layer, "db", None)
            self.gradientNormW = None if dW is None else float(np.linalg.norm(dW))
            self.gradientNormB = None if db is None else float(np.linalg.norm(db))

    def __repr__(self):
        return (f"LayerDiagnosis(index={self.index}, activation={self.activation}, units={self.units}, "
                f"mean={self.mean:.3g}, std={self.std:.3g}, deadShare={self.deadShare}, "
                f"saturatedShare={self.saturatedShare})")


class Diagnosis:
    """``diagnose``'s answer: one ``LayerDiagnosis`` per layer; print it for a table.

    ``report[i]`` is layer ``i``; ``report.layers`` the list; ``report.samples``
    how many inputs were run.
    """

    def __init__(self, layers, samples):
        self.layers, self.samples = layers, samples

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        def share(value):
            return "-" if value is None else f"{100 * value:.0f}%"

        def norm(value):
            return "-" if value is None else f"{value:.3g}"

        header = ("#", "activation", "units", "mean", "std", "dead", "saturated", "|W|", "|dW|", "|db|")
        rows = [(str(d.index), d.activation, str(d.units), f"{d.mean:.3g}", f"{d.std:.3g}",
                 "-" if d.deadUnits is None else f"{d.deadUnits} ({share(d.deadShare)})",
                 share(d.saturatedShare), norm(d.weightNorm), norm(d.gradientNormW), norm(d.gradientNormB))
                for d in self.layers]
        return formatTable(header, rows, title=f"Diagnosis on {self.samples} samples (dead: a ReLU unit that "
                           f"never fires; saturated: a Sigmoid/Tanh unit stuck at a bound on every sample; "
                           f"|dW|, |db|: last backward)")


def diagnose(model, x):
    """Run ``x`` through ``model``'s layers and describe what each layer does.

    Parameters
    ----------
    model : MLP
        Any model with a ``layers`` list of ``Dense``. Nothing in it changes:
        the layers' ``predict`` is used, which keeps no state.
    x : array_like (n, inputDim)
        Inputs to look at, e.g. a few hundred training samples.

    Returns
    -------
    Diagnosis
        Per layer: mean and spread of the outputs, dead ReLU units, saturated
        Sigmoid/Tanh units, ``||W||``, and ``||dW||``, ``||db||`` of the last
        ``backward`` (call it after a training step to see the gradients).

    Raises
    ------
    ValueError
        When ``x`` is not ``(n, inputDim)``, or holds NaN or infinite values.
    """
    return _diagnose("diagnose", model, x)


def _diagnose(owner, model, x):
    """``diagnose``, with the name of the function the user called for the error messages."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list) or not layers:
        raise TypeError(f"{owner}: expected a model with layers, such as an MLP, got {type(model).__name__}")
    a = np.asarray(x, dtype=layers[0].W.dtype)
    if a.ndim == 1:
        a = a[np.newaxis]
    if a.ndim != 2 or a.shape[1] != layers[0].inputDim or len(a) == 0:
        raise ValueError(f"{owner}: x must have shape (n, {layers[0].inputDim}) with n >= 1, got {np.shape(x)}")
    # A NaN input makes every unit's output NaN, and NaN > 0 is False: each ReLU unit
    # would look dead, and the remedy offered (a lower learning rate) would be wrong.
    bad = ~np.isfinite(a)
    if bad.any():
        raise ValueError(f"{owner}: x contains NaN or infinite values ({int(bad.sum())} of {a.size} entries, "
                         f"the first in row {int(np.argmax(bad.any(axis=1)))}); they come from the data, not "
                         f"the network: replace or drop them before training")
    report = []
    for index, layer in enumerate(layers):
        a = layer.predict(a)
        report.append(LayerDiagnosis(index, layer, a))
    return Diagnosis(report, len(a))


def deadUnitWarning(model, x, threshold=0.5):
    """One line to print when more than ``threshold`` of a ReLU layer's units are dead on ``x``, else None.

    Parameters
    ----------
    model : MLP
    x : array_like (n, inputDim)
        A sample of the training inputs (a few hundred are enough: a unit
        that fires on none of them is almost surely dead).
    threshold : float in [0, 1), default 0.5

    Returns
    -------
    str or None
        e.g. ``"layer 0 (ReLU): 58 of 100 units (58%) never fire on these
        inputs; try a lower learning rate"``; several layers are joined by
        ``"; "``.
    """
    threshold = checkNumber("deadUnitWarning", "threshold", threshold, 0, 1)
    parts = [f"layer {d.index} (ReLU): {d.deadUnits} of {d.units} units ({100 * d.deadShare:.0f}%)"
             for d in _diagnose("deadUnitWarning", model, x) if d.deadShare is not None and d.deadShare > threshold]
    return "; ".join(parts) + " never fire on these inputs; try a lower learning rate" if parts else None


class DeadUnitRemark:
    """Say once, on an epoch's line, when most of a ReLU layer of any of a model's networks has died.

    ``remark()`` gives ``"WARNING: ..."`` (each network named when the model
    has several, e.g. ``"encoder: layer 0 (ReLU): ..."``) the first time
    :func:`deadUnitWarning` finds dead units on ``x``, and None before and
    after. A learning rate too large kills ReLU units; training prints it.

    Parameters
    ----------
    model : nn.Model
        Its ``networks(x)`` gives each network with the inputs it sees.
    x : array_like (n, inputDim)
        A sample of the training inputs.
    """

    def __init__(self, model, x):
        self.model, self.x, self.said = model, x, False

    def __call__(self):
        if self.said:
            return None
        warnings = [f"{name}: {warning}" if name else warning for name, network, inputs in self.model.networks(self.x)
                    for warning in [deadUnitWarning(network, inputs)] if warning]
        self.said = bool(warnings)
        return "WARNING: " + "; ".join(warnings) if warnings else None
