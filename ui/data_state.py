"""The Data step's typed state: the table as read, its (user-edited) schema and the missing-value policy.

No Streamlit here. The data's fingerprint is what every later step's state is checked against.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from deci_core.data.missing import MISSING_TOKENS, summarise_missing
from deci_core.data.profiling import usable_rows
from deci_core.data.schema import TableSchema, data_fingerprint
from deci_core.data.windows import TimeSeriesLayout
from ui.report_types import DataSummary

MISSING_POLICIES = {
    "drop": "Drop rows with a missing value in any modelled column (default)",
    "model": "Keep them for the model to handle",
}
# The app drops rows by default until bench/RESULTS.md ("Missing values") shows the model's own
# handling beating listwise deletion; the engine and CLI model the gaps by default (issue 17).


@dataclass
class LoadedData:
    """The dataset in use: the table as read, its (user-edited) schema and the missing-value policy."""

    name: str
    raw: pd.DataFrame
    schema: TableSchema
    missing_policy: str = "drop"
    source: str = "upload"  # "upload" | "sample"
    na_values: tuple[str, ...] = MISSING_TOKENS  # cell texts read as missing
    tokens: dict[str, dict[str, int]] = field(default_factory=dict)  # candidate tokens found per column
    source_file: tuple[bytes, str, str | None] | None = None  # (content, filename, sheet): to re-read
    # One id per load (kept by type edits, new for every file, sample or bundle): the Data page's
    # widget keys carry it, so a widget never shows the previous dataset's value.
    load_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10], compare=False)
    # "Analyse as time series": how the rows form series (None: rows are independent). Part of the
    # fingerprint and signature, so turning it on or off, or changing K, clears the later steps.
    layout: TimeSeriesLayout | None = None

    def __post_init__(self) -> None:
        if self.layout is not None:  # the time and series columns index the rows: never variables
            ids = {c: "excluded" for c in self.layout.columns if c in self.schema.names}
            if ids:
                self.schema = self.schema.with_types(ids)

    @cached_property
    def table(self) -> pd.DataFrame:
        """The rows the model sees: modelled columns; rows with gaps dropped under the "drop" policy."""
        rows = usable_rows(self.raw[self.schema.names], self.schema, self.missing_policy)
        return rows.reset_index(drop=True)

    @cached_property
    def fit_table(self) -> pd.DataFrame:
        """What ``fit`` gets: :attr:`table`, plus the time and series columns under a layout."""
        if self.layout is None:
            return self.table
        columns = list(dict.fromkeys([*self.schema.names, *self.layout.columns]))
        rows = usable_rows(self.raw[columns], self.schema, self.missing_policy)
        return rows.reset_index(drop=True)

    @cached_property
    def fingerprint(self) -> str:
        base = data_fingerprint(self.table, self.schema)
        if self.layout is None:
            return base
        h = hashlib.sha256(base.encode())
        h.update(json.dumps(self.layout.to_dict(), sort_keys=True).encode())
        for col in self.layout.columns:
            h.update(pd.util.hash_pandas_object(self.fit_table[col], index=False).to_numpy().tobytes())
        return h.hexdigest()[:16]

    @property
    def signature(self) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        """The modelled variables with their types (and levels): what later steps depend on.

        Two datasets with the same signature can share a model, graph and estimates (different rows).
        """
        plain = tuple(
            (s.name, s.type.value, tuple(map(str, s.categories or ()))) for s in self.schema.modeled
        )
        if self.layout is None:
            return plain
        return (*plain, ("time series", json.dumps(self.layout.to_dict(), sort_keys=True), ()))

    def to_dict(self) -> dict[str, Any]:
        """Everything but the table itself: name, source, policy, fingerprint, row count, column dtypes."""
        return {"name": self.name, "source": self.source, "missing_policy": self.missing_policy,
                "fingerprint": self.fingerprint, "rows": int(self.raw.shape[0]), "dtypes": self.dtypes(),
                "na_values": list(self.na_values)} | (
                    {"time_series": self.layout.to_dict()} if self.layout is not None else {})

    @classmethod
    def from_dict(cls, d: dict[str, Any], raw: pd.DataFrame, schema: TableSchema) -> LoadedData:
        """The data :meth:`to_dict` described, around its table and schema (fingerprints unchecked)."""
        policy, source = str(d.get("missing_policy", "drop")), str(d.get("source", "upload"))
        na_values = tuple(str(t) for t in d.get("na_values", MISSING_TOKENS))
        layout = TimeSeriesLayout.from_dict(d["time_series"]) if d.get("time_series") else None
        return cls(str(d["name"]), raw, schema, policy, source, na_values=na_values, layout=layout)

    def dtypes(self) -> dict[str, str]:
        return {str(c): str(t) for c, t in self.raw.dtypes.items()}

    def summary(self) -> DataSummary:
        """What the report's data section shows."""
        gaps = summarise_missing(self.raw, self.schema)
        variables = []
        for spec in self.schema.variables:
            note = ", ".join(map(str, spec.categories)) if spec.categories else spec.reason
            note += f"; unit: {spec.unit}" if spec.unit else ""
            variables.append((spec.name, spec.type.value, note))
        return DataSummary(name=self.name, source=self.source, rows=int(self.table.shape[0]),
                           rows_raw=int(self.raw.shape[0]), variables=variables,
                           missing_policy=MISSING_POLICIES.get(self.missing_policy, self.missing_policy),
                           fingerprint=self.fingerprint, missing_cells=dict(gaps.cells),
                           rows_with_gaps=gaps.rows_with_gaps)

    def status(self) -> str:
        text = f"{self.name}: {self.table.shape[0]:,} rows × {len(self.schema.names)} variables"
        return text if self.layout is None else f"{text}, time series by {self.layout.time_column}"
