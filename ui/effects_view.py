"""Figures and result panels of the Effects page (plotly; user strings never rendered as HTML)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from deci_core.data.schema import VariableType
from deci_core.effects import CateCurve, Counterfactual, EffectEstimate
from ui import effects_session as fx
from ui.effect_words import amounts, effect_sentence, effect_unit, value_words
from ui.effects_state import EffectResult, EffectsState
from ui.errors import error_boundary
from ui.graph_session import Model
from ui.number_format import agreement, format_interval, format_number


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


def graphs_figure(est: EffectEstimate, unit: str = "") -> go.Figure:
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
        yaxis_title=f"effect ({unit})" if unit else "effect",
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


def result_card(result: EffectResult, units: dict[str, str]) -> None:
    est = result.estimate
    st.success(effect_sentence(est, units))
    text = amounts(est, units)
    c1, c2, c3, c4 = st.columns([1, 2, 1, 1])
    c1.metric("Estimate", text["value"])
    interval = text["interval"]
    c2.metric("95% interval", interval.removeprefix("95% interval ") if " to " in interval else "unavailable")
    if " to " not in interval:
        st.caption(interval)
    c3.metric("Uncertainty from the graph", f"{est.graph_share:.0%}")
    c4.metric("Graphs / units per graph", f"{est.num_graphs} / {est.num_samples:,}")
    for note in est.notes:
        st.info(note)
    st.caption(f"{result.graph} Computed in {result.seconds:.1f} s (seed {est.seed}).")


def uncertainty_panel(est: EffectEstimate, units: dict[str, str]) -> None:
    shares = est.variance_shares
    same = agreement(list(est.per_graph), sampled=est.num_graphs)
    scale, unit = effect_unit(est, units)
    if same:  # one giant bar says nothing: say it
        st.info(f"{same} ({amounts(est, units)['value']}): not knowing the graph adds no uncertainty.")
    else:
        st.plotly_chart(graphs_figure(est, unit if scale == 1 else ""), key="effects.graphs_chart")
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


def counterfactual_panel(cf: Counterfactual, units: dict[str, str]) -> None:
    level = f"P({cf.outcome} = {cf.outcome_level})" if cf.outcome_level is not None else cf.outcome
    unit = None if cf.outcome_level is not None else units.get(cf.outcome) or None
    setting = ", ".join(f"{k} = {value_words(v, units.get(k, ''))}" for k, v in cf.interventions.items())
    factual = value_words(cf.factual, unit or "")
    span = format_interval(*cf.interval_95, unit, what="95% across graphs", scale=abs(cf.value))
    value = format_number(cf.value, unit)
    st.write(f"Had {setting}, {level} would have been {value} ({span}); observed: {factual}.")
    if cf.level_probabilities:
        st.write(f"Most likely {cf.outcome} had it been so: {cf.most_likely}.")
        st.dataframe(
            pd.DataFrame(
                {"level": list(cf.level_probabilities), "probability": list(cf.level_probabilities.values())}
            ),
            hide_index=True,
        )
    if cf.outcome_level is not None:
        st.caption(
            "Discrete variables: their noise is drawn from its posterior given the row "
            f"({cf.abduction_draws} draws averaged), so the answer is a probability."
        )


def value_input(model: Model, label: str, name: str, default: Any, key: str, container: Any = st) -> Any:
    """A number box for a continuous variable, a level picker for a discrete one."""
    if fx.kind(model, name) is VariableType.CONTINUOUS:
        return container.number_input(label, value=float(default), key=key, format="%.4g")
    options = fx.levels(model, name)
    return container.selectbox(label, options, index=options.index(default), key=key)


def subgroup_tab(
    model: Model,
    effects: EffectsState,
    table: pd.DataFrame | None,
    settings: dict[str, Any],
    description: str,
    units: dict[str, str],
) -> None:
    """A CATE curve over one modifier, and the effect within one subgroup of it."""
    result, busy = effects.result, effects.running is not None
    q = result.estimate.query
    modifiers = [n for n in model.encoder_.names if n not in (q.treatment, q.outcome)]
    if not modifiers:
        st.info("No other variable to look at subgroups by.")
        return
    modifier = st.selectbox("Effect by", modifiers, key="effects.modifier")
    if st.button("Compute effect across its range", key="effects.curve", disabled=busy):
        with error_boundary("starting the subgroup curve"):
            fx.start_curve(effects, model, modifier, settings)
            st.rerun()
    if result.curve is not None:
        st.plotly_chart(curve_figure(result.curve), key="effects.curve_chart")
        st.caption(
            "Conditional effect: simulated units weighted by how close their "
            f"{result.curve.modifier} is to each value (kernel average). Sparse regions are noisy."
        )
    if fx.kind(model, modifier) is VariableType.CONTINUOUS:
        low, high = fx.modifier_range(model, modifier, table)
        condition = st.slider(
            f"Subgroup: {modifier} between",
            low,
            high,
            (low, (low + high) / 2),
            key=f"effects.sub_range.{modifier}",
        )
    else:
        levels = fx.levels(model, modifier)
        condition = st.multiselect(
            f"Subgroup: {modifier} is", levels, levels[:1], key=f"effects.sub_levels.{modifier}"
        )
    if st.button("Estimate for this subgroup", key="effects.sub_run", disabled=busy or not condition):
        with error_boundary("starting the subgroup estimate"):
            fx.start_subgroup(effects, model, description, modifier, condition, settings)
            st.rerun()
    if effects.subgroup is not None:
        st.success(effect_sentence(effects.subgroup.estimate, units))
        for note in effects.subgroup.estimate.notes:
            st.info(note)
        if st.button("Add this subgroup estimate to the report", key="effects.sub_add"):
            fx.add_to_report(effects, effects.subgroup, units)
            st.rerun()


def what_if_tab(
    model: Model, effects: EffectsState, table: pd.DataFrame | None, units: dict[str, str]
) -> None:
    """Counterfactual for one row of the loaded data; the change offered is one that does something."""
    if table is None:
        st.info("Load the data the model was fitted on to ask about one of its rows.")
        return
    q = effects.result.estimate.query
    row = int(st.number_input("Row", 0, len(table) - 1, 0, key="effects.cf_row"))
    st.dataframe(table.iloc[[row]], hide_index=True)
    default = fx.what_if_default(table.iloc[row][q.treatment], q.treatment_value, q.control_value)
    label = f"Had {q.treatment} been" + (f" ({units[q.treatment]})" if units.get(q.treatment) else "")
    value = value_input(model, label, q.treatment, default, f"effects.cf_value.{row}")
    if st.button("Compute what-if", key="effects.cf_run"):
        with error_boundary("computing the what-if"):
            fx.what_if(effects, model, table.iloc[[row]], q.treatment, value, q.outcome)
    if effects.what_if is not None:
        counterfactual_panel(effects.what_if, units)


def rows_tab(
    model: Model, effects: EffectsState, table: pd.DataFrame | None, settings: dict[str, Any],
    units: dict[str, str],
) -> None:
    """Each row's own effect (given all its values), sortable and downloadable as a targeting list."""
    if table is None:
        st.info("Load the data the model was fitted on to estimate each row's effect.")
        return
    st.caption(
        "Each row's effect given everything observed about it (its noise is recovered, then both "
        "interventions are applied); the interval is the spread across sampled graphs."
    )
    if st.button("Estimate every row's effect", key="effects.rows_run", disabled=effects.running is not None):
        with error_boundary("starting the row effects"):
            fx.start_row_effects(effects, model, table, settings)
            st.rerun()
    if effects.rows is not None:
        rows = effects.rows.sort_values("effect", ascending=False)
        if "outside_data" in rows and rows["outside_data"].any():
            st.warning(
                f"{rows['outside_data'].mean():.0%} of rows would need the treatment at a value the data "
                "rarely shows for rows like them (column outside_data): their effects are extrapolations."
            )
        shown, formats, note = fx.rows_display(rows, effects.result.estimate, units)
        if note:
            st.info(note)
        config = {c: st.column_config.NumberColumn(c, format=f) for c, f in formats.items()}
        st.dataframe(shown.head(200), hide_index=False, column_config=config)
        st.download_button(
            "Download all rows with their effects (CSV)",
            rows.to_csv(index_label="row"),
            file_name="individual_effects.csv",
            mime="text/csv",
            key="effects.rows_download",
        )
