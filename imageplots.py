"""Image plots: a grid of images (:func:`plotImages`), and what a classifier gets right and wrong.

:func:`plotConfusion` draws the confusion matrix, :func:`plotMistakes` the
misclassified images the model was surest of, and
:func:`plotDecisionBoundary` the class predicted over the plane for 2-D data.

>>> figure = plotImages([[0.0, 1.0, 1.0, 0.0]], labels=["a diagonal"])
>>> figure.axes[0].images[0].get_array().tolist(), figure.axes[0].get_title()
([[0.0, 1.0], [1.0, 0.0]], 'a diagonal')
"""

import math

import numpy as np

import figures
from checks import checkBounds, checkInteger


def _imageShape(width):
    """(side, side) of a square image stored as one row of ``width`` values."""
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
    given = images.shape
    if images.ndim == 2:
        images = images.reshape(len(images), *_imageShape(images.shape[1]))
    if images.ndim != 3 or images.size == 0:
        raise ValueError(f"plotImages: images must be (n, height * width) or (n, height, width) with n, height and "
                         f"width at least 1, got shape {given}")
    low, high = checkBounds("plotImages", "valueRange", valueRange)
    slack = 0.1 * (high - low)
    if images.min() < low - slack or images.max() > high + slack:
        raise ValueError(f"plotImages: values span [{images.min():.3g}, {images.max():.3g}], outside valueRange "
                         f"{(low, high)}; scale them (pixels / 255) or pass valueRange=(-1, 1) for Tanh outputs")
    count = len(images)
    labels = None if labels is None else _captions(labels, count)
    rows = None if rows is None else checkInteger("plotImages", "rows", rows, 1, count)   # at most one row per image
    captionHeight = 0.0 if labels is None else 0.25 * max(str(label).count("\n") + 1 for label in labels)
    figure, tiles = figures.imageGrid(count, rows, tile=(1.2, 1.2 + captionHeight),
                                      margin=(0.0, 0.0 if title is None else 0.3), figsize=figsize)
    for index, ax in enumerate(tiles):
        ax.imshow(images[index], cmap=cmap, vmin=low, vmax=high, interpolation="nearest")
        if labels is not None:
            ax.set_title(str(labels[index]), fontsize=8)
    if title is not None:
        figure.suptitle(title, fontsize=figures.titleSize(figure, title))   # a narrow grid would cut it
    return figures.finish(figure, save)


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


def _predictions(model, x, y, classNames, name):
    """The model's class probabilities, predicted and true classes, and one name per output, sizes checked."""
    x = np.asarray(x)
    truth, classes = _classes(y, name)
    if len(x) != len(truth):
        raise ValueError(f"{name}: x has {len(x)} samples but y has {len(truth)}")
    if len(x) == 0:
        raise ValueError(f"{name}: x and y hold no samples")
    probabilities = _classProbabilities(model, x)
    outputs = probabilities.shape[1]
    if outputs < classes:
        raise ValueError(f"{name}: y has {classes} classes but the model has {outputs} outputs")
    names = [str(index) for index in range(outputs)] if classNames is None else [str(n) for n in classNames]
    if len(names) != outputs:
        raise ValueError(f"{name}: {len(names)} classNames for a model with {outputs} outputs")
    return probabilities, probabilities.argmax(axis=1), truth, names


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
    _, predicted, truth, names = _predictions(model, x, y, classNames, "plotConfusion")
    classes = len(names)
    counts = np.zeros((classes, classes), dtype=int)
    np.add.at(counts, (truth, predicted), 1)
    figure, ax = figures.newAxes(figsize or (1.0 + 0.55 * classes, 0.6 + 0.55 * classes))
    ax.imshow(counts, cmap="Blues")
    threshold = (counts.min() + counts.max()) / 2   # the middle of the colour scale, which imshow spans min to max
    for (row, column), count in np.ndenumerate(counts):
        ax.text(column, row, str(count), ha="center", va="center", fontsize=8,
                color="white" if count > threshold else "black")
    title = f"accuracy {np.trace(counts) / counts.sum():.2%} on {counts.sum()} samples"
    ax.set(xticks=range(classes), xticklabels=names, yticks=range(classes), yticklabels=names,
           xlabel="predicted", ylabel="true")
    ax.set_title(title, fontsize=figures.titleSize(figure, title))   # a few classes make a narrow figure
    return figures.finish(figure, save)


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
    probabilities, predicted, truth, names = _predictions(model, x, y, classNames, "plotMistakes")
    wrong = np.flatnonzero(predicted != truth)
    if len(wrong) == 0:
        figure, ax = figures.newAxes(figsize or (4, 1.5))
        ax.text(0.5, 0.5, f"no mistakes on {len(truth)} samples", ha="center", va="center")
        ax.axis("off")
        return figures.finish(figure, save)
    confidence = probabilities[wrong, predicted[wrong]]
    surest = np.argsort(-confidence, kind="stable")[:count]
    # Whole percents rounded down: a 99.6% mistake must not read "100%".
    captions = [f"true {names[truth[i]]}\npred {names[predicted[i]]} ({math.floor(100 * p)}%)"
                for i, p in zip(wrong[surest], confidence[surest])]
    title = f"{len(surest)} of {len(wrong)} mistakes on {len(truth)} samples, surest first"
    return plotImages(np.asarray(x)[wrong[surest]], labels=captions, save=save, valueRange=valueRange, title=title,
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
    figure, ax = figures.newAxes(figsize)
    from matplotlib.colors import ListedColormap   # after newAxes, which names the install command

    ax.imshow(predicted.reshape(resolution, resolution), origin="lower", extent=(low[0], high[0], low[1], high[1]),
              cmap=ListedColormap(colors), vmin=-0.5, vmax=classes - 0.5, alpha=0.3, aspect="auto",
              interpolation="nearest")
    for index in np.unique(truth):   # one scatter per class present in y
        members = truth == index
        ax.scatter(x[members, 0], x[members, 1], s=14, color=colors[index], edgecolors="black", linewidths=0.4,
                   label=names[index])
    ax.legend(fontsize="small", loc="best")
    ax.set(xlabel="x[:, 0]", ylabel="x[:, 1]",
           title="predicted class (background) and data" if title is None else title)
    return figures.finish(figure, save)
