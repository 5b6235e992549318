"""AppTest: the Effects page states a rarely-present path instead of a confident 0, and shows the
doubly robust second opinion with its overlap check."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from deci_core.graph.posterior import GraphPosterior
from tests.app.test_effects_page import _settle, _state, open_page
from tests.known_models import NAMES, adjacency
from ui.state import STATE_KEY


def _rare_path(model):
    t, y = NAMES.index("t"), NAMES.index("y")
    probs = adjacency().astype(float)
    probs[t, y] = 0.02  # the only path t -> y is the direct edge, rarely drawn
    forbidden = (probs == 0) & ~np.eye(len(NAMES), dtype=bool)
    rare = copy.copy(model)
    rare.graph_posterior_ = GraphPosterior(tuple(NAMES), probs, forbidden, np.zeros_like(forbidden))
    return rare


@pytest.mark.timeout(180)
def test_rare_path_sentence_and_second_opinion(linear_model, linear_data):
    at = open_page(_state(_rare_path(linear_model), linear_data))
    at.selectbox(key="effects.treatment").select("t").run()
    at.selectbox(key="effects.outcome").select("y").run()
    at.number_input(key="effects.a.t").set_value(1.0).run()
    at.number_input(key="effects.b.t").set_value(0.0).run()
    at.slider(key="effects.num_graphs").set_value(100).run()
    at.button(key="effects.run").click().run()
    at = _settle(at)
    assert not at.exception
    est = at.session_state[STATE_KEY].effects.result.estimate
    assert 0 < est.path_probability < 0.05
    text = " ".join(s.value for s in at.success) + " ".join(w.value for w in at.warning)
    assert "little support for any effect" in text and "If such a path exists" in text
