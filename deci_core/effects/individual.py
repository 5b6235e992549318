"""Effects for given rows: individual effects (ITE) and counterfactuals, by abduction-action-prediction.

Abduction recovers each row's noise on a graph (:meth:`SEM.sample_to_noise`): exactly for continuous
variables (``z = x - f(parents)``, the additive-noise residual). Binary and categorical variables have no
unique noise: their noise is drawn from its posterior given the observed value (truncated logistic;
top-down Gumbel), which reproduces the row exactly without intervention. With any discrete variable
in the model, ``abduction_draws`` such draws are averaged, so a discrete outcome's counterfactual is a
probability of its level (the approximation used); for a graph on which no discrete variable lies
between the treatment and the outcome (nor is the outcome) one draw gives the same answer, and is
used. Action sets the treatment; prediction pushes the
noise through the SEM. Each distinct graph gives one value per row; the estimate is the weighted mean
over graphs and the interval the weighted 2.5% / 97.5% quantiles across graphs (graph uncertainty
only: the SEM's functions are point estimates).

Overlap: a row's effect is only learnable where both arm values are plausible for that row given the
treatment's parents. ``outside_data`` flags rows where either arm lies outside the central 95% of the
treatment's fitted conditional distribution on the most probable graph (continuous: the arm's noise
base draw beyond +-1.96; discrete: the arm's level has probability below 2.5%). For those rows the
effect extrapolates the outcome's function beyond the data and can be far off even when the average
effect is right (bench/RESULTS.md, heterogeneous effects).

Rows with gaps (a model fitted with ``missing="model"`` on a table with gaps has an imputation
network, ``imputer_``): every abduction draw first fills the row's missing cells with a draw from
q(x_missing | x_observed), so a row's effect averages over its imputations (at least
``IMPUTATION_DRAWS`` of them); ``outside_data`` reads the row completed by q's most likely values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from deci_core.data.plain import to_plain
from deci_core.data.schema import VariableType
from deci_core.effects.query import (
    EffectQuery,
    EffectQueryError,
    Query,
    draw_graphs,
    outside_support,
    weighted_quantiles,
)
from deci_core.graph.dag import causal_path_nodes, has_path

_METHOD = "abduction of each row's noise, then do(T=a) and do(T=b), on each sampled graph"
IMPUTATION_DRAWS = 16
"""Imputations averaged per row when the rows have gaps."""


@dataclass(frozen=True)
class IndividualEffects:
    """Per-row effects ``Y_i(a) - Y_i(b)`` with intervals across graphs.

    Attributes:
        query: the question. table: DataFrame (input's index and order) with ``effect``, ``lower_95``,
            ``upper_95``. num_graphs: graphs drawn. abduction_draws: noise draws averaged per row.
    """

    query: EffectQuery
    table: pd.DataFrame
    num_graphs: int
    abduction_draws: int
    seed: int
    per_graph_means: tuple[float, ...] = ()
    graph_weights: tuple[float, ...] = ()
    method: str = _METHOD
    outside_data: Any = None
    """(n,) bool per row, in the table's order: an arm value is outside the treatment's central 95%
    given the row's parents (module docstring), so the row's effect is an extrapolation."""

    def summary(self) -> dict[str, Any]:
        """Mean effect over the rows, with its spread across graphs (std_error, interval_95)."""
        effect = self.table["effect"]
        means, w = np.asarray(self.per_graph_means), np.asarray(self.graph_weights)
        mean = float(effect.mean())
        se = float(np.sqrt(w @ (means - mean) ** 2)) if len(means) else 0.0
        low, high = (
            weighted_quantiles(means[:, None], w, (0.025, 0.975))[:, 0] if len(means) else (mean, mean)
        )
        return {
            "estimate": mean,
            "std_error": se,
            "interval_95": [float(low), float(high)],
            "num_samples": int(len(effect)),
            "mean_effect": mean,
            "median_effect": float(effect.median()),
            "std_effect": float(effect.std(ddof=0)),
            "num_rows": int(len(effect)),
            "outside_data_share": (
                float(np.mean(self.outside_data)) if self.outside_data is not None else None
            ),
            "num_graphs": self.num_graphs,
            "abduction_draws": self.abduction_draws,
            "seed": self.seed,
            "query": self.query.to_dict(),
            "method": self.method,
        }


@dataclass(frozen=True)
class Counterfactual:
    """What the outcome of one row would have been under an intervention.

    Attributes:
        interventions: name -> value set. outcome: name. factual: the observed outcome.
        value: the counterfactual outcome (graph-weighted mean; for a discrete outcome the probability
            of ``outcome_level``). interval_95: weighted 2.5%/97.5% quantiles across graphs.
        per_graph, graph_weights: value on each distinct graph and its weight.
        row: the full counterfactual row on the most probable graph (user units, first abduction draw).
    """

    interventions: dict[str, Any]
    outcome: str
    factual: Any
    value: float
    interval_95: tuple[float, float]
    std_error: float
    per_graph: tuple[float, ...]
    graph_weights: tuple[float, ...]
    num_graphs: int
    abduction_draws: int
    seed: int
    outcome_level: Any = None
    row: dict[str, Any] | None = None
    method: str = "abduction, action, prediction on each sampled graph"
    level_probabilities: dict[str, float] | None = None

    @property
    def most_likely(self) -> Any:
        """For a discrete outcome, the most probable counterfactual level (else None)."""
        if not self.level_probabilities:
            return None
        return max(self.level_probabilities, key=self.level_probabilities.get)

    def to_dict(self) -> dict[str, Any]:
        return {
            "interventions": {k: to_plain(v) for k, v in self.interventions.items()},
            "outcome": self.outcome,
            "factual": to_plain(self.factual),
            "counterfactual": self.value,
            "estimate": self.value,
            "std_error": self.std_error,
            "interval_95": list(self.interval_95),
            "per_graph": list(self.per_graph),
            "graph_weights": list(self.graph_weights),
            "num_graphs": self.num_graphs,
            "num_samples": self.abduction_draws,
            "seed": self.seed,
            "outcome_level": to_plain(self.outcome_level),
            "counterfactual_row": {k: to_plain(v) for k, v in (self.row or {}).items()},
            "level_probabilities": self.level_probabilities,
            "most_likely": to_plain(self.most_likely),
            "method": self.method,
        }


def individual_effects(
    model: Any,
    df: pd.DataFrame,
    query: EffectQuery,
    *,
    num_graphs: int = 20,
    seed: int = 0,
    abduction_draws: int | None = None,
    batch_rows: int = 8192,
) -> IndividualEffects:
    """Each row's effect given all its observed values (module docstring). Vectorised over rows.

    Args:
        df: rows in user units with every modeled column.
        query: the question (its conditioning is not used: every row is its own condition).
        abduction_draws: noise draws per row for discrete variables (default 1 if every variable is
            continuous, else 16).
        batch_rows: rows per SEM pass (memory bound).
    """
    q = Query(model, query)
    rows = _Rows.of(model, q, df)
    k = _draws(q, abduction_draws, rows.has_gaps)
    draws = draw_graphs(model.graph_posterior_, num_graphs, seed)
    per_graph = np.zeros((len(draws.graphs), len(df)))
    for g, graph in enumerate(draws.graphs):
        if not has_path(graph, q.t, q.y):
            continue
        adj = q.adjacency(graph)
        gen = torch.Generator(device=q.device).manual_seed(int(seed) + g)
        # only what do(T) can change and that can change Y is recomputed (bench/RESULTS.md, "Effects on
        # real data"): every other variable keeps its factual value in both arms
        changing = causal_path_nodes(graph, q.t, q.y)
        k_graph = k if rows.has_gaps or _any_discrete(q, changing) else 1
        for start in range(0, len(df), batch_rows):
            xb = rows.slice(start, start + batch_rows)
            per_graph[g, start : start + len(xb[0])] = _row_effects(q, xb, adj, k_graph, gen, changing)
    effect = draws.weights @ per_graph
    low, high = weighted_quantiles(per_graph, draws.weights, (0.025, 0.975))
    table = pd.DataFrame({"effect": effect, "lower_95": low, "upper_95": high}, index=df.index)
    means = tuple(float(v) for v in per_graph.mean(1))
    weights = tuple(float(v) for v in draws.weights)
    outside = (
        np.concatenate(
            [
                outside_support(q, rows.most_likely(start, start + batch_rows), q.adjacency(draws.graphs[0]))
                for start in range(0, len(df), batch_rows)
            ]
        )
        if len(df)
        else np.zeros(0, dtype=bool)
    )
    return IndividualEffects(
        q.resolved(), table, draws.num_graphs, k, int(seed), means, weights, outside_data=outside
    )


@dataclass(frozen=True)
class _Rows:
    """Encoded rows (n, C) on the query's device; with gaps, their mask (n, d) and the imputer."""

    x: torch.Tensor
    observed: torch.Tensor | None = None
    imputer: Any = None

    @classmethod
    def of(cls, model: Any, q: Query, df: pd.DataFrame) -> _Rows:
        x, observed = q.encoder.encode_masked(df)
        if bool(observed.all()):
            return cls(x.to(q.device))
        imputer = getattr(model, "imputer_", None)
        if imputer is None:
            gaps = [n for n, c in zip(q.encoder.names, (~observed).sum(0).tolist(), strict=True) if c]
            raise EffectQueryError(
                f"The rows have missing values in {gaps}, and this model was fitted without gaps, so it "
                "has no imputation network: fill or drop those rows, or refit on the table with its gaps "
                "(missing policy 'model')."
            )
        return cls(x.to(q.device), observed.to(q.device), imputer.to(q.device))

    @property
    def has_gaps(self) -> bool:
        return self.observed is not None

    def slice(self, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor | None, Any]:
        mask = None if self.observed is None else self.observed[start:stop]
        return self.x[start:stop], mask, self.imputer

    def most_likely(self, start: int, stop: int) -> torch.Tensor:
        x, mask, imputer = self.slice(start, stop)
        return x if imputer is None else imputer.most_likely(x, mask)

    def repeated(self, k: int, generator: torch.Generator) -> torch.Tensor:
        """The rows k times over (kn, C), gaps filled with a fresh imputation each time."""
        x = self.x.repeat(k, 1)
        if self.imputer is None:
            return x
        return self.imputer.sample(x, self.observed.repeat(k, 1), generator)[0]


def _any_discrete(q: Query, nodes: np.ndarray) -> bool:
    """True when a discrete variable is among ``nodes``: only then do abduction draws differ."""
    return any(q.encoder.types[i] is not VariableType.CONTINUOUS for i in np.flatnonzero(nodes))


@torch.no_grad()
def _row_effects(
    q: Query,
    rows: tuple[torch.Tensor, torch.Tensor | None, Any],
    adj: torch.Tensor,
    k: int,
    gen: torch.Generator,
    changing: np.ndarray,
) -> np.ndarray:
    n = rows[0].shape[0]
    x = _Rows(*rows).repeated(k, gen)
    z = q.sem.sample_to_noise(x, adj, gen, nodes=changing)
    slices = q.encoder.column_slices
    fixed = {i: x[:, slices[i]] for i in np.flatnonzero(~changing) if i != q.t}
    xa, xb = q.arms(z, adj, fixed)
    diff = q.readout(xa, adj, expected=False) - q.readout(xb, adj, expected=False)
    return diff.double().reshape(k, n).mean(0).cpu().numpy()


def counterfactual(
    model: Any,
    row: pd.Series | pd.DataFrame,
    interventions: dict[str, Any],
    outcome: str,
    *,
    num_graphs: int = 20,
    seed: int = 0,
    outcome_level: Any = None,
    abduction_draws: int | None = None,
) -> Counterfactual:
    """Abduction, action, prediction for one row (module docstring).

    Args:
        row: one row in user units (a Series, or a one-row DataFrame).
        interventions: name -> value to set (numbers, or levels for discrete variables).
        outcome: the variable to predict.
    """
    frame = row.to_frame().T if isinstance(row, pd.Series) else row
    if len(frame) != 1:
        raise EffectQueryError(f"A counterfactual is for one row; got {len(frame)}.")
    if not interventions:
        raise EffectQueryError("Say what to change: give at least one variable=value to set.")
    first, value0 = next(iter(interventions.items()))
    q = Query(model, EffectQuery(first, outcome, value0, value0, outcome_level=outcome_level))
    if outcome in interventions:
        raise EffectQueryError(f"'{outcome}' is set by the intervention: pick another outcome to predict.")
    rows = _Rows.of(model, q, frame.reset_index(drop=True))
    interventions = {name: q.canonical(name, v) for name, v in interventions.items()}
    actions = {q.index(name): q.encode(name, v).to(q.device) for name, v in interventions.items()}
    k = _draws(q, abduction_draws, rows.has_gaps)
    draws = draw_graphs(model.graph_posterior_, num_graphs, seed)
    values, first_row, levels = [], None, []
    for g, graph in enumerate(draws.graphs):
        adj = q.adjacency(graph)
        gen = torch.Generator(device=q.device).manual_seed(int(seed) + g)
        with torch.no_grad():
            z = q.sem.sample_to_noise(rows.repeated(k, gen), adj, gen)
            xc = q.sem.noise_to_sample(z, adj, actions)
        values.append(float(q.readout(xc, adj, expected=False).double().mean()))
        if q.discrete:
            levels.append(q.encoder.decode(xc)[outcome].astype(str).value_counts(normalize=True))
        first_row = first_row if first_row is not None else q.encoder.decode(xc[:1]).iloc[0].to_dict()
    per_graph = np.asarray(values)
    w = draws.weights
    mean = float(w @ per_graph)
    low, high = weighted_quantiles(per_graph, w, (0.025, 0.975))
    std = float(np.sqrt(w @ (per_graph - mean) ** 2))
    factual = frame.iloc[0][outcome]
    probabilities = None
    if q.discrete:
        table = pd.concat(levels, axis=1).fillna(0.0) @ draws.weights
        probabilities = {str(c): float(table.get(str(c), 0.0)) for c in q.out_spec.categories}
    return Counterfactual(
        {k2: to_plain(v) for k2, v in interventions.items()},
        outcome,
        to_plain(factual),
        mean,
        (float(low), float(high)),
        std,
        tuple(values),
        tuple(float(v) for v in w),
        draws.num_graphs,
        k,
        int(seed),
        to_plain(q.level),
        first_row,
        level_probabilities=probabilities,
    )


def _draws(q: Query, requested: int | None, has_gaps: bool = False) -> int:
    if requested is not None:
        if requested < 1:
            raise EffectQueryError(f"abduction_draws must be at least 1, got {requested}.")
        return max(int(requested), IMPUTATION_DRAWS) if has_gaps else int(requested)
    discrete = any(t is not VariableType.CONTINUOUS for t in q.encoder.types)
    return 16 if discrete or has_gaps else 1
