"""Network plots: a model's layers and weights, one training step on them, and the activations with their derivatives.

:func:`plotNetwork` draws the chapter's Figure 1 from a real model,
:func:`plotBackprop` the same figure with the numbers of one training step
(an explanation of :func:`explain.explain`), :func:`plotWeights` each
neuron's incoming weights as an image, and :func:`plotActivation` /
:func:`plotActivations` the chapter's Figures 2-5 from the activations' own
code. A layer too large to draw in full is cut to ``maxNeurons`` and the
figure says how many neurons it has.

>>> from activations import Tanh
>>> figure = plotActivation(Tanh())
>>> figure.axes[0].get_legend_handles_labels()[1]
['Tanh()', "derivative f'(z)"]
"""

import math

import numpy as np

import figures
from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from checks import checkBounds, checkInteger
from explainviews import compact, formatted, number

INPUT_COLOR, HIDDEN_COLOR, OUTPUT_COLOR = "#d62728", "#1f77b4", "#2ca02c"   # the chapter's red, blue, green


def _columns(sizes, maxNeurons):
    """How each column of neurons is drawn: ``[(shown, heights, ellipsis)]``, and the tallest column's slots.

    A layer of more than ``maxNeurons`` shows its first and last
    ``maxNeurons // 2`` neurons (``shown``, their indices) around a vertical
    ellipsis at height ``ellipsis`` (None when all are shown). Heights are
    in data units, top to bottom, neighbours 1 apart, centred on 0.
    """
    edge = maxNeurons // 2
    columns = []
    for size in sizes:
        if size > maxNeurons:   # 2 * edge neurons and the ellipsis in the middle place, at height 0
            heights = edge - np.delete(np.arange(2 * edge + 1, dtype=float), edge)
            columns.append((list(range(edge)) + list(range(size - edge, size)), heights, 0.0))
        else:
            columns.append((list(range(size)), (size - 1) / 2 - np.arange(size, dtype=float), None))
    return columns, max(len(heights) + (ellipsis is not None) for _, heights, ellipsis in columns)


def _roleColor(column, count):
    """The chapter's colour of a column of neurons: input red, hidden blue, output green (``count`` layers)."""
    return INPUT_COLOR if column == 0 else OUTPUT_COLOR if column == count else HIDDEN_COLOR


def _caption(ax, x, ellipsis, y, caption):
    """Below a column of neurons at ``x``, its ``caption`` (top at height ``y``); and its ellipsis, if any."""
    if ellipsis is not None:
        ax.text(x, ellipsis, "\u22ee", ha="center", va="center", fontsize=16)
    ax.text(x, y, caption, ha="center", va="top", fontsize=9)


def _connections(ax, columns, l, spacing, radius, matrix=None, cmap=None, widths=None):
    """Every connection from the drawn neurons of column ``l - 1`` into those of column ``l``: one LineCollection.

    With ``matrix`` (the layer's ``W`` or ``dL/dW``, ``(outputDim,
    inputDim)``), connection ``[j, i]`` is coloured by ``matrix[j, i]`` over
    the largest ``|entry|`` of the matrix (so from -1 to 1 on ``cmap``), and
    ``widths[0] + widths[1] * |that|`` wide; without, grey and 0.6 wide.
    Segments are in the order of the matrix's rows: row ``j`` holds the
    connections into neuron ``j``.
    """
    from matplotlib.collections import LineCollection

    (inputs, inputHeights, _), (outputs, outputHeights, _) = columns[l - 1], columns[l]
    left, right = (l - 1) * spacing + radius, l * spacing - radius
    segments = [((left, iy), (right, jy)) for jy in outputHeights for iy in inputHeights]
    if matrix is None:
        return ax.add_collection(LineCollection(segments, zorder=1, colors="0.55", linewidths=0.6))
    matrix = np.asarray(matrix, dtype=float)
    values = matrix[np.ix_(outputs, inputs)].ravel() / (float(np.max(np.abs(matrix))) or 1.0)
    return ax.add_collection(LineCollection(segments, zorder=1, array=values, cmap=cmap, clim=(-1.0, 1.0),
                                            linewidths=widths[0] + widths[1] * np.abs(values)))


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
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list):
        raise TypeError(f"plotNetwork: expected an MLP, got {type(model).__name__}")
    if not layers:
        raise ValueError("plotNetwork: the MLP has no layers yet; add some with addLayer(Dense(...))")
    maxNeurons = checkInteger("plotNetwork", "maxNeurons", maxNeurons, low=2)
    sizes = [layers[0].inputDim] + [layer.outputDim for layer in layers]
    columns, tallest = _columns(sizes, maxNeurons)
    spacing, radius = 3.0, 0.3   # in data units: neighbours in a column are 1 apart
    width, height = (len(sizes) - 1) * spacing + 2, tallest + 1.8
    # 0.55 inch per data unit (the axes keep an equal aspect), plus room for the title and colour bar.
    figure, ax = figures.newAxes(figsize or (0.55 * width + 0.4 + (1.5 if weights else 0), 0.55 * height + 0.6))
    # Imported after newAxes, which names the install command when matplotlib is missing.
    from matplotlib.patches import Circle

    for column, ((_, heights, ellipsis), size) in enumerate(zip(columns, sizes)):
        for y in heights:
            ax.add_patch(Circle((column * spacing, y), radius, facecolor=_roleColor(column, len(layers)),
                                edgecolor="black", linewidth=0.8, zorder=3))
        caption = f"input\n{size}" if column == 0 else \
            f"Dense {column}\n{type(layers[column - 1].activation).__name__}\n{size}"
        _caption(ax, column * spacing, ellipsis, -tallest / 2 - 0.3, caption)
    for l, layer in enumerate(layers, start=1):
        _connections(ax, columns, l, spacing, radius, layer.W if weights else None, "PuOr", widths=(0.3, 2.5))
    if weights:
        figure.colorbar(ax.collections[-1], ax=ax, shrink=0.6, label="weight / largest |weight| of its layer")
    ax.set(xlim=(-1, width - 1), ylim=(-tallest / 2 - 1.6, height - tallest / 2 - 1.6), aspect="equal",
           title="MLP " + "-".join(str(size) for size in sizes))
    ax.axis("off")
    return figures.finish(figure, save)


def plotBackprop(explanation, save=None, sample=None, numbers=None, maxNeurons=10, figsize=None):
    """The chapter's Figure 1 with the step's numbers: activations in the neurons, gradients on the connections.

    Each neuron shows its activation ``a`` (the input ``x`` in the first
    column), shaded by it (orange positive, purple negative, against the
    largest ``|a|`` of its column), and its ``δ = dL/dz`` below it; the
    targets ``y`` stand beside the outputs. Each connection ``W[j, i]`` is
    coloured by its gradient ``dL/dW[j, i]``, red for positive and blue for
    negative (the update moves the weight the other way), and is the wider
    the larger ``|dL/dW|`` is against the largest of its layer. The numbers
    are rounded as the explanation's printout rounds them.

    Parameters
    ----------
    explanation : explain.Explanation
        As returned by :func:`explain.explain`.
    save : str or path, optional
        Also write the figure there (PNG, or the suffix's format), atomically.
    sample : int, optional
        The sample whose activations are shown (default the explanation's);
        the gradients are those of the whole batch.
    numbers : bool, optional
        Print the gradient on every connection; default when no layer has more than 6 neurons.
    maxNeurons : int, default 10
        Most neurons drawn per column (at least 2); a larger layer shows its first and last few.
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes; each neuron is a ``matplotlib.patches.Circle``, each
        layer's connections one ``LineCollection``.
    """
    # Known by what it offers rather than by its class: explain sits above the plots and imports this module.
    if not callable(getattr(explanation, "sampleValue", None)):
        raise TypeError(f"plotBackprop: expected an Explanation from explain(...), got {type(explanation).__name__}")
    sizes, count = explanation.sizes, len(explanation.sizes) - 1
    activations = [explanation.sampleValue(f"a^{l}", sample) for l in range(count + 1)]   # checks sample
    deltas = [None] + [explanation.sampleValue(f"delta^{l}", sample) for l in range(1, count + 1)]
    target = explanation.sampleValue("y", sample)
    sample = explanation.sample if sample is None else sample
    maxNeurons = checkInteger("plotBackprop", "maxNeurons", maxNeurons, low=2)
    numbers = max(sizes) <= 6 if numbers is None else bool(numbers)
    columns, tallest = _columns(sizes, maxNeurons)
    spacing, radius = 5.0, 0.34
    width, height = count * spacing + 3.0, tallest + 2.2
    figure, ax = figures.newAxes(figsize or (0.85 * width + 1.4, 0.8 * height + 0.3))
    from matplotlib.patches import Circle

    activationMap = figures.pyplot().get_cmap("PuOr_r")
    for column, ((shown, heights, ellipsis), size) in enumerate(zip(columns, sizes)):
        largest = float(np.max(np.abs(activations[column]))) or 1.0
        for neuron, y in zip(shown, heights):
            value = activations[column][neuron]
            # 0.15 to 0.85 of the colour map: the darkest ends would hide the number.
            ax.add_patch(Circle((column * spacing, y), radius, facecolor=activationMap(0.5 + 0.35 * value / largest),
                                edgecolor=_roleColor(column, count), linewidth=2.5, zorder=3))
            ax.text(column * spacing, y, number(value, 2), ha="center", va="center", fontsize=8, zorder=4)
            if deltas[column] is not None:
                ax.text(column * spacing, y - radius - 0.04, rf"$\delta$ {number(deltas[column][neuron], 3)}",
                        ha="center", va="top", fontsize=7, color="0.2", zorder=4)
            if column == count:
                ax.text(column * spacing + radius + 0.2, y, f"y = {compact(target[neuron])}", ha="left",
                        va="center", fontsize=8, color="0.2")
        caption = (f"$x = a^0$\n{size} inputs" if column == 0 else
                   rf"$a^{column}$" + f"\n{explanation.activationNames[column - 1]}\n{size} neurons")
        _caption(ax, column * spacing, ellipsis, -tallest / 2 - 0.55, caption)
    for l in range(1, count + 1):
        gradient = np.asarray(explanation[f"dL/dW^{l}"].value, dtype=np.float64)
        lines = _connections(ax, columns, l, spacing, radius, gradient, "RdBu_r", widths=(0.5, 4.0))
        if numbers:
            # Each label at its own distance along its connection, so that no two share a place; rounded
            # alike within the layer.
            labels = formatted(gradient[np.ix_(columns[l][0], columns[l - 1][0])], 3)   # the drawn connections
            for index, (((x0, y0), (x1, y1)), label) in enumerate(zip(lines.get_segments(), labels)):
                fraction = 0.12 + 0.76 * (index + 0.5) / len(labels)
                ax.text(x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0), label,
                        ha="center", va="center", fontsize=6.5, color="0.1", zorder=2,
                        bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none", alpha=0.8))
    bar = figure.colorbar(lines, ax=ax, shrink=0.55, pad=0.01)
    bar.set_label(r"$\partial L / \partial W$ over the largest $|\partial L / \partial W|$ of its layer", fontsize=8)
    batch = (f"sample {sample} of a batch of {explanation.n}; gradients summed over the batch"
             if explanation.n > 1 else "one sample")
    ax.set_title(f"Backpropagation through {'-'.join(map(str, sizes))}: loss {number(explanation['L'].value, 4)} "
                 f"({batch})\n"
                 r"neurons: activation $a$ and $\delta = \partial L / \partial z$;  "
                 r"connections: $\partial L / \partial W$ (colour and width)", fontsize=9)
    ax.set(xlim=(-1.2, width - 1.2), ylim=(-tallest / 2 - 1.8, height - tallest / 2 - 1.8), aspect="equal")
    ax.axis("off")
    return figures.finish(figure, save)


# -------------------------------------------------------------- weights
def plotWeights(layer, shape=(28, 28), columns=None, figsize=None, save=None, maxNeurons=100):
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
    maxNeurons : int, default 100
        Most tiles drawn: a larger layer shows its first ``maxNeurons``
        neurons, and the title says how many it has. Every tile is an axes
        of its own, and a thousand of them take matplotlib about 20 seconds.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per drawn neuron, in order, each with ``ax.images[0]``; plus the colour bar's axes.
    """
    W = getattr(layer, "W", None)
    if W is None or np.ndim(W) != 2:
        hint = "; pass model.layers[0]" if hasattr(layer, "layers") else ""
        raise TypeError(f"plotWeights: expected a Dense layer, got {type(layer).__name__}{hint}")
    W = np.asarray(W, dtype=float)
    if np.shape(shape) != (2,):
        raise ValueError(f"plotWeights: shape must be (height, width), such as (28, 28), got {shape!r}")
    height, width = shape
    if height * width != W.shape[1]:
        raise ValueError(f"plotWeights: shape {tuple(shape)} holds {height * width} values but the layer has "
                         f"inputDim {W.shape[1]}")
    neurons = min(W.shape[0], checkInteger("plotWeights", "maxNeurons", maxNeurons))
    columns = None if columns is None else checkInteger("plotWeights", "columns", columns)
    figure, tiles = figures.imageGrid(neurons, columns=columns, tile=(0.8, 0.8), margin=(1.0, 0.4), figsize=figsize)
    largest = float(np.abs(W).max()) or 1.0
    for neuron, ax in enumerate(tiles):
        image = ax.imshow(W[neuron].reshape(height, width), cmap="RdBu_r", vmin=-largest, vmax=largest,
                          interpolation="nearest")
    figure.colorbar(image, ax=tiles, shrink=0.6, label="weight")
    which = f"{neurons}" if neurons == W.shape[0] else f"first {neurons} of {W.shape[0]:,}"
    title = f"incoming weights of the {which} neurons (red positive, blue negative)"
    figure.suptitle(title, fontsize=figures.titleSize(figure, title))   # a few neurons make a narrow figure
    return figures.finish(figure, save)


# ---------------------------------------------------------- activations
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
    low, high = checkBounds("plotActivation", "interval", interval)
    z = np.linspace(low, high, 401)
    # Two columns: the second is a constant 0 that only Softmax looks at (the two-class slice);
    # element-wise activations treat both columns alike and we keep the first.
    a = activation(np.column_stack([z, np.zeros_like(z)]))
    upstream = np.tile([1.0, 0.0], (len(z), 1))   # dL/da: 1 for the first output, 0 for the second
    derivative = activation.backward(a, upstream)[:, 0]
    if ax is None:
        _, ax = figures.newAxes(figsize)
    ax.plot(z, a[:, 0], linewidth=2, label=repr(activation))
    ax.plot(z, derivative, linewidth=1.5, linestyle="--", label="derivative f'(z)")
    ax.axhline(0, color="0.7", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.7", linewidth=0.8, zorder=0)
    name = type(activation).__name__
    ax.set(xlabel="z", title=f"{name}: first output of softmax([z, 0])" if isinstance(activation, Softmax) else name)
    ax.legend(fontsize="small", loc="upper left")
    ax.grid(alpha=0.3)
    return figures.finish(ax.figure, save)


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
    figure, axes = figures.newFigure(figsize, math.ceil(len(activations) / columns), columns)
    for activation, ax in zip(activations, axes.ravel()):
        plotActivation(activation, interval=interval, ax=ax)
    for ax in axes.ravel()[len(activations):]:
        figure.delaxes(ax)
    return figures.finish(figure, save)
