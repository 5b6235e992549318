"""The command line with gaps: `fit --missing model|drop`, `--na-values`, the summary's missing counts,
`ite` on rows with gaps, and the error for a column that is entirely missing."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.conftest import APP_DIR
from tests.known_models import chain_data

QUICK = ["--preset", "quick", "--max-seconds", "3", "--seed", "0"]


def _gappy_csv(path) -> pd.DataFrame:
    df = chain_data(300, seed=3)
    df["level"] = np.array(["None", "low", "high"])[np.arange(300) % 3]
    df.loc[::10, "B"] = np.nan
    df.loc[5::20, "C"] = np.nan
    text = df.to_csv(index=False, na_rep="NA")
    path.write_text(text)
    return df


def _main(capsys, *args) -> tuple[int, dict | None, str]:
    from deci_core.cli.main import main

    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out.strip() else None), captured.err


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("missing-cli")
    df = _gappy_csv(folder / "data.csv")
    command = [sys.executable, "-m", "deci_core", "fit", folder / "data.csv", "--out", folder / "run"]
    result = subprocess.run([*command, *QUICK], cwd=APP_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return folder, df, json.loads(result.stdout)


def test_fit_models_the_gaps_by_default_and_reports_counts(fitted):
    _, df, summary = fitted
    missing = summary["missing"]
    assert missing["policy"] == "model" and missing["na_values"] == ["", "NA", "NaN"]
    assert missing["cells"] == {"A": 0, "B": 30, "C": 15, "level": 0}  # "None" is a level by default
    assert missing["rows"] == missing["rows_used"] == 300 and missing["dropped_rows"] == 0
    assert "level" in summary["variables"]


def test_ite_accepts_rows_with_gaps(fitted, capsys):
    folder, _, _ = fitted
    arms = ["--treatment", "A", "--outcome", "C", "--treatment-value", "1", "--control-value", "0"]
    out = folder / "ite.csv"
    args = ["ite", folder / "run", "--data", folder / "data.csv", *arms, "--out", out, "--num-graphs", "2"]
    code, result, err = _main(capsys, *args)
    assert code == 0, err
    table = pd.read_csv(out)
    assert len(table) == 300 and table["effect"].notna().all()
    assert result["abduction_draws"] >= 16  # averaged over imputations


def test_drop_policy_and_na_values(tmp_path, capsys):
    _gappy_csv(tmp_path / "data.csv")
    args = ["fit", tmp_path / "data.csv", "--out", tmp_path / "run", *QUICK, "--max-seconds", "1"]
    code, result, err = _main(capsys, *args, "--missing", "drop", "--na-values", "NA,None")
    assert code == 0, err
    missing = result["missing"]
    assert missing["policy"] == "drop" and missing["cells"]["level"] == 100
    assert missing["rows_used"] == 300 - missing["dropped_rows"] and missing["dropped_rows"] > 100


def test_entirely_missing_modelled_column_is_a_clear_error(tmp_path, capsys):
    df = chain_data(100, seed=1).assign(empty=np.nan)
    df.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "t.json").write_text(json.dumps({"empty": "continuous"}))
    args = ["fit", tmp_path / "d.csv", "--out", tmp_path / "r", "--types", tmp_path / "t.json", *QUICK]
    code, result, err = _main(capsys, *args)
    assert code == 2 and result is None
    assert "['empty'] are entirely missing" in err and len(err.strip().splitlines()) == 1


def test_ite_on_gaps_without_an_imputer_says_what_to_do(tmp_path, capsys, linear_model, linear_data):
    linear_model.save(tmp_path / "run")
    rows = linear_data.head(10).copy()
    rows.loc[2, "w"] = np.nan
    rows.to_csv(tmp_path / "rows.csv", index=False)
    arms = ["--treatment", "t", "--outcome", "y", "--treatment-value", "1", "--control-value", "0"]
    code, _, err = _main(
        capsys, "ite", tmp_path / "run", "--data", tmp_path / "rows.csv", *arms, "--out", tmp_path / "o.csv"
    )
    assert code == 2 and "no imputation network" in err and "['w']" in err
