"""Shared fixtures: small seeded datasets and a quickly fitted model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.model import DECI

FAST = TrainingConfig(seed=0, max_steps=1000, batch_size=256, warmup_steps=300, patience=0, num_threads=1)


def chain_data(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """A -> B -> C with nonlinear mechanisms and non-Gaussian (uniform) noise."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, n)
    b = np.tanh(1.5 * a) * 2 + 0.4 * rng.uniform(-1, 1, n)
    c = np.sin(1.5 * b) * 1.5 + 0.4 * rng.uniform(-1, 1, n)
    return pd.DataFrame({"A": a, "B": b, "C": c})


@pytest.fixture(scope="session")
def chain_df() -> pd.DataFrame:
    return chain_data()


@pytest.fixture(scope="session")
def fitted_chain(chain_df: pd.DataFrame) -> DECI:
    return DECI(ModelConfig(noise="spline"), FAST).fit(chain_df)
