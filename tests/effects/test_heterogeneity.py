"""Heterogeneous effects: ITE and CATE follow an effect modifier, in the user's units.

SEM (randomised treatment, so both arms are inside the data for every row):
    t ~ N(0, 1);  m = 10 + 3 N(0, 1) (not standardised: unit mistakes show);  w ~ N(0, 1)
    y = t (m - 10) / 3 + 0.5 w + 0.3 N(0, 1)
so Y(a) - Y(b) = (a - b)(m - 10) / 3 for every row, and the CATE given m is the same line.
An ITE that ignored the row's own covariates, or a CATE binned on the wrong variable or in
standardised instead of user units, fails these checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deci_core.effects import EffectQuery, average_effect, cate_curve, individual_effects
from tests.known_models import adjacency, fit_fixed

NAMES = ["t", "m", "w", "y"]
EDGES = [("t", "y"), ("m", "y"), ("w", "y")]


def _table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t, z, w = rng.normal(size=(3, n))
    m = 10 + 3 * z
    y = t * z + 0.5 * w + 0.3 * rng.normal(size=n)
    return pd.DataFrame({"t": t, "m": m, "w": w, "y": y})


def _true_effect(m: np.ndarray, a: float, b: float) -> np.ndarray:
    return (a - b) * (np.asarray(m, dtype=float) - 10) / 3


@pytest.fixture(scope="module")
def model():
    return fit_fixed(_table(2000, 0), adjacency(NAMES, EDGES), steps=800)


def test_ite_follows_each_rows_modifier(model):
    rows = _table(400, 1)
    ite = individual_effects(model, rows, EffectQuery("t", "y", 1.0, -1.0)).table["effect"].to_numpy()
    truth = _true_effect(rows["m"], 1.0, -1.0)
    rmse = np.sqrt(np.mean((ite - truth) ** 2))
    assert np.corrcoef(ite, truth)[0, 1] > 0.9
    assert rmse < 0.35 * truth.std()  # far better than one number for everyone


def test_cate_curve_tracks_the_modifier_in_user_units(model):
    grid = [6.0, 8.0, 10.0, 12.0, 14.0]
    curve = cate_curve(model, EffectQuery("t", "y", 1.0, -1.0), "m", grid=grid, num_samples=8000)
    values, truth = np.asarray(curve.values), _true_effect(grid, 1.0, -1.0)
    assert np.all(np.diff(values) > 0)  # rises with m, as the truth does
    assert np.sqrt(np.mean((values - truth) ** 2)) < 0.3 * truth.std()
    flat = cate_curve(model, EffectQuery("t", "y", 1.0, -1.0), "w", grid=[-1.0, 0.0, 1.0], num_samples=8000)
    assert np.ptp(flat.values) < 0.4  # w does not modify the effect


def test_rows_whose_arms_leave_the_data_are_flagged(model):
    rows = _table(300, 2)
    plausible, far_arm = EffectQuery("t", "y", 1.0, -1.0), EffectQuery("t", "y", 2.5, -1.0)
    inside = individual_effects(model, rows, plausible)  # t ~ N(0, 1): +-1 are plausible
    assert not inside.outside_data.any() and inside.summary()["outside_data_share"] == 0.0
    far = individual_effects(model, rows, far_arm)  # 2.5 sd: outside for every row
    assert far.outside_data.all()
    assert not any("outside the usual range" in n for n in average_effect(model, plausible).notes)
    assert any("outside the usual range" in n for n in average_effect(model, far_arm).notes)


def test_the_flag_uses_each_rows_confounders():
    """t = c + 0.3 noise: arms +-0.2 are plausible only for rows with c near 0."""
    rng = np.random.default_rng(3)
    c = rng.normal(size=1500)
    t = c + 0.3 * rng.normal(size=1500)
    df = pd.DataFrame({"c": c, "t": t, "y": t + c + 0.3 * rng.normal(size=1500)})
    model = fit_fixed(df, adjacency(["c", "t", "y"], [("c", "t"), ("c", "y"), ("t", "y")]), steps=600)
    flags = individual_effects(model, df.head(400), EffectQuery("t", "y", 0.2, -0.2)).outside_data
    truth = np.abs(df["c"].head(400).to_numpy()) + 0.2 > 1.96 * 0.3
    assert 0.2 < truth.mean() < 0.8 and np.mean(flags == truth) > 0.9
    curve = cate_curve(model, EffectQuery("t", "y", 0.2, -0.2), "c", grid=[-1.5, 0.0, 1.5], num_samples=4000)
    assert curve.outside_share[0] > 0.9 and curve.outside_share[1] < 0.1 and curve.outside_share[2] > 0.9
