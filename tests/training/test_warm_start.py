"""The closed-form warm start: its BIC local scores, the DAGs its hill climb reaches, q(G)'s start."""

import math

import numpy as np
import torch

from deci_core.graph.dag import is_dag
from deci_core.graph.distribution import EdgeLogits
from deci_core.training.warm_start import (
    START_ABSENT,
    START_FORWARD,
    LocalScores,
    score_search,
    search_fit_rows,
    start_at,
)


def _collider(n: int, seed: int = 0) -> np.ndarray:
    """x0 -> x2 <- x1, x2 -> x3, linear-Gaussian; x4 independent of all."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    x[:, 2] += 0.8 * x[:, 0] + 0.8 * x[:, 1]
    x[:, 3] += 0.9 * x[:, 2]
    return (x - x.mean(0)) / x.std(0)


def test_the_gaussian_local_score_is_bic_of_the_least_squares_fit():
    x = _collider(3000)
    scores = LocalScores(x, np.arange(5), set())
    design = np.column_stack([np.ones(len(x)), x[:, [0, 1]]])
    residual = x[:, 2] - design @ np.linalg.lstsq(design, x[:, 2], rcond=None)[0]
    var = residual.var()
    expected = -0.5 * len(x) * (math.log(2 * math.pi * var) + 1) - 0.5 * math.log(len(x)) * 4
    assert math.isclose(scores(2, frozenset({0, 1})), expected, rel_tol=1e-6)


def test_the_tabular_local_score_is_bic_of_the_count_table():
    rng = np.random.default_rng(1)
    a = rng.random(2000) < 0.5
    b = np.where(a, rng.random(2000) < 0.8, rng.random(2000) < 0.3)
    x = np.column_stack([a, b]).astype(float)
    scores = LocalScores(x, np.arange(2), {0, 1})
    log_lik = 0.0
    for level in (0, 1):
        child = b[a == level]
        for value in (0, 1):
            count = (child == value).sum()
            log_lik += count * math.log(count / len(child))
    assert math.isclose(scores(1, frozenset({0})), log_lik - 0.5 * math.log(2000) * 2, rel_tol=1e-9)


def test_the_search_finds_the_collider_oriented_and_nothing_else():
    x = _collider(3000)
    none = np.zeros((5, 5), dtype=bool)
    found = score_search(x, np.arange(5), set(), none, none)
    assert is_dag(found)
    skeleton = found | found.T
    true = {(0, 2), (1, 2), (2, 3)}
    assert {(i, j) for i in range(5) for j in range(i + 1, 5) if skeleton[i, j]} == true
    assert found[0, 2] and found[1, 2] and found[2, 3]  # the v-structure orients all three
    assert not skeleton[4].any()


def test_an_edge_too_weak_for_the_sample_is_left_out_and_kept_with_more_rows():
    rng = np.random.default_rng(2)
    none = np.zeros((2, 2), dtype=bool)
    rho = 0.05  # BIC keeps it once n * -½·log(1 - rho²) exceeds ½·log n: n above ~3,800
    kept = []
    for n in (300, 60_000):
        a = rng.normal(size=n)
        b = rho * a + math.sqrt(1 - rho**2) * rng.normal(size=n)
        kept.append(score_search(np.column_stack([a, b]), np.arange(2), set(), none, none).any())
    assert kept == [False, True]


def test_hard_constraints_are_respected():
    x = _collider(2000)
    forbidden = np.zeros((5, 5), dtype=bool)
    forbidden[0, 2] = forbidden[2, 0] = True
    required = np.zeros((5, 5), dtype=bool)
    required[4, 3] = True  # an edge the data do not support stays because it is required
    found = score_search(x, np.arange(5), set(), forbidden, required)
    assert not found[0, 2] and not found[2, 0] and found[4, 3] and is_dag(found)
    skeleton = found | found.T
    assert skeleton[1, 2] and skeleton[2, 3]  # the allowed true adjacencies are still found


def test_q_of_g_starts_at_the_found_graph_and_tables_with_few_complete_rows_are_not_searched():
    x = torch.as_tensor(_collider(2000), dtype=torch.float32)
    graph = EdgeLogits(torch.zeros(5, 5, dtype=torch.bool), torch.zeros(5, 5, dtype=torch.bool))
    found = search_fit_rows(graph, x, None, torch.arange(5), set())
    start_at(graph, found)
    probs = graph.probs().detach().numpy()
    assert np.allclose(probs[found], START_FORWARD, atol=1e-5)
    absent = ~(found | found.T) & ~np.eye(5, dtype=bool)
    assert np.allclose(probs[absent], START_ABSENT, atol=1e-5)
    observed = torch.zeros(2000, 5, dtype=torch.bool)
    observed[:10] = True
    assert search_fit_rows(graph, x, observed, torch.arange(5), set()) is None


def test_a_fit_starts_from_the_search_above_the_threshold_and_from_uniform_below_it():
    import pandas as pd

    from deci_core.config import TrainingConfig
    from deci_core.model import DECI

    df = pd.DataFrame(_collider(1500), columns=[f"x{i}" for i in range(5)])
    probs = {}
    for above in (0, 30):  # one training step, in the warm-up: q(G) is still where it started
        config = TrainingConfig(max_steps=1, refine=False, warm_start_above=above, num_threads=1)
        probs[above] = DECI(training_config=config).fit(df).graph_posterior_.probs
    assert np.isclose(probs[0][0, 2], START_FORWARD, atol=1e-4) and np.isclose(
        probs[0][2, 3], START_FORWARD, atol=1e-4
    )
    assert np.isclose(probs[0][0, 4], START_ABSENT, atol=1e-4)
    off_diagonal = ~np.eye(5, dtype=bool)
    assert np.allclose(probs[30][off_diagonal], 0.25, atol=1e-4)  # 5 variables: trained from uniform
