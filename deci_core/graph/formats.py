"""Reading and writing causal graphs: GML, DOT, DAGitty, JSON, CSV edge lists, and an SVG drawing.

Every writer takes a :class:`~deci_core.graph.edits.CausalGraph` and returns text; every reader
returns a validated CausalGraph (acyclic, names checked against the data when ``names`` is given).
Export then import gives the same graph (names, edges, locked edges; positions too for GML, DOT,
DAGitty and JSON). CSV keeps the node order only through ``names`` (the data's columns).

DOT / DAGitty: we parse this subset ourselves (no pydot/pygraphviz): ``digraph``/``dag`` with an
optional name, node statements ``a [pos="x,y", locked=true]``, edge chains ``a -> b -> c`` and
``a <- b``, bare or double-quoted ids, ``//``, ``#`` and ``/* */`` comments; ``graph``/``node``/
``edge`` default statements and ``key=value`` graph attributes are ignored. Undirected or bidirected
edges (``--``, ``<->``) and subgraphs are rejected with a message.

(The file is longer than most: five formats, each a writer and a reader, plus the layout and SVG
that the report embeds; one place for everything that turns a graph into text.)
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence

import networkx as nx

from deci_core.errors import GraphError
from deci_core.graph.causal_graph import CausalGraph

FORMATS = ("gml", "dot", "dagitty", "json", "csv")
_EXTENSIONS = {
    ".gml": "gml",
    ".dot": "dot",
    ".gv": "dot",
    ".dagitty": "dagitty",
    ".json": "json",
    ".csv": "csv",
    ".txt": "dagitty",
}
JSON_FORMAT = "deci-studio-graph"


def format_for_filename(filename: str) -> str:
    """The format implied by a file's extension (``.gml``, ``.dot``/``.gv``, ``.json``, ``.csv``...)."""
    for ext, fmt in _EXTENSIONS.items():
        if filename.lower().endswith(ext):
            return fmt
    raise GraphError(f"Cannot tell the format of '{filename}': use one of {sorted(_EXTENSIONS)}.")


def write_graph(graph: CausalGraph, fmt: str) -> str:
    """Serialise ``graph`` in ``fmt`` (one of FORMATS)."""
    writers = {"gml": to_gml, "dot": to_dot, "dagitty": to_dagitty, "json": to_json, "csv": to_csv}
    if fmt not in writers:
        raise GraphError(f"Unknown graph format {fmt!r}: use one of {list(FORMATS)}.")
    return writers[fmt](graph)


def read_graph(text: str, fmt: str, names: Sequence[str] | None = None) -> CausalGraph:
    """Parse ``text`` in ``fmt``; with ``names`` (the data's variables), check and order by them.

    Variables of the data missing from the file become nodes without edges.

    Raises:
        GraphError: unparseable text, unknown names, a self-loop or a cycle.
    """
    readers = {
        "gml": _parse_gml,
        "dot": _parse_dot,
        "dagitty": _parse_dot,
        "json": _parse_json,
        "csv": _parse_csv,
    }
    if fmt not in readers:
        raise GraphError(f"Unknown graph format {fmt!r}: use one of {list(FORMATS)}.")
    nodes, edges, locked, positions = readers[fmt](text)
    if names is not None:
        names = [str(n) for n in names]
        unknown = [n for n in dict.fromkeys([*nodes, *(x for e in edges for x in e)]) if n not in set(names)]
        if unknown:
            raise GraphError(
                f"The graph file names variable(s) not in the data: {unknown}. "
                f"The data's variables are {names}; rename them in the file or the data."
            )
        nodes = names
    else:
        nodes = list(dict.fromkeys([*nodes, *(x for e in edges for x in e)]))
    return CausalGraph.build(nodes, edges, locked, positions)


# --- JSON --------------------------------------------------------------------------------------


def to_json(graph: CausalGraph) -> str:
    """Our JSON: ``{"format", "version", "names", "edges": [[parent, child]], "locked", "positions"}``."""
    return json.dumps(
        {
            "format": JSON_FORMAT,
            "version": 1,
            "names": list(graph.names),
            "edges": [list(e) for e in graph.edges],
            "locked": sorted(list(e) for e in graph.locked),
            "positions": {n: list(p) for n, p in graph.positions.items()},
        },
        indent=1,
        ensure_ascii=False,
    )


def _parse_json(text: str):
    try:
        d = json.loads(text)
    except ValueError as exc:
        raise GraphError(f"Not valid JSON: {exc}.") from None
    if not isinstance(d, dict) or "edges" not in d:
        raise GraphError('A JSON graph needs an object with "edges" (and optionally "names", "locked").')
    nodes = d.get("names", d.get("nodes", []))
    nodes = [n["id"] if isinstance(n, dict) else n for n in nodes]
    try:
        edges = [_json_edge(e) for e in d["edges"]]
        locked = [_json_edge(e) for e in d.get("locked", [])] + [
            _json_edge(e) for e in d["edges"] if isinstance(e, dict) and e.get("locked")
        ]
        positions = {str(k): (float(v[0]), float(v[1])) for k, v in d.get("positions", {}).items()}
    except (TypeError, ValueError, KeyError, IndexError):
        raise GraphError('JSON edges must be [parent, child] or {"source": ..., "target": ...}.') from None
    return [str(n) for n in nodes], edges, locked, positions


def _json_edge(e) -> tuple[str, str]:
    if isinstance(e, dict):
        return str(e["source"]), str(e["target"])
    if len(e) != 2:
        raise ValueError(e)
    return str(e[0]), str(e[1])


# --- CSV edge list -----------------------------------------------------------------------------


def to_csv(graph: CausalGraph) -> str:
    """``source,target,locked`` rows; a variable without edges is a row with an empty target."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["source", "target", "locked"])
    for u, v in graph.edges:
        w.writerow([u, v, "true" if (u, v) in graph.locked else "false"])
    touched = {x for e in graph.edges for x in e}
    for n in graph.names:
        if n not in touched:
            w.writerow([n, "", ""])
    return out.getvalue()


def _parse_csv(text: str):
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise GraphError("The CSV edge list is empty.")
    header = [h.strip().lower() for h in rows[0]]
    pairs = [("source", "target"), ("from", "to"), ("parent", "child"), ("cause", "effect")]
    cols = next(((header.index(a), header.index(b)) for a, b in pairs if a in header and b in header), None)
    if cols is None:
        raise GraphError(f"The CSV needs a header with 'source' and 'target' columns; it has {rows[0]}.")
    lock_col = header.index("locked") if "locked" in header else None
    nodes, edges, locked = [], [], []
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        u, v = (row[c] if c < len(row) else "" for c in cols)
        if not v:
            nodes.append(u)
            continue
        edges.append((u, v))
        flag = row[lock_col].strip().lower() if lock_col is not None and lock_col < len(row) else ""
        if flag in ("true", "1", "yes"):
            locked.append((u, v))
    return nodes, edges, locked, {}


# --- GML (networkx) ----------------------------------------------------------------------------


def to_gml(graph: CausalGraph) -> str:
    g = nx.DiGraph()
    for n in graph.names:
        attrs = {"x": graph.positions[n][0], "y": graph.positions[n][1]} if n in graph.positions else {}
        g.add_node(n, **attrs)
    for u, v in graph.edges:
        g.add_edge(u, v, locked=int((u, v) in graph.locked))
    return "\n".join(nx.generate_gml(g)) + "\n"


def _parse_gml(text: str):
    try:
        g = nx.parse_gml(text, label="label")
    except (nx.NetworkXError, ValueError, KeyError) as exc:
        raise GraphError(f"Not a readable GML graph: {exc}.") from None
    if not g.is_directed():
        raise GraphError("The GML graph is undirected: add 'directed 1' so edges have a direction.")
    nodes = g.nodes(data=True)
    positions = {str(n): (float(a["x"]), float(a["y"])) for n, a in nodes if "x" in a and "y" in a}
    locked = [(str(u), str(v)) for u, v, a in g.edges(data=True) if a.get("locked")]
    return [str(n) for n in g.nodes], [(str(u), str(v)) for u, v in g.edges], locked, positions


# --- DOT and DAGitty ---------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_body(graph: CausalGraph, edge_attr: str) -> list[str]:
    lines = [
        f'  {_quote(n)} [pos="{graph.positions[n][0]:g},{graph.positions[n][1]:g}"]'
        if n in graph.positions
        else f"  {_quote(n)}"
        for n in graph.names
    ]
    for u, v in graph.edges:
        lines.append(f"  {_quote(u)} -> {_quote(v)}" + (edge_attr if (u, v) in graph.locked else ""))
    return lines


def to_dot(graph: CausalGraph) -> str:
    """Graphviz DOT; locked edges carry ``[locked=true]``."""
    return "digraph causal_graph {\n" + ";\n".join(_dot_body(graph, " [locked=true]")) + ";\n}\n"


def to_dagitty(graph: CausalGraph, exposure: str | None = None, outcome: str | None = None) -> str:
    """DAGitty model syntax (paste into dagitty.net or R's ``dagitty()``)."""
    lines = _dot_body(graph, " [locked]")
    for role, name in (("exposure", exposure), ("outcome", outcome)):
        if name is not None:
            lines.append(f"  {_quote(name)} [{role}]")
    return "dag {\n" + "\n".join(lines) + "\n}\n"


_TOKEN = re.compile(
    r"""\s+|//[^\n]*|\#[^\n]*|/\*.*?\*/|(?P<q>"(?:[^"\\]|\\.)*")|(?P<op><->|->|<-|--)
                        |(?P<p>[{}\[\];,=])|(?P<id>[\w.\-]+)""",
    re.S | re.X,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise GraphError(f"Cannot read the DOT/DAGitty text near {text[pos : pos + 20]!r}.")
        pos = m.end()
        if m.group("q") is not None:
            out.append(("q", re.sub(r"\\(.)", _unescape, m.group("q")[1:-1])))
        elif m.lastgroup in ("op", "p", "id"):
            out.append((m.lastgroup, m.group(m.lastgroup)))
    return out


def _unescape(m: re.Match) -> str:
    return "\n" if m.group(1) == "n" else m.group(1)


def _parse_dot(text: str):
    toks = _tokens(text)
    i = 0
    while i < len(toks) and toks[i][1] in ("strict",):
        i += 1
    if i >= len(toks) or toks[i][1] not in ("digraph", "dag"):
        raise GraphError("A DOT graph must start with 'digraph' (DAGitty: 'dag'): edges need a direction.")
    i += 1
    if i < len(toks) and toks[i][0] in ("id", "q"):
        i += 1
    if i >= len(toks) or toks[i][1] != "{":
        raise GraphError("Expected '{' after 'digraph'.")
    nodes, edges, locked, positions = [], [], [], {}
    i += 1
    while i < len(toks) and toks[i][1] != "}":
        i = _statement(toks, i, nodes, edges, locked, positions)
    if i >= len(toks):
        raise GraphError("The DOT graph is missing its closing '}'.")
    return nodes, edges, locked, positions


def _statement(toks, i, nodes, edges, locked, positions) -> int:
    kind, val = toks[i]
    if kind == "p" and val in ";,":
        return i + 1
    if val == "{" or (kind, val) == ("id", "subgraph"):
        raise GraphError("Subgraphs are not supported: list the edges one by one ('a -> b;').")
    if kind not in ("id", "q"):
        raise GraphError(f"Unexpected {val!r} in the DOT text.")
    if i + 1 < len(toks) and toks[i + 1][1] == "=":  # graph attribute: key = value
        return i + 3
    chain, ops, i = [val], [], i + 1
    while i < len(toks) and toks[i][0] == "op":
        if toks[i][1] in ("--", "<->"):
            raise GraphError(f"'{toks[i][1]}' edges have no direction: write 'a -> b'.")
        if i + 1 >= len(toks) or toks[i + 1][0] not in ("id", "q"):
            raise GraphError(f"An edge '{toks[i][1]}' must be followed by a variable name.")
        ops.append(toks[i][1])
        chain.append(toks[i + 1][1])
        i += 2
    attrs, i = _attrs(toks, i)
    if kind == "id" and val in ("graph", "node", "edge") and not ops:
        return i
    for n in chain:
        if n not in nodes:
            nodes.append(n)
    for (a, b), op in zip(zip(chain, chain[1:], strict=False), ops, strict=True):
        edge = (a, b) if op == "->" else (b, a)
        edges.append(edge)
        if attrs.get("locked", "false").lower() in ("true", "1", ""):
            locked.append(edge)
    if not ops and "pos" in attrs:
        try:
            x, y = (float(c) for c in attrs["pos"].rstrip("!").split(",")[:2])
        except ValueError:
            raise GraphError(f"Position of '{val}' must be 'x,y', got {attrs['pos']!r}.") from None
        positions[val] = (x, y)
    return i


def _attrs(toks, i) -> tuple[dict[str, str], int]:
    attrs: dict[str, str] = {}
    while i < len(toks) and toks[i][1] == "[":
        i += 1
        while i < len(toks) and toks[i][1] != "]":
            if toks[i][1] in (",", ";"):
                i += 1
                continue
            key = toks[i][1]
            if i + 2 < len(toks) and toks[i + 1][1] == "=":
                attrs[key], i = toks[i + 2][1], i + 3
            else:
                attrs[key], i = "", i + 1
        i += 1
    return attrs, i


# --- temporal graphs (JSON with lags) ----------------------------------------------------------

TEMPORAL_JSON_FORMAT = "deci-studio-temporal-graph"


def temporal_to_json(
    names: Sequence[str], lags: int, edges: Sequence[tuple], decisions: Sequence[tuple] = ()
) -> str:
    """A temporal graph as JSON: ``{"format", "version", "temporal": true, "lags": K, "names",
    "edges": [[parent, child, lag, probability]], "decisions": [[parent, child, lag, decision]]}``
    (decision "forbid" or "require"); lag 0 is instantaneous, ``x_{t-lag}^parent -> x_t^child``."""
    return json.dumps(
        {
            "format": TEMPORAL_JSON_FORMAT,
            "version": 1,
            "temporal": True,
            "lags": int(lags),
            "names": list(names),
            "edges": [[str(p), str(c), int(lag), None if q is None else float(q)] for p, c, lag, q in edges],
            "decisions": [[str(p), str(c), int(lag), str(d)] for p, c, lag, d in decisions],
        },
        indent=1,
        ensure_ascii=False,
    )


def read_temporal_json(
    text: str, names: Sequence[str] | None = None
) -> tuple[list[str], int, list[tuple[str, str, int, float | None]]]:
    """Read :func:`temporal_to_json`'s format: (names, K, edges ``(parent, child, lag, probability)``).

    Raises:
        GraphError: not that format, an edge naming an unknown variable, or a lag outside 0..K.
    """
    try:
        d = json.loads(text)
    except ValueError as exc:
        raise GraphError(f"Not valid JSON: {exc}.") from None
    if not isinstance(d, dict) or not d.get("temporal") or "edges" not in d:
        raise GraphError('A temporal graph needs a JSON object with "temporal": true, "lags" and "edges".')
    nodes = [str(n) for n in d.get("names", [])]
    try:
        lags = int(d["lags"])
        edges = [(str(e[0]), str(e[1]), int(e[2]), None if len(e) < 4 or e[3] is None else float(e[3]))
                 for e in d["edges"]]
    except (TypeError, ValueError, KeyError, IndexError):
        raise GraphError("Temporal JSON edges must be [parent, child, lag(, probability)].") from None
    known = list(names) if names is not None else nodes
    for p, c, lag, _ in edges:
        if p not in known or c not in known:
            raise GraphError(f"The edge {p} -> {c} (lag {lag}) names a variable not in {known}.")
        if not 0 <= lag <= lags or (lag == 0 and p == c):
            raise GraphError(f"The edge {p} -> {c} has lag {lag}: use 0..{lags}, no instantaneous self edge.")
    return nodes or list(known), lags, edges
