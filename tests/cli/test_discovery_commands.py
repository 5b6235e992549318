import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.known_models import chain_data

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deci_core", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    chain_data(300, seed=2).to_csv(tmp / "data.csv", index=False)
    (tmp / "c.json").write_text(json.dumps({"forbidden": [["A", "C"]]}))
    result = _run(
        "fit",
        str(tmp / "data.csv"),
        "--out",
        str(tmp / "run"),
        "--constraints",
        str(tmp / "c.json"),
        "--preset",
        "quick",
        "--max-seconds",
        "4",
        "--seed",
        "1",
    )
    assert result.returncode == 0, result.stderr
    return tmp / "run", result


def test_fit_writes_model_edge_probs_and_one_json_line(run_dir):
    path, result = run_dir
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["variables"] == ["A", "B", "C"] and summary["acyclic"] is True
    assert "step" in result.stderr  # progress on stderr
    probs = pd.read_csv(path / "edge_probs.csv", index_col=0)
    assert list(probs.index) == ["A", "B", "C"] == list(probs.columns)
    assert probs.loc["A", "C"] == 0.0  # forbidden by the constraints file
    assert {p.name for p in path.iterdir()} >= {"config.json", "meta.json", "weights.pt"}


def test_graph_prints_acyclic_named_edges(run_dir):
    path, _ = run_dir
    result = _run("graph", str(path), "--threshold", "0.3")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["acyclic"] is True
    for parent, child, prob in out["edges"]:
        assert {parent, child} <= {"A", "B", "C"} and 0.3 < prob <= 1.0
        assert (parent, child) != ("A", "C")


def test_user_errors_exit_2_with_one_line_and_no_traceback(tmp_path):
    for args in (
        ["fit", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "r")],
        ["graph", str(tmp_path)],
    ):
        result = _run(*args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert result.stdout == ""


def test_an_unconverged_fit_says_so_and_continues_from_where_it_stopped(tmp_path):
    chain_data(300, seed=2).to_csv(tmp_path / "data.csv", index=False)
    run = str(tmp_path / "run")
    common = ("--preset", "quick", "--max-seconds", "600")
    result = _run("fit", str(tmp_path / "data.csv"), "--out", run, "--max-steps", "60", *common)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["converged"] is False and "warm-up" in summary["convergence"]
    result = _run("continue", run, str(tmp_path / "data.csv"), "--steps", "40")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["steps"] == 100 and summary["converged"] is False
