"""GraphSession: starting from a discovered posterior, threshold replay, undo, constraints, model choice."""

from types import SimpleNamespace

import numpy as np
import pytest

from deci_core.constraints import Constraints
from deci_core.graph.posterior import GraphPosterior
from ui.graph_session import model_for_effects
from ui.graph_state import DISCOVERED, GraphSession
from ui.state import AppState

NAMES = ("a", "b", "c")
#                  a    b    c     (parent rows, child columns)
PROBS = np.array([[0.0, 0.9, 0.3], [0.05, 0.0, 0.7], [0.1, 0.2, 0.0]])


@pytest.fixture
def model():
    """A stand-in holding a real fitted-posterior object (the session only reads graph_posterior_)."""
    off = np.zeros((3, 3), dtype=bool)
    return SimpleNamespace(graph_posterior_=GraphPosterior(NAMES, PROBS, off, off))


def test_from_model_uses_the_most_probable_graph_and_its_probabilities(model):
    s = GraphSession.from_model(model, threshold=0.5, run_key="run1")
    assert s.base == DISCOVERED and set(s.current.edges) == {("a", "b"), ("b", "c")}
    assert s.probability("a", "b") == pytest.approx(0.9)
    table = s.edge_table()
    assert list(table.origin) == ["discovered", "discovered"]
    assert set(s.positions) == set(NAMES)


def test_candidates_are_likely_pairs_left_out(model):
    s = GraphSession.from_model(model, threshold=0.5)
    table = s.candidates(0.2)
    assert list(zip(table.parent, table.child, strict=True)) == [("a", "c"), ("c", "b")]  # 0.3, 0.2


def test_threshold_change_replays_the_edits(model):
    s = GraphSession.from_model(model, threshold=0.5)
    assert s.apply({"op": "delete", "source": "b", "target": "c"})
    s.set_threshold(0.25, model)  # discovered now also has a -> c
    assert set(s.versions[DISCOVERED].edges) == {("a", "b"), ("b", "c"), ("a", "c")}
    assert set(s.current.edges) == {("a", "b"), ("a", "c")}  # the deletion of b -> c is kept
    s.undo()
    assert set(s.current.edges) == {("a", "b")}


def test_rejected_edits_change_nothing_but_the_message(model):
    s = GraphSession.from_model(model)
    before, nonce = s.current, s.nonce
    assert not s.apply({"op": "add", "source": "c", "target": "a"})
    assert s.current == before and not s.undo_stack and s.nonce == nonce + 1
    assert "cycle a → b → c → a" in s.message
    assert not s.apply({"op": "add", "source": "a"})  # malformed
    assert not s.apply({"op": "move", "node": "a", "x": "left"})


def test_layout_follows_the_graph_until_the_analyst_moves_a_node(model):
    s = GraphSession.from_model(model, threshold=0.5)
    s.set_threshold(0.25, model)  # a -> b -> c plus a -> c: three layers
    assert s.positions["a"][1] < s.positions["b"][1] < s.positions["c"][1]
    s.apply({"op": "move", "node": "c", "x": 500, "y": -500})
    s.set_threshold(0.5, model)
    assert s.positions["c"] == (500.0, -500.0)  # hand-made positions are kept
    s.arrange()
    assert s.positions["c"][1] > s.positions["a"][1] and not s.arranged_by_hand


def test_moves_are_remembered_but_not_undoable_edits(model):
    s = GraphSession.from_model(model)
    s.apply({"op": "move", "node": "a", "x": 12, "y": 34})
    assert s.positions["a"] == (12.0, 34.0) and not s.undo_stack
    s.apply({"op": "add", "source": "a", "target": "c"})
    s.undo()
    assert s.positions["a"] == (12.0, 34.0)


def test_edits_merge_into_existing_constraints(model):
    s = GraphSession.from_model(model)
    s.apply({"op": "delete", "source": "a", "target": "b"})
    s.apply({"op": "lock", "source": "b", "target": "c"})
    existing = Constraints(required=[("a", "b")], forbidden=[("b", "c")], roots=["a"])
    merged, notes = s.edits_as_constraints(existing)
    assert merged.forbidden == (("a", "b"),) and merged.required == (("b", "c"),)
    assert merged.roots == ("a",)  # untouched
    assert notes == ["forbidden a → b", "required b → c"]


def test_model_for_effects_prefers_the_refitted_model(model):
    state = AppState(graph=GraphSession.from_model(model))
    assert model_for_effects(state)[0] is None  # no discovery run in this state
    refitted = object()
    state.graph.effects_model, state.graph.effects_graph = refitted, state.graph.current
    chosen, text = model_for_effects(state)
    assert chosen is refitted and text == "Fitted on the discovered graph."
