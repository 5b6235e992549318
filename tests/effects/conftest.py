"""Fixtures for the effect tests: a small linear-Gaussian SEM with a closed-form ATE, fitted on its
true graph (fast: no discovery), and a tiny saved DECI run for the CLI and page tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.fixed_graph import FixedGraphModel

NAMES = ["w", "t", "y", "m", "u"]
EDGES = [("w", "t"), ("w", "y"), ("t", "y"), ("t", "m")]
TRUE_ATE_PER_UNIT = 2.0  # y = 2 t + w + noise


def linear_table(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """w -> t -> y, w -> y, t -> m; u isolated. E[y | do(t=a)] - E[y | do(t=b)] = 2 (a - b)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=n)
    t = 0.8 * w + rng.normal(size=n)
    y = TRUE_ATE_PER_UNIT * t + w + rng.normal(size=n)
    m = t + 0.5 * rng.normal(size=n)
    u = rng.normal(size=n)
    return pd.DataFrame({"w": w, "t": t, "y": y, "m": m, "u": u})


def adjacency(names: list[str] = NAMES, edges=EDGES) -> np.ndarray:
    adj = np.zeros((len(names), len(names)), dtype=int)
    for a, b in edges:
        adj[names.index(a), names.index(b)] = 1
    return adj


def fit_fixed(df: pd.DataFrame, adj: np.ndarray, steps: int = 600) -> FixedGraphModel:
    torch.set_num_threads(1)
    model = FixedGraphModel(
        ModelConfig(noise="gaussian", hidden=16, layers=1), TrainingConfig(seed=0, batch_size=256)
    )
    return model.fit(df, adj, steps=steps)


@pytest.fixture(scope="session")
def linear_data() -> pd.DataFrame:
    return linear_table()


@pytest.fixture(scope="session")
def linear_model(linear_data) -> FixedGraphModel:
    return fit_fixed(linear_data, adjacency())
