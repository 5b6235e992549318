"""Figures and result panels of the Effects page (plotly; user strings never rendered as HTML)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from deci_core.effects import CateCurve, EffectEstimate
from ui.effects_session import EffectResult


def arms_figure(result: EffectResult) -> go.Figure:
    est = result.estimate
    q = est.query
    fig = go.Figure()
    for arm, value in (("control", q.control_value), ("treated", q.treatment_value)):
        values = result.arms.loc[result.arms["arm"] == arm, "value"]
        fig.add_trace(go.Histogram(x=values, name=f"do({q.treatment} = {value})", opacity=0.6, nbinsx=50))
    label = f"P({q.outcome} = {q.outcome_level})" if est.outcome_discrete else q.outcome
    fig.update_layout(
        barmode="overlay",
        height=320,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title=label,
        yaxis_title="simulated units",
        title="Outcome under each intervention",
    )
    return fig


def graphs_figure(est: EffectEstimate) -> go.Figure:
    values, weights = np.asarray(est.per_graph), np.asarray(est.graph_weights)
    order = np.argsort(values)
    fig = go.Figure(
        go.Bar(
            x=[f"graph {i + 1}" for i in order],
            y=values[order],
            customdata=weights[order],
            hovertemplate="effect %{y:.4g}<br>share %{customdata:.0%}",
        )
    )
    fig.add_hline(y=est.value, line_dash="dash", annotation_text="estimate")
    fig.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=30, b=10),
        yaxis_title="effect",
        title="Effect on each distinct sampled graph",
    )
    return fig


def curve_figure(curve: CateCurve) -> go.Figure:
    x = [str(g) for g in curve.grid] if isinstance(curve.grid[0], str) else list(curve.grid)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=curve.upper_95, line=dict(width=0), showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=x, y=curve.lower_95, fill="tonexty", line=dict(width=0), name="95% interval", hoverinfo="skip"
        )
    )
    fig.add_trace(go.Scatter(x=x, y=list(curve.values), mode="lines+markers", name="conditional effect"))
    fig.update_layout(
        height=320,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title=curve.modifier,
        yaxis_title="effect",
        title=f"Effect by {curve.modifier}",
    )
    return fig


def result_card(result: EffectResult) -> None:
    est = result.estimate
    low, high = est.interval_95
    st.success(est.sentence())
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Estimate", f"{est.value:+.4g}")
    c2.metric("95% interval", f"{low:.3g} to {high:.3g}")
    c3.metric("Uncertainty from the graph", f"{est.graph_share:.0%}")
    c4.metric("Graphs / units per graph", f"{est.num_graphs} / {est.num_samples:,}")
    for note in est.notes:
        st.info(note)
    st.caption(f"{result.graph} Computed in {result.seconds:.1f} s (seed {est.seed}).")


def uncertainty_panel(est: EffectEstimate) -> None:
    shares = est.variance_shares
    st.plotly_chart(graphs_figure(est), key="effects.graphs_chart")
    st.dataframe(
        pd.DataFrame(
            {
                "source": ["not knowing the graph", "finite data (approx.)", "simulation"],
                "share of variance": [shares["graph"], shares["data"], shares["monte_carlo"]],
            }
        ),
        hide_index=True,
    )
    st.caption(
        "The graph part is the spread between graphs sampled from the posterior; the data part "
        "approximates the error of estimating the effect from this many rows."
    )


def cross_check_panel(result: EffectResult) -> None:
    if result.linear is None:
        st.info("The loaded data does not match the model's columns: no linear cross-check.")
        return
    lin, est = result.linear, result.estimate
    st.write(lin.sentence())
    overlap = not (lin.interval_95[1] < est.interval_95[0] or est.interval_95[1] < lin.interval_95[0])
    if overlap:
        st.caption("DECI and the linear regression agree within their intervals.")
    else:
        st.warning(
            "DECI and a linear regression disagree: the effect may be nonlinear or interact with "
            "other variables, or the DECI fit may be poor. Worth a closer look."
        )


def counterfactual_panel(cf: Any) -> None:
    level = f"P({cf.outcome} = {cf.outcome_level})" if cf.outcome_level is not None else cf.outcome
    setting = ", ".join(f"{k} = {v}" for k, v in cf.interventions.items())
    st.write(
        f"Had {setting}, {level} would have been {cf.value:.4g} "
        f"(95% across graphs {cf.interval_95[0]:.4g} to {cf.interval_95[1]:.4g}); "
        f"observed: {cf.factual}."
    )
    if cf.outcome_level is not None:
        st.caption(
            "Discrete variables: their noise is drawn from its posterior given the row "
            f"({cf.abduction_draws} draws averaged), so the answer is a probability."
        )
