"""CPDAGs and Markov-equivalent reversals."""

from __future__ import annotations

import numpy as np

from deci_core.graph.dag import is_dag
from deci_core.graph.equivalence import cpdag, cpdag_shd, reversed_in_class


def _dag(d: int, edges) -> np.ndarray:
    a = np.zeros((d, d), dtype=bool)
    for i, j in edges:
        a[i, j] = True
    return a


def test_a_chain_is_all_reversible_and_a_collider_all_compelled():
    chain, collider = _dag(3, [(0, 1), (1, 2)]), _dag(3, [(0, 2), (1, 2)])
    assert not cpdag(chain)[0].any() and cpdag(chain)[1].sum() == 4
    assert cpdag(collider)[0].sum() == 2 and not cpdag(collider)[1].any()
    assert reversed_in_class(collider, 0, 2) is None


def test_meek_rule_one_compels_the_edge_out_of_a_collider():
    g = _dag(4, [(0, 2), (1, 2), (2, 3)])
    directed, undirected = cpdag(g)
    assert directed[2, 3] and not undirected.any()


def test_a_reversal_in_class_stays_in_the_class_and_changes_the_least():
    g = _dag(4, [(0, 1), (1, 2), (2, 3)])
    other = reversed_in_class(g, 2, 3)
    assert other is not None and is_dag(other) and other[3, 2]
    assert cpdag_shd(g, other) == 0
    assert other.tolist() == _dag(4, [(1, 0), (2, 1), (3, 2)]).tolist()  # no new collider at 1 or 2
    assert reversed_in_class(g, 0, 1).tolist() == _dag(4, [(1, 0), (1, 2), (2, 3)]).tolist()


def test_cpdag_shd_counts_pairs_whose_class_state_differs():
    chain, collider = _dag(3, [(0, 1), (1, 2)]), _dag(3, [(0, 2), (1, 2)])
    assert cpdag_shd(chain, chain.T) == 0
    assert cpdag_shd(chain, collider) == 3
