"""The editor's layout: rows spread by label width, and no edge drawn through a node it does not join."""

from __future__ import annotations

import numpy as np
import pytest

from deci_core.graph.drawing import layered_layout
from ui.graph_layout import GAP_PX, blocking, half_width, readable_layout


def _random_dag(d: int, p: float, seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    names = [f"var_{i}" if i % 3 else f"a_rather_long_name_{i}" for i in range(d)]
    edges = [(names[i], names[j]) for i in range(d) for j in range(i + 1, d) if rng.random() < p]
    return names, edges


CASES = [
    (["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")]),  # the skip edge drawn through b before
    (["treat", "re74", "re75", "re78"],
     [("re74", "re75"), ("re75", "re78"), ("re74", "re78"), ("treat", "re78")]),
    *[_random_dag(d, 0.3, seed) for d, seed in ((8, 0), (12, 1), (20, 2))],
]


@pytest.mark.parametrize(("names", "edges"), CASES)
def test_edges_keep_off_other_nodes_and_labels_apart(names, edges):
    pos = readable_layout(names, edges)
    assert set(pos) == set(names)
    assert blocking(pos, edges) == []
    by_row: dict[float, list[str]] = {}
    for n, (_, y) in pos.items():
        by_row.setdefault(y, []).append(n)
    for row in by_row.values():
        row.sort(key=lambda n: pos[n][0])
        for a, b in zip(row, row[1:], strict=False):
            assert pos[b][0] - pos[a][0] >= half_width(a) + half_width(b) + GAP_PX - 1e-6
    assert {y for _, y in pos.values()} == {y for _, y in layered_layout(names, edges).values()}  # same rows


def test_the_check_can_fail():
    names, edges = CASES[0]
    assert blocking(layered_layout(names, edges), edges) == [("a", "c", "b", 0.0)]
