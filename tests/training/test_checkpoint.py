"""Continue training from a stopped fit: the same result as one longer fit with the same seed."""

import numpy as np
import pytest
import torch

from deci_core import DECI, ModelConfig, TrainingConfig
from deci_core.errors import NotFittedError
from tests.known_models import chain_data

SMALL = ModelConfig(noise="gaussian", hidden=8, layers=1)


def _config(steps: int) -> TrainingConfig:
    # warm-up, Lagrangian updates and convergence anchors all happen on both sides of the split
    return TrainingConfig(
        seed=3,
        max_steps=steps,
        max_seconds=3600,
        batch_size=64,
        warmup_steps=40,
        al_interval=30,
        patience=0,
        refine=False,
        num_threads=1,
        device="cpu",
    )


@pytest.fixture(scope="module")
def table():
    return chain_data(n=300, seed=1)


def test_continue_training_equals_one_longer_fit(table, tmp_path):
    longer = DECI(SMALL, _config(300)).fit(table)
    stopped = DECI(SMALL, _config(130)).fit(table)
    assert stopped.fit_summary_.steps == 130
    stopped.save(tmp_path / "run")  # the state survives a save and a load
    resumed = DECI.load(tmp_path / "run").continue_fit(table, extra_steps=170)
    assert resumed.fit_summary_.steps == 300 and resumed.training_config.steps == 300
    np.testing.assert_array_equal(resumed.graph_posterior_.probs, longer.graph_posterior_.probs)
    for name, value in longer.sem_.state_dict().items():
        assert torch.equal(resumed.sem_.state_dict()[name], value), name
    fresh = DECI(SMALL, _config(170)).fit(table)  # from scratch it would differ: the test can fail
    assert not np.array_equal(fresh.graph_posterior_.probs, longer.graph_posterior_.probs)


def test_continue_needs_a_kept_state(table):
    model = DECI(SMALL, _config(50)).fit(table)
    model.training_state_ = None
    with pytest.raises(NotFittedError, match="no training state"):
        model.continue_fit(table)


def test_a_fit_stopped_before_the_graph_learned_says_so(table):
    summary = DECI(SMALL, _config(30)).fit(table).fit_summary_  # stopped inside the 40-step warm-up
    assert summary.converged is False and "warm-up" in summary.convergence
    summary = DECI(SMALL, _config(130)).fit(table).fit_summary_  # 90 learning steps < the window
    assert summary.converged is False and "too few" in summary.convergence
