"""The training loop: minibatched Adam on the ELBO, with budgets, progress and cancellation.

Two modes share the loop: discovery (``graph`` given: learn q(G) and the SEM together) and
fixed-graph fitting (``adjacency`` given: learn only the SEM's functions and noise, much faster; what
``refit_on_graph`` builds on). Stops at ``TrainingConfig.steps``, at ``TrainingConfig.seconds``, or
when converged: the edge probabilities (or, for a fixed graph, the smoothed objective) stopped moving
for ``patience`` steps.

Data with gaps: given ``observed`` (the mask) and an ``imputer``, every minibatch's gaps are filled
with a fresh draw from the imputer, which learns jointly with the SEM (and q(G)); its entropy joins
the objective (:mod:`deci_core.training.imputation`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch

from deci_core.config import TrainingConfig
from deci_core.graph.distribution import EdgeLogits
from deci_core.sem.structural import SEM
from deci_core.training.callbacks import Callback, FitProgress, notify
from deci_core.training.imputation import Imputer
from deci_core.training.lagrangian import AugmentedLagrangian
from deci_core.training.objective import GraphPrior, StepTerms, discovery_terms, fixed_graph_terms

_PROB_TOLERANCE = 0.02
_OBJECTIVE_TOLERANCE = 1e-3
_WARMUP_SHARE = 0.25


@dataclass(frozen=True)
class FitSummary:
    """What a training run did. ``stopped`` is "max_steps", "max_seconds" or "converged".

    ``refine_moves`` counts the moves of the graph refinement after training (see
    :mod:`deci_core.training.refine`).
    ``rows`` is the number of training rows (0 when unknown, e.g. files saved before it was recorded);
    effect estimates use it for the finite-data part of their uncertainty.
    ``missing_policy`` ("model" or "drop"; "" when unknown), ``missing_cells`` (modelled column ->
    missing cells in the table given to fit) and ``dropped_rows`` say how gaps were handled.
    """

    steps: int
    seconds: float
    objective: float
    acyclicity: float
    num_edges: int
    stopped: str
    rows: int = 0
    refine_moves: int = 0
    missing_policy: str = ""
    missing_cells: dict[str, int] = field(default_factory=dict)
    dropped_rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sem_groups(sem: SEM, config: TrainingConfig) -> list[dict[str, Any]]:
    """Optimizer groups of the SEM: its network weights decayed by ``config.weight_decay`` (when > 0
    and the SEM has static networks), everything else undecayed."""
    weights = getattr(sem.functions, "weight_matrices", None) if config.weight_decay > 0 else None
    if weights is None:
        return [{"params": sem.parameters(), "lr": config.learning_rate}]
    decayed = {id(p) for p in weights()}
    rest = [p for p in sem.parameters() if id(p) not in decayed]
    return [
        {"params": rest, "lr": config.learning_rate},
        {"params": weights(), "lr": config.learning_rate, "weight_decay": config.weight_decay},
    ]


def train(
    sem: SEM,
    x: torch.Tensor,
    config: TrainingConfig,
    *,
    graph: EdgeLogits | None = None,
    prior: GraphPrior | None = None,
    adjacency: torch.Tensor | None = None,
    callbacks: Iterable[Callback] = (),
    estimator: str = "enco",
    observed: torch.Tensor | None = None,
    imputer: Imputer | None = None,
) -> FitSummary:
    """Fit ``sem`` (and ``graph``, in discovery mode) to encoded data in place.

    Args:
        sem: the SEM to train. x: (N, C) encoded data on the SEM's device; for a temporal SEM,
            (N, K+1, C) windows (:mod:`deci_core.data.windows`) and ``graph`` a temporal q(G).
        config: budgets, batch size, learning rates, seed.
        graph: q(G) to learn (discovery). prior: its prior (required with ``graph``).
        adjacency: (d, d) fixed graph (fixed-graph mode); exactly one of graph / adjacency.
        callbacks: see :mod:`deci_core.training.callbacks`.
        estimator: q(G)'s gradient estimator, ``"enco"`` or ``"gumbel_st"`` (ModelConfig.gradient_estimator).
        observed: (N, d) bool mask of observed cells (with ``imputer``; x is 0 where missing).
        imputer: q(x_missing | x_observed), trained jointly (module docstring).

    Raises:
        FitCancelled: a callback asked to stop (parameters are then partly trained: discard them).
    """
    if (graph is None) == (adjacency is None):
        raise ValueError("train needs exactly one of graph (discovery) or adjacency (fixed graph)")
    if (observed is None) != (imputer is None):
        raise ValueError("train needs both observed and imputer, or neither")
    callbacks = list(callbacks)
    device = x.device
    gen_cpu = torch.Generator().manual_seed(config.seed)
    gen_dev = torch.Generator(device=device).manual_seed(config.seed + 1)
    groups = _sem_groups(sem, config)
    if graph is not None:
        groups.append({"params": graph.parameters(), "lr": config.graph_learning_rate})
    if imputer is not None:
        groups.append({"params": imputer.parameters(), "lr": config.learning_rate})
    optimizer = torch.optim.Adam(groups, decoupled_weight_decay=True)
    lagrangian = AugmentedLagrangian(rho=config.al_rho)
    state = _RunState(config, time.perf_counter())
    batch = config.batch_size  # drawn with replacement, so small tables work too
    h_window: list[float] = []
    while True:
        idx = torch.randint(x.shape[0], (batch,), generator=gen_cpu).to(device)
        xb, entropy = x[idx], None
        if imputer is not None:
            xb, entropy = imputer.sample(xb, observed[idx], gen_dev)
        if graph is not None:
            assert prior is not None
            terms = discovery_terms(
                sem,
                graph.probs(),
                xb,
                prior,
                lagrangian.penalty,
                x.shape[0],
                config.graph_samples,
                gen_dev,
                config.common_rows,
                estimator,
                family=graph,
            )
        else:
            terms = fixed_graph_terms(sem, adjacency, xb)
        if entropy is not None:  # the ELBO's H(q(x_m | x_o)), per row like the likelihood
            h_q = entropy.mean()
            terms = replace(terms, loss=terms.loss - h_q, objective=terms.objective - float(h_q.detach()))
        loss = terms.loss
        if getattr(sem.noise, "shape_prior", 0.0) > 0:
            loss = loss + sem.noise.shape_penalty() / x.shape[0]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if graph is not None and state.in_warmup():
            graph.zero_grad(set_to_none=True)  # let the functions fit before the graph moves
        if graph is not None and state.step < config.noise_shape_delay * config.steps:
            freeze = getattr(sem.noise, "freeze_shape_grads", None)
            if freeze is not None:
                freeze()  # Gaussian-like noise while the graph takes shape (see TrainingConfig)
        optimizer.step()
        state.record(terms)
        h_window.append(terms.acyclicity)
        if graph is not None and state.step % config.al_interval == 0:
            lagrangian.update(float(np.mean(h_window)))
            h_window.clear()
        stopped = state.stop_reason(graph)
        if stopped or state.step % config.progress_every == 0:
            notify(callbacks, state.progress(edge_probs(graph), done=bool(stopped)))
        if stopped:
            return replace(state.summary(edge_probs(graph), stopped), rows=int(x.shape[0]))


def edge_probs(graph: EdgeLogits | None) -> np.ndarray | None:
    """q(G)'s edge probabilities as a float numpy array (None without a graph)."""
    if graph is None:
        return None
    with torch.no_grad():
        return graph.probs().cpu().numpy().astype(float)


class _RunState:
    """Step counter, smoothed objective, budgets and the convergence test."""

    def __init__(self, config: TrainingConfig, start: float) -> None:
        self.config, self.start = config, start
        self.step, self.objective, self.acyclicity = 0, float("nan"), 0.0
        self.anchor: np.ndarray | float | None = None
        self.anchor_step = 0

    def record(self, terms: StepTerms) -> None:
        self.step += 1
        if self.step == 1:
            self.objective = terms.objective
        else:
            self.objective = 0.98 * self.objective + 0.02 * terms.objective
        self.acyclicity = terms.acyclicity

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def in_warmup(self) -> bool:
        """Warm-up lasts ``warmup_steps`` steps but at most a quarter of the time budget: on a slow or
        busy machine (measured: a d = 20 time-series fit at a load of 16 on 2 cores made 586 steps in
        120 s) q(G) would otherwise never move."""
        return self.step < self.config.warmup_steps and self.elapsed() < _WARMUP_SHARE * self.config.seconds

    def stop_reason(self, graph: EdgeLogits | None) -> str:
        if self.step >= self.config.steps:
            return "max_steps"
        if self.elapsed() >= self.config.seconds:
            return "max_seconds"
        return "converged" if self._converged(graph) else ""

    def _converged(self, graph: EdgeLogits | None) -> bool:
        patience, delay = self.config.patience, self.config.noise_shape_delay * self.config.steps
        if not patience or self.step % patience or self.step < delay:
            return False
        probs = edge_probs(graph)
        current = probs if probs is not None else self.objective
        previous, self.anchor = self.anchor, current
        if previous is None or self.step < 2 * patience:
            return False
        if probs is None:
            return float(previous) - float(current) < _OBJECTIVE_TOLERANCE
        return float(np.abs(current - previous).max()) < _PROB_TOLERANCE and self.acyclicity < 1e-3

    def progress(self, probs: np.ndarray | None, done: bool = False) -> FitProgress:
        elapsed = self.elapsed()
        by_steps = elapsed / self.step * (self.config.steps - self.step)
        eta = 0.0 if done else max(0.0, min(by_steps, self.config.seconds - elapsed))
        edges = int((probs > 0.5).sum()) if probs is not None else 0
        return FitProgress(
            self.step, self.config.steps, self.objective, self.acyclicity, edges, elapsed, eta, probs, done
        )

    def summary(self, probs: np.ndarray | None, stopped: str) -> FitSummary:
        edges = int((probs > 0.5).sum()) if probs is not None else 0
        return FitSummary(
            self.step, round(self.elapsed(), 3), self.objective, self.acyclicity, edges, stopped
        )
