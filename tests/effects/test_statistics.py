"""Statistical checks with tolerances from the standard error, on a linear-Gaussian SEM (true ATE 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deci_core.effects import EffectQuery, average_effect, cate_curve, individual_effects, linear_backdoor
from tests.known_models import TRUE_ATE_PER_UNIT, adjacency, fit_fixed


def test_ate_within_four_standard_errors(linear_model):
    est = average_effect(linear_model, EffectQuery("t", "y", 1.5, -0.5), data_rows=2000)
    truth = TRUE_ATE_PER_UNIT * 2.0
    assert abs(est.value - truth) < 4 * est.std_error
    assert est.std_error < 0.2  # informative, not a vacuous interval


def test_wrong_intervention_value_moves_the_estimate(linear_model):
    truth = TRUE_ATE_PER_UNIT * 2.0
    wrong = average_effect(linear_model, EffectQuery("t", "y", 2.5, -0.5), data_rows=2000)
    assert abs(wrong.value - truth) > 4 * wrong.std_error


def test_linear_cross_check_and_confounding(linear_data):
    check = linear_backdoor(linear_data, _encoder(linear_data), adjacency(), EffectQuery("t", "y", 1.0, 0.0))
    assert check.adjustment_set == ("w",)
    assert abs(check.value - TRUE_ATE_PER_UNIT) < 4 * check.std_error
    naive = np.polyfit(linear_data["t"], linear_data["y"], 1)[0]
    assert naive - TRUE_ATE_PER_UNIT > 0.3  # confounded by w: adjustment matters here


def test_cate_and_ite_on_a_constant_effect(linear_model, linear_data):
    est = average_effect(linear_model, EffectQuery("t", "y", 1.0, 0.0, {"w": 1.0}), num_samples=5000)
    assert abs(est.value - TRUE_ATE_PER_UNIT) < 0.25
    ranged = average_effect(
        linear_model, EffectQuery("t", "y", 1.0, 0.0, {"w": (-0.5, 0.5)}), num_samples=5000
    )
    assert abs(ranged.value - TRUE_ATE_PER_UNIT) < 0.25
    curve = cate_curve(linear_model, EffectQuery("t", "y", 1.0, 0.0), "w", num_points=5, num_samples=5000)
    assert len(curve.grid) == 5 and np.all(np.abs(np.asarray(curve.values) - TRUE_ATE_PER_UNIT) < 0.35)
    ite = individual_effects(linear_model, linear_data.head(300), EffectQuery("t", "y", 1.0, 0.0))
    assert list(ite.table.columns) == ["effect", "lower_95", "upper_95"]
    assert abs(ite.table["effect"].mean() - TRUE_ATE_PER_UNIT) < 0.25


def test_binary_treatment_and_binary_outcome():
    rng = np.random.default_rng(2)
    n = 1500
    w = rng.normal(size=n)
    t = rng.random(n) < 1 / (1 + np.exp(-w))
    p = 1 / (1 + np.exp(-(-0.5 + 1.5 * t + w)))
    y = rng.random(n) < p
    df = pd.DataFrame({"w": w, "t": np.where(t, "yes", "no"), "y": y.astype(int)})
    adj = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    model = fit_fixed(df, adj, steps=600)
    by_alias = average_effect(model, EffectQuery("t", "y", 1, 0), num_samples=3000)
    by_level = average_effect(model, EffectQuery("t", "y", "yes", "no"), num_samples=3000)
    assert by_alias.value == by_level.value and by_alias.outcome_discrete
    ws = rng.normal(size=200_000)
    truth = np.mean(1 / (1 + np.exp(-(1.0 + ws))) - 1 / (1 + np.exp(-(-0.5 + ws))))
    assert abs(by_level.value - truth) < 0.08
    assert (
        "percentage points" in by_level.sentence() and "Setting t to yes instead of no" in by_level.sentence()
    )
    ite = individual_effects(model, df.head(100), EffectQuery("t", "y", "yes", "no"), abduction_draws=4)
    assert ite.table["effect"].between(-1, 1).all()


def _encoder(df):
    from deci_core.data.encoder import TableEncoder
    from deci_core.data.schema import infer_schema

    return TableEncoder.fit(df, infer_schema(df))


@pytest.fixture(autouse=True)
def _quiet_threads():
    import torch

    torch.set_num_threads(1)
