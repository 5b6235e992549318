"""The edges that matter: which uncertain edges does the answer hang on?

An edge i -> j is *uncertain* when ``0.1 < q(i -> j) < 0.9`` or when its pair's direction is not
identifiable from the data (``GraphPosterior.unidentified``). For each, the effect is averaged over
the graphs drawn from the posterior that contain the edge and over those that do not (the per-graph
estimates of :func:`~deci_core.effects.simulate.average_effect`, the same draws), and the edges are
ranked by ``|effect if present - effect if absent|``. When one side has no draw, that side is the
most probable graph with the edge added (or removed) and evaluated in the same SEM. For the top
``refits`` edges, with data, both sides are also computed exactly: the SEM refitted on the most
probable graph with the edge forced in and forced out (``refit_on_graph``, seconds each); the
ranking then uses the exact values.

"Absent" for a pair whose direction is in question means "not in this direction" (the other
direction or no edge), so on a Markov-equivalent pair whose direction decides whether there is an
effect at all, the edge ranks first (``tests/effects/test_edges_matter.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from deci_core.effects.query import EffectQuery, draw_graphs
from deci_core.effects.simulate import average_effect
from deci_core.graph.dag import is_dag
from deci_core.training.fixed_graph import refit_on_graph

LOW, HIGH = 0.1, 0.9


@dataclass(frozen=True)
class EdgeThatMatters:
    """One uncertain edge and the effect with it and without it.

    Attributes:
        edge: (parent, child). probability: q(parent -> child). identifiable: False when the pair's
            direction is not identifiable from the data.
        effect_if_present, effect_if_absent: the effect with and without the edge (exact refits
            when ``exact``). graphs_present, graphs_absent: share of the draws on each side.
    """

    edge: tuple[str, str]
    probability: float
    identifiable: bool
    effect_if_present: float
    effect_if_absent: float
    graphs_present: float
    graphs_absent: float
    exact: bool = False

    @property
    def difference(self) -> float:
        return abs(self.effect_if_present - self.effect_if_absent)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["edge"] = list(self.edge)
        d["difference"] = self.difference
        return d


def uncertain_edges(posterior: Any) -> list[tuple[int, int]]:
    """(i, j) with LOW < q(i -> j) < HIGH, or in a pair whose direction is not identifiable."""
    probs = np.asarray(posterior.probs, dtype=float)
    mask = (probs > LOW) & (probs < HIGH)
    if posterior.unidentified is not None:
        mask |= np.asarray(posterior.unidentified, bool) & (probs + probs.T > LOW)
    mask &= ~np.asarray(posterior.required, bool) & ~np.asarray(posterior.forbidden, bool)
    np.fill_diagonal(mask, False)
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(mask), strict=True)]


def edges_that_matter(
    model: Any,
    query: EffectQuery,
    *,
    df: pd.DataFrame | None = None,
    num_graphs: int = 50,
    num_samples: int = 2000,
    refits: int = 3,
    steps: int | None = None,
    seed: int = 0,
) -> list[EdgeThatMatters]:
    """Uncertain edges ranked by how much the effect changes with them (module docstring).

    Args:
        model: fitted (``encoder_``, ``sem_``, ``graph_posterior_``).
        df: the training data; with it the top ``refits`` edges are refitted exactly (else none).
        num_graphs, num_samples, seed: the posterior draws and the simulation, as for ``ate``.
        steps: fixed-graph steps per exact refit (default: ``refit_on_graph``'s).
    """
    posterior = model.graph_posterior_
    names = list(posterior.names)
    est = average_effect(model, query, num_graphs=num_graphs, num_samples=num_samples, seed=seed)
    draws = draw_graphs(posterior, num_graphs, seed)
    effects, weights = np.asarray(est.per_graph, float), np.asarray(est.graph_weights, float)
    base = np.asarray(posterior.most_probable(), dtype=bool)
    rows = []
    for i, j in uncertain_edges(posterior):
        has = draws.graphs[:, i, j]
        sides = []
        for present in (True, False):
            side = has if present else ~has
            if weights[side].sum() > 0:
                sides.append(float(weights[side] @ effects[side] / weights[side].sum()))
            else:
                sides.append(_on_graph(model, query, _toggled(base, i, j, present), num_samples, seed))
        share = float(weights[has].sum())
        identifiable = posterior.is_identifiable(names[i], names[j])
        rows.append(
            EdgeThatMatters(
                (names[i], names[j]), float(posterior.probs[i, j]), identifiable, *sides, share, 1 - share
            )
        )
    rows.sort(key=_rank)
    if df is not None and refits > 0:
        exact = [_exact(model, df, query, base, r, names, num_samples, steps, seed) for r in rows[:refits]]
        rows = sorted(exact + rows[refits:], key=_rank)
    return rows


def _rank(row: EdgeThatMatters) -> float:
    """Sort key: largest difference first, undefined ones (a forced edge closing a cycle) last."""
    return -row.difference if np.isfinite(row.difference) else 1.0


def _toggled(base: np.ndarray, i: int, j: int, present: bool) -> np.ndarray | None:
    """The most probable graph with i -> j forced in (its reverse dropped) or out; None if cyclic."""
    g = base.copy()
    g[i, j] = present
    if present:
        g[j, i] = False
    return g if is_dag(g) else None


def _on_graph(model: Any, query: EffectQuery, graph: np.ndarray | None, num_samples: int, seed: int) -> float:
    if graph is None:
        return float("nan")
    from deci_core.training.fixed_graph import point_posterior

    view = _View(model, point_posterior(list(model.encoder_.names), graph))
    return average_effect(view, query, num_graphs=1, num_samples=num_samples, seed=seed).value


class _View:
    """The model's encoder and SEM with another graph posterior (no copy of the weights)."""

    def __init__(self, model: Any, posterior: Any) -> None:
        self.encoder_, self.sem_, self.graph_posterior_ = model.encoder_, model.sem_, posterior


def _exact(model, df, query, base, row: EdgeThatMatters, names, num_samples, steps, seed) -> EdgeThatMatters:
    i, j = names.index(row.edge[0]), names.index(row.edge[1])
    values = []
    for present in (True, False):
        graph = _toggled(base, i, j, present)
        if graph is None:
            return row
        refit = refit_on_graph(model, df, graph, steps=steps)
        values.append(
            average_effect(
                refit, query, num_graphs=1, num_samples=num_samples, seed=seed, data_rows=len(df)
            ).value
        )
    return EdgeThatMatters(
        row.edge,
        row.probability,
        row.identifiable,
        values[0],
        values[1],
        row.graphs_present,
        row.graphs_absent,
        exact=True,
    )
