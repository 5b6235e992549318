"""Graph refinement after training: legal moves only, and a wrong orientation gets corrected."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import torch

from deci_core.config import ModelConfig
from deci_core.data.encoder import TableEncoder
from deci_core.data.schema import infer_schema
from deci_core.graph.distribution import EdgeLogits
from deci_core.training.refine import (
    ConditionalScores,
    Move,
    Refinement,
    _affordable,
    _apply,
    _changed,
    _confirm,
    _Rules,
    _switch_gain,
    _then,
    refine,
)
from deci_core.training.threads import torch_threads


def _pair_data(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """x -> y with a strongly nonlinear mechanism and Gaussian noise (identifiable by its shape)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = np.tanh(2.0 * x) * 1.5 + 0.5 * x**2 + 0.3 * rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": y})


def _scores(df: pd.DataFrame) -> tuple[ConditionalScores, list[int]]:
    encoder = TableEncoder.fit(df, infer_schema(df))
    col_var = torch.arange(len(df.columns))
    continuous = list(range(len(df.columns)))
    return ConditionalScores(encoder.encode(df), col_var, continuous, ModelConfig(), seed=0), continuous


def test_refine_reverses_a_wrongly_oriented_nonlinear_edge():
    scores, continuous = _scores(_pair_data())
    wrong = np.array([[False, False], [True, False]])  # y -> x
    none = np.zeros((2, 2), dtype=bool)
    result = refine(wrong, scores, none, none, continuous, time.perf_counter() + 60)
    assert result.adjacency.tolist() == [[False, True], [False, False]]
    assert [(m.kind, m.parent, m.child) for m in result.moves] == [("reverse", 1, 0)]
    assert result.moves[0].gain > 3.0  # held-out nats in favour of x -> y


def test_refine_respects_hard_constraints():
    scores, continuous = _scores(_pair_data())
    wrong = np.array([[False, False], [True, False]])
    forbidden = np.array([[False, True], [False, False]])  # x -> y forbidden: y -> x must stay
    required = np.array([[False, False], [True, False]])
    for forb, req in ((forbidden, np.zeros_like(required)), (np.zeros_like(forbidden), required)):
        result = refine(wrong, scores, forb, req, continuous, time.perf_counter() + 60)
        assert result.adjacency.tolist() == wrong.tolist()


def test_moves_never_close_a_cycle_or_touch_non_targets():
    chain = np.zeros((5, 5), dtype=bool)
    chain[0, 1] = chain[0, 2] = chain[1, 2] = chain[2, 3] = True  # 0 -> 1 -> 2 -> 3, 0 -> 2; 4 alone
    none = np.zeros_like(chain)
    options = _Rules(none, none, targets={0, 1, 2, 4}).options(chain)  # variable 3 is not continuous
    assert {kind for kind, *_ in options} == {"add", "remove", "reverse", "sink", "source"}
    for kind, parent, child, after in options:
        assert (after[:, 3] == chain[:, 3]).all(), (kind, parent, child)
        assert _acyclic(after), (kind, parent, child)
    assert ("reverse", 0, 2) not in {(k, i, j) for k, i, j, _ in options}  # 2 -> 0 -> 1 -> 2: a cycle


def test_set_pair_gives_the_requested_probabilities():
    none = torch.zeros(3, 3, dtype=torch.bool)
    logits = EdgeLogits(none, none)
    logits.set_pair(0, 2, 0.9, 0.05)
    probs = logits.probs().detach()
    assert abs(float(probs[0, 2]) - 0.9) < 1e-4 and abs(float(probs[2, 0]) - 0.05) < 1e-4
    assert abs(float(probs[0, 1]) - 0.25) < 1e-6  # other pairs untouched


def _acyclic(adj: np.ndarray) -> bool:
    reach = adj.copy()
    for k in range(len(adj)):
        reach |= reach[:, [k]] & reach[[k], :]
    return not reach.diagonal().any()


def test_fit_moves_q_to_the_refined_graph_and_the_sem_follows():
    """Training too short to move q (warm-up only): the refinement alone finds x -> y."""
    from deci_core.config import TrainingConfig
    from deci_core.model import DECI

    df = _pair_data()
    short = TrainingConfig(seed=0, max_steps=200, warmup_steps=300, patience=0, num_threads=1)
    unrefined = DECI(training_config=TrainingConfig(**{**short.to_dict(), "refine": False})).fit(df)
    events = []
    refined = DECI(training_config=short).fit(df, callbacks=[events.append])
    assert {e.phase for e in events} == {"training", "refining"}
    assert events[-1].done and events[-1].phase == "refining" and events[-1].num_edges == 1
    assert unrefined.graph_posterior_.probs[0, 1] == pytest.approx(0.25)
    assert refined.fit_summary_.refine_moves == 1
    assert refined.graph_posterior_.probs[0, 1] > 0.95
    assert refined.graph_posterior_.most_probable().tolist() == [[False, True], [False, False]]
    fitted_y = refined.log_likelihood(df)
    assert (
        fitted_y > unrefined.log_likelihood(df, np.array([[0, 1], [0, 0]])) + 0.05
    )  # the SEM learned x -> y


def test_a_fork_that_should_be_a_collider_is_turned_round():
    """x -> z <- y started as the fork z -> x, z -> y: each single reversal leaves a chain with the
    fork's (wrong) independence x _||_ y | z; a sink move on z fixes both edges at once."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=1000), rng.normal(size=1000)
    z = np.tanh(1.5 * x) + np.tanh(1.5 * y) + 0.3 * rng.normal(size=1000)
    scores, continuous = _scores(pd.DataFrame({"x": x, "y": y, "z": z}))
    fork = np.zeros((3, 3), dtype=bool)
    fork[2, 0] = fork[2, 1] = True
    none = np.zeros_like(fork)
    result = refine(fork, scores, none, none, continuous, time.perf_counter() + 60)
    assert result.adjacency.tolist() == [[False, False, True], [False, False, True], [False, False, False]]
    assert set(result.evidence) == {(0, 2), (1, 2)}


def test_apply_moves_each_changed_pair_by_its_evidence():
    none = torch.zeros(3, 3, dtype=torch.bool)
    logits = EdgeLogits(none, none)
    before = np.zeros((3, 3), dtype=bool)
    before[2, 0] = before[2, 1] = True
    after = before.T.copy()
    probs = np.full((3, 3), 0.25)
    _apply(logits, probs, before, Refinement(after, (Move("sink", 2, 2, 40.0),), {(0, 2): 40.0, (1, 2): 2.0}))
    p = logits.probs().detach().numpy()
    assert p[0, 2] > 0.99 and p[2, 0] < 0.01  # strong evidence: almost certain
    assert abs(p[1, 2] - (0.25 + 0.75 / (1 + np.exp(-2.0)))) < 1e-3  # weak evidence: partly moved
    assert abs(p[0, 1] - 0.25) < 1e-6  # untouched pair


def test_kept_edges_carry_their_removal_evidence_and_it_confirms_them():
    rng = np.random.default_rng(3)
    x = rng.normal(size=1000)
    df = pd.DataFrame(
        {"x": x, "y": np.tanh(2.0 * x) * 1.5 + 0.3 * rng.normal(size=1000), "w": rng.normal(size=1000)}
    )
    scores, continuous = _scores(df)
    start = np.zeros((3, 3), dtype=bool)
    start[0, 1] = True
    none = np.zeros_like(start)
    result = refine(start, scores, none, none, continuous, time.perf_counter() + 60)
    assert result.adjacency.tolist() == start.tolist()  # nothing to change
    assert set(result.support) == {(0, 1)} and result.support[(0, 1)] > 50  # a strong edge: many nats
    logits = EdgeLogits(torch.zeros(3, 3, dtype=torch.bool), torch.zeros(3, 3, dtype=torch.bool))
    logits.set_pair(0, 1, 0.6, 0.2)
    logits.set_pair(0, 2, 0.3, 0.1)
    _confirm(logits, {(0, 1): 30.0, (0, 2): -1.0})
    p = logits.probs().detach().numpy()
    assert p[0, 1] + p[1, 0] > 0.999 and abs(p[0, 1] / (p[0, 1] + p[1, 0]) - 0.75) < 1e-3  # split kept
    assert abs(p[0, 2] - 0.3) < 1e-4 and abs(p[2, 0] - 0.1) < 1e-4  # weak support never lowers


def test_a_round_that_cannot_finish_in_time_leaves_out_additions_first():
    df = _pair_data().assign(w=np.random.default_rng(1).normal(size=1000))
    scores, continuous = _scores(df)
    chain = np.zeros((3, 3), dtype=bool)
    chain[0, 1] = True
    options = _Rules(np.zeros_like(chain), np.zeros_like(chain), set(continuous)).options(chain)
    scores.seconds_per_candidate = 1.0
    without_adds = [o for o in options if o[0] != "add"]
    assert 0 < len(without_adds) < len(options)
    needed = {c for *_, after in without_adds for c in _changed(chain, after)}
    assert _affordable(options, chain, scores, time.perf_counter() + 100) == options
    assert _affordable(options, chain, scores, time.perf_counter() + len(needed) + 0.5) == without_adds
    assert _affordable(options, chain, scores, time.perf_counter() - 1) == []


def test_refinement_on_a_row_subsample_finds_the_full_tables_graph(monkeypatch):
    monkeypatch.setattr("deci_core.training.refine.FIT_STEPS", 200)  # both sides alike, and quick
    rng = np.random.default_rng(5)
    a, c = rng.normal(size=2000), rng.normal(size=2000)
    b = np.tanh(1.5 * a) + 0.6 * np.sin(2 * c) + 0.3 * rng.normal(size=2000)  # collider a -> b <- c
    df = pd.DataFrame({"a": a, "b": b, "c": c})
    encoder = TableEncoder.fit(df, infer_schema(df))
    x, col_var, continuous = encoder.encode(df), torch.arange(3), [0, 1, 2]
    none = np.zeros((3, 3), dtype=bool)
    start = none.copy()
    start[0, 1] = True  # a -> b found in training; c -> b missing
    graphs = []
    for max_rows in (None, 800):
        scores = ConditionalScores(x, col_var, continuous, ModelConfig(), seed=0, max_rows=max_rows)
        assert scores.rows == (max_rows or 2000)
        with torch_threads(1):  # on a busy 2-core machine two threads wait on each other
            found = refine(start, scores, none, none, continuous, time.perf_counter() + 120)
        graphs.append(found.adjacency)
    assert graphs[0].tolist() == graphs[1].tolist() == [[0, 1, 0], [0, 0, 0], [0, 1, 0]]


def test_rows_scored_follow_the_evidence_rule():
    from deci_core.training.evidence import RHO_MIN, edge_cost_nats, gaussian_edge_nats_per_row, score_rows

    m = score_rows(10**6)
    assert score_rows(5_000) == 5_000 and score_rows(10**6) == score_rows(10**7) == m

    def margin(rows: int) -> float:  # expected gain two standard errors down, minus what it must buy
        gain = rows * gaussian_edge_nats_per_row(RHO_MIN) - 2 * RHO_MIN * rows**0.5
        return gain - np.log(20) - edge_cost_nats(rows)

    assert margin(m) >= 0 > margin(m - 1)
    assert score_rows(10**6, sparsity=2.0) > m  # a dearer edge needs more rows


def _encoded(df: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
    encoder = TableEncoder.fit(df, infer_schema(df))
    col_var = torch.repeat_interleave(torch.arange(len(df.columns)), torch.tensor(list(encoder.widths)))
    return encoder.encode(df), col_var


def test_discrete_targets_are_scored_by_their_probability_mass():
    """A binary and a 3-level categorical child of x: held-out log-probabilities are masses (<= 0),
    a parentless candidate scores about -n times the levels' entropy, and x buys a lot for both."""
    rng = np.random.default_rng(0)
    n = 1000
    x = rng.normal(size=n)
    t = np.where(rng.random(n) < 1 / (1 + np.exp(-3 * x)), "yes", "no")
    c = np.where(x > 0.8, "a", rng.choice(["a", "b", "c"], size=n, p=[0.2, 0.3, 0.5]))
    rows, col_var = _encoded(pd.DataFrame({"x": x, "t": t, "c": c}))
    scores = ConditionalScores(rows, col_var, [0, 1, 2], ModelConfig(), seed=0, discrete=[1, 2])
    alone, given_x = [(j, frozenset()) for j in (1, 2)], [(j, frozenset({0})) for j in (1, 2)]
    scores.ensure({*alone, *given_x})
    for (j, _), levels in zip(alone, (t, c), strict=True):
        share = pd.Series(levels).value_counts(normalize=True).to_numpy()
        entropy_nats = -n * float((share * np.log(share)).sum())
        assert (scores.rows_of((j, frozenset())) <= 0).all()
        assert -entropy_nats - 10 < scores((j, frozenset())) <= -entropy_nats + 1  # held out: a bit worse
        assert scores((j, frozenset({0}))) > scores((j, frozenset())) + 100


def test_a_binary_collider_started_as_a_fork_is_turned_round():
    """x -> t <- z with t binary, started as the fork t -> x, t -> z: only moves that change the
    binary variable's parents fix it, so scoring continuous children alone leaves a wrong graph."""
    rng = np.random.default_rng(0)
    n = 1000
    x, z = rng.normal(size=n), rng.normal(size=n)
    t = np.where(rng.random(n) < 1 / (1 + np.exp(-2 * (x + z))), "yes", "no")
    rows, col_var = _encoded(pd.DataFrame({"x": x, "z": z, "t": t}))
    fork = np.zeros((3, 3), dtype=bool)
    fork[2, 0] = fork[2, 1] = True
    none = np.zeros_like(fork)
    scores = ConditionalScores(rows, col_var, [0, 1, 2], ModelConfig(), seed=0, discrete=[2])
    result = refine(fork, scores, none, none, [0, 1, 2], time.perf_counter() + 60)
    assert result.adjacency.tolist() == [[False, False, True], [False, False, True], [False, False, False]]
    continuous_only = ConditionalScores(rows, col_var, [0, 1], ModelConfig(), seed=0)
    assert refine(fork, continuous_only, none, none, [0, 1], time.perf_counter() + 60).adjacency[2].any()


def test_a_better_alternative_is_switched_to_by_its_cross_fitted_gain_and_a_worse_one_is_not():
    scores, _ = _scores(_pair_data())
    right = np.array([[False, True], [False, False]])
    empty = np.zeros((2, 2), dtype=bool)
    far = time.perf_counter() + 60
    gain = _switch_gain(empty, right, scores, far)
    assert gain > 100  # x explains most of y
    assert _switch_gain(right, empty, scores, far) == pytest.approx(-gain)
    assert (
        _switch_gain(right, right, scores, far) == -np.inf
        and _switch_gain(right, None, scores, far) == -np.inf
    )


def test_a_switch_gives_every_pair_it_changed_its_gain_unless_a_later_move_changed_it_again():
    first_graph = np.zeros((3, 3), dtype=bool)
    first_graph[0, 1] = True
    first = Refinement(first_graph, (Move("add", 0, 1, 5.0),), {(0, 1): 5.0})
    second_graph = np.zeros((3, 3), dtype=bool)
    second_graph[1, 2] = second_graph[0, 2] = True
    second = Refinement(second_graph, (Move("add", 0, 2, 4.0),), {(0, 2): 4.0}, {(1, 2): 9.0})
    both = _then(first, 30.0, second)
    assert both.adjacency is second.adjacency and len(both.moves) == 2 and both.support == {(1, 2): 9.0}
    assert both.evidence == {(0, 1): 30.0, (1, 2): 30.0, (0, 2): 4.0}
