"""A closed-form score search that gives q(G) its starting point: seconds, where training takes minutes.

Why: from a uniform q(G), the variational fit forms an edge only after its networks have learned
to use it, so a budget-bound fit on a wide table forms weak edges too late (measured on pgmpy's
magic-niab, 44 variables: training ran all but 6 of its 4,000 steps in the 240 s budget and found
56% of the edges, every one of them true). A greedy search under the simplest members of the SEM's
own family finds most of a sparse graph's adjacencies in a few seconds, and training starts there.

The search is hill climbing over DAGs with the refinement's moves (add, remove or reverse one edge,
or reverse all of one node's outgoing or incoming edges), the best move first while it gains, on
the Bayesian information criterion: log-likelihood minus ``½·log n`` nats per parameter, the rule
of training and refinement (:mod:`deci_core.training.evidence`). It is not the refinement's
:func:`~deci_core.training.refine.refine`: that one fits a network per candidate, lazily, while
here every local score is a small solve, so the gains of all moves are kept in one (d, d) matrix
and updated for the one or two children a move changes (magic-niab, one climb from the empty
graph: 0.7 s here, 20 s through ``refine`` with the same scores).

- A continuous child: the better by BIC of a linear and a piecewise-linear additive regression
  (hinges ``max(0, x - q)`` at each continuous parent's quartiles) on its parents' encoded columns
  (a categorical parent's one-hot columns less one), with Gaussian residuals; parameters: the
  weights, the mean and the variance. Scored from one covariance matrix.
- A binary or categorical child: a count table over its parents' joint levels (a continuous parent
  counted by its quartile); parameters: ``levels - 1`` per parent configuration.

Only additive and tabular dependence is seen here, and directions within a Markov equivalence
class are arbitrary; the training's networks, the refinement and the identifiability test decide
the rest. q(G) starts at :data:`START_FORWARD` for an edge found, in its direction
(:data:`START_BACKWARD` the other way), and :data:`START_ABSENT` each way for a pair not found.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from deci_core.graph.dag import has_path, reachability
from deci_core.graph.distribution import EdgeLogits

START_FORWARD = 0.7
START_BACKWARD = 0.1
START_ABSENT = 0.1
PARENT_BINS = 4
"""Levels of a continuous parent of a discrete child (its quantile bins)."""
MIN_ROWS = 50
SEARCH_SHARE = 0.1
"""The most of a fit's time budget the search may take (it stops where it is at that point)."""
RESTARTS = 10
HINGE_QUANTILES = (0.25, 0.5, 0.75)
RIDGE = 1e-8


class LocalScores:
    """BIC of one variable given a parent set (nats over all rows), cached.

    Args:
        x: (N, C) encoded rows, complete. col_var: (C,) the variable of each column.
        discrete: the variables that are binary (one 0/1 column) or categorical (one-hot columns).
    """

    def __init__(self, x: np.ndarray, col_var: np.ndarray, discrete: set[int]) -> None:
        self.n = x.shape[0]
        self.d = int(col_var.max()) + 1
        self.discrete = discrete
        self.penalty = 0.5 * math.log(self.n)
        cols = [np.flatnonzero(col_var == j) for j in range(self.d)]
        # a categorical parent's one-hot columns less one (they sum to one), every other column
        self.regressors = [c[1:] if (j in discrete and len(c) > 1) else c for j, c in enumerate(cols)]
        hinges, self.hinges = _hinge_columns(x, cols, discrete, first=x.shape[1])
        wide = np.concatenate([x, hinges], 1)
        centred = wide - wide.mean(0)
        self.cov = centred.T @ centred / self.n
        self.codes, self.levels = _codes(x, cols, discrete)
        self.cache: dict[tuple[int, frozenset], float] = {}

    def __call__(self, child: int, parents: frozenset) -> float:
        key = (child, parents)
        if key not in self.cache:
            self.cache[key] = (
                self._tabular(child, parents) if child in self.discrete else self._gaussian(child, parents)
            )
        return self.cache[key]

    def _gaussian(self, child: int, parents: frozenset) -> float:
        """The better of the linear and the piecewise-linear additive regression, by BIC."""
        linear = [self.regressors[p] for p in sorted(parents)]
        hinged = linear + [self.hinges[p] for p in sorted(parents)]
        return max(self._regression(child, linear), self._regression(child, hinged))

    def _regression(self, child: int, blocks: list[np.ndarray]) -> float:
        y = int(self.regressors[child][0])
        s = np.concatenate(blocks) if blocks else np.zeros(0, int)
        var = self.cov[y, y]
        if len(s):
            a = self.cov[np.ix_(s, s)] + RIDGE * np.eye(len(s))
            b = self.cov[s, y]
            var = var - b @ np.linalg.solve(a, b)
        var = max(float(var), 1e-12 * max(float(self.cov[y, y]), 1e-300))
        log_lik = -0.5 * self.n * (math.log(2 * math.pi * var) + 1.0)
        return log_lik - self.penalty * (len(s) + 2)

    def _tabular(self, child: int, parents: frozenset) -> float:
        key = np.zeros(self.n, dtype=np.int64)
        configs = 1
        for p in sorted(parents):
            key = key * self.levels[p] + self.codes[:, p]
            configs *= int(self.levels[p])
        joint = key * self.levels[child] + self.codes[:, child]
        log_lik = _sum_n_log_n(joint) - _sum_n_log_n(key)
        return log_lik - self.penalty * (int(self.levels[child]) - 1) * configs


def _hinge_columns(
    x: np.ndarray, cols, discrete: set[int], first: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each continuous variable's hinges ``max(0, x - q)`` at its quartiles q, (N, H), and the
    indices (from ``first``) of every variable's hinge columns (none for a discrete one)."""
    blocks, index, at = [], [], first
    for j, c in enumerate(cols):
        if j in discrete:
            index.append(np.zeros(0, dtype=int))
            continue
        knots = np.quantile(x[:, c[0]], HINGE_QUANTILES)
        blocks.append(np.maximum(0.0, x[:, c[0], None] - knots[None, :]))
        index.append(np.arange(at, at + len(knots)))
        at += len(knots)
    return (np.concatenate(blocks, 1) if blocks else np.zeros((x.shape[0], 0))), index


def _sum_n_log_n(keys: np.ndarray) -> float:
    counts = np.unique(keys, return_counts=True)[1].astype(float)
    return float((counts * np.log(counts)).sum())


def _codes(x: np.ndarray, cols: list[np.ndarray], discrete: set[int]) -> tuple[np.ndarray, np.ndarray]:
    """Each variable as integer levels (N, d) and its number of levels (d,)."""
    codes = np.zeros((x.shape[0], len(cols)), dtype=np.int64)
    for j, c in enumerate(cols):
        if j in discrete:
            codes[:, j] = np.argmax(x[:, c], 1) if len(c) > 1 else (x[:, c[0]] > 0.5)
        else:
            edges = np.quantile(x[:, c[0]], np.linspace(0, 1, PARENT_BINS + 1)[1:-1])
            codes[:, j] = np.searchsorted(edges, x[:, c[0]], side="right")
    levels = np.array([max(len(c), 2) if j in discrete else PARENT_BINS for j, c in enumerate(cols)])
    return codes, levels


def score_search(
    x: np.ndarray,
    col_var: np.ndarray,
    discrete: set[int],
    forbidden: np.ndarray,
    required: np.ndarray,
    deadline: float = math.inf,
    restarts: int = RESTARTS,
    seed: int = 0,
) -> np.ndarray:
    """Greedy BIC hill climbing over DAGs from the required edges: the best DAG reached, (d, d) bool.

    After the first climb, ``restarts`` times: reverse each of the best graph's edges with
    probability ½ and climb again, keeping the result when its total score is higher (a greedy
    climb from the empty graph can settle on a wrong orientation that only a coordinated change
    undoes).

    Args:
        x: (N, C) encoded complete rows. col_var: (C,) variable of each column.
        discrete: binary and categorical variables. forbidden, required: (d, d) hard masks.
        deadline: ``time.perf_counter()`` value after which the search stops where it is.
        restarts: perturbed climbs after the first. seed: the perturbations' random generator.
    """
    scores = LocalScores(np.asarray(x, dtype=np.float64), np.asarray(col_var), discrete)
    d = scores.d
    forbidden = np.asarray(forbidden, dtype=bool) | np.eye(d, dtype=bool)
    required = np.asarray(required, dtype=bool)
    toggle = np.zeros((d, d))  # toggle[i, j]: change in j's score when i joins or leaves its parents
    best = required.copy()
    for j in range(d):
        _update_child(toggle, best, scores, j)
    best = _climb(best, toggle, scores, forbidden, required, deadline)
    best_score = _total(best, scores)
    rng = np.random.default_rng(seed)
    for _ in range(restarts):
        if time.perf_counter() > deadline:
            break
        start = _perturbed(best, rng, forbidden, required)
        for j in range(d):
            _update_child(toggle, start, scores, j)
        found = _climb(start, toggle, scores, forbidden, required, deadline)
        found_score = _total(found, scores)
        if found_score > best_score + 1e-9:
            best, best_score = found, found_score
    return best


def _climb(adj, toggle, scores: LocalScores, forbidden, required, deadline: float) -> np.ndarray:
    """Apply the best move while it gains (``toggle`` must be current for ``adj``; both updated)."""
    for _ in range(adj.size):
        if time.perf_counter() > deadline:
            break
        move = max(
            _edge_moves(adj, toggle, forbidden, required),
            _node_moves(adj, toggle, scores, forbidden, required),
        )
        if move[0] <= 0:
            break
        _, removed, added = move
        for i, j in removed:
            adj[i, j] = False
        for i, j in added:
            adj[i, j] = True
        for child in {j for _, j in removed + added}:
            _update_child(toggle, adj, scores, child)
    return adj


def _total(adj: np.ndarray, scores: LocalScores) -> float:
    return sum(scores(j, frozenset(np.flatnonzero(adj[:, j]).tolist())) for j in range(adj.shape[0]))


def _perturbed(adj: np.ndarray, rng: np.random.Generator, forbidden, required) -> np.ndarray:
    """A copy of ``adj`` with each free edge reversed with probability ½, where that stays acyclic."""
    out = adj.copy()
    edges = [(int(i), int(j)) for i, j in zip(*np.nonzero(adj & ~required & ~forbidden.T), strict=True)]
    for k in rng.permutation(len(edges)):
        if rng.random() >= 0.5:
            continue
        i, j = edges[k]
        out[i, j] = False
        if has_path(out, i, j):
            out[i, j] = True
        else:
            out[j, i] = True
    return out


Move = tuple[float, list[tuple[int, int]], list[tuple[int, int]]]
"""(gain in nats, edges removed, edges added)."""


def _update_child(toggle: np.ndarray, adj: np.ndarray, scores: LocalScores, j: int) -> None:
    parents = frozenset(np.flatnonzero(adj[:, j]).tolist())
    now = scores(j, parents)
    for i in range(adj.shape[0]):
        if i != j:
            toggle[i, j] = scores(j, parents ^ {i}) - now


def _edge_moves(adj: np.ndarray, toggle: np.ndarray, forbidden, required) -> Move:
    """The best single-edge move: add, remove or reverse one edge, keeping the graph acyclic."""
    reach = reachability(adj)  # reach[a, b]: a directed path a -> ... -> b
    via_child = adj.astype(float) @ (reach | np.eye(len(adj), dtype=bool)).astype(float)
    other_path = via_child > adj  # a path i ~> j besides the edge i -> j itself
    add = ~adj & ~adj.T & ~forbidden & ~reach.T
    remove = adj & ~required
    reverse = remove & ~forbidden.T & ~other_path
    best: Move = (-math.inf, [], [])
    for gains, removes, adds in (
        (np.where(add, toggle, -np.inf), False, True),
        (np.where(remove, toggle, -np.inf), True, False),
        (np.where(reverse, toggle + toggle.T, -np.inf), True, True),
    ):
        i, j = (int(k) for k in np.unravel_index(int(np.argmax(gains)), gains.shape))
        if gains[i, j] > best[0]:
            best = (
                float(gains[i, j]),
                [(i, j)] if removes else [],
                [(j, i) if removes else (i, j)] if adds else [],
            )
    return best


def _node_moves(adj: np.ndarray, toggle: np.ndarray, scores: LocalScores, forbidden, required) -> Move:
    """The best reversal of all of one node's outgoing ("sink") or incoming ("source") edges at once.

    It turns a hub the wrong way round into a collider, which no single reversal improves on its
    own. Neither can close a cycle: the node is left with no outgoing (or no incoming) edge.
    """
    best: Move = (-math.inf, [], [])
    for k in range(adj.shape[0]):
        parents = frozenset(np.flatnonzero(adj[:, k]).tolist())
        children = frozenset(np.flatnonzero(adj[k]).tolist())
        now = scores(k, parents)
        for kind, edges in (("sink", [(k, c) for c in children]), ("source", [(p, k) for p in parents])):
            flipped = [(b, a) for a, b in edges]
            if (
                len(edges) < 2
                or any(required[a, b] for a, b in edges)
                or any(forbidden[a, b] for a, b in flipped)
            ):
                continue
            if kind == "sink":  # k takes its children as parents; each child loses k
                gain = scores(k, parents | children) - now + sum(toggle[k, c] for c in children)
            else:  # k loses its parents and becomes one of theirs
                gain = scores(k, frozenset()) - now + sum(toggle[k, p] for p in parents)
            if gain > best[0]:
                best = (float(gain), edges, flipped)
    return best


def search_fit_rows(
    graph: EdgeLogits,
    x: torch.Tensor,
    observed: torch.Tensor | None,
    col_var: torch.Tensor,
    discrete: set[int],
    deadline: float = math.inf,
) -> np.ndarray | None:
    """:func:`score_search` on a fit's complete rows, within q(G)'s hard masks: the DAG found
    (d, d) bool, or None when fewer than :data:`MIN_ROWS` rows are complete."""
    rows = x if observed is None else x[observed.all(1)]
    if rows.shape[0] < MIN_ROWS:
        return None
    forbidden = graph.forbidden.cpu().numpy()
    required = graph.required.cpu().numpy()
    return score_search(
        rows.detach().cpu().double().numpy(), col_var.cpu().numpy(), discrete, forbidden, required, deadline
    )


def start_at(graph: EdgeLogits, found: np.ndarray) -> None:
    """Set q(G)'s logits to start at the DAG ``found`` (the module docstring's probabilities)."""
    d = graph.num_nodes
    for i in range(d):
        for j in range(i + 1, d):
            if found[i, j]:
                graph.set_pair(i, j, START_FORWARD, START_BACKWARD)
            elif found[j, i]:
                graph.set_pair(j, i, START_FORWARD, START_BACKWARD)
            else:
                graph.set_pair(i, j, START_ABSENT, START_ABSENT)
