"""DAG utilities. One convention throughout: ``A[i, j] = 1`` means i -> j (row parent, column child)."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np
import torch


def acyclicity(adjacency: torch.Tensor) -> torch.Tensor:
    """NOTEARS acyclicity ``h(A) = tr(exp(A * A)) - d``; 0 exactly for DAGs, > 0 with a cycle.

    Args:
        adjacency: (..., d, d) non-negative weights or edge probabilities.

    Returns:
        (...,) the penalty (differentiable).
    """
    d = adjacency.shape[-1]
    return torch.linalg.matrix_exp(adjacency * adjacency).diagonal(dim1=-2, dim2=-1).sum(-1) - d


def is_dag(adjacency: np.ndarray) -> bool:
    """True when the (d, d) 0/1 adjacency has no directed cycle (self-loops count as cycles)."""
    return topological_levels(adjacency) is not None


def topological_levels(adjacency: np.ndarray) -> list[np.ndarray] | None:
    """Group nodes by depth: level 0 has no parents, level k only parents in levels < k.

    Args:
        adjacency: (d, d) 0/1 adjacency.

    Returns:
        Node indices per level (all nodes of a level can be computed together), or None if cyclic.
    """
    a = np.asarray(adjacency, dtype=bool).copy()
    remaining = np.ones(a.shape[0], dtype=bool)
    levels = []
    while remaining.any():
        in_deg = a[remaining][:, remaining].sum(0)
        ready = np.flatnonzero(remaining)[in_deg == 0]
        if ready.size == 0:
            return None
        levels.append(ready)
        remaining[ready] = False
    return levels


def topological_order(adjacency: np.ndarray) -> list[int]:
    """Nodes of a DAG, parents before children, first-ready first (raises ValueError on a cycle)."""
    adj = np.asarray(adjacency)
    indegree = (adj != 0).sum(0).astype(int)
    ready = [i for i in range(len(adj)) if indegree[i] == 0]
    order = []
    while ready:
        i = ready.pop(0)
        order.append(i)
        for j in np.flatnonzero(adj[i]):
            indegree[j] -= 1
            if indegree[j] == 0:
                ready.append(int(j))
    if len(order) != len(adj):
        raise ValueError("graph has a directed cycle")
    return order


def reachability(adjacency: np.ndarray) -> np.ndarray:
    """(d, d) bool transitive closure: ``reach[a, b]`` iff a directed path of length >= 1 runs a -> b."""
    reach = np.asarray(adjacency, dtype=bool).copy()
    for k in range(reach.shape[0]):
        reach |= reach[:, [k]] & reach[[k], :]
    return reach


def descendants(adjacency: np.ndarray, i: int) -> np.ndarray:
    """(d,) bool, nodes reachable from i by a directed path (i itself excluded unless on a cycle)."""
    adj = np.asarray(adjacency, dtype=bool)
    seen = np.zeros(adj.shape[0], dtype=bool)
    frontier = adj[i].copy()
    while frontier.any():
        seen |= frontier
        frontier = adj[frontier].any(0) & ~seen
    return seen


def causal_path_nodes(adjacency: np.ndarray, t: int, y: int) -> np.ndarray:
    """(d,) bool: the nodes on a directed path t -> ... -> y, t excluded, y included when the path
    exists: ``de(t) ∩ (an(y) ∪ {y})``."""
    adj = np.asarray(adjacency, dtype=bool)
    above_y = descendants(adj.T, y)
    above_y[y] = True
    nodes = descendants(adj, t) & above_y
    nodes[t] = False
    return nodes


def has_path(adjacency: np.ndarray, i: int, j: int) -> bool:
    """True when the graph has a directed path i -> ... -> j."""
    return bool(descendants(adjacency, i)[j])


def most_probable_dag(
    probs: np.ndarray, forbidden: np.ndarray, required: np.ndarray | None = None, threshold: float = 0.5
) -> np.ndarray:
    """The most probable DAG: required edges, then allowed edges with probability > threshold, kept
    greedily by decreasing probability (see :func:`greedy_dag`)."""
    candidates = (np.asarray(probs) > threshold) & ~np.asarray(forbidden, dtype=bool)
    return greedy_dag(candidates, probs, required)


def most_probable_skeleton_dag(
    probs: np.ndarray, forbidden: np.ndarray, required: np.ndarray | None = None, threshold: float = 0.5
) -> np.ndarray:
    """Like :func:`most_probable_dag`, but a pair enters when it exists (either direction) with
    probability > threshold, in its more probable direction (ties: the lower index as parent).

    Where q has not settled an orientation (both directions below the threshold, their sum above it,
    as with linear-Gaussian data) the edge still counts; the refinement starts from this graph.
    """
    p = np.where(np.asarray(forbidden, dtype=bool), 0.0, np.asarray(probs, dtype=float))
    exists = p + p.T
    upper = np.triu(np.ones_like(p, dtype=bool), 1)
    lead = (p > p.T) | ((p == p.T) & upper)
    merged = np.where(lead & (exists > threshold), exists, 0.0)
    return most_probable_dag(merged, forbidden, required, threshold)


def greedy_dag(candidates: np.ndarray, probs: np.ndarray, required: np.ndarray | None = None) -> np.ndarray:
    """Keep candidate edges in order of decreasing probability, dropping any that closes a cycle.

    Required edges go first (they are acyclic by constraint validation). As a result, on every cycle
    of the candidates the least probable edge is the one dropped.

    Args:
        candidates: (d, d) bool, edges to consider (forbidden edges must already be excluded).
        probs: (d, d) float, edge probabilities used for the order.
        required: (d, d) bool or None, edges that are always kept.

    Returns:
        (d, d) bool DAG.
    """
    d = candidates.shape[0]
    cand = np.asarray(candidates, dtype=bool) & ~np.eye(d, dtype=bool)
    req = np.zeros_like(cand) if required is None else np.asarray(required, dtype=bool)
    cand = cand | req
    rows, cols = np.nonzero(cand)
    key = np.asarray(probs, dtype=float)[rows, cols] + 2.0 * req[rows, cols]
    order = np.argsort(-key, kind="stable")
    dag = np.zeros((d, d), dtype=bool)
    reach = np.eye(d, dtype=bool)  # reach[a, b]: b reachable from a (incl. a == b)
    for k in order:
        i, j = rows[k], cols[k]
        if reach[j, i]:
            continue  # j already reaches i: i -> j would close a cycle
        dag[i, j] = True
        reach |= np.outer(reach[:, i], reach[j, :])
    return dag



def find_cycle(names: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """A directed cycle as its nodes ``[a, b, c, a]`` (first = last), or None for a DAG."""
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from(edges)
    try:
        cycle = nx.find_cycle(g, orientation="original")
    except nx.NetworkXNoCycle:
        return None
    nodes = [u for u, _v, *_ in cycle]
    return nodes + [nodes[0]]


def simple_cycles(edges: Iterable[tuple[str, str]], limit: int) -> tuple[list[list[str]], bool]:
    """Up to ``limit`` directed cycles (each as its nodes, first != last) and whether more exist."""
    found = []
    for cycle in nx.simple_cycles(nx.DiGraph([e for e in edges if e[0] != e[1]])):
        if len(found) == limit:
            return found, True
        found.append(list(cycle))
    return found, False
