"""Plots: see learning happen (needs matplotlib: ``pip install "deepbasics[plot]"``).

Every function draws one matplotlib ``Figure`` and returns it, so it shows
inline when it is the last line of a Jupyter cell. ``save=PATH`` also writes
the figure to ``PATH`` (PNG, or any format matplotlib knows from the
suffix), atomically, at ``DPI`` dots per inch: a figure of ``figsize=(6, 4)``
inches becomes a 600 x 400 pixel PNG. Figures are closed in pyplot before
they are returned, so drawing hundreds of them (``LivePlot`` does) keeps no
memory and a notebook shows each exactly once. Nothing here needs a display:
matplotlib falls back to its Agg backend on a headless machine.

==================================================  ==========================================
function                                            draws
==================================================  ==========================================
``plotHistory(history)``                            loss and accuracy per epoch, best marked
``plotNetwork(model)``                              the chapter's Figure 1 for a real model
``plotActivation(f)``, ``plotActivations()``        f and f' as in the chapter's Figures 2-5
``plotWeights(layer)``                              each neuron's incoming weights as an image
``plotImages(images, labels)``                      a grid of images with captions
``plotConfusion(model, x, y)``                      the confusion matrix
``plotMistakes(model, x, y)``                       misclassified images, surest first
``plotDecisionBoundary(model, x, y)``               predicted class over the plane, 2-D data
``LivePlot()``                                      a callback redrawing ``plotHistory``
``saveFigure(figure, path)``                        any figure written atomically
==================================================  ==========================================

>>> from activations import Tanh
>>> figure = plotActivation(Tanh())
>>> figure.axes[0].get_legend_handles_labels()[1]
['Tanh()', "derivative f'(z)"]
"""

import math
import os
import sys
import tempfile

import numpy as np

from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from callbacks import Callback
from checks import checkInteger

DPI = 100
INPUT_COLOR, HIDDEN_COLOR, OUTPUT_COLOR = "#d62728", "#1f77b4", "#2ca02c"   # the chapter's red, blue, green


def _pyplot():
    """Import pyplot on first use, so that the core never needs matplotlib."""
    try:
        import matplotlib.pyplot as pyplot
    except ImportError as error:
        raise ImportError('plots needs matplotlib; install it with: pip install "deepbasics[plot]"') from error
    return pyplot


def _figure(figsize, rows=1, columns=1, **keywords):
    """A new figure with a grid of axes (as a 2-D array), detached from pyplot.

    Closing it in pyplot keeps pyplot from holding every figure ever drawn,
    and from showing it a second time at the end of a notebook cell.
    """
    pyplot = _pyplot()
    # Whole pixels: 3 * 1.2 inches is 359.99999... pixels, which matplotlib 3.10 cuts to 359, 3.11 rounds to 360.
    figsize = tuple(round(inches * DPI) / DPI for inches in figsize)
    figure, axes = pyplot.subplots(rows, columns, figsize=figsize, dpi=DPI, squeeze=False,
                                   layout="constrained", **keywords)
    pyplot.close(figure)
    return figure, axes


def _finish(figure, save):
    """Write ``figure`` to ``save`` when given, and return the figure."""
    if save is not None:
        saveFigure(figure, save)
    return figure


def saveFigure(figure, save):
    """Write any matplotlib ``figure`` to the path ``save``, atomically, at ``DPI``; return the path.

    The format follows the suffix (PNG without one). The figure goes to a
    temporary file in the same folder first, then is renamed over ``save``:
    an interrupted run never leaves half a picture. Every ``save=`` of this
    module comes here; examples drawing figures of their own can use it too.
    """
    path = os.path.abspath(os.fspath(save))
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: the folder {folder!r} does not exist (for {os.fspath(save)!r})")
    fileFormat = os.path.splitext(path)[1][1:].lower() or "png"
    known = figure.canvas.get_supported_filetypes()
    if fileFormat not in known:
        raise ValueError(f"save: cannot write {fileFormat!r} files ({os.fspath(save)!r}); "
                         f"use one of {', '.join(sorted(known))}")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".deepbasics-", suffix=f".{fileFormat}.part")
    try:
        with os.fdopen(handle, "wb") as file:
            figure.savefig(file, format=fileFormat, dpi=DPI)
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


# ------------------------------------------------------------------ history
def _epochIndex(values, monitor):
    """0-based epoch of the best value: lowest loss, highest accuracy (as EarlyStopping judges)."""
    return int(np.nanargmax(values) if monitor.endswith("accuracy") else np.nanargmin(values))


def plotHistory(history, monitor=None, earlyStopping=None, figsize=None, save=None):
    """Loss and accuracy per epoch: one panel each, one line per train/test metric.

    Epochs are numbered from 1 on the x axis, as ``train`` prints them
    (``Epoch 1/10``). The best epoch of ``monitor`` is marked by a dotted
    vertical line on every panel and a star on the monitored curve.

    Parameters
    ----------
    history : dict
        What ``MLP.train`` returns: metric name -> list of one float per
        epoch. Names are grouped into panels by their last word (``loss``,
        ``accuracy``, ...); the first word (``train``, ``test``) labels the line.
    monitor : str, optional
        The metric whose best epoch is marked (lowest loss, highest
        accuracy). Default: the EarlyStopping's monitor when one is given,
        else ``test_loss`` when recorded, else ``train_loss``, else nothing.
    earlyStopping : callbacks.EarlyStopping, optional
        The callback that was passed to ``train`` (Keras users would look
        here for it). Its ``bestEpoch`` is marked as *restored* when it has
        ``restore_best_weights`` and that epoch is not the last one, and the
        epoch where it stopped (``stoppedEpoch``) is marked *stopped*. The
        callback restores the best weights when it stops training, and also
        at the end of training when subscribed to ``on_train_end`` (as the
        list form ``callbacks=[stopper]`` does).
    figsize : (float, float), optional
        Width and height in inches; default 5 inches per panel by 4.
    save : str or path, optional
        Write the figure there too.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> figure = plotHistory({"train_loss": [0.9, 0.5, 0.4], "test_loss": [0.8, 0.6, 0.7]})
    >>> figure.axes[0].get_legend_handles_labels()[1]
    ['train', 'test', 'best test_loss (epoch 2)']
    """
    if not isinstance(history, dict):
        raise TypeError(f"plotHistory: history must be the dict that train returns, got {type(history).__name__}")
    curves = {name: np.asarray(values, dtype=float) for name, values in history.items() if len(values)}
    if not curves:
        raise ValueError(f"plotHistory: history {history!r} holds no epochs; train for at least one epoch "
                         f"with metrics=[...]")
    for name, values in curves.items():
        if values.ndim != 1:
            raise ValueError(f"plotHistory: history[{name!r}] must be a list of floats, got shape {values.shape}")
    if earlyStopping is not None and monitor is None:
        monitor = earlyStopping.monitor
    if monitor is None:
        monitor = next((name for name in ("test_loss", "train_loss") if name in curves), None)
    elif monitor not in curves:
        raise ValueError(f"plotHistory: monitor {monitor!r} is not in the history {sorted(history)}")

    groups = {}
    for name in curves:
        groups.setdefault(name.rsplit("_", 1)[-1], []).append(name)
    # Loss first, accuracy second, anything else after, as Keras users are used to.
    order = sorted(groups, key=lambda group: {"loss": 0, "accuracy": 1}.get(group, 2))
    figure, axes = _figure(figsize or (5 * len(order), 4), 1, len(order))
    panels = dict(zip(order, axes[0]))
    for group, ax in panels.items():
        for name in groups[group]:
            values = curves[name]
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3,
                    label=name.rsplit("_", 1)[0] if "_" in name else name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(group)
        ax.set_title(group)
        ax.grid(alpha=0.3)
        # Epochs are whole numbers: never label 1.5.
        ax.xaxis.get_major_locator().set_params(integer=True)

    if monitor is not None:
        best = _epochIndex(curves[monitor], monitor)
        restored = None
        if earlyStopping is not None and earlyStopping.restore_best_weights and earlyStopping.bestEpoch is not None \
                and earlyStopping.bestEpoch < len(curves[monitor]) - 1:
            restored = earlyStopping.bestEpoch
        label = f"best {monitor} (epoch {best + 1})"
        if restored == best:
            label = f"best {monitor}, restored (epoch {best + 1})"
        for ax in panels.values():
            ax.axvline(best + 1, color="black", linestyle=":", linewidth=1, label=label)
            if restored is not None and restored != best:
                ax.axvline(restored + 1, color="tab:purple", linestyle="--", linewidth=1,
                           label=f"restored by EarlyStopping (epoch {restored + 1})")
            if earlyStopping is not None and earlyStopping.stoppedEpoch is not None:
                ax.axvline(earlyStopping.stoppedEpoch + 1, color="tab:red", linestyle="-.", linewidth=1,
                           label=f"stopped (epoch {earlyStopping.stoppedEpoch + 1})")
        panels[monitor.rsplit("_", 1)[-1]].plot([best + 1], [curves[monitor][best]], marker="*", markersize=14,
                                                color="black", linestyle="none", label="_best", clip_on=False)
    for ax in panels.values():
        ax.legend(fontsize="small")
    return _finish(figure, save)


class LivePlot(Callback):
    """Redraw :func:`plotHistory` after every epoch while ``train`` runs.

    In a Jupyter notebook the figure under the cell is replaced in place;
    elsewhere (a script, a terminal) the PNG file ``save`` is rewritten, so
    an image viewer that reloads it shows training live.

    Parameters
    ----------
    save : str or path, optional
        File rewritten after every epoch. Default: none in a notebook,
        ``"training.png"`` (in the current folder) elsewhere.
    monitor, earlyStopping :
        Passed to :func:`plotHistory`. The epoch EarlyStopping restores is
        marked once it is known: when it stops training, or at the end.
    every : int, default 1
        Redraw every ``every`` epochs (and always after the last one). A
        redraw written to a PNG takes about half a second (Intel Xeon, 2
        cores): with short epochs, redraw less often.
    figsize : (float, float), optional
        Passed to :func:`plotHistory`.

    Attributes
    ----------
    history : dict
        Every value of the epoch logs so far (``train_loss`` and the
        requested metrics), reset when training begins.
    figure : matplotlib.figure.Figure or None
        The last figure drawn.

    Examples
    --------
    ``model.train(dataset, loss, epochs=10, metrics=[...], callbacks=[LivePlot()])``
    """

    def __init__(self, save=None, monitor=None, earlyStopping=None, every=1, figsize=None):
        every = checkInteger("LivePlot", "every", every)
        _pyplot()   # fail now, not after the first epoch, when matplotlib is missing
        self.notebook = _inNotebook()
        self.save = save if save is not None or self.notebook else "training.png"
        self.monitor, self.earlyStopping, self.every, self.figsize = monitor, earlyStopping, every, figsize
        self.history, self.figure, self._display, self._drawnEpochs = {}, None, None, 0

    def on_train_begin(self, model):
        # A new run gets a new figure (under the cell that called train, in a notebook).
        self.history, self._drawnEpochs, self._display = {}, 0, None

    def on_epoch_end(self, model, epoch, logs):
        for name, value in logs.items():
            self.history.setdefault(name, []).append(float(value))
        if (epoch + 1) % self.every == 0:
            self.draw()

    def on_train_end(self, model, history):
        epochs = max((len(values) for values in self.history.values()), default=0)
        if epochs and (epochs != self._drawnEpochs or self.earlyStopping is not None):
            self.draw(final=True)

    def draw(self, final=False):
        """Draw the history so far, show it in the notebook and/or write ``save``."""
        stopper = self.earlyStopping
        # Before the end, a best epoch is not "restored" unless the callback has stopped training.
        known = stopper if stopper is not None and (final or stopper.stoppedEpoch is not None) else None
        monitor = self.monitor if self.monitor is not None or stopper is None else stopper.monitor
        self.figure = plotHistory(self.history, monitor=monitor, earlyStopping=known, figsize=self.figsize,
                                  save=self.save)
        self._drawnEpochs = max(len(values) for values in self.history.values())
        if self.notebook:
            from IPython.display import display
            if self._display is None:
                self._display = display(self.figure, display_id=True)
            else:
                self._display.update(self.figure)

    def __repr__(self):
        return f"LivePlot(save={self.save!r}, monitor={self.monitor!r}, every={self.every})"


def _inNotebook():
    """True inside a Jupyter kernel (where figures can be shown and replaced in place)."""
    IPython = sys.modules.get("IPython")   # a kernel has imported it already; importing it here takes a second
    if IPython is None:
        return False
    shell = IPython.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


# ------------------------------------------------------------------ network
def _shownNeurons(size, maxNeurons):
    """Indices of the neurons drawn for a layer of ``size``: all, or the first and last few."""
    if size <= maxNeurons:
        return list(range(size)), False
    edge = maxNeurons // 2
    return list(range(edge)) + list(range(size - edge, size)), True


def _columnPositions(shown, elided):
    """Vertical centre of each drawn neuron (top to bottom), leaving one slot for the ellipsis."""
    slots = len(shown) + (1 if elided else 0)
    positions = (slots - 1) / 2 - np.arange(slots, dtype=float)
    if elided:
        half = len(shown) // 2
        return np.concatenate([positions[:half], positions[half + 1:]]), positions[half]
    return positions, None


def plotNetwork(model, weights=False, maxNeurons=10, figsize=None, save=None):
    """The chapter's Figure 1 drawn from a real model.

    One column of neurons per layer: input red, hidden blue, output green,
    with every connection between drawn neurons. A layer with more than
    ``maxNeurons`` neurons shows its first and last ``maxNeurons // 2``
    around a vertical ellipsis, and its size below the column.

    Parameters
    ----------
    model : nn.MLP
    weights : bool, default False
        Colour each connection by its weight ``W[j, i]`` (a diverging
        colour map, with a colour bar) and make it thicker the larger
        ``|W[j, i]|`` is, relative to the largest in its layer.
    maxNeurons : int, default 10
        Most neurons drawn per column (at least 2).
    figsize : (float, float), optional
    save : str or path, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes; each neuron is a ``matplotlib.patches.Circle``, each
        layer's connections one ``LineCollection`` holding one segment per
        connection.
    """
    _pyplot()
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.patches import Circle

    layers = getattr(model, "layers", None)
    if not isinstance(layers, list):
        raise TypeError(f"plotNetwork: expected an MLP, got {type(model).__name__}")
    if not layers:
        raise ValueError("plotNetwork: the MLP has no layers yet; add some with addLayer(Dense(...))")
    maxNeurons = checkInteger("plotNetwork", "maxNeurons", maxNeurons, low=2)
    sizes = [layers[0].inputDim] + [layer.outputDim for layer in layers]
    columns = [_shownNeurons(size, maxNeurons) for size in sizes]
    tallest = max(len(shown) + elided for shown, elided in columns)
    spacing, radius = 3.0, 0.3   # in data units: neighbours in a column are 1 apart
    width, height = (len(sizes) - 1) * spacing + 2, tallest + 1.8
    # 0.55 inch per data unit (the axes keep an equal aspect), plus room for the title and colour bar.
    figure, axes = _figure(figsize or (0.55 * width + 0.4 + (1.5 if weights else 0), 0.55 * height + 0.6))
    ax = axes[0, 0]
    positions = []
    for column, ((shown, elided), size) in enumerate(zip(columns, sizes)):
        color = INPUT_COLOR if column == 0 else OUTPUT_COLOR if column == len(sizes) - 1 else HIDDEN_COLOR
        heights, ellipsis = _columnPositions(shown, elided)
        positions.append(heights)
        for y in heights:
            ax.add_patch(Circle((column * spacing, y), radius, facecolor=color, edgecolor="black",
                                linewidth=0.8, zorder=3))
        if elided:
            ax.text(column * spacing, ellipsis, "\u22ee", ha="center", va="center", fontsize=16)
        if column == 0:
            caption = f"input\n{size}"
        else:
            layer = layers[column - 1]
            caption = f"Dense {column}\n{type(layer.activation).__name__}\n{size}"
        ax.text(column * spacing, -tallest / 2 - 0.3, caption, ha="center", va="top", fontsize=9)

    for index, layer in enumerate(layers):
        inputs, outputs = columns[index][0], columns[index + 1][0]
        left, right = index * spacing + radius, (index + 1) * spacing - radius
        # One segment per drawn weight W[j, i], in the order of W's rows.
        segments = [((left, positions[index][i]), (right, positions[index + 1][j]))
                    for j in range(len(outputs)) for i in range(len(inputs))]
        lines = LineCollection(segments, zorder=1)
        if weights:
            # W is (outputDim, inputDim): row j holds the weights into output neuron j.
            shownWeights = np.asarray(layer.W, dtype=float)[np.ix_(outputs, inputs)].ravel()
            largest = float(np.max(np.abs(layer.W))) or 1.0
            lines.set_array(shownWeights / largest)
            lines.set_cmap("PuOr")
            lines.set_norm(Normalize(-1.0, 1.0))
            lines.set_linewidth(0.3 + 2.5 * np.abs(shownWeights) / largest)
        else:
            lines.set_color("0.55")
            lines.set_linewidth(0.6)
        ax.add_collection(lines)
    if weights:
        bar = figure.colorbar(ax.collections[-1], ax=ax, shrink=0.6)
        bar.set_label("weight / largest |weight| of its layer")
    ax.set_xlim(-1, width - 1)
    ax.set_ylim(-tallest / 2 - 1.6, height - tallest / 2 - 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("MLP " + "-".join(str(size) for size in sizes))
    return _finish(figure, save)


# -------------------------------------------------------------- activations
def plotActivation(activation, interval=(-5.0, 5.0), ax=None, figsize=(5, 3.5), save=None):
    """An activation ``f`` and its derivative ``f'`` over ``interval``, as in the chapter's Figures 2-5.

    Both curves come from the activation's own code: ``f(z)`` from
    ``forward`` and ``f'(z)`` from ``backward(a, 1)``, the very derivative
    backpropagation uses. Softmax, which maps a vector to a vector, is shown
    on a two-class slice: its first output ``softmax([z, 0])[0]`` (which is
    ``sigmoid(z)``) and that output's derivative with respect to ``z``.

    Parameters
    ----------
    activation : activations.Activation
    interval : (float, float), default (-5, 5)
    ax : matplotlib Axes, optional
        Draw into this axes (of an existing figure) instead of a new figure.
    figsize : (float, float), default (5, 3.5)
    save : str or path, optional

    Returns
    -------
    matplotlib.figure.Figure
        Its axes hold two lines: ``f`` then ``f'``.
    """
    if not callable(getattr(activation, "backward", None)):
        raise TypeError(f"plotActivation: expected an activation such as ReLU(), got {activation!r}")
    low, high = (float(bound) for bound in interval)
    if not low < high:
        raise ValueError(f"plotActivation: interval must be (low, high) with low < high, got {interval!r}")
    z = np.linspace(low, high, 401)
    # Two columns: the second is a constant 0 that only Softmax looks at (the two-class slice);
    # element-wise activations treat both columns alike and we keep the first.
    batch = np.column_stack([z, np.zeros_like(z)])
    a = activation(batch)
    upstream = np.zeros_like(a)
    upstream[:, 0] = 1.0
    derivative = activation.backward(a, upstream)[:, 0]
    if ax is None:
        figure, axes = _figure(figsize)
        ax = axes[0, 0]
    else:
        figure = ax.figure
    ax.plot(z, a[:, 0], linewidth=2, label=repr(activation))
    ax.plot(z, derivative, linewidth=1.5, linestyle="--", label="derivative f'(z)")
    ax.axhline(0, color="0.7", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.7", linewidth=0.8, zorder=0)
    name = type(activation).__name__
    ax.set_title(f"{name}: first output of softmax([z, 0])" if isinstance(activation, Softmax) else name)
    ax.set_xlabel("z")
    ax.legend(fontsize="small", loc="upper left")
    ax.grid(alpha=0.3)
    return _finish(figure, save)


def plotActivations(activations=None, interval=(-5.0, 5.0), figsize=(12, 7), save=None):
    """Every activation of the chapter with its derivative, one panel each (2 rows x 3).

    Parameters
    ----------
    activations : sequence of activations.Activation, optional
        Default Identity, Sigmoid, Tanh, ReLU, LeakyReLU(epsilon=0.1) and
        Softmax: the leak is ten times the default 0.01 so that the slope
        below 0 is visible at this scale.
    interval : (float, float), default (-5, 5)
    figsize : (float, float), default (12, 7)
    save : str or path, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes per activation, each as :func:`plotActivation` draws it.
    """
    if activations is None:
        activations = [Identity(), Sigmoid(), Tanh(), ReLU(), LeakyReLU(epsilon=0.1), Softmax()]
    activations = list(activations)
    if not activations:
        raise ValueError("plotActivations: no activations given")
    columns = min(3, len(activations))
    figure, axes = _figure(figsize, math.ceil(len(activations) / columns), columns)
    for activation, ax in zip(activations, axes.ravel()):
        plotActivation(activation, interval=interval, ax=ax)
    for ax in axes.ravel()[len(activations):]:
        figure.delaxes(ax)
    return _finish(figure, save)


# ------------------------------------------------------------------- images
def _imageShape(width):
    side = math.isqrt(width)
    if side * side != width:
        raise ValueError(f"plotImages: rows of {width} values are not square images; pass shape (n, height, width)")
    return side, side


def plotImages(images, labels=None, rows=None, save=None, valueRange=(0.0, 1.0), cmap="gray", title=None,
               figsize=None):
    """A grid of grey-scale images with optional captions.

    Parameters
    ----------
    images : array_like (n, height * width) or (n, height, width)
        Rows of square images (MNIST's ``(n, 784)`` is drawn 28 x 28) or
        images already shaped.
    labels : sequence of n captions, or one-hot array (n, classes), optional
        A one-hot array is captioned with each row's class index.
    rows : int, optional
        Rows of the grid; default about square (``ceil(sqrt(n))`` columns).
    save : str or path, optional
    valueRange : (float, float), default (0, 1)
        The values drawn black and white. Pass ``(-1, 1)`` for the output of
        a Tanh layer (GAN generators). This is explicit, not guessed from
        the data, so that a faint image is not stretched to look confident.
        Values slightly outside are clipped; values more than 10% of the
        range outside raise ``ValueError`` (pixels in 0-255, or [-1, 1]
        drawn with the default range, would otherwise show a blank grid).
    cmap : str, default "gray"
    title : str, optional
        A title above the grid.
    figsize : (float, float), optional
        Default 1.2 inches per image.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per image, in reading order (extra grid cells removed);
        each holds the image (``ax.images[0]``) and its caption as title.
    """
    images = np.asarray(images, dtype=float)
    if images.ndim == 2:
        images = images.reshape(len(images), *_imageShape(images.shape[1]))
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"plotImages: images must be (n, height * width) or (n, height, width) with n >= 1, "
                         f"got shape {images.shape}")
    low, high = (float(bound) for bound in valueRange)
    if not low < high:
        raise ValueError(f"plotImages: valueRange must be (low, high) with low < high, got {valueRange!r}")
    slack = 0.1 * (high - low)
    if images.min() < low - slack or images.max() > high + slack:
        raise ValueError(f"plotImages: values span [{images.min():.3g}, {images.max():.3g}], outside valueRange "
                         f"{(low, high)}; scale them (pixels / 255) or pass valueRange=(-1, 1) for Tanh outputs")
    count = len(images)
    if labels is not None:
        labels = _captions(labels, count)
    if rows is None:
        columns = math.ceil(math.sqrt(count))
        rows = math.ceil(count / columns)
    else:
        rows = checkInteger("plotImages", "rows", rows, 1, count)   # at most one row per image
        columns = math.ceil(count / rows)
    captionHeight = 0.0 if labels is None else 0.25 * max(str(label).count("\n") + 1 for label in labels)
    titleHeight = 0.0 if title is None else 0.3
    figure, axes = _figure(figsize or (1.2 * columns, (1.2 + captionHeight) * rows + titleHeight), rows, columns)
    for index, ax in enumerate(axes.ravel()):
        if index >= count:
            figure.delaxes(ax)
            continue
        ax.imshow(images[index], cmap=cmap, vmin=low, vmax=high, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if labels is not None:
            ax.set_title(str(labels[index]), fontsize=8)
    if title is not None:
        figure.suptitle(title)
    return _finish(figure, save)


def _captions(labels, count):
    """One caption per image: the labels themselves, or the class index of each one-hot row."""
    if isinstance(labels, np.ndarray) and labels.ndim == 2:
        labels = labels.argmax(axis=1)
    elif isinstance(labels, np.ndarray) and labels.ndim != 1:
        raise ValueError(f"plotImages: labels must be n captions or one-hot (n, classes), got shape {labels.shape}")
    labels = list(labels)
    if len(labels) != count:
        raise ValueError(f"plotImages: {len(labels)} labels for {count} images; give one per image")
    return labels


# --------------------------------------------------------- classification
def _classes(y, name):
    """Class indices, and how many classes, from one-hot rows (n, classes), one 0/1 column (n, 1) or integers (n,)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        return (y[:, 0] > 0.5).astype(int), 2
    if y.ndim == 2:
        return y.argmax(axis=1), y.shape[1]
    if y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
        if len(y) and y.min() < 0:
            raise ValueError(f"{name}: integer labels must be class indices from 0, got {y.min()}")
        return y, int(y.max()) + 1 if len(y) else 0
    raise ValueError(f"{name}: y must be one-hot (n, classes) or integer labels (n,), got shape {y.shape} "
                     f"of {y.dtype}")


def _classProbabilities(model, x):
    """The model's output as one column per class: a single sigmoid output p becomes (1 - p, p)."""
    outputs = np.asarray(model.predict(x), dtype=float)
    return np.column_stack([1 - outputs[:, 0], outputs[:, 0]]) if outputs.shape[1] == 1 else outputs


def _predictions(model, x, y, name):
    """The model's class probabilities, its predicted and the true classes, after checking sizes."""
    x = np.asarray(x)
    truth, classes = _classes(y, name)
    if len(x) != len(truth):
        raise ValueError(f"{name}: x has {len(x)} samples but y has {len(truth)}")
    if len(x) == 0:
        raise ValueError(f"{name}: x and y hold no samples")
    probabilities = _classProbabilities(model, x)
    if probabilities.shape[1] < classes:
        raise ValueError(f"{name}: y has {classes} classes but the model has {probabilities.shape[1]} outputs")
    return probabilities, probabilities.argmax(axis=1), truth


def plotConfusion(model, x, y, classNames=None, figsize=None, save=None):
    """The confusion matrix of ``model`` on ``(x, y)``: how often class i was predicted as class j.

    Rows are true classes, columns predicted classes (as in scikit-learn);
    each cell shows its count, darker for larger counts; the diagonal holds
    the correct predictions and the title the accuracy.

    Parameters
    ----------
    model : nn.MLP (anything with ``predict(x) -> (n, outputs)``)
        With one output (a sigmoid), class 1 is ``output > 0.5``; with
        several, the arg-max.
    x : array_like (n, inputDim)
    y : array_like, one-hot (n, classes), 0/1 (n, 1), or integer labels (n,)
    classNames : sequence of str, optional
        One name per model output; default ``0, 1, ...``.
    figsize : (float, float), optional
    save : str or path, optional

    Returns
    -------
    matplotlib.figure.Figure
        Its axes' image (``ax.images[0].get_array()``) is the count matrix.
    """
    probabilities, predicted, truth = _predictions(model, x, y, "plotConfusion")
    classes = probabilities.shape[1]
    names = [str(index) for index in range(classes)] if classNames is None else [str(n) for n in classNames]
    if len(names) != classes:
        raise ValueError(f"plotConfusion: {len(names)} classNames for a model with {classes} outputs")
    counts = np.zeros((classes, classes), dtype=int)
    np.add.at(counts, (truth, predicted), 1)
    figure, axes = _figure(figsize or (1.0 + 0.55 * classes, 0.6 + 0.55 * classes))
    ax = axes[0, 0]
    ax.imshow(counts, cmap="Blues")
    threshold = counts.max() / 2
    for (row, column), count in np.ndenumerate(counts):
        ax.text(column, row, str(count), ha="center", va="center", fontsize=8,
                color="white" if count > threshold else "black")
    ax.set_xticks(range(classes), names)
    ax.set_yticks(range(classes), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"accuracy {np.trace(counts) / counts.sum():.2%} on {counts.sum()} samples")
    return _finish(figure, save)


def plotMistakes(model, x, y, count=25, classNames=None, valueRange=(0.0, 1.0), figsize=None, save=None):
    """The misclassified images the model was surest of, captioned with truth, prediction and probability.

    Parameters
    ----------
    model, x, y, classNames :
        As for :func:`plotConfusion`; ``x`` holds images (``(n, 784)`` for MNIST).
    count : int, default 25
        Most mistakes shown, the highest predicted probability first.
    valueRange : (float, float), default (0, 1)
        Passed to :func:`plotImages`.

    Returns
    -------
    matplotlib.figure.Figure
        As :func:`plotImages`, with captions ``"true 4\\npred 9 (87%)"`` (the
        probability in whole percents, rounded down);
        or one empty axes saying so when there is no mistake.
    """
    count = checkInteger("plotMistakes", "count", count)
    probabilities, predicted, truth = _predictions(model, x, y, "plotMistakes")
    names = [str(index) for index in range(probabilities.shape[1])] if classNames is None else list(classNames)
    wrong = np.flatnonzero(predicted != truth)
    if len(wrong) == 0:
        figure, axes = _figure(figsize or (4, 1.5))
        axes[0, 0].text(0.5, 0.5, f"no mistakes on {len(truth)} samples", ha="center", va="center")
        axes[0, 0].axis("off")
        return _finish(figure, save)
    confidence = probabilities[wrong, predicted[wrong]]
    total, wrong = len(wrong), wrong[np.argsort(-confidence, kind="stable")][:count]
    # Whole percents rounded down: a 99.6% mistake must not read "100%".
    percents = np.floor(100 * probabilities[wrong, predicted[wrong]]).astype(int)
    captions = [f"true {names[truth[i]]}\npred {names[predicted[i]]} ({percent}%)"
                for i, percent in zip(wrong, percents)]
    title = f"{len(wrong)} of {total} mistakes on {len(truth)} samples, surest first"
    return plotImages(np.asarray(x)[wrong], labels=captions, save=save, valueRange=valueRange, title=title,
                      figsize=figsize)


def plotDecisionBoundary(model, x, y, save=None, resolution=200, classNames=None, title=None, figsize=(5, 4.5)):
    """The class the model predicts at every point of the plane, with the data on top.

    Parameters
    ----------
    model : nn.MLP with inputDim 2
        With one output, class 1 is ``output > 0.5``; with several, the arg-max.
    x : array_like (n, 2)
    y : array_like, one-hot (n, classes) or integer labels (n,)
    save : str or path, optional
    resolution : int, default 200
        Grid points along each axis; the grid covers the data plus 10% margins.
    classNames : sequence of str, optional
        Legend entries; default ``class 0``, ``class 1``, ...
    title : str, optional
        Default ``"predicted class (background) and data"``.
    figsize : (float, float), default (5, 4.5)

    Returns
    -------
    matplotlib.figure.Figure
        Its axes hold the predicted classes as an image
        (``ax.images[0].get_array()``, shape ``(resolution, resolution)``,
        rows from bottom to top) and the points as one scatter per class.
    """
    from matplotlib.colors import ListedColormap

    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"plotDecisionBoundary: x must be (n, 2) points in the plane, got shape {x.shape}")
    truth, classes = _classes(y, "plotDecisionBoundary")
    if len(truth) != len(x) or len(x) == 0:
        raise ValueError(f"plotDecisionBoundary: x has {len(x)} samples and y has {len(truth)}; "
                         f"they must match and not be empty")
    resolution = checkInteger("plotDecisionBoundary", "resolution", resolution, low=2)
    low, high = x.min(axis=0), x.max(axis=0)
    margin = 0.1 * np.where(high > low, high - low, 1.0)
    low, high = low - margin, high + margin
    gridX, gridY = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    probabilities = _classProbabilities(model, np.column_stack([gridX.ravel(), gridY.ravel()]))
    predicted = probabilities.argmax(axis=1)
    classes = max(classes, probabilities.shape[1])
    names = [f"class {index}" for index in range(classes)] if classNames is None else list(classNames)
    if len(names) < classes:
        raise ValueError(f"plotDecisionBoundary: {len(names)} classNames for {classes} classes")
    colors = [f"C{index % 10}" for index in range(classes)]
    figure, axes = _figure(figsize)
    ax = axes[0, 0]
    ax.imshow(predicted.reshape(resolution, resolution), origin="lower", extent=(low[0], high[0], low[1], high[1]),
              cmap=ListedColormap(colors), vmin=-0.5, vmax=classes - 0.5, alpha=0.3, aspect="auto",
              interpolation="nearest")
    for index in range(classes):
        members = truth == index
        if members.any():
            ax.scatter(x[members, 0], x[members, 1], s=14, color=colors[index], edgecolors="black",
                       linewidths=0.4, label=names[index])
    ax.set_xlabel("x[:, 0]")
    ax.set_ylabel("x[:, 1]")
    ax.legend(fontsize="small", loc="best")
    ax.set_title("predicted class (background) and data" if title is None else title)
    return _finish(figure, save)


# -------------------------------------------------------------- weights
def plotWeights(layer, shape=(28, 28), columns=None, figsize=None, save=None):
    """Each neuron's incoming weights drawn as an image: what a first layer looks for.

    Tile ``j`` is row ``j`` of ``layer.W`` (the weights from every input
    pixel to neuron ``j``) reshaped to ``shape``. All tiles share one
    symmetric colour scale (0 is white, the colour bar gives the values), so
    strong and weak neurons can be compared.

    Parameters
    ----------
    layer : layers.Dense
        Usually ``model.layers[0]`` of an MNIST model.
    shape : (int, int), default (28, 28)
        Height and width of one input image; their product must be ``inputDim``.
    columns : int, optional
        Tiles per row; default about square.
    figsize : (float, float), optional
    save : str or path, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes per neuron, in order, each with ``ax.images[0]``; plus the colour bar's axes.
    """
    W = getattr(layer, "W", None)
    if W is None or np.ndim(W) != 2:
        hint = "; pass model.layers[0]" if hasattr(layer, "layers") else ""
        raise TypeError(f"plotWeights: expected a Dense layer, got {type(layer).__name__}{hint}")
    W = np.asarray(W, dtype=float)
    height, width = shape
    if height * width != W.shape[1]:
        raise ValueError(f"plotWeights: shape {tuple(shape)} holds {height * width} values but the layer has "
                         f"inputDim {W.shape[1]}")
    neurons = W.shape[0]
    if columns is None:
        columns = math.ceil(math.sqrt(neurons))
    else:
        columns = checkInteger("plotWeights", "columns", columns)
    rows = math.ceil(neurons / columns)
    figure, axes = _figure(figsize or (0.8 * columns + 1.0, 0.8 * rows + 0.4), rows, columns)
    largest = float(np.abs(W).max()) or 1.0
    image = None
    for neuron, ax in enumerate(axes.ravel()):
        if neuron >= neurons:
            figure.delaxes(ax)
            continue
        image = ax.imshow(W[neuron].reshape(height, width), cmap="RdBu_r", vmin=-largest, vmax=largest,
                          interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    figure.colorbar(image, ax=axes.ravel()[:neurons].tolist(), shrink=0.6, label="weight")
    figure.suptitle(f"incoming weights of the {neurons} neurons (red positive, blue negative)")
    return _finish(figure, save)
