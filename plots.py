"""Plots: see learning happen (needs matplotlib: ``pip install "deepbasics[plot]"``).

This module is the one to import: it gathers every plot of deepbasics,
which live in four modules, one concept each.

=========================  =============================================================================
module                     holds
=========================  =============================================================================
``figures.py``             the floor: matplotlib imported on first use, ``newFigure``, ``saveFigure``,
                           showing and replacing a figure in a notebook
``historyplots.py``        ``plotHistory`` and ``LivePlot``: loss and accuracy per epoch
``networkplots.py``        ``plotNetwork``, ``plotWeights``, ``plotActivation``, ``plotActivations``, ``plotBackprop``
``imageplots.py``          ``plotImages``, ``plotConfusion``, ``plotMistakes``, ``plotDecisionBoundary``
=========================  =============================================================================

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
``plotBackprop(explain(model, x, y, loss))``        activations in the neurons, dL/dW on the edges
``saveFigure(figure, path)``                        any figure written atomically
==================================================  ==========================================

>>> from activations import Tanh
>>> figure = plotActivation(Tanh())
>>> figure.axes[0].get_legend_handles_labels()[1]
['Tanh()', "derivative f'(z)"]
"""

from figures import DPI, saveFigure
from historyplots import LivePlot, plotHistory
from imageplots import plotConfusion, plotDecisionBoundary, plotImages, plotMistakes
from networkplots import (HIDDEN_COLOR, INPUT_COLOR, OUTPUT_COLOR, plotActivation, plotActivations, plotBackprop,
                          plotNetwork, plotWeights)

__all__ = ["DPI", "saveFigure", "LivePlot", "plotHistory", "plotConfusion", "plotDecisionBoundary", "plotImages",
           "plotMistakes", "HIDDEN_COLOR", "INPUT_COLOR", "OUTPUT_COLOR", "plotActivation", "plotActivations",
           "plotNetwork", "plotWeights", "plotBackprop"]
