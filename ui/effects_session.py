"""The Effects step's state and the work behind the Effects page (no widgets here).

:class:`EffectsState` hangs off ``state.effects``: the chosen treatment and outcome (the graph editor
highlights them), the latest result, and ``report_items`` — plain JSON dicts the report renders:
``{"id", "kind", "estimate": EffectEstimate.to_dict(), "sentence", "linear_check": LinearCheck.to_dict()
| None, "cate_curve": CateCurve.to_dict() | None, "graph": description, "added_at"}``.

Estimates run in background jobs (:mod:`ui.jobs`); the page polls them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from deci_core.data.schema import VariableType
from deci_core.effects import (
    CateCurve,
    Counterfactual,
    EffectEstimate,
    EffectQuery,
    LinearCheck,
    arm_samples,
    average_effect,
    cate_curve,
    counterfactual,
    individual_effects,
    linear_backdoor,
)
from deci_core.effects.methods import training_rows
from deci_core.graph.dag import descendants
from ui.jobs import Job, start_job


@dataclass
class EffectResult:
    """One computed estimate and what the page shows next to it."""

    estimate: EffectEstimate
    linear: LinearCheck | None
    arms: pd.DataFrame
    graph: str
    seconds: float
    curve: CateCurve | None = None


@dataclass
class EffectsState:
    """What the Effects page keeps between reruns and page switches."""

    treatment: str | None = None
    outcome: str | None = None
    result: EffectResult | None = None
    job: Job | None = None
    curve_job: Job | None = None
    subgroup: EffectResult | None = None
    subgroup_job: Job | None = None
    rows: pd.DataFrame | None = None  # the loaded rows with effect, lower_95, upper_95 columns
    rows_job: Job | None = None
    what_if: Counterfactual | None = None
    report_items: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    message_ok: bool = True

    def status(self) -> str | None:
        parts = []
        if self.treatment and self.outcome:
            parts.append(f"{self.treatment} → {self.outcome}")
        if self.report_items:
            parts.append(f"{len(self.report_items)} estimate(s) in the report")
        return "; ".join(parts) or None

    @property
    def running(self) -> Job | None:
        """The job in progress, if any (one at a time)."""
        return self.job or self.curve_job or self.subgroup_job or self.rows_job

    def settle(self) -> None:
        """Take finished jobs' results (called on every page run)."""
        if self.rows_job is not None and self.rows_job.done:
            self.rows = self.rows_job.result if self.rows_job.result is not None else self.rows
            if self.rows_job.error:
                self.message, self.message_ok = self.rows_job.error, False
            self.rows_job = None
        if self.subgroup_job is not None and self.subgroup_job.done:
            self.subgroup = self.subgroup_job.result or self.subgroup
            if self.subgroup_job.error:
                self.message, self.message_ok = self.subgroup_job.error, False
            self.subgroup_job = None
        if self.job is not None and self.job.done:
            if self.job.result is not None:
                self.result, self.subgroup, self.rows = self.job.result, None, None
            self.message, self.message_ok = self.job.error or "", self.job.error is None
            self.job = None
        if self.curve_job is not None and self.curve_job.done:
            if self.curve_job.result is not None and self.result is not None:
                self.result.curve = self.curve_job.result
            if self.curve_job.error:
                self.message, self.message_ok = self.curve_job.error, False
            self.curve_job = None


def get_effects(state: Any) -> EffectsState:
    if not isinstance(state.effects, EffectsState):
        previous = getattr(state.effects, "report_items", None) or []
        state.effects = EffectsState(report_items=list(previous))
    return state.effects


def model_for_effects(state: Any) -> tuple[Any, str]:
    """The model to query and a line saying which (graph editor's choice, else the discovered one)."""
    try:
        from ui.graph_session import model_for_effects as choose
    except ImportError:
        choose = None
    if choose is not None:
        return choose(state)
    try:
        from ui.discovery import current_model
    except ImportError:
        return None, "No model yet: run discovery first."
    model = current_model(state)
    return model, "The discovered model." if model is not None else "No model yet: run discovery first."


def data_table(state: Any, model: Any) -> pd.DataFrame | None:
    """The loaded rows with every modeled column of ``model`` (None when they do not match)."""
    data = getattr(state, "data", None)
    table = getattr(data, "table", None)
    if table is None or any(n not in table.columns for n in model.encoder_.names):
        return None
    return table


# ----- choices -------------------------------------------------------------------------------
def kind(model: Any, name: str) -> VariableType:
    return model.encoder_.spec(name).type


def levels(model: Any, name: str) -> list[Any]:
    return list(model.encoder_.spec(name).categories)


def default_values(model: Any, name: str, table: pd.DataFrame | None) -> tuple[Any, Any]:
    """(treatment, control) defaults: upper / lower quartile for continuous, second / first level."""
    if kind(model, name) is not VariableType.CONTINUOUS:
        cats = levels(model, name)
        return cats[1], cats[0]
    if table is not None:
        col = pd.to_numeric(table[name], errors="coerce").dropna()
        return _nice(col.quantile(0.75)), _nice(col.quantile(0.25))
    mean, std = model.encoder_.means[name], model.encoder_.stds[name]
    return _nice(mean + 0.674 * std), _nice(mean - 0.674 * std)


def modifier_range(model: Any, name: str, table: pd.DataFrame | None) -> tuple[float, float]:
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


def path_warning(model: Any, treatment: str, outcome: str, samples: int = 50) -> str | None:
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
    model: Any,
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
    model: Any,
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
    est = average_effect(model, question, **settings, data_rows=rows)
    if should_stop():
        return None
    if query.get("conditioning"):  # a subgroup: the estimate alone
        return EffectResult(
            est, None, pd.DataFrame(columns=["arm", "value"]), description, time.perf_counter() - start
        )
    report(0.6, "outcome distributions")
    arms = arm_samples(model, question, num_graphs=settings["num_graphs"], seed=settings["seed"])
    report(0.85, "linear cross-check")
    linear = None
    if table is not None:
        adj = model.graph_posterior_.most_probable()
        linear = linear_backdoor(table, model.encoder_, adj, question)
    return EffectResult(est, linear, arms, description, time.perf_counter() - start)


def start_subgroup(
    effects: EffectsState,
    model: Any,
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


def _query_arguments(query: Any) -> dict[str, Any]:
    """The arms of an estimate's query, as keyword arguments for the effect functions."""
    names = ("treatment", "outcome", "treatment_value", "control_value", "outcome_level")
    return {name: getattr(query, name) for name in names}


def start_row_effects(
    effects: EffectsState, model: Any, table: pd.DataFrame, settings: dict[str, Any]
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
    model: Any, table: pd.DataFrame, query: dict[str, Any], num_graphs: int, seed: int, report, should_stop
) -> pd.DataFrame:
    report(0.1, f"abduction and both interventions for {len(table):,} rows")
    ite = individual_effects(model, table, EffectQuery(**query), num_graphs=num_graphs, seed=seed)
    rows = pd.concat([table.reset_index(drop=True), ite.table.reset_index(drop=True)], axis=1)
    if ite.outside_data is not None:  # the row's effect extrapolates beyond the data
        rows["outside_data"] = np.asarray(ite.outside_data, dtype=bool)
    return rows


def start_curve(effects: EffectsState, model: Any, modifier: str, settings: dict[str, Any]) -> Job:
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
    model: Any, modifier: str, query: dict[str, Any], settings: dict[str, Any], report, should_stop
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
    effects: EffectsState, model: Any, row: pd.DataFrame, name: str, value: Any, outcome: str
) -> Counterfactual:
    """The counterfactual for one row (fast: abduction on each distinct graph)."""
    effects.what_if = counterfactual(model, row, {name: value}, outcome, num_graphs=20, seed=0)
    return effects.what_if


# ----- the report --------------------------------------------------------------------------------
def report_item(result: EffectResult) -> dict[str, Any]:
    est = result.estimate
    return {
        "id": f"estimate-{int(time.time() * 1000) % 10**10}",
        "kind": "cate" if est.query.conditioning else "ate",
        "estimate": est.to_dict(),
        "sentence": est.sentence(),
        "linear_check": result.linear.to_dict() if result.linear else None,
        "cate_curve": result.curve.to_dict() if result.curve else None,
        "graph": result.graph,
        "added_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def add_to_report(effects: EffectsState, result: EffectResult) -> dict[str, Any]:
    item = report_item(result)
    effects.report_items.append(item)
    effects.message_ok = True
    effects.message = f"Added to the report ({len(effects.report_items)} estimate(s))."
    return item
