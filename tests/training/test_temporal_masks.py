"""Per-lag forbid/require decisions become exact masks of the temporal q(G)."""

import numpy as np
import pytest
import torch

from deci_core.constraints import Constraints
from deci_core.data.windows import TimeSeriesLayout
from deci_core.errors import ConstraintError
from deci_core.graph.temporal import TemporalEdgeLogits
from deci_core.training.temporal import temporal_masks

NAMES = ["a", "b", "c"]


def test_per_lag_decisions_set_exactly_their_slots():
    forbidden, required = temporal_masks(
        Constraints(),
        NAMES,
        2,
        forbidden_lagged=[("a", "b", 2)],
        required_lagged=[("b", "c", 0), ("c", "c", 1)],
    )
    assert forbidden[2, 0, 1] and not forbidden[1, 0, 1] and not forbidden[0, 0, 1]
    assert required[0, 1, 2] and required[1, 2, 2] and required.sum() == 2
    probs = TemporalEdgeLogits(torch.as_tensor(forbidden), torch.as_tensor(required)).probs().detach()
    assert probs[2, 0, 1] == 0 and probs[0, 1, 2] == 1 and probs[1, 2, 2] == 1
    assert probs[0, 2, 1] == 0  # a required instantaneous edge rules out its reverse


@pytest.mark.parametrize(
    "forbid, require, words",
    [
        ([("a", "b", 1)], [("a", "b", 1)], "also forbidden"),
        ([], [("a", "z", 1)], "not a variable"),
        ([], [("a", "b", 3)], "between 0 and K"),
        ([], [("a", "a", 0)], "itself"),
        ([], [("a", "b", 0), ("b", "a", 0)], "cycle"),
    ],
)
def test_bad_decisions_are_refused_with_words(forbid, require, words):
    with pytest.raises(ConstraintError, match=words):
        temporal_masks(Constraints(), NAMES, 2, forbidden_lagged=forbid, required_lagged=require)


def test_no_instantaneous_effects_refuses_a_required_instantaneous_edge():
    with pytest.raises(ConstraintError, match="also forbidden"):
        temporal_masks(Constraints(), NAMES, 1, instantaneous=False, required_lagged=[("a", "b", 0)])


def test_layout_round_trips_its_decisions_through_json_shapes():
    layout = TimeSeriesLayout("t", "s", 2, forbidden_lagged=[["a", "b", 1]], required_lagged=[("b", "c", 0)])
    assert layout.forbidden_lagged == (("a", "b", 1),)
    again = TimeSeriesLayout.from_dict(layout.to_dict())
    assert again == layout and np.asarray(again.required_lagged).shape == (1, 3)


def test_tiers_order_instantaneous_edges_only_while_forbidden_edges_hold_at_every_lag():
    rules = Constraints(forbidden=[("a", "c")], tiers=[["a"], ["b", "c"]])
    forbidden, _ = temporal_masks(rules, NAMES, 2)
    assert forbidden[:, 0, 2].all()  # a forbidden edge: every lag
    assert forbidden[0, 1, 0] and not forbidden[1:, 1, 0].any()  # b (later tier) -> a: only at lag 0
    assert not forbidden[0, 0, 1]  # earlier tier -> later tier stays possible


def test_a_fit_obeys_per_lag_decisions_and_keeps_them_through_save_and_load(tmp_path):
    from deci_core.config import TrainingConfig
    from deci_core.model import DECI
    from deci_core.samples.timeseries import weekly_sales

    df, _ = weekly_sales(num_series=2, length=40)
    layout = TimeSeriesLayout(
        "week", "shop", 2, forbidden_lagged=[("ads", "sales", 1)], required_lagged=[("sales", "price", 2)]
    )
    model = DECI(training_config=TrainingConfig(seed=0, max_steps=20)).fit(df, time_series=layout)
    probs, names = model.graph_posterior_.probs, list(model.graph_posterior_.names)
    assert probs[1, names.index("ads"), names.index("sales")] == 0.0  # the true edge, forbidden here
    assert probs[2, names.index("sales"), names.index("price")] == 1.0
    assert DECI.load(model.save(tmp_path / "m")).time_series_.layout == layout
