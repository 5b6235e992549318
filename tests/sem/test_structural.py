import torch

from deci_core.config import ModelConfig
from deci_core.data.schema import VariableType as V
from deci_core.sem.structural import SEM

TYPES = [V.CONTINUOUS, V.BINARY, V.CATEGORICAL, V.CONTINUOUS]
WIDTHS = [1, 1, 3, 1]
# 0 -> 1, 0 -> 2, 1 -> 2, 2 -> 3 (columns: 0 | 1 | 2,3,4 | 5)
ADJ = torch.tensor([[0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=torch.float32)


def _sem(noise="spline", seed=0):
    sem = SEM(TYPES, WIDTHS, ModelConfig(noise=noise, hidden=8), torch.Generator().manual_seed(seed))
    with torch.no_grad():  # make the noise model non-trivial
        for p in sem.noise.parameters():
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(seed + 1)) * 0.3)
    return sem


def test_samples_are_valid_encodings():
    x = _sem().sample(200, ADJ, torch.Generator().manual_seed(0))
    assert x.shape == (200, 6)
    assert set(x[:, 1].tolist()) <= {0.0, 1.0}
    assert torch.all(x[:, 2:5].sum(1) == 1) and set(x[:, 2:5].flatten().tolist()) <= {0.0, 1.0}


def test_abduction_then_prediction_returns_the_rows():
    for noise in ("spline", "gaussian"):
        sem = _sem(noise)
        x = sem.sample(300, ADJ, torch.Generator().manual_seed(1))
        z = sem.sample_to_noise(x, ADJ, torch.Generator().manual_seed(2))
        assert torch.allclose(sem.noise_to_sample(z, ADJ), x, atol=1e-5)


def test_intervention_fixes_value_and_leaves_non_descendants_unchanged():
    sem = _sem()
    z = sem.sample_noise(500, torch.Generator().manual_seed(3))
    base = sem.noise_to_sample(z, ADJ)
    done = sem.noise_to_sample(z, ADJ, {1: torch.tensor([1.0])})
    assert torch.all(done[:, 1] == 1.0)
    assert torch.equal(done[:, 0], base[:, 0])  # non-descendant: same noise, same value
    assert not torch.equal(done[:, 2:], base[:, 2:])  # descendants move (the test can fail)
    per_row = torch.arange(500.0)[:, None] / 500
    assert torch.equal(sem.noise_to_sample(z, ADJ, {0: per_row})[:, 0], per_row[:, 0])


def test_intervention_cuts_incoming_edges():
    sem = _sem()
    z = sem.sample_noise(100, torch.Generator().manual_seed(4))
    value = {2: torch.tensor([0.0, 1.0, 0.0])}
    cut = ADJ.clone()
    cut[:, 2] = 0
    assert torch.equal(sem.noise_to_sample(z, ADJ, value), sem.noise_to_sample(z, cut, value))


def test_log_prob_batched_graphs_match_single_and_use_the_graph():
    sem = _sem()
    x = sem.sample(50, ADJ, torch.Generator().manual_seed(5))
    empty = torch.zeros(4, 4)
    batch = sem.node_log_prob(x, torch.stack([ADJ, empty]))
    assert torch.allclose(batch[0], sem.node_log_prob(x, ADJ), atol=1e-6)
    assert torch.allclose(batch[1], sem.node_log_prob(x, empty), atol=1e-6)
    assert torch.allclose(batch[1, :, 0], batch[0, :, 0])  # root: same parents in both graphs
    assert not torch.allclose(batch[1, :, 3], batch[0, :, 3])


def test_discrete_likelihoods_are_normalised():
    sem = _sem()
    x = sem.sample(1, ADJ, torch.Generator().manual_seed(6)).repeat(3, 1)
    x[:, 2:5] = torch.eye(3)  # every level of the categorical
    total = sem.node_log_prob(x, torch.zeros(4, 4))[:, 2].exp().sum()
    assert abs(total.item() - 1.0) < 1e-5
    x2 = x[:2].clone()
    x2[:, 1] = torch.tensor([0.0, 1.0])
    assert abs(sem.node_log_prob(x2, torch.zeros(4, 4))[:, 1].exp().sum().item() - 1.0) < 1e-5


def test_sampling_a_cyclic_graph_is_a_graph_error():
    import pytest

    from deci_core.errors import GraphError

    cyclic = ADJ.clone()
    cyclic[3, 0] = 1.0
    with pytest.raises(GraphError, match="cycle"):
        _sem().sample(5, cyclic, torch.Generator().manual_seed(0))
    # cutting the cycle by intervening on node 0 makes it sampleable
    x = _sem().sample(5, cyclic, torch.Generator().manual_seed(0), {0: torch.tensor([0.5])})
    assert torch.all(x[:, 0] == 0.5)
