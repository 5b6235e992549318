"""deci_core.data.profiling: column summaries and plain-words warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from deci_core.data.profiling import MAX_VARIABLES, MIN_ROWS, correlation_matrix, profile_table
from deci_core.data.schema import MAX_CATEGORIES, VariableType, infer_schema


def _frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "row": np.arange(n),
            "x": x,
            "y": 2 * x + rng.normal(size=n),
            "group": rng.choice(["a", "b", "c"], size=n),
            "flag": rng.choice(["yes", "no"], size=n),
        }
    )


def _warning(profile, *needles: str) -> str:
    hits = [w for w in profile.warnings if all(n in w for n in needles)]
    assert len(hits) == 1, (needles, profile.warnings)
    return hits[0]


def test_summary_counts_and_statistics():
    df = _frame()
    df.loc[:4, "y"] = np.nan
    profile = profile_table(df)
    table = profile.table().set_index("column")
    assert table.loc["y", "missing"] == 5 and table.loc["x", "missing"] == 0
    assert table.loc["group", "unique"] == 3 and table.loc["flag", "type"] == "binary"
    assert table.loc["x", "mean"] == df["x"].mean()
    assert table.loc["x", "max"] == df["x"].max()
    assert "%" in table.loc["group", "levels"]
    assert profile.rows == 200 and profile.usable_rows == 195


def test_a_clean_table_has_only_the_identifier_note():
    profile = profile_table(_frame())
    assert profile.warnings == (
        "'row' is excluded: identifier-like: a distinct integer on every row. "
        "Change its type if it should be modelled.",
    )


def test_constant_all_missing_and_mixed_columns_are_explained():
    df = _frame()
    df["const"] = 3
    df["empty"] = np.nan
    df["mixed"] = ["7", "8", "unknown", "9"] * 50
    profile = profile_table(df)
    _warning(profile, "'const'", "constant")
    _warning(profile, "'empty'", "every value is missing")
    assert "'unknown'" in _warning(profile, "'mixed'", "mixes numbers with text")


def test_too_many_levels_states_the_limit():
    df = _frame()
    df["city"] = [f"city{i % 40}" for i in range(len(df))]
    message = _warning(profile_table(df), "'city'", "40 levels")
    assert f"{MAX_CATEGORIES}" in message


def test_infinite_values_are_counted_and_their_rows_dropped():
    df = _frame()
    df.loc[[3, 7], "y"] = [np.inf, -np.inf]
    profile = profile_table(df)
    assert profile.table().set_index("column").loc["y", "infinite"] == 2
    assert profile.usable_rows == 198
    _warning(profile, "'y'", "2 infinite value(s)")


def test_near_duplicate_columns():
    df = _frame()
    df["x_copy"] = -3 * df["x"] + 1e-6 * np.random.default_rng(1).normal(size=len(df))
    message = _warning(profile_table(df), "'x' and 'x_copy'", "near-duplicates")
    assert "-1.0000" in message
    assert not [w for w in profile_table(_frame()).warnings if "near-duplicates" in w]


def test_too_few_rows_states_the_minimum():
    message = _warning(profile_table(_frame(n=40)), "usable rows")
    assert "Only 40 usable rows" in message and f"at least {MIN_ROWS}" in message


def test_too_many_variables_states_the_maximum():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        rng.normal(size=(150, MAX_VARIABLES + 2)), columns=[f"v{i}" for i in range(MAX_VARIABLES + 2)]
    )
    message = _warning(profile_table(df), "variables are modelled")
    assert f"{MAX_VARIABLES + 2} variables" in message and f"the {MAX_VARIABLES} supported" in message


def test_user_schema_is_respected():
    df = _frame()
    schema = infer_schema(df).with_types({"x": VariableType.EXCLUDED, "row": "continuous"}, df)
    table = profile_table(df, schema).table().set_index("column")
    assert table.loc["x", "type"] == "excluded" and table.loc["row", "type"] == "continuous"
    assert table.loc["x", "reason"] == "set by user"
    assert not [w for w in profile_table(df, schema).warnings if "'x'" in w]  # the user chose it


def test_fewer_than_two_modelled_variables():
    df = _frame()
    schema = infer_schema(df).with_types({"x": "excluded", "y": "excluded", "group": "excluded"}, df)
    _warning(profile_table(df, schema), "Only 1 variable(s) are modelled")


def test_correlation_matrix_codes_binary_and_skips_categoricals():
    df = _frame()
    corr = correlation_matrix(df, infer_schema(df))
    assert list(corr.columns) == ["x", "y", "flag"]
    assert corr.loc["x", "y"] > 0.8
