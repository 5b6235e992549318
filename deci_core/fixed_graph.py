"""A DECI fitted on a known graph, without discovery (imported graphs, benchmarks, tests).

The result is a real :class:`~deci_core.model.DECI` (it saves, loads and answers effect queries)
whose graph posterior is a point mass on the given DAG.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from deci_core.data.encoder import TableEncoder
from deci_core.data.schema import TableSchema, infer_schema
from deci_core.model import DECI, apply_missing_policy
from deci_core.training.fixed_graph import (
    check_adjacency,
    fresh_sem,
    masked_inputs,
    point_posterior,
    train_fixed,
    training_for_refit,
)


class FixedGraphModel(DECI):
    """``FixedGraphModel(model_config, training_config).fit(df, adjacency)``: the SEM on a fixed DAG.

    Fitted attributes are DECI's (``constraints_`` empty, ``fit_summary_`` from the fixed-graph
    training) plus ``num_rows_``.
    """

    def fit(  # type: ignore[override]  # a graph instead of constraints
        self,
        df: pd.DataFrame,
        adjacency: Any,
        schema: TableSchema | None = None,
        *,
        steps: int | None = None,
        max_seconds: float | None = None,
        callbacks=(),
    ) -> FixedGraphModel:
        """Fit the SEM's functions and noise on ``df`` with the graph held at ``adjacency`` (a DAG)."""
        from deci_core.constraints import Constraints

        self._clear()
        schema = schema or infer_schema(df)
        mc = self.model_config
        df, gaps = apply_missing_policy(df, schema, mc.missing)
        encoder = TableEncoder.fit(df, schema, allow_missing=mc.missing == "model")
        adj = check_adjacency(encoder.names, adjacency)
        config = training_for_refit(self.training_config, steps, max_seconds)
        sem = fresh_sem(encoder, mc, config.seed)
        x, observed, imputer = masked_inputs(encoder, df, mc, config.seed)
        summary = train_fixed(sem, x, adj, config, callbacks, observed, imputer)
        self.schema_, self.encoder_, self.constraints_, self.sem_ = schema, encoder, Constraints(), sem
        self.graph_posterior_ = point_posterior(encoder.names, adj)
        self.fit_summary_ = replace(summary, missing_policy=mc.missing, **gaps)
        self.imputer_, self.num_rows_ = imputer, len(df)
        return self
