"""The Gumbel-softmax straight-through estimator for q(G) (ModelConfig.gradient_estimator="gumbel_st")."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deci_core.config import ModelConfig
from deci_core.errors import ConfigError
from deci_core.graph.dag import is_dag
from deci_core.graph.distribution import EdgeLogits, gumbel_st_pairs
from deci_core.model import DECI
from tests.known_models import FAST


def _masked_logits() -> EdgeLogits:
    forbidden = torch.zeros(4, 4, dtype=torch.bool)
    required = torch.zeros(4, 4, dtype=torch.bool)
    forbidden[0, 1] = True
    required[2, 3] = True
    graph = EdgeLogits(forbidden, required)
    with torch.no_grad():
        graph.gamma.copy_(torch.randn(4, 4, generator=torch.Generator().manual_seed(1)))
        graph.theta.copy_(torch.randn(4, 4, generator=torch.Generator().manual_seed(2)))
    return graph


def test_gumbel_graphs_are_hard_follow_q_and_respect_masks():
    graph = _masked_logits()
    probs = graph.probs()
    adj = gumbel_st_pairs(probs, 4000, torch.Generator().manual_seed(0))
    assert set(adj.detach().unique().tolist()) <= {0.0, 1.0}  # hard forward pass
    assert (adj * adj.transpose(1, 2)).sum() == 0  # one state per pair: no 2-cycles
    assert adj[:, 0, 1].sum() == 0 and adj[:, 2, 3].min() == 1 and adj[:, 3, 2].sum() == 0
    assert torch.allclose(adj.mean(0), probs, atol=0.03)  # the forward draws follow q
    adj.sum().backward()  # the relaxed backward pass reaches q's logits
    assert graph.gamma.grad.abs().sum() > 0 and torch.isfinite(graph.gamma.grad).all()


def test_gumbel_fit_runs_respects_constraints_and_is_deterministic(chain_df):
    cfg = FAST.__class__(**{**FAST.to_dict(), "max_steps": 60, "warmup_steps": 10})
    constraints = {"forbidden": [["A", "B"]], "required": [["C", "A"]]}
    fits = [
        DECI(ModelConfig(noise="gaussian", hidden=8, gradient_estimator="gumbel_st"), cfg).fit(
            chain_df, constraints=constraints
        )
        for _ in range(2)
    ]
    post = fits[0].graph_posterior_
    assert post.edge_probs.loc["A", "B"] == 0.0 and post.edge_probs.loc["C", "A"] == 1.0
    for g in [post.most_probable(), *post.sample(20)]:
        assert is_dag(g) and not g[0, 1] and g[2, 0]
    free = post.edge_probs.loc["B", "C"]
    assert abs(free - 0.25) > 1e-4  # q moved from its start (sigmoid(0) * sigmoid(0))
    np.testing.assert_array_equal(post.edge_probs.to_numpy(), fits[1].graph_posterior_.edge_probs.to_numpy())


def test_config_rejects_an_unknown_estimator():
    assert ModelConfig(gradient_estimator="gumbel_st").gradient_estimator == "gumbel_st"
    with pytest.raises(ConfigError, match="gradient_estimator"):
        ModelConfig(gradient_estimator="reinforce")
    with pytest.raises(ConfigError, match="gradient_estimator"):
        ModelConfig.from_dict({"gradient_estimator": "gumbel"})
