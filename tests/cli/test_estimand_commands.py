"""`ate --estimand ate|att|atc --method sem|dr|all`: the contract (in-process, like the other fast
CLI tests; the subprocess contract of `ate` is in test_effect_commands.py)."""

from __future__ import annotations

import json

import pytest

from deci_core.cli.main import main
from tests.known_models import TRUE_ATE_PER_UNIT

ARMS = ["--treatment", "t", "--outcome", "y", "--treatment-value", "1", "--control-value", "0"]
CONTRACT = {"estimate", "std_error", "interval_95", "num_graphs", "num_samples", "estimand", "method_used"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, linear_model, linear_data):
    folder = tmp_path_factory.mktemp("estimand-cli")
    linear_model.save(folder / "run")
    linear_data.to_csv(folder / "data.csv", index=False)
    return folder


def _run(capsys, *args) -> tuple[int, dict | None, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


def test_sem_estimands(run_dir, capsys):
    for estimand in ("ate", "att", "atc"):
        code, out, _ = _run(
            capsys, "ate", run_dir / "run", *ARMS, "--estimand", estimand, "--num-graphs", "2"
        )
        assert code == 0 and CONTRACT <= set(out)
        assert out["estimand"] == estimand and out["method_used"] == "sem"
        assert out["query"]["estimand"] == estimand
        assert abs(out["estimate"] - TRUE_ATE_PER_UNIT) < 4 * out["std_error"] + 0.05  # linear: all equal
        assert out["path_probability"] == 1.0


def test_dr_and_all(run_dir, capsys):
    data = ["--data", run_dir / "data.csv"]
    code, dr, _ = _run(capsys, "ate", run_dir / "run", *ARMS, "--method", "dr", *data, "--estimand", "att")
    assert code == 0 and CONTRACT <= set(dr) and dr["method_used"] == "dr" and dr["estimand"] == "att"
    assert set(dr["learners"]) == {"linear", "forest"}  # DRLearner needs a discrete treatment
    assert abs(dr["estimate"] - TRUE_ATE_PER_UNIT) < 4 * dr["std_error"]
    assert dr["adjustment_sets"] == [{"adjustment_set": ["w"], "weight": 1.0}]
    code, both, _ = _run(capsys, "ate", run_dir / "run", *ARMS, "--method", "all", *data, "--num-graphs", "2")
    assert code == 0 and CONTRACT <= set(both) and both["method_used"] == "all"
    assert {"dr", "disagreement"} <= set(both) and both["disagreement"] is None


def test_dr_needs_data_and_estimand_is_checked(run_dir, capsys):
    code, _, err = _run(capsys, "ate", run_dir / "run", *ARMS, "--method", "dr")
    assert code == 2 and "--data" in err
    with pytest.raises(SystemExit) as stop:
        main(["ate", str(run_dir / "run"), *ARMS, "--estimand", "effect"])
    assert stop.value.code == 2
