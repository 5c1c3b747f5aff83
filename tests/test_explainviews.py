"""explainviews: the chapter's notation typeset in LaTeX, numbers rounded alike, and every formula it writes valid."""

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from activations import Activation, ReLU, Sigmoid, Softmax, Tanh
from conftest import ROOT
from explain import explain
from explainviews import compact, formatted, latex, number, prose
from layers import Dense
from loss import CrossEntropy, MSE
from nn import MLP
from optimizer import SGD, Adam

MATHJAX = ROOT / "docs" / "node_modules" / "mathjax"


@pytest.mark.parametrize("notation, typeset", [
    ("z^1 = W^1 a^0 + b^1", "z^{1} = W^{1} a^{0} + b^{1}"),
    ("dL/dW^2 = δ^2 (a^1)ᵀ", r"\frac{\partial L}{\partial W^{2}} = \delta^{2} (a^{1})^\top"),
    ("dL/da^(l-1) = (W^l)ᵀ δ^l", r"\frac{\partial L}{\partial a^{l-1}} = (W^{l})^\top \delta^{l}"),
    ("δ^2 = σ'(z^2) ⊙ dL/da^2", r"\delta^{2} = \sigma'(z^{2}) \odot \frac{\partial L}{\partial a^{2}}"),
    ("J^2 = diag(a^2) - a^2 (a^2)ᵀ", r"J^{2} = \operatorname{diag}(a^{2}) - a^{2} (a^{2})^\top"),
    ("1/n [(1 - y)/(1 - p) - y/p]", r"\frac{1}{n} [\frac{1 - y}{1 - p} - \frac{y}{p}]"),
    ("m / (1 - β1^3)", r"m / (1 - \beta_1^{3})"),                          # spaced: a slash as written
    ("ΔW^1 = -α m\u0302 / (√v\u0302 + ε)", r"\Delta W^{1} = -\alpha \hat m / (\sqrt{\hat v} + \varepsilon)"),
    ("v = β2 v + (1 - β2) g²", r"v = \beta_2 v + (1 - \beta_2) g^2"),
    ("σ(z) = max(εz, z)", r"\sigma(z) = \max(\varepsilon z, z)"),
    ("1 if z^1 > 0 else 0", r"1\text{ if }z^{1} > 0\text{ else }0"),
    ("W^1 new", r"W^{1}\text{ new}"),
    ("Adam.step(W^1, dL/dW^1)", r"\text{Adam.step}(W^{1}, \frac{\partial L}{\partial W^{1}})"),
    ("ε = 1e-08,  eps = 2.22e-16", r"\varepsilon = 10^{-8},\quad \varepsilon = 2.22 \cdot 10^{-16}"),
    ("L_12 = e^(z_i)", r"L_{12} = e^{z_i}"),
])
def test_the_chapters_notation_is_typeset(notation, typeset):
    assert latex(notation) == typeset


def test_prose_drops_the_marks_for_a_terminal_and_typesets_only_the_formulas():
    text, markdown = prose("`Swish` is yours: $σ'(z^1) ⊙ dL/da^1$ is measured, max 2 if diag")
    assert text == "Swish is yours: σ'(z^1) ⊙ dL/da^1 is measured, max 2 if diag"
    assert markdown == (r"`Swish` is yours: $\sigma'(z^{1}) \odot \frac{\partial L}{\partial a^{1}}$ is measured, "
                        "max 2 if diag")


def test_the_numbers_of_an_array_are_rounded_alike():
    assert formatted([0.5, -12.25, 3.0], 2) == ["0.50", "-12.25", "3.00"]
    assert formatted([0.001, 0.0002], 3) == ["1.00e-03", "2.00e-04"]          # all small: scientific
    assert formatted([123456.0, 1.0], 2) == ["1.2e+05", "1.0e+00"]            # one large: the whole array
    assert formatted([np.nan, np.inf, 0.5], 2) == ["nan", "inf", "0.50"]
    assert number(1 / 3) == "0.3333" and number(-2e-9, 3) == "-2.00e-09"
    assert compact(1.0) == "1" and compact(0.0) == "0" and compact(0.25) == "0.2500"
    # A dead ReLU's delta is 0 times a negative gradient, -0.0: shown as 0, while a tiny negative keeps its sign.
    assert formatted([-0.0, 0.5, -1e-7], 3) == ["0.000", "0.500", "-0.000"] and number(-0.0) == "0.0000"


class Swish(Activation):
    def forward(self, z):
        self.z = z
        return z / (1 + np.exp(-z))

    def backward(self, a, gradient):
        return gradient / (1 + np.exp(-self.z))   # the product rule forgotten


class Cubed(MSE):
    def __call__(self, yPred, y):
        return float(np.sum(np.abs(yPred - y) ** 3)) / len(np.atleast_2d(yPred))

    def gradient(self, yPred, y):
        return 3 * (yPred - y) * np.abs(yPred - y) / len(np.atleast_2d(yPred))


class Signed(SGD):
    def step(self, parameter, gradient, state):
        parameter -= self.learningRate * np.sign(gradient)


def explanations():
    """Explanations that between them write every kind of line, note and heading."""
    rng = np.random.default_rng(0)

    def network(hidden, output, optimizer=None, sizes=(3, 4, 2)):
        model = MLP(dtype=np.float64)
        for seed, (inputDim, outputDim) in enumerate(zip(sizes, sizes[1:])):
            model.addLayer(Dense(inputDim, outputDim, activation=[hidden, output][seed], optimizer=optimizer,
                                 seed=seed))
        return model
    frozen = network(Tanh(), Sigmoid(), SGD(learningRate=0.1, momentum=0.9))
    frozen.layers[0].trainable = False
    x, y = rng.normal(size=(3, 3)), np.eye(2)[[0, 1, 0]]
    return [explain(network(Sigmoid(), Sigmoid()), [0.5, -1.0, 2.0], [1.0, 0.0], CrossEntropy()),
            explain(network(ReLU(), Softmax(), Adam(learningRate=1e-4, epsilon=1e-7)), x, y, CrossEntropy(), sample=2),
            explain(network(Swish(), Sigmoid()), x, y, MSE()),
            explain(network(Tanh(), Sigmoid(), Signed(learningRate=0.1)), x, y, Cubed()),
            explain(frozen, x, y, MSE()),
            explain(network(ReLU(), Softmax(), sizes=(30, 12, 11)), rng.random((2, 30)) * 1e-4, np.eye(11)[[3, 7]],
                    CrossEntropy())]


TYPESET = """
const formulas = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
require(process.argv[3]).init({loader: {load: ['input/tex-base', '[tex]/ams']},
                               tex: {packages: ['base', 'ams'], formatError: (jax, error) => { throw error; }}})
  .then((MathJax) => {
    const failed = [];
    for (const formula of formulas) {
      try { MathJax.tex2mml(formula, {display: true}); } catch (error) { failed.push(error.message + ': ' + formula); }
    }
    console.log(JSON.stringify(failed));
  });
"""


def mathjaxRefuses(formulas, folder):
    """The formulas MathJax (the documentation site's) cannot read, each with its message."""
    node = shutil.which("node")
    if node is None or not MATHJAX.is_dir():
        pytest.skip("needs node and MathJax: npm ci --prefix docs")
    (folder / "formulas.json").write_text(json.dumps(sorted(formulas)), encoding="utf-8")
    (folder / "typeset.js").write_text(TYPESET, encoding="utf-8")
    result = subprocess.run([node, str(folder / "typeset.js"), str(folder / "formulas.json"), str(MATHJAX)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_mathjax_refuses_a_broken_formula(tmp_path):
    """The check below can fail."""
    assert [message.split(":")[0] for message in mathjaxRefuses([r"\frac{1", r"\nosuchmacro x", "x^{2}"], tmp_path)] \
        == ["Missing close brace", "Undefined control sequence \\nosuchmacro"]


def test_every_formula_of_the_markdown_and_the_latex_typesets_in_mathjax(tmp_path):
    formulas = set()
    for explanation in explanations():
        for full in (False, True):
            formulas.update(re.findall(r"\$([^$]+)\$", explanation.toMarkdown(full=full)))
            document = explanation.toLatex(full=full)
            aligned = r"\\begin\{align\*\}.*?\\end\{align\*\}"
            formulas.update(re.findall(aligned, document, re.DOTALL))
            formulas.update(re.findall(r"\\\[(.*?)\\\]", document))
            formulas.update(re.findall(r"\$([^$]+)\$", re.sub(aligned, "", document, flags=re.DOTALL)))
    assert len(formulas) > 300
    assert mathjaxRefuses(formulas, tmp_path) == []
