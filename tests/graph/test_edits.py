"""Graph edits: every edit validated, cycles named, diff / ancestors / replay exact."""

import numpy as np
import pytest

from deci_core.errors import GraphError
from deci_core.graph.causal_graph import CausalGraph
from deci_core.graph.edits import (
    add_edge,
    ancestors,
    apply_edit,
    delete_edge,
    descendants,
    diff,
    find_cycle,
    lock_edge,
    move_node,
    reapply,
    reverse_edge,
    unlock_edge,
)

NAMES = ("a", "b", "c", "d")


@pytest.fixture
def chain():
    """a -> b -> c, d isolated."""
    return CausalGraph.build(NAMES, [("a", "b"), ("b", "c")])


def test_adjacency_convention_row_parent_column_child(chain):
    adj = chain.to_adjacency()
    assert adj[0, 1] == 1 and adj[1, 0] == 0  # a -> b
    assert adj.sum() == 2
    assert CausalGraph.from_adjacency(NAMES, adj) == chain


def test_add_delete_reverse(chain):
    g = add_edge(chain, "a", "d")
    assert g.has_edge("a", "d") and not chain.has_edge("a", "d")  # immutable
    g = delete_edge(g, "b", "c")
    assert set(g.edges) == {("a", "b"), ("a", "d")}
    g = reverse_edge(g, "a", "b")
    assert set(g.edges) == {("b", "a"), ("a", "d")}


def test_adding_a_cycle_is_rejected_with_the_cycle_named(chain):
    with pytest.raises(GraphError, match="cycle a → b → c → a"):
        add_edge(chain, "c", "a")


def test_reversing_into_a_cycle_is_rejected(chain):
    g = add_edge(chain, "a", "c")  # a->b->c and a->c: reversing a->c closes a->b->c->a
    with pytest.raises(GraphError, match="cycle .*a → b → c"):
        reverse_edge(g, "a", "c")


@pytest.mark.parametrize(
    ("op", "u", "v", "message"),
    [
        ("add", "a", "a", "cannot cause itself"),
        ("add", "a", "b", "already in the graph"),
        ("add", "a", "zz", r"Unknown variable\(s\) \['zz'\]"),
        ("delete", "a", "c", "no such edge"),
        ("delete", "b", "a", r"no such edge \(the graph has a → b\)"),
        ("reverse", "c", "d", "no such edge"),
        ("unlock", "a", "b", "not locked"),
    ],
)
def test_invalid_edits_say_why(chain, op, u, v, message):
    with pytest.raises(GraphError, match=message):
        apply_edit(chain, {"op": op, "source": u, "target": v})


def test_locked_edges_must_be_unlocked_before_delete_or_reverse(chain):
    g = lock_edge(chain, "a", "b")
    assert g.locked == {("a", "b")}
    for fn in (delete_edge, reverse_edge):
        with pytest.raises(GraphError, match="locked"):
            fn(g, "a", "b")
    assert delete_edge(unlock_edge(g, "a", "b"), "a", "b").edges == (("b", "c"),)


def test_move_keeps_positions_and_rejects_unknown_or_infinite(chain):
    g = move_node(chain, "a", 10, -5)
    assert g.positions["a"] == (10.0, -5.0) and g == chain  # positions are not part of equality
    with pytest.raises(GraphError):
        move_node(chain, "nope", 0, 0)
    with pytest.raises(GraphError):
        move_node(chain, "a", float("inf"), 0)


def test_apply_edit_messages_and_unknown_op(chain):
    g, text = apply_edit(chain, {"op": "reverse", "source": "b", "target": "c"})
    assert text == "Reversed to c → b." and g.has_edge("c", "b")
    with pytest.raises(GraphError, match="Unknown edit 'explode'"):
        apply_edit(chain, {"op": "explode"})


def test_build_rejects_cycles_self_loops_duplicates():
    with pytest.raises(GraphError, match="cycle"):
        CausalGraph.build("ab", [("a", "b"), ("b", "a")])
    with pytest.raises(GraphError, match="self-loop"):
        CausalGraph.build("ab", [("a", "a")])
    with pytest.raises(GraphError, match="unique"):
        CausalGraph.build(["a", "a"])


def test_find_cycle():
    assert find_cycle("abc", [("a", "b"), ("b", "c")]) is None
    cycle = find_cycle("abc", [("a", "b"), ("b", "c"), ("c", "a")])
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}


def test_diff_added_removed_reversed(chain):
    after = add_edge(reverse_edge(delete_edge(chain, "b", "c"), "a", "b"), "c", "d")
    change = diff(chain, after)
    assert change.added == (("c", "d"),)
    assert change.removed == (("b", "c"),)
    assert change.reversed == (("b", "a"),)
    assert diff(chain, chain).empty


def test_ancestors_and_descendants(chain):
    assert ancestors(chain, "c") == {"a", "b"}
    assert descendants(chain, "a") == {"b", "c"}
    assert descendants(chain, "d") == set()


def test_reapply_replays_edits_and_reports_those_that_no_longer_apply(chain):
    edited = add_edge(delete_edge(chain, "a", "b"), "d", "c")
    new_base = CausalGraph.build(NAMES, [("a", "b"), ("c", "a")])
    replayed, skipped = reapply(new_base, diff(chain, edited))
    assert set(replayed.edges) == {("c", "a"), ("d", "c")}
    assert skipped == []
    cyclic_base = CausalGraph.build(NAMES, [("c", "d")])
    replayed, skipped = reapply(cyclic_base, diff(chain, edited))  # d -> c now closes c -> d -> c
    assert set(replayed.edges) == {("c", "d")} and "cycle" in skipped[0]


def test_key_is_stable_and_edge_sensitive(chain):
    assert chain.key() == CausalGraph.from_adjacency(NAMES, np.asarray(chain.to_adjacency())).key()
    assert chain.key() != add_edge(chain, "a", "d").key()
