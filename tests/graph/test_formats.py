"""Graph files: export then import gives the same graph in every format; names checked; SVG escaped."""

import xml.etree.ElementTree as ET

import pytest

from deci_core.errors import GraphError
from deci_core.graph.causal_graph import CausalGraph
from deci_core.graph.drawing import layered_layout, to_svg
from deci_core.graph.formats import FORMATS, format_for_filename, read_graph, to_dagitty, write_graph

XSS = "<img src=x onerror=alert(1)>"
NAMES = ["age", "blood pressure", 'say "hi"', XSS, "back\\slash", "node", "ünïcode", "x&y", "isolated"]


@pytest.fixture
def graph():
    edges = [
        ("age", "blood pressure"),
        ("blood pressure", 'say "hi"'),
        (XSS, "age"),
        ("node", "x&y"),
        ("back\\slash", "node"),
        ("age", "ünïcode"),
    ]
    return CausalGraph.build(
        NAMES, edges, locked=[("age", "blood pressure")], positions={"age": (1.5, -2.0), XSS: (100.0, 40.0)}
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_with_the_data_names_is_exact(graph, fmt):
    back = read_graph(write_graph(graph, fmt), fmt, names=NAMES)
    assert back == graph  # names (order), edges, locked
    assert back.names == graph.names
    if fmt != "csv":
        assert dict(back.positions) == dict(graph.positions)


@pytest.mark.parametrize("fmt", ["gml", "dot", "dagitty", "json"])
def test_round_trip_without_data_keeps_node_order(graph, fmt):
    assert read_graph(write_graph(graph, fmt), fmt) == graph


def test_csv_without_data_keeps_isolated_nodes(graph):
    back = read_graph(write_graph(graph, "csv"), "csv")
    assert set(back.names) == set(NAMES) and set(back.edges) == set(graph.edges)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_names_are_rejected_with_a_clear_message(graph, fmt):
    with pytest.raises(GraphError, match=r"not in the data: \['isolated'\]"):
        read_graph(write_graph(graph, fmt), fmt, names=[n for n in NAMES if n != "isolated"])


def test_data_variables_missing_from_the_file_become_isolated_nodes():
    g = read_graph("source,target\na,b\n", "csv", names=["c", "a", "b"])
    assert g.names == ("c", "a", "b") and g.edges == (("a", "b"),)


def test_hand_written_dot_subset():
    text = """
    // comment
    strict digraph G { rankdir=LR; node [shape=box];
      a -> b -> c [locked=true]; "d e" -> a  # bash-style comment
      /* block */ c <- "d e"
    }"""
    g = read_graph(text, "dot")
    assert set(g.edges) == {("a", "b"), ("b", "c"), ("d e", "a"), ("d e", "c")}
    assert g.locked == {("a", "b"), ("b", "c")}


def test_dagitty_text_is_read():
    g = read_graph('dag {\n x [exposure,pos="0,1"]\n y [outcome]\n x -> y\n z -> x\n z -> y\n}', "dagitty")
    assert set(g.edges) == {("x", "y"), ("z", "x"), ("z", "y")} and g.positions["x"] == (0.0, 1.0)


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("graph { a -- b }", "dot", "must start with 'digraph'"),
        ("digraph { a -- b }", "dot", "no direction"),
        ("digraph { subgraph s { a } }", "dot", "Subgraphs"),
        ("digraph { a -> b; b -> a }", "dot", "cycle a → b → a|cycle b → a → b"),
        ("digraph { a -> }", "dot", "followed by a variable"),
        ("digraph { a -> b", "dot", "closing"),
        ('{"edges": [["a"]]}', "json", "JSON edges"),
        ("not json", "json", "Not valid JSON"),
        ("x,y\na,b\n", "csv", "'source' and 'target'"),
        ('graph [ node [ id 0 label "a" ] ]', "gml", "undirected"),
        ("graph [ directed 1 node [ id 0 label ", "gml", "Not a readable GML"),
        ("source,target\na,a\n", "csv", "self-loop"),
    ],
)
def test_malformed_files_raise_graph_errors(text, fmt, message):
    with pytest.raises(GraphError, match=message):
        read_graph(text, fmt)


def test_format_for_filename():
    assert format_for_filename("G.GML") == "gml" and format_for_filename("g.gv") == "dot"
    assert format_for_filename("edges.csv") == "csv" and format_for_filename("m.dagitty") == "dagitty"
    with pytest.raises(GraphError, match="Cannot tell the format"):
        format_for_filename("graph.xlsx")


def test_dagitty_marks_exposure_and_outcome(graph):
    text = to_dagitty(graph, exposure="age", outcome="x&y")
    assert '"age" [exposure]' in text and '"x&y" [outcome]' in text and text.startswith("dag {")


def test_svg_is_well_formed_and_escapes_names(graph):
    svg = to_svg(graph.names, [(u, v, 0.8) for u, v in graph.edges], graph.positions, highlight=[XSS])
    root = ET.fromstring(svg)  # raises if an unescaped name broke the XML
    assert XSS not in svg and "&lt;img src=x onerror=alert(1)&gt;" in svg
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert XSS in texts  # shown as text once parsed
    assert not list(root.iter("{http://www.w3.org/2000/svg}img")) and "<script" not in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # self-contained
    assert len(list(root.iter("{http://www.w3.org/2000/svg}line"))) == len(graph.edges)


def test_layered_layout_puts_causes_above_effects(graph):
    pos = layered_layout(graph.names, graph.edges)
    for u, v in graph.edges:
        assert pos[u][1] < pos[v][1]
    cyclic = layered_layout(["a", "b"], [("a", "b"), ("b", "a")])  # falls back to a spring layout
    assert set(cyclic) == {"a", "b"}
