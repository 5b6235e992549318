"""Identification on a DAG: a backdoor adjustment set for treatment -> outcome, checked by d-separation.

The set returned is the *optimal* adjustment set of Henckel, Perković & Maathuis (2022):
``O = pa(cn) \\ forb``, where ``cn`` are the nodes on proper causal paths from T to Y (descendants of
T, other than T, that are ancestors of Y or Y itself) and ``forb`` the descendants of ``cn`` plus T.
In a DAG without hidden variables it is valid whenever any set is, and among valid sets it gives
the smallest asymptotic variance (it keeps the outcome's other causes, drops instruments). Its
validity is checked with networkx's d-separation on the proper backdoor graph (the first edge of
every proper causal path removed), so a collider or a mediator is never adjusted for.
Why networkx and not DoWhy: DoWhy 0.14's install pulls cvxpy, causal-learn and matplotlib into the
app; networkx (already an app dependency) has the d-separation this needs. Front-door
identification is not attempted: without hidden variables the backdoor criterion always applies.

Graphs are (d, d) bool adjacency matrices with ``A[i, j] = 1`` for i -> j; variables by index.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from deci_core.effects.query import GraphDraws
from deci_core.graph.dag import causal_path_nodes, descendants, has_path


def optimal_adjustment_set(adj: np.ndarray, t: int, y: int) -> tuple[int, ...] | None:
    """The optimal backdoor set (sorted indices) for t -> y on a DAG; None if y is not a descendant of t."""
    adj = np.asarray(adj, dtype=bool)
    if not has_path(adj, t, y):
        return None
    causal, forbidden = _causal_and_forbidden(adj, t, y)
    forbidden[t] = True
    parents = adj[:, causal].any(axis=1)
    chosen = tuple(int(i) for i in np.flatnonzero(parents & ~forbidden))
    if not is_backdoor_set(adj, t, y, chosen):  # cannot happen on a DAG; kept as a check
        raise AssertionError("optimal adjustment set failed the backdoor check")
    return chosen


def is_backdoor_set(adj: np.ndarray, t: int, y: int, z: tuple[int, ...]) -> bool:
    """True when z is a valid adjustment set for t -> y: no member on or below a proper causal path
    (no mediator, no descendant collider) and z d-separates t from y once the first edges of the
    proper causal paths are removed (Shpitser, VanderWeele & Robins 2010, generalised backdoor)."""
    adj = np.asarray(adj, dtype=bool)
    causal, forbidden = _causal_and_forbidden(adj, t, y)
    if any(forbidden[i] for i in z) or t in z or y in z:
        return False
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(adj)))
    graph.add_edges_from((int(i), int(j)) for i, j in zip(*np.nonzero(adj), strict=True))
    graph.remove_edges_from([(t, int(c)) for c in np.flatnonzero(causal) if adj[t, c]])
    return bool(nx.is_d_separator(graph, {t}, {y}, set(z)))


def _causal_and_forbidden(adj: np.ndarray, t: int, y: int) -> tuple[np.ndarray, np.ndarray]:
    """(d,) bool masks: the nodes on proper causal paths t -> y, and those plus their descendants
    (no adjustment set may contain them)."""
    causal = causal_path_nodes(adj, t, y)
    forbidden = causal.copy()
    for c in np.flatnonzero(causal):
        forbidden |= descendants(adj, c)
    return causal, forbidden


@dataclass(frozen=True)
class AdjustmentSets:
    """The distinct adjustment sets over drawn graphs and the posterior mass behind each.

    Attributes:
        sets: distinct sets (sorted variable indices), each estimated once.
        weights: (len(sets),) share of the drawn graphs that give each set (with a path T -> Y).
        no_path: share of the drawn graphs without a directed path T -> Y (effect exactly 0 there).
    """

    sets: tuple[tuple[int, ...], ...]
    weights: tuple[float, ...]
    no_path: float

    @property
    def path_probability(self) -> float:
        return 1.0 - self.no_path


def declared_roots(forbidden: np.ndarray) -> tuple[int, ...]:
    """Variables every edge into which is forbidden (d, d bool mask): roots in every graph allowed."""
    forbidden = np.asarray(forbidden, dtype=bool)
    into = forbidden | np.eye(len(forbidden), dtype=bool)
    return tuple(int(j) for j in np.flatnonzero(into.all(axis=0)))


def adjustment_sets(draws: GraphDraws, t: int, y: int, roots: tuple[int, ...] = ()) -> AdjustmentSets:
    """Group drawn graphs by their optimal adjustment set, summing their weights.

    ``roots``: the analyst's declared roots (:func:`declared_roots`). Each one that is a cause of T
    or of Y in at least one drawn graph joins every set (VanderWeele & Shpitser's disjunctive cause
    criterion, over the posterior). A root has no parents in any allowed graph, so it is never a
    collider, a descendant of one or of T: adding it keeps a valid set valid, and a confounder whose
    edge discovery missed in some graphs (a weak root -> Y edge) is still adjusted for in those.
    """
    mass: dict[tuple[int, ...], float] = {}
    no_path = 0.0
    extra = {
        r for r in set(roots) - {t, y} if any(has_path(g, r, t) or has_path(g, r, y) for g in draws.graphs)
    }
    for graph, w in zip(draws.graphs, draws.weights, strict=True):
        z = optimal_adjustment_set(graph, t, y)
        if z is None:
            no_path += float(w)
        else:
            z = tuple(sorted(set(z) | extra))
            mass[z] = mass.get(z, 0.0) + float(w)
    ordered = sorted(mass.items(), key=lambda kv: -kv[1])
    return AdjustmentSets(tuple(k for k, _ in ordered), tuple(v for _, v in ordered), float(no_path))
