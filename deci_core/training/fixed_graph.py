"""Learn the SEM's functions and noise with the graph held fixed (after an analyst edits the graph).

Uses the engine's training loop in fixed-graph mode (:func:`deci_core.training.loop.train` with
``adjacency``): no graph logits, no ENCO graph samples, no acyclicity schedule, so each step is one
likelihood evaluation on a single graph, many times cheaper than a discovery step.
The refitted model's graph posterior is a point mass on the given DAG. A table with gaps is fitted
with a fresh imputation network trained jointly (as in discovery, :mod:`deci_core.training.imputation`).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.data.encoder import TableEncoder
from deci_core.errors import GraphError
from deci_core.graph.dag import is_dag
from deci_core.graph.posterior import GraphPosterior
from deci_core.sem.structural import SEM
from deci_core.training.imputation import Imputer, new_imputer
from deci_core.training.loop import train
from deci_core.training.threads import torch_threads

DEFAULT_STEPS = 1000
"""Fixed-graph steps when the caller gives none."""
LEARNING_RATE = 3e-2
"""Adam step size of the first FIRST_SHARE of a fixed-graph fit (on FIRST_BATCH-row batches); the rest
runs at a tenth of it on FINAL_BATCH-row batches. Measured on the effects benchmark's 8 datasets
(bench/RESULTS.md, "## Discovery", refit subsection), against the former 2,000 steps at 1e-2 on
1,024 rows: 56.5 s -> 24.3 s in all, median ATE relative error 0.089 -> 0.074 (mean 0.092 -> 0.093).
A step's cost grows with its rows (d = 10: 1.9 ms at 256 rows, 2.5 at 512, 5.0 at 1,024, 9.9 at
2,048), hence the small first-phase batches. 5e-2 was unstable (d = 5 mixed noise: 0.52); 800 or 500
steps at 1e-2 left the spline noise under-fitted (d = 5 mixed noise: 0.34, 0.39 vs 0.14). With a
constant step the SGD noise alone moved ATEs by 10-20%; stopping on a flat smoothed objective stopped
too early, so early stopping is off."""
WEIGHT_DECAY = 1.0
"""Decoupled weight decay on the networks' weight matrices in fixed-graph fits (``TrainingConfig.
weight_decay``). Without it the networks fitted noise as treatment interactions: on Nie & Wager's
setup C (constant effect 1, 1,000 rows) the per-row effects had sd 1.23 (sqrt(PEHE) 1.23); with it
0.37, and Thornton's randomised incentive moved from 0.84 to 0.08 SE of its difference in means
(bench/RESULTS.md, effects on real data). Weights a gradient pushes one way consistently settle near
1/WEIGHT_DECAY in size; weights only noise moves decay to 0."""
FIRST_SHARE = 0.7
FIRST_BATCH = 512
FINAL_BATCH = 1024
THREADS = 1
"""CPU threads of fixed-graph fits (unless the config sets some): small batched networks gain nothing
from more, and on a busy machine extra OpenMP threads slowed steps 20x in our measurements."""


def point_posterior(names: list[str], adjacency: np.ndarray) -> GraphPosterior:
    """A posterior that puts all its mass on one DAG (every sample and the mode are that DAG)."""
    adj = np.asarray(adjacency, dtype=bool)
    d = len(names)
    return GraphPosterior(tuple(names), adj.astype(float), ~adj & ~np.eye(d, dtype=bool), adj.copy())


def check_adjacency(names: list[str], adjacency: Any) -> np.ndarray:
    """A (d, d) bool DAG over ``names`` from an array or a DataFrame labelled by names."""
    if isinstance(adjacency, pd.DataFrame):
        missing = sorted(set(names) - set(adjacency.index) | set(names) - set(adjacency.columns))
        if missing:
            raise GraphError(f"The graph lacks variable(s) {missing}.")
        adjacency = adjacency.loc[names, names].to_numpy()
    adj = np.asarray(adjacency, dtype=float) > 0.5
    if adj.shape != (len(names), len(names)):
        raise GraphError(
            f"The graph must be {len(names)} x {len(names)} over {names}; got shape {adj.shape}."
        )
    if adj.diagonal().any() or not is_dag(adj):
        raise GraphError("The graph has a directed cycle (or a self-loop): effects need a DAG.")
    return adj


def training_for_refit(
    config: TrainingConfig, steps: int | None, max_seconds: float | None
) -> TrainingConfig:
    """The training config of a fixed-graph fit: the model's, with the fixed-graph budget."""
    return replace(
        config,
        max_steps=int(steps or DEFAULT_STEPS),
        max_seconds=float(max_seconds or 120.0),
        learning_rate=LEARNING_RATE,
        patience=0,
        weight_decay=WEIGHT_DECAY,
    )


def refit_on_graph(
    model: Any,
    df: pd.DataFrame,
    adjacency: Any,
    *,
    warm_start: bool = False,
    steps: int | None = None,
    max_seconds: float | None = None,
    callbacks=(),
) -> Any:
    """A copy of ``model`` whose SEM is retrained on ``df`` with the graph fixed to ``adjacency``.

    Args:
        model: a fitted DECI (left unchanged).
        df: the training table (user units, the model's columns).
        adjacency: (d, d) DAG over ``model.encoder_.names`` (array, or DataFrame labelled by names).
        warm_start: start from the model's current functions instead of fresh weights. Off by
            default: functions learned under a wrong graph carried their mistakes into the refit on
            the effects benchmark (heterogeneous SEM: ATE error 0.22 warm vs 0.07 from scratch).
        steps, max_seconds: budget (default 1,000 steps: 700 at learning rate 3e-2 on 512-row batches,
            300 at 3e-3 on 1,024 rows; 120 s; one CPU thread).
        callbacks: progress callbacks, as for ``fit`` (one returning "stop" cancels).

    Returns:
        The refitted copy; ``graph_posterior_`` is a point mass on the DAG, ``fit_summary_`` says
        what the fixed-graph training did, ``num_rows_`` the rows used.
    """
    names = list(model.encoder_.names)
    adj = check_adjacency(names, adjacency)
    config = training_for_refit(getattr(model, "training_config", TrainingConfig()), steps, max_seconds)
    sem = (
        copy.deepcopy(model.sem_)
        if warm_start
        else fresh_sem(model.encoder_, model.model_config, config.seed)
    )
    model_config = getattr(model, "model_config", None)
    x, observed, imputer = masked_inputs(model.encoder_, df, model_config, config.seed)
    summary = train_fixed(sem, x, adj, config, callbacks, observed, imputer)
    new = copy.copy(model)
    new.sem_, new.graph_posterior_ = sem, point_posterior(names, adj)
    new.fit_summary_, new.num_rows_ = summary, len(df)
    new.imputer_ = imputer.eval() if imputer is not None else None
    return new


def masked_inputs(
    encoder: TableEncoder, df: pd.DataFrame, model_config: ModelConfig | None, seed: int
) -> tuple[torch.Tensor, torch.Tensor | None, Imputer | None]:
    """Encoded rows, and for a table with gaps the mask and a fresh imputer (else None, None).

    Raises:
        DataError: the table has gaps and the model's policy is "drop" (drop them first).
    """
    x, observed = encoder.encode_masked(df)
    if bool(observed.all()):
        return x, None, None
    if model_config is not None and model_config.missing == "drop":
        encoder.encode(df)  # raises the DataError that names the columns with gaps
    return x, observed, new_imputer(encoder.types, encoder.widths, seed)


def fresh_sem(encoder: TableEncoder, model_config: ModelConfig, seed: int) -> SEM:
    return SEM(encoder.types, encoder.widths, model_config, torch.Generator().manual_seed(int(seed)))


def train_fixed(
    sem: SEM,
    x: torch.Tensor,
    adj: np.ndarray,
    config: TrainingConfig,
    callbacks,
    observed: torch.Tensor | None = None,
    imputer: Imputer | None = None,
) -> Any:
    """Two phases (see LEARNING_RATE) on one CPU thread by default; progress counts steps across both.

    With ``observed`` and ``imputer`` the gaps are imputed jointly (see :func:`train`)."""
    sem.train()
    total = config.steps
    first = max(1, int(round(FIRST_SHARE * total)))
    phases = [replace(config, max_steps=first, batch_size=FIRST_BATCH)]
    if total > first:
        phases.append(
            replace(
                config,
                max_steps=total - first,
                learning_rate=config.learning_rate / 10,
                batch_size=max(config.batch_size, FINAL_BATCH),
                seed=config.seed + 1,
            )
        )
    adjacency = torch.as_tensor(adj, dtype=torch.float32)
    done, seconds, summary = 0, 0.0, None
    with torch_threads(config.num_threads or THREADS):
        for phase in phases:
            phase = replace(phase, max_seconds=max(config.seconds - seconds, 1.0))
            shifted = [_shift(cb, done, total) for cb in callbacks]
            summary = train(
                sem, x, phase, adjacency=adjacency, callbacks=shifted, observed=observed, imputer=imputer
            )
            done, seconds = done + summary.steps, seconds + summary.seconds
            if summary.stopped == "max_seconds":
                break
    sem.eval()
    if imputer is not None:
        imputer.eval()
    return replace(summary, steps=done, seconds=round(seconds, 3))


def _shift(callback, offset: int, total: int):
    """A callback seeing steps counted from the start of the whole fit."""

    def shifted(progress: Any) -> Any:
        done = progress.done and offset + progress.step >= total
        return callback(replace(progress, step=offset + progress.step, max_steps=total, done=done))

    return shifted
