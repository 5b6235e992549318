"""Sensitivity to a hidden confounder: how strong would one have to be to explain the effect away?

Cinelli & Hazlett (2020), "Making sense of sensitivity", for the linear backdoor estimate on the most
probable graph's optimal adjustment set X (ordinary least squares of the outcome Y on the treatment
D and X; D is the treatment value, or the 0/1 indicator of the treated level among the rows at the
compared levels). An unobserved Z with partial R² ``r2dz = R²(D ~ Z | X)`` and
``r2yz = R²(Y ~ Z | D, X)`` changes the coefficient by exactly (for OLS, in the sample)

    |bias| = se(b) * sqrt(dof) * sqrt(r2yz * r2dz / (1 - r2dz)),

with dof = n - (columns of the regression). Hence the zero line ``r2yz = f² (1 - r2dz) / r2dz``
with partial Cohen's ``f = |t| / sqrt(dof)``, and the robustness value (the strength, equal on both
sides, that brings the estimate to 0) ``RV = (sqrt(f⁴ + 4 f²) - f²) / 2``; ``RV_alpha`` uses
``f - t*_{alpha, dof-1} / sqrt(dof - 1)`` in place of f (the strength that makes the estimate
indistinguishable from 0 at level alpha). Observed covariates serve as benchmarks: a confounder k
times as strong as covariate j (Cinelli & Hazlett's bounds, their section 4.4) has

    r2dz = k r2dj / (1 - r2dj),  r2yz = ((sqrt(k) + sqrt(g)) / sqrt(1 - g))² * r2yj / (1 - r2yj),
    g = k r2dj² / ((1 - k r2dj)(1 - r2dj)),

where r2dj = R²(D ~ X_j | X_-j) and r2yj = R²(Y ~ X_j | D, X_-j). For a binary outcome the E-value
(VanderWeele & Ding 2017) of the risk ratio ``p1 / p0`` (the linear probability model's arms) is
given too: ``RR + sqrt(RR (RR - 1))`` with RR >= 1 (inverted below 1).

Implemented here (numpy, scipy's t quantile) rather than through PySensemakr 0.0.8, whose 2024 pins
predate numpy 2.4 / pandas 3; the formulas are checked against the exact OLS identity in
``tests/effects/test_sensitivity.py``. Limits: the bias formula is exact for the linear estimate; for
the SEM and the nonlinear learners it is a guide (their estimates move with the same confounding).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from deci_core.data.schema import VariableType
from deci_core.effects.adjustment import optimal_adjustment_set
from deci_core.effects.estimate import format_effect
from deci_core.effects.linear import _features, _parse, _target
from deci_core.effects.query import EffectQuery, EffectQueryError

ALPHA = 0.05
BENCHMARK_MULTIPLES = (1.0, 2.0, 3.0)


@dataclass(frozen=True)
class Benchmark:
    """A confounder ``k`` times as strong as an observed covariate, and where it would put the estimate."""

    covariate: str
    k: float
    r2dz: float
    r2yz: float
    adjusted_estimate: float


@dataclass(frozen=True)
class Sensitivity:
    """The linear estimate's sensitivity to a hidden confounder (module docstring).

    Attributes:
        estimate, std_error: the linear estimate of the effect (contrast a - b) and its OLS se.
        t_value, dof: its t statistic and residual degrees of freedom.
        partial_r2: R²(Y ~ D | X), the share of the outcome's residual variance the treatment explains
            (a confounder explaining all of Y's residual variance must explain this much of D's).
        robustness_value, robustness_value_alpha: RV (to 0) and RV_alpha (to insignificance).
        benchmarks: per covariate of the adjustment set and multiple k.
        grid_r2dz, grid_r2yz: the contour's axes; grid_estimate[i][j] at (r2dz[j], r2yz[i]).
        e_value, e_value_ci: binary outcome only (None otherwise).
    """

    query: EffectQuery
    adjustment_set: tuple[str, ...]
    estimate: float
    std_error: float
    t_value: float
    dof: int
    partial_r2: float
    robustness_value: float
    robustness_value_alpha: float
    benchmarks: tuple[Benchmark, ...]
    grid_r2dz: tuple[float, ...]
    grid_r2yz: tuple[float, ...]
    grid_estimate: tuple[tuple[float, ...], ...] = field(repr=False)
    e_value: float | None = None
    e_value_ci: float | None = None

    def adjusted(self, r2dz: float, r2yz: float) -> float:
        """The estimate after removing a confounder of these strengths (moved towards 0)."""
        return adjusted_estimate(self.estimate, self.std_error, self.dof, r2dz, r2yz)

    def zero_line(self, r2dz: np.ndarray) -> np.ndarray:
        """r2yz on the zero line at each r2dz (values above 1 mean no confounder that weak suffices)."""
        f2 = self.t_value**2 / self.dof
        r2dz = np.asarray(r2dz, dtype=float)
        return f2 * (1 - r2dz) / np.maximum(r2dz, 1e-12)

    def sentence(self) -> str:
        q = self.query
        text = (
            f"To bring the estimate ({format_effect(self.estimate, sign=True)}) to 0, a hidden confounder "
            f"would have to explain {self.robustness_value:.0%} of the residual variance of both "
            f"{q.treatment} and {q.outcome} (robustness value); {self.robustness_value_alpha:.0%} would "
            "make it indistinguishable from 0 at the 5% level."
        )
        ones = [b for b in self.benchmarks if b.k == 1.0]
        if ones:
            top = max(ones, key=lambda b: b.r2dz * b.r2yz)
            text += (
                f" The strongest observed covariate, {top.covariate}, explains {top.r2dz:.0%} of "
                f"{q.treatment} and {top.r2yz:.0%} of {q.outcome}: a confounder as strong would move the "
                f"estimate to {format_effect(top.adjusted_estimate, abs(self.estimate), sign=True)}."
            )
        if self.e_value is not None:
            text += f" E-value: {self.e_value:.2f} (for the interval's nearer end: {self.e_value_ci:.2f})."
        return text

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["query"] = self.query.to_dict()
        d["benchmarks"] = [asdict(b) for b in self.benchmarks]
        d["grid_estimate"] = [list(r) for r in self.grid_estimate]
        d["adjustment_set"] = list(self.adjustment_set)
        d["grid_r2dz"], d["grid_r2yz"] = list(self.grid_r2dz), list(self.grid_r2yz)
        d["sentence"] = self.sentence()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Sensitivity:
        kwargs = {k: v for k, v in d.items() if k != "sentence"}
        kwargs["query"] = EffectQuery.from_dict(d["query"])
        kwargs["benchmarks"] = tuple(Benchmark(**b) for b in d["benchmarks"])
        kwargs["grid_estimate"] = tuple(tuple(r) for r in d["grid_estimate"])
        for name in ("adjustment_set", "grid_r2dz", "grid_r2yz"):
            kwargs[name] = tuple(d[name])
        return cls(**kwargs)


def robustness_value(t_value: float, dof: int, alpha: float | None = None) -> float:
    """RV (alpha None) or RV_alpha for a t statistic with ``dof`` residual degrees of freedom."""
    f = abs(t_value) / math.sqrt(dof)
    if alpha is not None:
        from scipy.stats import t as student

        f -= float(student.ppf(1 - alpha / 2, dof - 1)) / math.sqrt(dof - 1)
        if f <= 0:
            return 0.0
    return 0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2)


def bias(std_error: float, dof: int, r2dz: Any, r2yz: Any) -> Any:
    """|bias| of the coefficient from a confounder of these partial R² (arrays broadcast)."""
    r2dz, r2yz = np.asarray(r2dz, dtype=float), np.asarray(r2yz, dtype=float)
    return std_error * math.sqrt(dof) * np.sqrt(r2yz * r2dz / (1 - r2dz))


def adjusted_estimate(estimate: float, std_error: float, dof: int, r2dz: Any, r2yz: Any) -> Any:
    """The estimate moved towards (and possibly past) 0 by the bias of such a confounder."""
    return estimate - math.copysign(1.0, estimate) * bias(std_error, dof, r2dz, r2yz)


def partial_r2(target: np.ndarray, x: np.ndarray, base: np.ndarray) -> float:
    """R²(target ~ x | base): 1 - RSS(target ~ base + x) / RSS(target ~ base)."""
    full = _rss(target, np.concatenate([base, x], axis=1))
    reduced = _rss(target, base)
    return float(1 - full / reduced) if reduced > 0 else 0.0


def e_value(risk_ratio: float) -> float:
    """VanderWeele & Ding's E-value of a risk ratio (1 for no effect)."""
    rr = risk_ratio if risk_ratio >= 1 else 1 / max(risk_ratio, 1e-12)
    return rr + math.sqrt(rr * (rr - 1))


def sensitivity(
    model: Any, df: pd.DataFrame, query: EffectQuery, *, adjacency: np.ndarray | None = None, grid: int = 41
) -> Sensitivity:
    """The module docstring's analysis on the optimal adjustment set of ``adjacency`` (default: the
    model's most probable graph)."""
    encoder = model.encoder_
    names = list(encoder.names)
    graph = np.asarray(model.graph_posterior_.most_probable() if adjacency is None else adjacency, bool)
    t, y = names.index(query.treatment), names.index(query.outcome)
    z = optimal_adjustment_set(graph, t, y)
    if z is None:
        raise EffectQueryError(
            f"The graph has no directed path from {query.treatment} to {query.outcome}: "
            "there is no effect to explain away."
        )
    z_names = tuple(names[i] for i in z)
    d, yv, blocks, contrast, d0 = _regression(df, encoder, query, z_names)
    n = len(d)
    ones = np.ones((n, 1))
    design = np.concatenate([ones, d[:, None], *blocks], axis=1)
    beta, se, dof = _ols(design, yv)
    estimate, std_error = beta[1] * contrast, se[1] * abs(contrast)
    t_value = beta[1] / se[1]
    r2 = t_value**2 / (t_value**2 + dof)
    marks = []
    for j, name in enumerate(z_names):
        others = np.concatenate([ones, *(b for k, b in enumerate(blocks) if k != j)], axis=1)
        r2dj = partial_r2(d, blocks[j], others)
        r2yj = partial_r2(yv, blocks[j], np.concatenate([others, d[:, None]], axis=1))
        for k in BENCHMARK_MULTIPLES:
            bound = benchmark_bound(r2dj, r2yj, k)
            if bound is not None:
                adj = float(adjusted_estimate(estimate, std_error, dof, *bound))
                marks.append(Benchmark(name, k, bound[0], bound[1], adj))
    rv, rva = robustness_value(t_value, dof), robustness_value(t_value, dof, ALPHA)
    top = max([rv, *(max(b.r2dz, b.r2yz) for b in marks if b.k == 1.0)])
    limit = float(min(0.95, max(0.3, 1.5 * top)))
    axis = np.linspace(0.0, limit, grid)
    values = adjusted_estimate(estimate, std_error, dof, axis[None, :], axis[:, None])
    e, e_ci = _e_values(query, encoder, design, beta, d0, estimate, std_error)
    return Sensitivity(
        query,
        z_names,
        float(estimate),
        float(std_error),
        float(t_value),
        int(dof),
        float(r2),
        rv,
        rva,
        tuple(marks),
        tuple(axis.tolist()),
        tuple(axis.tolist()),
        tuple(tuple(r) for r in values.tolist()),
        e,
        e_ci,
    )


def benchmark_bound(r2dj: float, r2yj: float, k: float) -> tuple[float, float] | None:
    """(r2dz, r2yz) of a confounder k times as strong as a covariate; None when impossible (>= 1)."""
    if r2dj >= 1 or k * r2dj >= 1:
        return None
    r2dz = k * r2dj / (1 - r2dj)
    g = k * r2dj**2 / ((1 - k * r2dj) * (1 - r2dj))
    if r2dz >= 1 or g >= 1 or r2yj >= 1:
        return None
    r2yz = ((math.sqrt(k) + math.sqrt(g)) / math.sqrt(1 - g)) ** 2 * r2yj / (1 - r2yj)
    return (float(r2dz), float(min(r2yz, 1.0))) if r2yz <= 1 else None


def _regression(
    df: pd.DataFrame, encoder: Any, query: EffectQuery, z_names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], float, float]:
    """Treatment column d (n,), outcome (n,), one block per covariate, the contrast of d and d's
    value in the control arm."""
    rows = df.dropna(subset=[query.treatment, query.outcome, *z_names])
    spec = encoder.spec(query.treatment)
    a, b = (_parse(v, encoder, query.treatment) for v in (query.treatment_value, query.control_value))
    if spec.type is VariableType.CONTINUOUS:
        d = pd.to_numeric(rows[query.treatment]).to_numpy(float)
        contrast, d0 = float(a) - float(b), float(b)
    else:
        at = rows[query.treatment].map(str).isin([str(a), str(b)]).to_numpy()
        rows = rows[at]
        d = (rows[query.treatment].map(str) == str(a)).to_numpy(float)
        contrast, d0 = 1.0, 0.0
    if len(rows) < len(z_names) + 10:
        raise EffectQueryError(f"Only {len(rows)} usable rows: too few for the sensitivity analysis.")
    yv = _target(rows[query.outcome], encoder, query.outcome, query.outcome_level)
    blocks = [_features(rows[n], encoder, n) for n in z_names]
    return d, yv, blocks, contrast, d0


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Coefficients, classical standard errors and residual degrees of freedom."""
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = x.shape[0] - np.linalg.matrix_rank(x)
    sigma2 = float(((y - x @ beta) ** 2).sum()) / dof
    cov = sigma2 * np.linalg.pinv(x.T @ x)
    return beta, np.sqrt(np.diag(cov)), int(dof)


def _rss(y: np.ndarray, x: np.ndarray) -> float:
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    return float(((y - x @ beta) ** 2).sum())


def _e_values(query, encoder, design, beta, d0, estimate, std_error):
    """E-values of the estimate and of its interval's end nearer to 0 (binary outcome), else None."""
    if encoder.spec(query.outcome).type is VariableType.CONTINUOUS:
        return None, None
    control = design.copy()
    control[:, 1] = d0
    p0 = float(np.clip((control @ beta).mean(), 1e-6, 1.0))
    nearer = estimate - 1.959964 * std_error if estimate > 0 else estimate + 1.959964 * std_error
    crosses = (estimate > 0) != (nearer > 0)
    rr = float(np.clip(p0 + estimate, 1e-6, 1.0)) / p0
    rr_ci = 1.0 if crosses else float(np.clip(p0 + nearer, 1e-6, 1.0)) / p0
    return e_value(rr), e_value(rr_ci)
