"""The analyst's working graph: versions, undo/redo, positions, locks, and what the edits feed into.

A :class:`GraphSession` hangs off ``state.graph``. It is created from the discovered model (the
base version is then "discovered") or from an imported file (base "imported"). Graphs are immutable
:class:`~deci_core.graph.edits.CausalGraph` values, so undo/redo are stacks of snapshots; node
positions live on the session and survive undo (moving a node is not an edit of the graph).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from deci_core.errors import DeciError, GraphError
from deci_core.graph.causal_graph import ARROW, CausalGraph
from deci_core.graph.drawing import layered_layout
from deci_core.graph.edits import GraphDiff, apply_edit, diff, reapply
from ui.jobs import Job, start_job

log = logging.getLogger("deci_studio")
DISCOVERED, IMPORTED = "discovered", "imported"
UNDO_LIMIT = 200
REFIT_SECONDS = 120.0


@dataclass
class GraphSession:
    """The graph page's state (see the module docstring)."""

    current: CausalGraph
    base: str = DISCOVERED
    versions: dict[str, CausalGraph] = field(default_factory=dict)
    probs: pd.DataFrame | None = None  # edge probabilities of the discovered model (parent x child)
    threshold: float = 0.5
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    undo_stack: list[CausalGraph] = field(default_factory=list)
    redo_stack: list[CausalGraph] = field(default_factory=list)
    message: str = ""
    message_ok: bool = True
    nonce: int = 0  # bumped on every answer, so the editor redraws even when the graph is unchanged
    source: str = ""
    run_key: str | None = None  # the discovery run (model-store key) the graph came from
    effects_graph: CausalGraph | None = None  # the graph "Use this graph for effects" refitted on
    effects_model: Any = None
    refit_job: Job | None = None
    refit_graph: CausalGraph | None = None  # the graph the refit job is fitting
    arranged_by_hand: bool = False  # once the analyst moves a node, layouts are no longer automatic

    # ------------------------------------------------------------------ creation
    @classmethod
    def from_model(cls, model: Any, threshold: float = 0.5, run_key: str | None = None) -> GraphSession:
        """Start from a fitted DECI: its most probable graph at ``threshold`` is the "discovered" version."""
        posterior = model.graph_posterior_
        graph = CausalGraph.from_adjacency(posterior.names, posterior.most_probable(threshold))
        session = cls(
            graph,
            DISCOVERED,
            {DISCOVERED: graph},
            posterior.edge_probs,
            threshold,
            source="discovered by DECI",
            run_key=run_key,
        )
        session.positions = layered_layout(graph.names, graph.edges)
        return session

    @classmethod
    def from_graph(cls, graph: CausalGraph, source: str) -> GraphSession:
        """Start from an imported graph (no discovery needed); it is the "imported" version."""
        session = cls(graph, IMPORTED, {IMPORTED: graph}, source=source)
        session.positions = {**layered_layout(graph.names, graph.edges), **graph.positions}
        return session

    # ------------------------------------------------------------------ editing
    def apply(self, edit: Mapping[str, Any]) -> bool:
        """Apply an edit from the editor or the widgets; the outcome is in ``message``."""
        try:
            new, text = apply_edit(self.graph_with_positions(), edit)
        except GraphError as exc:
            self.say(f"Rejected: {exc}", False)
            return False
        except (TypeError, ValueError):
            self.say(f"Rejected: malformed edit {dict(edit)!r}.", False)
            return False
        if edit.get("op") == "move":
            self.positions[str(edit["node"])] = new.positions[str(edit["node"])]
            self.arranged_by_hand = True
        else:
            self._push(replace(new, positions={}))
        self.say(text, True)
        return True

    def replace_graph(self, graph: CausalGraph, message: str) -> None:
        """Make ``graph`` current as one undoable step (restoring a version, an import)."""
        self._push(replace(graph, positions={}))
        if not self.arranged_by_hand:
            self.positions = layered_layout(graph.names, graph.edges)
        self.positions.update(graph.positions)
        self.say(message, True)

    def arrange(self) -> None:
        """Lay the current graph out in layers (causes above effects); forget hand-made positions."""
        self.positions = layered_layout(self.current.names, self.current.edges)
        self.arranged_by_hand = False
        self.say("Arranged in layers: causes above their effects.")

    def say(self, text: str, ok: bool = True) -> None:
        self.message, self.message_ok, self.nonce = text, ok, self.nonce + 1

    def _push(self, graph: CausalGraph) -> None:
        self.undo_stack = [*self.undo_stack, self.current][-UNDO_LIMIT:]
        self.redo_stack = []
        self.current = graph

    def undo(self) -> None:
        if not self.undo_stack:
            self.say("Nothing to undo.", False)
            return
        self.redo_stack.append(self.current)
        self.current = self.undo_stack.pop()
        self.say("Undid the last edit.", True)

    def redo(self) -> None:
        if not self.redo_stack:
            self.say("Nothing to redo.", False)
            return
        self.undo_stack.append(self.current)
        self.current = self.redo_stack.pop()
        self.say("Redid the edit.", True)

    def set_threshold(self, threshold: float, model: Any) -> None:
        """Re-derive the discovered graph at a new threshold and replay the analyst's edits on it."""
        if self.base != DISCOVERED or model is None or threshold == self.threshold:
            return
        old_base = self.versions[DISCOVERED]
        new_base = CausalGraph.from_adjacency(old_base.names, model.graph_posterior_.most_probable(threshold))
        graph, skipped = reapply(new_base, diff(old_base, self.current), self.current.locked)
        self.threshold, self.versions[DISCOVERED] = threshold, new_base
        self._push(graph)
        if not self.arranged_by_hand:
            self.positions = layered_layout(graph.names, graph.edges)
        note = f" {len(skipped)} edit(s) no longer apply: " + " ".join(skipped) if skipped else ""
        self.say(f"Discovered graph now uses threshold {threshold:.2f}.{note}", not skipped)

    # ------------------------------------------------------------------ versions
    def save_version(self, name: str) -> None:
        name = name.strip()
        if not name:
            self.say("Give the version a name.", False)
        elif name == self.base:
            self.say(f"'{self.base}' is the starting graph; pick another name.", False)
        else:
            self.versions[name] = self.current
            self.say(f"Saved version '{name}'.", True)

    def restore_version(self, name: str) -> None:
        if name not in self.versions:
            self.say(f"There is no version '{name}'.", False)
            return
        self.replace_graph(self.versions[name], f"Restored version '{name}' (undo to go back).")

    def diff_from_base(self, name: str | None = None) -> GraphDiff:
        """Edges added, removed and reversed in version ``name`` (None: the current graph) vs the base."""
        graph = self.current if name is None else self.versions[name]
        return diff(self.versions[self.base], graph)

    # ------------------------------------------------------------------ reading
    def graph_with_positions(self) -> CausalGraph:
        return replace(self.current, positions=dict(self.positions))

    def probability(self, u: str, v: str) -> float | None:
        """Posterior probability of u -> v from discovery (None for an imported graph)."""
        if self.probs is None or u not in self.probs.index or v not in self.probs.columns:
            return None
        return float(self.probs.loc[u, v])

    def edge_table(self) -> pd.DataFrame:
        """One row per current edge: parent, child, probability, locked, and how it got there."""
        base = set(self.versions[self.base].edges)
        rows = [
            {
                "parent": u,
                "child": v,
                "probability": self.probability(u, v),
                "locked": (u, v) in self.current.locked,
                "origin": self.base if (u, v) in base else "reversed" if (v, u) in base else "added",
            }
            for u, v in self.current.edges
        ]
        return pd.DataFrame(rows, columns=["parent", "child", "probability", "locked", "origin"])

    def candidates(self, min_probability: float = 0.2) -> pd.DataFrame:
        """Pairs not in the graph whose discovered probability is at least ``min_probability``."""
        rows = []
        if self.probs is not None:
            have = set(self.current.edges)
            for u in self.probs.index:
                for v in self.probs.columns:
                    p = float(self.probs.loc[u, v])
                    if u != v and (u, v) not in have and p >= min_probability:
                        rows.append({"parent": u, "child": v, "probability": p})
        table = pd.DataFrame(rows, columns=["parent", "child", "probability"])
        return table.sort_values("probability", ascending=False, ignore_index=True)

    def edges_with_probs(self) -> list[tuple[str, str, float | None]]:
        return [(u, v, self.probability(u, v)) for u, v in self.current.edges]

    def status(self) -> str:
        change = self.diff_from_base()
        text = f"{len(self.current.edges)} edges ({self.base}"
        text += ")" if change.empty else f"; {change.summary()})"
        if self.effects_graph is not None:
            text += (
                " · refitted for effects" if self.effects_graph == self.current else " · edited since refit"
            )
        return text

    def settle_refit(self, state: Any) -> bool:
        """Adopt a finished refit job's model (from any page); True if one was adopted just now."""
        job = self.refit_job
        if job is None or not job.done or job.error or job.cancelled or job.result is None:
            return False
        if self.effects_model is job.result:
            return False
        self.say(store_refit(state, self, job.result, self.refit_graph or self.current))
        return True

    # ------------------------------------------------------------------ edits count
    def edits_as_constraints(self, constraints: Any) -> tuple[Any, list[str]]:
        """Merge the edits into ``constraints`` (a deci_core Constraints); return it and what changed.

        Deleted discovered edges become forbidden; added and locked edges required; a reversed edge
        forbids its old direction and requires the new one. The analyst's latest word wins over an
        older constraint on the same edge.
        """
        from deci_core.constraints import Constraints

        cons = constraints if constraints is not None else Constraints()
        change = self.diff_from_base()
        forbid = [*change.removed, *((v, u) for u, v in change.reversed)]
        require = sorted({*change.added, *change.reversed, *self.current.locked})
        notes = []
        for u, v in forbid:
            cons = cons.without_required(u, v)
            if (u, v) not in cons.forbidden:
                cons = cons.with_forbidden(u, v)
                notes.append(f"forbidden {u}{ARROW}{v}")
        for u, v in require:
            cons = cons.without_forbidden(u, v)
            if (u, v) not in cons.required:
                cons = cons.with_required(u, v)
                notes.append(f"required {u}{ARROW}{v}")
        return cons, notes


# ---------------------------------------------------------------------- the model for effects


def discovered_model(state: Any) -> Any:
    """This session's discovered DECI model, or None (none yet, or its saved copy is unreadable)."""
    from ui.discovery import current_model

    try:
        return current_model(state)
    except DeciError:  # a corrupted store entry: the Discover page says so
        return None


def discovery_run_key(state: Any) -> str | None:
    return getattr(getattr(state, "discovery", None), "run_key", None)


def model_for_effects(state: Any) -> tuple[Any, str]:
    """The model the effects page should use, and one line saying which it is."""
    session = getattr(state, "graph", None)
    if isinstance(session, GraphSession):
        session.settle_refit(state)
    if isinstance(session, GraphSession) and session.effects_model is not None and session.effects_graph:
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


def can_refit(model: Any) -> bool:
    """True when ``model`` can be refitted on a fixed graph (the engine's ``refit_on_graph``)."""
    return model is not None and callable(getattr(model, "refit_on_graph", None))


def fixed_graph_model() -> Any:
    """An unfitted model for a graph given without discovery (default settings, seed 0)."""
    from deci_core.config import TrainingConfig
    from deci_core.fixed_graph import FixedGraphModel

    return FixedGraphModel(training_config=TrainingConfig(seed=0))


def refit_key(model: Any, graph: CausalGraph, fingerprint: str = "") -> str:
    """Model-store key of ``model`` refitted on ``graph``."""
    cfg = f"{getattr(model, 'model_config', '')!r}{getattr(model, 'training_config', '')!r}"
    text = f"refit|{fingerprint}|{cfg}|{graph.key()}"
    return "refit-" + hashlib.sha256(text.encode()).hexdigest()[:20]


def refit_store_key(state: Any, graph: CausalGraph) -> str:
    """Where a refit on ``graph`` is stored and looked up: keyed by the model it starts from
    (the discovered one, or the fixed-graph template), never by the refit's own settings."""
    model = discovered_model(state)
    template = model if model is not None else fixed_graph_model()
    return refit_key(template, graph, getattr(getattr(state, "data", None), "fingerprint", ""))


def use_graph_for_effects(state: Any, session: GraphSession) -> str:
    """Refit on the current graph: from the model store if done before, else in a background job.

    Returns:
        "loaded" or "started".
    """
    model, data, graph = discovered_model(state), state.data, session.current
    from ui.model_store import get_store

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
    model: Any, graph: CausalGraph, data: pd.DataFrame, schema: Any = None, max_seconds: float | None = None
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
    model: Any, graph: CausalGraph, data: pd.DataFrame, schema: Any, max_seconds: float, report, should_stop
) -> Any:
    def progress(event: Any) -> str | None:
        step, total = getattr(event, "step", 0), max(getattr(event, "max_steps", 1), 1)
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


def store_refit(state: Any, session: GraphSession, model: Any, graph: CausalGraph) -> str:
    """Keep the refitted model on the session and in the model store; return a message."""
    session.effects_model, session.effects_graph = model, graph
    if not callable(getattr(model, "save", None)):  # a fixed-graph fit (imported graph): session only
        return "The model was fitted on your graph and will be used for effects (kept for this session)."
    try:
        from ui.model_store import get_store

        data = getattr(state, "data", None)
        get_store().put(
            refit_store_key(state, graph),
            model,
            {
                "kind": "refit",
                "names": list(graph.names),
                "edges": [[u, v, 1.0] for u, v in graph.edges],
                "refit_of_data": getattr(data, "fingerprint", None),
            },
        )
    except Exception as exc:  # noqa: BLE001 - the model is still used in this session
        log.warning("could not save the refitted model", exc_info=exc)
        return "The refitted model is used for effects in this session (it could not be saved for later)."
    return "The model was fitted on your graph, saved, and will be used for effects."
