"""Read the other steps' session state into the report's plain values.

Each step's state summarises itself (``summary()``); these readers ask it and fill the gaps
between steps (the graph from the model when no graph was edited, overlap checks against the data).
Each reader returns ``None`` when its step was not done, so the report says "not done" rather than
failing.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pandas as pd

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.errors import ConfigError
from deci_core.graph.causal_graph import CausalGraph
from deci_core.model import DECI
from ui import discovery_session as discovery
from ui.graph_state import DISCOVERED, summarize_graph
from ui.knowledge_offers import randomised_notes
from ui.report_types import DataSummary, EffectView, GraphSummary, effect_view
from ui.state import AppState

log = logging.getLogger("deci_studio")


def report_items(state: AppState) -> list[dict[str, Any]]:
    """The estimates the analyst added on the Effects page for the data now loaded (JSON dicts), in order."""
    if state.effects is None:
        return []
    return state.effects.items_for(_fingerprint(state))[0]


def _fingerprint(state: AppState) -> str | None:
    return None if state.data is None else state.data.fingerprint


def _graph_session(state: AppState):
    """The graph session when it belongs to the data now loaded, else None (never another dataset's)."""
    session = state.graph
    if session is None or session.data_fingerprint not in (None, _fingerprint(state)):
        return None
    return session


def left_out(state: AppState) -> list[str]:
    """What the report leaves out because it was made on other data, in words (the report never mixes)."""
    name = "the data now loaded" if state.data is None else f"“{state.data.name}”"
    out = []
    if state.effects is not None:
        others = state.effects.items_for(_fingerprint(state))[1]
        if others:
            out.append(f"{len(others)} estimate(s) made on other data are left out: they do not describe "
                       f"{name}.")
    if state.graph is not None and _graph_session(state) is None:
        out.append(f"The graph was made for other data and is left out: it does not describe {name}.")
    return out


def item_id(item: dict[str, Any], index: int) -> str:
    return str(item.get("id") or f"estimate-{index + 1}")


def item_label(item: dict[str, Any], index: int) -> str:
    try:
        view = effect_view(item, index)
        return f"{index + 1}. {view.label}: {view.value:.4g}"
    except (KeyError, TypeError, ValueError):
        return f"{index + 1}. (unreadable estimate)"


def data_summary(state: AppState) -> DataSummary | None:
    return None if state.data is None else state.data.summary()


def knowledge(state: AppState) -> list[str] | None:
    if state.constraints is None:
        return None
    return [str(s) for s in state.constraints.describe()] + randomised_notes(state)


def current_run(state: AppState) -> dict[str, Any] | None:
    if state.discovery is None:
        return None
    try:
        run = discovery.current_run(state)
    except Exception:  # noqa: BLE001 - a broken step must not break the report
        log.exception("report: could not read the current run")
        return None
    return run


def current_model(state: AppState) -> DECI | None:
    if state.discovery is None:
        return None
    try:
        return discovery.current_model(state)
    except Exception:  # noqa: BLE001
        log.exception("report: could not load the current model")
        return None


def model_summary(state: AppState) -> dict[str, Any] | None:
    """Settings, seed and hashes of the current run (its run.json in the model store)."""
    run = current_run(state)
    if run is None:
        return None
    model, training = run.get("model_config") or {}, run.get("training_config") or {}
    settings = {"model": model, "training": training, "preset": run.get("preset"), "rows": run.get("rows")}
    summary = run.get("summary")
    if isinstance(summary, dict):
        settings["fit"] = summary
    return {
        "settings": {k: v for k, v in settings.items() if v is not None},
        "seed": training.get("seed"),
        "config_hash": config_hash(model, training),
        "run_key": run.get("key"),
        "data_fingerprint": run.get("data_fingerprint"),
    }


def config_hash(model: dict[str, Any], training: dict[str, Any]) -> str | None:
    """The engine's configuration hashes (model/training), as the CLI prints them."""
    try:
        return (
            f"{ModelConfig.from_dict(model).config_hash()}/{TrainingConfig.from_dict(training).config_hash()}"
        )
    except ConfigError:
        return None


def edge_probabilities(state: AppState) -> dict[tuple[str, str], float]:
    """Posterior edge probabilities: the graph session's, else the current model's."""
    session = _graph_session(state)
    probs = None if session is None else session.probs
    if probs is None:
        model = current_model(state)
        probs = None if model is None else model.graph_posterior_.edge_probs
    if probs is None:
        return {}
    return {(a, b): float(probs.loc[a, b]) for a in probs.index for b in probs.columns if a != b}


def graph_versions(state: AppState) -> tuple[dict[str, CausalGraph], str | None]:
    """Named graphs (CausalGraph) the report can show, and the base the analyst started from.

    From the graph editor's session when there is one (its versions plus the current graph), else
    the discovered model's most probable graph.
    """
    session = _graph_session(state)
    if session is not None and session.versions:
        versions = session.named_versions()
        return versions, session.base if session.base in versions else None
    model = current_model(state)
    if model is None or getattr(model, "is_temporal", False):  # a temporal graph: ui.ts_report
        return {}, None
    posterior = model.graph_posterior_
    return {DISCOVERED: CausalGraph.from_adjacency(posterior.names, posterior.most_probable())}, DISCOVERED


def default_version(state: AppState) -> str | None:
    """The version a report shows unless the analyst picks another: the graph as it is now."""
    session = _graph_session(state)
    if session is not None and session.versions:
        return session.default_version()
    versions, _ = graph_versions(state)
    return next(reversed(versions)) if versions else None


def graph_summary(state: AppState, version: str | None) -> GraphSummary | None:
    """The graph section: the graph session's summary, else the discovered model's graph."""
    probs, highlight = edge_probabilities(state), _effect_nodes(state)
    session = _graph_session(state)
    if session is not None and session.versions:
        return _with_identifiability(state, session.summary(version, probs, highlight))
    versions, base = graph_versions(state)
    if not versions:
        return None
    positions = {} if session is None else session.positions
    summary = summarize_graph(versions, base, DISCOVERED, probs, positions, highlight)
    return _with_identifiability(state, summary)


def _with_identifiability(state: AppState, summary: GraphSummary | None) -> GraphSummary | None:
    """Mark the summary's edges whose direction the discovered model could not identify."""
    model = current_model(state)
    posterior = getattr(model, "graph_posterior_", None)
    if summary is None or posterior is None or getattr(posterior, "unidentified", None) is None:
        return summary
    names = set(posterior.names)
    marked = [
        (a, b)
        for a, b, _ in summary.edges
        if a in names and b in names and not posterior.is_identifiable(a, b)
    ]
    return dataclasses.replace(summary, unidentified=marked)


def _effect_nodes(state: AppState) -> tuple[str, ...]:
    names = []
    for item in report_items(state):
        query = (item.get("estimate") or item).get("query") or {}
        names += [query.get("treatment"), query.get("outcome")]
    return tuple(n for n in dict.fromkeys(names) if n)


def positivity_checks(state: AppState, effects: list[EffectView]) -> list[str]:
    """Plain-words overlap checks of each estimate's compared values against the data."""
    data = state.data
    if data is None:
        return []
    table = data.table
    out: list[str] = []
    for e in effects:
        if e.treatment not in table.columns:
            continue
        col = table[e.treatment]
        for value in (e.treatment_value, e.control_value):
            if value is None:
                continue
            out.append(_overlap(e.treatment, col, value))
    return list(dict.fromkeys(out))


def _overlap(name: str, col: pd.Series, value: Any) -> str:
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col) and col.nunique() > 2
    if numeric:
        try:
            v = float(value)
        except (TypeError, ValueError):
            return f"{name} = {value}: not a number, cannot check overlap."
        lo, hi = float(col.min()), float(col.max())
        inside = "inside" if lo <= v <= hi else "OUTSIDE (an extrapolation)"
        return f"{name} = {v:.4g} is {inside} the observed range {lo:.4g} to {hi:.4g}."
    share = float((col.astype(str) == str(value)).mean())
    warn = " Few rows: the estimate leans on the model." if share < 0.05 else ""
    return f"{name} = {value} in {share:.0%} of the rows.{warn}"
