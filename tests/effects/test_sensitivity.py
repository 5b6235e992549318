"""Sensitivity to a hidden confounder: Cinelli & Hazlett's bias formula is exact for least squares,
so on a linear SEM with a planted hidden confounder u the contour puts u where adjusting for it would
move the estimate, and the zero line is the closed form r2yz = f² (1 - r2dz) / r2dz."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from deci_core.effects.query import EffectQuery
from deci_core.effects.sensitivity import (
    Sensitivity,
    adjusted_estimate,
    benchmark_bound,
    e_value,
    partial_r2,
    robustness_value,
    sensitivity,
)
from deci_core.training.fixed_graph import point_posterior
from tests.known_models import adjacency

QUERY = EffectQuery("t", "y", 1.0, 0.0)


class _Model:
    """What the analysis reads: the encoder and a posterior (no SEM needed)."""

    def __init__(self, df, edges):
        from deci_core.data.encoder import TableEncoder
        from deci_core.data.schema import infer_schema

        names = list(df.columns)
        self.encoder_ = TableEncoder.fit(df, infer_schema(df))
        self.graph_posterior_ = point_posterior(names, adjacency(names, edges).astype(bool))


def _confounded(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    u = rng.normal(size=n)
    w = rng.normal(size=n)
    t = 0.6 * w + 0.7 * u + rng.normal(size=n)
    y = 0.5 * t + 0.8 * w + 0.9 * u + rng.normal(size=n)
    return pd.DataFrame({"w": w, "t": t, "y": y}), u


@pytest.fixture(scope="module")
def analysis():
    df, u = _confounded()
    return sensitivity(_Model(df, [("w", "t"), ("w", "y"), ("t", "y")]), df, QUERY), df, u


def test_the_bias_formula_is_exact_for_a_planted_confounder(analysis):
    s, df, u = analysis
    ones = np.ones((len(df), 1))
    x, d, y = df[["w"]].to_numpy(), df["t"].to_numpy(), df["y"].to_numpy()
    r2dz = partial_r2(d, u[:, None], np.hstack([ones, x]))
    r2yz = partial_r2(y, u[:, None], np.hstack([ones, x, d[:, None]]))
    full = np.linalg.lstsq(np.column_stack([ones, d, x, u]), y, rcond=None)[0][1]
    assert s.adjusted(r2dz, r2yz) == pytest.approx(full, abs=1e-9)
    assert abs(full - 0.5) < 0.06 < abs(s.estimate - 0.5)  # u biases the estimate; adjusting fixes it


def test_the_zero_line_matches_the_closed_form(analysis):
    s, _, _ = analysis
    f2 = s.t_value**2 / s.dof
    r2dz = np.array([0.2, 0.4, 0.6])
    line = s.zero_line(r2dz)
    assert line == pytest.approx(f2 * (1 - r2dz) / r2dz)
    assert np.abs(s.adjusted(r2dz, line)) == pytest.approx(np.zeros(3), abs=1e-9)
    rv = s.robustness_value  # the zero line meets the diagonal at the robustness value
    assert s.adjusted(rv, rv) == pytest.approx(0.0, abs=1e-9)
    assert s.robustness_value_alpha < rv
    # the grid: sign change across the line, estimate unchanged at the origin
    grid = np.asarray(s.grid_estimate)
    assert grid[0][0] == pytest.approx(s.estimate)
    assert (grid > 0).any() and (grid < 0).any()
    assert Sensitivity.from_dict(s.to_dict()).robustness_value == rv
    assert "robustness value" in s.sentence()


def test_robustness_value_and_benchmarks_by_hand():
    t, dof = 4.0, 100
    f = t / math.sqrt(dof)
    assert robustness_value(t, dof) == pytest.approx(0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2))
    assert robustness_value(1.0, dof, alpha=0.05) == 0.0
    r2dz, r2yz = benchmark_bound(0.1, 0.2, 1.0)
    assert r2dz == pytest.approx(0.1 / 0.9)
    g = 0.01 / (0.9 * 0.9)
    assert r2yz == pytest.approx(((1 + math.sqrt(g)) / math.sqrt(1 - g)) ** 2 * 0.2 / 0.8)
    assert adjusted_estimate(-1.0, 0.1, dof, 0.0, 0.5) == -1.0


def test_e_value_for_a_binary_outcome():
    assert e_value(1.0) == 1.0
    assert e_value(2.0) == pytest.approx(2 + math.sqrt(2))
    assert e_value(0.5) == e_value(2.0)
    rng = np.random.default_rng(0)
    n = 2000
    w = rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-w))).astype(int)
    y = (rng.random(n) < 0.2 + 0.2 * t + 0.1 * (w > 0)).astype(int)
    df = pd.DataFrame({"w": w, "t": t, "y": y})
    s = sensitivity(_Model(df, [("w", "t"), ("w", "y"), ("t", "y")]), df, EffectQuery("t", "y", 1, 0))
    assert s.e_value is not None and s.e_value > s.e_value_ci > 1
    assert s.estimate == pytest.approx(0.2, abs=0.05)
