"""Candidate-parent screening: recall first (every true parent kept), and the rule as stated."""

import numpy as np
import torch

from deci_core.training.screening import _basis_scores, _partial_correlations, screen_pairs

D = 14


def _planted(n: int = 4000, seed: int = 0) -> tuple[torch.Tensor, list[tuple[int, int]]]:
    """Linear chains plus a weak edge 0 -> 5 (behind two strong parents) and a U-shaped 7 -> 6."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, D))
    edges = [(1, 2), (2, 3), (3, 5), (4, 5), (0, 5), (7, 6), (8, 9), (9, 10), (10, 11)]
    x[:, 2] += 1.2 * x[:, 1]
    x[:, 3] += 1.0 * x[:, 2]
    x[:, 5] += 1.5 * x[:, 3] + 1.5 * x[:, 4] + 0.25 * x[:, 0]  # weak: corr(x0, x5) is about 0.08
    x[:, 6] += x[:, 7] ** 2  # no linear correlation at all
    x[:, 9] += x[:, 8]
    x[:, 10] += x[:, 9]
    x[:, 11] += x[:, 10]
    return torch.as_tensor(x, dtype=torch.float32), edges


def test_screening_keeps_every_true_parent_including_a_weak_and_a_nonlinear_one():
    x, edges = _planted()
    keep = screen_pairs(x, torch.arange(D), D, k=2)
    assert all(keep[i, j] and keep[j, i] for i, j in edges)
    assert not keep.diagonal().any() and (keep == keep.T).all()
    assert keep.sum() < D * (D - 1)  # it does rule pairs out: the test can fail


def test_the_rule_is_top_k_partners_on_either_statistic():
    x, _ = _planted()
    k = 2
    keep = screen_pairs(x, torch.arange(D), D, k=k)
    cols = ((x - x.mean(0)) / x.std(0)).double().numpy()
    expected = np.zeros((D, D), dtype=bool)
    for score in (_basis_scores(cols), np.abs(_partial_correlations(cols))):
        np.fill_diagonal(score, -np.inf)
        for j in range(D):
            expected[np.argsort(-score[:, j])[:k], j] = True
    expected |= expected.T
    assert (keep == expected).all()
    marginal = _basis_scores(cols)[:, 5].copy()
    marginal[5] = -np.inf
    assert 0 not in np.argsort(-marginal)[:k]  # the weak parent is kept by the partial correlation


def test_networks_restricted_to_candidates_compute_what_the_full_ones_do():
    from deci_core.sem.functions import NodeMLPs

    d, gen = 12, torch.Generator().manual_seed(0)
    net = NodeMLPs(torch.arange(d), 1, 8, 2, gen)
    allowed = torch.rand(d, d, generator=gen) < 0.3
    allowed.fill_diagonal_(False)
    graphs = (torch.rand(4, d, d, generator=gen) < 0.5) & allowed  # within the candidates
    x = torch.randn(4, 50, d, generator=gen)
    full = net(x, graphs.float())
    net.restrict(allowed)
    assert net.inputs is not None and net.inputs[0].shape[1] < d
    torch.testing.assert_close(net(x, graphs.float()), full)
    outside = graphs.clone()
    outside[:, ~allowed] = True  # an edge outside the candidates is not read: the test can fail
    outside.diagonal(dim1=1, dim2=2).fill_(False)
    assert not torch.allclose(net(x, outside.float()), _dense(net, x, outside))


def _dense(net, x, graphs):
    inputs, net.inputs = net.inputs, None
    try:
        return net(x, graphs.float())
    finally:
        net.inputs = inputs
