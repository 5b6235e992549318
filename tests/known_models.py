"""Small known SEMs for the tests: a nonlinear chain, and a linear-Gaussian SEM with a closed-form ATE
fitted on its true graph (fast: no discovery). The fixtures that use them are in tests/conftest.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.fixed_graph import FixedGraphModel

FAST = TrainingConfig(seed=0, max_steps=1000, batch_size=256, warmup_steps=300, patience=0, num_threads=1)


def chain_data(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """A -> B -> C with nonlinear mechanisms and non-Gaussian (uniform) noise."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, n)
    b = np.tanh(1.5 * a) * 2 + 0.4 * rng.uniform(-1, 1, n)
    c = np.sin(1.5 * b) * 1.5 + 0.4 * rng.uniform(-1, 1, n)
    return pd.DataFrame({"A": a, "B": b, "C": c})


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
