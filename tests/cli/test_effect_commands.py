"""The effect subcommands' contract: `python -m deci_core ...` in a subprocess for ate and ite (as a
user runs them), the same entry point in-process for the rest (a subprocess costs seconds of imports)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import APP_DIR

ARMS = ["--treatment", "t", "--outcome", "y", "--treatment-value", "1", "--control-value", "0"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, linear_model, linear_data):
    folder = tmp_path_factory.mktemp("effects-cli")
    linear_model.save(folder / "run")
    linear_data.head(40).to_csv(folder / "data.csv", index=False)
    return folder


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deci_core", *map(str, args)],
        cwd=APP_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _main(capsys, *args) -> tuple[int, str, str]:
    from deci_core.cli.main import main

    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _json(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_ate_and_cate(run_dir, capsys):
    out = _json(
        _cli("ate", run_dir / "run", *ARMS, "--num-graphs", "3", "--num-samples", "2000", "--seed", "1")
    )
    assert {"estimate", "std_error", "interval_95", "num_graphs", "num_samples"} <= set(out)
    assert out["num_graphs"] == 3 and out["num_samples"] == 2000 and len(out["interval_95"]) == 2
    assert abs(out["estimate"] - 2.0) < 4 * out["std_error"] + 0.05
    code, out_text, _ = _main(
        capsys, "cate", run_dir / "run", *ARMS, "--condition", "w=0.5", "--condition", "u=-1..1"
    )
    assert code == 0
    cate = json.loads(out_text)
    assert cate["query"]["conditioning"] == {"w": 0.5, "u": [-1.0, 1.0]}
    assert abs(cate["estimate"] - 2.0) < 0.3


def test_counterfactual_and_ite(run_dir):
    data = pd.read_csv(run_dir / "data.csv")
    out = _json(
        _cli(
            "counterfactual",
            run_dir / "run",
            "--data",
            run_dir / "data.csv",
            "--row",
            "2",
            "--set",
            f"t={data['t'].iloc[2] + 1}",
            "--outcome",
            "y",
        )
    )
    assert out["factual"] == pytest.approx(data["y"].iloc[2])
    assert out["counterfactual"] - out["factual"] == pytest.approx(2.0, abs=0.3)
    target = run_dir / "effects.csv"
    summary = _json(_cli("ite", run_dir / "run", "--data", run_dir / "data.csv", *ARMS, "--out", target))
    effects = pd.read_csv(target)
    assert list(effects.columns) == ["effect", "lower_95", "upper_95"] and len(effects) == len(data)
    assert summary["mean_effect"] == pytest.approx(effects["effect"].mean())
    assert {"estimate", "std_error", "interval_95", "num_graphs", "num_samples"} <= set(summary)


def test_errors_are_one_line_and_exit_2(run_dir, capsys):
    for args in (
        [
            "ate",
            run_dir / "run",
            "--treatment",
            "nope",
            "--outcome",
            "y",
            "--treatment-value",
            "1",
            "--control-value",
            "0",
        ],
        ["ate", run_dir / "missing", *ARMS],
        [
            "counterfactual",
            run_dir / "run",
            "--data",
            run_dir / "data.csv",
            "--row",
            "999",
            "--set",
            "t=1",
            "--outcome",
            "y",
        ],
    ):
        code, out, err = _main(capsys, *args)
        assert code == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and err.startswith("error:")
