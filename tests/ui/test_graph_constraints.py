"""The graph editor enforces hard constraints: a contradicting edit is refused with the constraint named."""

from __future__ import annotations

import pytest

from deci_core.constraints import Constraints
from deci_core.graph.causal_graph import CausalGraph
from ui.graph_state import GraphSession, allowing

NAMES = ("treat", "age", "re74", "re78")


def _session() -> GraphSession:
    return GraphSession.from_graph(CausalGraph.build(NAMES, [("age", "treat"), ("treat", "re78")]), "test")


@pytest.mark.parametrize(
    ("constraints", "edit", "named"),
    [
        (Constraints(leaves=("re78",)), {"op": "add", "source": "re78", "target": "re74"}, "re78 is a leaf"),
        (Constraints(roots=("age",)), {"op": "reverse", "source": "age", "target": "treat"}, "age is a root"),
        (Constraints(forbidden=(("re74", "age"),)), {"op": "add", "source": "re74", "target": "age"},
         "forbidden explicitly"),
        (Constraints(tiers=(("age",), ("re74",), ("re78",))),
         {"op": "add", "source": "re78", "target": "re74"}, "re78 is in tier 3, after re74 in tier 2"),
    ],
)
def test_an_edit_against_a_hard_constraint_is_refused_with_it_named(constraints, edit, named):
    session = _session()
    before = session.current
    assert not session.apply(edit, constraints)
    assert session.current == before and not session.message_ok
    assert session.message.startswith("Refused:") and named in session.message
    assert session.refused[1] == edit


def test_allowed_edits_and_deletions_pass():
    session, cons = _session(), Constraints(leaves=("re78",), roots=("age",))
    assert session.apply({"op": "add", "source": "re74", "target": "re78"}, cons)
    assert session.apply({"op": "delete", "source": "treat", "target": "re78"}, cons)
    assert session.refused is None


def test_changing_the_constraint_allows_the_edit():
    cons = Constraints(leaves=("re78",), forbidden=(("re78", "re74"),), roots=("age",))
    changed = allowing(cons, "re78", "re74")
    assert changed.leaves == () and changed.forbidden == () and changed.roots == ("age",)
    assert _session().apply({"op": "add", "source": "re78", "target": "re74"}, changed)
    assert allowing(Constraints(tiers=(("re74",), ("re78",))), "re78", "re74") is None  # tiers: on their page
