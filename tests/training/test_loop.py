import math

import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.data.encoder import TableEncoder
from deci_core.data.schema import infer_schema
from deci_core.sem.structural import SEM
from deci_core.training.loop import train
from deci_core.training.objective import GraphPrior, enco_delta


def test_fixed_graph_training_fits_the_sem(chain_df):
    enc = TableEncoder.fit(chain_df, infer_schema(chain_df))
    x = enc.encode(chain_df)
    config = ModelConfig(noise="gaussian", hidden=16)
    sem = SEM(enc.types, enc.widths, config, torch.Generator().manual_seed(0))
    chain = torch.tensor([[0.0, 1, 0], [0, 0, 1], [0, 0, 0]])
    with torch.no_grad():
        before = sem.log_prob(x, chain).mean().item()
    cfg = TrainingConfig(max_steps=300, batch_size=256, patience=0, num_threads=1)
    summary = train(sem, x, cfg, adjacency=chain)
    with torch.no_grad():
        after = sem.log_prob(x, chain).mean().item()
    assert summary.steps == 300 and summary.stopped == "max_steps"
    assert after > before + 1.0  # B and C are near-deterministic functions of their parents


def test_enco_delta_is_the_difference_of_conditional_means():
    graphs = torch.zeros(4, 2, 2)
    graphs[:2, 0, 1] = 1.0  # edge 0 -> 1 in the first two samples
    node_ll = torch.tensor([[0.0, -1.0], [0.0, -1.2], [0.0, -2.0], [0.0, -2.4]])
    delta = enco_delta(graphs, node_ll)
    assert math.isclose(delta[0, 1].item(), -1.1 - (-2.2), abs_tol=1e-6)
    assert delta[1, 0].item() == 0.0  # never sampled: no estimate, no gradient


def test_beliefs_pull_edge_probabilities_toward_the_belief():
    beliefs = torch.full((3, 3), float("nan"))
    beliefs[0, 1], beliefs[1, 2] = 0.9, 0.1
    p = torch.full((3, 3), 0.5, requires_grad=True)
    GraphPrior(sparsity=0.0, belief_strength=1.0, beliefs=beliefs).log_prob(p).backward()
    assert p.grad[0, 1] > 0 and p.grad[1, 2] < 0 and p.grad[2, 0] == 0
    q = torch.full((3, 3), 0.5, requires_grad=True)
    GraphPrior(sparsity=0.1).log_prob(q).backward()
    assert torch.allclose(q.grad, torch.full((3, 3), -0.1))
