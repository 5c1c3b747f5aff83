"""History plots: loss and accuracy per epoch, drawn once (:func:`plotHistory`) or live (:class:`LivePlot`).

>>> figure = plotHistory({"train_loss": [0.9, 0.5], "test_loss": [0.8, 0.6], "test_accuracy": [0.7, 0.8]})
>>> [ax.get_title() for ax in figure.axes]
['loss', 'accuracy']
"""

import numpy as np

import figures
from callbacks import Callback
from checks import checkInteger


def _curves(history):
    """{name: values (epochs,)} of every recorded metric, after checking each can be drawn."""
    if not isinstance(history, dict):
        raise TypeError(f"plotHistory: history must be the dict that train returns, got {type(history).__name__}")
    curves = {name: np.asarray(values, dtype=float) for name, values in history.items() if len(values)}
    if not curves:
        raise ValueError(f"plotHistory: history {history!r} holds no epochs; train for at least one epoch "
                         f"with metrics=[...]")
    for name, values in curves.items():
        if values.ndim != 1:
            raise ValueError(f"plotHistory: history[{name!r}] must be a list of floats, got shape {values.shape}")
        if not np.isfinite(values).any():
            raise ValueError(f"plotHistory: history[{name!r}] is nan or infinite in every one of its {len(values)} "
                             f"epochs: there is nothing to draw; leave it out of the history")
    return curves


def plotHistory(history, monitor=None, earlyStopping=None, figsize=None, save=None):
    """Loss and accuracy per epoch: one panel each, one line per train/test metric.

    Epochs are numbered from 1 on the x axis, as ``train`` prints them
    (``Epoch 1/10``). A series keeps its colour in every panel: ``train``
    blue, ``test`` orange. The best epoch of ``monitor`` is marked by a
    dotted vertical line on every panel and a star on the monitored curve.

    Parameters
    ----------
    history : dict
        What ``MLP.train`` returns: metric name -> list of one float per
        epoch. Names are grouped into panels by their last word (``loss``,
        ``accuracy``, ...); the first word (``train``, ``test``) labels the line.
        A metric must be finite in at least one epoch.
    monitor : str, optional
        The metric whose best epoch is marked (lowest loss, highest
        accuracy). Default: the EarlyStopping's monitor when one is given,
        else ``test_loss`` when recorded, else ``train_loss``, else nothing.
    earlyStopping : callbacks.EarlyStopping, optional
        The callback that was passed to ``train`` (Keras users would look
        here for it). Its ``best_epoch`` is marked as *restored* when it has
        ``restore_best_weights`` and that epoch is not the last one, and the
        epoch where it stopped (``stopped_epoch``) is marked *stopped*. The
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
    curves = _curves(history)
    if earlyStopping is not None and monitor is None:
        monitor = earlyStopping.monitor
    if monitor is None:
        monitor = next((name for name in ("test_loss", "train_loss") if name in curves), None)
    elif monitor not in curves:
        raise ValueError(f"plotHistory: monitor {monitor!r} is not in the history {sorted(history)}")

    groups = {}
    for name in curves:
        groups.setdefault(name.rsplit("_", 1)[-1], []).append(name)
    # One colour per series in every panel: "test" stays orange in a panel without "train".
    series = list(dict.fromkeys(["train", "test"] + [name.rsplit("_", 1)[0] for name in curves]))
    # Loss first, accuracy second, anything else after, as Keras users are used to.
    order = sorted(groups, key=lambda group: {"loss": 0, "accuracy": 1}.get(group, 2))
    figure, axes = figures.newFigure(figsize or (5 * len(order), 4), 1, len(order))
    if monitor is not None:
        # 0-based: the lowest loss, the highest accuracy (as EarlyStopping judges).
        best = int(np.nanargmax(curves[monitor]) if monitor.endswith("accuracy") else np.nanargmin(curves[monitor]))
        restored = None
        if earlyStopping is not None and earlyStopping.restore_best_weights and earlyStopping.best_epoch is not None \
                and earlyStopping.best_epoch < len(curves[monitor]) - 1:
            restored = earlyStopping.best_epoch
        bestLabel = f"best {monitor}{', restored' if restored == best else ''} (epoch {best + 1})"
    for group, ax in zip(order, axes[0]):
        for name in groups[group]:
            label = name.rsplit("_", 1)[0]
            ax.plot(np.arange(1, len(curves[name]) + 1), curves[name], marker="o", markersize=3, label=label,
                    color=f"C{series.index(label) % 10}")
        ax.set(xlabel="epoch", ylabel=group, title=group)
        ax.grid(alpha=0.3)
        # Epochs are whole numbers: never label 1.5.
        ax.xaxis.get_major_locator().set_params(integer=True)
        if monitor is not None:
            ax.axvline(best + 1, color="black", linestyle=":", linewidth=1, label=bestLabel)
            if restored is not None and restored != best:
                ax.axvline(restored + 1, color="tab:purple", linestyle="--", linewidth=1,
                           label=f"restored by EarlyStopping (epoch {restored + 1})")
            if earlyStopping is not None and earlyStopping.stopped_epoch is not None:
                ax.axvline(earlyStopping.stopped_epoch + 1, color="tab:red", linestyle="-.", linewidth=1,
                           label=f"stopped (epoch {earlyStopping.stopped_epoch + 1})")
            if group == monitor.rsplit("_", 1)[-1]:
                ax.plot([best + 1], [curves[monitor][best]], marker="*", markersize=14, color="black",
                        linestyle="none", label="_best", clip_on=False)
        ax.legend(fontsize="small")
    return figures.finish(figure, save)


class LivePlot(Callback):
    """Redraw :func:`plotHistory` after every epoch while ``train`` runs.

    In a Jupyter notebook (JupyterLab, VS Code, Colab) one picture under the
    cell is replaced in place after every epoch, whatever matplotlib
    backend is active; elsewhere (a script, a terminal) the PNG file
    ``save`` is rewritten, so an image viewer that reloads it shows
    training live.

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
        figures.pyplot()   # fail now, not after the first epoch, when matplotlib is missing
        self.notebook = figures.inNotebook()
        self.save = save if save is not None or self.notebook else "training.png"
        self.monitor, self.earlyStopping, self.every, self.figsize = monitor, earlyStopping, every, figsize
        self.history, self.figure, self._display, self._drawnEpochs = {}, None, None, 0

    def on_train_begin(self, model):
        # A new run gets a new picture (under the cell that called train, in a notebook).
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
        known = stopper if stopper is not None and (final or stopper.stopped_epoch is not None) else None
        monitor = self.monitor if self.monitor is not None or stopper is None else stopper.monitor
        self.figure = plotHistory(self.history, monitor=monitor, earlyStopping=known, figsize=self.figsize,
                                  save=self.save)
        self._drawnEpochs = max(len(values) for values in self.history.values())
        if self.notebook:
            self._display = figures.showInNotebook(self.figure, self._display)

    def __repr__(self):
        return f"LivePlot(save={self.save!r}, monitor={self.monitor!r}, every={self.every})"
