"""A temporal fit through the one training loop: recovers a lagged chain; save/load, determinism,
cancel; and "what happens next" effects on the fitted model."""

import numpy as np
import pytest

from deci_core import DECI, STOP, TrainingConfig
from deci_core.data.windows import TimeSeriesLayout
from deci_core.errors import ConstraintError, FitCancelled
from deci_core.graph.dag import is_dag
from deci_core.samples.timeseries import lagged_chain

FAST = dict(seed=0, max_steps=700, warmup_steps=200, batch_size=256, num_threads=1, patience=0)
LAYOUT = TimeSeriesLayout("t", "series", lags=1)


@pytest.fixture(scope="module")
def chain():
    df, truth = lagged_chain(length=300, num_series=4, seed=0)
    return df, truth


@pytest.fixture(scope="module")
def fitted(chain):
    return DECI(training_config=TrainingConfig(**FAST)).fit(chain[0], time_series=LAYOUT)


def test_smoke_fit_recovers_the_lagged_chain(fitted, chain):
    _, truth = chain
    post = fitted.graph_posterior_
    found = post.most_probable()
    assert np.array_equal(found, truth), post.lagged_table().query("probability > 0.3")
    assert is_dag(found[0]) and post.probs.shape == (2, 3, 3)
    assert fitted.time_series_.lags == 1 and fitted.time_series_.windows == 4 * 299
    empty = np.zeros_like(truth)
    assert fitted.log_likelihood(chain[0]) > fitted.log_likelihood(chain[0], empty) + 0.1


def test_save_and_load_keep_the_temporal_model(fitted, tmp_path):
    fitted.save(tmp_path / "run")
    again = DECI.load(tmp_path / "run")
    assert again.is_temporal and np.array_equal(again.graph_posterior_.probs, fitted.graph_posterior_.probs)
    a = fitted.trajectory("x0", "x2", 2.0, 0.0, horizon=3, num_graphs=3, num_samples=300)
    b = again.trajectory("x0", "x2", 2.0, 0.0, horizon=3, num_graphs=3, num_samples=300)
    assert a == b


def test_trajectory_follows_the_lags(fitted):
    """x0 -> x1 -> x2 at lag 1: do(x0_t) moves x1 from t+1 and x2 from t+2, never earlier."""
    on_best = fitted.trajectory("x0", "x2", 2.0, 0.0, horizon=4, num_graphs=1, num_samples=200)
    assert on_best.estimate_by_step[:2] == (0.0, 0.0)  # exactly: common random numbers, no path yet
    e = fitted.trajectory("x0", "x2", 2.0, 0.0, horizon=4, num_graphs=5, num_samples=800)
    assert abs(e.estimate_by_step[0]) < 0.1
    lo, hi = e.interval_95_by_step[2]
    # truth: E[1.2 tanh(1.2 tanh(2) + e)] - E[1.2 tanh(e)], e ~ N(0, 0.5^2): about 0.93
    rng = np.random.default_rng(0)
    eps = rng.normal(0, 0.5, 200_000)
    truth = float(np.mean(1.2 * np.tanh(1.2 * np.tanh(2.0) + eps) - 1.2 * np.tanh(eps)))
    assert lo < e.estimate_by_step[2] < hi and abs(e.estimate_by_step[2] - truth) < 0.25
    assert e.estimate_by_step[2] > 3 * (hi - lo) / (2 * 1.96)  # clearly non-zero
    held = fitted.trajectory("x0", "x1", 2.0, None, horizon=3, hold=True, num_graphs=1, num_samples=500)
    assert held.estimate_by_step[0] == 0.0 and all(v > 0.5 for v in held.estimate_by_step[1:])
    assert len(held.interval_95_by_step) == 4 and held.control_value is None


def test_trajectory_from_one_series_history(fitted, chain):
    df, _ = chain
    one = df[df["series"] == "s1"].head(50)
    e = fitted.trajectory("x1", "x2", 1.0, -1.0, horizon=2, history=one, num_graphs=1, num_samples=200)
    assert e.estimate_by_step[0] == 0.0 and e.estimate_by_step[1] > 0


def test_same_seed_same_graph_and_cancel_leaves_the_model_unfitted(chain):
    small = TrainingConfig(**{**FAST, "max_steps": 60, "warmup_steps": 20})
    a = DECI(training_config=small).fit(chain[0], time_series=LAYOUT)
    b = DECI(training_config=small).fit(chain[0], time_series=LAYOUT)
    assert np.array_equal(a.graph_posterior_.probs, b.graph_posterior_.probs)
    model = DECI(training_config=small)
    with pytest.raises(FitCancelled):
        model.fit(chain[0], time_series=LAYOUT, callbacks=[lambda p: STOP])
    assert not model.is_fitted


def test_constraints_apply_at_every_lag(chain):
    small = TrainingConfig(**{**FAST, "max_steps": 30, "warmup_steps": 10})
    model = DECI(training_config=small).fit(
        chain[0],
        constraints={"forbidden": [["x0", "x1"]]},
        time_series=TimeSeriesLayout("t", "series", 2, instantaneous=False),
    )
    probs = model.graph_posterior_.probs
    assert (probs[:, 0, 1] == 0).all() and (probs[0] == 0).all() and probs[1, 0, 0] > 0
    with pytest.raises(ConstraintError, match="not supported"):
        DECI(training_config=small).fit(
            chain[0], constraints={"required": [["x0", "x1"]]}, time_series=LAYOUT
        )
