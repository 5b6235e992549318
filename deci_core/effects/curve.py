"""The conditional effect across one modifier's range: a CATE curve with per-point intervals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from deci_core.data.plain import to_plain
from deci_core.data.schema import VariableType
from deci_core.effects.query import EffectQuery, Query, draw_graphs, outside_support
from deci_core.effects.simulate import _data_variance, _noise, _simulate, modifier_values
from deci_core.graph.dag import has_path


@dataclass(frozen=True)
class CateCurve:
    """``E[Y(a) - Y(b) | modifier = g]`` at grid points g.

    Attributes:
        treatment, outcome, modifier: names. treatment_value, control_value: the two arms.
        grid: modifier values (user units, or levels for a discrete modifier).
        values, std_errors: effect and standard error (graph + Monte-Carlo) at each grid point.
        num_graphs, num_samples, seed: as in EffectEstimate. outcome_level: discrete outcome level.
        outside_share: at each grid point, the (kernel-weighted) share of simulated units for which
            an arm value lies outside the treatment's central 95% given its causes on the most
            probable graph (:func:`~deci_core.effects.query.outside_support`): where it is high the
            curve is the model's extrapolation rather than learned from data.
    """

    treatment: str
    outcome: str
    modifier: str
    treatment_value: Any
    control_value: Any
    grid: tuple[Any, ...]
    values: tuple[float, ...]
    std_errors: tuple[float, ...]
    num_graphs: int
    num_samples: int
    seed: int
    outcome_level: Any = None
    outside_share: tuple[float, ...] = ()

    @property
    def lower_95(self) -> np.ndarray:
        return np.asarray(self.values) - 1.959964 * np.asarray(self.std_errors)

    @property
    def upper_95(self) -> np.ndarray:
        return np.asarray(self.values) + 1.959964 * np.asarray(self.std_errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "outcome": self.outcome,
            "modifier": self.modifier,
            "treatment_value": to_plain(self.treatment_value),
            "control_value": to_plain(self.control_value),
            "grid": [to_plain(g) for g in self.grid],
            "values": list(self.values),
            "std_errors": list(self.std_errors),
            "lower_95": self.lower_95.tolist(),
            "upper_95": self.upper_95.tolist(),
            "num_graphs": self.num_graphs,
            "num_samples": self.num_samples,
            "seed": self.seed,
            "outcome_level": to_plain(self.outcome_level),
            "outside_share": list(self.outside_share),
        }


def cate_curve(
    model: Any,
    query: EffectQuery,
    modifier: str,
    *,
    grid: Any = None,
    num_points: int = 15,
    num_graphs: int = 20,
    num_samples: int = 20_000,
    seed: int = 0,
    bandwidth: float = 1.0,
    data_rows: int | None = None,
) -> CateCurve:
    """The CATE at each grid value of one modifier (kernel average per point, see simulate.py).

    Args:
        modifier: the variable the effect may vary with.
        grid: values to evaluate at; default: ``num_points`` quantiles (5%..95%) of its simulated
            values for a continuous modifier, every level for a discrete one.
        data_rows: training rows: adds the finite-data variance (as for the ATE, scaled by 1 / the
            share of simulated units each point rests on).
        query: the question (its conditioning is not used: the modifier is the grid).
        Others: as :func:`~deci_core.effects.simulate.average_effect`.
    """
    q = Query(model, query)
    m = q.index(modifier)
    spec = q.encoder.specs[m]
    draws = draw_graphs(model.graph_posterior_, num_graphs, seed)
    z = _noise(q, num_samples, seed)
    runs = [_simulate(q, g, z, observe=True) if has_path(g, q.t, q.y) else None for g in draws.graphs]
    factual = next((r.x_obs for r in runs if r is not None), None)
    if factual is None:
        factual = q.sem.noise_to_sample(z, q.adjacency(draws.graphs[0]))
    continuous = spec.type is VariableType.CONTINUOUS
    if grid is None:
        grid = (
            np.quantile(modifier_values(q, factual, m), np.linspace(0.05, 0.95, num_points))
            if continuous
            else list(spec.categories)
        )
    grid = list(grid)
    per_graph = np.zeros((len(draws.graphs), len(grid)))
    mc_var = np.zeros_like(per_graph)
    outside_share: tuple[float, ...] = ()
    for k, run in enumerate(runs):
        if run is None:
            continue
        values = modifier_values(q, run.x_obs, m)
        w = _grid_weights(values, grid, continuous, bandwidth, [_code(q, modifier, g) for g in grid])
        total = w.sum(1).clip(1e-300)
        if k == 0:
            outside = outside_support(q, run.x_obs, q.adjacency(draws.graphs[0]))
            outside_share = tuple(float(v) for v in (w * outside).sum(1) / total)
        per_graph[k] = (w * run.diff).sum(1) / total
        mc_var[k] = (w * w * (run.diff - per_graph[k][:, None]) ** 2).sum(1) / total**2
        if data_rows:  # finite-data term, scaled up by the share of units each point rests on
            ess_share = total**2 / (w * w).sum(1).clip(1e-300) / num_samples
            mc_var[k] += _data_variance(q, draws.graphs[k], data_rows, seed, 1.0) / ess_share.clip(1e-6)
    wg = draws.weights[:, None]
    mean = (wg * per_graph).sum(0)
    var = (wg * (per_graph - mean) ** 2).sum(0) + (wg * mc_var).sum(0)
    return CateCurve(
        q.treatment,
        q.outcome,
        modifier,
        to_plain(q.treatment_value),
        to_plain(q.control_value),
        tuple(to_plain(g) for g in grid),
        tuple(mean.tolist()),
        tuple(np.sqrt(var).tolist()),
        draws.num_graphs,
        num_samples,
        int(seed),
        to_plain(q.level),
        outside_share,
    )


def _code(q: Query, name: str, level: Any) -> int | None:
    if q.encoder.spec(name).type is VariableType.CONTINUOUS:
        return None
    encoded = q.encode(name, level)
    return int(encoded.argmax().item()) if encoded.numel() > 1 else int(encoded[0].item())


def _grid_weights(
    values: np.ndarray, grid: list, continuous: bool, bandwidth: float, codes: list
) -> np.ndarray:
    """(P, n) weights of each simulated unit for each grid point."""
    if not continuous:
        return np.stack([(values == c).astype(float) for c in codes])
    h = bandwidth * 1.06 * values.std() * len(values) ** (-0.2)
    g = np.asarray(grid, dtype=float)[:, None]
    return np.exp(-0.5 * ((values[None, :] - g) / max(h, 1e-12)) ** 2)
