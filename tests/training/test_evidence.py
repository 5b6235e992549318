"""The evidence rule (BIC's ½·log n per edge, 20:1 odds): exact properties, and an edge of known
strength kept above the computable n and dropped below it by the refinement itself."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
import torch

from deci_core.config import ModelConfig
from deci_core.data.encoder import TableEncoder
from deci_core.data.schema import infer_schema
from deci_core.training.evidence import (
    MIN_EVIDENCE_NATS,
    accepts,
    edge_cost_nats,
    gaussian_edge_nats_per_row,
    rows_to_keep,
    sparsity_per_row,
)
from deci_core.training.refine import ConditionalScores, refine


def test_the_cost_of_an_edge_grows_with_log_n_not_n():
    assert edge_cost_nats(445) == pytest.approx(0.5 * math.log(445))  # 3.05 nats
    assert edge_cost_nats(100_000) < 2 * edge_cost_nats(445)  # 225 times the rows, < twice the cost
    assert sparsity_per_row(2000) * 2000 == pytest.approx(edge_cost_nats(2000))
    assert edge_cost_nats(2000, sparsity=2.0) == pytest.approx(2 * edge_cost_nats(2000))
    assert MIN_EVIDENCE_NATS == pytest.approx(math.log(20))


@pytest.mark.parametrize("rho", [0.05, 0.1, 0.2, 0.4])
def test_an_edge_of_known_strength_is_kept_from_a_computable_n_on(rho):
    per_row = gaussian_edge_nats_per_row(rho)
    n_star = rows_to_keep(per_row)
    assert not accepts((n_star - 1) * per_row, 1, n_star - 1)
    assert all(accepts(n * per_row, 1, n) for n in (n_star, n_star + 1, 2 * n_star, 100 * n_star))
    # the case: at n = 445 an edge worth 4-5 nats is kept (the old 1%-of-variance rule dropped it)
    assert accepts(4.5 + edge_cost_nats(445) - 1.4, 1, 445)


def test_removing_an_edge_is_credited_its_cost():
    assert accepts(-0.5, -1, 2000)  # an edge buying 0.5 nats is not worth its 3.8 nats at n = 2,000
    assert not accepts(-1.0, -1, 2000)  # at 1 nat, removing it is not 20:1 better: it stays
    assert not accepts(-0.5, -1, 100)  # at n = 100 the cost is 2.3 nats: not 20:1 either


def _linear_pair(n: int, rho: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = rho * x + math.sqrt(1 - rho * rho) * rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": y})


def _refined_from_empty(df: pd.DataFrame) -> np.ndarray:
    torch.manual_seed(0)
    encoder = TableEncoder.fit(df, infer_schema(df))
    scores = ConditionalScores(encoder.encode(df), torch.arange(2), [0, 1], ModelConfig(), seed=0)
    none = np.zeros((2, 2), dtype=bool)
    return refine(none, scores, none, none, [0, 1], time.perf_counter() + 60).adjacency


def test_the_refinement_keeps_a_weak_edge_above_its_n_and_drops_it_below():
    rho = 0.25
    n_star = rows_to_keep(gaussian_edge_nats_per_row(rho))  # about 200 rows
    above, below = 8 * n_star, n_star // 4
    # expected held-out gain at `above`: 8 * n_star * 0.032 ~ 53 nats against a 3.8 + 3.0 bar; the gain's
    # standard error is ~ sqrt(n) * rho ~ 9 nats, so this is a > 4 SE margin
    assert _refined_from_empty(_linear_pair(above, rho, seed=1)).any()
    assert not _refined_from_empty(_linear_pair(below, rho, seed=1)).any()
