"""Display-only views of graphs, reusable by every page: the edge-probability heatmap (plotly),
the graph drawn with pyvis (fully offline), an edge table, and markdown escaping for names.

User strings (variable names) are never rendered as HTML: plotly labels are entity-escaped, pyvis
labels lose ``<``/``>`` (they are embedded in a script), and markdown gets backslash escapes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pyvis.network import Network

_CDN_TAG = re.compile(r'<(?:link|script)[^>]+(?:href|src)="https?://[^"]+"[^>]*>(?:\s*</script>)?')
GRAPH_HEIGHT = 460


def edge_heatmap(
    edge_probs: pd.DataFrame, title: str = "Edge probabilities", height: int | None = None
) -> go.Figure:
    """Heatmap of edge probabilities: parent rows × child columns, 0 (white) to 1 (dark blue).

    Args:
        edge_probs: (d, d) DataFrame, ``edge_probs.loc[a, b]`` = P(a -> b).
    """
    rows = [html.escape(str(n)) for n in edge_probs.index]
    cols = [html.escape(str(n)) for n in edge_probs.columns]
    values = edge_probs.to_numpy(dtype=float)
    text = [[f"{v:.2f}" for v in row] for row in values]
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=cols,
            y=rows,
            zmin=0.0,
            zmax=1.0,
            colorscale="Blues",
            text=text,
            texttemplate="%{text}" if len(rows) <= 12 else None,
            hovertemplate="%{y} → %{x}: %{z:.2f}<extra></extra>",
            colorbar={"title": {"text": "P(edge)"}},
        )
    )
    size = height or min(720, 160 + 36 * len(rows))
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        height=size,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"title": {"text": "child (effect)"}, "type": "category", "tickangle": -35},
        yaxis={"title": {"text": "parent (cause)"}, "autorange": "reversed", "type": "category"},
    )
    return fig


def pyvis_html(
    names: Sequence[str],
    edges: Sequence[tuple[str, str, float]],
    height: int = GRAPH_HEIGHT,
    highlight: Sequence[tuple[str, str]] = (),
) -> str:
    """A self-contained HTML page drawing a directed graph; no request leaves the machine.

    Args:
        names: the nodes.
        edges: ``(parent, child, probability)``; width and label show the probability.
        highlight: edges drawn in orange (for example required ones).
    """
    net = Network(height=f"{height - 20}px", width="100%", directed=True, cdn_resources="in_line")
    index = {name: i for i, name in enumerate(names)}
    for name, i in index.items():
        label = _safe_label(name)
        net.add_node(i, label=label, title=label, shape="box", color="#dbeafe")
    marked = set(highlight)
    for a, b, p in edges:
        color = "#ea580c" if (a, b) in marked else "#1e3a8a"
        net.add_edge(
            index[a], index[b], title=f"{p:.0%}", label=f"{p:.2f}", width=1 + 4 * float(p), color=color
        )
    net.set_options(
        '{"physics": {"solver": "forceAtlas2Based", "stabilization": {"iterations": 150}},'
        ' "edges": {"arrows": {"to": {"enabled": true}}, "font": {"size": 11, "align": "middle"},'
        ' "smooth": {"type": "dynamic"}}, "interaction": {"hover": true}}'
    )
    return strip_cdn(net.generate_html())


def strip_cdn(page: str) -> str:
    """Remove every ``<link>``/``<script>`` that loads from the internet (pyvis always adds Bootstrap)."""
    return _CDN_TAG.sub("", page)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_pyvis_html(names: tuple[str, ...], edges: tuple[tuple[str, str, float], ...], height: int) -> str:
    """:func:`pyvis_html`, cached: the page is ~700 KB and is re-sent only when it changes."""
    return pyvis_html(names, edges, height)


def show_graph(
    names: Sequence[str], edges: Sequence[tuple[str, str, float]], alt: str, height: int = GRAPH_HEIGHT
):
    """Draw the graph in an iframe; ``alt`` becomes its title (a stable selector for browser tests)."""
    page = cached_pyvis_html(tuple(names), tuple((a, b, round(float(p), 3)) for a, b, p in edges), height)
    st.iframe(page, height=height, alt=alt)


def edge_table(edges: Sequence[tuple[str, str, float]]) -> pd.DataFrame:
    """Edges as a table, most probable first."""
    rows = sorted(edges, key=lambda e: -e[2])
    return pd.DataFrame(rows, columns=["cause", "effect", "probability"])


def _safe_label(name: str) -> str:
    return str(name).replace("<", "‹").replace(">", "›")
