"""Identification: the backdoor set on known graphs, and per-graph weighting of adjustment sets."""

import numpy as np

from deci_core.effects.adjustment import (
    adjustment_sets,
    declared_roots,
    is_backdoor_set,
    optimal_adjustment_set,
)
from deci_core.effects.doubly_robust import _mix
from deci_core.effects.query import GraphDraws


def _graph(names: list[str], edges: list[tuple[str, str]]) -> np.ndarray:
    adj = np.zeros((len(names), len(names)), dtype=bool)
    for a, b in edges:
        adj[names.index(a), names.index(b)] = True
    return adj


def test_confounder_in_collider_mediator_and_instrument_out():
    names = ["w", "iv", "t", "m", "y", "c"]
    edges = [("w", "t"), ("w", "y"), ("iv", "t"), ("t", "m"), ("m", "y"), ("t", "y"), ("t", "c"), ("y", "c")]
    adj = _graph(names, edges)
    t, y = names.index("t"), names.index("y")
    assert optimal_adjustment_set(adj, t, y) == (names.index("w"),)
    assert not is_backdoor_set(adj, t, y, (names.index("w"), names.index("c")))  # collider below
    assert not is_backdoor_set(adj, t, y, (names.index("w"), names.index("m")))  # mediator
    assert not is_backdoor_set(adj, t, y, ())  # the confounder left open
    assert is_backdoor_set(adj, t, y, (names.index("w"), names.index("iv")))  # valid, not optimal


def test_m_bias_collider_is_not_adjusted_for():
    names = ["a", "b", "m", "t", "y"]
    adj = _graph(names, [("a", "m"), ("b", "m"), ("a", "t"), ("b", "y"), ("t", "y")])
    t, y = names.index("t"), names.index("y")
    assert is_backdoor_set(adj, t, y, ())  # nothing to adjust for
    assert not is_backdoor_set(adj, t, y, (names.index("m"),))  # adjusting for m opens t<-a->m<-b->y
    assert is_backdoor_set(adj, t, y, (names.index("m"), names.index("a")))
    assert optimal_adjustment_set(adj, t, y) == (names.index("b"),)  # the outcome's other cause
    assert optimal_adjustment_set(adj, y, t) is None  # no directed path y -> t


def test_distinct_sets_weighted_by_posterior_mass():
    names = ["w", "t", "y"]
    confounded = _graph(names, [("w", "t"), ("w", "y"), ("t", "y")])
    plain = _graph(names, [("t", "y")])
    nopath = _graph(names, [("w", "y")])
    also_confounded = _graph(names, [("w", "t"), ("w", "y"), ("t", "y")])
    draws = GraphDraws(
        np.stack([confounded, plain, nopath, also_confounded]), np.array([0.5, 0.2, 0.1, 0.2]), 10
    )
    sets = adjustment_sets(draws, 1, 2)
    assert sets.sets == ((0,), ()) and np.allclose(sets.weights, (0.7, 0.2)) and np.isclose(sets.no_path, 0.1)
    mixed = _mix("linear", [(2.0, 0.1), (3.0, 0.1)], sets, (("w",), ()))
    assert np.isclose(mixed.value, 0.7 * 2 + 0.2 * 3)  # no-path graphs count as 0
    assert np.isclose(mixed.given_path, (0.7 * 2 + 0.2 * 3) / 0.9)
    assert mixed.std_error > 0.1  # graph uncertainty adds to each set's own error


def test_declared_roots_found_from_the_forbidden_mask():
    forbidden = np.zeros((4, 4), dtype=bool)
    forbidden[:, 0] = True  # nothing may point into 0
    forbidden[[0, 2, 3], 1] = True  # 1: only from 0 and 2 and 3 forbidden -> a root
    forbidden[0, 2] = True  # 2: one parent forbidden only
    assert declared_roots(forbidden) == (0, 1)


def test_adding_roots_keeps_every_optimal_set_valid_on_random_dags():
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(300):
        d = 7
        adj = np.triu(rng.random((d, d)) < 0.35, 1)
        roots = tuple(int(j) for j in np.flatnonzero(~adj.any(axis=0)))
        t, y = sorted(rng.choice(d, 2, replace=False))
        z = optimal_adjustment_set(adj, int(t), int(y))
        if z is None:
            continue
        extra = tuple(sorted(set(z) | (set(roots) - {int(t), int(y)})))
        assert is_backdoor_set(adj, int(t), int(y), extra)
        checked += 1
    assert checked > 100


def test_declared_roots_that_cause_t_or_y_join_every_set():
    names = ["w", "t", "y", "u"]
    confounded = _graph(names, [("w", "t"), ("w", "y"), ("t", "y")])
    missed = _graph(names, [("t", "y")])  # discovery missed w's edges; u is never a cause of t or y
    draws = GraphDraws(np.stack([confounded, missed]), np.array([0.6, 0.4]), 10)
    assert adjustment_sets(draws, 1, 2).sets == ((0,), ())
    sets = adjustment_sets(draws, 1, 2, roots=(0, 3))
    assert sets.sets == ((0,),) and np.allclose(sets.weights, (1.0,))
