"""deci_core.data.tables: reading files, sniffing text formats, and a clear DataError for every bad input."""

from __future__ import annotations

import io
import pathlib
import re
import tomllib

import numpy as np
import pandas as pd
import pytest

from deci_core.data.tables import MAX_UPLOAD_MB, list_sheets, read_table, sniff_text_format
from deci_core.errors import DataError

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def test_plain_csv_keeps_types_and_names():
    df = read_table(b"a,b,c\n1,2.5,x\n2,3.5,y\n", "d.csv")
    assert list(df.columns) == ["a", "b", "c"]
    assert df["b"].tolist() == [2.5, 3.5]
    assert pd.api.types.is_integer_dtype(df["a"])


def test_semicolon_with_decimal_commas():
    df = read_table(b"height;weight;name\n1,75;70,5;ann\n1,62;55,25;bob\n", "d.csv")
    assert df["height"].tolist() == [1.75, 1.62]
    assert df["weight"].tolist() == [70.5, 55.25]
    assert sniff_text_format(b"height;weight\n1,75;70,5\n").decimal == ","


def test_semicolon_with_decimal_points_is_not_mistaken_for_commas():
    df = read_table(b"a;b\n1.5;2\n2.5;3\n", "d.txt")
    assert df["a"].tolist() == [1.5, 2.5]


def test_tsv_and_tab_delimited_txt():
    for name in ("d.tsv", "d.txt"):
        df = read_table(b"a\tb\n1\t2\n3\t4\n", name)
        assert df.shape == (2, 2) and df["b"].tolist() == [2, 4]


def test_latin1_text_is_decoded():
    content = "ville;température\nMontréal;-3,5\nGenève;4,0\n".encode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    df = read_table(content, "d.csv")
    assert list(df.columns) == ["ville", "température"]
    assert df["ville"].tolist() == ["Montréal", "Genève"]
    assert df["température"].tolist() == [-3.5, 4.0]
    assert sniff_text_format(content).encoding == "Latin-1"


def test_utf8_bom_is_stripped_from_the_first_name():
    df = read_table("\ufeffâge,b\n1,2\n".encode("utf-8"), "d.csv")
    assert list(df.columns) == ["âge", "b"]


def test_excel_with_several_sheets():
    content = _xlsx(
        {
            "notes": pd.DataFrame({"text": ["x", "y"], "n": [1, 2]}),
            "data": pd.DataFrame({"u": [1.0, 2.0, 3.0], "v": [4, 5, 6]}),
        }
    )
    assert list_sheets(content) == ["notes", "data"]
    assert list(read_table(content, "book.xlsx").columns) == ["text", "n"]  # first sheet by default
    df = read_table(content, "book.xlsx", sheet="data")
    assert df["u"].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(DataError, match="no sheet 'missing'.*notes"):
        read_table(content, "book.xlsx", sheet="missing")


def test_excel_duplicate_header_is_refused():
    content = _xlsx({"s": pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])})
    with pytest.raises(DataError, match="duplicate column names"):
        read_table(content, "book.xlsx")


def test_parquet_round_trip():
    frame = pd.DataFrame({"x": np.arange(5.0), "group": list("ababa")})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    pd.testing.assert_frame_equal(read_table(buffer.getvalue(), "t.parquet"), frame, check_dtype=False)


@pytest.mark.parametrize(
    ("content", "name", "pattern"),
    [
        (b"", "d.csv", "is empty"),
        (b"  \n\n", "d.csv", "is empty"),
        (b"a,b,c\n", "d.csv", "column names but no data rows"),
        (b"only\n1\n2\n3\n", "d.csv", "single column.*at least two variables"),
        (b"a,b,a\n1,2,3\n", "d.csv", r"duplicate column names \['a'\]"),
        (b"\x00\x01\x02\x03binary\xff\xfe" * 50, "d.csv", "not a text file"),
        (b"PK\x03\x04" + b"\x00" * 100, "d.csv", "rename it to .xlsx"),
        (b"a,b\n1,2\n", "d.xls", r"save it as \.xlsx"),
        (b"a,b\n1,2\n", "d.json", "not a supported file"),
        (b"not parquet at all", "d.parquet", "Could not read 'd.parquet' as Parquet"),
        (b"not a workbook", "d.xlsx", "not a readable .xlsx workbook"),
    ],
)
def test_bad_inputs_raise_a_data_error_that_says_what_to_do(content, name, pattern):
    with pytest.raises(DataError, match=pattern):
        read_table(content, name)


def test_file_over_the_limit_states_the_limit():
    with pytest.raises(DataError, match=r"over the 1 MB limit"):
        read_table(b"a,b\n" + b"1,2\n" * 300_000, "big.csv", max_bytes=1024 * 1024)
    assert read_table(b"a,b\n1,2\n", "small.csv", max_bytes=1024).shape == (1, 2)


def test_limit_mirrors_the_streamlit_upload_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB


def test_column_level_problems_are_kept_for_the_schema_to_explain():
    """All-missing, mixed, inf and constant columns load; infer_schema/profiling explain them."""
    content = b"x,empty,mixed,inf,const\n1,,1,1.5,7\n2,,2,inf,7\n3,,oops,-inf,7\n4,,4,2.5,7\n"
    df = read_table(content, "d.csv")
    assert df["empty"].isna().all()
    assert np.isinf(df["inf"]).sum() == 2
    assert "oops" in df["mixed"].astype(str).tolist()


def test_html_column_names_are_kept_verbatim():
    df = read_table(b"<script>alert(1)</script>,<b>bold</b>\n1,2\n3,4\n", "d.csv")
    assert list(df.columns) == ["<script>alert(1)</script>", "<b>bold</b>"]


def test_quoted_fields_with_delimiters_inside():
    df = read_table(b'name,note\n"Smith, J","a;b"\n"Doe, A","c"\n', "d.csv")
    assert df["name"].tolist() == ["Smith, J", "Doe, A"]


def test_ragged_rows_are_a_clear_error():
    with pytest.raises(DataError, match=re.escape("as many fields as the header")):
        read_table(b"a,b\n1,2\n3,4,5,6\n", "d.csv")
