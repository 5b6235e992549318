"""ATT vs ATE on a heterogeneous SEM with selection (SEM and doubly robust), the DR estimate on a
linear SEM, the overlap warning, and the sentence when the posterior rarely has a path."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.effects import EffectEstimate, EffectQuery, average_effect
from deci_core.effects.doubly_robust import disagreement, doubly_robust
from deci_core.effects.overlap import overlap
from deci_core.fixed_graph import FixedGraphModel
from deci_core.graph.posterior import GraphPosterior
from tests.known_models import NAMES, TRUE_ATE_PER_UNIT, adjacency

NAMES_SEL = ["w", "t", "y"]
ADJ_SEL = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])


def selection_table(n: int, seed: int) -> pd.DataFrame:
    """w ~ N(0, 1); t ~ Bernoulli(sigmoid(1.5 w)); y = w + t (1 + 1.5 w) + N(0, 1).
    ATE = 1; ATT = 1 + 1.5 E[w | t = 1] > 1 (units with high w select into treatment and gain more)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-1.5 * w))).astype(int)
    y = w + t * (1 + 1.5 * w) + rng.normal(size=n)
    return pd.DataFrame({"w": w, "t": t, "y": y})


def _truth() -> tuple[float, float]:
    big = selection_table(1_000_000, 99)
    return 1.0, 1.0 + 1.5 * float(big.w[big.t == 1].mean())


@pytest.fixture(scope="module")
def selection():
    torch.set_num_threads(1)
    df = selection_table(3000, 0)
    model = FixedGraphModel(ModelConfig(noise="gaussian", hidden=16, layers=1), TrainingConfig(seed=0))
    return df, model.fit(df, ADJ_SEL, steps=800)


def test_att_differs_from_ate_and_matches_truth(selection):
    df, model = selection
    ate_true, att_true = _truth()
    ate = average_effect(model, EffectQuery("t", "y", 1, 0), data_rows=len(df), num_samples=20_000)
    att = average_effect(
        model, EffectQuery("t", "y", 1, 0, estimand="att"), data_rows=len(df), num_samples=20_000
    )
    assert abs(ate.value - ate_true) <= 3 * ate.std_error
    assert abs(att.value - att_true) <= 3 * att.std_error
    assert att.value - ate.value > 3 * np.hypot(ate.std_error, att.std_error)  # ATT != ATE
    assert "among the treated" in att.sentence()
    dr = doubly_robust(model, df, EffectQuery("t", "y", 1, 0, estimand="att"), learners=("linear", "dr"))
    for learner in dr.learners.values():
        assert abs(learner.value - att_true) <= 3 * learner.std_error, learner
    assert dr.set_names == (("w",),)


def test_dr_recovers_linear_effect_and_agrees_with_sem(linear_model, linear_data):
    query = EffectQuery("t", "y", 1.0, 0.0)
    dr = doubly_robust(linear_model, linear_data, query, learners=("linear", "forest"))
    assert dr.set_names == (("w",),)  # y's parent w confounds; m is a descendant, u irrelevant
    for learner in dr.learners.values():
        assert abs(learner.value - TRUE_ATE_PER_UNIT) <= 3 * learner.std_error, learner
    sem = average_effect(linear_model, query, data_rows=len(linear_data))
    assert disagreement(sem.value, sem.std_error, dr) is None
    assert disagreement(sem.value + 1.0, 0.01, dr) is not None  # a wrong SEM number is called out


def test_overlap_warning_and_trimming():
    rng = np.random.default_rng(1)
    w = rng.normal(size=2000)
    t = (rng.random(2000) < 1 / (1 + np.exp(-8 * w))).astype(float)  # almost deterministic in w
    check = overlap(w[:, None], t, False, 1.0, 0.0, ("w",), "t")
    assert check.share_outside > 0.05 and "lack overlap" in check.warning
    trimmed = overlap(w[:, None], t, False, 1.0, 0.0, ("w",), "t", trim=0.1)
    assert 0 < (~trimmed.kept).sum() < len(t) and "Trimmed" in trimmed.trimmed_sentence()
    balanced = (rng.random(2000) < 0.5).astype(float)  # randomised: no warning
    assert overlap(w[:, None], balanced, False, 1.0, 0.0, ("w",), "t").warning is None


def test_rare_path_is_stated_not_a_confident_zero(linear_model):
    t, y = NAMES.index("t"), NAMES.index("y")
    probs = adjacency().astype(float)
    probs[t, y] = 0.03  # the direct edge is rarely drawn; t -> m stays, m -> y never: no other path
    posterior = GraphPosterior(
        tuple(NAMES), probs, (probs == 0) & ~np.eye(len(NAMES), dtype=bool), np.zeros_like(probs, bool)
    )
    model = replace_posterior(linear_model, posterior)
    est = average_effect(model, EffectQuery("t", "y", 1.0, 0.0), num_graphs=200, num_samples=2000)
    assert 0 < est.path_probability < 0.1
    assert abs(est.effect_given_path - TRUE_ATE_PER_UNIT) < 0.3
    text = est.sentence()
    assert "little support" in text and f"{est.effect_given_path:+,.2f}" in text
    d = est.to_dict()
    assert d["path_probability"] == pytest.approx(est.path_probability)
    assert EffectEstimate.from_dict(d).path_flags == est.path_flags


def replace_posterior(model, posterior):
    import copy

    new = copy.copy(model)
    new.graph_posterior_ = posterior
    return new


def test_estimand_is_part_of_the_query():
    q = EffectQuery("t", "y", 1, 0, estimand="atc")
    assert EffectQuery.from_dict(q.to_dict()) == q
    assert EffectQuery.from_dict({k: v for k, v in q.to_dict().items() if k != "estimand"}).estimand == "ate"
    with pytest.raises(Exception, match="estimand"):
        replace(q, estimand="effect")
