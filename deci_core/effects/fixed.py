"""A fitted SEM on a known graph, without discovery: what benchmarks and tests query effects on."""

from __future__ import annotations

from typing import Any

import pandas as pd

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.data import TableEncoder, TableSchema, infer_schema
from deci_core.effects.methods import EffectMethods
from deci_core.effects.refit import (
    check_adjacency,
    fresh_sem,
    point_posterior,
    train_fixed,
    training_for_refit,
)


class FixedGraphModel(EffectMethods):
    """A fitted SEM on a known graph without discovery (benchmarks, tests): the effect-query surface.

    Attributes (after :meth:`fit`): schema_, encoder_, sem_, graph_posterior_ (point mass),
    refit_summary_, num_rows_.
    """

    def __init__(
        self, model_config: ModelConfig | None = None, training_config: TrainingConfig | None = None
    ):
        self.model_config = model_config or ModelConfig()
        self.training_config = training_config or TrainingConfig()

    def fit(
        self,
        df: pd.DataFrame,
        adjacency: Any,
        schema: TableSchema | None = None,
        *,
        steps: int | None = None,
        max_seconds: float | None = None,
        callbacks=(),
    ) -> FixedGraphModel:
        schema = schema or infer_schema(df)
        encoder = TableEncoder.fit(df, schema)
        adj = check_adjacency(encoder.names, adjacency)
        config = training_for_refit(self.training_config, steps, max_seconds)
        sem = fresh_sem(encoder, self.model_config, config.seed)
        self.refit_summary_ = train_fixed(sem, encoder.encode(df), adj, config, callbacks)
        self.schema_, self.encoder_, self.sem_ = schema, encoder, sem
        self.graph_posterior_, self.num_rows_ = point_posterior(encoder.names, adj), len(df)
        return self
