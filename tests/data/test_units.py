"""Units on the schema: set, kept through retyping and JSON, never part of the data fingerprint."""

from __future__ import annotations

import pandas as pd
import pytest

from deci_core.data.schema import TableSchema, data_fingerprint, infer_schema
from deci_core.errors import DataError


def test_units_round_trip_and_leave_the_fingerprint_alone():
    df = pd.DataFrame({"price": [1.0, 2.5, 3.0, 4.2], "sold": [3.0, 1.0, 4.0, 1.5]})
    schema = infer_schema(df)
    with_units = schema.with_units({"price": " USD ", "sold": "kg"})
    assert with_units.units == {"price": "USD", "sold": "kg"}
    assert data_fingerprint(df, with_units) == data_fingerprint(df, schema)
    assert TableSchema.from_dict(with_units.to_dict()) == with_units
    assert "unit" not in schema.to_dict()["variables"][0]  # files without units stay as they were
    assert with_units.with_types({"sold": "continuous"}, df).units == with_units.units
    assert with_units.with_units({"sold": ""}).units == {"price": "USD"}
    with pytest.raises(DataError, match="Unknown column"):
        schema.with_units({"cost": "USD"})
    with pytest.raises(DataError, match="longer than"):
        schema.with_units({"price": "x" * 21})
