"""Missing cells on the table side: the encoder's mask, refusals, tokens, counts and MAR findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deci_core.data.encoder import TableEncoder
from deci_core.data.missing import (
    CLI_NA_VALUES,
    exclude_sparse_columns,
    mar_findings,
    mar_warnings,
    missingness_patterns,
    parse_na_values,
    summarise_missing,
)
from deci_core.data.schema import infer_schema
from deci_core.data.tables import missing_token_counts, read_table
from deci_core.errors import DataError


@pytest.fixture
def gappy() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 10, 200),
            "smoker": rng.choice(["no", "yes"], 200),
            "diet": rng.choice(["veg", "meat", "fish"], 200),
        }
    )
    df.loc[[1, 5, 9], "age"] = np.nan
    df.loc[[5, 7], "smoker"] = None
    df.loc[[2], "diet"] = None
    return df


def test_encoder_keeps_a_mask_and_learns_scaling_from_observed_cells(gappy):
    schema = infer_schema(gappy)
    with pytest.raises(DataError, match=r"'age' \(3 missing\)"):
        TableEncoder.fit(gappy, schema)  # the strict default is unchanged
    enc = TableEncoder.fit(gappy, schema, allow_missing=True)
    assert enc.means["age"] == pytest.approx(gappy["age"].mean())  # pandas skips NaN
    x, observed = enc.encode_masked(gappy)
    assert x.shape == (200, enc.num_columns) and observed.shape == (200, 3)
    assert (~observed).sum(0).tolist() == [3, 2, 1]
    assert not observed[5, 0] and not observed[5, 1] and observed[5, 2]
    assert float(x[~observed[:, 0], 0].abs().sum()) == 0.0  # missing cells are zeros
    cols = enc.column_slices[2]
    assert float(x[2, cols].sum()) == 0.0 and float(x[3, cols].sum()) == 1.0
    complete = gappy.dropna()
    assert np.allclose(enc.encode_masked(complete)[0].numpy(), enc.encode(complete).numpy())


def test_entirely_missing_column_and_infinities_are_refused_with_names(gappy):
    df = gappy.assign(empty=np.nan)
    schema = infer_schema(df).with_types({"empty": "continuous"})
    with pytest.raises(DataError, match=r"\['empty'\] are entirely missing.*Exclude"):
        TableEncoder.fit(df, schema, allow_missing=True)
    inf = gappy.copy()
    inf.loc[3, "age"] = np.inf
    with pytest.raises(DataError, match=r"Infinite values in \['age'\]"):
        TableEncoder.fit(inf, infer_schema(gappy), allow_missing=True)


def test_summary_and_patterns_count_the_gaps(gappy):
    schema = infer_schema(gappy)
    summary = summarise_missing(gappy, schema)
    assert summary.cells == {"age": 3, "smoker": 2, "diet": 1} and summary.total == 6
    assert summary.rows_with_gaps == 5  # row 5 has two gaps
    patterns = missingness_patterns(gappy, schema)
    assert patterns["rows"].sum() == 200 and patterns.iloc[0]["rows"] == 195
    together = patterns[patterns["age"] & patterns["smoker"]]
    assert together["rows"].tolist() == [1]


def test_sparse_columns_can_be_excluded_with_their_share(gappy):
    schema = exclude_sparse_columns(gappy, infer_schema(gappy), max_share=0.012)
    assert schema.names == ["smoker", "diet"]  # age: 1.5% missing; smoker 1%, diet 0.5%
    assert schema["age"].reason == "2% missing, above 1%"


def test_mar_finding_names_the_predictor_and_not_an_mcar_column():
    rng = np.random.default_rng(1)
    n = 2000
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "y": x + rng.normal(size=n), "z": rng.normal(size=n)})
    df.loc[rng.random(n) < 1 / (1 + np.exp(-2 * x)), "y"] = np.nan  # MAR on x
    df.loc[rng.random(n) < 0.2, "z"] = np.nan  # MCAR
    findings = mar_findings(df, infer_schema(df))
    assert [(a, b) for a, b, _ in findings] == [("y", "x")]
    assert "dropping the rows with gaps would bias" in mar_warnings(df, infer_schema(df))[0]


def test_reader_reports_tokens_and_a_token_can_be_a_real_level():
    drugs = ["None", "aspirin", "statin"]
    body = "drug,dose,score\n" + "".join(
        f"{drugs[i % 3]},{'N/A' if i % 10 == 0 else i},{'' if i % 7 == 0 else i / 2}\n" for i in range(60)
    )
    content = body.encode()
    counts = missing_token_counts(content, "t.csv")
    assert counts == {"drug": {"None": 20}, "dose": {"N/A": 6}, "score": {"": 9}}
    default = read_table(content, "t.csv")
    assert default["drug"].isna().sum() == 20 and default["dose"].isna().sum() == 6
    assert pd.api.types.is_numeric_dtype(default["dose"])
    kept = read_table(content, "t.csv", na_values=("N/A",))
    assert kept["drug"].isna().sum() == 0 and "None" in set(kept["drug"])
    assert kept["score"].isna().sum() == 9  # an empty cell is always missing


def test_a_level_called_none_round_trips_through_the_encoder_and_csv():
    rows = "".join(f"{['None', 'low', 'high'][i % 3]},{i % 5}\n" for i in range(30))
    content = ("level,v\n" + rows).encode()
    df = read_table(content, "t.csv", na_values=CLI_NA_VALUES)
    schema = infer_schema(df)
    assert schema["level"].categories == ("None", "high", "low")
    enc = TableEncoder.fit(df, schema)
    decoded = enc.decode(enc.encode(df))
    assert decoded["level"].tolist() == df["level"].tolist()
    again = read_table(decoded.to_csv(index=False).encode(), "t.csv", na_values=CLI_NA_VALUES)
    assert again["level"].tolist() == df["level"].tolist()


def test_excel_and_parquet_tokens_follow_na_values(tmp_path):
    df = pd.DataFrame({"a": ["1", "N/A", "3", "4"], "b": ["None", "x", "y", None]})
    path = tmp_path / "t.parquet"
    df.to_parquet(path)
    read = read_table(path.read_bytes(), "t.parquet")
    assert read["a"].isna().sum() == 1 and pd.api.types.is_numeric_dtype(read["a"])
    assert read["b"].isna().sum() == 2
    assert read_table(path.read_bytes(), "t.parquet", na_values=("N/A",))["b"].isna().sum() == 1


def test_parse_na_values():
    assert parse_na_values(None) == ("", "NA", "NaN")
    assert parse_na_values("") == ("",)
    assert parse_na_values("?, -,NA") == ("", "?", "-", "NA")
