"""Time-series widgets and figures: the Data page's "Analyse as time series" panel and its plots.

The Graph, Effects and Report parts are in :mod:`ui.ts_graph_view` and :mod:`ui.ts_effects_view`.
Labels reaching plotly are entity-escaped; markdown goes through :func:`ui.text.md_escape`.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from deci_core.data.windows import GAP_POLICIES, TimeSeriesLayout
from deci_core.errors import DeciError
from ui import ts_session as ts
from ui.data_state import LoadedData
from ui.state import AppState
from ui.text import md_escape
from ui.ts_graph_view import render_widget_editor

GAP_WORDS = {
    "drop": "Drop the windows that span a gap or an uneven step",
    "resample": "Resample each series onto the regular step (interpolate continuous variables)",
    "error": "Stop and tell me",
}
PLOTTED_SERIES = 3


def _e(text: object) -> str:
    return html.escape(str(text))


def render_time_series(state: AppState) -> None:
    """Offer "Analyse as time series" when the table has a time-like column; set or clear the layout."""
    data = state.data
    guess = ts.guess(data)
    if data.layout is None and not guess.time_columns:
        return
    st.subheader("Time series")
    key = f"data.ts.{data.load_id}"
    on = st.toggle(
        "Analyse as time series",
        value=data.layout is not None,
        key=f"{key}.on",
        help="Learn lagged effects (x at t-1, t-2, … causes y at t) and instantaneous ones.",
    )
    if not on:
        if data.layout is not None:
            state.set_data(ts.with_layout(data, None))
            st.rerun()
        found = ", ".join(f"'{c}'" for c in guess.time_columns)
        st.caption(md_escape(f"{found} looks like time: turn this on to analyse the rows as series."))
        return
    layout = data.layout or _default_layout(data, guess)
    chosen = _layout_widgets(data, guess, layout, key)
    if chosen is not None and chosen != data.layout:
        try:
            state.set_data(ts.with_layout(data, chosen))
        except DeciError as exc:
            st.error(md_escape(str(exc)))
            return
        st.rerun()
    if data.layout is None:
        st.info("Choose the columns above and press **Use as time series**.")
        return
    _render_spacing(data)
    render_series_charts(data)


def _default_layout(data: LoadedData, guess) -> TimeSeriesLayout:
    time = guess.time_columns[0] if guess.time_columns else data.raw.columns[0]
    series = guess.series_columns[0] if guess.series_columns else None
    base = TimeSeriesLayout(time, series)
    try:
        return TimeSeriesLayout(time, series, ts.suggest_lags(data, base).lags)
    except DeciError:
        return TimeSeriesLayout(time, series, 1)


def _layout_widgets(data: LoadedData, guess, layout: TimeSeriesLayout, key: str) -> TimeSeriesLayout | None:
    """The layout's widgets; returns the chosen layout when "Use as time series" was pressed."""
    columns = list(data.raw.columns)
    times = list(dict.fromkeys([*guess.time_columns, layout.time_column]))
    c1, c2, c3 = st.columns(3)
    time = c1.selectbox(
        "Time column",
        times,
        index=times.index(layout.time_column),
        key=f"{key}.time",
        help="Dates or numbers that increase within each series.",
    )
    options = [None, *[c for c in dict.fromkeys([*guess.series_columns, *columns]) if c != time]]
    series = c2.selectbox(
        "Series column (one series per value)",
        options,
        index=options.index(layout.series_column) if layout.series_column in options else 0,
        format_func=lambda c: "none: one long series" if c is None else str(c),
        key=f"{key}.series",
    )
    suggestion = _suggestion(data, time, series)
    lags = int(
        c3.number_input(
            "Lags K (the maximum lag)",
            1,
            20,
            int(layout.lags or suggestion.lags),
            key=f"{key}.lags",
            help="Effects from up to K steps back are learned.",
        )
    )
    st.caption(md_escape(suggestion.reason) + (" You chose another K." if lags != suggestion.lags else ""))
    g1, g2 = st.columns([2, 1])
    gap = g1.radio(
        "Gaps and uneven steps",
        list(GAP_POLICIES),
        index=GAP_POLICIES.index(layout.gap_policy),
        format_func=GAP_WORDS.get,
        key=f"{key}.gap",
    )
    instantaneous = not g2.checkbox(
        "No instantaneous effects",
        value=not layout.instantaneous,
        key=f"{key}.no_instant",
        help="Only lagged effects: nothing at time t causes anything else at t.",
    )
    label = "Use as time series" if data.layout is None else "Apply the changes"
    if st.button(label, key=f"{key}.apply", type="primary" if data.layout is None else "secondary"):
        return TimeSeriesLayout(time, series, lags, gap, instantaneous)
    return None


def _suggestion(data: LoadedData, time: str, series: str | None) -> ts.LagSuggestion:
    try:
        return ts.suggest_lags(data, TimeSeriesLayout(time, series))
    except DeciError as exc:
        return ts.LagSuggestion(1, f"No suggestion for K ({exc}); K = 1 is a safe start.")


def _render_spacing(data: LoadedData) -> None:
    try:
        report = ts.spacing(data)
    except DeciError as exc:
        st.error(md_escape(str(exc)))
        return
    words = {
        "drop": "their windows are left out",
        "resample": "each series is resampled onto the step",
        "error": "discovery will stop until you choose",
    }[data.layout.gap_policy]
    if report.regular:
        st.success(md_escape("Spacing: " + report.sentence()))
    else:
        st.warning(md_escape(f"Spacing: {report.sentence()} As chosen, {words}."))


def render_series_charts(data: LoadedData) -> None:
    """Each variable over time (a few series), and its autocorrelation."""
    try:
        series = dict(ts.ordered_series(data.fit_table, data.layout)[:PLOTTED_SERIES])
        acf = ts.acf_frame(data)
    except DeciError as exc:
        st.error(md_escape(str(exc)))
        return
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            over_time_figure(series, data.layout, ts.variables(data, data.layout)), key="data.ts.over_time"
        )
    with right:
        n = max(len(data.fit_table), 1)
        st.plotly_chart(acf_figure(acf, 2 / np.sqrt(n), data.layout.lags), key="data.ts.acf")
        st.caption(
            "Autocorrelation, averaged over the series; the band is ±2/√n (no correlation). "
            "The dotted line marks K."
        )


def over_time_figure(
    series: dict[str, pd.DataFrame], layout: TimeSeriesLayout, names: list[str]
) -> go.Figure:
    """One panel per variable, one line per series (the first few)."""
    fig = make_subplots(
        rows=len(names),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        subplot_titles=[_e(n) for n in names],
    )
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    for i, name in enumerate(names, start=1):
        for k, (key, part) in enumerate(series.items()):
            fig.add_trace(
                go.Scatter(
                    x=part[layout.time_column],
                    y=part[name],
                    mode="lines",
                    name=_e(key),
                    line=dict(color=colors[k % len(colors)], width=1.3),
                    legendgroup=_e(key),
                    showlegend=i == 1,
                ),
                row=i,
                col=1,
            )
    fig.update_layout(
        title=f"Each variable over {_e(layout.time_column)} (first {len(series)} series)",
        height=140 + 150 * len(names),
        margin=dict(l=40, r=20, t=70, b=40),
    )
    return fig


def acf_figure(acf: pd.DataFrame, band: float, lags: int | None) -> go.Figure:
    fig = go.Figure()
    for name in acf.columns:
        fig.add_trace(go.Scatter(x=acf.index[1:], y=acf[name].iloc[1:], mode="lines+markers", name=_e(name)))
    fig.add_hrect(y0=-band, y1=band, fillcolor="grey", opacity=0.15, line_width=0)
    if lags:
        fig.add_vline(x=lags, line_dash="dot")
    fig.update_layout(
        title="Autocorrelation by lag",
        xaxis_title="lag",
        yaxis_title="autocorrelation",
        yaxis_range=[-1, 1],
        margin=dict(l=40, r=20, t=50, b=40),
    )
    return fig


def render_lag_constraints(state: AppState) -> None:
    """The Constraints page's per-lag tab: how the other constraints apply, and per-lag decisions."""
    layout = state.data.layout
    st.markdown(
        "On time series, a **forbidden** edge (and roots and leaves) holds at every lag; **tiers** order "
        "the variables within a time step, so they rule out instantaneous edges only. **Required** edges and "
        "**beliefs** are not supported on time series: require an edge at a lag here instead."
    )
    temporal = ts.get_temporal(state)
    names = ts.variables(state.data, layout)
    render_widget_editor(temporal, names, int(layout.lags or ts.MAX_LAGS), prefix="constraints.ts")
    if temporal.decisions:
        st.dataframe(
            pd.DataFrame(temporal.decisions, columns=["parent", "child", "lag", "decision"]),
            hide_index=True,
            key="constraints.ts.decisions",
        )
        if st.button("Undo the last change", key="constraints.ts.undo"):
            temporal.undo()
            st.rerun()
    for problem in ts.constraint_problems(state):
        st.error(md_escape(problem))
