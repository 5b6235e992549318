"""Skewed positive columns: the log offer, the schema and encoder round trip, and effects in user units
on a log-normal SEM."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.data.encoder import TableEncoder
from deci_core.data.schema import TableSchema, VariableType, infer_schema, suggest_transforms
from deci_core.errors import DataError
from deci_core.fixed_graph import FixedGraphModel

BETA, SIGMA = 0.8, 0.5


def _log_normal(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """x = exp(u), y = x^BETA * exp(SIGMA e): log-normal, so E[y | do(x=a)] = a^BETA exp(SIGMA²/2)."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=n)
    return pd.DataFrame({"x": np.exp(u), "y": np.exp(BETA * u + SIGMA * rng.normal(size=n))})


def test_a_skewed_positive_column_is_offered_a_log_with_the_reason():
    df = _log_normal().assign(z=np.random.default_rng(1).normal(size=3000), k=np.arange(3000) % 5)
    offers = suggest_transforms(df, infer_schema(df))
    assert set(offers) == {"x", "y"}  # not the symmetric z, nor the integer levels of k
    assert "right-skewed" in offers["x"] and "skewness" in offers["x"]
    assert suggest_transforms(df, infer_schema(df).with_transforms({"x": "log"})).keys() == {"y"}


def test_integer_columns_with_few_levels_stay_numeric_and_say_so():
    df = pd.DataFrame({"score": np.arange(100) % 5, "flag": np.arange(100) % 2})
    spec = infer_schema(df)["score"]
    assert spec.type is VariableType.CONTINUOUS and "kept numeric" in spec.reason
    assert "categorical" in spec.reason  # how to say otherwise


def test_the_transform_is_recorded_applied_and_undone():
    df = _log_normal(200)
    schema = infer_schema(df).with_transforms({"x": "log"}, df)
    assert TableSchema.from_dict(schema.to_dict()) == schema
    encoder = TableEncoder.fit(df, schema)
    z = encoder.encode(df)
    assert z[:, 0].mean().abs() < 1e-4 and abs(float(z[:, 0].std()) - 1) < 1e-2  # standardised log x
    assert encoder.means["x"] == pytest.approx(np.log(df["x"]).mean(), rel=1e-5)
    back = encoder.decode(z)
    np.testing.assert_allclose(back["x"], df["x"], rtol=1e-4)
    np.testing.assert_allclose(back["y"], df["y"], rtol=1e-4)
    assert float(encoder.encode_value("x", 1.0)[0]) == pytest.approx(-encoder.means["x"] / encoder.stds["x"])
    assert TableEncoder.from_dict(encoder.to_dict()).specs == encoder.specs


def test_a_log_of_non_positive_values_is_refused():
    df = pd.DataFrame({"x": [1.0, 0.0, 2.0] * 10, "y": [1.0, 2.0, 3.0] * 10})
    with pytest.raises(DataError, match="values <= 0"):
        infer_schema(df).with_transforms({"x": "log"}, df)
    with pytest.raises(DataError, match="Unknown transform"):
        infer_schema(df).with_transforms({"y": "sqrt"})


def test_effects_on_a_log_normal_sem_come_out_in_user_units():
    torch.set_num_threads(1)
    df = _log_normal()
    schema = infer_schema(df).with_transforms({"x": "log", "y": "log"}, df)
    adjacency = np.array([[0, 1], [0, 0]])
    model = FixedGraphModel(
        ModelConfig(noise="gaussian", hidden=16, layers=1), TrainingConfig(seed=0, batch_size=256)
    ).fit(df, adjacency, schema, steps=800)
    estimate = model.ate("x", "y", 2.0, 1.0, num_samples=20000)
    truth = (2.0**BETA - 1.0) * math.exp(SIGMA**2 / 2)  # 0.84, in y's own units
    # Monte-Carlo error of the estimate (its sd over 20,000 common-noise draws) plus the fit's error on
    # 3,000 rows (slope and noise scale each ~2% here): 10% of the effect covers both with room
    assert estimate.value == pytest.approx(truth, rel=0.1)
