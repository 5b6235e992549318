"""The Discover step: settings, the background training job, the current run, and the run history.

Training runs in a worker (``ui.jobs``) that never calls Streamlit: it fits ``DECI``, reports
progress through a callback, and on success puts the model in the model store; the page only
learns the store key. A cancelled run returns "stop" from the callback, so ``fit`` raises
``FitCancelled`` and nothing is stored. Other pages use :func:`current_model` / :func:`current_run`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from dataclasses import replace
from typing import Any

from deci_core.config import PRESETS, ModelConfig, TrainingConfig, time_budget
from deci_core.constraints import Constraints
from deci_core.data.windows import TimeSeriesLayout
from deci_core.errors import ModelFileError
from deci_core.model import DECI
from deci_core.training.callbacks import STOP, FitProgress
from ui.discovery_state import DiscoveryState
from ui.jobs import start_job
from ui.model_store import ModelStore, get_store, model_key
from ui.progress_words import progress_words
from ui.state import AppState
from ui.ts_session import fit_layout

PRESET_LABELS = {
    "quick": "Quick: a first look",
    "standard": "Standard",
    "thorough": "Thorough: a final answer",
}
# Always contains the engine's default, whatever it is tuned to.
SPARSITY_LEVELS = tuple(sorted({0.25, 0.5, 1.0, 2.0, 4.0, 8.0, ModelConfig.sparsity}))  # x BIC's ½·log n
# Seconds per training step on a 2-core CPU, one torch thread (bench/RESULTS.md: 4 ms at d = 5,
# 7.5 ms at d = 10, 12 ms at d = 20, 30 ms at d = 50); minibatches are drawn with replacement, so
# the table's size does not enter. Plus a few seconds to start (encoding, model set-up).
_STEP_SECONDS_BASE, _STEP_SECONDS_PER_VARIABLE, _START_SECONDS = 0.0015, 0.00057, 3.0
# The graph refinement after training fits about one candidate per ordered pair of variables first
# (~0.06 s each, bench/RESULTS.md), then a few per move; it stays within the time budget.
_REFINE_SECONDS_PER_PAIR = 0.1


def get_discovery(state: AppState) -> DiscoveryState:
    if state.discovery is None:
        state.discovery = DiscoveryState()
    return state.discovery


def step_seconds(training: TrainingConfig, variables: int) -> tuple[float, float]:
    """(seconds per training step, seconds of graph refinement) as benchmarked on an idle machine."""
    per_step = _STEP_SECONDS_BASE + _STEP_SECONDS_PER_VARIABLE * variables
    refine = _REFINE_SECONDS_PER_PAIR * variables * (variables - 1) if training.refine else 0.0
    return per_step, refine


def estimate_seconds(training: TrainingConfig, variables: int, slowdown: float = 1.0) -> float:
    """Rough time: start-up, steps × seconds per step, then the graph refinement; capped by the budget.

    An upper estimate: training often stops earlier, once the edge probabilities settle. ``slowdown``
    is measured over benchmarked seconds per step in this session's last run (1: as benchmarked).
    """
    per_step, refine = step_seconds(training, variables)
    predicted = (training.steps * per_step + refine) * slowdown
    return _START_SECONDS + min(time_budget(training, variables), predicted)


def preset_estimates(variables: int, slowdown: float = 1.0) -> dict[str, float]:
    return {name: estimate_seconds(TrainingConfig(preset=name), variables, slowdown) for name in PRESETS}


def run_key_for(state: AppState) -> str:
    """The store key of the current data, constraints and settings."""
    data = state.data
    model, training = get_discovery(state).settings.configs(data.missing_policy)
    layout = fit_layout(state)  # time series: the data's layout with the per-lag decisions
    fingerprint = data.fingerprint if layout is None else f"{data.fingerprint}:{_layout_hash(layout)}"
    return model_key(fingerprint, data.schema, state.constraints or Constraints(), model, training)


def _layout_hash(layout: TimeSeriesLayout) -> str:
    return hashlib.sha256(json.dumps(layout.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def start_discovery(state: AppState, store: ModelStore | None = None) -> str:
    """Load the model for these settings from the store if present, else start training.

    Returns:
        "loaded" (the same settings were run before) or "started".
    """
    store = store or get_store()
    disc = get_discovery(state)
    key = run_key_for(state)
    data = state.data
    warning = None
    if store.contains(key):
        try:
            store.get(key)
        except ModelFileError as exc:  # rejected, never loaded: discard it and train again
            store.forget(key)
            warning = f"{exc} It was discarded; training again."
        else:
            disc.run_key, disc.run_fingerprint = key, data.fingerprint
            disc.notice = ("success", "Loaded instantly: these settings were run before.")
            return "loaded"
    model_config, training_config = disc.settings.configs(data.missing_policy)
    disc.job = start_job(
        "training the model",
        train_and_store,
        table=data.fit_table,
        schema=data.schema,
        constraints=state.constraints or Constraints(),
        model_config=model_config,
        training_config=training_config,
        store=store,
        key=key,
        time_series=fit_layout(state),
        run_info={
            "data_name": data.name,
            "data_fingerprint": data.fingerprint,
            "preset": disc.settings.preset,
        },
    )
    disc.job_key, disc.notice = key, ("warning", warning) if warning else None
    return "started"


def train_and_store(
    *, report, should_stop, table, schema, constraints, model_config, training_config, store, key, run_info,
    time_series=None,
) -> tuple[str, str]:
    """The worker: fit, then save to the store. Never calls Streamlit. Returns (key, data fingerprint)."""
    started = time.time()
    model = DECI(model_config, training_config).fit(
        table,
        constraints=constraints,
        schema=schema,
        callbacks=[_progress_reporter(report, should_stop, training_config, len(schema.names))],
        time_series=time_series,
    )
    report(1.0, "saving the model")
    store.put(key, model, _run_record(model, table, run_info, started))
    return key, run_info["data_fingerprint"]


def _progress_reporter(report, should_stop, training_config: TrainingConfig, variables: int):
    """The engine callback of a worker: progress to the job, "stop" once cancelled.

    Each progress payload carries what the time-left words need (:mod:`ui.progress_words`): the step
    budget, the time budget, the benchmarked seconds per step and of the refinement.
    """
    per_step, refine_s = step_seconds(training_config, variables)
    budget_s = time_budget(training_config, variables)
    reports: list[dict[str, Any]] = []
    refine_start: list[float] = []

    def on_progress(p: FitProgress) -> str | None:
        fraction = max(p.step / max(p.max_steps, 1), p.elapsed_s / max(p.elapsed_s + p.eta_s, 1e-9))
        if p.phase == "refining" and not refine_start:
            refine_start.append(p.elapsed_s)
        payload = dict(
            step=p.step,
            max_steps=p.max_steps,
            max_seconds=budget_s,
            phase=p.phase,
            predicted_step_s=per_step,
            refine_s=refine_s,
            refine_elapsed_s=p.elapsed_s - refine_start[0] if refine_start else 0.0,
            objective=p.objective,
            acyclicity=p.acyclicity,
            num_edges=p.num_edges,
            elapsed_s=p.elapsed_s,
            eta_s=p.eta_s,
        )
        reports.append(payload)
        probs = None if p.edge_probs is None else p.edge_probs.copy()
        report(fraction, progress_words(reports), **payload, edge_probs=probs)
        return STOP if should_stop() else None

    return on_progress


def _run_record(model: DECI, table, run_info: dict[str, Any], started: float) -> dict[str, Any]:
    posterior = model.graph_posterior_
    return {
        **run_info,
        "kind": "discovery",
        "started": started,
        "rows": int(len(table)),
        "names": list(posterior.names),
        "model_config": model.model_config.to_dict(),
        "training_config": model.training_config.to_dict(),
        "constraints": model.constraints_.to_dict(),
        "summary": model.fit_summary_.to_dict(),
        **_graph_record(model),
    }


def can_continue(state: AppState, store: ModelStore | None = None) -> bool:
    """Whether the current run kept a training state that :func:`continue_discovery` can resume."""
    run = current_run(state, store)
    if run is None or state.discovery.running:
        return False
    return getattr(current_model(state, store), "training_state_", None) is not None


def continue_discovery(state: AppState, store: ModelStore | None = None) -> None:
    """Continue the current run's training from its stored state (not from scratch), in the background.

    It trains for the step and time budget the settings now give (the preset's, or the ones typed
    in), once more. The continued model is stored as a new run (its training config is the longer
    fit's) and becomes the current one when the job ends.
    """
    store = store or get_store()
    disc = get_discovery(state)
    data = state.data
    model = copy.deepcopy(current_model(state, store))  # the store's models are shared: never mutate
    run = current_run(state, store) or {}
    extra = disc.settings.configs(data.missing_policy)[1]  # the budget chosen now, once more
    longer = replace(
        model.training_config,
        max_steps=model.training_state_.step + extra.steps,
        max_seconds=model.training_state_.elapsed_s + extra.seconds,
    )
    key = model_key(data.fingerprint, data.schema, model.constraints_, model.model_config, longer)
    run_info = {
        "data_name": data.name,
        "data_fingerprint": data.fingerprint,
        "preset": run.get("preset", longer.preset),
        "continued_from": disc.run_key,
    }
    disc.job = start_job(
        "continuing the training", continue_and_store, model=model, table=data.table, store=store,
        key=key, run_info=run_info, extra=extra,
    )
    disc.job_key, disc.notice = key, None


def continue_and_store(*, report, should_stop, model, table, store, key, run_info, extra) -> tuple[str, str]:
    """The worker of :func:`continue_discovery`. Never calls Streamlit."""
    started = time.time()
    callbacks = [_progress_reporter(report, should_stop, model.training_config, len(model.encoder_.names))]
    model.continue_fit(table, extra.steps, extra.seconds, callbacks=callbacks)
    report(1.0, "saving the model")
    store.put(key, model, _run_record(model, table, run_info, started))
    return key, run_info["data_fingerprint"]


def _graph_record(model: DECI) -> dict[str, Any]:
    """The run's edges: (parent, child, p) and the probabilities; a temporal run adds its lags."""
    posterior = model.graph_posterior_
    if not model.is_temporal:
        return {"edges": [[a, b, p] for a, b, p in posterior.edges()], "edge_probs": posterior.probs.tolist()}
    summary, best = posterior.edge_probs, {}
    for a, b, _, p in posterior.edges():  # the summary graph: a pair once, at its most probable lag
        best[(a, b)] = max(p, best.get((a, b), 0.0))
    return {
        "edges": [[a, b, p] for (a, b), p in sorted(best.items(), key=lambda e: -e[1])],
        "edge_probs": summary.to_numpy().tolist(),  # the summary graph (any lag)
        "temporal": {
            "lags": posterior.lags,
            "edges_lagged": [list(e) for e in posterior.edges()],
            "layout": model.time_series_.layout.to_dict(),
            "spacing": model.time_series_.spacing.sentence(),
            "windows": model.time_series_.windows,
            "dropped": model.time_series_.dropped,
        },
    }


def current_run(state: AppState, store: ModelStore | None = None) -> dict[str, Any] | None:
    """The run.json of this session's current model, or None (no run, or it was for other data)."""
    if state.discovery is None or state.data is None:
        return None
    return state.discovery.summary(state.data.fingerprint, store)


def current_model(state: AppState, store: ModelStore | None = None) -> DECI | None:
    """This session's current fitted ``DECI`` (shared and read-only), or None.

    Raises:
        ModelFileError: the stored model is corrupted (it is not loaded).
    """
    if current_run(state, store) is None:
        return None
    return (store or get_store()).get(state.discovery.run_key)


def select_run(state: AppState, key: str, store: ModelStore | None = None) -> None:
    """Make a stored run the current one (reload from history)."""
    store = store or get_store()
    store.get(key)  # raises ModelFileError if corrupted
    run = store.run(key) or {}
    disc = get_discovery(state)
    disc.run_key, disc.run_fingerprint = key, run.get("data_fingerprint")
    disc.notice = ("success", "Reloaded a previous run.")


def describe_run(run: dict[str, Any]) -> str:
    """One line about a run, for pickers and history tables."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(run.get("saved", 0))))
    summary = run.get("summary", {})
    model, training = run.get("model_config", {}), run.get("training_config", {})
    return (
        f"{when} · {run.get('preset', training.get('preset', '?'))} · {model.get('noise', '?')} noise · "
        f"seed {training.get('seed', '?')} · {len(run.get('edges', []))} edges · "
        f"objective {summary.get('objective', float('nan')):.3f}"
    )
