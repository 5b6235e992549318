"""AppTest: the Graph page refuses an edit a declared constraint forbids, and can change the constraint."""

from __future__ import annotations

import json

from deci_core.constraints import Constraints
from tests.app.test_graph_page import GRAPH, edit, import_graph, open_graph_page
from ui.state import STATE_KEY, AppState


def test_a_leaf_refuses_an_outgoing_edge_until_the_constraint_is_changed():
    state = AppState(constraints=Constraints(leaves=("c",)))
    at = import_graph(open_graph_page(state), json.dumps(GRAPH))
    session = edit(at, "add", "c", "d")
    assert ("c", "d") not in session.current.edges
    assert any("Refused" in e.value and "c is a leaf" in e.value for e in at.error)
    at.button(key="graph.allow_refused").click().run()
    assert not at.exception
    state = at.session_state[STATE_KEY]
    assert ("c", "d") in state.graph.current.edges and state.constraints.leaves == ()
    assert any("The constraint was changed" in s.value for s in at.success)
