"""Constraint logic: each conflict kind, masks, JSON round trip, malformed input."""

import numpy as np
import pytest

from deci_core.constraints import Belief, Constraints
from deci_core.errors import ConstraintError

NAMES = ["age", "sex", "income", "revenue"]


def _index(a: str, b: str) -> tuple[int, int]:
    return NAMES.index(a), NAMES.index(b)


def test_consistent_constraints_have_no_conflicts():
    c = Constraints(
        forbidden=[("income", "age")], required=[("age", "income")], roots=["age"], leaves=["revenue"]
    )
    assert c.conflicts(NAMES) == []
    c.validate(NAMES)  # does not raise


def test_required_cycle_is_named():
    c = Constraints(required=[("age", "income"), ("income", "revenue"), ("revenue", "age")])
    (problem,) = c.conflicts(NAMES)
    assert "cycle" in problem and "age" in problem and "income" in problem and "revenue" in problem


def test_required_edge_against_tiers_roots_leaves_and_forbidden():
    tiers = Constraints(tiers=[["age"], ["income"]], required=[("income", "age")])
    assert any("tier 2" in p and "income → age" in p for p in tiers.conflicts(NAMES))
    within = Constraints(tiers=[["age", "sex"]], forbid_within_tiers=True, required=[("age", "sex")])
    assert any("both in tier 1" in p for p in within.conflicts(NAMES))
    assert Constraints(tiers=[["age", "sex"]], required=[("age", "sex")]).conflicts(NAMES) == []
    root = Constraints(roots=["age"], required=[("sex", "age")])
    assert any("age is a root" in p for p in root.conflicts(NAMES))
    leaf = Constraints(leaves=["revenue"], required=[("revenue", "age")])
    assert any("revenue is a leaf" in p for p in leaf.conflicts(NAMES))


def test_same_edge_forbidden_and_required():
    c = Constraints(forbidden=[("age", "income")], required=[("age", "income")])
    assert any("both forbidden and required" in p and "age → income" in p for p in c.conflicts(NAMES))
    with pytest.raises(ConstraintError, match="both forbidden and required"):
        c.validate(NAMES)


def test_unknown_variables_and_self_loops():
    c = Constraints(forbidden=[("age", "height")], required=[("sex", "sex")])
    problems = c.conflicts(NAMES)
    assert any("'height'" in p and "not in the data" in p for p in problems)
    assert any("sex → sex" in p and "self-loop" in p for p in problems)
    with pytest.raises(ConstraintError, match="height"):
        c.edge_masks(NAMES)


def test_variable_in_two_tiers_and_duplicate_beliefs_conflict():
    c = Constraints(tiers=[["age"], ["age", "income"]])
    assert any("tier 1 and in tier 2" in p for p in c.conflicts(NAMES))
    beliefs = Constraints(beliefs=[Belief(("age", "income"), 0.7), Belief(("age", "income"), 0.2)])
    assert any("2 beliefs" in p for p in beliefs.conflicts(NAMES))


def test_masks_for_tiers_roots_leaves_and_within_tiers():
    c = Constraints(tiers=[["age", "sex"], ["income", "revenue"]])
    forbidden, required = c.edge_masks(NAMES)
    assert forbidden.shape == (4, 4) and forbidden.dtype == bool and not required.any()
    assert forbidden[np.diag_indices(4)].all()
    assert forbidden[_index("income", "age")] and not forbidden[_index("age", "income")]
    assert not forbidden[_index("age", "sex")]  # within a tier allowed by default
    within, _ = Constraints(tiers=c.tiers, forbid_within_tiers=True).edge_masks(NAMES)
    assert (
        within[_index("age", "sex")] and within[_index("sex", "age")] and not within[_index("age", "income")]
    )
    roots_leaves, _ = Constraints(roots=["age"], leaves=["revenue"]).edge_masks(NAMES)
    assert roots_leaves[:, 0].all() and roots_leaves[3, :].all()
    assert (
        roots_leaves.sum() == 4 + 3 + 3 - 1
    )  # diagonal, into age, out of revenue; revenue->age counted once
    _, req = Constraints(required=[("sex", "income")]).edge_masks(NAMES)
    assert req[_index("sex", "income")] and req.sum() == 1


def test_belief_probs_nan_where_no_belief():
    probs = Constraints(beliefs=[{"edge": ["age", "income"], "probability": 0.8}]).belief_probs(NAMES)
    assert probs[_index("age", "income")] == pytest.approx(0.8)
    assert np.isnan(probs).sum() == 15


def test_json_round_trip_in_the_cli_schema():
    text = """{"forbidden": [["income", "age"]], "required": [["age", "revenue"]],
      "tiers": [["age", "sex"], ["income"]], "forbid_within_tiers": false, "roots": ["age"],
      "leaves": ["revenue"], "beliefs": [{"edge": ["sex", "income"], "probability": 0.8}]}"""
    c = Constraints.from_json(text)
    assert c.beliefs == (Belief(("sex", "income"), 0.8),) and c.tiers == (("age", "sex"), ("income",))
    assert Constraints.from_json(c.to_json()) == c
    assert c.fingerprint() == Constraints.from_dict(c.to_dict()).fingerprint()
    assert c.fingerprint() != c.with_forbidden("sex", "age").fingerprint()
    assert Constraints.from_json("{}").is_empty


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"forbiden": []}', "Unknown constraint key"),
        ('{"forbidden": [["a"]]}', "pair of variable names"),
        ('{"forbidden": "a->b"}', "must be a list"),
        ('{"roots": [1]}', "list of variable names"),
        ('{"beliefs": [{"edge": ["a", "b"], "probability": 1.0}]}', "strictly between 0 and 1"),
        ('{"beliefs": [{"edge": ["a", "b"], "p": 0.5}]}', "Each belief must look like"),
        ('{"forbid_within_tiers": "yes"}', "true or false"),
    ],
)
def test_malformed_files_are_rejected_with_a_clear_message(text, message):
    with pytest.raises(ConstraintError, match=message):
        Constraints.from_json(text)


def test_restricted_to_drops_rules_about_missing_variables_and_says_which():
    c = Constraints(
        forbidden=[("age", "height")], tiers=[["height"], ["age"]], roots=["height"], leaves=["age"]
    )
    kept, dropped = c.restricted_to(NAMES)
    assert kept == Constraints(tiers=[["age"]], leaves=["age"])
    assert "forbidden edge age → height" in dropped and "root height" in dropped


def test_immutable_updates_and_description():
    c = (
        Constraints()
        .with_forbidden("age", "sex")
        .with_required("age", "income")
        .with_belief("sex", "income", 0.3)
    )
    c = c.with_belief("sex", "income", 0.6).with_roots(["age"]).with_tiers([["age"], [], ["income"]], True)
    assert c.beliefs == (Belief(("sex", "income"), 0.6),) and c.tiers == (("age",), ("income",))
    text = " ".join(c.describe())
    assert "age does not directly cause sex" in text and "60%" in text and "root" in text
    assert (
        c.without_forbidden("age", "sex")
        .without_required("age", "income")
        .without_belief("sex", "income")
        .forbidden
        == ()
    )


def test_every_returned_graph_obeys_tiers_roots_leaves_and_required_edges():
    from deci_core.config import ModelConfig, TrainingConfig
    from deci_core.model import DECI
    from deci_core.samples.synthetic import sem_from_edges

    df = sem_from_edges(NAMES, [("age", "income"), ("sex", "income"), ("income", "revenue")]).sample(
        200, np.random.default_rng(0)
    )
    c = Constraints(
        tiers=[["age", "sex"], ["income", "revenue"]],
        roots=["sex"],
        leaves=["revenue"],
        required=[("age", "revenue")],
    )
    training = TrainingConfig(seed=0, max_steps=20, patience=0, batch_size=64)
    model = DECI(ModelConfig(noise="gaussian", hidden=8), training).fit(df, constraints=c)
    forbidden, required = c.edge_masks(NAMES)
    graphs = np.concatenate(
        [model.graph_posterior_.most_probable()[None], model.graph_posterior_.sample(50, seed=1)]
    )
    assert not (graphs & forbidden).any()
    assert (graphs[:, required]).all()
