"""The amortised imputation network and training with gaps.

Exact properties first: q never sees the values it must predict, leaves observed cells alone and has
the right entropy; then the statistical check that modelling the gaps removes the bias that dropping
rows adds when the gaps are missing at random (MAR).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.data.schema import VariableType
from deci_core.fixed_graph import FixedGraphModel
from deci_core.training.imputation import Imputer

TYPES = [VariableType.CONTINUOUS, VariableType.BINARY, VariableType.CATEGORICAL, VariableType.CONTINUOUS]
WIDTHS = [1, 1, 3, 1]


def _imputer() -> Imputer:
    imputer = Imputer(TYPES, WIDTHS, torch.Generator().manual_seed(0))
    with torch.no_grad():  # non-trivial output weights (they start at zero)
        imputer.w_out.normal_(0, 0.5, generator=torch.Generator().manual_seed(1))
    return imputer


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    cat = torch.nn.functional.one_hot(torch.randint(3, (n,), generator=g), 3).float()
    x = torch.cat([torch.randn(n, 1, generator=g), torch.randint(2, (n, 1), generator=g).float(), cat,
                   torch.randn(n, 1, generator=g)], 1)  # fmt: skip
    observed = torch.rand(n, 4, generator=g) > 0.4
    return x, observed


def test_imputer_never_sees_the_values_it_must_predict():
    imputer = _imputer()
    x, observed = _rows(64, 0)
    cols = imputer.column_mask(observed)
    scrambled = torch.where(cols, x, torch.randn(x.shape, generator=torch.Generator().manual_seed(5)) * 100)
    loc, scale = imputer(x, observed)
    loc2, scale2 = imputer(scrambled, observed)
    assert torch.equal(loc, loc2) and torch.equal(scale, scale2)
    leaky = x.clone().requires_grad_(True)
    imputer(leaky, observed)[0].sum().backward()
    assert float(leaky.grad[~cols].abs().max()) == 0.0  # no gradient path from a missing cell
    assert float(leaky.grad[cols].abs().max()) > 0.0  # the test can fail: observed cells do feed it
    a = imputer.sample(x, observed, torch.Generator().manual_seed(3))[0]
    b = imputer.sample(scrambled, observed, torch.Generator().manual_seed(3))[0]
    assert torch.equal(a, b)


def test_samples_fill_only_the_gaps_with_valid_values_and_exact_entropy():
    imputer = _imputer()
    x, observed = _rows(200, 1)
    filled, entropy = imputer.sample(x, observed, torch.Generator().manual_seed(2))
    cols = imputer.column_mask(observed)
    assert torch.equal(filled[cols], x[cols])
    assert set(filled[:, 1].unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(filled[:, 2:5].sum(1), torch.ones(200))
    loc, log_scale = imputer(x, observed)
    expected = torch.zeros(200)
    for col, var in ((0, 0), (5, 3)):
        gauss = torch.distributions.Normal(loc[:, col], log_scale[:, col].exp()).entropy()
        expected += gauss * (~observed[:, var])
    bern = torch.distributions.Bernoulli(logits=loc[:, 1]).entropy()
    cat = torch.distributions.Categorical(logits=loc[:, 2:5]).entropy()
    expected += bern * (~observed[:, 1]) + cat * (~observed[:, 2])
    assert torch.allclose(entropy, expected, atol=1e-5)
    assert float(entropy.detach()[observed.all(1)].abs().sum()) == 0.0


def test_modelled_gaps_give_an_unbiased_mean_where_dropping_rows_is_biased():
    """Linear-Gaussian pair x -> y, y missing more often when x is large (MAR on x)."""
    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=n)
    y = 0.8 * x + 0.6 * rng.normal(size=n)
    df = pd.DataFrame({"x": x, "y": y})
    gaps = rng.random(n) < 0.6 / (1 + np.exp(-(2 * x - 0.5)))
    df.loc[gaps, "y"] = np.nan
    se = y.std() / math.sqrt(n)  # standard error of the full-data mean
    listwise_bias = df["y"].mean() - y.mean()
    assert abs(listwise_bias) > 6 * se  # dropping rows is clearly biased here
    model = FixedGraphModel(ModelConfig(noise="gaussian"), TrainingConfig(seed=0)).fit(
        df, np.array([[0, 1], [0, 0]]), steps=600
    )
    assert model.imputer_ is not None and model.fit_summary_.missing_cells == {"x": 0, "y": int(gaps.sum())}
    adj = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    draws = model.sem_.sample(40_000, adj, torch.Generator().manual_seed(0))
    estimate = model.encoder_.decode(draws)["y"].mean()
    mc_se = y.std() / math.sqrt(40_000)
    assert abs(estimate - y.mean()) < 3 * math.hypot(se, mc_se)
    x_obs, observed = model.encoder_.encode_masked(df)
    imputed = model.encoder_.decode(model.imputer_.most_likely(x_obs, observed))["y"].to_numpy()
    assert np.sqrt(np.mean((imputed[gaps] - y[gaps]) ** 2)) < 0.7  # close to the noise sd, 0.6


def test_drop_policy_drops_rows_and_records_it():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    df.loc[:29, "b"] = np.nan
    model = FixedGraphModel(ModelConfig(missing="drop"), TrainingConfig(seed=0)).fit(
        df, np.zeros((2, 2)), steps=20
    )
    assert model.imputer_ is None and model.num_rows_ == 270
    assert model.fit_summary_.dropped_rows == 30 and model.fit_summary_.missing_policy == "drop"
    with pytest.raises(Exception, match="missing must be one of"):
        ModelConfig(missing="impute")
