"""Time series across the steps: the layout on the data, its lag suggestion, the layout a discovery
run uses (with the per-lag decisions), and the "what happens next" trajectory job.

No Streamlit here (the pages' widgets are in :mod:`ui.ts_view`). The engine does the work:
:func:`~deci_core.data.windows.guess_layout`, :func:`~deci_core.data.windows.default_lags`,
:func:`~deci_core.data.windows.spacing_report` and ``DECI.trajectory``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from deci_core.constraints import Constraints
from deci_core.data.schema import infer_schema
from deci_core.data.windows import (
    LayoutGuess,
    SpacingReport,
    TimeSeriesLayout,
    default_lags,
    guess_layout,
    ordered_series,
    spacing_report,
)
from deci_core.errors import ConstraintError
from deci_core.samples.timeseries import load_ts_sample
from deci_core.training.temporal import temporal_masks
from ui.data_state import LoadedData
from ui.jobs import Job, start_job
from ui.state import AppState
from ui.ts_state import TemporalState

SAMPLE_LAYOUT = ("week", "shop")  # the time-series samples' time and series columns
MAX_LAGS = 5  # the suggestion's cap (the engine's default_lags)
ACF_LAGS = 10


@dataclass(frozen=True)
class LagSuggestion:
    """K from the data's autocorrelation, and why, in words."""

    lags: int
    reason: str


def get_temporal(state: AppState) -> TemporalState:
    if state.temporal is None:
        state.temporal = TemporalState(None if state.data is None else state.data.fingerprint)
    return state.temporal


def guess(data: LoadedData) -> LayoutGuess:
    """Candidate time and series columns of the table as read."""
    return guess_layout(data.raw)


def variables(data: LoadedData, layout: TimeSeriesLayout) -> list[str]:
    """The modelled variables under ``layout`` (its own columns are never variables)."""
    return [n for n in data.schema.names if n not in layout.columns]


def suggest_lags(data: LoadedData, layout: TimeSeriesLayout) -> LagSuggestion:
    """The engine's default K, with the variable that sets it (continuous ones only)."""
    table = data.raw[list(dict.fromkeys([*variables(data, layout), *layout.columns]))]
    per = {
        n: default_lags(table, layout, [n], MAX_LAGS)
        for n in variables(data, layout)
        if pd.api.types.is_numeric_dtype(table[n])
    }
    if not per:
        return LagSuggestion(1, "K = 1: no continuous variable to read an autocorrelation from.")
    name = max(per, key=per.get)
    k = per[name]
    if k >= MAX_LAGS:
        why = f"the autocorrelation of '{name}' stays above half its lag-1 value to lag {MAX_LAGS} (the cap)"
    else:
        why = f"the autocorrelation of '{name}' falls below half its lag-1 value at lag {k}"
    return LagSuggestion(k, f"K = {k} suggested: {why} (the slowest-decaying variable sets K).")


def ts_sample_data(name: str) -> LoadedData:
    """A time-series sample, loaded with its layout on and K suggested from the data."""
    raw = load_ts_sample(name)
    data = LoadedData(name, raw, infer_schema(raw), source="sample")
    base = TimeSeriesLayout(SAMPLE_LAYOUT[0], SAMPLE_LAYOUT[1])
    return with_layout(data, replace(base, lags=min(2, suggest_lags(data, base).lags)))


def with_layout(data: LoadedData, layout: TimeSeriesLayout | None) -> LoadedData:
    """The same data read as time series under ``layout`` (None: rows independent again).

    Turning it off gives the time and series columns back the types inferred from the table.
    """
    if layout is None:
        if data.layout is None:
            return data
        inferred = infer_schema(data.raw)
        back = {c: inferred[c].type for c in data.layout.columns}
        return replace(data, layout=None, schema=data.schema.with_types(back, data.raw))
    return replace(data, layout=layout)


def spacing(data: LoadedData) -> SpacingReport:
    """How evenly the series are spaced (raises DataError on a bad time column or duplicates)."""
    layout = data.layout
    return spacing_report(ordered_series(data.fit_table, layout), layout.time_column)


def fit_layout(state: AppState) -> TimeSeriesLayout | None:
    """The layout a discovery run uses: the data's, with the session's per-lag decisions."""
    data = state.data
    if data is None or data.layout is None:
        return None
    temporal = state.temporal
    if temporal is None or not temporal.decisions:
        return data.layout
    return replace(
        data.layout,
        forbidden_lagged=temporal.lagged("forbid"),
        required_lagged=temporal.lagged("require"),
    )


def constraint_problems(state: AppState) -> list[str]:
    """Why a temporal run could not use the constraints and per-lag decisions (empty: it can)."""
    layout = fit_layout(state)
    if layout is None:
        return []
    names = variables(state.data, layout)
    try:
        temporal_masks(
            state.constraints or Constraints(),
            names,
            layout.lags or MAX_LAGS,
            layout.instantaneous,
            layout.forbidden_lagged,
            layout.required_lagged,
        )
    except ConstraintError as exc:
        return [str(exc)]
    return []


def step_status(state: AppState) -> dict[str, str]:
    """The sidebar's words for the Graph and Effects steps of a time-series session (empty otherwise)."""
    data, disc, temporal = state.data, state.discovery, state.temporal
    if data is None or data.layout is None or disc is None or disc.current_key(data.fingerprint) is None:
        return {}
    decided = len(temporal.decisions) if temporal else 0
    graph = f"temporal graph, K = {data.layout.lags}"
    out = {"Graph": graph + (f", {decided} decision(s)" if decided else "")}
    items = len(temporal.report_items) if temporal else 0
    if temporal is not None and (temporal.trajectory is not None or items):
        out["Effects"] = f"trajectory ready, {items} in the report" if items else "trajectory ready"
    return out


def acf_frame(data: LoadedData, max_lag: int = ACF_LAGS) -> pd.DataFrame:
    """Autocorrelation per continuous variable (mean over series, weighted by length): lag x variable."""
    series = ordered_series(data.fit_table, data.layout)
    out = {}
    for name in variables(data, data.layout):
        if not pd.api.types.is_float_dtype(data.fit_table[name]) and not pd.api.types.is_integer_dtype(
            data.fit_table[name]
        ):
            continue
        acf, weight = np.zeros(max_lag + 1), 0
        for _, part in series:
            v = part[name].to_numpy(dtype=float)
            v = v[~np.isnan(v)] - np.nanmean(v)
            if len(v) > max_lag + 2 and v.std() > 0:
                acf += np.array([1.0] + [v[:-k] @ v[k:] / (v @ v) for k in range(1, max_lag + 1)]) * len(v)
                weight += len(v)
        if weight:
            out[name] = acf / weight
    return pd.DataFrame(out, index=pd.RangeIndex(max_lag + 1, name="lag"))


def series_history(data: LoadedData, series: str, until: Any) -> pd.DataFrame:
    """One series' rows before time ``until``: a per-series what-if intervenes at ``until``."""
    layout = data.layout
    parts = dict(ordered_series(data.fit_table, layout))
    part = parts[str(series)]
    return part[part[layout.time_column] < until]


def start_trajectory(
    temporal: TemporalState,
    model: Any,
    query: dict[str, Any],
    settings: dict[str, Any],
    history: pd.DataFrame | None = None,
    start: str | None = None,
) -> Job:
    """Simulate Y's trajectory after do(X) in the background; the result lands in ``temporal``.

    ``query``: treatment, outcome, treatment_value, control_value (None: no intervention), horizon,
    hold. ``history``: one series' past (None: the training histories); ``start`` says which, in words.
    """
    temporal.message = None
    temporal.job = start_job(
        "simulating the trajectory",
        _trajectory,
        model=model,
        query=query,
        settings=settings,
        history=history,
        start=start,
    )
    return temporal.job


def _trajectory(*, report, should_stop, model, query, settings, history, start) -> dict[str, Any]:
    report(0.1, "simulating both arms on graphs drawn from the posterior")
    result = model.trajectory(**query, **settings, history=history)
    return {**result.to_dict(), "settings": settings, "start": start or "histories from the training data"}


def settle(temporal: TemporalState) -> None:
    """Adopt a finished trajectory job (result or message)."""
    job = temporal.job
    if job is None or not job.done:
        return
    if job.error:
        temporal.message = f"The trajectory failed: {job.error}"
    elif job.result is not None:
        temporal.trajectory = job.result
    temporal.job = None
