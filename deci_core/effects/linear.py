"""The transparent cross-check: backdoor adjustment by linear regression on the treatment's parents.

For a DAG, the treatment's parents block every backdoor path, so regressing the outcome on the
treatment and its parents (ordinary least squares, intercept, categoricals one-hot with the first
level dropped, binary 0/1) gives the ATE *if* the outcome is linear in them:
``effect = c' beta`` with the contrast ``c = features(a) - features(b)`` of the treatment. A binary or
categorical outcome is regressed as the 0/1 indicator of its chosen level (a linear probability
model). Standard errors are heteroskedasticity-robust (HC1). When it disagrees with DECI's estimate
beyond both intervals, the difference comes from nonlinearity or interactions DECI captures (or from a
poor DECI fit): worth a look either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from deci_core.data.encoder import TableEncoder
from deci_core.data.plain import to_plain
from deci_core.data.schema import VariableType
from deci_core.effects.estimate import _digits
from deci_core.effects.query import EffectQuery, EffectQueryError, _parse_level


@dataclass(frozen=True)
class LinearCheck:
    """A linear backdoor estimate next to DECI's.

    Attributes:
        value: estimated effect (outcome units; probability change for a discrete outcome).
        std_error: HC1 robust standard error.
        adjustment_set: the treatment's parents in the graph used.
        num_rows: rows regressed.
    """

    value: float
    std_error: float
    adjustment_set: tuple[str, ...]
    num_rows: int
    method: str = "OLS of the outcome on the treatment and its parents (HC1 standard errors)"

    @property
    def interval_95(self) -> tuple[float, float]:
        return (self.value - 1.959964 * self.std_error, self.value + 1.959964 * self.std_error)

    def sentence(self) -> str:
        adj = ", ".join(self.adjustment_set) if self.adjustment_set else "nothing (no parents)"
        d = _digits(max(abs(self.value), self.std_error))
        low, high = self.interval_95
        return (
            f"A linear regression adjusting for {adj} gives {self.value:+,.{d}f} "
            f"(95% interval {low:,.{d}f} to {high:,.{d}f})."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.value,
            "std_error": self.std_error,
            "interval_95": list(self.interval_95),
            "adjustment_set": list(self.adjustment_set),
            "num_rows": self.num_rows,
            "method": self.method,
            "sentence": self.sentence(),
        }


def linear_backdoor(
    df: pd.DataFrame,
    encoder: TableEncoder,
    adjacency: np.ndarray,
    query: EffectQuery,
) -> LinearCheck:
    """Backdoor-adjusted linear estimate of ``E[Y | do(T=a)] - E[Y | do(T=b)]`` on a given DAG.

    Args:
        df: rows in user units with the treatment, outcome and the treatment's parents (rows with a
            gap in one of those columns are left out: a cross-check on the complete cases).
        encoder: gives variable types and levels (its scaling is not used: raw units throughout).
        adjacency: (d, d) DAG over ``encoder.names``, ``A[i, j] = 1`` for i -> j.
        query: the question; for a discrete outcome ``outcome_level`` is the level whose probability
            is compared (default: last). Its conditioning is not used.
    """
    treatment, outcome = query.treatment, query.outcome
    treatment_value, control_value, outcome_level = (
        query.treatment_value,
        query.control_value,
        query.outcome_level,
    )
    names = list(encoder.names)
    for name in (treatment, outcome):
        if name not in names:
            raise EffectQueryError(f"Unknown variable '{name}': the model knows {names}.")
    t = names.index(treatment)
    parents = [names[i] for i in np.flatnonzero(np.asarray(adjacency)[:, t]) if names[i] != outcome]
    df = df.dropna(subset=[treatment, outcome, *parents])
    blocks = [np.ones((len(df), 1))]
    t_cols = _features(df[treatment], encoder, treatment)
    blocks.append(t_cols)
    blocks.extend(_features(df[p], encoder, p) for p in parents)
    design = np.concatenate(blocks, axis=1)
    y = _target(df[outcome], encoder, outcome, outcome_level)
    contrast = np.zeros(design.shape[1])
    width = t_cols.shape[1]
    fa = _features(pd.Series([_parse(treatment_value, encoder, treatment)]), encoder, treatment)[0]
    fb = _features(pd.Series([_parse(control_value, encoder, treatment)]), encoder, treatment)[0]
    contrast[1 : 1 + width] = fa - fb
    beta, cov = _ols_hc1(design, y)
    value = float(contrast @ beta)
    se = float(np.sqrt(max(contrast @ cov @ contrast, 0.0)))
    return LinearCheck(value, se, tuple(parents), len(df))


def _parse(value: Any, encoder: TableEncoder, name: str) -> Any:
    spec = encoder.spec(name)
    if spec.type is VariableType.CONTINUOUS:
        return float(value)
    level = _parse_level(value, spec.categories)
    if spec.type is VariableType.BINARY and level not in spec.categories and level in (0.0, 1.0):
        level = spec.categories[int(level)]
    if level not in spec.categories:
        raise EffectQueryError(f"'{name}' has no level {value!r}; levels are {list(spec.categories)}.")
    return level


def _features(col: pd.Series, encoder: TableEncoder, name: str) -> np.ndarray:
    """Regression columns of one variable: raw number, 0/1, or one-hot without the first level."""
    spec = encoder.spec(name)
    if spec.type is VariableType.CONTINUOUS:
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)[:, None]
    codes = _codes(col, spec.categories)
    if spec.type is VariableType.BINARY:
        return (codes == 1).astype(float)[:, None]
    return np.eye(len(spec.categories))[codes][:, 1:]


def _target(col: pd.Series, encoder: TableEncoder, name: str, level: Any) -> np.ndarray:
    spec = encoder.spec(name)
    if spec.type is VariableType.CONTINUOUS:
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    level = spec.categories[-1] if level is None else _parse(level, encoder, name)
    return (_codes(col, spec.categories) == list(spec.categories).index(level)).astype(float)


def _codes(col: pd.Series, categories: tuple) -> np.ndarray:
    lookup = {_key(c): i for i, c in enumerate(categories)}
    codes = col.map(lambda v: lookup.get(_key(v), -1)).to_numpy(dtype=int)
    if (codes < 0).any():
        raise EffectQueryError(f"values outside the levels {list(categories)}.")
    return codes


def _key(value: Any) -> str:
    value = to_plain(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    return str(value)


def _ols_hc1(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares coefficients (p,) and their HC1 robust covariance (p, p)."""
    n, p = x.shape
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    meat = (x * resid[:, None] ** 2).T @ x
    cov = xtx_inv @ meat @ xtx_inv * n / max(n - p, 1)
    return beta, cov
