"""Greedy refinement of the most probable graph by held-out likelihood (after variational training).

Why: the variational posterior can settle in a local optimum. Its per-edge gradients compare a
node's fit with and without one parent, using networks trained mostly on the graphs q already
prefers, so a direction chosen early is reinforced, and a fix that needs two coordinated changes
(add a parent, then reverse an edge) is never tried. Measured on the discovery benchmark: the true
graph's held-out log-likelihood beat DECI's by 0.03 to 0.09 nats per row where DECI reversed an edge.

How: every candidate conditional ``p(x_j | x_S)`` is fitted afresh (its own small MLP with the
model's noise model for a continuous x_j, or a softmax over the levels of a binary or categorical one,
the same likelihoods as the SEM's; all candidates batched in one set of tensor ops) and scored
by cross-fitting: fitted on one half of the rows, scored on the other, and the other way round, so
every row is scored by a model that never saw it (more parents only help where they predict).
Hill climbing from the most probable graph then applies the best move (add, remove or reverse an
edge, or reverse all of a node's outgoing or incoming edges; hard constraints and acyclicity
respected) while its gain, net of BIC's ``sparsity * ½·log n`` nats per edge it adds, is at least
``log 20`` nats: odds of 20 to 1 in its favour (the rule, and how it scales with n, is
:mod:`deci_core.training.evidence`). When the climb stops, the closed-form search's DAG
(:mod:`deci_core.training.warm_start`) is scored the same way; if it beats the climbed graph by
those ``log 20`` nats, the climb switches to it and goes on. Fitted candidates are cached, so a
move only costs the few conditionals it changes. Rows: a candidate's fit takes a fixed number of
minibatch steps, and scoring reads at most :func:`~deci_core.training.evidence.score_rows` rows
(16,555 at the default sparsity: enough to resolve an edge of correlation 0.05), so a table of
100,000 rows costs what one of 17,000 does.

Afterwards, every edge whose reversal leaves the Markov equivalence class unchanged is tested: when
the member of the class with the edge reversed and the chosen graph do not differ in held-out
likelihood at the 5% level (a paired test over rows), the data cannot tell the two directions apart
(linear-Gaussian mechanisms do this), and the pair is marked not identifiable
(:mod:`deci_core.training.identifiability`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.graph.dag import most_probable_skeleton_dag, reachability
from deci_core.graph.distribution import EdgeLogits
from deci_core.sem.functions import uniform_init
from deci_core.sem.noise import make_noise
from deci_core.sem.structural import SEM
from deci_core.training.callbacks import Callback, FitProgress, notify
from deci_core.training.evidence import MIN_EVIDENCE_NATS, edge_cost_nats, score_rows
from deci_core.training.identifiability import unidentified_pairs
from deci_core.training.imputation import Imputer
from deci_core.training.loop import FitSummary, edge_probs, train
from deci_core.training.objective import GraphPrior

MIN_ROWS = 200
FIT_STEPS = 400
FIT_BATCH = 256
FIT_HIDDEN = 16
FIT_LEARNING_RATE = 2e-2
EVAL_CHUNK = 512
PROBE_STEPS = 3
EVAL_COST_IN_STEPS = 20  # scoring all rows once costs about this many training steps
CALIBRATION_BATCH = 20
BUDGET_MARGIN = 0.06  # of the time budget: model set-up before training, the final report, hand-over

Candidate = tuple[int, frozenset]


@dataclass(frozen=True)
class Move:
    """One accepted change: ``kind`` is "add", "remove" or "reverse" of the edge parent -> child
    (as it was before the move), or "sink" / "source" of node ``parent`` (= ``child``); ``gain`` is
    the cross-fitted log-likelihood gained, net of the edge cost, in nats."""

    kind: str
    parent: int
    child: int
    gain: float


@dataclass(frozen=True)
class Refinement:
    """The refined DAG (d, d bool), the moves that led to it, in order, and for every pair (i < j)
    whose state changed, the gain of the last move that changed it (its evidence, in nats).
    ``support``: for each edge (i, j) of the refined DAG whose removal was scored in the final round,
    the nats its removal would lose, net of the edge's cost (positive: the data favour the edge)."""

    adjacency: np.ndarray
    moves: tuple[Move, ...]
    evidence: dict[tuple[int, int], float]
    support: dict[tuple[int, int], float] = field(default_factory=dict)


class ConditionalScores:
    """Cross-fitted log-likelihood (total nats over all rows) of ``x_j`` given ``x_S``, cached.

    The rows are split in two halves; each candidate is fitted twice, on one half, and scored on
    the other, so every row is scored once by a model that never saw it.

    Args:
        x: (N, C) encoded rows. col_var: (C,) the variable of each column.
        targets: the variables whose conditionals are scored.
        model_config: noise model of the continuous candidates (the model's own); its ``sparsity``
            scales the cost of an edge (see :mod:`deci_core.training.evidence`).
        seed: fixes the row split and every candidate's initial weights.
        max_rows: score at most this many rows, a random subsample (default: all; ``refine_fit``
            passes :func:`~deci_core.training.evidence.score_rows`). The edge cost is that of the
            rows scored, so the evidence rule stays BIC's for the data the scores come from.
        discrete: the targets that are binary (one 0/1 column) or categorical (one-hot columns),
            scored by their probability mass; the others by their density. A move that changes both
            kinds sums the two: the ratio of joint densities under one product measure.
    """

    def __init__(
        self,
        x: torch.Tensor,
        col_var: torch.Tensor,
        targets: list[int],
        model_config: ModelConfig,
        seed: int,
        max_rows: int | None = None,
        discrete: Collection[int] = (),
    ) -> None:
        generator = torch.Generator().manual_seed(seed)
        order = torch.randperm(x.shape[0], generator=generator).to(x.device)
        half = min(x.shape[0], max_rows or x.shape[0]) // 2
        self.halves = (x[order[:half]].float(), x[order[half : 2 * half]].float())
        self.col_var, self.config, self.seed = col_var.long(), model_config, seed
        self.columns = {int(j): tuple(torch.nonzero(self.col_var == j).flatten().tolist()) for j in targets}
        self.discrete = {int(j) for j in discrete}
        self.cache: dict[Candidate, float] = {}
        self.per_row: dict[Candidate, np.ndarray] = {}  # (rows,) held-out log-density of each row
        self.rows = 2 * half  # every one of them scored once
        self.edge_cost = edge_cost_nats(self.rows, model_config.sparsity)
        self.seconds_per_candidate: float | None = None  # measured (see seconds_for)

    def __call__(self, candidate: Candidate) -> float:
        return self.cache[candidate]

    def rows_of(self, candidate: Candidate) -> np.ndarray:
        """The candidate's held-out log-density of every row (rows,), in a fixed row order."""
        return self.per_row[candidate]

    def seconds_for(self, candidates: set[Candidate]) -> float:
        """Predicted seconds to fit the candidates not yet cached.

        Until a large enough batch has been fitted, a few timed steps on these candidates give the
        rate (its cost per candidate grows with the columns and rows, and with a busy machine).
        """
        missing = [c for c in candidates if c not in self.cache]
        if self.seconds_per_candidate is None and len(missing) >= CALIBRATION_BATCH:
            self.seconds_per_candidate = self._probe(missing) / len(missing)
        return len(missing) * (self.seconds_per_candidate or 0.0)

    def ensure(self, candidates: set[Candidate]) -> None:
        """Fit and score every candidate not yet in the cache, all in one batch."""
        missing = sorted((c for c in candidates if c not in self.cache), key=lambda c: (c[0], sorted(c[1])))
        if not missing:
            return
        start = time.perf_counter()
        per_row = self._fit(missing)
        self.per_row.update(zip(missing, per_row, strict=True))
        self.cache.update((c, float(r.sum(dtype=np.float64))) for c, r in zip(missing, per_row, strict=True))
        if len(missing) >= CALIBRATION_BATCH:  # small batches are overhead-bound: they would mislead
            self.seconds_per_candidate = (time.perf_counter() - start) / len(missing)

    def _probe(self, candidates: list[Candidate]) -> float:
        """Seconds a fit of these candidates would take, extrapolated from a few timed steps."""
        net, optimizer, generator = self._start(candidates)
        self._train(net, optimizer, generator, PROBE_STEPS)  # warm-up (allocations)
        start = time.perf_counter()
        self._train(net, optimizer, generator, PROBE_STEPS)
        return (time.perf_counter() - start) / PROBE_STEPS * (FIT_STEPS + EVAL_COST_IN_STEPS)

    def _start(self, candidates: list[Candidate]):
        device = self.halves[0].device
        generator = torch.Generator().manual_seed(self.seed + len(self.cache))
        parents = [torch.tensor(sorted(s), dtype=torch.long, device=device) for _, s in candidates]
        masks = torch.stack([torch.isin(self.col_var, p) for p in parents]).float()
        targets = [(self.columns[j], j in self.discrete) for j, _ in candidates]
        net = _CandidateNets(masks, targets, self.config, generator).to(device)
        return net, torch.optim.Adam(net.parameters(), lr=FIT_LEARNING_RATE), generator

    def _train(self, net, optimizer, generator: torch.Generator, steps: int) -> None:
        for step in range(steps):
            if step == FIT_STEPS * 3 // 4:
                for group in optimizer.param_groups:
                    group["lr"] = FIT_LEARNING_RATE / 10
            loss = -net.log_prob(*(_draw(h, generator) for h in self.halves)).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    def _fit(self, candidates: list[Candidate]) -> list[np.ndarray]:
        k = len(candidates)
        net, optimizer, generator = self._start(candidates)
        self._train(net, optimizer, generator, FIT_STEPS)
        parts = []
        with torch.no_grad():  # copy 0 learned on half 0 and scores half 1, and vice versa
            for start in range(0, self.halves[0].shape[0], EVAL_CHUNK):
                chunk = [h[start : start + EVAL_CHUNK] for h in reversed(self.halves)]
                parts.append(net.log_prob(*chunk).view(2, k, -1))
        rows = torch.cat(parts, -1).transpose(0, 1).reshape(k, -1)  # (K, 2 * half): half 1, then half 0
        return list(rows.cpu().numpy())  # float32: memory grows with candidates x rows


def _draw(rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return rows[torch.randint(rows.shape[0], (FIT_BATCH,), generator=generator).to(rows.device)]


class _CandidateNets(nn.Module):
    """Two copies of K independent MLP conditionals ``x_target(k) | x_S(k)``, with the SEM's likelihoods.

    Copy 0 learns from the rows passed first to :meth:`log_prob`, copy 1 from the rows passed
    second; everything runs as single batched tensor ops. A continuous target's network outputs its
    mean and the model's noise model scores the residual; a discrete target's outputs the logits of
    its levels (a binary one: levels 0 and 1 of its single column).

    Args:
        masks: (K, C) which columns feed candidate k.
        targets: per candidate, the target's columns and whether it is discrete.
    """

    def __init__(
        self,
        masks: torch.Tensor,
        targets: list[tuple[tuple[int, ...], bool]],
        config: ModelConfig,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        k, c = masks.shape
        h = FIT_HIDDEN
        cont = [i for i, (_, discrete) in enumerate(targets) if not discrete]
        disc = [i for i, (_, discrete) in enumerate(targets) if discrete]
        self.register_buffer("masks", masks.unsqueeze(-1))  # (K, C, 1)
        self.register_buffer("cont", torch.tensor(cont, dtype=torch.long))
        self.register_buffer("cont_col", torch.tensor([targets[i][0][0] for i in cont], dtype=torch.long))
        self.w_in = nn.Parameter(uniform_init((2, k, c, h), c, generator))
        self.b_in = nn.Parameter(torch.zeros(2, k, 1, h))
        self.w_hidden = nn.Parameter(uniform_init((2, k, h, h), h, generator))
        self.b_hidden = nn.Parameter(torch.zeros(2, k, 1, h))
        self.w_out = nn.Parameter(uniform_init((2, len(cont), h), h, generator))
        self.b_out = nn.Parameter(torch.zeros(2, len(cont), 1))
        self.noise = make_noise(config.noise, 2 * len(cont), 1, config.spline_bins, config.spline_bound)
        self.levels = _Levels([targets[i][0] for i in disc])
        self.register_buffer("disc", torch.tensor(disc, dtype=torch.long))
        self.w_logits = nn.Parameter(uniform_init((2, len(disc), h, self.levels.width), h, generator))
        self.b_logits = nn.Parameter(torch.zeros(2, len(disc), 1, self.levels.width))

    def log_prob(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """Rows (n, C) for copy 0 and copy 1 -> (2K, n) log-likelihoods of each candidate's target."""
        rows = torch.stack([first, second])  # (2, n, C)
        z = torch.einsum("fnc,fkch->fknh", rows, self.w_in * self.masks) + self.b_in
        z = F.leaky_relu(z, 0.2)
        z = F.leaky_relu(torch.einsum("fknh,fkhg->fkng", z, self.w_hidden) + self.b_hidden, 0.2)
        ll = rows.new_zeros(z.shape[:3])  # (2, K, n)
        if self.cont.numel():
            mean = torch.einsum("fknh,fkh->fkn", z[:, self.cont], self.w_out) + self.b_out  # (2, Kc, n)
            residual = rows[:, :, self.cont_col].transpose(1, 2) - mean
            flat = residual.reshape(-1, residual.shape[-1])  # (2 Kc, n)
            ll[:, self.cont] = self.noise.log_prob(flat.T.unsqueeze(0))[0].T.reshape(residual.shape)
        if self.disc.numel():
            logits = torch.einsum("fknh,fkhw->fknw", z[:, self.disc], self.w_logits) + self.b_logits
            ll[:, self.disc] = self.levels.log_prob(logits, rows)
        return ll.reshape(-1, ll.shape[-1])


class _Levels(nn.Module):
    """The levels of discrete targets as one-hot rows, padded to a common width W (a binary target:
    two levels, 1 - x and x, from its one column)."""

    def __init__(self, columns: list[tuple[int, ...]]) -> None:
        super().__init__()
        self.width = max([2, *(len(cols) for cols in columns)])
        padded = [list(cols) + [cols[0]] * (self.width - len(cols)) for cols in columns]
        valid = [[w < max(len(cols), 2) for w in range(self.width)] for cols in columns]
        shape = (len(columns), self.width)
        self.register_buffer("cols", torch.tensor(padded, dtype=torch.long).reshape(shape))
        self.register_buffer("valid", torch.tensor(valid, dtype=torch.bool).reshape(shape))
        self.register_buffer("binary", torch.tensor([len(c) == 1 for c in columns], dtype=torch.bool))

    def log_prob(self, logits: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Logits (2, Kd, n, W) and rows (2, n, C) -> (2, Kd, n) log-probabilities of the observed levels."""
        kd, w = self.cols.shape
        onehot = rows[:, :, self.cols.flatten()].reshape(rows.shape[0], -1, kd, w).permute(0, 2, 1, 3)
        level0 = self.binary[:, None, None] & (torch.arange(w, device=rows.device) == 0)
        onehot = torch.where(level0, 1.0 - onehot, onehot) * self.valid[:, None, :]
        log_p = torch.log_softmax(logits.masked_fill(~self.valid[:, None, :], -1e9), -1)
        return (log_p * onehot).sum(-1)


def refine(
    adjacency: np.ndarray,
    scores: ConditionalScores,
    forbidden: np.ndarray,
    required: np.ndarray,
    targets: list[int],
    deadline: float,
    on_round: Callable[[int], None] = lambda moves: None,
) -> Refinement:
    """Hill-climb from ``adjacency`` (a DAG) by moves that change the targets' parents.

    Moves: add, remove or reverse one edge; and reverse all of one node's outgoing ("sink": the node
    takes its children as parents) or incoming ("source") edges at once, which turns a hub the
    wrong way round into a collider, a change no single reversal improves on its own.

    Args:
        adjacency: (d, d) starting DAG. forbidden, required: (d, d) hard masks (never violated).
        targets: variables whose parent sets may change (edges into others stay as they are).
        deadline: ``time.perf_counter()`` value by which the search ends; a round that would not
            finish by then (its cost predicted from the previous rounds') leaves out additions, or
            is not started.
        on_round: called with the number of moves so far before each round (may raise to cancel).
    """
    adj = np.asarray(adjacency, dtype=bool).copy()
    rules = _Rules(forbidden, required, set(targets))
    moves: list[Move] = []
    evidence: dict[tuple[int, int], float] = {}
    while len(moves) < adj.size:
        on_round(len(moves))
        options = _affordable(rules.options(adj), adj, scores, deadline)
        scores.ensure({c for *_, after in options for c in _changed(adj, after)})
        gains = [_gain(adj, after, scores) for *_, after in options]
        if not gains or max(gains) < MIN_EVIDENCE_NATS:
            removals = zip(options, gains, strict=True)
            support = {(i, j): -g for (kind, i, j, _), g in removals if kind == "remove"}
            return Refinement(adj, tuple(moves), evidence, support)
        best = int(np.argmax(gains))
        kind, i, j, after = options[best]
        moves.append(Move(kind, i, j, round(gains[best], 2)))
        changed = np.triu((adj != after) | (adj != after).T)
        evidence.update({(int(a), int(b)): gains[best] for a, b in zip(*np.nonzero(changed), strict=True)})
        adj = after
    return Refinement(adj, tuple(moves), evidence)


_REORIENTING = ("reverse", "sink", "source")


@dataclass(frozen=True)
class _Rules:
    """Which edges may change: not into non-targets, never a forbidden or a required one; no cycles."""

    forbidden: np.ndarray
    required: np.ndarray
    targets: set[int]

    def options(self, adj: np.ndarray) -> list[tuple[str, int, int, np.ndarray]]:
        """Every legal move as (kind, parent, child, adjacency after the move)."""
        reach = reachability(adj)
        options = []
        for i, j in zip(*np.nonzero(adj), strict=True):
            if j in self.targets and not self.required[i, j]:
                options.append(("remove", int(i), int(j), _with(adj, [(i, j)], [])))
                options.append(("reverse", int(i), int(j), _with(adj, [(i, j)], [(j, i)])))
        for i, j in zip(*np.nonzero(~adj & ~adj.T & ~reach.T & ~self.forbidden), strict=True):
            if i != j and j in self.targets:
                options.append(("add", int(i), int(j), _with(adj, [], [(i, j)])))
        for j in range(adj.shape[0]):
            for kind, edges in (("sink", np.flatnonzero(adj[j])), ("source", np.flatnonzero(adj[:, j]))):
                pairs = [(j, c) for c in edges] if kind == "sink" else [(p, j) for p in edges]
                if len(pairs) > 1:
                    options.append((kind, j, j, _with(adj, pairs, [(b, a) for a, b in pairs])))
        fixed = sorted(set(range(adj.shape[0])) - self.targets)
        return [o for o in options if self._legal(adj, o[3], fixed, may_cycle=o[0] in _REORIENTING)]

    def _legal(self, before: np.ndarray, after: np.ndarray, fixed: list[int], may_cycle: bool) -> bool:
        """Only targets' parents change, hard masks hold, and (for moves that reorient) no cycle.

        Removals cannot close a cycle, and additions were drawn only where none would close.
        """
        if (before != after)[:, fixed].any():
            return False
        if (after & self.forbidden).any() or (self.required & ~after).any():
            return False
        return not (may_cycle and reachability(after).diagonal().any())


def _affordable(options: list, adj: np.ndarray, scores: ConditionalScores, deadline: float) -> list:
    """The options whose new candidates can be fitted by the deadline: all of them, else all but the
    additions (the bulk of a first round: one per absent pair), else none."""
    for subset in (options, [o for o in options if o[0] != "add"]):
        needed = {c for *_, after in subset for c in _changed(adj, after)}
        if time.perf_counter() + scores.seconds_for(needed) <= deadline:
            return subset
    return []


def _with(adj: np.ndarray, remove: list, add: list) -> np.ndarray:
    after = adj.copy()
    for i, j in remove:
        after[i, j] = False
    for i, j in add:
        after[i, j] = True
    return after


def _parents(adj: np.ndarray, j: int) -> frozenset:
    return frozenset(int(i) for i in np.flatnonzero(adj[:, j]))


def _changed(before: np.ndarray, after: np.ndarray) -> list[Candidate]:
    """The new conditionals of the variables whose parent set differs, and the ones they replace."""
    nodes = np.flatnonzero((before != after).any(0))
    return [(int(j), _parents(g, int(j))) for j in nodes for g in (before, after)]


def _gain(before: np.ndarray, after: np.ndarray, scores: ConditionalScores) -> float:
    """Cross-fitted nats gained by a move (new conditionals minus the ones they replace), net of the
    cost of the edges it adds."""
    cost = scores.edge_cost * (int(after.sum()) - int(before.sum()))
    nodes = np.flatnonzero((before != after).any(0))
    return -cost + sum(
        scores((int(j), _parents(after, int(j)))) - scores((int(j), _parents(before, int(j)))) for j in nodes
    )


ADAPT_STEPS = 400
IDENTIFIABILITY_SHARE = 0.1  # of the refinement's time, kept for the identifiability test
TIE_BREAK = 0.005


def refine_fit(
    sem: SEM,
    graph: EdgeLogits,
    x: torch.Tensor,
    model_config: ModelConfig,
    config: TrainingConfig,
    prior: GraphPrior,
    summary: FitSummary,
    callbacks: Iterable[Callback] = (),
    observed: torch.Tensor | None = None,
    imputer: Imputer | None = None,
    alternative: np.ndarray | None = None,
) -> tuple[FitSummary, np.ndarray]:
    """Refine q(G)'s most probable graph in place, within what is left of the time budget, and mark
    the pairs whose direction the data cannot identify.

    ``alternative`` (a DAG within the hard masks, e.g. the closed-form search's of
    :mod:`deci_core.training.warm_start`): when its cross-fitted score beats the refined graph's by
    the evidence a move needs, the search switches to it and climbs on from there (the switch
    counts as one move, its gain the evidence of every pair it changes).

    Each pair a move changed gets its new state with probability ``sigmoid(gain)`` (the held-out
    log-odds), the old states sharing the rest. Each marked pair keeps its probability of existing,
    shared evenly between the two directions (a hair more to the refined graph's, which stays the
    most probable DAG). The SEM then trains for ``ADAPT_STEPS`` steps with q fixed, so its networks
    fit the new parent sets.

    Data with gaps (``observed`` and ``imputer``): the candidates are scored on the rows completed
    by one draw from the trained imputer (a single stochastic imputation keeps the spread a mean
    fill would shrink), and the adaptation keeps training the imputer with the SEM.

    Returns:
        ``summary`` with the refinement's seconds added and ``refine_moves`` set; and the (d, d)
        symmetric bool mask of the pairs marked "direction not identifiable" (all False when the
        refinement did not run).
    """
    start = time.perf_counter()
    d = graph.num_nodes
    targets = list(range(d))  # every variable: continuous, binary and categorical ones are scored
    discrete = sem.discrete_nodes
    unidentified = np.zeros((d, d), dtype=bool)
    if not config.refine or x.shape[0] < MIN_ROWS or len(targets) < 2 or summary.seconds >= config.seconds:
        return summary, unidentified
    probs = edge_probs(graph)
    forbidden, required = graph.forbidden.cpu().numpy(), graph.required.cpu().numpy()
    adjacency = most_probable_skeleton_dag(probs, forbidden, required)
    completed = _completed(x, observed, imputer, config.seed)
    rows = score_rows(x.shape[0], model_config.sparsity)  # the evidence needed, not all n rows
    scores = ConditionalScores(completed, sem.col_var, targets, model_config, config.seed, rows, discrete)

    def report(done: bool = False) -> None:
        elapsed = summary.seconds + time.perf_counter() - start
        current = edge_probs(graph)
        progress = FitProgress(
            summary.steps,
            config.steps,
            summary.objective,
            summary.acyclicity,
            int((current > 0.5).sum()),
            elapsed,
            0.0,
            current,
            done,
            phase="refining",
        )
        notify(callbacks, progress)

    adapt_seconds = summary.seconds / max(summary.steps, 1) * ADAPT_STEPS
    deadline = start + (1 - BUDGET_MARGIN) * config.seconds - summary.seconds - adapt_seconds
    search_deadline = start + (1 - IDENTIFIABILITY_SHARE) * (deadline - start)

    def climb(origin: np.ndarray) -> Refinement:
        return refine(origin, scores, forbidden, required, targets, search_deadline, lambda m: report())

    if alternative is not None:  # its conditionals first, so the comparison after the climb is free
        _switch_gain(adjacency, alternative, scores, search_deadline)
    result = climb(adjacency)
    switch = _switch_gain(result.adjacency, alternative, scores, search_deadline)
    switched = switch >= MIN_EVIDENCE_NATS
    if switched:
        result = _then(result, switch, climb(alternative.copy()))
    if result.moves or switched:
        _apply(graph, probs, adjacency, result)
    _confirm(graph, result.support)
    refined = result.adjacency
    unidentified = unidentified_pairs(refined, scores, targets, deadline) & ~(forbidden | forbidden.T)
    _share_directions(graph, refined, unidentified)
    if result.moves or switched or unidentified.any():
        steps = ADAPT_STEPS
        adapt = replace(config, max_steps=steps, warmup_steps=steps, patience=0, seed=config.seed + 7)
        train(sem, x, adapt, graph=graph, prior=prior, observed=observed, imputer=imputer)
    report(done=True)
    seconds = summary.seconds + time.perf_counter() - start
    edges = int(refined.sum())
    moves = len(result.moves) + int(switched)
    summary = replace(summary, seconds=round(seconds, 3), num_edges=edges, refine_moves=moves)
    return summary, unidentified


def _then(first: Refinement, switch: float, second: Refinement) -> Refinement:
    """The refinement that climbed ``first``, switched to another graph (gaining ``switch`` nats),
    and climbed ``second`` from there: every pair the switch changed has its gain as evidence,
    unless a later move changed it again."""
    diff = first.adjacency != second.adjacency  # pairs the switch or the second climb changed
    changed = {(int(i), int(j)) for i, j in np.argwhere(np.triu(diff | diff.T, 1))}
    evidence = first.evidence | {pair: switch for pair in changed} | second.evidence
    return Refinement(second.adjacency, first.moves + second.moves, evidence, second.support)


def _switch_gain(
    current: np.ndarray, alternative: np.ndarray | None, scores: ConditionalScores, deadline: float
) -> float:
    """Cross-fitted nats gained (net of edge costs) by replacing ``current`` with ``alternative``
    (fitting the candidates this needs); -inf when there is none, it is the same graph, or its
    candidates cannot be fitted by the deadline."""
    if alternative is None or (alternative == current).all():
        return -math.inf
    needed = set(_changed(current, alternative))
    if time.perf_counter() + scores.seconds_for(needed) > deadline:
        return -math.inf
    scores.ensure(needed)
    return _gain(current, alternative, scores)


def _confirm(graph: EdgeLogits, support: dict[tuple[int, int], float]) -> None:
    """Raise each kept edge's probability of existing to ``sigmoid(support)`` where that is higher:
    the held-out log-likelihood ratio net of BIC's cost approximates the log Bayes factor of the edge
    against its absence (given the rest of the graph), so this is its posterior probability at even
    prior odds. An edge worth 20 nats is then near-certain rather than left at what training gave
    it; the split between its two directions is kept. Never lowered: the refined graph stays the
    most probable one."""
    probs = edge_probs(graph)
    for (i, j), nats in support.items():
        exists = probs[i, j] + probs[j, i]
        confirmed = 1.0 / (1.0 + math.exp(-min(nats, 50.0)))
        if confirmed > exists and exists > 0:
            scale = confirmed / exists
            graph.set_pair(int(i), int(j), probs[i, j] * scale, probs[j, i] * scale)


def _share_directions(graph: EdgeLogits, adjacency: np.ndarray, unidentified: np.ndarray) -> None:
    """Give each marked pair's existence probability to its two directions evenly (a tie broken
    toward the DAG's own direction, by ``TIE_BREAK`` of the share)."""
    probs = edge_probs(graph)
    for i, j in zip(*np.nonzero(np.triu(unidentified)), strict=True):
        exists = probs[i, j] + probs[j, i]
        lead, other = (i, j) if adjacency[i, j] else (j, i)
        graph.set_pair(int(lead), int(other), exists * (0.5 + TIE_BREAK), exists * (0.5 - TIE_BREAK))


def _completed(
    x: torch.Tensor, observed: torch.Tensor | None, imputer: Imputer | None, seed: int
) -> torch.Tensor:
    """x with its gaps filled by one seeded draw from the imputer (x itself without gaps)."""
    if imputer is None or observed is None:
        return x
    generator = torch.Generator(device=x.device).manual_seed(int(seed) + 11)
    with torch.no_grad():
        return imputer.sample(x, observed, generator)[0]


def _apply(graph: EdgeLogits, probs: np.ndarray, before: np.ndarray, result: Refinement) -> None:
    """Move each changed pair's probability to its new state, in proportion to the move's evidence."""
    after = result.adjacency
    for (i, j), gain in result.evidence.items():
        if before[i, j] == after[i, j] and before[j, i] == after[j, i]:
            continue  # changed, then changed back
        confidence = 1.0 / (1.0 + math.exp(-gain))
        forward = (1 - confidence) * probs[i, j] + confidence * float(after[i, j])
        backward = (1 - confidence) * probs[j, i] + confidence * float(after[j, i])
        graph.set_pair(i, j, forward, backward)
