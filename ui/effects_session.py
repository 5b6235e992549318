"""The work behind the Effects page (no widgets here); its state is :mod:`ui.effects_state`.

Estimates run in background jobs (:mod:`ui.jobs`); the page polls them.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from deci_core.data.schema import VariableType
from deci_core.effects import (
    CateCurve,
    Counterfactual,
    DoublyRobustResult,
    EffectEstimate,
    EffectQuery,
    EffectQueryError,
    LinearCheck,
    arm_samples,
    average_effect,
    cate_curve,
    counterfactual,
    doubly_robust,
    individual_effects,
)
from deci_core.effects.methods import training_rows
from deci_core.graph.dag import descendants
from ui.effects_state import EffectResult, EffectsState, report_item
from ui.graph_session import Model, effects_model_key
from ui.graph_session import model_for_effects as graph_model_for_effects
from ui.jobs import Job, start_job
from ui.state import AppState


def get_effects(state: AppState) -> EffectsState:
    if state.effects is None:
        state.effects = EffectsState()
    return state.effects


def model_for_effects(state: AppState) -> tuple[Model | None, str]:
    """The model to query and a line saying which (graph editor's choice, else the discovered one)."""
    return graph_model_for_effects(state)


def bind(state: AppState, effects: EffectsState) -> bool:
    """Drop live results made on other data or with another model (True if some were dropped)."""
    fingerprint = None if state.data is None else state.data.fingerprint
    return effects.bind(fingerprint, effects_model_key(state))


def units(state: AppState) -> dict[str, str]:
    """Variable -> unit as set on the Data page (only the variables that have one)."""
    return {} if state.data is None else state.data.schema.units


def data_table(state: AppState, model: Model) -> pd.DataFrame | None:
    """The loaded rows with every modeled column of ``model`` (None when they do not match)."""
    table = None if state.data is None else state.data.table
    if table is None or any(n not in table.columns for n in model.encoder_.names):
        return None
    return table


# ----- choices -------------------------------------------------------------------------------
def kind(model: Model, name: str) -> VariableType:
    return model.encoder_.spec(name).type


def levels(model: Model, name: str) -> list[Any]:
    return list(model.encoder_.spec(name).categories)


def default_values(model: Model, name: str, table: pd.DataFrame | None) -> tuple[Any, Any]:
    """(treatment, control) defaults: upper / lower quartile for continuous, second / first level."""
    if kind(model, name) is not VariableType.CONTINUOUS:
        cats = levels(model, name)
        return cats[1], cats[0]
    if table is not None:
        col = pd.to_numeric(table[name], errors="coerce").dropna()
        return _nice(col.quantile(0.75)), _nice(col.quantile(0.25))
    mean, std = model.encoder_.means[name], model.encoder_.stds[name]
    return _nice(mean + 0.674 * std), _nice(mean - 0.674 * std)


def what_if_default(observed: Any, treated: Any, control: Any) -> Any:
    """The what-if value offered for a row: the compared value the row does not already have (for a
    treated row the control value, and the other way round; for a number, the farther of the two)."""
    try:
        x = float(observed)
        return control if abs(x - float(treated)) <= abs(x - float(control)) else treated
    except (TypeError, ValueError):
        return control if str(observed) == str(treated) else treated


def rows_display(
    rows: pd.DataFrame, est: EffectEstimate, units: dict[str, str]
) -> tuple[pd.DataFrame, dict[str, str], str | None]:
    """The per-row table as shown, printf formats per column (numbers rounded, in their units; effects of
    a discrete outcome in percentage points), and a note. Interval columns that collapse to
    the effect (every sampled graph gives each row the same effect) dropped, with a note saying why."""
    shown, note = rows, None
    bounds = [c for c in ("lower_95", "upper_95") if c in rows]
    if bounds and len(rows) and all(np.allclose(rows[c], rows["effect"], rtol=1e-9, atol=0) for c in bounds):
        shown = rows.drop(columns=bounds)
        note = (
            "Per-row intervals are unavailable: every sampled graph gives each row the same effect, so "
            "the spread across graphs is zero, and it does not measure the uncertainty from the data."
        )
    scale, unit = (100.0, "pp") if est.outcome_discrete else (1.0, units.get(est.query.outcome, ""))
    shown = shown.copy()
    config: dict[str, str] = {}
    for column in ("effect", "lower_95", "upper_95"):
        if column in shown:
            shown[column] = shown[column] * scale
            config[column] = _number_format(shown[column], unit)
    for name, column_unit in units.items():
        if name in shown and pd.api.types.is_numeric_dtype(shown[name]):
            config[name] = _number_format(shown[name], column_unit)
    return shown, config, note


def _number_format(values: pd.Series, unit: str) -> str:
    """A printf format with about three significant digits (of the column's typical size) and its unit."""
    finite = pd.to_numeric(values, errors="coerce").abs().replace([np.inf], np.nan).dropna()
    typical = float(finite.median()) if len(finite) else 0.0
    decimals = 2 if typical <= 0 else int(min(max(0, 2 - np.floor(np.log10(typical))), 6))
    suffix = f" {unit}".replace("%", "%%") if unit else ""
    return f"%.{decimals}f{suffix}"


def modifier_range(model: Model, name: str, table: pd.DataFrame | None) -> tuple[float, float]:
    """A continuous variable's 1%..99% range in the data (or mean ± 2.5 sd from the encoder)."""
    if table is not None:
        col = pd.to_numeric(table[name], errors="coerce").dropna()
        return _nice(col.quantile(0.01)), _nice(col.quantile(0.99))
    mean, std = model.encoder_.means[name], model.encoder_.stds[name]
    return _nice(mean - 2.5 * std), _nice(mean + 2.5 * std)


def _nice(x: float) -> float:
    """Round to 3 significant digits, so defaults read like numbers people type."""
    if x == 0 or not np.isfinite(x):
        return 0.0
    return float(round(x, int(2 - np.floor(np.log10(abs(x))))))


def path_warning(model: Model, treatment: str, outcome: str, samples: int = 50) -> str | None:
    """A warning when the treatment has no directed path to the outcome in (most) graphs."""
    names = list(model.encoder_.names)
    t, y = names.index(treatment), names.index(outcome)
    posterior = model.graph_posterior_
    graphs = [posterior.most_probable(), *posterior.sample(samples, seed=0)]
    share = float(np.mean([descendants(g, t)[y] for g in graphs]))
    if share == 0:
        return (
            f"In the current graph {treatment} has no directed path to {outcome}: the effect is 0 by "
            "assumption. Pick another pair, or add the edge on the Graph page if you believe it exists."
        )
    if not descendants(graphs[0], t)[y]:
        return (
            f"The most probable graph has no directed path from {treatment} to {outcome} "
            f"(only {share:.0%} of sampled graphs do): expect an effect near 0."
        )
    return None


# ----- computations (run in background jobs) ---------------------------------------------------
def start_estimate(
    effects: EffectsState,
    model: Model,
    table: pd.DataFrame | None,
    description: str,
    query: dict[str, Any],
    settings: dict[str, Any],
) -> Job:
    effects.message, effects.message_ok = "", True
    effects.job = start_job(
        "estimating the effect",
        _estimate,
        model=model,
        table=table,
        description=description,
        query=query,
        settings=settings,
    )
    return effects.job


def _estimate(
    model: Model,
    table: pd.DataFrame | None,
    description: str,
    query: dict[str, Any],
    settings: dict[str, Any],
    report,
    should_stop,
) -> EffectResult | None:
    start = time.perf_counter()
    report(0.05, "simulating both arms over sampled graphs")
    rows = training_rows(model) or (len(table) if table is not None else None)
    question = EffectQuery(**query)
    simulation = {k: settings[k] for k in ("num_graphs", "num_samples", "seed")}
    est = average_effect(model, question, **simulation, data_rows=rows)
    if should_stop():
        return None
    if question.conditioning:  # a subgroup: the estimate alone
        return EffectResult(
            est, None, pd.DataFrame(columns=["arm", "value"]), description, time.perf_counter() - start
        )
    report(0.4, "outcome distributions")
    arms = arm_samples(model, question, num_graphs=settings["num_graphs"], seed=settings["seed"])
    report(0.5, "doubly robust estimate (EconML) on each graph's adjustment set")
    dr, dr_error, linear = None, None, None
    if table is not None:
        try:
            dr = doubly_robust(
                model,
                table,
                question,
                num_graphs=settings["num_graphs"],
                seed=settings["seed"],
                trim=settings.get("trim"),
            )
        except EffectQueryError as exc:
            dr_error = str(exc)
        linear = _linear_check(dr)
    elapsed = time.perf_counter() - start
    return EffectResult(est, linear, arms, description, elapsed, dr=dr, dr_error=dr_error)


def _linear_check(dr: DoublyRobustResult | None) -> LinearCheck | None:
    """The linear learner (LinearDML) of the DR result in the report's cross-check shape."""
    if dr is None or "linear" not in dr.learners:
        return None
    lin = dr.learners["linear"]
    return LinearCheck(
        lin.value,
        lin.std_error,
        dr.set_names[0] if dr.set_names else (),
        dr.num_rows,
        "EconML LinearDML (linear nuisances), mixed over the sampled graphs' adjustment sets",
    )


def start_subgroup(
    effects: EffectsState,
    model: Model,
    description: str,
    modifier: str,
    condition: Any,
    settings: dict[str, Any],
) -> Job:
    """The effect among units whose ``modifier`` matches ``condition`` (a (low, high) range or levels)."""
    q = effects.result.estimate.query
    query = {
        "treatment": q.treatment,
        "outcome": q.outcome,
        "treatment_value": q.treatment_value,
        "control_value": q.control_value,
        "outcome_level": q.outcome_level,
        "conditioning": {modifier: condition},
        "estimand": q.estimand,
    }
    subgroup_settings = {**settings, "num_samples": max(int(settings["num_samples"]), 20_000)}
    effects.subgroup_job = start_job(
        "estimating the effect in a subgroup",
        _estimate,
        model=model,
        table=None,
        description=description,
        query=query,
        settings=subgroup_settings,
    )
    return effects.subgroup_job


def _query_arguments(query: EffectQuery) -> dict[str, Any]:
    """The arms of an estimate's query, as keyword arguments for the effect functions."""
    names = ("treatment", "outcome", "treatment_value", "control_value", "outcome_level")
    return {name: getattr(query, name) for name in names}


def start_row_effects(
    effects: EffectsState, model: Model, table: pd.DataFrame, settings: dict[str, Any]
) -> Job:
    """Every loaded row's individual effect (abduction), for a targeting list."""
    q = effects.result.estimate.query
    effects.rows_job = start_job(
        "estimating every row's effect",
        _row_effects,
        model=model,
        table=table,
        query=_query_arguments(q),
        num_graphs=settings["num_graphs"],
        seed=settings["seed"],
    )
    return effects.rows_job


def _row_effects(
    model: Model, table: pd.DataFrame, query: dict[str, Any], num_graphs: int, seed: int, report, should_stop
) -> pd.DataFrame:
    report(0.1, f"abduction and both interventions for {len(table):,} rows")
    ite = individual_effects(model, table, EffectQuery(**query), num_graphs=num_graphs, seed=seed)
    rows = pd.concat([table.reset_index(drop=True), ite.table.reset_index(drop=True)], axis=1)
    if ite.outside_data is not None:  # the row's effect extrapolates beyond the data
        rows["outside_data"] = np.asarray(ite.outside_data, dtype=bool)
    return rows


def start_curve(effects: EffectsState, model: Model, modifier: str, settings: dict[str, Any]) -> Job:
    est = effects.result.estimate.query
    effects.curve_job = start_job(
        "computing the effect by subgroup",
        _curve,
        model=model,
        modifier=modifier,
        settings=settings,
        query=_query_arguments(est),
    )
    return effects.curve_job


def _curve(
    model: Model, modifier: str, query: dict[str, Any], settings: dict[str, Any], report, should_stop
) -> CateCurve:
    report(0.1, f"simulating and averaging by {modifier}")
    return cate_curve(
        model,
        EffectQuery(**query),
        modifier,
        num_graphs=settings["num_graphs"],
        seed=settings["seed"],
        data_rows=training_rows(model),
    )


def what_if(
    effects: EffectsState, model: Model, row: pd.DataFrame, name: str, value: Any, outcome: str
) -> Counterfactual:
    """The counterfactual for one row (fast: abduction on each distinct graph)."""
    effects.what_if = counterfactual(model, row, {name: value}, outcome, num_graphs=20, seed=0)
    return effects.what_if


# ----- the report --------------------------------------------------------------------------------
def add_to_report(
    effects: EffectsState, result: EffectResult, units: dict[str, str] | None = None
) -> dict[str, Any]:
    item = report_item(result, effects.data_fingerprint, units or {})
    effects.report_items.append(item)
    effects.reported.append(result)
    effects.message_ok = True
    effects.message = f"Added to the report ({len(effects.report_items)} estimate(s))."
    return item
