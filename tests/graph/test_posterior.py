import numpy as np
import torch

from deci_core.graph.dag import is_dag
from deci_core.graph.distribution import EdgeLogits, pair_entropy
from deci_core.graph.posterior import GraphPosterior


def _posterior(seed=0, d=6):
    forbidden = np.zeros((d, d), dtype=bool)
    required = np.zeros((d, d), dtype=bool)
    forbidden[0, 1] = forbidden[3, 2] = True
    required[1, 0] = required[4, 5] = True
    logits = EdgeLogits(torch.as_tensor(forbidden), torch.as_tensor(required))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        logits.gamma.copy_(torch.randn(d, d, generator=g) * 3)
        logits.theta.copy_(torch.randn(d, d, generator=g) * 3)
        probs = logits.probs().numpy().astype(float)
    return GraphPosterior(tuple("abcdef"[:d]), probs, logits.forbidden.numpy(), logits.required.numpy())


def test_probabilities_respect_masks_and_pairs():
    post = _posterior()
    p = post.probs
    assert p[0, 1] == 0 and p[3, 2] == 0 and p[1, 0] == 1 and p[4, 5] == 1
    assert p[5, 4] == 0 and np.all(np.diag(p) == 0)
    assert np.all(p + p.T <= 1 + 1e-6)


def test_every_sample_and_most_probable_is_a_dag_satisfying_constraints():
    for seed in range(5):
        post = _posterior(seed)
        graphs = list(post.sample(50, seed=seed)) + [post.most_probable(), post.most_probable(0.1)]
        for g in graphs:
            assert is_dag(g)
            assert not (g & post.forbidden).any()
            assert (g[post.required]).all()


def test_sample_frequencies_follow_probabilities():
    post = _posterior(seed=1)
    draws = post.sample(4000, seed=0)
    freq = draws.mean(0)
    # draws only lose edges to cycle repair, so compare where no cycle is possible: each pair
    se = np.sqrt(post.probs * (1 - post.probs) / 4000)
    assert np.all(freq <= post.probs + 4 * se + 1e-9)
    assert np.all(freq[post.required] == 1.0)
    assert np.all(freq[post.forbidden] == 0.0)


def test_sampling_is_seeded():
    post = _posterior()
    assert np.array_equal(post.sample(10, seed=3), post.sample(10, seed=3))
    assert not np.array_equal(post.sample(10, seed=3), post.sample(10, seed=4))


def test_entropy_is_zero_for_a_certain_graph_and_log3_for_uniform_pairs():
    certain = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    assert pair_entropy(certain).item() < 1e-6
    third = torch.full((2, 2), 1 / 3).fill_diagonal_(0)
    assert abs(pair_entropy(third).item() - np.log(3)) < 1e-5


def test_edge_probs_frame_and_networkx_use_names():
    post = _posterior()
    frame = post.edge_probs
    assert list(frame.index) == list(post.names) == list(frame.columns)
    assert frame.loc["b", "a"] == 1.0
    graph = post.to_networkx()
    assert graph.has_edge("b", "a") and graph["b"]["a"]["probability"] == 1.0
