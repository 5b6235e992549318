"""Refutations: a correct model passes them; a model that ignores an observed confounder fails the
placebo and dummy-outcome checks (the confounded-by-design case), and both are flagged in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deci_core.effects.query import EffectQuery, EffectQueryError
from deci_core.effects.refute import RefutationReport, refute
from tests.known_models import adjacency, fit_fixed

QUERY = EffectQuery("t", "y", 1.0, 0.0)
CONTRACT = {"name", "original", "new", "expected", "p_value", "passed", "sentence"}


@pytest.fixture(scope="module")
def sound_report(linear_model, linear_data) -> RefutationReport:
    return refute(linear_model, linear_data, QUERY, subsets=1, steps=300, num_samples=2000)


def test_a_correct_model_passes_placebo_dummy_outcome_and_random_common_cause(sound_report):
    rows = {(r.estimator, r.name): r for r in sound_report.refutations}
    assert len(rows) == 8
    for estimator in ("sem", "dr"):
        for name in ("placebo treatment", "dummy outcome", "random common cause"):
            r = rows[(estimator, name)]
            assert r.passed, r.sentence
            assert CONTRACT <= set(r.to_dict())
        # the placebo and dummy-outcome effects are near 0, the reference near the true 2
        assert abs(rows[(estimator, "placebo treatment")].new) < 0.2
        assert abs(rows[(estimator, "dummy outcome")].new) < 0.2
        common = rows[(estimator, "random common cause")]
        assert common.original == pytest.approx(2.0, abs=0.2) and common.expected == common.original
    assert RefutationReport.from_dict(sound_report.to_dict()) == sound_report
    assert sound_report.adjustment_set == ("w",)


def test_an_estimate_confounded_by_design_fails_the_placebo():
    """w drives t and y, but the model's graph leaves w out: the effect of t is overstated (3 instead
    of 1). A placebo tied to w still 'affects' y, and the check says so."""
    rng = np.random.default_rng(1)
    n = 1000
    w = rng.normal(size=n)
    t = 1.5 * w + rng.normal(size=n)
    y = 1.0 * t + 2.0 * w + rng.normal(size=n)
    df = pd.DataFrame({"w": w, "t": t, "y": y})
    wrong = adjacency(["w", "t", "y"], [("t", "y")])
    model = fit_fixed(df, wrong, steps=300)
    report = refute(model, df, QUERY, subsets=0, steps=300, num_samples=2000)
    rows = {(r.estimator, r.name): r for r in report.refutations}
    for estimator in ("sem", "dr"):
        placebo = rows[(estimator, "placebo treatment")]
        assert not placebo.passed and placebo.p_value < 1e-3
        assert "confounder" in placebo.sentence
        assert not rows[(estimator, "dummy outcome")].passed
    assert "failed" in report.summary_sentence()
    # the same data on the right graph pass the placebo: the check can tell them apart
    right = fit_fixed(df, adjacency(["w", "t", "y"], [("w", "t"), ("w", "y"), ("t", "y")]), steps=50)
    fixed = refute(right, df, QUERY, estimators=("dr",), subsets=0)
    assert {r.name: r.passed for r in fixed.refutations}["placebo treatment"]


def test_no_path_means_nothing_to_refute(linear_model, linear_data):
    with pytest.raises(EffectQueryError, match="nothing to refute"):
        refute(linear_model, linear_data, EffectQuery("u", "y", 1.0, 0.0), estimators=("dr",))


def test_the_sem_scale_comes_from_the_subset_refits():
    from deci_core.effects.refute import refit_spread

    assert refit_spread([1.0]) == 0.0
    # 80% subsets vary with 1/4 of the full-sample variance: the full-size spread is twice theirs
    assert refit_spread([1.0, 1.2, 0.8]) == pytest.approx(2 * 0.2)


def test_the_placebo_leaves_out_variables_open_to_the_outcome():
    """An instrument (v -> t) and a collider's parent path (c <- u -> y) would tie a placebo to the
    outcome even for a sound estimate: only the adjustment set and variables cut off from y remain."""
    from deci_core.effects.refute import _tied

    names = ["v", "w", "t", "y", "u", "c", "k"]
    g = adjacency(names, [("v", "t"), ("w", "t"), ("w", "y"), ("t", "y"), ("u", "y"), ("u", "c")]).astype(
        bool
    )
    t, y, z = names.index("t"), names.index("y"), (names.index("w"), names.index("u"))
    assert sorted(names[i] for i in _tied(g, t, y, z, away_from=y)) == ["c", "k", "u", "w"]
    assert sorted(names[i] for i in _tied(g, t, y, z, away_from=t)) == ["c", "k", "u", "w"]
    assert sorted(names[i] for i in _tied(g, t, y, (names.index("w"),), away_from=y)) == ["k", "w"]
