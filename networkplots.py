"""Network plots: a model's layers and weights, and its activations with their derivatives.

:func:`plotNetwork` draws the chapter's Figure 1 from a real model,
:func:`plotWeights` each neuron's incoming weights as an image, and
:func:`plotActivation` / :func:`plotActivations` the chapter's Figures 2-5
from the activations' own code. A layer too large to draw in full is cut
to ``maxNeurons`` and the figure says how many neurons it has.
:func:`shownNeurons` and :func:`columnPositions` lay out a column of
neurons for any drawing of a network.

>>> from activations import Tanh
>>> figure = plotActivation(Tanh())
>>> figure.axes[0].get_legend_handles_labels()[1]
['Tanh()', "derivative f'(z)"]
"""

import math

import numpy as np

import figures
from activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from checks import checkInteger

INPUT_COLOR, HIDDEN_COLOR, OUTPUT_COLOR = "#d62728", "#1f77b4", "#2ca02c"   # the chapter's red, blue, green


def shownNeurons(size, maxNeurons):
    """Which neurons of a layer of ``size`` are drawn: all, or the first and last ``maxNeurons // 2``.

    Returns ``(indices, elided)``: the drawn neurons' indices, and whether some were left out.
    """
    if size <= maxNeurons:
        return list(range(size)), False
    edge = maxNeurons // 2
    return list(range(edge)) + list(range(size - edge, size)), True


def columnPositions(shown, elided):
    """Vertical centre of each drawn neuron (top to bottom), leaving one slot for the ellipsis.

    Returns ``(heights, ellipsis)``: one height per index of ``shown``, in
    data units (neighbours 1 apart, centred on 0), and the height of the
    ellipsis, ``None`` when ``elided`` is false.
    """
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
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list):
        raise TypeError(f"plotNetwork: expected an MLP, got {type(model).__name__}")
    if not layers:
        raise ValueError("plotNetwork: the MLP has no layers yet; add some with addLayer(Dense(...))")
    maxNeurons = checkInteger("plotNetwork", "maxNeurons", maxNeurons, low=2)
    sizes = [layers[0].inputDim] + [layer.outputDim for layer in layers]
    columns = [shownNeurons(size, maxNeurons) for size in sizes]
    tallest = max(len(shown) + elided for shown, elided in columns)
    spacing, radius = 3.0, 0.3   # in data units: neighbours in a column are 1 apart
    width, height = (len(sizes) - 1) * spacing + 2, tallest + 1.8
    # 0.55 inch per data unit (the axes keep an equal aspect), plus room for the title and colour bar.
    figure, axes = figures.newFigure(figsize or (0.55 * width + 0.4 + (1.5 if weights else 0), 0.55 * height + 0.6))
    # Imported after newFigure, which names the install command when matplotlib is missing.
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.patches import Circle

    ax = axes[0, 0]
    positions = []
    for column, ((shown, elided), size) in enumerate(zip(columns, sizes)):
        color = INPUT_COLOR if column == 0 else OUTPUT_COLOR if column == len(sizes) - 1 else HIDDEN_COLOR
        heights, ellipsis = columnPositions(shown, elided)
        positions.append(heights)
        for y in heights:
            ax.add_patch(Circle((column * spacing, y), radius, facecolor=color, edgecolor="black",
                                linewidth=0.8, zorder=3))
        if elided:
            ax.text(column * spacing, ellipsis, "\u22ee", ha="center", va="center", fontsize=16)
        caption = f"input\n{size}" if column == 0 else \
            f"Dense {column}\n{type(layers[column - 1].activation).__name__}\n{size}"
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
    ax.set(xlim=(-1, width - 1), ylim=(-tallest / 2 - 1.6, height - tallest / 2 - 1.6), aspect="equal",
           title="MLP " + "-".join(str(size) for size in sizes))
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
    figure.suptitle(f"incoming weights of the {which} neurons (red positive, blue negative)")
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
        figure, axes = figures.newFigure(figsize)
        ax = axes[0, 0]
    else:
        figure = ax.figure
    ax.plot(z, a[:, 0], linewidth=2, label=repr(activation))
    ax.plot(z, derivative, linewidth=1.5, linestyle="--", label="derivative f'(z)")
    ax.axhline(0, color="0.7", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.7", linewidth=0.8, zorder=0)
    name = type(activation).__name__
    ax.set(xlabel="z", title=f"{name}: first output of softmax([z, 0])" if isinstance(activation, Softmax) else name)
    ax.legend(fontsize="small", loc="upper left")
    ax.grid(alpha=0.3)
    return figures.finish(figure, save)


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
