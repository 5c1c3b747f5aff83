"""How an explanation reads: printed in a terminal, or in the chapter's notation as Markdown and LaTeX.

:func:`explain.explain` works out one training step line by line; this
module writes the lines down. Each line is ``symbol = formula = value``,
written once in the chapter's notation as one types it
(``δ^2 = σ'(z^2) ⊙ dL/da^2``): a terminal shows it as it is, and
:func:`latex` typesets it for Jupyter and documents. Sentences mark their
formulas ``$...$`` and their code in backticks (:func:`prose`).

The numbers of one array are rounded alike, so that they align
(:func:`formatted`). An array with more than ``SHOWN`` rows or columns is
summarised, unless ``full``: its shape, norm, largest entry and first
entries (a vector) or top-left corner (a matrix).

>>> print(latex("δ^2 = σ'(z^2) ⊙ dL/da^2"))
\\delta^{2} = \\sigma'(z^{2}) \\odot \\frac{\\partial L}{\\partial a^{2}}
>>> text, markdown = prose("the update moves $θ$ against `dW`")
>>> print(text)
the update moves θ against dW
>>> print(markdown)
the update moves $\\theta$ against `dW`
>>> formatted([0.5, -1.25, 3.0], 2)
['0.50', '-1.25', '3.00']
"""

import re
import unicodedata

import numpy as np

SHOWN = 10     # an array with more rows or columns than this is summarised unless full=True
HEAD = 6       # entries shown of a summarised vector
CORNER = 4     # rows and columns shown of a summarised matrix
MARKS = {"agrees": "✓", "differs": "✗", "follows": "~", "not checked": "?", "given": " "}
LATEX_MARKS = {"agrees": r"\checkmark", "differs": r"\times\ \text{differs}", "follows": r"\sim",
               "not checked": "?", "given": ""}


# ================================================================ notation
# The chapter's symbols as typed here, and their LaTeX. Two spaces part two formulas on a line.
SYMBOLS = {"σ": r"\sigma", "δ": r"\delta", "α": r"\alpha", "η": r"\eta", "μ": r"\mu", "ε": r"\varepsilon",
           "θ": r"\theta", "Δ": r"\Delta", "Σ": r"\sum", "β1": r"\beta_1", "β2": r"\beta_2", "m\u0302": r"\hat m",
           "v\u0302": r"\hat v", "√v\u0302": r"\sqrt{\hat v}", "⊙": r"\odot", "←": r"\leftarrow", "ᵀ": r"^\top",
           "²": "^2", "…": r"\dots", "  ": r"\quad "}
FUNCTIONS = {"ln": r"\ln", "tanh": r"\tanh", "max": r"\max", "diag": r"\operatorname{diag}", "eps": r"\varepsilon"}
# A run of words of two letters or more (MSE, Adam.step, central differences of) is upright text; the
# spaces around it go inside, so that " if " keeps them.
_WORD = r"[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]"
_WORDS = re.compile(rf"( ?)(?<![\\\w])({_WORD}(?:[ :]+{_WORD})*)( ?)")
_SYMBOL = re.compile("|".join(re.escape(symbol) for symbol in sorted(SYMBOLS, key=len, reverse=True))
                     + r"|\b(?:" + "|".join(FUNCTIONS) + r")\b")


def latex(notation):
    """The chapter's notation as typed here, in LaTeX.

    ``dL/dW^2`` becomes a fraction of partials, ``^2`` and ``^(l-1)``
    superscripts, ``1/n`` and ``(1 - y)/(1 - p)`` fractions (``a / b``, with
    spaces, stays as written), the Greek letters and ``ᵀ ⊙ Σ √ ← ² ln tanh``
    their commands, ``1e-08`` a power of ten, two spaces a ``\\quad``, and
    words (``MSE``, ``if``, ``new``) upright text.

    >>> print(latex("dL/dW^2 = δ^2 (a^(2-1))ᵀ,  W^2 new = W^2 - η g"))
    \\frac{\\partial L}{\\partial W^{2}} = \\delta^{2} (a^{2-1})^\\top,\\quad W^{2}\\text{ new }= W^{2} - \\eta g
    """
    text = re.sub(r"dL/d([A-Za-z](?:\^\([^()]*\)|\^[^\W_]+|_[^\W_]+)?)", r"\\frac{\\partial L}{\\partial \1}", notation)
    # a/b with nothing around the slash is a fraction: 1/n, (1 - y)/(1 - p); a / b stays as written.
    text = re.sub(r"(?<![\w.])(\d+|[A-Za-z]|\(([^()]*)\))/(\d+[A-Za-z]?|[A-Za-z]|\(([^()]*)\))(?![\w.])",
                  lambda f: rf"\frac{{{f[2] or f[1]}}}{{{f[4] or f[3]}}}", text)
    text = _WORDS.sub(lambda word: word[0] if word[2] in FUNCTIONS else rf"\text{{{word[1]}{word[2]}{word[3]}}}", text)
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)e([-+]?\d+)\b", lambda power: _power(power[1], power[2]), text)
    text = re.sub(r"\^\(([^()]*)\)", r"^{\1}", text)
    text = re.sub(r"\^(-?[^\W_]+)", r"^{\1}", text)
    text = re.sub(r"_(\d\d+)", r"_{\1}", text)

    def command(match):   # a command ending in a letter keeps apart from a letter after it: \Delta W, not \DeltaW
        symbol = SYMBOLS.get(match[0]) or FUNCTIONS[match[0]]
        after = text[match.end():match.end() + 1]
        return symbol + (" " if symbol[-1].isalpha() and after.isalnum() else "")
    return _SYMBOL.sub(command, text)


def _power(mantissa, exponent):
    """``mantissa`` times ten to ``exponent`` in LaTeX; a mantissa of 1 goes without saying."""
    return ("" if mantissa == "1" else rf"{mantissa} \cdot ") + f"10^{{{int(exponent)}}}"


def prose(marked):
    """A sentence with its formulas marked ``$...$`` and its code in backticks: ``(text, markdown)``.

    The text drops the marks; the Markdown keeps the code and typesets each formula with :func:`latex`.
    """
    pieces = marked.split("$")
    markdown = "".join(f"${latex(piece)}$" if index % 2 else piece for index, piece in enumerate(pieces))
    return "".join(pieces).replace("`", ""), markdown


# ================================================================ numbers
def formatted(values, digits):
    """The numbers of one array as strings rounded alike, so that they align.

    Fixed point with ``digits`` decimals when the largest magnitude is
    between 0.01 and 100000, else scientific notation for the whole array.
    """
    values = np.asarray(values, dtype=np.float64).ravel() + 0.0   # + 0.0 turns -0.0 (0 times a negative) into 0.0
    finite = np.abs(values[np.isfinite(values)])
    largest = float(finite.max()) if finite.size else 0.0
    scientific = largest != 0.0 and not 1e-2 <= largest < 1e5
    pattern = f"{{:.{max(digits - 1, 1)}e}}" if scientific else f"{{:.{digits}f}}"
    return [pattern.format(value) for value in values]


def number(value, digits=4):
    """One number, rounded to ``digits`` decimals (scientific for very small or large)."""
    return formatted([value], digits)[0]


def compact(value):
    """A target as written by hand: ``1`` or ``0`` for whole numbers, else rounded like the rest."""
    return str(int(value)) if float(value).is_integer() else number(value)


def _index(where):
    """An index as a learner writes it: ``3`` or ``(2, 3)``."""
    where = tuple(int(i) for i in where)
    return str(where[0]) if len(where) == 1 else str(where)


def _summary(value, digits):
    norm, largest = float(np.linalg.norm(value)), float(np.max(np.abs(value)))
    where = np.unravel_index(int(np.argmax(np.abs(value))), value.shape)
    shape = f"{value.size} entries" if value.ndim == 1 else " × ".join(map(str, value.shape))
    return f"{shape}, norm {number(norm, digits)}, largest |entry| {number(largest, digits)} at {_index(where)}"


def _shown(value, perSample, sample):
    """What a line shows of ``value``: None, an int, a float, or a float64 array (its sample's row, if per sample)."""
    if value is None or isinstance(value, (int, np.integer)) or np.ndim(value) == 0:
        return value
    value = np.asarray(value, dtype=np.float64)
    return value[sample] if perSample else value


def _scalar(value, digits):
    """A value that is not an array, as shown: an int as it is, a number rounded, or "(not available)" for None."""
    if value is None:
        return "(not available)"
    return str(value) if isinstance(value, (int, np.integer)) else number(value, digits)


def _cut(array, full):
    """The part of a vector or matrix that is printed: all of it, or its first entries or top-left corner."""
    if full or max(array.shape) <= SHOWN:
        return array
    return array[:HEAD] if array.ndim == 1 else array[:CORNER, :CORNER]


# ================================================================ lines
def differenceMessage(line):
    """One sentence on a line where the numbers part: where, both values, and the code to look at."""
    if np.shape(line.model) != np.shape(line.reference) and np.size(line.model) != np.size(line.reference):
        return (f"{line.symbol}: {line.culprit} gives an array of shape {np.shape(line.model)}, the formula one of "
                f"shape {np.shape(line.reference)}. Look at {line.culprit}.")
    if line.where is None or np.ndim(line.value) == 0:
        where = ""
    elif line.perSample:
        where = f" for sample {int(line.where[0])}, entry {_index(line.where[1:])}"
    else:
        where = f" at {_index(line.where)}"

    def entry(value):
        value = np.asarray(value, dtype=np.float64)
        return float(value if value.ndim == 0 or line.where is None else value[line.where])
    return (f"{line.symbol}: {line.culprit} gives a different value{where}: {entry(line.model):.6g} in the model, "
            f"{entry(line.reference):.6g} from {line.culpritNote or 'the formula'} (relative difference "
            f"{line.error:.2e}). Look at {line.culprit}.")


def verdict(explanation):
    """The last sentence: every checked value agrees, or how many differ and where the numbers part first."""
    if explanation.passed:
        return f"All {len(explanation.checked)} checked values agree with the model."
    first = explanation.differences[0]
    return (f"{len(explanation.differences)} of {len(explanation.checked)} checked values differ; the numbers part "
            f"first at {first.symbol} ({first.key}): look at {first.culprit}.")


def _legend(explanation, sample):
    """What the marks mean, and for a batch which sample is shown: sentences marked as for :func:`prose`."""
    legend = ["Every value is computed here from the chapter's formulas and compared with the model's own:",
              f"✓ agrees, ✗ differs (relative difference above {explanation.tolerance:.2g}), "
              f"~ differs because a line above does, ? not checked."]
    if explanation.n > 1:
        legend.append(f"Values of each sample are shown for sample {sample} of 0 to {explanation.n - 1} "
                      f"(`sample=...`); gradients and the update are sums over the whole batch.")
    return legend


def _lossValue(line, sample, n, value):
    """The loss with its formula filled in: for a batch the mean, then the shown sample's own."""
    if n > 1:
        return f"1/{n} Σ_k L_k = {value};  sample {sample}: L_{sample} = {line.filled[sample]}"
    return line.filled[sample]


# ================================================================ text
def _width(text):
    """Columns ``text`` takes on a terminal: a combining accent (the hat of m̂) takes none."""
    return sum(not unicodedata.combining(character) for character in text)


def _label(line):
    return f"{line.symbol} = {line.formula}" if line.formula else line.symbol


def _textLines(value, perSample, sample, digits, full):
    """A value as printed: one line, or a matrix labelled by row and column (a header of column indices)."""
    value = _shown(value, perSample, sample)
    if np.ndim(value) == 0:
        return [_scalar(value, digits)]
    part = _cut(value, full)
    strings = np.array(formatted(part, digits), dtype=object).reshape(part.shape)
    if value.ndim == 1:
        width = max(len(string) for string in strings)
        text = "[" + " ".join(string.rjust(width + 1) for string in strings)
        return [text + " ]"] if part.size == value.size else [f"{text} … ]  ({_summary(value, digits)})"]
    rows, columns = value.shape
    width = max([len(string) for string in strings.ravel()] + [len(str(columns - 1))])
    rowWidth, more = len(str(rows - 1)), "  …" if part.shape[1] < columns else ""
    lines = [f"{_summary(value, digits)}; top-left corner:"] if part.shape != value.shape else []
    lines.append(" " * rowWidth + " " + " ".join(str(j).rjust(width + 1) for j in range(part.shape[1])) + more)
    lines += [str(i).rjust(rowWidth) + " " + " ".join(string.rjust(width + 1) for string in row) + more
              for i, row in enumerate(strings)]
    return lines + (["…".rjust(rowWidth)] if part.shape[0] < rows else [])


def asText(explanation, sample, full, digits):
    """The explanation for a terminal: aligned, rounded to ``digits`` decimals, matrices labelled."""
    title = explanation.title
    out = [title[0].upper() + title[1:]] + [prose(sentence)[0] for sentence in _legend(explanation, sample)]
    labelWidth = max(_width(_label(line)) for line in explanation.lines) + 2
    indent = " " * (3 + labelWidth)

    def hanging(head, values):   # the first line of a value after its label, the rest of it aligned below
        return [head + values[0]] + [indent + value for value in values[1:]]
    for block in explanation.blocks:
        kind = block[0]
        if kind == "section":
            out += ["", f"{block[1].upper()}   {block[2]}"]
        elif kind == "heading":
            out += ["", f"  {block[1]}"]
        elif kind == "note":
            out.append(f"     {block[1]}")
        else:
            line = block[1]
            values = _textLines(line.value, line.perSample, sample, digits, full)
            if line.filled:
                values = [_lossValue(line, sample, explanation.n, values[0])]
            label = _label(line) + " " * max(labelWidth - _width(_label(line)), 0)
            out += hanging(f"{MARKS[line.status]}  {label}", values)
            if line.status == "differs":
                out += hanging(f"   {'the model has'.ljust(labelWidth)}",
                               _textLines(line.model, line.perSample, sample, digits, full))
                out.append(f"   ✗ {differenceMessage(line)}")
            out += [f"     {text}" for text, _ in line.notes]
    return "\n".join(out + ["", verdict(explanation)])


# ================================================================ Markdown and LaTeX
def _latexValue(value, perSample, sample, digits, full):
    """A value in LaTeX: a number, or a column vector or matrix as the chapter writes ``a^l`` and ``W^l``."""
    value = _shown(value, perSample, sample)
    if value is None:
        return r"\text{(not available)}"
    if np.ndim(value) == 0:
        return latex(_scalar(value, digits))
    part = _cut(value, full)
    # 1.5\mathrm{e}{-5} in an array, narrower than a power of ten.
    entries = [re.sub(r"e([-+]\d+)$", lambda power: rf"\mathrm{{e}}{{{int(power[1])}}}", text)
               for text in formatted(part, digits)]
    entries = np.array(entries, dtype=object).reshape(part.shape)
    if value.ndim == 1:
        rows = list(entries) + ([r"\vdots"] if part.size < value.size else [])
    else:
        wide = part.shape[1] < value.shape[1]
        rows = [" & ".join(row) + (r" & \cdots" if wide else "") for row in entries]
        if part.shape[0] < value.shape[0]:
            rows.append(" & ".join([r"\vdots"] * part.shape[1]) + (r" & \ddots" if wide else ""))
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def _equation(line, sample, digits, full, n):
    """``symbol = formula = value`` of one line in LaTeX."""
    parts = [line.latexSymbol] + ([line.latexFormula] if line.latexFormula else [])
    if line.filled:
        return " = ".join(parts + [latex(_lossValue(line, sample, n, number(line.value, digits)))])
    return " = ".join(parts + [_latexValue(line.value, line.perSample, sample, digits, full)])


def _sizeNote(line, sample, digits, full):
    """For a summarised array: `` (its shape, norm and largest entry)``; else ""."""
    value = _shown(line.value, line.perSample, sample)
    if np.ndim(value) and _cut(value, full) is not value:
        return f" ({_summary(value, digits)})"
    return ""


def asMarkdown(explanation, sample, full, digits):
    """The explanation as Markdown with the formulas in LaTeX (``$...$``), for Jupyter or a document."""
    title = explanation.title
    legend = " ".join(prose(sentence)[1] for sentence in _legend(explanation, sample))
    out = [f"**{title[0].upper() + title[1:]}**", "", legend, ""]
    for block in explanation.blocks:
        kind = block[0]
        if kind == "section":
            out += [f"#### {block[1]}", "", block[3], ""]
        elif kind == "heading":
            out += [f"**{block[2].strip()}**", ""]
        elif kind == "note":
            out += [f"> {block[2]}", ""]
        else:
            line = block[1]
            mark = MARKS[line.status].strip() or "&nbsp;"
            out += [f"{mark} $\\displaystyle {_equation(line, sample, digits, full, explanation.n)}$"
                    f"{_sizeNote(line, sample, digits, full)}", ""]
            if line.status == "differs":
                model = _latexValue(line.model, line.perSample, sample, digits, full)
                out += [f"**✗ the model has** ${model}$", "", f"**{differenceMessage(line)}**", ""]
            for _, markdown in line.notes:
                out += [f"> {markdown}", ""]
    out.append(f"**{verdict(explanation)}**")
    return "\n".join(out)


def _latexText(markdown):
    """Markdown as LaTeX text: `code` becomes \\texttt, the marks and arrows their symbols, math stays."""
    text = "".join(r"\texttt{" + piece.replace("_", r"\_") + "}" if index % 2 else piece
                   for index, piece in enumerate(markdown.split("`")))
    for symbol, command in (("→", r"$\to$"), ("✓", r"$\checkmark$"), ("✗", r"$\times$"), ("~ ", r"$\sim$ ")):
        text = text.replace(symbol, command)
    return text


def _latexBold(text):
    return r"\textbf{" + text.replace("_", r"\_").replace("^", r"\^{}") + "}"


def asLatex(explanation, sample, full, digits):
    """The explanation as a LaTeX fragment (needs ``\\usepackage{amsmath, amssymb}``)."""
    title = explanation.title
    out = [r"% " + title + r" (deepbasics.explain); needs \usepackage{amsmath, amssymb}",
           r"\paragraph{" + title[0].upper() + title[1:].replace("_", r"\_") + "}",
           " ".join(_latexText(prose(sentence)[1]) for sentence in _legend(explanation, sample))]
    equations = []   # the lines of the align* being written

    def align():
        if equations:
            out.extend([r"\begin{align*}", " \\\\\n".join(equations), r"\end{align*}"])
            equations.clear()
    for block in explanation.blocks:
        kind = block[0]
        if kind == "line":
            line = block[1]
            symbol, _, rest = _equation(line, sample, digits, full, explanation.n).partition(" = ")
            mark = LATEX_MARKS[line.status]
            equations.append(f"{symbol} &= {rest}" + (rf" && {mark}" if mark else ""))
            if line.status == "differs" or line.notes:   # what is said under a line ends the alignment
                align()
                if line.status == "differs":
                    model = _latexValue(line.model, line.perSample, sample, digits, full)
                    out += [r"\[\text{the model has } " + model + r"\]", _latexBold(differenceMessage(line))]
                for _, markdown in line.notes:
                    out += ["", _latexText(markdown)]
            continue
        align()
        if kind == "section":
            out += ["", r"\subsubsection*{" + block[1] + "}", _latexText(block[3])]
        elif kind == "heading":
            out += ["", r"\noindent " + _latexText(block[2].strip())]
        else:
            out += ["", _latexText(block[2])]
    align()
    return "\n".join(out + ["", r"\noindent" + _latexBold(verdict(explanation))]) + "\n"
