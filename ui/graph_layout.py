"""A layered layout the editor can be read and clicked in: labels apart, edges off other nodes.

:func:`deci_core.graph.drawing.layered_layout` puts each generation of the graph in one row at fixed
spacing, so long labels in a row overlap, and a node in a middle row can sit exactly on an edge that
skips it (a → b → c with a → c draws a → c through b; a click there picked the wrong edge). This
spreads each row by its labels' widths, then moves any node that an edge between other nodes passes
through sideways, until no edge segment comes within ``margin`` pixels of a node it does not join.
Pixels, y down, node centres (as vis-network and the SVG drawing use them). No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx

from deci_core.graph.drawing import layered_layout

CHAR_PX, PAD_PX = 9.0, 24.0  # the editor's 16 px label font: about 9 px per character, plus padding
GAP_PX = 36.0  # between neighbouring boxes in a row
MARGIN_PX = 24.0  # the clearance an edge keeps from the box of a node it does not join
ROUNDS = 100

Positions = dict[str, tuple[float, float]]


def half_width(name: str) -> float:
    """Half the drawn width of a node's box (its label's width, at most 32 characters, plus padding)."""
    return (CHAR_PX * min(len(str(name)), 32) + PAD_PX) / 2


def readable_layout(names: Sequence[str], edges: Iterable[tuple[str, str]]) -> Positions:
    """Causes above effects, rows spread by label width, and no edge through a node it does not join."""
    edges = [(str(u), str(v)) for u, v in edges]
    pos = layered_layout(names, edges)
    if not nx.is_directed_acyclic_graph(nx.DiGraph(edges)):  # a spring layout, not rows: as it is
        return pos
    pos = _spread_rows(pos)
    for _ in range(ROUNDS):
        if not _nudge(pos, edges):
            break
        pos = _spread_rows(pos)
    return pos


def _rows(pos: Positions) -> dict[float, list[str]]:
    rows: dict[float, list[str]] = {}
    for name, (_, y) in sorted(pos.items(), key=lambda item: item[1][0]):
        rows.setdefault(round(y, 3), []).append(name)
    return rows


def _spread_rows(pos: Positions) -> Positions:
    """Keep each row's order and centre, and push boxes apart until none overlaps its neighbour."""
    out = dict(pos)
    for row in _rows(pos).values():
        xs = [pos[n][0] for n in row]
        for i in range(1, len(row)):  # left to right: at least the two half widths plus the gap
            least = xs[i - 1] + half_width(row[i - 1]) + GAP_PX + half_width(row[i])
            xs[i] = max(xs[i], least)
        shift = (sum(pos[n][0] for n in row) - sum(xs)) / len(row)  # keep the row where it was
        for name, x in zip(row, xs, strict=True):
            out[name] = (x + shift, pos[name][1])
    return out


def blocking(pos: Positions, edges: Iterable[tuple[str, str]], margin: float = MARGIN_PX
             ) -> list[tuple[str, str, str, float]]:
    """Nodes an edge passes through: ``(parent, child, node, x where the edge crosses the node's row)``.

    An edge crosses the rows strictly between its ends; it blocks a node there when it passes within
    the node's half width plus ``margin`` of its centre."""
    edges = list(edges)
    return [(u, v, w, c) for w in pos for u, v, c in _crossings(pos, edges, w)
            if abs(pos[w][0] - c) < half_width(w) + margin]


def _nudge(pos: Positions, edges: list[tuple[str, str]]) -> bool:
    """Move each blocked node to the nearest place in its row that every edge crossing the row leaves
    clear (between two converging edges that is outside both, not from one into the other)."""
    found = blocking(pos, edges)
    for w in dict.fromkeys(b[2] for b in found):
        x, y = pos[w]
        clear = half_width(w) + MARGIN_PX + 1.0
        crossings = [c for u, v, c in _crossings(pos, edges, w)]
        candidates = sorted([x] + [c + side * clear for c in crossings for side in (-1.0, 1.0)],
                            key=lambda c: abs(c - x))
        pos[w] = (next(c for c in candidates if all(abs(c - k) >= clear - 1e-9 for k in crossings)), y)
    return bool(found)


def _crossings(pos: Positions, edges: list[tuple[str, str]], w: str) -> list[tuple[str, str, float]]:
    """Where each edge not joining ``w`` crosses ``w``'s row (edges that span that row only)."""
    y = pos[w][1]
    out = []
    for u, v in edges:
        (x0, y0), (x1, y1) = pos[u], pos[v]
        if w not in (u, v) and min(y0, y1) < y < max(y0, y1):
            out.append((u, v, x0 + (x1 - x0) * (y - y0) / (y1 - y0)))
    return out
