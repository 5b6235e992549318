"""Calibration of edge probabilities against a true graph: Brier score, ECE and a reliability table.

Every ordered pair (i, j), i != j, is one forecast: the reported ``p[i, j]`` that i -> j, scored
against whether the true graph has i -> j. ECE: the mean |observed frequency - mean forecast| over
ten equal-width bins, weighted by the share of forecasts in each bin.
"""

from __future__ import annotations

import numpy as np

BINS = 10


def forecasts(probs: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(forecast, outcome) for every ordered pair off the diagonal."""
    off = ~np.eye(len(true), dtype=bool)
    return np.asarray(probs, dtype=float)[off], np.asarray(true, dtype=bool)[off].astype(float)


def brier(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = BINS) -> list[tuple[float, float, int]]:
    """Per non-empty bin: (mean forecast, observed frequency, count)."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    return [
        (float(p[which == b].mean()), float(y[which == b].mean()), int((which == b).sum()))
        for b in range(bins)
        if (which == b).any()
    ]


def ece(p: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    return float(sum(n * abs(f - o) for f, o, n in reliability(p, y, bins)) / max(len(p), 1))


def calibration(probs: np.ndarray, true: np.ndarray) -> dict[str, float]:
    p, y = forecasts(probs, true)
    return {"ece": ece(p, y), "brier": brier(p, y)}
