"""What happens next: a variable's trajectory after an intervention, in a temporal model.

``do(X_t = a)`` at the first simulated step t (once, or held for steps t..t+H) against
``do(X_t = b)`` (or no intervention when ``control_value`` is None); the outcome Y is followed over
steps t, t+1, ..., t+H. Each simulated unit starts from a history of K observed steps: from the
model's bank of training histories (an average over the data's situations), or from the last K rows
of a given table (one series' what-if: "had we raised the price in week 12").

Both arms use the same histories and the same noise (common random numbers). The estimate at step h
is the posterior mean over graphs (the most probable + samples, :func:`draw_graphs`) of the mean
difference; its 95% interval is normal with the between-graph variance plus the Monte Carlo variance
of each graph's mean. Values are in Y's units (a discrete outcome: the probability of its last level).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from deci_core.data.plain import to_plain
from deci_core.data.schema import VariableType
from deci_core.data.windows import ordered_series
from deci_core.effects.query import EffectQueryError, draw_graphs

_Z95 = 1.959963984540054


@dataclass(frozen=True)
class TrajectoryEffect:
    """Per-step effect of an intervention on an outcome, steps 0..H (0 = the intervened step)."""

    treatment: str
    outcome: str
    treatment_value: Any
    control_value: Any
    horizon: int
    hold: bool
    estimate_by_step: tuple[float, ...]
    interval_95_by_step: tuple[tuple[float, float], ...]
    treated_by_step: tuple[float, ...]
    control_by_step: tuple[float, ...]
    num_graphs: int
    num_samples: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "outcome": self.outcome,
            "treatment_value": to_plain(self.treatment_value),
            "control_value": to_plain(self.control_value),
            "horizon": self.horizon,
            "hold": self.hold,
            "estimate_by_step": list(self.estimate_by_step),
            "interval_95_by_step": [list(i) for i in self.interval_95_by_step],
            "treated_by_step": list(self.treated_by_step),
            "control_by_step": list(self.control_by_step),
            "num_graphs": self.num_graphs,
            "num_samples": self.num_samples,
            "seed": self.seed,
        }

    def frame(self) -> pd.DataFrame:
        """One row per step: step, effect, lower_95, upper_95, treated, control."""
        lo, hi = zip(*self.interval_95_by_step, strict=True)
        return pd.DataFrame(
            {
                "step": range(self.horizon + 1),
                "effect": self.estimate_by_step,
                "lower_95": lo,
                "upper_95": hi,
                "treated": self.treated_by_step,
                "control": self.control_by_step,
            }
        )


def trajectory_effect(
    model: Any,
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
    """Y's trajectory under do(X = a) minus under do(X = b) (or no intervention), steps 0..horizon.

    Args:
        model: a fitted temporal DECI. treatment, outcome: variable names.
        treatment_value, control_value: a and b in X's units; b None compares with no intervention.
        horizon: H >= 0, steps followed after the intervened one.
        hold: keep X at its value for all H+1 steps (else set once, at step 0).
        history: a table with the model's columns (and its time column, one series); its last K rows
            start every unit. None: the bank of training histories.
        num_graphs: graphs drawn. num_samples: simulated units per graph. seed: graphs and noise.

    Raises:
        EffectQueryError: not a temporal model, unknown names, a bad horizon or a too short history.
    """
    if not getattr(model, "is_temporal", False):
        raise EffectQueryError("Trajectories need a model fitted on time series (fit with time_series=...).")
    encoder, sem, info = model.encoder_, model.sem_, model.time_series_
    t = _index(encoder, treatment)
    _index(encoder, outcome)
    if horizon < 0 or horizon > 500:
        raise EffectQueryError(f"horizon must be between 0 and 500 steps, got {horizon}.")
    past = _start(model, history) if history is not None else info.history
    gen = torch.Generator().manual_seed(int(seed))
    past = past[torch.randint(len(past), (num_samples,), generator=gen)]
    z = torch.stack([sem.sample_noise(num_samples, gen) for _ in range(horizon + 1)])
    steps = horizon + 1 if hold else 1
    arm_a = [{t: encoder.encode_value(treatment, treatment_value)}] * steps
    arm_b = [{t: encoder.encode_value(treatment, control_value)}] * steps if control_value is not None else []
    col, scale, offset = _outcome_column(encoder, outcome)
    draws = draw_graphs(model.graph_posterior_, num_graphs, seed)
    per_graph, mc_var, mean_a, mean_b = [], [], [], []
    for graph in draws.graphs:
        g = torch.as_tensor(graph, dtype=torch.float32)
        ya = sem.rollout(past, z, g, arm_a)[..., col].numpy() * scale  # (H+1, n)
        yb = sem.rollout(past, z, g, arm_b)[..., col].numpy() * scale
        diff = ya - yb
        per_graph.append(diff.mean(1)), mc_var.append(diff.var(1, ddof=1) / num_samples)
        mean_a.append(ya.mean(1) + offset), mean_b.append(yb.mean(1) + offset)
    w = draws.weights[:, None]
    per_graph, mc_var = np.array(per_graph), np.array(mc_var)
    value = (w * per_graph).sum(0)
    sd = np.sqrt((w * (per_graph - value) ** 2).sum(0) + (w * mc_var).sum(0))
    return TrajectoryEffect(
        treatment,
        outcome,
        treatment_value,
        control_value,
        int(horizon),
        bool(hold),
        tuple(float(v) for v in value),
        tuple((float(v - _Z95 * s), float(v + _Z95 * s)) for v, s in zip(value, sd, strict=True)),
        tuple(float(v) for v in (w * np.array(mean_a)).sum(0)),
        tuple(float(v) for v in (w * np.array(mean_b)).sum(0)),
        draws.num_graphs,
        int(num_samples),
        int(seed),
    )


def _index(encoder: Any, name: str) -> int:
    if name not in encoder.names:
        raise EffectQueryError(f"Unknown variable '{name}': the model knows {encoder.names}.")
    return encoder.names.index(name)


def _outcome_column(encoder: Any, name: str) -> tuple[int, float, float]:
    """Encoded column of the outcome, and the scale/offset back to its units."""
    spec, cols = encoder.spec(name), encoder.column_slices[encoder.names.index(name)]
    if spec.type is VariableType.CONTINUOUS:
        return cols.start, encoder.stds[name], encoder.means[name]
    return cols.stop - 1, 1.0, 0.0  # binary: P(level 1); categorical: P(last level)


def _start(model: Any, history: pd.DataFrame) -> torch.Tensor:
    """The last K rows of a one-series table, encoded, lag-first: (1, K, C)."""
    layout, lags = model.time_series_.layout, model.time_series_.lags
    series = ordered_series(history, layout) if layout.time_column in history.columns else [("", history)]
    if len(series) != 1:
        raise EffectQueryError(f"Give the history of one series; the table holds {len(series)}.")
    part = series[0][1]
    if len(part) < lags:
        raise EffectQueryError(f"The history needs at least {lags} rows (the model's lags); got {len(part)}.")
    x = model.encoder_.encode(part.iloc[-lags:])  # (K, C), oldest first
    return x.flip(0)[None]
