"""Effect queries as methods of the fitted model: a thin mixin the DECI facade inherits.

The methods take the question as plain arguments (the public API) and pass it on as one
:class:`~deci_core.effects.query.EffectQuery`. Each method delegates to :mod:`deci_core.effects`
with the model itself; see the functions there for
the methods, shapes and limits. ``num_rows_`` (training rows), when the model has it, feeds the
finite-data part of the uncertainty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from deci_core.effects.curve import CateCurve, cate_curve
from deci_core.effects.estimate import EffectEstimate
from deci_core.effects.individual import Counterfactual, IndividualEffects, counterfactual, individual_effects
from deci_core.effects.linear import LinearCheck, linear_backdoor
from deci_core.effects.query import EffectQuery
from deci_core.effects.simulate import average_effect
from deci_core.training.fixed_graph import check_adjacency, refit_on_graph


def training_rows(model: Any) -> int | None:
    """Rows the model was trained on (``num_rows_`` or ``fit_summary_.rows``), None when unknown."""
    rows = getattr(model, "num_rows_", None) or getattr(getattr(model, "fit_summary_", None), "rows", 0)
    return int(rows) if rows else None


class EffectMethods:
    """``ate``, ``cate``, ``cate_curve``, ``ite``, ``counterfactual``, ``refit_on_graph``,
    ``linear_cross_check`` on a fitted model (``encoder_``, ``sem_``, ``graph_posterior_``)."""

    def ate(
        self,
        treatment: str,
        outcome: str,
        treatment_value: Any,
        control_value: Any,
        *,
        num_graphs: int = 20,
        num_samples: int = 4000,
        seed: int = 0,
        outcome_level: Any = None,
    ) -> EffectEstimate:
        """E[Y | do(T=a)] - E[Y | do(T=b)] in the outcome's units (probability change if discrete)."""
        query = EffectQuery(treatment, outcome, treatment_value, control_value, outcome_level=outcome_level)
        rows = training_rows(self)
        return average_effect(
            self, query, num_graphs=num_graphs, num_samples=num_samples, seed=seed, data_rows=rows
        )

    def cate(
        self,
        treatment: str,
        outcome: str,
        treatment_value: Any,
        control_value: Any,
        conditioning: dict[str, Any],
        *,
        num_graphs: int = 20,
        num_samples: int = 20_000,
        seed: int = 0,
        outcome_level: Any = None,
        bandwidth: float = 1.0,
    ) -> EffectEstimate:
        """The effect among units with the given modifier values / ranges / levels."""
        query = EffectQuery(
            treatment, outcome, treatment_value, control_value, dict(conditioning), outcome_level
        )
        return average_effect(
            self,
            query,
            num_graphs=num_graphs,
            num_samples=num_samples,
            seed=seed,
            data_rows=training_rows(self),
            bandwidth=bandwidth,
        )

    def cate_curve(
        self,
        treatment: str,
        outcome: str,
        treatment_value: Any,
        control_value: Any,
        modifier: str,
        **kwargs: Any,
    ) -> CateCurve:
        """The conditional effect across one modifier's range."""
        kwargs.setdefault("data_rows", training_rows(self))
        level = kwargs.pop("outcome_level", None)
        query = EffectQuery(treatment, outcome, treatment_value, control_value, outcome_level=level)
        return cate_curve(self, query, modifier, **kwargs)

    def ite(
        self,
        df: pd.DataFrame,
        treatment: str,
        outcome: str,
        treatment_value: Any,
        control_value: Any,
        **kwargs: Any,
    ) -> IndividualEffects:
        """Every row's effect given its observed values (``.table``: effect, lower_95, upper_95)."""
        level = kwargs.pop("outcome_level", None)
        query = EffectQuery(treatment, outcome, treatment_value, control_value, outcome_level=level)
        return individual_effects(self, df, query, **kwargs)

    def counterfactual(
        self, row: pd.Series | pd.DataFrame, interventions: dict[str, Any], outcome: str, **kwargs: Any
    ) -> Counterfactual:
        """What ``outcome`` would have been for this row under ``interventions``."""
        return counterfactual(self, row, interventions, outcome, **kwargs)

    def refit_on_graph(self, df: pd.DataFrame, adjacency: Any, **kwargs: Any) -> Any:
        """A copy with the SEM retrained on ``df`` and the graph fixed to ``adjacency`` (a DAG)."""
        return refit_on_graph(self, df, adjacency, **kwargs)

    def linear_cross_check(
        self,
        df: pd.DataFrame,
        treatment: str,
        outcome: str,
        treatment_value: Any,
        control_value: Any,
        adjacency: Any = None,
        outcome_level: Any = None,
    ) -> LinearCheck:
        """Linear backdoor estimate on a graph (default: the most probable one)."""
        names = list(self.encoder_.names)
        adj = (
            self.graph_posterior_.most_probable() if adjacency is None else check_adjacency(names, adjacency)
        )
        query = EffectQuery(treatment, outcome, treatment_value, control_value, outcome_level=outcome_level)
        return linear_backdoor(df, self.encoder_, np.asarray(adj), query)
