"""The Effects page for a temporal model: intervene on X at time t (once, or held for H steps) and see
Y's trajectory over the next H steps versus no intervention (or another value), averaged over the
graph posterior with 95% intervals; from the training histories or one series at a chosen time.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from deci_core.data.schema import VariableType
from ui import ts_session as ts
from ui.errors import error_boundary
from ui.state import AppState
from ui.ts_state import TemporalState

_AVERAGE = "the training data (histories drawn from every series)"


def _e(text: object) -> str:
    return html.escape(str(text))


def render(state: AppState, model) -> None:
    temporal = ts.get_temporal(state)
    ts.settle(temporal)
    names = list(model.encoder_.names)
    c1, c2 = st.columns(2)
    treatment = c1.selectbox("Intervene on", names, key="effects.ts.treatment")
    outcome = c2.selectbox("Follow", names, index=len(names) - 1, key="effects.ts.outcome")
    a_default, b_default = _defaults(model, treatment)
    c1, c2, c3 = st.columns(3)
    a = _value(model, treatment, f"Set {treatment} to", a_default, f"effects.ts.a.{treatment}", c1)
    compare = c2.radio("Compare with", ["no intervention", "another value"], key="effects.ts.compare")
    b = (
        _value(model, treatment, "instead of", b_default, f"effects.ts.b.{treatment}", c3)
        if (compare == "another value")
        else None
    )
    c1, c2 = st.columns(2)
    horizon = c1.slider("Steps to follow (H)", 1, 30, 10, key="effects.ts.horizon")
    hold = (
        c2.radio(
            "The intervention",
            ["once, at step 0", "held for all H steps"],
            key="effects.ts.hold",
            horizontal=True,
        )
        != "once, at step 0"
    )
    history, start = _start_widgets(state)
    with st.expander("Settings"):
        s1, s2, s3 = st.columns(3)
        settings = {
            "num_graphs": s1.slider("Graphs sampled", 1, 50, 10, key="effects.ts.num_graphs"),
            "num_samples": s2.select_slider(
                "Simulated units per graph", [200, 500, 1000, 2000], 500, key="effects.ts.num_samples"
            ),
            "seed": int(s3.number_input("Seed", 0, 10**6, 0, key="effects.ts.seed")),
        }
    query = {
        "treatment": treatment,
        "outcome": outcome,
        "treatment_value": a,
        "control_value": b,
        "horizon": int(horizon),
        "hold": hold,
    }
    if st.button(
        "Simulate the trajectory", type="primary", key="effects.ts.run", disabled=temporal.job is not None
    ):
        with error_boundary("starting the simulation"):
            ts.start_trajectory(temporal, model, query, settings, history, start)
    st.fragment(_monitor, run_every=0.5 if temporal.job is not None else None)(temporal)
    if temporal.message:
        st.error(temporal.message)
    result = temporal.trajectory
    if result is not None:
        render_result(result)
        if st.button("Add to report", key="effects.ts.add"):
            temporal.report_items.append(dict(result))
            st.rerun()
    if temporal.report_items:
        st.caption(f"{len(temporal.report_items)} trajectory(ies) added to the report.")


def _monitor(temporal: TemporalState) -> None:
    job = temporal.job
    if job is None:
        return
    if job.done:
        st.rerun()
    st.progress(job.progress, text=job.message)
    if st.button("Cancel", key="effects.ts.cancel"):
        job.cancel()


def _defaults(model, name: str) -> tuple[Any, Any]:
    spec = model.encoder_.spec(name)
    if spec.type is VariableType.CONTINUOUS:
        mean, sd = model.encoder_.means[name], model.encoder_.stds[name]
        return _round(mean + sd), _round(mean)
    levels = list(spec.categories)
    return levels[-1], levels[0]


def _round(x: float) -> float:
    return float(f"{x:.3g}")


def _value(model, name: str, label: str, default: Any, key: str, where) -> Any:
    spec = model.encoder_.spec(name)
    if spec.type is VariableType.CONTINUOUS:
        return float(where.number_input(label, value=float(default), key=key))
    levels = list(spec.categories)
    return where.selectbox(label, levels, index=levels.index(default), key=key)


def _start_widgets(state: AppState) -> tuple[pd.DataFrame | None, str | None]:
    """Start from the training histories, or from one series at a chosen time (a per-series what-if)."""
    data = state.data
    if data is None or data.layout is None:
        return None, None
    mode = st.radio(
        "Start from",
        ["the training data", "one series at a chosen time"],
        horizontal=True,
        key="effects.ts.start",
    )
    if mode == "the training data":
        return None, _AVERAGE
    series = dict(ts.ordered_series(data.fit_table, data.layout))
    c1, c2 = st.columns(2)
    name = c1.selectbox("Series", list(series), key="effects.ts.series")
    times = list(series[name][data.layout.time_column])
    k = max(1, data.layout.lags or 1)
    when = c2.selectbox(
        f"Intervene at {data.layout.time_column}",
        times[k:],
        index=min(len(times) - k - 1, len(times) // 2),
        key="effects.ts.when",
    )
    return ts.series_history(
        data, name, when
    ), f"series {name}, intervening at {data.layout.time_column} {when}"


def render_result(result: dict[str, Any]) -> None:
    """The trajectory (sentence, two plots, table) under one keyed container."""
    with st.container(key="effects-ts-result"):
        st.subheader("What happens next")
        st.caption(_e(sentence(result)))
        left, right = st.columns(2)
        left.plotly_chart(arms_figure(result), key="effects.ts.arms")
        right.plotly_chart(effect_figure(result), key="effects.ts.effect")
        st.dataframe(frame(result), hide_index=True, key="effects.ts.table")


def frame(result: dict[str, Any]) -> pd.DataFrame:
    lo, hi = zip(*result["interval_95_by_step"], strict=True)
    return pd.DataFrame(
        {
            "step": range(result["horizon"] + 1),
            "effect": result["estimate_by_step"],
            "lower_95": lo,
            "upper_95": hi,
            "with intervention": result["treated_by_step"],
            "without" if result["control_value"] is None else "control": result["control_by_step"],
        }
    )


def sentence(result: dict[str, Any]) -> str:
    how = f"held for {result['horizon'] + 1} steps" if result["hold"] else "once, at step 0"
    other = (
        "no intervention"
        if result["control_value"] is None
        else f"{result['treatment']} = {result['control_value']}"
    )
    peak = max(range(len(result["estimate_by_step"])), key=lambda i: abs(result["estimate_by_step"][i]))
    lo, hi = result["interval_95_by_step"][peak]
    return (
        f"Setting {result['treatment']} = {result['treatment_value']} ({how}) versus {other}: the "
        f"largest change in {result['outcome']} is {result['estimate_by_step'][peak]:+.3g} at step {peak} "
        f"(95% interval {lo:+.3g} to {hi:+.3g}), averaged over {result['num_graphs']} graphs from the "
        f"posterior, starting from {result.get('start') or _AVERAGE}."
    )


def arms_figure(result: dict[str, Any]) -> go.Figure:
    steps = list(range(result["horizon"] + 1))
    other = (
        "no intervention"
        if result["control_value"] is None
        else f"{result['treatment']} = {result['control_value']}"
    )
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=result["treated_by_step"],
            mode="lines+markers",
            name=_e(f"{result['treatment']} = {result['treatment_value']}"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=steps, y=result["control_by_step"], mode="lines+markers", name=_e(other), line=dict(dash="dash")
        )
    )
    fig.update_layout(
        title=_e(f"{result['outcome']} over the next {result['horizon']} steps"),
        xaxis_title="steps after the intervention",
        yaxis_title=_e(result["outcome"]),
        margin=dict(l=40, r=20, t=50, b=40),
    )
    return fig


def effect_figure(result: dict[str, Any]) -> go.Figure:
    """The per-step effect with its 95% band."""
    steps = list(range(result["horizon"] + 1))
    lo, hi = zip(*result["interval_95_by_step"], strict=True)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=steps + steps[::-1],
            y=list(hi) + list(lo)[::-1],
            fill="toself",
            fillcolor="rgba(31,119,180,0.2)",
            line=dict(width=0),
            name="95% interval",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=result["estimate_by_step"],
            mode="lines+markers",
            name="effect",
            line=dict(color="#1f77b4"),
        )
    )
    fig.add_hline(y=0, line_dash="dot", line_color="grey")
    fig.update_layout(
        title=_e(f"Effect on {result['outcome']} by step"),
        xaxis_title="steps after the intervention",
        yaxis_title="difference",
        margin=dict(l=40, r=20, t=50, b=40),
    )
    return fig
