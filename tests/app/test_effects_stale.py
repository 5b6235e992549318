"""AppTest: the Effects page never shows (or crashes on) a result made with another model or data."""

from __future__ import annotations

import pytest

from deci_core.graph.causal_graph import CausalGraph
from tests.app.test_effects_page import _settle, _state, open_page
from tests.known_models import NAMES, adjacency
from ui.state import STATE_KEY


@pytest.mark.timeout(120)
def test_a_result_from_another_model_is_dropped_not_shown(linear_model, linear_data):
    at = open_page(_state(linear_model, linear_data))
    at.selectbox(key="effects.treatment").select("t").run()
    at.selectbox(key="effects.outcome").select("y").run()
    at.button(key="effects.run").click().run()
    at = _settle(at)
    state = at.session_state[STATE_KEY]
    assert state.effects.result is not None and at.tabs
    other = adjacency().copy()
    other[0, 2] = 0  # the analyst used another graph for effects: another model
    state.graph.effects_graph = CausalGraph.from_adjacency(NAMES, other)
    at.run()
    assert not at.exception
    assert state.effects.result is None and not at.tabs  # no stale result card, no what-if on it
