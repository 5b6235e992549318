"""The Graph step's typed state: the analyst's working graph, versions, undo/redo, positions, locks.

A :class:`GraphSession` hangs off ``state.graph``. It is created from the discovered model (the
base version is then "discovered") or from an imported file (base "imported"). Graphs are immutable
:class:`~deci_core.graph.causal_graph.CausalGraph` values, so undo/redo are stacks of snapshots; node
positions live on the session and survive undo (moving a node is not an edit of the graph).
No Streamlit and no AppState here: :mod:`ui.graph_session` does the work that needs other steps.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from deci_core.constraints import Constraints
from deci_core.errors import GraphError
from deci_core.fixed_graph import FixedGraphModel
from deci_core.graph.causal_graph import ARROW, CausalGraph
from deci_core.graph.drawing import to_svg
from deci_core.graph.edits import GraphDiff, apply_edit, diff, reapply
from deci_core.graph.formats import read_graph, to_json
from deci_core.model import DECI
from ui.graph_layout import readable_layout
from ui.jobs import Job
from ui.report_types import GraphSummary

log = logging.getLogger("deci_studio")
DISCOVERED, IMPORTED = "discovered", "imported"
UNDO_LIMIT = 200
CURRENT = "current (as edited)"  # the name of the current graph when it is no saved version


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
    effects_model: DECI | FixedGraphModel | None = None
    refit_job: Job | None = None
    refit_graph: CausalGraph | None = None  # the graph the refit job is fitting
    arranged_by_hand: bool = False  # once the analyst moves a node, layouts are no longer automatic
    data_fingerprint: str | None = None  # the data the graph belongs to (None: not recorded)
    refused: tuple[tuple[str, str], dict[str, Any]] | None = None  # the last edit a constraint refused

    # ------------------------------------------------------------------ creation
    @classmethod
    def from_model(cls, model: DECI, threshold: float = 0.5, run_key: str | None = None) -> GraphSession:
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
        session.positions = readable_layout(graph.names, graph.edges)
        return session

    @classmethod
    def from_graph(cls, graph: CausalGraph, source: str) -> GraphSession:
        """Start from an imported graph (no discovery needed); it is the "imported" version."""
        session = cls(graph, IMPORTED, {IMPORTED: graph}, source=source)
        session.positions = {**readable_layout(graph.names, graph.edges), **graph.positions}
        return session

    # ------------------------------------------------------------------ editing
    def apply(self, edit: Mapping[str, Any], constraints: Constraints | None = None) -> bool:
        """Apply an edit from the editor or the widgets; the outcome is in ``message``.

        An edit that adds an edge a hard constraint forbids (an explicit ban, a declared root or leaf,
        tiers) is refused with the constraint named; ``refused`` then holds the edge and the edit, so
        the page can offer to change the constraint and apply it.
        """
        self.refused = None
        try:
            new, text = apply_edit(self.graph_with_positions(), edit)
        except GraphError as exc:
            self.say(f"Rejected: {exc}", False)
            return False
        except (TypeError, ValueError):
            self.say(f"Rejected: malformed edit {dict(edit)!r}.", False)
            return False
        clash = None if edit.get("op") == "move" else constraint_clash(self.current, new, constraints)
        if clash is not None:
            (a, b), reason = clash
            self.refused = ((a, b), dict(edit))
            self.say(f"Refused: {a} {ARROW} {b} contradicts your constraints ({reason}). Change the "
                     "constraint first if you are sure.", False)
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
            self.positions = readable_layout(graph.names, graph.edges)
        self.positions.update(graph.positions)
        self.say(message, True)

    def arrange(self) -> None:
        """Lay the current graph out in layers (causes above effects); forget hand-made positions."""
        self.positions = readable_layout(self.current.names, self.current.edges)
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

    def set_threshold(self, threshold: float, model: DECI | None) -> None:
        """Re-derive the discovered graph at a new threshold and replay the analyst's edits on it."""
        if self.base != DISCOVERED or model is None or threshold == self.threshold:
            return
        old_base = self.versions[DISCOVERED]
        new_base = CausalGraph.from_adjacency(old_base.names, model.graph_posterior_.most_probable(threshold))
        graph, skipped = reapply(new_base, diff(old_base, self.current), self.current.locked)
        self.threshold, self.versions[DISCOVERED] = threshold, new_base
        self._push(graph)
        if not self.arranged_by_hand:
            self.positions = readable_layout(graph.names, graph.edges)
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

    # ------------------------------------------------------------------ edits count
    def edits_as_constraints(self, constraints: Constraints | None) -> tuple[Constraints, list[str]]:
        """Merge the edits into ``constraints`` (a deci_core Constraints); return it and what changed.

        Deleted discovered edges become forbidden; added and locked edges required; a reversed edge
        forbids its old direction and requires the new one. The analyst's latest word wins over an
        older constraint on the same edge.
        """
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

    # ------------------------------------------------------------------ plain JSON (project bundles)
    def named_versions(self) -> dict[str, CausalGraph]:
        """The saved versions, plus the current graph under ``CURRENT`` when it is none of them."""
        versions = dict(self.versions)
        if all(self.current != g for g in versions.values()):
            versions[CURRENT] = self.current
        return versions

    def default_version(self) -> str:
        """The version a report shows unless the analyst picks another: the graph as it is now."""
        versions = self.named_versions()
        return next((name for name, g in versions.items() if g == self.current), next(reversed(versions)))

    def summary(
        self, version: str | None, probs: Mapping[tuple[str, str], float], highlight: tuple[str, ...] = ()
    ) -> GraphSummary:
        """What the report shows of version ``version`` (default: :meth:`default_version`); ``probs`` are
        the posterior edge probabilities to print, ``highlight`` the nodes to mark (treatment, outcome)."""
        versions = self.named_versions()
        name = version if version in versions else self.default_version()
        base = self.base if self.base in versions else None
        return summarize_graph(versions, base, name, probs, self.positions, highlight)

    def to_dict(self, refit: str | None) -> dict[str, Any]:
        """Versions and current graph (deci_core.graph JSON), positions, threshold, probabilities; ``refit``
        is the model-store key of the model refitted on ``effects_graph`` (None: none)."""
        probs = self.probs
        return {
            "base": self.base,
            "current": _graph_json(self.current),
            "versions": {name: _graph_json(g) for name, g in self.versions.items()},
            "positions": {n: list(p) for n, p in self.positions.items()},
            "threshold": self.threshold,
            "source": self.source,
            "probs": None
            if probs is None
            else {"names": list(probs.index), "values": probs.to_numpy().tolist()},
            "effects_graph": None if self.effects_graph is None else _graph_json(self.effects_graph),
            "refit_key": refit,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], models: Mapping[str, Any]) -> GraphSession:
        """The session :meth:`to_dict` wrote; the refitted model is taken from ``models`` by its key.

        Raises:
            KeyError, TypeError, ValueError, IndexError: the dict is malformed.
        """
        versions = {str(name): _graph(g) for name, g in dict(d["versions"]).items()}
        current = _graph(d["current"])
        probs = d.get("probs")
        probs = None if probs is None else pd.DataFrame(probs["values"], index=probs["names"],
                                                        columns=probs["names"], dtype=float)
        session = cls(current, str(d["base"]), versions, probs, float(d.get("threshold", 0.5)),
                      source=str(d.get("source", "")))
        positions = dict(d.get("positions") or {})
        session.positions = {str(n): (float(p[0]), float(p[1])) for n, p in positions.items()}
        if d.get("effects_graph") and d.get("refit_key") in models:
            session.effects_graph, session.effects_model = _graph(d["effects_graph"]), models[d["refit_key"]]
        return session


def _graph_json(graph: CausalGraph) -> dict[str, Any]:
    return json.loads(to_json(graph))


def _graph(d: dict[str, Any]) -> CausalGraph:
    return read_graph(json.dumps(d), "json")


def summarize_graph(
    versions: Mapping[str, CausalGraph],
    base: str | None,
    name: str,
    probs: Mapping[tuple[str, str], float],
    positions: Mapping[str, tuple[float, float]],
    highlight: tuple[str, ...],
) -> GraphSummary:
    """Version ``name`` of ``versions`` as the report shows it: edges with probabilities, the changes
    against ``base``, and the drawing."""
    graph = versions[name]
    with_probs = [(a, b, probs.get((a, b))) for a, b in graph.edges]
    change = diff(versions[base], graph) if base and base != name else None
    at = {**positions, **graph.positions}
    return GraphSummary(version=name, names=list(graph.names), edges=with_probs,
                        added=list(change.added) if change else [],
                        removed=list(change.removed) if change else [],
                        reversed=list(change.reversed) if change else [],
                        svg=graph_svg(list(graph.names), with_probs, at, highlight),
                        compared_to=base if change else None, locked=sorted(graph.locked))


def graph_svg(names: list[str], edges: list[tuple[str, str, float | None]],
              positions: Mapping[str, Any], highlight: tuple[str, ...]) -> str | None:
    """The drawing from deci_core.graph.drawing.to_svg, or None when it cannot be drawn."""
    try:
        return to_svg(names, edges, positions=dict(positions) or None, highlight=highlight)
    except Exception:  # noqa: BLE001 - the edge table below the drawing still shows the graph
        log.exception("report: could not draw the graph")
        return None


def constraint_clash(
    old: CausalGraph, new: CausalGraph, constraints: Constraints | None
) -> tuple[tuple[str, str], str] | None:
    """The first edge ``new`` adds to ``old`` that a hard constraint forbids, and why (None: none)."""
    if constraints is None or constraints.is_empty:
        return None
    reasons = constraints.forbid_reasons(new.names)
    for edge in sorted(set(new.edges) - set(old.edges)):
        if edge in reasons:
            return edge, reasons[edge]
    return None


def allowing(constraints: Constraints, a: str, b: str) -> Constraints | None:
    """``constraints`` changed as little as possible so that ``a -> b`` is allowed; None when only the
    Constraints page can (tiers: moving a variable between tiers is the analyst's decision there)."""
    changed = constraints.without_forbidden(a, b)
    if b in changed.roots:
        changed = changed.with_roots(r for r in changed.roots if r != b)
    if a in changed.leaves:
        changed = changed.with_leaves(v for v in changed.leaves if v != a)
    return changed if (a, b) not in changed.forbid_reasons([a, b]) else None
