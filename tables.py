"""Text tables: what ``MLP.summary``, ``diagnose`` and ``gradcheck`` print.

One function, so that every table deepbasics prints looks the same: a
title, a rule, the header, a rule, one line per row, a rule, then any
closing lines. Columns are left-justified to their widest cell, two spaces
apart, and no line ends in spaces.

>>> print(formatTable(("layer", "units"), [("Dense", 784), ("Dense", 10)],
...                   title="A network", footer=["Total units: 794"]))
A network
------------
layer  units
------------
Dense  784
Dense  10
------------
Total units: 794
"""


def formatTable(header, rows, title=None, footer=(), gap=2):
    """``rows`` under ``header`` as aligned text, between rules.

    Parameters
    ----------
    header : sequence
        The column names; every row must have as many cells.
    rows : iterable of sequences
        The cells, each shown with ``str()``; rows may be empty.
    title : str, optional
        A line above the table.
    footer : sequence of str, default ()
        Lines below the closing rule (totals, notes).
    gap : int, default 2
        Spaces between columns.

    Returns
    -------
    str
        The lines joined by newlines, without a final newline. The rules
        are as long as the longest line of the table (title and footer
        not counted).
    """
    header = [str(cell) for cell in header]
    rows = [[str(cell) for cell in row] for row in rows]
    for number, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"formatTable: row {number} has {len(row)} cells, but the header has "
                             f"{len(header)}: {row}")
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    lines = [(" " * gap).join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header] + rows]
    rule = "-" * max(len(line) for line in lines)
    return "\n".join(([] if title is None else [title]) + [rule, lines[0], rule, *lines[1:], rule, *footer])
