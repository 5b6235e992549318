"""The edges that matter: on a Markov-equivalent pair whose direction decides the effect, that edge
ranks first; an uncertain edge elsewhere in the graph does not move the effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deci_core.effects.edges_matter import edges_that_matter, uncertain_edges
from deci_core.effects.query import EffectQuery
from deci_core.graph.posterior import GraphPosterior
from tests.known_models import adjacency, fit_fixed

NAMES = ["t", "y", "z", "v"]


@pytest.fixture(scope="module")
def ambiguous():
    rng = np.random.default_rng(0)
    n = 1500
    t = rng.normal(size=n)
    z = rng.normal(size=n)
    df = pd.DataFrame({"t": t, "y": 2 * t + rng.normal(size=n), "z": z, "v": 0.8 * z + rng.normal(size=n)})
    model = fit_fixed(df, adjacency(NAMES, [("t", "y"), ("z", "v")]), steps=400)
    probs = np.zeros((4, 4))
    probs[0, 1], probs[1, 0] = 0.5, 0.45  # t -> y or y -> t: not identifiable
    probs[2, 3], probs[3, 2] = 0.5, 0.4
    unidentified = np.zeros((4, 4), dtype=bool)
    unidentified[0, 1] = unidentified[1, 0] = unidentified[2, 3] = unidentified[3, 2] = True
    model.graph_posterior_ = GraphPosterior(
        tuple(NAMES), probs, np.eye(4, dtype=bool), np.zeros((4, 4), bool), unidentified
    )
    return model, df


def test_the_direction_that_flips_the_effect_ranks_first(ambiguous):
    model, df = ambiguous
    assert set(uncertain_edges(model.graph_posterior_)) == {(0, 1), (1, 0), (2, 3), (3, 2)}
    query = EffectQuery("t", "y", 1.0, 0.0)
    rows = edges_that_matter(model, query, df=df, num_graphs=40, refits=1, steps=300)
    top = rows[0]
    assert top.edge == ("t", "y") and top.exact and not top.identifiable
    assert top.effect_if_present == pytest.approx(2.0, abs=0.2)
    assert top.effect_if_absent == 0.0
    far = [r for r in rows if set(r.edge) == {"z", "v"}]
    assert all(r.difference < 0.15 for r in far)
    assert all(r.difference >= 0.15 for r in rows[:2])
    d = top.to_dict()
    assert {"edge", "probability", "effect_if_present", "effect_if_absent"} <= set(d)
    assert d["edge"] == ["t", "y"]
