"""Drawing a causal graph: a layered layout (causes above effects) and a static SVG for the report."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape as _xml_escape

import networkx as nx


def layered_layout(
    names: Sequence[str], edges: Iterable[tuple[str, str]], dx: float = 170, dy: float = 120
) -> dict[str, tuple[float, float]]:
    """Causes above effects: one row per topological generation (spring layout if cyclic), pixels."""
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from(edges)
    try:
        levels = [sorted(level, key=list(names).index) for level in nx.topological_generations(g)]
    except nx.NetworkXUnfeasible:
        pos = nx.spring_layout(g, seed=0)
        scale = dx * max(2.0, math.sqrt(len(names)))
        return {n: (float(p[0]) * scale, float(p[1]) * scale) for n, p in pos.items()}
    width = max(4, math.ceil(1.5 * math.sqrt(len(names))))  # wide layers wrap onto several rows
    rows = [level[k : k + width] for level in levels for k in range(0, len(level), width)]
    out = {}
    for row, level in enumerate(rows):
        for col, n in enumerate(level):
            out[n] = ((col - (len(level) - 1) / 2) * dx, row * dy)
    return out


def _attr(text: str) -> str:
    return _xml_escape(str(text), {'"': "&quot;", "'": "&apos;"})


def to_svg(
    names: Sequence[str],
    edges_with_probs: Iterable[tuple[str, str, float | None]],
    positions: dict[str, Sequence[float]] | None = None,
    highlight: Iterable[str] = (),
) -> str:
    """A self-contained SVG drawing: edge width/opacity from probability, highlighted nodes in orange.

    Args:
        names: the variables (all drawn, even without edges).
        edges_with_probs: ``(parent, child, probability or None)``; None draws a solid edge.
        positions: ``name -> (x, y)`` pixels; missing names are laid out in layers.
        highlight: names drawn highlighted (for example treatment and outcome).
    """
    edges = [(str(u), str(v), p) for u, v, p in edges_with_probs]
    layout = layered_layout(names, [(u, v) for u, v, _ in edges])
    pos = {n: tuple(map(float, (positions or {}).get(n, layout[n]))) for n in names}
    hl = set(highlight)
    w_node = {n: 14 + 7.2 * min(len(n), 32) for n in names}
    xs = [pos[n][0] for n in names] or [0.0]
    ys = [pos[n][1] for n in names] or [0.0]
    pad = 20 + max(w_node.values(), default=40) / 2
    x0, y0 = min(xs) - pad, min(ys) - 40
    width, height = max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.1f} {y0:.1f} {width:.1f} {height:.1f}" '
        f'width="{width:.0f}" height="{height:.0f}" font-family="sans-serif" font-size="13">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/>'
        "</marker></defs>",
    ]
    for u, v, p in edges:
        (x1, y1), (x2, y2) = pos[u], pos[v]
        sx, sy = _border(x1, y1, x2, y2, w_node[u])
        ex, ey = _border(x2, y2, x1, y1, w_node[v])
        label = f"{u} → {v}" + ("" if p is None else f": probability {p:.2f}")
        prob = 1.0 if p is None else max(0.0, min(1.0, float(p)))
        parts.append(
            f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" stroke="#444" '
            f'stroke-width="{1 + 3 * prob:.2f}" stroke-opacity="{0.35 + 0.65 * prob:.2f}" '
            f'marker-end="url(#arrow)"><title>{_attr(label)}</title></line>'
        )
    for n in names:
        x, y = pos[n]
        fill = "#ffd8a8" if n in hl else "#e7f0fb"
        shown = n if len(n) <= 32 else n[:31] + "…"
        parts.append(
            f'<g><title>{_attr(n)}</title><rect x="{x - w_node[n] / 2:.1f}" y="{y - 15:.1f}" '
            f'width="{w_node[n]:.1f}" height="30" rx="15" fill="{fill}" stroke="#2b5d9b"/>'
            f'<text x="{x:.1f}" y="{y + 4.5:.1f}" text-anchor="middle">{_attr(shown)}</text></g>'
        )
    return "\n".join([*parts, "</svg>"]) + "\n"


def _border(x1: float, y1: float, x2: float, y2: float, w: float) -> tuple[float, float]:
    """Where the segment from (x1, y1) towards (x2, y2) leaves a w x 30 pill centred at (x1, y1)."""
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return x1, y1
    t = min(w / 2 / abs(dx) if dx else math.inf, 15 / abs(dy) if dy else math.inf)
    return x1 + dx * t, y1 + dy * t
