"""A randomised binary root with a direct edge to a zero-inflated, skewed leaf: the SEM's ATE must be
the difference in means (issue 13). By maximum likelihood the outcome's function sat at the spike
at 0 in both arms and the effect came out near 0; fitted as a conditional mean it is the arms' means."""

import numpy as np
import pandas as pd
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.effects import EffectQuery, average_effect
from deci_core.fixed_graph import FixedGraphModel


def zero_inflated_trial(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """t ~ Bernoulli(1/2); earnings 0 for ~60% of rows, log-normal (skewed) otherwise; t raises both."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, n)
    positive = rng.random(n) < 0.35 + 0.1 * t
    y = np.where(positive, rng.lognormal(8.5, 1.0, n) * (1 + 0.3 * t), 0.0)
    return pd.DataFrame({"t": t, "y": y})


def test_sem_ate_equals_difference_in_means_on_zero_inflated_outcome():
    torch.set_num_threads(1)
    df = zero_inflated_trial()
    treated, control = df.y[df.t == 1], df.y[df.t == 0]
    diff = treated.mean() - control.mean()
    se = np.sqrt(treated.var() / len(treated) + control.var() / len(control))
    assert np.median(df.y) == 0 and diff / se > 2.5  # a real effect; an answer of 0 fails below
    model = FixedGraphModel(ModelConfig(), TrainingConfig(seed=0)).fit(df, np.array([[0, 1], [0, 0]]))
    est = average_effect(model, EffectQuery("t", "y", 1, 0), data_rows=len(df))
    assert abs(est.value - diff) <= se
    assert 0.5 * se <= est.std_error <= 2 * se  # its own uncertainty is of the right size
