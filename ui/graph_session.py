"""The Graph step's work over the whole session: which model the Effects page uses, and refitting.

The graph itself (:class:`~ui.graph_state.GraphSession`) lives in :mod:`ui.graph_state`. "Use this
graph for effects" refits the discovered model on the analyst's graph in a background job (or loads
the refit from the model store), and the Effects page then queries that model.
"""

from __future__ import annotations

import hashlib
import logging

import pandas as pd

from deci_core.config import TrainingConfig
from deci_core.data.schema import TableSchema
from deci_core.errors import DeciError, GraphError
from deci_core.fixed_graph import FixedGraphModel
from deci_core.graph.causal_graph import CausalGraph
from deci_core.graph.edits import diff
from deci_core.model import DECI
from deci_core.training.callbacks import FitProgress
from ui.discovery_session import current_model
from ui.graph_state import GraphSession
from ui.jobs import Job, start_job
from ui.model_store import get_store
from ui.state import AppState

log = logging.getLogger("deci_studio")
REFIT_SECONDS = 120.0
Model = DECI | FixedGraphModel


def settle_refit(state: AppState, session: GraphSession) -> bool:
    """Adopt a finished refit job's model (from any page); True if one was adopted just now."""
    job = session.refit_job
    if job is None or not job.done or job.error or job.cancelled or job.result is None:
        return False
    if session.effects_model is job.result:
        return False
    session.say(store_refit(state, session, job.result, session.refit_graph or session.current))
    return True


# ---------------------------------------------------------------------- the model for effects


def discovered_model(state: AppState) -> DECI | None:
    """This session's discovered DECI model, or None (none yet, or its saved copy is unreadable)."""
    try:
        return current_model(state)
    except DeciError:  # a corrupted store entry: the Discover page says so
        return None


def discovery_run_key(state: AppState) -> str | None:
    return None if state.discovery is None else state.discovery.run_key


def model_for_effects(state: AppState) -> tuple[Model | None, str]:
    """The model the effects page should use, and one line saying which it is."""
    session = state.graph
    if session is not None:
        settle_refit(state, session)
    if session is not None and session.effects_model is not None and session.effects_graph:
        change = diff(session.versions[session.base], session.effects_graph)
        what = f"the {session.base} graph" if change.empty else f"your edited graph ({change.summary()})"
        stale = (
            ""
            if session.effects_graph == session.current
            else "; you edited the graph since: use it for effects again to include the new edits"
        )
        return session.effects_model, f"Fitted on {what}{stale}."
    model = discovered_model(state)
    if model is None:
        return None, "No model yet: run discovery, or import a graph and use it for effects."
    return model, "The discovered model (its most probable graph and posterior)."


def effects_model_key(state: AppState) -> str | None:
    """Which model :func:`model_for_effects` returns, as a stable key (None: none)."""
    session = state.graph
    if session is not None and session.effects_model is not None and session.effects_graph:
        return "graph:" + session.effects_graph.key()
    if state.discovery is None or state.data is None:
        return None
    key = state.discovery.current_key(state.data.fingerprint)
    return None if key is None else "run:" + key


def can_refit(model: Model | None) -> bool:
    """True when ``model`` can be refitted on a fixed graph (the engine's ``refit_on_graph``)."""
    return model is not None and callable(getattr(model, "refit_on_graph", None))


def fixed_graph_model() -> FixedGraphModel:
    """An unfitted model for a graph given without discovery (default settings, seed 0)."""
    return FixedGraphModel(training_config=TrainingConfig(seed=0))


def refit_key(model: Model, graph: CausalGraph, fingerprint: str = "") -> str:
    """Model-store key of ``model`` refitted on ``graph``."""
    cfg = f"{getattr(model, 'model_config', '')!r}{getattr(model, 'training_config', '')!r}"
    text = f"refit|{fingerprint}|{cfg}|{graph.key()}"
    return "refit-" + hashlib.sha256(text.encode()).hexdigest()[:20]


def refit_store_key(state: AppState, graph: CausalGraph) -> str:
    """Where a refit on ``graph`` is stored and looked up: keyed by the model it starts from
    (the discovered one, or the fixed-graph template), never by the refit's own settings."""
    model = discovered_model(state)
    template = model if model is not None else fixed_graph_model()
    return refit_key(template, graph, "" if state.data is None else state.data.fingerprint)


def use_graph_for_effects(state: AppState, session: GraphSession) -> str:
    """Refit on the current graph: from the model store if done before, else in a background job.

    Returns:
        "loaded" or "started".
    """
    model, data, graph = discovered_model(state), state.data, session.current
    try:
        cached = get_store().get(refit_store_key(state, graph))
    except DeciError:  # a corrupted entry is not loaded; fit again
        cached = None
    if cached is not None:
        session.effects_model, session.effects_graph = cached, graph
        session.say("Loaded instantly: this graph was fitted before. It is used for effects.")
        return "loaded"
    session.refit_job, session.refit_graph = start_refit(model, graph, data.table, data.schema), graph
    return "started"


def start_refit(
    model: DECI | None,
    graph: CausalGraph,
    data: pd.DataFrame,
    schema: TableSchema | None = None,
    max_seconds: float | None = None,
) -> Job:
    """Refit on ``graph`` in a background job; the job's result is the refitted model.

    With a discovered ``model`` its SEM is retrained with the graph held fixed (warm start); with
    ``model=None`` (an imported graph, no discovery) a fresh SEM is fitted on the graph.
    """
    return start_job(
        "refitting the model on your graph",
        _refit,
        model=model,
        graph=graph,
        data=data,
        schema=schema,
        max_seconds=max_seconds or REFIT_SECONDS,
    )


def _refit(
    model: DECI | None,
    graph: CausalGraph,
    data: pd.DataFrame,
    schema: TableSchema | None,
    max_seconds: float,
    report,
    should_stop,
) -> Model:
    def progress(event: FitProgress) -> str | None:
        step, total = event.step, max(event.max_steps, 1)
        report(step / total, f"refitting on your graph: step {step:,} of {total:,}")
        return "stop" if should_stop() else None

    report(0.0, "refitting on your graph")
    adjacency = graph.to_adjacency()
    if model is None:
        return fixed_graph_model().fit(
            data[list(graph.names)], adjacency, schema, max_seconds=max_seconds, callbacks=[progress]
        )
    names = list(model.graph_posterior_.names)
    if list(graph.names) != names:
        raise GraphError(f"The graph's variables {list(graph.names)} differ from the model's {names}.")
    return model.refit_on_graph(data, adjacency, max_seconds=max_seconds, callbacks=[progress])


def store_refit(state: AppState, session: GraphSession, model: Model, graph: CausalGraph) -> str:
    """Keep the refitted model on the session and in the model store; return a message."""
    session.effects_model, session.effects_graph = model, graph
    if not callable(getattr(model, "save", None)):  # a fixed-graph fit (imported graph): session only
        return "The model was fitted on your graph and will be used for effects (kept for this session)."
    try:
        get_store().put(
            refit_store_key(state, graph),
            model,
            {
                "kind": "refit",
                "names": list(graph.names),
                "edges": [[u, v, 1.0] for u, v in graph.edges],
                "refit_of_data": None if state.data is None else state.data.fingerprint,
            },
        )
    except Exception as exc:  # noqa: BLE001 - the model is still used in this session
        log.warning("could not save the refitted model", exc_info=exc)
        return "The refitted model is used for effects in this session (it could not be saved for later)."
    return "The model was fitted on your graph, saved, and will be used for effects."
