"""Overlap before numbers: a propensity model on the adjustment set, common support and trimming.

Binary or categorical treatment (rows at the two compared levels only): ``e(z) = P(T = a | Z = z)``
by a gradient-boosted classifier, cross-fitted (each row's score comes from a model that did not
see it). Common support is the range of scores both arms reach,
``[max(min e | T=a, min e | T=b), min(max e | T=a, max e | T=b)]``; rows outside it have no
comparable rows in the other arm. Trimming (Crump et al. 2009) drops rows with ``e`` outside
``[trim, 1 - trim]``. Continuous treatment: ``T`` regressed on Z (cross-fitted), and a row is
outside when a or b lies beyond ±1.96 residual standard deviations of its predicted treatment; the
"score" is then the larger of the two standardised distances and trimming drops the rows outside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

WARN_SHARE = 0.05
"""Share of rows outside common support above which the result carries a warning."""


@dataclass(frozen=True)
class Overlap:
    """Propensity scores by arm and the common-support verdict.

    Attributes:
        treatment: the treatment's name. adjustment_set: the covariates the scores condition on.
        score: (n,) propensity ``P(T=a | z)`` (discrete) or standardised distance (continuous).
        treated: (n,) bool, the row is in the treated arm (T = a, or nearer to a than to b).
        outside: (n,) bool, the row is outside common support.
        support: (low, high) common support of the score (discrete treatments), else None.
        continuous: True for a continuous treatment.
        trim: the trimming threshold applied (None: no trimming).
        kept: (n,) bool, rows kept for estimation (all unless trimmed).
    """

    treatment: str
    adjustment_set: tuple[str, ...]
    score: np.ndarray
    treated: np.ndarray
    outside: np.ndarray
    support: tuple[float, float] | None
    continuous: bool
    trim: float | None = None
    kept: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def share_outside(self) -> float:
        return float(self.outside.mean()) if len(self.outside) else 0.0

    @property
    def warning(self) -> str | None:
        """A plain sentence when too many rows lack comparable rows in the other arm."""
        if self.share_outside < WARN_SHARE:
            return None
        given = ", ".join(self.adjustment_set) or "nothing"
        what = (
            "the treatment values compared are outside the usual range given"
            if self.continuous
            else "the propensity score is outside the range both arms share, given"
        )
        return (
            f"{self.share_outside:.0%} of the rows lack overlap ({what} {given}): for them the effect "
            "is extrapolated, not compared with similar rows. Consider trimming them."
        )

    def trimmed_sentence(self) -> str | None:
        if self.trim is None:
            return None
        dropped = int((~self.kept).sum())
        return (
            f"Trimmed {dropped:,} of {len(self.kept):,} rows ({dropped / max(len(self.kept), 1):.0%}) "
            + (
                "outside common support."
                if self.continuous
                else f"with a propensity score outside [{self.trim:g}, {1 - self.trim:g}]."
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "adjustment_set": list(self.adjustment_set),
            "share_outside": self.share_outside,
            "support": list(self.support) if self.support else None,
            "continuous": self.continuous,
            "trim": self.trim,
            "rows_kept": int(self.kept.sum()),
            "warning": self.warning,
            "trimmed": self.trimmed_sentence(),
        }


def overlap(
    z: np.ndarray,
    t: np.ndarray,
    continuous: bool,
    a: float,
    b: float,
    names: tuple[str, ...],
    treatment: str,
    trim: float | None = None,
    seed: int = 0,
) -> Overlap:
    """Propensity scores and common support.

    Args:
        z: (n, p) adjustment covariates (p may be 0). t: (n,) treatment: 0/1 (1 = arm a) when
            discrete, the value when continuous. a, b: the compared values (continuous only).
        names: the covariates' names. trim: threshold (discrete: keep ``trim <= e <= 1 - trim``;
            continuous: any value drops the rows outside). seed: cross-fitting folds and model.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict

    n = len(t)
    x = z if z.shape[1] else np.zeros((n, 1))
    if continuous:
        folds = KFold(3, shuffle=True, random_state=seed)
        regressor = HistGradientBoostingRegressor(max_iter=100, random_state=seed)
        pred = cross_val_predict(regressor, x, t, cv=folds)
        sd = float(np.std(t - pred)) or 1.0
        score = np.maximum(np.abs(a - pred), np.abs(b - pred)) / sd
        outside = score > 1.96
        treated = np.abs(t - a) < np.abs(t - b)
        kept = ~outside if trim is not None else np.ones(n, dtype=bool)
        return Overlap(treatment, names, score, treated, outside, None, True, trim, kept)
    folds = StratifiedKFold(3, shuffle=True, random_state=seed)
    model = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    score = cross_val_predict(model, x, t.astype(int), cv=folds, method="predict_proba")[:, 1]
    treated = t.astype(bool)
    low = max(score[treated].min(), score[~treated].min())
    high = min(score[treated].max(), score[~treated].max())
    outside = (score < low) | (score > high)
    kept = np.ones(n, dtype=bool) if trim is None else (score >= trim) & (score <= 1 - trim)
    return Overlap(treatment, names, score, treated, outside, (float(low), float(high)), False, trim, kept)
