"""The public facade: ``DECI(model_config, training_config).fit(df)``, scikit-learn style.

``__init__`` only stores the configs; ``fit`` validates, trains and sets the fitted attributes
(trailing underscore); a failed or cancelled fit leaves none of them set.

Fitted attributes:
    schema_ (TableSchema), encoder_ (TableEncoder), constraints_ (Constraints),
    sem_ (:class:`~deci_core.sem.structural.SEM`, on the CPU, in encoded model space),
    graph_posterior_ (:class:`~deci_core.graph.GraphPosterior`), fit_summary_ (FitSummary),
    time_series_ (None, or :class:`~deci_core.data.windows.TimeSeriesInfo` for a temporal model),
    training_state_ (None, or the training loop's state, from which :meth:`DECI.continue_fit` goes on),
    screened_out_ ((d, d) bool: pairs candidate-parent screening ruled out, in this session only).

Time series (Rhino-style): ``fit(df, time_series=TimeSeriesLayout("week", "store", lags=2))``
learns lagged and instantaneous effects (:mod:`deci_core.training.temporal`); the posterior is then a
:class:`~deci_core.graph.temporal.TemporalGraphPosterior` and effects over time come from
:meth:`DECI.trajectory`.

Missing cells: with ``ModelConfig(missing="model")`` (the default) every row is kept; the encoder
keeps a mask of the observed cells and an amortised imputation network q(x_missing | x_observed)
learns inside the ELBO with the SEM and q(G) (fitted attribute ``imputer_``, None when the table had
no gap). ``missing="drop"`` drops the rows with a gap first. ``fit_summary_`` records the policy, the
missing cells per column and the dropped rows. Infinite values and entirely missing columns are refused.
Threads: fit sets ``torch.set_num_threads(training_config.threads)`` (default
``max(1, min(4, cpu_count // 2))``) and restores the previous value afterwards. ``device="auto"``
trains on CUDA when available; the fitted SEM is returned to the CPU either way.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from deci_core.config import ModelConfig, TrainingConfig, time_budget
from deci_core.constraints import Constraints
from deci_core.data.encoder import TableEncoder
from deci_core.data.missing import summarise_missing
from deci_core.data.schema import TableSchema, drop_missing_rows, infer_schema
from deci_core.data.windows import TimeSeriesLayout, build_windows, default_lags
from deci_core.effects.methods import EffectMethods
from deci_core.effects.temporal import TrajectoryEffect, trajectory_effect
from deci_core.errors import DataError, ModelFileError, NotFittedError
from deci_core.graph.distribution import EdgeLogits
from deci_core.graph.posterior import GraphPosterior
from deci_core.io import ModelFiles, read_model, write_model
from deci_core.sem.structural import SEM
from deci_core.sem.temporal import TemporalSEM
from deci_core.training.callbacks import Callback
from deci_core.training.checkpoint import TrainingCheckpoint
from deci_core.training.evidence import sparsity_per_row
from deci_core.training.imputation import Imputer, new_imputer
from deci_core.training.loop import train
from deci_core.training.objective import GraphPrior
from deci_core.training.refine import refine_fit
from deci_core.training.screening import screen_pairs
from deci_core.training.temporal import fit_temporal
from deci_core.training.threads import torch_threads
from deci_core.training.warm_start import SEARCH_SHARE, search_fit_rows, start_at

FITTED = ("schema_", "encoder_", "constraints_", "sem_", "graph_posterior_", "fit_summary_")
OPTIONAL_FITTED = ("imputer_", "time_series_", "training_state_", "screened_out_")
"""Set by fit and load, but absent on models assembled by hand (read with ``getattr(m, name, None)``)."""
_IMPUTER = "imputer."
"""Prefix of the imputation network's tensors in the saved state dict."""


class DECI(EffectMethods):
    """Deep End-to-end Causal Inference: a posterior over DAGs and an SEM to intervene on.

    Args:
        model_config: what is learned (default ``ModelConfig()``).
        training_config: how it is trained (default ``TrainingConfig()``).
    """

    def __init__(
        self, model_config: ModelConfig | None = None, training_config: TrainingConfig | None = None
    ):
        self.model_config = model_config or ModelConfig()
        self.training_config = training_config or TrainingConfig()

    def fit(
        self,
        df: pd.DataFrame,
        constraints: Any = None,
        schema: TableSchema | None = None,
        callbacks: Iterable[Callback] = (),
        time_series: TimeSeriesLayout | None = None,
    ) -> DECI:
        """Learn the graph posterior and the SEM from a table.

        Args:
            df: the data, one column per variable (names are the graph's nodes).
            constraints: a ``Constraints``, its dict form, or None.
            schema: column types; default ``infer_schema(df)``.
            callbacks: progress callbacks; one returning ``"stop"`` cancels (see training.callbacks).
            time_series: read ``df`` as a long table of time series (time and series columns are
                not variables); learns a temporal graph with lags (see the module docstring).

        Returns:
            self, fitted.

        Raises:
            DataError, ConstraintError, ConfigError: invalid input (message says what to do).
            FitCancelled: a callback stopped training; the model is left unfitted.
        """
        self._clear()
        schema = schema or infer_schema(df)
        if time_series is not None:
            return self._fit_temporal(df, constraints, schema, callbacks, time_series)
        df, gaps = apply_missing_policy(df, schema, self.model_config.missing)
        encoder = TableEncoder.fit(df, schema, allow_missing=self.model_config.missing == "model")
        if len(encoder.names) < 2:
            raise DataError(f"Causal discovery needs at least 2 modeled variables; got {encoder.names}.")
        constraints = _as_constraints(constraints)
        constraints.validate(encoder.names)
        return self._discover(df, schema, encoder, constraints, gaps, self.training_config, callbacks)

    def continue_fit(
        self,
        df: pd.DataFrame,
        extra_steps: int | None = None,
        extra_seconds: float | None = None,
        callbacks: Iterable[Callback] = (),
    ) -> DECI:
        """Continue a fit's training from where it stopped (not from scratch), then refine again.

        The training loop resumes from the state kept at the end of the last training run
        (``training_state_``: parameters, q(G), Adam's moments, the augmented Lagrangian, the step
        counter and the random generators; the refinement that followed is discarded and rerun), so
        a fit of N steps continued by M gives the same result as one fit of N + M steps with the
        same seed. ``training_config`` becomes the longer fit's.

        Args:
            df: the same table the model was fitted on.
            extra_steps: more steps (default: the preset's step budget again).
            extra_seconds: more seconds (default: the preset's time budget again).
            callbacks: progress callbacks, as for ``fit``.

        Raises:
            NotFittedError: not fitted, or fitted without a kept training state (a time-series fit,
                or a model saved before training states were kept): fit again with a longer budget.
        """
        self._check_fitted()
        checkpoint = getattr(self, "training_state_", None)
        if checkpoint is None or self.is_temporal:
            raise NotFittedError(
                "This model kept no training state to continue from (time-series fits and models saved "
                "by an older version do not): fit again with a larger budget."
            )
        base = self.training_config
        preset = TrainingConfig(preset=base.preset)
        training = replace(
            base,
            max_steps=checkpoint.step + int(extra_steps or preset.steps),
            max_seconds=checkpoint.elapsed_s + float(extra_seconds or preset.seconds),
        )
        df, gaps = apply_missing_policy(df, self.schema_, self.model_config.missing)
        encoder, schema, constraints = self.encoder_, self.schema_, self.constraints_
        self._discover(df, schema, encoder, constraints, gaps, training, callbacks, checkpoint)
        self.training_config = training
        return self

    def _discover(self, df, schema, encoder, constraints, gaps, training, callbacks, resume=None) -> DECI:
        """Train q(G) and the SEM (from ``resume`` when given), refine, and set the fitted attributes."""
        mc = self.model_config
        training = replace(training, max_seconds=time_budget(training, len(encoder.names)))
        forbidden, required = (
            torch.as_tensor(m, dtype=torch.bool) for m in constraints.edge_masks(encoder.names)
        )
        beliefs = torch.as_tensor(np.asarray(constraints.belief_probs(encoder.names), dtype=np.float32))
        device = resolve_device(training.device)
        x, observed = encoder.encode_masked(df)
        x = x.to(device)
        kept: list = []
        with torch_threads(training.threads):
            sem = self._new_sem(encoder).to(device)
            imputer, observed = self._new_imputer(encoder, observed, device)
            screened = _screened_out(x, sem, training, required)
            graph = EdgeLogits(forbidden | screened, required).to(device)
            sem.functions.restrict(~graph.forbidden)
            warm = resume is None and sem.num_nodes > training.warm_start_above
            searched, training = (  # used by the warm start and by the refinement, if either runs
                _searched(graph, x, observed, sem, training) if warm or training.refine else (None, training)
            )
            if warm and searched is not None:
                start_at(graph, searched)
            prior = GraphPrior(sparsity_per_row(len(x), mc.sparsity), mc.belief_strength, beliefs.to(device))
            summary = train(
                sem,
                x,
                training,
                graph=graph,
                prior=prior,
                callbacks=callbacks,
                estimator=mc.gradient_estimator,
                observed=observed,
                imputer=imputer,
                resume=resume,
                on_checkpoint=kept.append,
            )
            summary, unidentified = refine_fit(
                sem, graph, x, mc, training, prior, summary, callbacks, observed, imputer, searched
            )
            sem.functions.restrict(None)  # effects may use any graph: every input again
            with torch.no_grad():
                probs = graph.probs().cpu().numpy().astype(float)
        posterior = GraphPosterior(
            tuple(encoder.names),
            probs,
            graph.forbidden.cpu().numpy() & ~screened.numpy(),  # the hard constraints only
            graph.required.cpu().numpy(),
            unidentified,
        )
        self.schema_, self.encoder_, self.constraints_ = schema, encoder, constraints
        self.sem_ = sem.cpu().eval()
        self.screened_out_ = screened.numpy()
        self.imputer_ = imputer.cpu().eval() if imputer is not None else None
        self.graph_posterior_ = posterior
        self.fit_summary_ = replace(summary, missing_policy=mc.missing, **gaps)
        self.time_series_ = None
        self.training_state_ = kept[0] if kept else None
        return self

    def _fit_temporal(
        self,
        df: pd.DataFrame,
        constraints: Any,
        schema: TableSchema,
        callbacks: Iterable[Callback],
        layout: TimeSeriesLayout,
    ) -> DECI:
        present = [c for c in layout.columns if c in {v.name for v in schema.variables}]
        schema = schema.with_types({c: "excluded" for c in present})
        encoder = TableEncoder.fit(df, schema)
        if len(encoder.names) < 2:
            raise DataError(f"Causal discovery needs at least 2 modeled variables; got {encoder.names}.")
        constraints = _as_constraints(constraints)
        constraints.validate(encoder.names)
        lags = layout.lags or default_lags(df, layout, encoder.names)
        windows = build_windows(df, layout, lags, encoder.encode)
        device = resolve_device(self.training_config.device)
        with torch_threads(self.training_config.threads):
            mc, tc = self.model_config, self.training_config
            fit = fit_temporal(windows, encoder, layout, constraints, mc, tc, callbacks, device)
        self.schema_, self.encoder_, self.constraints_ = schema, encoder, constraints
        self.sem_, self.graph_posterior_, self.fit_summary_ = fit.sem, fit.posterior, fit.summary
        self.time_series_, self.imputer_ = fit.info, None
        return self

    @property
    def is_temporal(self) -> bool:
        return getattr(self, "time_series_", None) is not None

    def trajectory(
        self,
        treatment: str,
        outcome: str,
        treatment_value: Any,
        control_value: Any = None,
        *,
        horizon: int = 10,
        hold: bool = False,
        history: pd.DataFrame | None = None,
        num_graphs: int = 20,
        num_samples: int = 1000,
        seed: int = 0,
    ) -> TrajectoryEffect:
        """What happens next: Y over ``horizon`` steps after do(X = a) (:mod:`deci_core.effects.temporal`)."""
        self._check_fitted()
        return trajectory_effect(
            self,
            treatment,
            outcome,
            treatment_value,
            control_value,
            horizon=horizon,
            hold=hold,
            history=history,
            num_graphs=num_graphs,
            num_samples=num_samples,
            seed=seed,
        )

    def log_likelihood(self, df: pd.DataFrame, adjacency: np.ndarray | None = None) -> float:
        """Mean log-likelihood per row of ``df`` under a DAG (default: the most probable graph).

        A temporal model scores the windows of ``df`` (a long table in its layout) under a temporal graph.
        """
        self._check_fitted()
        adj = self.graph_posterior_.most_probable() if adjacency is None else adjacency
        if self.is_temporal:
            info = self.time_series_
            x = build_windows(df, info.layout, info.lags, self.encoder_.encode).x
        else:
            x = self.encoder_.encode(df)
        with torch.no_grad():
            return float(self.sem_.log_prob(x, torch.as_tensor(np.asarray(adj), dtype=torch.float32)).mean())

    @property
    def is_fitted(self) -> bool:
        return all(hasattr(self, name) for name in FITTED)

    def save(self, path: str | Path) -> Path:
        """Write config.json, meta.json and weights.pt to a directory (see :mod:`deci_core.io`)."""
        self._check_fitted()
        parts = ModelFiles(
            self.model_config,
            self.training_config,
            self.schema_,
            self.encoder_,
            self.constraints_,
            self.graph_posterior_,
            self.fit_summary_,
            {**self.sem_.state_dict(), **imputer_state(getattr(self, "imputer_", None))},
            getattr(self, "time_series_", None),
            _state_of(getattr(self, "training_state_", None)),
        )
        return write_model(Path(path), parts)

    @classmethod
    def load(cls, path: str | Path) -> DECI:
        """Load a model saved by :meth:`save`; raises ModelFileError if missing or corrupted."""
        parts = read_model(Path(path))
        model = cls(parts.model_config, parts.training_config)
        model.time_series_ = parts.time_series
        sem = model._new_sem(parts.encoder)
        sem_state = {k: v for k, v in parts.sem_state.items() if not k.startswith(_IMPUTER)}
        imputer_part = {k[len(_IMPUTER) :]: v for k, v in parts.sem_state.items() if k.startswith(_IMPUTER)}
        imputer = None
        try:
            sem.load_state_dict(sem_state, strict=True)
            if imputer_part:
                imputer = new_imputer(parts.encoder.types, parts.encoder.widths, 0)
                imputer.load_state_dict(imputer_part, strict=True)
        except RuntimeError as exc:
            raise ModelFileError(f"'{path}' is corrupted or incomplete (weights: {exc}).") from exc
        model.imputer_ = imputer.eval() if imputer is not None else None
        model.schema_, model.encoder_, model.constraints_ = parts.schema, parts.encoder, parts.constraints
        model.sem_ = sem.eval()
        model.graph_posterior_, model.fit_summary_ = parts.graph_posterior, parts.fit_summary
        try:
            state = parts.training_state
            model.training_state_ = None if state is None else TrainingCheckpoint.from_state(state)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"'{path}' has an unreadable training state ({exc}).") from exc
        return model

    def _new_imputer(
        self, encoder: TableEncoder, observed: torch.Tensor, device: torch.device
    ) -> tuple[Imputer | None, torch.Tensor | None]:
        """The imputation network and the mask on ``device``, or (None, None) for a table without gaps."""
        if bool(observed.all()):
            return None, None
        imputer = new_imputer(encoder.types, encoder.widths, self.training_config.seed)
        return imputer.to(device), observed.to(device)

    def _new_sem(self, encoder: TableEncoder) -> SEM:
        gen = torch.Generator().manual_seed(self.training_config.seed)
        if self.is_temporal:
            lags = self.time_series_.lags
            return TemporalSEM(encoder.types, encoder.widths, self.model_config, gen, lags)
        return SEM(encoder.types, encoder.widths, self.model_config, gen)

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError("This model is not fitted yet: call fit(df) first (or DECI.load(path)).")

    def _clear(self) -> None:
        for name in FITTED + OPTIONAL_FITTED:
            self.__dict__.pop(name, None)

    def __repr__(self) -> str:
        state = "fitted" if self.is_fitted else "unfitted"
        return f"DECI({self.model_config!r}, {self.training_config!r}) [{state}]"


def apply_missing_policy(
    df: pd.DataFrame, schema: TableSchema, policy: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The rows ``fit`` learns from under a policy, and what it records: missing cells per modelled
    column and the rows dropped ("drop" drops rows with a gap; "model" keeps them all).

    Raises:
        DataError: under "drop", every row has a gap.
    """
    summary = summarise_missing(df, schema) if schema.modeled else None
    cells = dict(summary.cells) if summary else {}
    if policy != "drop" or summary is None or not summary.rows_with_gaps:
        return df, {"missing_cells": cells, "dropped_rows": 0}
    kept = drop_missing_rows(df, schema)
    if kept.empty:
        raise DataError(
            f"Every row has a missing value in {[n for n, c in cells.items() if c]}: nothing is left "
            "after dropping them. Let the model handle the gaps (missing='model') or exclude columns."
        )
    return kept, {"missing_cells": cells, "dropped_rows": len(df) - len(kept)}


def imputer_state(imputer: Imputer | None) -> dict[str, torch.Tensor]:
    """The imputer's tensors under the saved-weights prefix (empty without an imputer)."""
    return {} if imputer is None else {_IMPUTER + k: v for k, v in imputer.state_dict().items()}


def _screened_out(
    x: torch.Tensor, sem: SEM, training: TrainingConfig, required: torch.Tensor
) -> torch.Tensor:
    """(d, d) bool: the pairs candidate-parent screening rules out (none at or below
    ``training.screen_above`` variables; never a required edge's pair)."""
    d = sem.num_nodes
    if not training.screen_above or d <= training.screen_above:
        return torch.zeros(d, d, dtype=torch.bool)
    keep = torch.as_tensor(screen_pairs(x, sem.col_var, d))
    return ~(keep | required | required.T) & ~torch.eye(d, dtype=torch.bool)


def _searched(
    graph: EdgeLogits, x: torch.Tensor, observed: torch.Tensor | None, sem: SEM, training: TrainingConfig
) -> tuple[np.ndarray | None, TrainingConfig]:
    """The closed-form search's DAG (None when too few rows are complete), and the training config
    with the search's seconds taken off its time budget."""
    start = time.perf_counter()
    discrete = set(sem.discrete_nodes)
    deadline = start + SEARCH_SHARE * training.seconds
    found = search_fit_rows(graph, x, observed, sem.col_var, discrete, deadline)
    spent = time.perf_counter() - start
    return found, replace(training, max_seconds=max(training.seconds - spent, 1e-3))


def _state_of(checkpoint: TrainingCheckpoint | None) -> dict[str, Any] | None:
    return None if checkpoint is None else checkpoint.to_state()


def _as_constraints(constraints: Any) -> Constraints:
    if constraints is None:
        return Constraints()
    if isinstance(constraints, dict):
        return Constraints.from_dict(constraints)
    return constraints


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
