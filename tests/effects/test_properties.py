"""Exact properties of the effect machinery: do() and non-descendants, abduction round trip,
no-path effects, invariance to the data's units, value-object round trips."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from deci_core.effects import (
    EffectEstimate,
    EffectQuery,
    EffectQueryError,
    average_effect,
    counterfactual,
    individual_effects,
)
from deci_core.effects.query import Query
from deci_core.graph.dag import descendants
from tests.known_models import NAMES, adjacency, fit_fixed


def test_do_leaves_non_descendants_unchanged(linear_model):
    q = Query(linear_model, EffectQuery("t", "y", 1.5, -1.0))
    z = linear_model.sem_.sample_noise(500, torch.Generator().manual_seed(1))
    xa, xb = q.arms(z, q.adjacency(adjacency()))
    below = descendants(adjacency(), NAMES.index("t"))
    for i, name in enumerate(NAMES):
        col = linear_model.encoder_.column_slices[i]
        same = torch.equal(xa[:, col], xb[:, col])
        assert same == (not below[i] and name != "t"), name
    observed = linear_model.sem_.noise_to_sample(z, q.adjacency(adjacency()))
    for name in ("w", "u"):
        col = linear_model.encoder_.column_slices[NAMES.index(name)]
        assert torch.equal(observed[:, col], xa[:, col])


def test_abduction_then_prediction_returns_the_factual_row(linear_model, linear_data):
    row = linear_data.iloc[[7]]
    cf = counterfactual(linear_model, row, {"t": float(row["t"].iloc[0])}, "y")
    assert cf.value == pytest.approx(float(row["y"].iloc[0]), abs=1e-4)
    assert cf.factual == pytest.approx(float(row["y"].iloc[0]))
    for name in NAMES:
        assert cf.row[name] == pytest.approx(float(row[name].iloc[0]), abs=1e-4)
    same = individual_effects(linear_model, linear_data.head(50), EffectQuery("t", "y", 0.3, 0.3))
    assert np.abs(same.table["effect"].to_numpy()).max() < 1e-5


def test_counterfactual_moves_only_descendants(linear_model, linear_data):
    row = linear_data.iloc[[3]]
    t0 = float(row["t"].iloc[0])
    cf = counterfactual(linear_model, row, {"t": t0 + 1.0}, "y")
    assert cf.row["w"] == pytest.approx(float(row["w"].iloc[0]), abs=1e-4)
    assert cf.row["u"] == pytest.approx(float(row["u"].iloc[0]), abs=1e-4)
    assert cf.value - float(row["y"].iloc[0]) == pytest.approx(2.0, abs=0.3)  # true slope 2


def test_no_directed_path_gives_exactly_zero(linear_model):
    for treatment in ("u", "m"):  # isolated; a descendant of t with no path to y
        est = average_effect(linear_model, EffectQuery(treatment, "y", 2.0, -2.0), data_rows=2000)
        assert est.value == 0.0 and est.std_error == 0.0 and est.no_path
        assert "exactly 0" in est.sentence()
    ite = individual_effects(linear_model, linear_model_rows(), EffectQuery("u", "y", 1.0, 0.0))
    assert (ite.table["effect"] == 0.0).all()


def linear_model_rows():
    from tests.known_models import linear_table

    return linear_table(20, seed=5)


def test_effects_are_in_the_users_units(linear_model, linear_data):
    """Exact: the same SEM with the encoder's scaling of y and t multiplied gives scaled effects."""
    scaled = copy.copy(linear_model)
    enc = copy.deepcopy(linear_model.encoder_)
    enc.means, enc.stds = dict(enc.means), dict(enc.stds)
    for name, factor in (("y", 1000.0), ("t", 10.0)):
        enc.means[name] *= factor
        enc.stds[name] *= factor
    scaled.encoder_ = enc
    base = average_effect(linear_model, EffectQuery("t", "y", 1.0, 0.0), seed=3)
    other = average_effect(scaled, EffectQuery("t", "y", 10.0, 0.0), seed=3)
    assert other.value == pytest.approx(1000 * base.value, rel=1e-5)


def test_effects_invariant_to_rescaling_the_data(linear_data, linear_model):
    """Refit on data in other units (y in thousandths, t in tenths): estimate scales accordingly."""
    df = linear_data.copy()
    df["y"] *= 1000.0
    df["t"] *= 10.0
    refit = fit_fixed(df, adjacency())
    base = average_effect(linear_model, EffectQuery("t", "y", 1.0, 0.0), seed=3)
    other = average_effect(refit, EffectQuery("t", "y", 10.0, 0.0), seed=3)
    assert other.value == pytest.approx(1000 * base.value, rel=2e-3)


def test_estimate_round_trips_and_reads_well(linear_model):
    est = average_effect(linear_model, EffectQuery("t", "y", 1.0, 0.0), data_rows=2000)
    again = EffectEstimate.from_dict(est.to_dict())
    assert again == est
    d = est.to_dict()
    assert {"estimate", "std_error", "interval_95", "num_graphs", "num_samples", "sentence"} <= set(d)
    assert d["interval_95"][0] < d["estimate"] < d["interval_95"][1]
    assert est.sentence().startswith("Raising t from 0 to 1 changes y by +")
    low, high = est.interval(0.5)
    assert est.interval_95[0] < low < high < est.interval_95[1]
    assert math.isclose(sum(est.variance_shares.values()), 1.0)


def test_bad_queries_raise_typed_errors(linear_model):
    with pytest.raises(EffectQueryError, match="Unknown variable 'nope'"):
        average_effect(linear_model, EffectQuery("nope", "y", 1, 0))
    with pytest.raises(EffectQueryError, match="give a number"):
        average_effect(linear_model, EffectQuery("t", "y", "high", 0))
    with pytest.raises(EffectQueryError, match="two different"):
        average_effect(linear_model, EffectQuery("y", "y", 1, 0))


def test_discrete_abduction_reproduces_the_row_and_gives_level_probabilities():
    import pandas as pd

    rng = np.random.default_rng(4)
    n = 600
    w = rng.normal(size=n)
    t = np.where(w + rng.normal(size=n) > 0, "on", "off")
    c = np.array(["x", "y", "z"])[(w > -0.5).astype(int) + (t == "on")]
    df = pd.DataFrame({"w": w, "t": t, "c": c})
    adj = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    model = fit_fixed(df, adj, steps=300)
    for i in range(5):
        row = df.iloc[[i]]
        same = counterfactual(model, row, {"t": row["t"].iloc[0]}, "c", abduction_draws=8)
        assert same.level_probabilities[str(row["c"].iloc[0])] == 1.0 and same.most_likely == row["c"].iloc[0]
    flipped = counterfactual(model, df.iloc[[0]], {"t": 1}, "c")  # 1 names the second level, "on"
    assert flipped.interventions == {"t": "on"}
    assert sum(flipped.level_probabilities.values()) == pytest.approx(1.0)
