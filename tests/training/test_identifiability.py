"""Directions the data cannot identify: a linear-Gaussian chain is marked, a nonlinear one is not, and
a fit on the linear-Gaussian chain reports both directions near 0.5."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.data.encoder import TableEncoder
from deci_core.data.schema import infer_schema
from deci_core.model import DECI
from deci_core.training.identifiability import unidentified_pairs
from deci_core.training.refine import ConditionalScores
from tests.known_models import chain_data

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)


def _linear_gaussian_chain(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.8 * a + 0.6 * rng.normal(size=n)
    c = 0.8 * b + 0.6 * rng.normal(size=n)
    return pd.DataFrame({"A": a, "B": b, "C": c})


def _marks(df: pd.DataFrame) -> np.ndarray:
    encoder = TableEncoder.fit(df, infer_schema(df))
    scores = ConditionalScores(encoder.encode(df), torch.arange(3), [0, 1, 2], ModelConfig(), seed=0)
    return unidentified_pairs(CHAIN, scores, [0, 1, 2], time.perf_counter() + 60)


def test_a_linear_gaussian_chain_has_no_identifiable_direction():
    marks = _marks(_linear_gaussian_chain())
    assert marks[0, 1] and marks[1, 0] and marks[1, 2] and marks[2, 1]
    assert not marks[0, 2]  # not an edge


def test_a_nonlinear_chain_with_uniform_noise_is_identified():
    assert not _marks(chain_data(n=2000)).any()


def test_a_fit_on_a_linear_gaussian_chain_shares_each_pair_between_its_directions():
    torch.set_num_threads(1)
    config = TrainingConfig(seed=0, preset="quick", max_seconds=900, num_threads=1)  # step-bound
    posterior = DECI(training_config=config).fit(_linear_gaussian_chain()).graph_posterior_
    p = posterior.probs
    for i, j in ((0, 1), (1, 2)):
        assert p[i, j] + p[j, i] > 0.9  # the pair exists ...
        assert abs(p[i, j] - p[j, i]) < 0.05  # ... with comparable mass either way
        assert not posterior.is_identifiable(posterior.names[i], posterior.names[j])
    skeleton = posterior.most_probable() | posterior.most_probable().T
    assert skeleton[0, 1] and skeleton[1, 2] and not skeleton[0, 2]
    assert len(posterior.not_identifiable()) == 2
    again = type(posterior).from_dict(posterior.to_dict())
    assert again.not_identifiable() == posterior.not_identifiable()
