"""The time-series CLI contract: fit --time-column/--series-column/--lags, edge_probs_lagged.csv,
graph's temporal JSON and ate --horizon's per-step estimates and intervals."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from deci_core.samples.timeseries import lagged_chain

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deci_core", *args], cwd=ROOT, capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ts_cli")
    df, _ = lagged_chain(length=120, num_series=3, seed=1)
    df.to_csv(tmp / "data.csv", index=False)
    args = ["fit", str(tmp / "data.csv"), "--out", str(tmp / "run"), "--time-column", "t"]
    result = _run(
        *args, "--series-column", "series", "--lags", "2", "--preset", "quick", "--max-seconds", "3"
    )
    assert result.returncode == 0, result.stderr
    return tmp / "run", result


def test_fit_writes_every_pair_and_lag(run):
    path, result = run
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["temporal"] is True and out["lags"] == 2 and out["acyclic"] is True
    lagged = pd.read_csv(path / "edge_probs_lagged.csv")
    assert list(lagged.columns) == ["parent", "child", "lag", "probability"]
    assert len(lagged) == 3 * 2 + 2 * 9  # lag 0 without self edges; lags 1, 2 with them
    assert set(lagged["lag"]) == {0, 1, 2}
    assert len(lagged[(lagged.lag == 0) & (lagged.parent == lagged.child)]) == 0
    assert len(lagged[(lagged.lag == 1) & (lagged.parent == lagged.child)]) == 3
    assert lagged["probability"].between(0, 1).all()
    assert (path / "edge_probs.csv").is_file()


def test_graph_prints_temporal_edges(run):
    path, _ = run
    result = _run("graph", str(path), "--threshold", "0.3")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["temporal"] is True and out["acyclic"] is True
    for parent, child, lag, prob in out["edges"]:
        assert parent in {"x0", "x1", "x2"} and child in {"x0", "x1", "x2"}
        assert lag in (0, 1, 2) and 0.3 < prob <= 1


def test_ate_with_horizon_prints_per_step_estimates(run):
    path, _ = run
    args = ["ate", str(path), "--treatment", "x0", "--outcome", "x2", "--treatment-value", "1"]
    result = _run(
        *args, "--control-value", "0", "--horizon", "3", "--num-graphs", "3", "--num-samples", "200"
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert len(out["estimate_by_step"]) == 4 and len(out["interval_95_by_step"]) == 4
    for e, (lo, hi) in zip(out["estimate_by_step"], out["interval_95_by_step"], strict=True):
        assert lo <= e <= hi


def test_ate_without_horizon_on_a_time_series_run_is_a_user_error(run):
    path, _ = run
    args = ["ate", str(path), "--treatment", "x0", "--outcome", "x2", "--treatment-value", "1"]
    result = _run(*args, "--control-value", "0")
    assert result.returncode == 2 and "--horizon" in result.stderr


def test_series_column_without_time_column_is_a_user_error(tmp_path):
    pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2]}).to_csv(tmp_path / "d.csv", index=False)
    result = _run("fit", str(tmp_path / "d.csv"), "--out", str(tmp_path / "r"), "--series-column", "a")
    assert result.returncode == 2 and "--time-column" in result.stderr
