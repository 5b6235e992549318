"""deci_core.data.schema: type inference, the encoder's round trip, fingerprints and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from deci_core.data.encoder import TableEncoder
from deci_core.data.schema import (
    MAX_CATEGORIES,
    TableSchema,
    VariableType,
    data_fingerprint,
    drop_missing_rows,
    infer_schema,
)
from deci_core.errors import DataError

C, B, K, X = VariableType.CONTINUOUS, VariableType.BINARY, VariableType.CATEGORICAL, VariableType.EXCLUDED


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 100
    return pd.DataFrame(
        {
            "patient_id": np.arange(500, 500 + n),
            "when": pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"),
            "age": rng.normal(50, 10, n).round(1),
            "smoker": rng.choice([0, 1], n),
            "sex": rng.choice(["f", "m"], n),
            "diet": rng.choice(["vegan", "meat", "fish"], n),
            "score": rng.integers(0, 30, n),
        }
    )


def test_inferred_types_and_reasons(df):
    schema = infer_schema(df)
    types = {v.name: v.type for v in schema.variables}
    assert types == {"patient_id": X, "when": X, "age": C, "smoker": B, "sex": B, "diet": K, "score": C}
    assert "identifier" in schema["patient_id"].reason and "date" in schema["when"].reason
    assert schema["diet"].categories == ("fish", "meat", "vegan")
    assert schema["sex"].categories == ("f", "m")
    assert schema.names == ["age", "smoker", "sex", "diet", "score"]


def test_text_identifier_and_too_many_levels_are_excluded():
    n = MAX_CATEGORIES + 10
    frame = pd.DataFrame(
        {"code": [f"c{i}" for i in range(n)], "city": [f"t{i % (MAX_CATEGORIES + 1)}" for i in range(n)]}
    )
    schema = infer_schema(frame)
    assert schema["code"].type is X and "identifier" in schema["code"].reason
    assert schema["city"].type is X and str(MAX_CATEGORIES) in schema["city"].reason


def test_with_types_recomputes_levels_and_validates(df):
    schema = infer_schema(df).with_types({"score": "categorical", "age": X}, df.assign(score=df["score"] % 3))
    assert schema["score"].type is K and schema["score"].categories == (0, 1, 2)
    assert schema["age"].type is X and schema["age"].reason == "set by user"
    with pytest.raises(DataError, match="binary needs exactly 2"):
        infer_schema(df).with_types({"diet": "binary"}, df)
    with pytest.raises(DataError, match="cannot be continuous"):
        infer_schema(df).with_types({"sex": "continuous"}, df)
    with pytest.raises(DataError, match="Unknown column"):
        infer_schema(df).with_types({"nope": "binary"}, df)


def test_schema_json_round_trip(df):
    schema = infer_schema(df)
    assert TableSchema.from_dict(schema.to_dict()) == schema


def test_encode_decode_round_trip_in_user_units(df):
    schema = infer_schema(df)
    encoder = TableEncoder.fit(df, schema)
    x = encoder.encode(df)
    assert x.shape == (len(df), 1 + 1 + 1 + 3 + 1) and x.dtype == torch.float32
    age = x[:, encoder.column_slices[0]]
    assert abs(float(age.mean())) < 1e-5 and abs(float(age.std(unbiased=False)) - 1) < 1e-4
    back = encoder.decode(x)
    np.testing.assert_allclose(back["age"], df["age"], rtol=1e-5)
    np.testing.assert_allclose(back["score"], df["score"], rtol=1e-5)
    for name in ("smoker", "sex", "diet"):
        assert back[name].astype(str).tolist() == df[name].astype(str).tolist()
    restored = TableEncoder.from_dict(encoder.to_dict())
    assert torch.equal(restored.encode(df), x)


def test_encode_value(df):
    encoder = TableEncoder.fit(df, infer_schema(df))
    mean, std = encoder.means["age"], encoder.stds["age"]
    assert torch.allclose(encoder.encode_value("age", mean + 2 * std), torch.tensor([2.0]))
    assert encoder.encode_value("sex", "m").tolist() == [1.0]
    assert encoder.encode_value("sex", 0).tolist() == [0.0]  # 0/1 name the first/second level
    assert encoder.encode_value("diet", "meat").tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(DataError, match="outside its levels"):
        encoder.encode_value("diet", "pizza")
    with pytest.raises(DataError, match="Unknown variable"):
        encoder.encode_value("height", 1.0)


def test_fingerprint_is_stable_and_sensitive(df):
    schema = infer_schema(df)
    fp = data_fingerprint(df, schema)
    assert fp == data_fingerprint(df.copy(), infer_schema(df.copy())) and len(fp) == 16
    changed = df.copy()
    changed.loc[0, "age"] += 0.1
    assert data_fingerprint(changed, schema) != fp
    assert data_fingerprint(df, schema.with_types({"score": X}, df)) != fp
    assert (
        data_fingerprint(
            df.rename(columns={"age": "years"}), infer_schema(df.rename(columns={"age": "years"}))
        )
        != fp
    )
    excluded_changed = df.assign(patient_id=df["patient_id"] + 1)  # excluded columns do not count
    assert data_fingerprint(excluded_changed, schema) == fp


def test_missing_and_infinite_values_are_refused_with_names(df):
    schema = infer_schema(df)
    bad = df.astype({"age": float}).copy()
    bad.loc[[1, 2], "age"] = np.nan
    with pytest.raises(DataError, match=r"'age' \(2 missing\).*drop those rows"):
        TableEncoder.fit(bad, schema)
    assert len(drop_missing_rows(bad, schema)) == len(df) - 2
    inf = df.astype({"age": float}).copy()
    inf.loc[5, "age"] = np.inf
    with pytest.raises(DataError, match="Infinite values in \\['age'\\]"):
        TableEncoder.fit(inf, schema)
    kept = drop_missing_rows(inf, schema)
    assert len(kept) == len(df) - 1
    TableEncoder.fit(kept, schema)  # the drop-rows policy gives a table the encoder accepts


def test_nothing_to_model_is_an_error(df):
    schema = infer_schema(df).with_types({n: X for n in df.columns})
    with pytest.raises(DataError, match="every column is excluded"):
        TableEncoder.fit(df, schema)


def test_numbers_stored_as_text_durations_and_booleans():
    n = 40
    frame = pd.DataFrame({
        "as_text": [str(v) for v in np.linspace(0, 1, n)],
        "text_ids": [str(1000 + i) for i in range(n)],
        "wait": pd.to_timedelta(np.arange(n), unit="h"),
        "flag": [True, False] * (n // 2),
        "stamp": pd.date_range("2024-01-01", periods=n, tz="UTC"),
    }).astype({"as_text": object, "text_ids": object})
    schema = infer_schema(frame)
    assert schema["as_text"].type is C and schema["as_text"].reason == "numbers stored as text"
    assert schema["text_ids"].type is X and "identifier" in schema["text_ids"].reason
    assert schema["wait"].type is X and "duration" in schema["wait"].reason
    assert schema["flag"].type is B and schema["stamp"].type is X
    encoded = TableEncoder.fit(frame, schema).encode(frame)
    assert encoded.shape == (n, 2)
