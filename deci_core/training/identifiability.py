"""Which edge directions the data cannot tell apart, tested by cross-fitted likelihood.

An edge i -> j of the chosen DAG is reversible within its Markov equivalence class when the CPDAG
leaves it undirected (:func:`~deci_core.graph.equivalence.reversed_in_class` gives the member with
j -> i). Conditional independences never tell such members apart; only the shape of the mechanisms
can (a nonlinear function, non-Gaussian noise). So the two members are compared on held-out rows
(every row scored by conditionals fitted on the other half), by a paired test on the per-row
log-likelihood differences ``d`` (Vuong's test for non-nested models): ``z = mean(d) / (sd(d) /
sqrt(n))``. When ``|z| < 1.96`` (the two do not differ at the 5% level, two-sided), the direction is
not identifiable from the data, and the pair is marked. With linear-Gaussian mechanisms the two
members describe the same distribution: their difference is fitting noise.
"""

from __future__ import annotations

import time

import numpy as np

from deci_core.graph.equivalence import reversed_in_class

Z_LEVEL = 1.96  # two-sided 5%


def unidentified_pairs(adjacency: np.ndarray, scores, targets: list[int], deadline: float) -> np.ndarray:
    """Pairs of the DAG whose direction the data cannot identify.

    Args:
        adjacency: (d, d) the chosen DAG.
        scores: a :class:`~deci_core.training.refine.ConditionalScores` over the same rows.
        targets: variables the scores fit; an edge whose reversal changes the parents of any other
            variable is left unmarked (untested).
        deadline: ``time.perf_counter()`` value; when the fits would not finish by then, none is
            tested and nothing is marked.

    Returns:
        (d, d) bool, symmetric: ``True`` at both (i, j) and (j, i) for a marked pair.
    """
    adj = np.asarray(adjacency, dtype=bool)
    marked = np.zeros_like(adj)
    scored = set(targets)
    tests = []
    for i, j in zip(*np.nonzero(adj), strict=True):
        other = reversed_in_class(adj, int(i), int(j))
        if other is None:
            continue
        changed = _changed(adj, other)
        if all(node in scored for node, _ in changed):
            tests.append((int(i), int(j), other, changed))
    needed = {c for *_, changed in tests for c in changed}
    if not tests or time.perf_counter() + scores.seconds_for(needed) > deadline:
        return marked
    scores.ensure(needed)
    for i, j, other, _ in tests:
        if abs(paired_z(_rows(adj, other, scores) - _rows(other, adj, scores))) < Z_LEVEL:
            marked[i, j] = marked[j, i] = True
    return marked


def _parents(adj: np.ndarray, j: int) -> frozenset:
    return frozenset(int(i) for i in np.flatnonzero(adj[:, j]))


def _changed(first: np.ndarray, second: np.ndarray) -> list[tuple[int, frozenset]]:
    """The conditionals of the variables whose parents differ, in both graphs."""
    nodes = np.flatnonzero((first != second).any(0))
    return [(int(j), _parents(g, int(j))) for j in nodes for g in (first, second)]


def _rows(graph: np.ndarray, other: np.ndarray, scores) -> np.ndarray:
    """Per-row held-out log-likelihood of ``graph``'s conditionals for the variables whose parents
    differ in ``other`` (rows,)."""
    nodes = np.flatnonzero((graph != other).any(0))
    return sum(scores.rows_of((int(j), _parents(graph, int(j)))) for j in nodes)


def paired_z(differences: np.ndarray) -> float:
    """``mean / standard error`` of per-row differences (0 when they are all equal)."""
    d = np.asarray(differences, dtype=float)
    se = d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean() / se) if se > 0 else 0.0
