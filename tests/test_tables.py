"""formatTable: the one text table behind MLP.summary, diagnose and gradcheck's report."""


import pytest

from tables import formatTable


def test_columns_are_left_justified_to_their_widest_cell_between_three_rules():
    text = formatTable(("#", "activation", "units"), [(0, "ReLU()", 100), (1, "Softmax()", 10)])
    assert text.splitlines() == [
        "--------------------",
        "#  activation  units",
        "--------------------",
        "0  ReLU()      100",
        "1  Softmax()   10",
        "--------------------",
    ]


def test_the_title_comes_first_and_the_footer_last_and_neither_widens_the_rules():
    text = formatTable(("a", "b"), [("x", "y")], title="a title longer than the table",
                       footer=["Total parameters: 1,000", "Frozen (trainable=False): 10"])
    assert text.splitlines() == ["a title longer than the table", "----", "a  b", "----", "x  y", "----",
                                 "Total parameters: 1,000", "Frozen (trainable=False): 10"]


def test_no_line_ends_in_spaces_and_the_rule_is_as_long_as_the_longest_line():
    text = formatTable(("name", "note"), [("a", ""), ("a long name", "short"), ("b", "a longer note")])
    lines = text.splitlines()
    assert all(line == line.rstrip() for line in lines)
    assert lines[0] == "-" * len("a long name  a longer note") == lines[2] == lines[-1]
    assert lines[3] == "a"                                  # an empty last cell leaves no trailing gap


def test_a_table_without_rows_shows_its_header():
    assert formatTable(("what", "result"), []) == "------------\nwhat  result\n------------\n------------"


def test_gap_sets_the_space_between_columns():
    assert formatTable(("a", "b"), [("1", "2")], gap=4).splitlines()[1] == "a    b"


def test_a_row_of_the_wrong_length_is_refused_by_number():
    with pytest.raises(ValueError, match=r"formatTable: row 1 has 3 cells, but the header has 2: \['x', 'y', 'z'\]"):
        formatTable(("a", "b"), [("1", "2"), ("x", "y", "z")])


def test_it_lays_out_mlp_summary_to_the_character(capsys):
    """The call MLP.summary makes (or will make) prints what summary prints."""
    from activations import ReLU, Softmax
    from layers import Dense
    from nn import MLP
    from optimizer import Adam
    model = MLP()
    model.addLayer(Dense(inputDim=784, outputDim=100, activation=ReLU(), optimizer=Adam(), seed=0))
    model.addLayer(Dense(inputDim=100, outputDim=10, activation=Softmax(), optimizer=Adam(), seed=1))
    model.layers[1].trainable = False
    model.summary()
    rows = [(str(index), "Dense", f"(n, {layer.inputDim})", f"(n, {layer.outputDim})", repr(layer.activation),
             type(layer.optimizer).__name__, f"{layer.countParameters():,}")
            for index, layer in enumerate(model.layers)]
    expected = formatTable(("#", "layer", "input", "output", "activation", "optimizer", "parameters"), rows,
                           title="MLP (dtype float32)",
                           footer=["Total parameters: 79,510", "Frozen (trainable=False): 1,010"])
    assert capsys.readouterr().out == expected + "\n"
