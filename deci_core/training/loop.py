"""The training loop: minibatched Adam on the ELBO, with budgets, progress and cancellation.

Two modes share the loop: discovery (``graph`` given: learn q(G) and the SEM together) and
fixed-graph fitting (``adjacency`` given: learn only the SEM's functions and noise, much faster; what
``refit_on_graph`` builds on). Stops at ``TrainingConfig.steps``, at ``TrainingConfig.seconds``, or
when converged: the edge probabilities (or, for a fixed graph, the smoothed objective) stopped moving
for ``patience`` steps. Every discovery fit ends with a convergence verdict
(:mod:`deci_core.training.convergence`), and ``on_checkpoint`` receives the loop's full state
(:mod:`deci_core.training.checkpoint`), from which ``resume`` continues exactly where it stopped.

Data with gaps: given ``observed`` (the mask) and an ``imputer``, every minibatch's gaps are filled
with a fresh draw from the imputer, which learns jointly with the SEM (and q(G)); its entropy joins
the objective (:mod:`deci_core.training.imputation`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch

from deci_core.config import TrainingConfig
from deci_core.graph.distribution import EdgeLogits
from deci_core.sem.structural import SEM
from deci_core.training.callbacks import Callback, FitProgress, notify
from deci_core.training.checkpoint import TrainingCheckpoint, module_state, optimizer_state
from deci_core.training.convergence import MOVE_WINDOW, verdict
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
    ``converged`` and ``convergence`` (a sentence) are the verdict of
    :mod:`deci_core.training.convergence` (discovery only; files saved before it read as converged).
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
    converged: bool = True
    convergence: str = ""

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
    resume: TrainingCheckpoint | None = None,
    on_checkpoint: Callable[[TrainingCheckpoint], None] | None = None,
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
        resume: continue from this state (same modules, data and settings; a larger step budget
            and a time budget counted from the original start); parameters are loaded into the
            given modules.
        on_checkpoint: called once at the end with the loop's state (for a later ``resume``).

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
    h_window: list[float] = []
    modules = {"sem": sem, "graph": graph, "imputer": imputer}
    if resume is not None:
        h_window = _restore(resume, modules, optimizer, lagrangian, state, (gen_cpu, gen_dev))
    batch = config.batch_size  # drawn with replacement, so small tables work too
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
        state.mark(graph)
        stopped = state.stop_reason(graph)
        if stopped or state.step % config.progress_every == 0:
            notify(callbacks, state.progress(edge_probs(graph), done=bool(stopped)))
        if stopped:
            if on_checkpoint is not None:
                parts = (modules, optimizer, lagrangian, h_window, (gen_cpu, gen_dev))
                on_checkpoint(state.checkpoint(*parts))
            return replace(state.summary(edge_probs(graph), stopped), rows=int(x.shape[0]))


def _restore(checkpoint, modules, optimizer, lagrangian, state, generators) -> list[float]:
    """Load a checkpoint into the loop's pieces; returns the acyclicity window."""
    for role, module in modules.items():
        if module is not None:
            module.load_state_dict(checkpoint.modules[role])
    optimizer.load_state_dict(checkpoint.optimizer)
    lagrangian.rho, lagrangian.alpha = checkpoint.lagrangian["rho"], checkpoint.lagrangian["alpha"]
    lagrangian.last_h = checkpoint.lagrangian["last_h"]
    for generator, name in zip(generators, ("cpu", "device"), strict=True):
        generator.set_state(checkpoint.generators[name])
    state.restore(checkpoint)
    return list(checkpoint.h_window)


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
        self.marks: list[tuple[int, np.ndarray]] = []  # the last two MOVE_WINDOW anchors
        self.warmup_end = -1  # first step after the warm-up (-1: not reached)

    def restore(self, checkpoint: TrainingCheckpoint) -> None:
        """Continue from a checkpoint: counters, anchors, and the clock as if never stopped."""
        self.step, self.objective = checkpoint.step, checkpoint.objective
        self.acyclicity, self.start = checkpoint.acyclicity, self.start - checkpoint.elapsed_s
        anchors = checkpoint.anchors
        anchor = anchors.get("anchor")
        self.anchor = anchor if anchor is None or isinstance(anchor, np.ndarray) else float(anchor)
        self.marks = [(int(step), np.asarray(p)) for step, p in anchors.get("marks", [])]
        self.warmup_end = int(anchors.get("warmup_end", -1))

    def checkpoint(self, modules, optimizer, lagrangian, h_window, generators) -> TrainingCheckpoint:
        """The loop's state now (copies on the CPU)."""
        return TrainingCheckpoint(
            self.step,
            self.elapsed(),
            self.objective,
            self.acyclicity,
            {role: module_state(m) for role, m in modules.items() if m is not None},
            optimizer_state(optimizer),
            {"rho": lagrangian.rho, "alpha": lagrangian.alpha, "last_h": lagrangian.last_h},
            list(h_window),
            {name: g.get_state() for name, g in zip(("cpu", "device"), generators, strict=True)},
            {
                "anchor": self.anchor,
                "marks": [[step, p] for step, p in self.marks],
                "warmup_end": self.warmup_end,
            },
        )

    def mark(self, graph: EdgeLogits | None) -> None:
        """Keep the edge probabilities every MOVE_WINDOW steps after the warm-up (the last two)."""
        if graph is None:
            return
        if self.warmup_end < 0 and not self.in_warmup():
            self.warmup_end = self.step
        if self.warmup_end >= 0 and (self.step - self.warmup_end) % MOVE_WINDOW == 0:
            self.marks = [*self.marks[-1:], (self.step, edge_probs(graph))]

    def movement(self, probs: np.ndarray) -> float | None:
        """Largest change of an edge probability since the newest anchor at least MOVE_WINDOW old."""
        old = [p for step, p in self.marks if self.step - step >= MOVE_WINDOW]
        return float(np.abs(probs - old[-1]).max()) if old else None

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
        summary = FitSummary(
            self.step, round(self.elapsed(), 3), self.objective, self.acyclicity, edges, stopped
        )
        if probs is None:
            return summary
        learning = self.step - self.warmup_end if self.warmup_end >= 0 else 0
        found = verdict(stopped, self.warmup_end < 0, learning, self.acyclicity, self.movement(probs))
        return replace(summary, converged=found.converged, convergence=found.sentence)
