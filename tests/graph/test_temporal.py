"""Temporal q(G): the instantaneous part is acyclic in every sample; lagged edges independent."""

import numpy as np
import torch

from deci_core.graph.dag import is_dag
from deci_core.graph.temporal import (
    TemporalEdgeLogits,
    TemporalGraphPosterior,
    sample_temporal,
    temporal_entropy,
)


def _random_posterior(d=5, k=2, seed=0):
    rng = np.random.default_rng(seed)
    probs = rng.uniform(0, 1, (k + 1, d, d))
    pair = rng.uniform(0, 1, (d, d))
    share = rng.uniform(0, 1, (d, d))
    probs[0] = np.triu(pair, 1) * np.triu(share, 1)
    probs[0] += (np.triu(pair, 1) * (1 - np.triu(share, 1))).T
    np.fill_diagonal(probs[0], 0.0)
    forbidden = np.zeros_like(probs, dtype=bool)
    forbidden[0] |= np.eye(d, dtype=bool)
    forbidden[1, 0, 1] = True
    return TemporalGraphPosterior(
        tuple(f"x{i}" for i in range(d)), probs, forbidden, np.zeros_like(forbidden)
    )


def test_instantaneous_part_is_acyclic_in_every_sample_and_masks_hold():
    post = _random_posterior()
    draws = post.sample(300, seed=1)
    assert draws.shape == (300, 3, 5, 5)
    assert all(is_dag(g[0]) for g in draws)
    assert not draws[:, 1, 0, 1].any()  # forbidden at lag 1
    assert draws[:, 1:].diagonal(axis1=-2, axis2=-1).any()  # lagged self edges are allowed
    assert is_dag(post.most_probable()[0])


def test_lagged_edges_are_independent_bernoullis():
    probs = torch.full((2, 3, 3), 0.3, dtype=torch.float64)
    probs[0] = 0.0
    probs[1, 0, 2] = 0.8
    draws = sample_temporal(probs, 20000, torch.Generator().manual_seed(0))
    freq = draws[:, 1].mean(0)
    se = np.sqrt(0.8 * 0.2 / 20000)
    assert abs(float(freq[0, 2]) - 0.8) < 5 * se and abs(float(freq[1, 1]) - 0.3) < 0.02
    both = (draws[:, 1, 0, 2] * draws[:, 1, 1, 1]).mean()
    assert abs(float(both) - 0.8 * 0.3) < 0.02  # independent


def test_probs_respect_masks_and_entropy_counts_both_parts():
    d, k = 3, 2
    forbidden = torch.zeros(k + 1, d, d, dtype=torch.bool)
    forbidden[2, 1, 0] = True
    required = torch.zeros_like(forbidden)
    required[1, 2, 2] = True
    q = TemporalEdgeLogits(forbidden, required)
    p = q.probs()
    assert p.shape == (3, 3, 3) and p[2, 1, 0] == 0 and p[1, 2, 2] == 1 and (p[0].diagonal() == 0).all()
    free_lagged = (1 - forbidden[1:].float() - required[1:].float()).sum()
    expected = temporal_entropy(p) - (free_lagged * np.log(2))
    pairs = 3 * (-2 * (1 / 4) * np.log(1 / 4) - (1 / 2) * np.log(1 / 2))  # each direction sigmoid(0)^2
    assert torch.isclose(expected, torch.tensor(pairs, dtype=expected.dtype), atol=1e-5)
    assert q.acyclicity_of(p) > 0  # uniform instantaneous probabilities have cycles in expectation


def test_lagged_table_lists_every_pair_and_lag():
    post = _random_posterior(d=3, k=2)
    table = post.lagged_table()
    assert list(table.columns) == ["parent", "child", "lag", "probability"]
    assert len(table) == 3 * 2 + 2 * 9  # no instantaneous self edges; self edges at lags >= 1
    again = TemporalGraphPosterior.from_dict(post.to_dict())
    assert np.array_equal(again.probs, post.probs) and again.lags == 2
