"""The Graph page for a temporal model: the summary graph, the lag view (the window unrolled,
x_{t-K} … x_t), and the lag table whose per-lag decisions (forbid / require) the next discovery run
obeys, with undo, versions and a JSON export that carries lags.

A temporal graph is edited as decisions rather than in the static editor: the summary graph may hold
cycles and self edges (through lags), and the engine refits a temporal model by discovering again
under the decisions (``TimeSeriesLayout.forbidden_lagged`` / ``required_lagged``).
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from deci_core.errors import GraphError
from deci_core.graph.formats import read_temporal_json, temporal_to_json
from ui import ts_session as ts
from ui.discovery_session import start_discovery
from ui.errors import error_boundary
from ui.state import AppState
from ui.text import md_escape
from ui.ts_state import DECISIONS, TemporalState

TABLE_KEY = "graph.ts.table"


def _e(text: object) -> str:
    return html.escape(str(text))


def lag_label(lag: int) -> str:
    return "t (instantaneous)" if lag == 0 else f"t-{lag}"


def render(state: AppState, model) -> None:
    """The whole temporal Graph page body."""
    posterior, info = model.graph_posterior_, model.time_series_
    temporal = ts.get_temporal(state)
    st.caption(
        md_escape(
            f"Temporal model: K = {posterior.lags} lag(s), {info.windows:,} windows "
            f"({info.dropped} left out at gaps). {info.spacing.sentence()}"
        )
    )
    threshold = st.slider(
        "Show edges with probability at least", 0.05, 0.95, 0.5, 0.05, key="graph.ts.threshold"
    )
    edges = [e for e in posterior.lagged_table().itertuples(index=False) if e.probability >= threshold]
    left, right = st.columns(2)
    with left:
        st.plotly_chart(summary_figure(list(posterior.names), edges), key="graph.ts.summary")
        st.caption(
            "Summary graph: an arrow when some lag has the edge, labelled with its lags and probabilities "
            "(↻: the variable's own past)."
        )
    with right:
        st.plotly_chart(lag_figure(list(posterior.names), posterior.lags, edges), key="graph.ts.lags")
        st.caption(
            "Lag view: the window unrolled, one column per time step; every arrow ends at time t "
            "(orange, beside column t: instantaneous)."
        )
    tab_table, tab_edit, tab_versions, tab_files = st.tabs(
        ["Lag table", "Edit with widgets", "Versions", "Import / export"]
    )
    with tab_table:
        render_lag_table(temporal, posterior)
    with tab_edit:
        render_widget_editor(temporal, list(posterior.names), posterior.lags)
    with tab_versions:
        render_versions(temporal)
    with tab_files:
        render_files(temporal, posterior)
    render_rediscover(state, temporal)


def lag_frame(temporal: TemporalState, posterior) -> pd.DataFrame:
    """The lag table with the current decisions: parent, child, lag, probability, decision."""
    table = posterior.lagged_table()
    decided = {(p, c, lag): d for p, c, lag, d in temporal.decisions}
    table["decision"] = [
        decided.get((p, c, int(lag)), "learn")
        for p, c, lag in zip(table.parent, table.child, table.lag, strict=True)
    ]
    return table.sort_values(["probability", "lag"], ascending=[False, True]).reset_index(drop=True)


def render_lag_table(temporal: TemporalState, posterior) -> None:
    table = lag_frame(temporal, posterior)
    st.write(
        "Every pair at every lag (lag 0: instantaneous). Set **decision** to forbid or require an edge "
        "at that lag; the next discovery run obeys them."
    )
    edited = st.data_editor(
        table,
        key=TABLE_KEY,
        hide_index=True,
        width="stretch",
        height=320,
        disabled=["parent", "child", "lag", "probability"],
        column_config={
            "probability": st.column_config.ProgressColumn(
                "probability", min_value=0.0, max_value=1.0, format="%.2f"
            ),
            "decision": st.column_config.SelectboxColumn("decision", options=list(DECISIONS), required=True),
        },
    )
    changes = _changed(table, edited)
    if st.button("Save the decisions", key="graph.ts.save", disabled=not changes):
        if temporal.decide(changes, f"{len(changes)} change(s) in the lag table"):
            st.rerun()


def _changed(before: pd.DataFrame, after: pd.DataFrame) -> dict[tuple[str, str, int], str]:
    old = {
        (p, c, int(lag)): d
        for p, c, lag, d in zip(before.parent, before.child, before.lag, before.decision, strict=True)
    }
    return {
        (p, c, int(lag)): d
        for p, c, lag, d in zip(after.parent, after.child, after.lag, after.decision, strict=True)
        if old.get((p, c, int(lag))) != d
    }


def render_widget_editor(
    temporal: TemporalState, names: list[str], lags: int, prefix: str = "graph.ts"
) -> None:
    """Forbid or require one edge at one lag, or at every lag, with plain widgets."""
    c1, c2, c3, c4 = st.columns(4)
    parent = c1.selectbox("From", names, key=f"{prefix}.parent")
    child = c2.selectbox("To", names, key=f"{prefix}.child")
    lag = c3.selectbox(
        "At lag",
        ["every lag", *range(lags + 1)],
        key=f"{prefix}.lag",
        format_func=lambda v: v if isinstance(v, str) else lag_label(v),
    )
    decision = c4.selectbox("Decision", list(DECISIONS), index=1, key=f"{prefix}.decision")
    if st.button("Apply", key=f"{prefix}.apply"):
        chosen = range(lags + 1) if lag == "every lag" else [int(lag)]
        changes = {(parent, child, k): decision for k in chosen if not (k == 0 and parent == child)}
        if not changes:
            st.error("A variable cannot cause itself instantaneously: choose a lag of 1 or more.")
        elif temporal.decide(
            changes, f"{decision} {parent} → {child} at {lag if isinstance(lag, str) else lag_label(lag)}"
        ):
            st.rerun()


def render_versions(temporal: TemporalState) -> None:
    c1, c2, _ = st.columns([1, 1, 4])
    if c1.button("Undo", key="graph.ts.undo", disabled=temporal.current == 0):
        temporal.undo()
        st.rerun()
    if c2.button("Redo", key="graph.ts.redo", disabled=temporal.current >= len(temporal.versions) - 1):
        temporal.redo()
        st.rerun()
    rows = [
        {"version": i, "change": label, "decisions": len(ds), "current": "◀" if i == temporal.current else ""}
        for i, (label, ds) in enumerate(temporal.versions)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    if temporal.decisions:
        st.dataframe(
            pd.DataFrame(temporal.decisions, columns=["parent", "child", "lag", "decision"]),
            hide_index=True,
            key="graph.ts.decisions",
        )


def render_files(temporal: TemporalState, posterior) -> None:
    table = posterior.lagged_table()
    text = temporal_to_json(
        posterior.names, posterior.lags, list(table.itertuples(index=False, name=None)), temporal.decisions
    )
    c1, c2 = st.columns(2)
    c1.download_button(
        "Temporal graph (JSON, with lags)",
        text,
        file_name="temporal_graph.json",
        mime="application/json",
        key="graph.ts.dl_json",
    )
    c2.download_button(
        "Lag table (CSV)",
        table.to_csv(index=False),
        file_name="edge_probs_lagged.csv",
        mime="text/csv",
        key="graph.ts.dl_csv",
    )
    upload = st.file_uploader(
        "Import a temporal graph (JSON with lags): its edges become required, every other edge forbidden",
        type=["json"],
        key="graph.ts.import",
    )
    if upload is not None and st.button("Use the imported graph", key="graph.ts.import_apply"):
        with error_boundary("reading the temporal graph"):
            imported = import_decisions(upload.getvalue().decode("utf-8"), posterior)
            if temporal.decide(imported, f"imported {upload.name}"):
                st.rerun()


def import_decisions(text: str, posterior, threshold: float = 0.5) -> dict[tuple[str, str, int], str]:
    """Decisions from a temporal JSON: its edges (probability ≥ threshold, or none given) required, the
    others forbidden. Raises GraphError on a bad file or lags beyond the model's K."""
    _, lags, edges = read_temporal_json(text, posterior.names)
    if lags > posterior.lags:
        raise GraphError(f"The file has lags up to {lags}; this model has K = {posterior.lags}.")
    keep = {(p, c, lag) for p, c, lag, q in edges if q is None or q >= threshold}
    return {
        (p, c, int(lag)): "require" if (p, c, int(lag)) in keep else "forbid"
        for p, c, lag in posterior.lagged_table()[["parent", "child", "lag"]].itertuples(index=False)
    }


def render_rediscover(state: AppState, temporal: TemporalState) -> None:
    n = len(temporal.decisions)
    if not n:
        return
    st.info(
        md_escape(
            f"{n} per-lag decision(s) saved. Discover again to learn the graph under them "
            "(same preset and settings)."
        )
    )
    if st.button("Discover again with these decisions", key="graph.ts.rediscover", type="primary"):
        with error_boundary("starting discovery"):
            start_discovery(state)
            st.switch_page("pages/3_Discover.py")


# --------------------------------------------------------------------------------- figures


def summary_figure(names: list[str], edges: list) -> go.Figure:
    """Nodes on a circle; one arrow per pair with its lags; self lags as a ↻ label under the node."""
    d = len(names)
    pos = {
        n: (math.cos(2 * math.pi * i / d + math.pi / 2), math.sin(2 * math.pi * i / d + math.pi / 2))
        for i, n in enumerate(names)
    }
    pairs: dict[tuple[str, str], list[str]] = {}
    for e in sorted(edges, key=lambda e: e.lag):
        pairs.setdefault((e.parent, e.child), []).append(f"lag {e.lag}: {e.probability:.2f}")
    fig = go.Figure()
    selfs = {n: [] for n in names}
    for (a, b), labels in pairs.items():
        if a == b:
            selfs[a] += labels
            continue
        (x0, y0), (x1, y1) = pos[a], pos[b]
        fig.add_annotation(
            x=x0 + 0.85 * (x1 - x0),
            y=y0 + 0.85 * (y1 - y0),
            ax=x0 + 0.15 * (x1 - x0),
            ay=y0 + 0.15 * (y1 - y0),
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=3,
            arrowsize=1.3,
            arrowwidth=1.6,
            text="",
        )
        off = 0.06 if (b, a) in pairs else 0.0
        fig.add_annotation(
            x=(x0 + x1) / 2 + off,
            y=(y0 + y1) / 2 + off,
            text=_e(", ".join(labels)),
            showarrow=False,
            yshift=9,
            font=dict(size=10),
            bgcolor="rgba(255,255,255,0.8)",
        )
    fig.add_trace(
        go.Scatter(
            x=[pos[n][0] for n in names],
            y=[pos[n][1] for n in names],
            mode="markers+text",
            text=[_e(n) + ("<br>↻ " + _e(", ".join(selfs[n])) if selfs[n] else "") for n in names],
            textposition="bottom center",
            marker=dict(size=26, color="#cfe2ff", line=dict(width=1.5, color="#1f4e8c")),
            hoverinfo="text",
            showlegend=False,
        )
    )
    fig.update_layout(
        title="Summary graph (an edge if any lag has it)",
        height=460,
        xaxis=dict(visible=False, range=[-1.5, 1.5]),
        yaxis=dict(visible=False, range=[-1.6, 1.4]),
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


def lag_figure(names: list[str], lags: int, edges: list) -> go.Figure:
    """The window unrolled: columns t-K … t, one row per variable, arrows into column t."""
    fig = go.Figure()
    row = {n: len(names) - 1 - i for i, n in enumerate(names)}
    for e in edges:  # lagged: from column t-lag to column t; instantaneous: beside column t, in orange
        now = e.lag == 0
        x0, y0, y1 = (0.18 if now else -e.lag + 0.06), row[e.parent], row[e.child]
        fig.add_annotation(
            x=0.18 if now else -0.06,
            y=y1 + (0.1 if y1 > y0 else -0.1) * now,
            ax=x0,
            ay=y0,
            arrowcolor="#d9822b" if now else "#555",
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=3,
            arrowwidth=1 + 2 * e.probability,
            opacity=0.35 + 0.65 * e.probability,
            text="",
            hovertext=_e(f"{e.parent} ({'t' if now else f't-{e.lag}'}) → {e.child} (t): {e.probability:.2f}"),
        )
    xs, ys, texts = [], [], []
    for k in range(lags, -1, -1):
        for n in names:
            xs.append(-k)
            ys.append(row[n])
            texts.append(_e(n))
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers+text",
            text=texts,
            textposition="top center",
            marker=dict(size=16, color="#e8f1e4", line=dict(width=1.2, color="#2f6b2f")),
            hoverinfo="text",
            showlegend=False,
        )
    )
    fig.update_layout(
        title="Lag view (the window unrolled)",
        height=max(300, 110 + 70 * len(names)),
        xaxis=dict(
            tickvals=list(range(-lags, 1)),
            ticktext=[f"t-{k}" if k else "t" for k in range(lags, -1, -1)],
            range=[-lags - 0.5, 0.6],
            zeroline=False,
        ),
        yaxis=dict(visible=False, range=[-0.6, len(names) - 0.3]),
        margin=dict(l=10, r=10, t=50, b=30),
    )
    return fig


def probability_matrix(posterior, lag: int) -> pd.DataFrame:
    """One lag's probabilities, parent rows x child columns (for the report)."""
    return pd.DataFrame(
        np.asarray(posterior.probs[lag]), index=list(posterior.names), columns=list(posterior.names)
    )
