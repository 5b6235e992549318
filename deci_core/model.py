"""The public facade: ``DECI(model_config, training_config).fit(df)``, scikit-learn style.

``__init__`` only stores the configs; ``fit`` validates, trains and sets the fitted attributes
(trailing underscore); a failed or cancelled fit leaves none of them set.

Fitted attributes:
    schema_ (TableSchema), encoder_ (TableEncoder), constraints_ (Constraints),
    sem_ (:class:`~deci_core.sem.structural.SEM`, on the CPU, in encoded model space),
    graph_posterior_ (:class:`~deci_core.graph.GraphPosterior`), fit_summary_ (FitSummary).

Missing values are refused by the data layer (a DataError naming the columns); drop those rows first.
Threads: fit sets ``torch.set_num_threads(training_config.threads)`` (default
``max(1, min(4, cpu_count // 2))``) and restores the previous value afterwards. ``device="auto"``
trains on CUDA when available; the fitted SEM is returned to the CPU either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.constraints import Constraints
from deci_core.data.encoder import TableEncoder
from deci_core.data.schema import TableSchema, infer_schema
from deci_core.effects.methods import EffectMethods
from deci_core.errors import DataError, ModelFileError, NotFittedError
from deci_core.graph.distribution import EdgeLogits
from deci_core.graph.posterior import GraphPosterior
from deci_core.io import ModelFiles, read_model, write_model
from deci_core.sem.structural import SEM
from deci_core.training.callbacks import Callback
from deci_core.training.evidence import sparsity_per_row
from deci_core.training.loop import train
from deci_core.training.objective import GraphPrior
from deci_core.training.refine import refine_fit
from deci_core.training.threads import torch_threads

FITTED = ("schema_", "encoder_", "constraints_", "sem_", "graph_posterior_", "fit_summary_")


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
    ) -> DECI:
        """Learn the graph posterior and the SEM from a table.

        Args:
            df: the data, one column per variable (names are the graph's nodes).
            constraints: a ``Constraints``, its dict form, or None.
            schema: column types; default ``infer_schema(df)``.
            callbacks: progress callbacks; one returning ``"stop"`` cancels (see training.callbacks).

        Returns:
            self, fitted.

        Raises:
            DataError, ConstraintError, ConfigError: invalid input (message says what to do).
            FitCancelled: a callback stopped training; the model is left unfitted.
        """
        self._clear()
        schema = schema or infer_schema(df)
        encoder = TableEncoder.fit(df, schema)
        if len(encoder.names) < 2:
            raise DataError(f"Causal discovery needs at least 2 modeled variables; got {encoder.names}.")
        constraints = _as_constraints(constraints)
        constraints.validate(encoder.names)
        forbidden, required = (
            torch.as_tensor(m, dtype=torch.bool) for m in constraints.edge_masks(encoder.names)
        )
        beliefs = torch.as_tensor(np.asarray(constraints.belief_probs(encoder.names), dtype=np.float32))
        device = resolve_device(self.training_config.device)
        x = encoder.encode(df).to(device)
        with torch_threads(self.training_config.threads):
            sem = self._new_sem(encoder).to(device)
            graph = EdgeLogits(forbidden, required).to(device)
            mc = self.model_config
            prior = GraphPrior(sparsity_per_row(len(x), mc.sparsity), mc.belief_strength, beliefs.to(device))
            summary = train(
                sem,
                x,
                self.training_config,
                graph=graph,
                prior=prior,
                callbacks=callbacks,
                estimator=mc.gradient_estimator,
            )
            summary, unidentified = refine_fit(
                sem, graph, x, mc, self.training_config, prior, summary, callbacks
            )
            with torch.no_grad():
                probs = graph.probs().cpu().numpy().astype(float)
        posterior = GraphPosterior(
            tuple(encoder.names),
            probs,
            graph.forbidden.cpu().numpy(),
            graph.required.cpu().numpy(),
            unidentified,
        )
        self.schema_, self.encoder_, self.constraints_ = schema, encoder, constraints
        self.sem_ = sem.cpu().eval()
        self.graph_posterior_, self.fit_summary_ = posterior, summary
        return self

    def log_likelihood(self, df: pd.DataFrame, adjacency: np.ndarray | None = None) -> float:
        """Mean log-likelihood per row of ``df`` under a DAG (default: the most probable graph)."""
        self._check_fitted()
        adj = self.graph_posterior_.most_probable() if adjacency is None else adjacency
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
            self.sem_.state_dict(),
        )
        return write_model(Path(path), parts)

    @classmethod
    def load(cls, path: str | Path) -> DECI:
        """Load a model saved by :meth:`save`; raises ModelFileError if missing or corrupted."""
        parts = read_model(Path(path))
        model = cls(parts.model_config, parts.training_config)
        sem = model._new_sem(parts.encoder)
        try:
            sem.load_state_dict(parts.sem_state, strict=True)
        except RuntimeError as exc:
            raise ModelFileError(f"'{path}' is corrupted or incomplete (weights: {exc}).") from exc
        model.schema_, model.encoder_, model.constraints_ = parts.schema, parts.encoder, parts.constraints
        model.sem_ = sem.eval()
        model.graph_posterior_, model.fit_summary_ = parts.graph_posterior, parts.fit_summary
        return model

    def _new_sem(self, encoder: TableEncoder) -> SEM:
        gen = torch.Generator().manual_seed(self.training_config.seed)
        return SEM(encoder.types, encoder.widths, self.model_config, gen)

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError("This model is not fitted yet: call fit(df) first (or DECI.load(path)).")

    def _clear(self) -> None:
        for name in FITTED:
            self.__dict__.pop(name, None)

    def __repr__(self) -> str:
        state = "fitted" if self.is_fitted else "unfitted"
        return f"DECI({self.model_config!r}, {self.training_config!r}) [{state}]"


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
