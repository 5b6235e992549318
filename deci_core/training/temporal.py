"""Discovery on time series: windows, per-lag masks and a temporal q(G), trained by the one loop.

The pieces differ from the static fit only in their shapes: the data are windows (N, K+1, C) from
:mod:`deci_core.data.windows`, q(G) is :class:`~deci_core.graph.temporal.TemporalEdgeLogits`, the SEM
is :class:`~deci_core.sem.temporal.TemporalSEM`. The loop, the ELBO with ENCO's estimator, the
augmented Lagrangian (on ``G[0]`` only), callbacks, cancellation and budgets are those of
:func:`~deci_core.training.loop.train`. The static graph refinement is not run (it knows no lags).

Prior: ``EDGE_COST_PER_ROW * ModelConfig.sparsity`` per edge (below).

Constraints: a forbidden edge (also from roots and leaves) is forbidden at every lag; tiers order
the variables within a time step, so they forbid instantaneous edges only (a later tier's past may
cause an earlier tier); a variable's lagged self edges are always allowed;
``layout.instantaneous=False`` forbids all of ``G[0]``; ``layout.lags`` is the maximum lag. Per-lag
decisions come on the layout (``forbidden_lagged`` / ``required_lagged``: ``(parent, child, lag)``,
lag 0 instantaneous); the static ``Constraints.required`` (which lag?) and soft beliefs are not
supported on time series yet (a ConstraintError says so).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.constraints import Constraints
from deci_core.data.encoder import TableEncoder
from deci_core.data.windows import TimeSeriesInfo, TimeSeriesLayout, Windows
from deci_core.errors import ConstraintError
from deci_core.graph.dag import find_cycle
from deci_core.graph.temporal import TemporalEdgeLogits, TemporalGraphPosterior
from deci_core.sem.temporal import TemporalSEM
from deci_core.training.callbacks import Callback
from deci_core.training.loop import FitSummary, train
from deci_core.training.objective import GraphPrior

HISTORY_BANK = 256
EDGE_COST_PER_ROW = 0.09
"""The prior cost per temporal edge in nats per row, at the default ``ModelConfig.sparsity`` (1: the
static model's BIC unit, which the temporal model does not use yet; the sparsity scales this).
A temporal graph has (K+1) d^2 candidate edges; measured on our generated Lorenz-96 series
(F = 10, d = 10, T = 1,000, K = 1, 90 s): the static 0.03 kept 30 false lagged edges (second
neighbours, which sampling the ODE every 0.1 makes weakly predictive) and 0.1 kept 5, losing no true
edge (bench/RESULTS.md, "Time series")."""


@dataclass(frozen=True, eq=False)
class TemporalFit:
    """A trained temporal model's parts (SEM on the CPU)."""

    sem: TemporalSEM
    posterior: TemporalGraphPosterior
    summary: FitSummary
    info: TimeSeriesInfo


def temporal_masks(
    constraints: Constraints,
    names: list[str],
    lags: int,
    instantaneous: bool = True,
    forbidden_lagged: Iterable[tuple[str, str, int]] = (),
    required_lagged: Iterable[tuple[str, str, int]] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Per-lag hard masks (K+1, d, d): forbidden, required (see the module docstring).

    Raises:
        ConstraintError: static required edges or beliefs; a per-lag decision naming an unknown
            variable, a lag above K, an instantaneous self edge, an edge both forbidden and required,
            a required edge the other constraints forbid, or required instantaneous edges in a cycle.
    """
    if constraints.required or constraints.beliefs:
        raise ConstraintError(
            "Required edges and soft beliefs are not supported for time series yet: remove them, or "
            "forbid the edges you rule out instead (per lag: forbidden_lagged / required_lagged)."
        )
    static, _ = constraints.edge_masks(names)  # validates; with the tiers
    untiered, _ = replace(constraints, tiers=(), forbid_within_tiers=False).edge_masks(names)
    d = len(names)
    eye = np.eye(d, dtype=bool)
    forbidden = np.repeat((untiered & ~eye)[None], lags + 1, axis=0)
    forbidden[0] |= static | eye  # tiers order the variables within a time step
    if not instantaneous:
        forbidden[0] = True
    required = np.zeros_like(forbidden)
    for edge in forbidden_lagged:
        forbidden[_slot(edge, names, lags)] = True
    for edge in required_lagged:
        slot = _slot(edge, names, lags)
        if forbidden[slot]:
            raise ConstraintError(
                f"{_lag_words(edge)} is required but also forbidden (by a per-lag decision, a forbidden "
                "edge, tiers, roots or leaves, or 'no instantaneous effects'): keep one of them."
            )
        required[slot] = True
    cycle = find_cycle(names, [(names[i], names[j]) for i, j in zip(*np.nonzero(required[0]), strict=True)])
    if cycle:
        raise ConstraintError(
            f"The required instantaneous edges form a cycle ({' -> '.join(cycle)}): the instantaneous "
            "graph must be acyclic. Require one of them at a lag of 1 or more instead."
        )
    return forbidden, required


def _slot(edge: tuple[str, str, int], names: list[str], lags: int) -> tuple[int, int, int]:
    parent, child, lag = edge
    for name in (parent, child):
        if name not in names:
            raise ConstraintError(f"{_lag_words(edge)} names '{name}', not a variable: {list(names)}.")
    if not 0 <= int(lag) <= lags:
        raise ConstraintError(f"{_lag_words(edge)}: the lag must be between 0 and K = {lags}.")
    if int(lag) == 0 and parent == child:
        raise ConstraintError(f"{_lag_words(edge)}: a variable cannot cause itself instantaneously.")
    return int(lag), names.index(parent), names.index(child)


def _lag_words(edge: tuple[str, str, int]) -> str:
    parent, child, lag = edge
    when = "instantaneous" if int(lag) == 0 else f"lag {int(lag)}"
    return f"The edge {parent} -> {child} ({when})"


def fit_temporal(
    windows: Windows,
    encoder: TableEncoder,
    layout: TimeSeriesLayout,
    constraints: Constraints,
    model_config: ModelConfig,
    training_config: TrainingConfig,
    callbacks: Iterable[Callback],
    device: torch.device,
) -> TemporalFit:
    """Learn q(G) over temporal graphs and the temporal SEM from windows (N, K+1, C)."""
    lags, names = windows.lags, encoder.names
    forbidden, required = (
        torch.as_tensor(m)
        for m in temporal_masks(
            constraints,
            names,
            lags,
            layout.instantaneous,
            layout.forbidden_lagged,
            layout.required_lagged,
        )
    )
    gen = torch.Generator().manual_seed(training_config.seed)
    sem = TemporalSEM(encoder.types, encoder.widths, model_config, gen, lags).to(device)
    graph = TemporalEdgeLogits(forbidden, required).to(device)
    prior = GraphPrior(EDGE_COST_PER_ROW * model_config.sparsity)
    x = windows.x.to(device)
    summary = train(sem, x, training_config, graph=graph, prior=prior, callbacks=callbacks, estimator="enco")
    with torch.no_grad():
        probs = graph.probs().cpu().numpy().astype(float)
    posterior = TemporalGraphPosterior(tuple(names), probs, forbidden.numpy(), required.numpy())
    pick = torch.randperm(len(windows.x), generator=gen)[:HISTORY_BANK]
    info = TimeSeriesInfo(
        layout, lags, windows.spacing, len(windows.x), windows.dropped, windows.x[pick, 1:].clone()
    )
    return TemporalFit(sem.cpu().eval(), posterior, summary, info)
