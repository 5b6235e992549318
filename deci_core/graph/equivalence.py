"""Markov equivalence: a DAG's CPDAG, and the member of its class with one edge reversed.

Two DAGs are Markov equivalent when they have the same skeleton and the same v-structures
(a -> c <- b with a, b not adjacent); no conditional-independence test, and no likelihood with
linear-Gaussian mechanisms, can tell them apart. The CPDAG keeps the edges every member orients the
same way (compelled) and leaves the others undirected (Meek 1995, rules 1-4).
"""

from __future__ import annotations

import numpy as np

from deci_core.graph.dag import is_dag


def cpdag(adjacency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CPDAG of a DAG as ``(directed, undirected)``.

    Args:
        adjacency: (d, d) 0/1 DAG, ``A[i, j] = 1`` meaning i -> j.

    Returns:
        directed: (d, d) bool, the compelled edges. undirected: (d, d) bool, symmetric, the
        reversible ones (each pair set both ways).
    """
    a = np.asarray(adjacency, dtype=bool)
    skeleton = a | a.T
    directed = np.zeros_like(a)
    for child in range(a.shape[0]):
        parents = np.flatnonzero(a[:, child])
        for k, x in enumerate(parents):
            for y in parents[k + 1 :]:
                if not skeleton[x, y]:
                    directed[x, child] = directed[y, child] = True
    return _close(directed, skeleton & ~directed & ~directed.T, skeleton)


def reversed_in_class(adjacency: np.ndarray, parent: int, child: int) -> np.ndarray | None:
    """The member of the DAG's equivalence class with ``child -> parent`` that keeps every other
    orientation of the DAG it can; None when the edge is compelled (reversing it leaves the class).

    Args:
        adjacency: (d, d) 0/1 DAG with the edge ``parent -> child``.
    """
    a = np.asarray(adjacency, dtype=bool)
    skeleton = a | a.T
    directed, undirected = cpdag(a)
    if not undirected[parent, child]:
        return None
    directed, undirected = _orient(directed, undirected, child, parent)
    directed, undirected = _close(directed, undirected, skeleton)
    while undirected.any():
        x, y = (int(v) for v in np.argwhere(np.triu(undirected))[0])
        x, y = (x, y) if a[x, y] else (y, x)  # as the DAG has it
        directed, undirected = _close(*_orient(directed, undirected, x, y), skeleton)
    if not is_dag(directed):
        return None
    same = cpdag(directed)
    original = cpdag(a)
    if not (np.array_equal(same[0], original[0]) and np.array_equal(same[1], original[1])):
        return None
    return directed


def _orient(directed: np.ndarray, undirected: np.ndarray, x: int, y: int) -> tuple[np.ndarray, np.ndarray]:
    directed, undirected = directed.copy(), undirected.copy()
    directed[x, y] = True
    undirected[x, y] = undirected[y, x] = False
    return directed, undirected


def _close(
    directed: np.ndarray, undirected: np.ndarray, skeleton: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Apply Meek's rules until no undirected edge is compelled."""
    changed = True
    while changed:
        changed = False
        for x, y in np.argwhere(np.triu(undirected)):
            for a, b in ((int(x), int(y)), (int(y), int(x))):
                if _compelled(directed, undirected, skeleton, a, b):
                    directed, undirected = _orient(directed, undirected, a, b)
                    changed = True
                    break
    return directed, undirected


def _compelled(directed: np.ndarray, undirected: np.ndarray, skeleton: np.ndarray, a: int, b: int) -> bool:
    """Whether Meek's rules orient the undirected edge a - b as a -> b."""
    others = np.ones(skeleton.shape[0], dtype=bool)
    others[[a, b]] = False
    if (directed[:, a] & ~skeleton[:, b] & others).any():  # R1: c -> a - b, c and b not adjacent
        return True
    if (directed[a] & directed[:, b]).any():  # R2: a -> c -> b
        return True
    middles = np.flatnonzero(undirected[a] & directed[:, b])  # R3: a - c -> b, a - e -> b, c, e apart
    for k, c in enumerate(middles):
        if (~skeleton[c, middles[k + 1 :]]).any():
            return True
    for c in np.flatnonzero(skeleton[a] & ~skeleton[:, b] & others):  # R4: a ~ c -> e -> b, a ~ e
        if (directed[c] & directed[:, b] & skeleton[a]).any():
            return True
    return False


def cpdag_shd(first: np.ndarray, second: np.ndarray) -> int:
    """Structural Hamming distance between the CPDAGs of two DAGs: pairs whose state differs
    (absent, undirected, or directed one way or the other)."""
    states = [_pair_states(*cpdag(g)) for g in (first, second)]
    return int((states[0] != states[1]).sum())


def _pair_states(directed: np.ndarray, undirected: np.ndarray) -> np.ndarray:
    """Per unordered pair (i < j): 0 absent, 1 i -> j, 2 j -> i, 3 undirected."""
    iu = np.triu_indices(directed.shape[0], 1)
    state = np.zeros(len(iu[0]), dtype=int)
    state[directed[iu]] = 1
    state[directed.T[iu]] = 2
    state[undirected[iu]] = 3
    return state
