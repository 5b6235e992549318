"""Discovery on time series: windows, per-lag masks and a temporal q(G), trained by the one loop.

The pieces differ from the static fit only in their shapes: the data are windows (N, K+1, C) from
:mod:`deci_core.data.windows`, q(G) is :class:`~deci_core.graph.temporal.TemporalEdgeLogits`, the SEM
is :class:`~deci_core.sem.temporal.TemporalSEM`. The loop, the ELBO with ENCO's estimator, the
augmented Lagrangian (on ``G[0]`` only), callbacks, cancellation and budgets are those of
:func:`~deci_core.training.loop.train`. The static graph refinement is not run (it knows no lags).

Prior: ``EDGE_COST_PER_ROW * ModelConfig.sparsity`` per edge (below).

Constraints: a forbidden edge (also from tiers, roots and leaves) is forbidden at every lag; a
variable's lagged self edges are always allowed; ``layout.instantaneous=False`` forbids all of
``G[0]``; ``layout.lags`` is the maximum lag. Required edges and soft beliefs are not supported on
time series yet (a ConstraintError says so).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.constraints import Constraints
from deci_core.data.encoder import TableEncoder
from deci_core.data.windows import TimeSeriesInfo, TimeSeriesLayout, Windows
from deci_core.errors import ConstraintError
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
    constraints: Constraints, names: list[str], lags: int, instantaneous: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Per-lag hard masks (K+1, d, d): forbidden, required (see the module docstring)."""
    if constraints.required or constraints.beliefs:
        raise ConstraintError(
            "Required edges and soft beliefs are not supported for time series yet: remove them, or "
            "forbid the edges you rule out instead."
        )
    static, _ = constraints.edge_masks(names)
    d = len(names)
    eye = np.eye(d, dtype=bool)
    forbidden = np.repeat((static & ~eye)[None], lags + 1, axis=0)
    forbidden[0] |= eye
    if not instantaneous:
        forbidden[0] = True
    return forbidden, np.zeros_like(forbidden)


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
        torch.as_tensor(m) for m in temporal_masks(constraints, names, lags, layout.instantaneous)
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
