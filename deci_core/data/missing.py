"""Missing cells: which tokens mean "missing", how many cells are missing, and in what pattern.

The model handles missing cells itself (``ModelConfig(missing="model")``, the default): the encoder
keeps a mask of the observed cells (:meth:`~deci_core.data.encoder.TableEncoder.encode_masked`) and
an amortised imputation network fills the gaps inside the ELBO
(:mod:`deci_core.training.imputation`). This module holds the table-side facts an analyst should see
first: the tokens read as missing, the counts per column, which columns are missing together, and
whether a column's missingness is predicted by another column (missing at random, MAR: fine for the
model, but dropping rows would bias the graph and the effects).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from deci_core.data.schema import TableSchema, VariableType
from deci_core.errors import DataError

MISSING_TOKENS = ("", "NA", "N/A", "n/a", "null", "NULL", "None", "NaN", "nan", "#N/A", "?", "-")
"""Tokens that often mean "missing" in a cell; the app reads all of them as missing by default and
shows, per column, which it met, so that one can be declared a real level (a level called "None")."""
CLI_NA_VALUES = ("", "NA", "NaN")
"""What the command line reads as missing unless ``--na-values`` says otherwise."""
POLICIES = ("model", "drop")
"""``model``: the model imputes the gaps inside its objective; ``drop``: rows with a gap are dropped."""
MAR_MIN_CORRELATION = 0.2
"""|correlation| between a column's missingness and another column above which the Data page warns."""


@dataclass(frozen=True)
class MissingSummary:
    """Missing cells of the modelled columns.

    Attributes:
        rows: rows in the table. rows_with_gaps: rows with at least one missing modelled cell.
        cells: column -> missing cells (every modelled column, zeros included), in schema order.
    """

    rows: int
    rows_with_gaps: int
    cells: dict[str, int]

    @property
    def total(self) -> int:
        return int(sum(self.cells.values()))

    def shares(self) -> dict[str, float]:
        return {k: v / self.rows if self.rows else 0.0 for k, v in self.cells.items()}

    def to_dict(self) -> dict[str, object]:
        return {"rows": self.rows, "rows_with_gaps": self.rows_with_gaps, "cells": dict(self.cells)}


def summarise_missing(df: pd.DataFrame, schema: TableSchema) -> MissingSummary:
    """Missing cells per modelled column and the rows that have any."""
    names = schema.names
    isna = df[names].isna()
    return MissingSummary(len(df), int(isna.any(axis=1).sum()), {n: int(c) for n, c in isna.sum().items()})


def exclude_sparse_columns(df: pd.DataFrame, schema: TableSchema, max_share: float) -> TableSchema:
    """The schema with every modelled column missing in more than ``max_share`` of the rows excluded
    (the "exclude columns above a missing share" policy; the reason says the share)."""
    shares = summarise_missing(df, schema).shares() if schema.modeled else {}
    sparse = {name for name, share in shares.items() if share > max_share}
    specs = tuple(
        replace(v, type=VariableType.EXCLUDED, reason=f"{shares[v.name]:.0%} missing, above {max_share:.0%}")
        if v.name in sparse
        else v
        for v in schema.variables
    )
    return TableSchema(specs)


def check_no_empty_column(df: pd.DataFrame, schema: TableSchema) -> None:
    """Raise a DataError naming every modelled column that is entirely missing."""
    empty = [n for n in schema.names if len(df) and bool(df[n].isna().all())]
    if empty:
        raise DataError(
            f"Column(s) {empty} are entirely missing: nothing can be learned about them. "
            "Exclude them (set their type to excluded)."
        )


def missingness_patterns(df: pd.DataFrame, schema: TableSchema, top: int = 10) -> pd.DataFrame:
    """The most common patterns of missing modelled cells: one row per pattern (True = missing),
    with its ``rows`` count, most frequent first. Complete rows form the all-False pattern."""
    isna = df[schema.names].isna()
    counts = isna.value_counts(sort=True).head(top)
    frame = counts.index.to_frame(index=False)
    frame["rows"] = counts.to_numpy()
    return frame


def mar_findings(df: pd.DataFrame, schema: TableSchema) -> list[tuple[str, str, float]]:
    """(column, predictor, correlation) for each column whose missingness correlates with another
    modelled numeric column beyond :data:`MAR_MIN_CORRELATION` (strongest predictor per column).

    The correlation is Pearson's between the 0/1 missing indicator and the predictor, on the rows
    where the predictor is observed; binary predictors count as 0/1.
    """
    numeric = _numeric(df, schema)
    findings = []
    for name in schema.names:
        missing = df[name].isna().to_numpy()
        if not missing.any() or missing.all():
            continue
        best = None
        for other in numeric.columns:
            if other == name:
                continue
            r = _correlation(missing, numeric[other].to_numpy())
            if abs(r) > MAR_MIN_CORRELATION and (best is None or abs(r) > abs(best[1])):
                best = (other, r)
        if best is not None:
            findings.append((name, best[0], best[1]))
    return findings


def mar_warnings(df: pd.DataFrame, schema: TableSchema) -> list[str]:
    """Plain-words MAR warnings (see :func:`mar_findings`)."""
    return [
        f"Whether '{name}' is missing depends on '{other}' (correlation {r:+.2f}): the values are not "
        "missing at random in the strict sense (MAR). Letting the model handle the gaps accounts for this; "
        "dropping the rows with gaps would bias the graph and the effects."
        for name, other, r in mar_findings(df, schema)
    ]


def _numeric(df: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    out = {}
    for spec in schema.modeled:
        if spec.type is VariableType.CONTINUOUS:
            out[spec.name] = pd.to_numeric(df[spec.name], errors="coerce").astype(float)
        elif spec.type is VariableType.BINARY:
            level = spec.categories[1]
            out[spec.name] = df[spec.name].map(
                lambda v, level=level: np.nan if pd.isna(v) else float(v == level or str(v) == str(level))
            )
    return pd.DataFrame(out, index=df.index).replace([np.inf, -np.inf], np.nan)


def _correlation(indicator: np.ndarray, values: np.ndarray) -> float:
    seen = np.isfinite(values)
    a, b = indicator[seen].astype(float), values[seen]
    if len(a) < 10 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def parse_na_values(text: str | None) -> tuple[str, ...]:
    """``--na-values`` text -> tokens: comma-separated; the empty cell is always missing.

    ``None`` gives :data:`CLI_NA_VALUES`; ``""`` gives only the empty cell.
    """
    if text is None:
        return CLI_NA_VALUES
    tokens = [t.strip() for t in text.split(",")]
    return tuple(dict.fromkeys(["", *tokens]))


def token_counts(raw: pd.DataFrame, tokens: tuple[str, ...] = MISSING_TOKENS) -> dict[str, dict[str, int]]:
    """{column: {token: cells}} for the candidate missing tokens found in a table read as raw text
    (every cell a string, nothing converted; surrounding spaces ignored). Columns without any are left out."""
    out: dict[str, dict[str, int]] = {}
    for name in raw.columns:
        col = raw[name]
        text = col.where(col.notna(), "").astype(str).str.strip()
        counts = text[text.isin(tokens)].value_counts()
        if len(counts):
            out[str(name)] = {str(k): int(v) for k, v in counts.items()}
    return out
