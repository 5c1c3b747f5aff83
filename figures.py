"""Figures: the floor that every plotting module stands on (needs matplotlib: ``pip install "deepbasics[plot]"``).

matplotlib is imported on first use (:func:`pyplot`), so that training,
saving and loading never need it. Every figure is made by :func:`newFigure`:
``figsize`` inches at ``DPI`` dots per inch, so ``figsize=(6, 4)`` becomes a
600 x 400 pixel PNG, and closed in pyplot at once, so that drawing hundreds
of them (``LivePlot`` does) keeps no memory and a notebook shows each one
only where it is asked to. Nothing here needs a display: matplotlib falls
back to its Agg backend on a headless machine.

:func:`saveFigure` writes any figure atomically (through
``files.writeAtomically``); :func:`inNotebook` and :func:`showInNotebook`
show a figure under a Jupyter cell, and replace it in place.

>>> figure, axes = newFigure((3, 2), rows=1, columns=2)
>>> axes.shape, figure.get_size_inches().tolist()
((1, 2), [3.0, 2.0])
"""

import io
import math
import os
import sys

from files import writeAtomically

DPI = 100


def pyplot():
    """``matplotlib.pyplot``, imported on first use; ``ImportError`` naming the install command without it."""
    try:
        import matplotlib.pyplot as pyplot
    except ImportError as error:
        raise ImportError('plots need matplotlib; install it with: pip install "deepbasics[plot]"') from error
    return pyplot


def newFigure(figsize, rows=1, columns=1, **keywords):
    """A new figure of ``figsize`` inches with a grid of axes, detached from pyplot.

    Parameters
    ----------
    figsize : (float, float)
        Width and height in inches, rounded to whole pixels at ``DPI``.
    rows, columns : int, default 1
    **keywords
        Passed to ``pyplot.subplots`` (``sharex=True``, ...).

    Returns
    -------
    figure : matplotlib.figure.Figure
    axes : numpy.ndarray of Axes, shape (rows, columns)
        Always 2-D, even for one axes.
    """
    plt = pyplot()
    # Whole pixels: 3 * 1.2 inches is 359.99999... pixels, which matplotlib 3.10 cuts to 359, 3.11 rounds to 360.
    figsize = tuple(round(inches * DPI) / DPI for inches in figsize)
    figure, axes = plt.subplots(rows, columns, figsize=figsize, dpi=DPI, squeeze=False, layout="constrained",
                                **keywords)
    # Closed in pyplot: pyplot keeps no reference, and a notebook does not show it again at the end of the cell.
    plt.close(figure)
    return figure, axes


def newAxes(figsize):
    """A new figure of ``figsize`` inches holding one axes, detached from pyplot: ``(figure, ax)``."""
    figure, axes = newFigure(figsize)
    return figure, axes[0, 0]


def titleSize(figure, title, largest=12.0):
    """The font size, at most ``largest`` points, at which ``title`` fits the figure's width.

    A character of matplotlib's default font is about 0.6 of the font size
    wide; constrained layout cuts a longer title at the figure's edges.
    """
    return min(largest, 72 * figure.get_figwidth() / (0.6 * max(len(title), 1)))


def imageGrid(count, rows=None, columns=None, tile=(1.2, 1.2), margin=(0.0, 0.0), figsize=None):
    """A figure of ``count`` image tiles in a grid, without ticks or spare cells.

    Parameters
    ----------
    count : int
    rows, columns : int, optional
        Given ``rows``, as many columns as it takes; else ``columns`` per
        row (default about square, ``ceil(sqrt(count))``), as many rows as it takes.
    tile, margin : (float, float)
        Inches per tile, and inches added for a colour bar or a title, when ``figsize`` is not given.
    figsize : (float, float), optional

    Returns
    -------
    figure : matplotlib.figure.Figure
    tiles : list of ``count`` Axes, in reading order
    """
    if rows is None:
        columns = columns or math.ceil(math.sqrt(count))
        rows = math.ceil(count / columns)
    else:
        columns = math.ceil(count / rows)
    figure, axes = newFigure(figsize or (tile[0] * columns + margin[0], tile[1] * rows + margin[1]), rows, columns,
                             subplot_kw={"xticks": [], "yticks": []})
    for ax in axes.ravel()[count:]:
        figure.delaxes(ax)
    return figure, list(axes.ravel()[:count])


def finish(figure, save=None):
    """Write ``figure`` to ``save`` when one is given, and return the figure (every plot's last line)."""
    if save is not None:
        saveFigure(figure, save)
    return figure


def saveFigure(figure, save):
    """Write any matplotlib ``figure`` to the path ``save``, atomically, at ``DPI``; return the path.

    The format follows the suffix (PNG without one). An interrupted run
    never leaves half a picture: ``files.writeAtomically`` renames the
    finished file into place. Every ``save=`` of the plotting modules comes
    here; examples drawing figures of their own use it too.

    Raises
    ------
    ValueError
        For a suffix matplotlib cannot write, naming the formats it can.
    FileNotFoundError
        When the folder does not exist, naming it.
    """
    fileFormat = os.path.splitext(os.fspath(save))[1][1:].lower() or "png"
    known = figure.canvas.get_supported_filetypes()
    if fileFormat not in known:
        raise ValueError(f"save: cannot write {fileFormat!r} files ({os.fspath(save)!r}); "
                         f"use one of {', '.join(sorted(known))}")
    return writeAtomically(save, lambda file: figure.savefig(file, format=fileFormat, dpi=DPI))


def inNotebook():
    """True inside a Jupyter kernel (JupyterLab, VS Code, Colab), where a figure can be replaced in place."""
    IPython = sys.modules.get("IPython")   # a kernel has imported it already; importing it here takes a second
    if IPython is None:
        return False
    return any(kind.__name__ == "ZMQInteractiveShell" for kind in type(IPython.get_ipython()).__mro__)


def showInNotebook(figure, handle=None):
    """Show ``figure`` as a PNG under the running cell, or in place of the picture behind ``handle``.

    The PNG is drawn here rather than left to matplotlib's notebook
    backend, so the picture appears whichever backend is active (with
    ``MPLBACKEND=Agg`` a notebook would show only ``<Figure size ...>``).

    Returns
    -------
    IPython.display.DisplayHandle
        Pass it back to replace this picture with the next one.
    """
    from IPython.display import Image, display

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    image = Image(data=buffer.getvalue(), format="png")
    if handle is None:
        return display(image, display_id=True)
    handle.update(image)
    return handle
