"""The contract of `refute`, `stability` and `edges-that-matter` (issue 18), in-process through the
CLI's entry point (a subprocess costs seconds of imports)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from deci_core.graph.posterior import GraphPosterior

ARMS = ["--treatment", "t", "--outcome", "y", "--treatment-value", "1", "--control-value", "0"]


def _main(capsys, *args) -> tuple[int, dict | None, str]:
    from deci_core.cli.main import main

    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    return code, (json.loads(lines[0]) if code == 0 else None), captured.err


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, linear_model, linear_data):
    folder = tmp_path_factory.mktemp("trust-cli")
    linear_model.save(folder / "run")
    linear_data.head(600).to_csv(folder / "data.csv", index=False)
    # the same model with an uncertain, direction-not-identifiable t - y pair
    probs = np.asarray(linear_model.graph_posterior_.probs, dtype=float).copy()
    t, y = 1, 2
    probs[t, y], probs[y, t] = 0.55, 0.45
    unidentified = np.zeros_like(probs, dtype=bool)
    unidentified[t, y] = unidentified[y, t] = True
    names = linear_model.graph_posterior_.names
    d = len(names)
    linear_model_copy = type(linear_model).__new__(type(linear_model))
    linear_model_copy.__dict__.update(linear_model.__dict__)
    linear_model_copy.graph_posterior_ = GraphPosterior(
        names, probs, np.eye(d, dtype=bool), np.zeros((d, d), bool), unidentified
    )
    linear_model_copy.save(folder / "uncertain")
    return folder


def test_refute_prints_the_refutations_and_the_robustness_value(capsys, run_dir):
    code, out, err = _main(
        capsys,
        "refute",
        run_dir / "run",
        "--data",
        run_dir / "data.csv",
        *ARMS,
        "--estimators",
        "dr",
        "--subsets",
        "1",
    )
    assert code == 0, err
    names = [r["name"] for r in out["refutations"]]
    assert names == ["placebo treatment", "random common cause", "dummy outcome", "data subset"]
    for r in out["refutations"]:
        assert {"name", "original", "new", "expected", "p_value", "passed", "sentence"} <= set(r)
        assert isinstance(r["passed"], bool) and 0 <= r["p_value"] <= 1
    assert 0 < out["sensitivity"]["robustness_value"] < 1
    assert "[1/5] DR: reference fit" in err


def test_edges_that_matter_are_sorted_by_the_change_they_make(capsys, run_dir):
    code, out, err = _main(capsys, "edges-that-matter", run_dir / "uncertain", *ARMS, "--num-graphs", "20")
    assert code == 0, err
    edges = out["edges"]
    assert edges and edges[0]["edge"] == ["t", "y"]
    for e in edges:
        assert {"edge", "probability", "effect_if_present", "effect_if_absent"} <= set(e)
    gaps = [abs(e["effect_if_present"] - e["effect_if_absent"]) for e in edges]
    assert gaps == sorted(gaps, reverse=True)
    assert edges[0]["effect_if_present"] == pytest.approx(2.0, abs=0.3) and edges[0]["effect_if_absent"] == 0


def test_stability_writes_the_edge_frequencies(capsys, tmp_path, chain_df):
    chain_df.head(200).to_csv(tmp_path / "chain.csv", index=False)
    code, out, err = _main(
        capsys,
        "stability",
        tmp_path / "chain.csv",
        "--out",
        tmp_path / "stab",
        "--runs",
        "2",
        "--max-steps",
        "60",
        "--max-seconds",
        "3",
        "--workers",
        "0",
        "--ray-address",
        "",
    )
    assert code == 0, err
    freq = pd.read_csv(tmp_path / "stab" / "edge_frequency.csv", index_col=0)
    assert list(freq.columns) == ["A", "B", "C"] and list(freq.index) == ["A", "B", "C"]
    assert set(np.unique(freq.to_numpy())) <= {0.0, 0.5, 1.0}
    assert out["runs"] == 2 and out["executor"] == "this process"
    assert "run 2/2 done" in err


def test_user_errors_are_one_line(capsys, run_dir):
    code, _, err = _main(capsys, "stability", run_dir / "data.csv", "--out", run_dir / "s", "--runs", "1")
    assert code == 2 and "at least 2 runs" in err
