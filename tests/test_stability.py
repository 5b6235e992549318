"""Stability over refits: edge frequencies from bootstrap runs, and the Ray path tested for real: a
local head (2 CPUs, loopback, no dashboard) runs the same small run set as the local process pool
and gives the same graphs. The head is started with ``ray start --block`` in its own process group and
stopped by ending that group, so only the Ray processes this test started are stopped."""

from __future__ import annotations

import os

import numpy as np
import pytest

from deci_core.config import TrainingConfig
from deci_core.local_ray import local_ray_head, ray_executable
from deci_core.stability import LocalPool, RayCluster, StabilityResult, executor_for, stability
from tests.known_models import chain_data

TINY = TrainingConfig(
    seed=0, max_steps=100, max_seconds=600, batch_size=128, warmup_steps=50, num_threads=1, refine=False
)


@pytest.fixture(scope="module")
def ray_head():
    if ray_executable() is None:
        pytest.skip("ray is not installed in this environment")
    with local_ray_head() as address:
        yield address


def test_ray_gives_the_same_graphs_as_the_local_pool(ray_head):
    df = chain_data(300)
    local = stability(df, runs=2, training_config=TINY, seed=3, executor=LocalPool(2))
    seen = []
    remote = stability(
        df,
        runs=2,
        training_config=TINY,
        seed=3,
        executor=RayCluster(ray_head),
        on_done=lambda done, total: seen.append((done, total)),
    )
    assert remote.executor.startswith("Ray cluster")
    assert seen == [(1, 2), (2, 2)]
    np.testing.assert_array_equal(remote.adjacencies, local.adjacencies)
    np.testing.assert_allclose(remote.probs, local.probs, rtol=0, atol=1e-6)
    # the two runs (other resample, other seed) differ: equal results are not a given
    assert not np.allclose(local.probs[0], local.probs[1])


def test_edge_frequency_summary_and_disagreements():
    adj = np.zeros((4, 3, 3), dtype=bool)
    adj[:, 0, 1] = True
    adj[:2, 1, 2] = True
    result = StabilityResult(("a", "b", "c"), adj, adj.astype(float), effects=(1.0, 2.0, 3.0, 4.0))
    freq = result.edge_frequency
    assert freq.loc["a", "b"] == 1.0 and freq.loc["b", "c"] == 0.5 and freq.loc["c", "a"] == 0.0
    probs = np.zeros((3, 3))
    probs[0, 1], probs[1, 2] = 0.95, 0.95
    flagged = result.disagreements(probs)
    assert [f["edge"] for f in flagged] == [["b", "c"]]
    summary = result.summary(probs)
    assert summary["stable_edges"] == [["a", "b"]] and summary["unstable_edges"] == [["b", "c"]]
    assert summary["effect"]["mean"] == 2.5
    assert "4 discovery runs" in result.sentence()


def test_the_executor_follows_the_address(monkeypatch):
    monkeypatch.delenv("DECI_STUDIO_RAY_ADDRESS", raising=False)
    assert isinstance(executor_for(None), LocalPool)
    monkeypatch.setenv("DECI_STUDIO_RAY_ADDRESS", "127.0.0.1:1")
    assert isinstance(executor_for(None), RayCluster)
    assert isinstance(executor_for(""), LocalPool)  # an explicit empty address means the local pool
    assert LocalPool().workers == max(1, (os.cpu_count() or 2) // 2)
