"""Reading a user's file into a DataFrame: CSV/TSV/TXT, Parquet and Excel.

Text files have their encoding (UTF-8, UTF-8 with BOM, else Latin-1), delimiter (``,`` ``;`` or tab)
and decimal mark (``.`` or ``,``) sniffed. Every problem with the file as a whole raises a
:class:`~deci_core.errors.DataError` whose message says what to do. Problems with single columns
(all missing, numbers mixed with text, infinite values, constant) are not errors here: the schema
excludes or flags those columns and :mod:`deci_core.data.profiling` explains them.

A file must have at least two columns and one row: an analysis needs two variables, and a file
that reads as one column is more often a delimiter we could not recognise, so it is an error.

Missing cells: ``na_values`` lists the tokens read as missing (default
:data:`~deci_core.data.missing.MISSING_TOKENS`; an empty cell always is). A token left out of it is a
real value, e.g. a level literally called "None". :func:`missing_token_counts` reports, per column,
which of those tokens the file holds, so the reader's choice is visible.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from deci_core.data.missing import MISSING_TOKENS, token_counts
from deci_core.errors import DataError

MAX_UPLOAD_MB = 200
"""Largest file accepted, in MB (mirrors ``server.maxUploadSize`` in .streamlit/config.toml)."""

TEXT_SUFFIXES = ("csv", "tsv", "txt")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, "parquet", "xlsx")
DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_SNIFF_LINES = 50
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*$")
_DECIMAL_POINT = re.compile(r"^\s*[+-]?\d*\.\d+(?:[eE][+-]?\d+)?\s*$")


@dataclass(frozen=True)
class TextFormat:
    """What was sniffed from a text file."""

    encoding: str
    delimiter: str
    decimal: str

    def describe(self) -> str:
        mark = "comma" if self.decimal == "," else "point"
        return f"{self.encoding}, {_DELIMITER_NAMES[self.delimiter]}-separated, decimal {mark}"


def read_table(
    content: bytes,
    filename: str,
    *,
    sheet: str | None = None,
    max_bytes: int = MAX_UPLOAD_MB * 1024 * 1024,
    na_values: Sequence[str] = MISSING_TOKENS,
) -> pd.DataFrame:
    """Read an uploaded file into a DataFrame with string column names.

    Args:
        content: the file's bytes.
        filename: its name; the suffix picks the reader (csv, tsv, txt, parquet, xlsx).
        sheet: the Excel sheet to read (default: the first).
        max_bytes: files larger than this are refused.
        na_values: cell texts read as missing (surrounding spaces ignored); the empty cell always is.

    Raises:
        DataError: the file is too large, empty, unreadable, has no rows, a single column or
            duplicate column names.
    """
    if len(content) > max_bytes:
        raise DataError(
            f"'{filename}' is {len(content) / 1e6:,.1f} MB, "
            f"over the {max_bytes / 1024 / 1024:,.0f} MB limit: "
            "keep only the columns and rows you need (or save it as Parquet, which is smaller)."
        )
    if not content.strip():
        raise DataError(f"'{filename}' is empty: choose a file with a header row and data rows.")
    tokens = tuple(dict.fromkeys(["", *na_values]))
    suffix = _suffix(filename)
    if suffix in TEXT_SUFFIXES:
        df = _read_text(content, filename, tokens)
    elif suffix == "parquet":
        df = _tokens_to_missing(_read_parquet(content, filename), tokens)
    elif suffix == "xlsx":
        df = _tokens_to_missing(_read_excel(content, filename, sheet), tokens)
    else:
        _refuse_suffix(suffix, filename)
    return _check_shape(df, filename)


def missing_token_counts(
    content: bytes, filename: str, *, sheet: str | None = None, tokens: Sequence[str] = MISSING_TOKENS
) -> dict[str, dict[str, int]]:
    """{column: {token: cells}} for each candidate missing token the file holds (empty cells as "").

    Reads every cell as raw text, so the counts do not depend on what ``read_table`` treats as missing.
    """
    suffix = _suffix(filename)
    if suffix in TEXT_SUFFIXES:
        text, encoding = _decode(content, filename)
        fmt = _sniff(text, encoding)
        try:
            raw = pd.read_csv(
                io.StringIO(text), sep=fmt.delimiter, dtype=str, keep_default_na=False, na_filter=False
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
            return {}
    elif suffix == "parquet":
        raw = _read_parquet(content, filename)
    elif suffix == "xlsx":
        raw = _read_excel(content, filename, sheet)
    else:
        _refuse_suffix(suffix, filename)
    raw.columns = [str(c).strip() for c in raw.columns]
    return token_counts(raw, tuple(tokens))


def _suffix(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _refuse_suffix(suffix: str, filename: str) -> None:
    if suffix == "xls":
        raise DataError(f"'{filename}' is an old Excel (.xls) file: save it as .xlsx or CSV and upload that.")
    raise DataError(f"'{filename}' is not a supported file: use one of {', '.join(SUPPORTED_SUFFIXES)}.")


def _tokens_to_missing(df: pd.DataFrame, tokens: tuple[str, ...]) -> pd.DataFrame:
    """Text cells equal to a token become missing (Parquet, Excel); all-number columns become numeric."""
    out = df.copy()
    for name in out.columns:
        col = out[name]
        if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        is_token = col.map(lambda v: isinstance(v, str) and v.strip() in tokens).astype(bool)
        if is_token.any():
            col = col.mask(is_token)
            numbers = pd.to_numeric(col, errors="coerce")
            out[name] = numbers if numbers.notna().sum() == col.notna().sum() else col
    return out


def list_sheets(content: bytes) -> list[str]:
    """Names of the sheets of an .xlsx workbook, in order.

    Raises:
        DataError: the bytes are not an .xlsx workbook.
    """
    try:
        with pd.ExcelFile(io.BytesIO(content), engine="openpyxl") as book:
            return [str(name) for name in book.sheet_names]
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not a workbook"
        raise DataError(
            f"This is not a readable .xlsx workbook ({_short(exc)}): save it again from Excel."
        ) from exc


def sniff_text_format(content: bytes, filename: str = "the file") -> TextFormat:
    """Encoding, delimiter and decimal mark of a delimited text file."""
    text, encoding = _decode(content, filename)
    return _sniff(text, encoding)


def _read_text(content: bytes, filename: str, tokens: tuple[str, ...]) -> pd.DataFrame:
    text, encoding = _decode(content, filename)
    fmt = _sniff(text, encoding)
    header = next(csv.reader(io.StringIO(text), delimiter=fmt.delimiter), [])
    _check_duplicates([h.strip() for h in header], filename)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=fmt.delimiter,
            decimal=fmt.decimal,
            skipinitialspace=True,
            keep_default_na=False,
            na_values=list(tokens),
        )
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"'{filename}' has no columns: the first line must name the columns.") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(
            f"Could not read '{filename}' as {fmt.describe()} text ({_short(exc)}): check that every row "
            "has as many fields as the header, and that text containing the delimiter is quoted."
        ) from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _decode(content: bytes, filename: str) -> tuple[str, str]:
    """Text and encoding name; refuses binary files (with a hint when it is a known format)."""
    head = content[:8192]
    if head.startswith(b"PK\x03\x04"):
        raise DataError(
            f"'{filename}' is a zip archive or an Excel workbook, not text: "
            "if it is an Excel file, rename it to .xlsx."
        )
    if head.startswith(b"PAR1"):
        raise DataError(f"'{filename}' is a Parquet file, not text: rename it to .parquet.")
    controls = sum(b < 32 and b not in (9, 10, 13) for b in head)
    if b"\x00" in head or controls > 0.01 * len(head):
        raise DataError(
            f"'{filename}' is not a text file (it contains binary data): "
            "export the table as CSV, Excel (.xlsx) or Parquet."
        )
    try:
        return content.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return content.decode("latin-1"), "Latin-1"


def _sniff(text: str, encoding: str) -> TextFormat:
    lines = [line for line in text.splitlines()[:_SNIFF_LINES] if line.strip()]
    delimiter = max(DELIMITERS, key=lambda d: _delimiter_score(lines, d))
    decimal = "."
    if delimiter != ",":
        fields = [f for row in csv.reader(lines[1:], delimiter=delimiter) for f in row]
        commas = sum(bool(_DECIMAL_COMMA.match(f)) for f in fields)
        points = sum(bool(_DECIMAL_POINT.match(f)) for f in fields)
        decimal = "," if commas > points else "."
    return TextFormat(encoding, delimiter, decimal)


def _delimiter_score(lines: list[str], delimiter: str) -> tuple[int, int]:
    """(consistent?, fields per row): prefer a delimiter that splits every line the same way."""
    counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
    if not counts or counts[0] < 2:
        return (0, 0)
    consistent = sum(c == counts[0] for c in counts) == len(counts)
    return (int(consistent), counts[0])


def _read_parquet(content: bytes, filename: str) -> pd.DataFrame:
    try:
        df = pd.read_parquet(io.BytesIO(content))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a bad file
        raise DataError(f"Could not read '{filename}' as Parquet ({_short(exc)}): export it again.") from exc
    _check_duplicates([str(c) for c in df.columns], filename)
    df.columns = [str(c).strip() for c in df.columns]
    return df.reset_index(drop=True)


def _read_excel(content: bytes, filename: str, sheet: str | None) -> pd.DataFrame:
    sheets = list_sheets(content)
    if sheet is None:
        sheet = sheets[0]
    elif sheet not in sheets:
        raise DataError(f"'{filename}' has no sheet '{sheet}': its sheets are {sheets}.")
    try:
        header = pd.read_excel(io.BytesIO(content), sheet_name=sheet, header=None, nrows=1, engine="openpyxl")
        df = pd.read_excel(io.BytesIO(content), sheet_name=sheet, engine="openpyxl")
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise DataError(f"Could not read sheet '{sheet}' of '{filename}' ({_short(exc)}).") from exc
    if header.empty:
        raise DataError(f"Sheet '{sheet}' of '{filename}' is empty: pick the sheet that holds the table.")
    _check_duplicates([str(v).strip() for v in header.iloc[0].dropna()], filename)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _check_duplicates(names: list[str], filename: str) -> None:
    seen, duplicates = set(), []
    for name in names:
        if name in seen and name not in duplicates:
            duplicates.append(name)
        seen.add(name)
    if duplicates:
        raise DataError(
            f"'{filename}' has duplicate column names {duplicates}: "
            "give every column a distinct name and upload it again."
        )


def _check_shape(df: pd.DataFrame, filename: str) -> pd.DataFrame:
    if df.shape[1] == 0:
        raise DataError(f"'{filename}' has no columns: the first line must name the columns.")
    if len(df) == 0:
        raise DataError(f"'{filename}' has column names but no data rows: add the data below the header.")
    if df.shape[1] == 1:
        raise DataError(
            f"'{filename}' reads as a single column ('{df.columns[0]}'): at least two variables are needed. "
            "If the file has more, separate them with commas, semicolons or tabs."
        )
    return df


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
