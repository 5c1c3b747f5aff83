import copy
import os
import pickle
import signal
import sys

import numpy as np
import pytest

from activations import Identity, ReLU, Softmax
from dataset import Dataset
from helpers import blobs, classifier, fourModels
from layers import Dense
from loss import MSE, CrossEntropy
from nn import MLP
from optimizer import SGD, Adam

ALL_METRICS = ["train_loss", "test_loss", "train_accuracy", "test_accuracy"]


def test_training_learns_and_returns_one_value_per_epoch_and_metric():
    model = classifier()
    history = model.train(blobs(), loss=CrossEntropy(), epochs=5, metrics=ALL_METRICS, verbose=False)
    assert set(history) == set(ALL_METRICS)
    assert all(len(values) == 5 and all(isinstance(v, float) for v in values) for values in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["test_accuracy"][-1] > 0.95


def test_metrics_agree_with_evaluate():
    model = classifier()
    data = blobs()
    history = model.train(data, loss=CrossEntropy(), epochs=2, metrics=["test_loss", "test_accuracy"], verbose=False)
    result = model.evaluate(data.x_test, data.y_test, CrossEntropy())
    assert history["test_loss"][-1] == pytest.approx(result["loss"], rel=1e-6)
    assert history["test_accuracy"][-1] == result["accuracy"]
    # accuracy is the share of matching arg-maxes
    expected = np.mean(model.predict(data.x_test).argmax(1) == data.y_test.argmax(1))
    assert result["accuracy"] == pytest.approx(expected)


def test_accuracy_is_defined_with_mse_too():
    model = MLP()
    model.addLayer(Dense(4, 3, activation=Identity(), optimizer=SGD(0.05), seed=0))
    history = model.train(blobs(), loss=MSE(), epochs=10, metrics=["test_accuracy"], verbose=False)
    assert history["test_accuracy"][-1] > 0.9 and type(history["test_accuracy"][-1]) is float


def test_an_unknown_metric_fails_before_any_work():
    model = classifier()
    before = model.getWeights()
    called = []
    with pytest.raises(ValueError, match=r"unknown metric\(s\) \['accuracy'\]; known metrics: \['train_loss'"):
        model.train(blobs(), loss=CrossEntropy(), epochs=1, metrics=["train_loss", "accuracy"],
                    callbacks={"on_train_begin": lambda m: called.append(1)})
    assert not called
    for a, b in zip(before, model.getWeights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("arguments, error, message", [
    ({"epochs": 0}, ValueError, "epochs must be a positive integer, got 0"),
    ({"epochs": 2.5}, TypeError, "epochs must be a positive integer, got float 2.5"),
    ({"loss": "CrossEntropy"}, TypeError, "loss must be a Loss such as CrossEntropy()"),
    ({"metrics": "test_loss"}, TypeError, "metrics must be a list of names"),
    ({"callbacks": {"on_step": print}}, ValueError, "unknown event 'on_step'"),
    ({"callbacks": {"on_epoch_end": 3}}, TypeError, "3 is not callable"),
])
def test_bad_training_arguments_are_refused(arguments, error, message):
    settings = {"loss": CrossEntropy(), "epochs": 1, **arguments}
    with pytest.raises(error, match=message):
        classifier().train(blobs(), verbose=False, **settings)


def test_dataset_must_fit_the_network():
    data = Dataset(x_train=np.zeros((10, 5)), y_train=np.zeros((10, 3)), batch_size=5)
    with pytest.raises(ValueError, match=r"dataset.x_train has shape \(10, 5\), but the network needs 4 columns"):
        classifier().train(data, loss=CrossEntropy(), epochs=1)
    data = Dataset(x_train=np.zeros((10, 4)), y_train=np.zeros((10, 3)), batch_size=5)
    with pytest.raises(ValueError, match="need a test set, but the dataset has none"):
        classifier().train(data, loss=CrossEntropy(), epochs=1, metrics=["test_loss"])


def test_verbose_prints_one_line_per_epoch_with_time_and_metrics(capsys):
    classifier().train(blobs(), loss=CrossEntropy(), epochs=2, metrics=["train_loss", "test_accuracy"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("Epoch 2/2 - ") and "s - train_loss: " in lines[1] and " - test_accuracy: " in lines[1]


def test_an_epoch_line_warns_once_when_most_relu_units_are_dead(capsys):
    model = classifier(optimizer=SGD(learningRate=0.0))
    model.layers[0].b[:6] = -100.0   # 6 of the 8 first-layer units can never fire
    model.train(blobs(), loss=CrossEntropy(), epochs=3, metrics=["train_loss"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert "WARNING: layer 0 (ReLU): 6 of 8 units (75%)" in lines[0] and "lower learning rate" in lines[0]
    assert not any("WARNING" in line for line in lines[1:])
    healthy = classifier()
    healthy.train(blobs(), loss=CrossEntropy(), epochs=1, metrics=["train_loss"])
    assert "WARNING" not in capsys.readouterr().out


def test_progress_bar_on_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    classifier().train(blobs(), loss=CrossEntropy(), epochs=1, metrics=["train_loss"])
    out = capsys.readouterr().out
    assert "\r[" in out and "10/10 - loss: " in out and "Epoch 1/1 - " in out


def test_divergence_raises_and_restores_the_last_finite_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)) * 10
    data = Dataset(x_train=x, y_train=x @ rng.normal(size=(4, 2)) * 100, batch_size=8, shuffle=False)
    model = MLP()
    model.addLayer(Dense(4, 2, activation=Identity(), optimizer=SGD(learningRate=10.0), seed=0))
    seen = []
    with pytest.raises(FloatingPointError, match="training diverged.*try a lower learning rate"):
        model.train(data, loss=MSE(), epochs=50, verbose=False,
                    callbacks={"on_batch_end": lambda m, batch, logs: seen.append(m.getWeights())})
    assert len(seen) >= 2
    weights = model.getWeights()
    assert all(np.all(np.isfinite(w)) for w in weights)
    # the restored weights are those before the last update, which gave the last finite loss
    for restored, before in zip(weights, seen[-2]):
        np.testing.assert_array_equal(restored, before)
    assert np.isfinite(MSE()(model.predict(x[:8]), data.y_train[:8]))


def divergingModel(batches, learningRate):
    """A linear regression on data with huge targets, which SGD at ``learningRate`` blows up."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8 * batches, 4)) * 10
    data = Dataset(x_train=x, y_train=x @ rng.normal(size=(4, 2)) * 100, batch_size=8, shuffle=False)
    model = MLP()
    model.addLayer(Dense(4, 2, activation=Identity(), optimizer=SGD(learningRate=learningRate), seed=0))
    return model, data


@pytest.mark.parametrize("batches", [1, 3])
def test_divergence_on_the_first_batch_of_a_later_epoch_restores_finite_weights(batches):
    """With one batch per epoch, every batch is the first of its epoch."""
    model, data = divergingModel(batches, 1.0)
    seen = []
    with pytest.raises(FloatingPointError, match="training diverged"):
        model.train(data, loss=MSE(), epochs=200, verbose=False,
                    callbacks={"on_batch_end": lambda m, batch, logs: seen.append((batch, logs, m.getWeights()))})
    assert len(seen) >= 2
    weights = model.getWeights()
    assert all(np.all(np.isfinite(w)) for w in weights)
    for restored, before in zip(weights, seen[-2][2]):   # the weights before the last finite step
        np.testing.assert_array_equal(restored, before)
    assert np.isfinite(MSE()(model.predict(data.x_train), data.y_train))


@pytest.mark.parametrize("optimizer", [Adam(), SGD(learningRate=0.01, momentum=0.9)], ids=repr)
def test_after_divergence_the_model_trains_on_clean_data(optimizer):
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 4)), rng.random((16, 2))
    poisoned = x.copy()
    poisoned[9] = 1e20     # its loss overflows float32
    model = MLP()
    model.addLayer(Dense(4, 2, activation=Identity(), optimizer=optimizer, seed=0))
    with pytest.raises(FloatingPointError, match="training diverged"):
        model.train(Dataset(x_train=poisoned, y_train=y, batch_size=8, shuffle=False), MSE(), 1, verbose=False)
    history = model.train(Dataset(x_train=x, y_train=y, batch_size=8, shuffle=False), MSE(), 20,
                          metrics=["train_loss"], verbose=False)
    assert np.isfinite(history["train_loss"]).all() and history["train_loss"][-1] < history["train_loss"][0]


def test_metrics_must_be_a_list():
    with pytest.raises(TypeError, match="train: metrics must be a list of names, got None"):
        classifier().train(blobs(), loss=CrossEntropy(), epochs=1, metrics=None)


def test_divergence_on_the_very_first_batch_keeps_the_initial_weights():
    model, data = divergingModel(2, 1.0)
    initial = model.getWeights()
    model.layers[0].W[0, 0] = np.inf
    initial[0][0, 0] = np.inf
    with pytest.raises(FloatingPointError, match="training diverged"):
        model.train(data, loss=MSE(), epochs=1, verbose=False)
    for now, before in zip(model.getWeights(), initial):
        np.testing.assert_array_equal(now, before)


def test_ctrl_c_returns_the_history_of_finished_epochs(capsys):
    model = classifier()

    def interrupt(model, batch, logs):
        if len(history) and batch == 3:
            raise KeyboardInterrupt

    history = []
    ended = []
    result = model.train(blobs(), loss=CrossEntropy(), epochs=5, metrics=["test_accuracy"],
                         callbacks={"on_batch_end": interrupt,
                                    "on_epoch_end": lambda m, epoch, logs: history.append(epoch),
                                    "on_train_end": lambda m, h: ended.append(h)})
    assert result == {"test_accuracy": result["test_accuracy"]} and len(result["test_accuracy"]) == 1
    assert ended and ended[0] is result
    assert "interrupted" in capsys.readouterr().out
    assert np.all(np.isfinite(model.predict(np.ones((2, 4)))))  # still usable


@pytest.fixture
def ctrlC():
    """Ctrl-C as in an interactive Python: SIGINT raises KeyboardInterrupt (a background job may start with it
    ignored); ``ctrlC()`` presses it."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield lambda: signal.raise_signal(signal.SIGINT)
    signal.signal(signal.SIGINT, previous)


class InterruptingSGD(SGD):
    """SGD that calls ``press()`` before the parameter steps numbered ``presses``."""

    def __init__(self, press, *presses):
        super().__init__(learningRate=0.1)
        self.press, self.presses, self.steps = press, presses, 0

    def step(self, parameter, gradient, state):
        self.steps += 1
        if self.steps in self.presses:
            self.press()
        super().step(parameter, gradient, state)


def stepped(count):
    """The weights of ``classifier`` after ``count`` plain SGD steps on ``blobs``' first batches."""
    model = classifier(optimizer=SGD(learningRate=0.1))
    for x, y in list(blobs(shuffle=False))[:count]:
        model.backward(CrossEntropy().gradient(model.forward(x), y))
        model.update()
    return model.getWeights()


def test_ctrl_c_in_the_middle_of_an_update_stops_after_the_whole_step(ctrlC, capsys):
    # Four parameter arrays per step: the 14th array stepped is layer 0's b in step 4,
    # after layer 0's W has moved and before layer 1's parameters have.
    model = classifier(optimizer=InterruptingSGD(ctrlC, 14))
    history = model.train(blobs(shuffle=False), loss=CrossEntropy(), epochs=3, metrics=["train_loss"])
    assert history == {"train_loss": []}
    out = capsys.readouterr().out
    assert "interrupted after 4 step(s);" in out and "cut" not in out
    for now, expected in zip(model.getWeights(), stepped(4)):
        np.testing.assert_array_equal(now, expected)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_interrupts_at_once(ctrlC, capsys):
    model = classifier(optimizer=InterruptingSGD(ctrlC, 14, 15))
    model.train(blobs(shuffle=False), loss=CrossEntropy(), epochs=3)
    assert "interrupted after 3 step(s) (a second Ctrl-C cut the next step short" in capsys.readouterr().out
    weights, afterThree, afterFour = model.getWeights(), stepped(3), stepped(4)
    np.testing.assert_array_equal(weights[1], afterFour[1])   # layer 0's b had moved,
    np.testing.assert_array_equal(weights[2], afterThree[2])  # layer 1's W had not
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_in_a_batch_callback_stops_before_the_next_step(ctrlC):
    batches = []

    def onBatchEnd(model, batch, logs):
        batches.append(batch)
        if batch == 2:
            ctrlC()

    model = classifier(optimizer=SGD(learningRate=0.1))
    model.train(blobs(shuffle=False), loss=CrossEntropy(), epochs=3, verbose=False,
                callbacks={"on_batch_end": onBatchEnd})
    assert batches == [0, 1, 2]
    for now, expected in zip(model.getWeights(), stepped(3)):
        np.testing.assert_array_equal(now, expected)


def test_ctrl_c_while_a_callback_trains_another_model_stops_both(ctrlC):
    inner = classifier(optimizer=InterruptingSGD(ctrlC, 14))
    innerHistories = []

    def trainInner(model, epoch, logs):
        innerHistories.append(inner.train(blobs(shuffle=False), loss=CrossEntropy(), epochs=50,
                                          metrics=["train_loss"], verbose=False))

    outer = classifier()
    history = outer.train(blobs(), loss=CrossEntropy(), epochs=3, metrics=["train_loss"], verbose=False,
                          callbacks={"on_epoch_end": trainInner})
    assert innerHistories == [{"train_loss": []}]             # stopped after its 4th step
    assert len(history["train_loss"]) == 1                     # and the outer loop after its first epoch
    for now, expected in zip(inner.getWeights(), stepped(4)):
        np.testing.assert_array_equal(now, expected)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_while_a_callback_trains_another_model_says_it_cut_a_step_short(ctrlC, capsys):
    inner = classifier(optimizer=InterruptingSGD(ctrlC, 14, 15))
    outer = classifier()
    outer.train(blobs(), loss=CrossEntropy(), epochs=3, verbose=False, callbacks={
        "on_epoch_end": lambda model, epoch, logs: inner.train(blobs(shuffle=False), loss=CrossEntropy(), epochs=5)})
    assert "interrupted after 3 step(s) (a second Ctrl-C cut the next step short" in capsys.readouterr().out


def test_callbacks_receive_the_documented_arguments_in_order():
    events = []
    model = classifier()
    data = blobs(n=80, batch_size=20)
    history = model.train(data, loss=CrossEntropy(), epochs=2, metrics=["test_loss"], verbose=False, callbacks={
        "on_train_begin": lambda m: events.append(("begin", m is model)),
        "on_batch_end": [lambda m, batch, logs: events.append(("batch", batch, sorted(logs)))],
        "on_epoch_end": lambda m, epoch, logs: events.append(("epoch", epoch, sorted(logs))),
        "on_train_end": lambda m, h: events.append(("end", h is not None)),
    })
    assert events[0] == ("begin", True)
    assert events[1:3] == [("batch", 0, ["train_loss"]), ("batch", 1, ["train_loss"])]
    assert events[3] == ("epoch", 0, ["test_loss", "train_loss"])
    assert events[-1] == ("end", True) and len(events) == 8
    assert len(history["test_loss"]) == 2


def test_on_epoch_begin_comes_before_the_epochs_batches_as_in_keras():
    events, data = [], blobs(n=80, batch_size=20)
    batches = [("batch", batch) for batch in range(len(data))]
    assert len(batches) >= 2
    classifier().train(data, loss=CrossEntropy(), epochs=2, verbose=False, callbacks={
        "on_epoch_begin": lambda m, epoch: events.append(("epoch begins", epoch)),
        "on_batch_end": lambda m, batch, logs: events.append(("batch", batch)),
        "on_epoch_end": lambda m, epoch, logs: events.append(("epoch ends", epoch))})
    assert events == [("epoch begins", 0), *batches, ("epoch ends", 0), ("epoch begins", 1), *batches, ("epoch ends", 1)]


def test_the_epoch_line_comes_before_what_a_callback_prints_about_that_epoch(capsys):
    classifier().train(blobs(), loss=CrossEntropy(), epochs=2, metrics=["train_loss"],
                       callbacks={"on_epoch_end": lambda m, epoch, logs: print(f"callback saw epoch {epoch}")})
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "callback saw epoch 0",
                                                        "Epoch 2/2", "callback saw epoch 1"]


def test_ctrl_c_on_a_terminal_clears_the_progress_bar_and_says_so_on_a_clean_line(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

    def interrupt(model, batch, logs):
        if batch == 5:
            raise KeyboardInterrupt

    classifier().train(blobs(), loss=CrossEntropy(), epochs=1, callbacks={"on_batch_end": interrupt})
    bar, message = capsys.readouterr().out.rsplit("\r", 1)
    assert "6/10 - loss: " in bar and "\n" not in bar and bar.endswith(" ")   # drawn, then blanked out
    assert message == ("Training interrupted after 6 step(s); returning the history of 0 finished epoch(s).\n")


def test_a_callback_stops_training_early():
    def stop(model, epoch, logs):
        if epoch == 1:
            model.stop_training = True

    history = classifier().train(blobs(), loss=CrossEntropy(), epochs=10, metrics=["train_loss"],
                                 callbacks={"on_epoch_end": stop}, verbose=False)
    assert len(history["train_loss"]) == 2


def test_training_again_continues_from_the_current_state():
    data = blobs(shuffle=False)
    once = classifier(dtype=np.float64)
    once.train(data, loss=CrossEntropy(), epochs=2, verbose=False)
    twice = classifier(dtype=np.float64)
    twice.train(data, loss=CrossEntropy(), epochs=1, verbose=False)
    twice.train(data, loss=CrossEntropy(), epochs=1, verbose=False)
    for a, b in zip(once.getWeights(), twice.getWeights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copy_trains_on_its_own_exactly_like_the_original(how):
    data = blobs(shuffle=False)
    model = classifier(dtype=np.float64)
    model.train(data, loss=CrossEntropy(), epochs=1, verbose=False)
    clone = copy.deepcopy(model) if how == "deepcopy" else pickle.loads(pickle.dumps(model))
    assert clone.layers[0].optimizer is clone.layers[1].optimizer is not model.layers[0].optimizer
    for trained in (model, clone):
        trained.train(data, loss=CrossEntropy(), epochs=1, verbose=False)
    for a, b in zip(model.getWeights(), clone.getWeights()):
        np.testing.assert_array_equal(a, b)  # same weights and the same Adam state, stepped alike
    clone.layers[0].W[...] = 0
    assert np.abs(model.layers[0].W).sum() > 0


@pytest.mark.slow
def test_trains_on_real_mnist(mnistDir):
    data = Dataset(name="mnist", train_size=6000, test_size=2000, batch_size=50, data_dir=mnistDir, seed=0)
    model = MLP()
    optimizer = Adam(learningRate=0.001)
    model.addLayer(Dense(inputDim=784, outputDim=100, activation=ReLU(), optimizer=optimizer, seed=0))
    model.addLayer(Dense(inputDim=100, outputDim=50, activation=ReLU(), optimizer=optimizer, seed=1))
    model.addLayer(Dense(inputDim=50, outputDim=10, activation=Softmax(), optimizer=optimizer, seed=2))
    history = model.train(data, loss=CrossEntropy(), epochs=3, metrics=ALL_METRICS, verbose=False)
    assert history["test_accuracy"][-1] > 0.9
    assert history["train_loss"][-1] < history["train_loss"][0]


@pytest.mark.parametrize("kind", ["MLP", "Autoencoder", "VAE", "GAN"])
def test_every_model_restored_after_divergence_saves_loads_and_trains_on(kind, tmp_path):
    model, data, loss = fourModels(learningRate=0.01)[kind]
    model.train(data, loss=loss, epochs=2, verbose=False)
    for layer in _layers(model):
        layer.optimizer.learningRate = 1e307         # absurd: the weights overflow within a few steps
    with pytest.raises(FloatingPointError, match="training diverged"), np.errstate(all="ignore"):
        model.train(data, loss=loss, epochs=50, verbose=False)
    assert all(np.isfinite(weight).all() for weight in model.getWeights())
    loaded = type(model).load(model.save(tmp_path / "restored"))      # no NaN moments were saved
    for layer in _layers(loaded):
        layer.optimizer.learningRate = 1e-3
    history = loaded.train(data, loss=loss, epochs=3, verbose=False)
    assert all(np.isfinite(weight).all() for weight in loaded.getWeights())
    assert all(np.isfinite(values).all() for values in history.values())


def _layers(model):
    """Every Dense of a model, however deep its parts go."""
    if hasattr(model, "layers"):
        return list(model.layers)
    return [layer for part in model.parts() for layer in _layers(part)]


def test_a_non_finite_test_figure_is_divergence_too():
    model = classifier(dtype=np.float64)
    data = blobs()
    data.x_test[0, 0] = np.inf            # the network stays finite on the training set; the test loss does not
    with pytest.raises(FloatingPointError, match=r"training diverged: .*'test_loss': nan.* after epoch 1"):
        with np.errstate(all="ignore"):
            model.train(data, loss=CrossEntropy(), epochs=3, metrics=["test_loss"], verbose=False)
    assert all(np.isfinite(w).all() for w in model.getWeights())


def test_the_loss_is_checked_and_clipped_once_per_step(monkeypatch):
    calls = []
    check = CrossEntropy._check
    monkeypatch.setattr(CrossEntropy, "_check", lambda self, *arrays: calls.append(1) or check(self, *arrays))
    data = blobs(n=80, batch_size=20)
    classifier().train(data, loss=CrossEntropy(), epochs=1, verbose=False)
    assert len(calls) == len(data)


def test_a_vae_takes_its_negative_elbo_and_nothing_else():
    model, data, _ = fourModels()["VAE"]
    assert model.train(data, loss=CrossEntropy(), epochs=1, verbose=False)["train_loss"]
    with pytest.raises(ValueError, match=r"VAE.train: the loss is the negative ELBO.*got MSE\(\)"):
        model.train(data, loss=MSE(), epochs=1)


def test_the_dead_unit_remark_names_the_network_of_a_model_made_of_several(capsys):
    model, data, loss = fourModels()["Autoencoder"]
    model.encoder.layers[0].b[:] = -100.0       # every encoder unit dead
    model.train(data, loss=loss, epochs=1)
    assert "WARNING: encoder: layer 0 (ReLU): 3 of 3 units (100%) never fire" in capsys.readouterr().out


def test_in_a_notebook_training_prints_one_line_per_epoch_and_no_progress_bar():
    """Jupyter's stdout is no terminal: the bar would add a line at every redraw, so only the epoch lines show."""
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source = ("import sys; sys.path[:0] = [{root!r}, {tests!r}]\n"
              "from helpers import blobs, classifier\nfrom loss import CrossEntropy\n"
              "classifier().train(blobs(n=400, batch_size=2), loss=CrossEntropy(), epochs=2, metrics=['train_loss'])"
              ).format(root=root, tests=os.path.join(root, "tests"))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    text = "".join(output.get("text", "") for output in notebook.cells[0].outputs if output.output_type == "stream")
    lines = text.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"Epoch {epoch}/2 - ") for epoch, line in zip((1, 2), lines))
    assert "\r" not in text and "[===" not in text


def test_a_callback_that_saves_at_the_end_of_a_diverged_run_saves_a_loadable_model(tmp_path):
    model, data, loss = fourModels()["VAE"]
    for layer in _layers(model):
        layer.optimizer.learningRate = 1e307
    saved = []
    with pytest.raises(FloatingPointError), np.errstate(all="ignore"):
        model.train(data, loss=loss, epochs=50, verbose=False,
                    callbacks={"on_train_end": lambda m, history: saved.append(m.save(tmp_path / "end"))})
    assert np.isfinite(np.concatenate([w.ravel() for w in type(model).load(saved[0]).getWeights()])).all()


def test_a_model_of_ones_own_is_told_what_it_lacks_before_any_work():
    from nn import Model

    class Unfinished(Model):
        inputDim = 4

        def parts(self):
            return []

    began = []
    with pytest.raises(NotImplementedError, match=r"Unfinished must define trainStep\(x, y, loss, metrics\)"):
        Unfinished().train(blobs(), loss=CrossEntropy(), callbacks={"on_train_begin": began.append})
    assert began == []
    with pytest.raises(ValueError, match=r"Wider.train: dataset.x_train has shape \(200, 4\), but the model "
                                         r"needs 5 columns"):
        type("Wider", (Unfinished,), {"inputDim": 5, "trainStep": lambda *a: {}})().train(blobs(), CrossEntropy())
