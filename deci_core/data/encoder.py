"""The one converter between a user's table and the model's tensors: :class:`TableEncoder`.

Fitted on a table and a :class:`~deci_core.data.schema.TableSchema`, it turns rows into a float tensor
and back:

- continuous: standardised, ``(x - mean) / std`` (the inverse gives effects in the user's units);
  with the spec's ``transform="log"``, ``(log x - mean) / std`` with mean and std of ``log x``, and
  ``exp`` on the way back (:meth:`TableEncoder.to_user_units`);
- binary: 0 / 1, where ``categories[1]`` is the level coded 1;
- categorical: one-hot over ``categories`` (k columns).

Tables with gaps: :meth:`TableEncoder.encode_masked` encodes the observed cells and returns the mask
of observed variables (a missing cell is encoded as zeros: the model never reads it, see
:mod:`deci_core.training.imputation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from deci_core.data.missing import check_no_empty_column
from deci_core.data.plain import to_plain
from deci_core.data.schema import TableSchema, VariableSpec, VariableType, check_modeled_values
from deci_core.errors import DataError


@dataclass
class TableEncoder:
    """Fitted DataFrame <-> tensor converter for the modeled variables of a schema."""

    specs: tuple[VariableSpec, ...]
    means: dict[str, float] = field(default_factory=dict)
    stds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def fit(cls, df: pd.DataFrame, schema: TableSchema, allow_missing: bool = False) -> TableEncoder:
        """Learn scaling from ``df`` (from the observed cells when ``allow_missing``).

        Raises:
            DataError: infinite values, bad levels, missing values (unless ``allow_missing``), or a
                modelled column that is entirely missing.
        """
        if not schema.modeled:
            raise DataError("No variable to model: every column is excluded. Include at least two.")
        if allow_missing:
            check_no_empty_column(df, schema)
        check_modeled_values(df, schema, allow_missing)
        means, stds = {}, {}
        for spec in schema.modeled:
            if spec.type is VariableType.CONTINUOUS:
                x = pd.to_numeric(df[spec.name], errors="coerce").to_numpy(dtype=float)
                x = _forward(x, spec)
                means[spec.name] = float(np.nanmean(x))
                stds[spec.name] = float(np.nanstd(x)) or 1.0
        return cls(schema.modeled, means, stds)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.specs]

    @property
    def types(self) -> list[VariableType]:
        return [s.type for s in self.specs]

    @property
    def widths(self) -> list[int]:
        """Columns per variable: k for a categorical with k levels, else 1."""
        return [len(s.categories) if s.type is VariableType.CATEGORICAL else 1 for s in self.specs]

    @property
    def column_slices(self) -> list[slice]:
        """``column_slices[i]`` selects variable i's columns in an encoded tensor."""
        ends = np.cumsum(self.widths)
        return [slice(int(e - w), int(e)) for e, w in zip(ends, self.widths, strict=True)]

    @property
    def num_columns(self) -> int:
        return int(sum(self.widths))

    def spec(self, name: str) -> VariableSpec:
        for s in self.specs:
            if s.name == name:
                return s
        raise DataError(f"Unknown variable '{name}': the model knows {self.names}.")

    def scale_of(self, name: str) -> float:
        """Standard deviation of a continuous variable (1.0 for discrete ones); for a transformed
        variable, of its transformed values (use :meth:`to_user_units` to read values)."""
        return self.stds.get(self.spec(name).name, 1.0)

    def to_user_units(self, name: str, z):
        """A continuous variable's model-space values (tensor or array) -> the user's units:
        de-standardised, and the transform undone (``exp`` for a log)."""
        spec = self.spec(name)
        x = z * self.stds[name] + self.means[name]
        if spec.transform == "log":
            return x.exp() if isinstance(x, torch.Tensor) else np.exp(x)
        return x

    def encode(self, df: pd.DataFrame) -> torch.Tensor:
        """Rows in user units -> tensor (n, num_columns) float32."""
        missing = [n for n in self.names if n not in df.columns]
        if missing:
            raise DataError(f"Column(s) {missing} are missing from the table.")
        check_modeled_values(df, TableSchema(self.specs))
        return torch.cat([self._encode_column(df[s.name], s) for s in self.specs], dim=1)

    def encode_masked(self, df: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows with gaps -> (x (n, num_columns) float32, observed (n, d) bool).

        Missing cells are encoded as zeros (0 is a continuous variable's mean); ``observed[r, i]`` is
        False where variable i is missing in row r. Infinite values are still refused.
        """
        absent = [n for n in self.names if n not in df.columns]
        if absent:
            raise DataError(f"Column(s) {absent} are missing from the table.")
        check_modeled_values(df, TableSchema(self.specs), allow_missing=True)
        observed = torch.from_numpy(df[self.names].notna().to_numpy(dtype=bool, copy=True))
        blocks = []
        for i, spec in enumerate(self.specs):
            col = df[spec.name]
            seen = observed[:, i].numpy()
            block = torch.zeros(len(df), self.widths[i])
            if seen.any():
                block[torch.from_numpy(seen)] = self._encode_column(col[seen], spec)
            blocks.append(block)
        x = torch.cat(blocks, dim=1) if blocks else torch.zeros(len(df), 0)
        return x, observed

    def _encode_column(self, col: pd.Series, spec: VariableSpec) -> torch.Tensor:
        if spec.type is VariableType.CONTINUOUS:
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float32, copy=True)
            if np.isnan(x).any():
                raise DataError(f"Column '{spec.name}' has non-numeric values but is typed continuous.")
            x = _forward(x, spec).astype(np.float32)
            return torch.from_numpy((x - self.means[spec.name]) / self.stds[spec.name]).float()[:, None]
        codes = _codes(col, spec)
        if spec.type is VariableType.BINARY:
            return torch.from_numpy(codes.astype(np.float32))[:, None]
        return torch.nn.functional.one_hot(torch.from_numpy(codes), len(spec.categories)).float()

    def encode_value(self, name: str, value: Any) -> torch.Tensor:
        """One value in user units -> tensor (width,) in model space (binary: 0/1 or a level)."""
        spec = self.spec(name)
        if spec.type is VariableType.CONTINUOUS:
            x = float(_forward(np.array([float(value)]), spec)[0])
            return torch.tensor([(x - self.means[name]) / self.stds[name]])
        code = _codes(pd.Series([_level_alias(value, spec)]), spec)
        if spec.type is VariableType.BINARY:
            return torch.tensor([float(code[0])])
        return torch.nn.functional.one_hot(torch.from_numpy(code), len(spec.categories)).float()[0]

    def decode(self, x: torch.Tensor) -> pd.DataFrame:
        """Tensor (n, num_columns) in model space -> DataFrame in user units.

        Binary columns are thresholded at 0.5 and categoricals take the argmax level.
        """
        x = x.detach().cpu()
        out = {}
        for spec, cols in zip(self.specs, self.column_slices, strict=True):
            block = x[:, cols]
            if spec.type is VariableType.CONTINUOUS:
                out[spec.name] = self.to_user_units(spec.name, block[:, 0]).numpy()
            elif spec.type is VariableType.BINARY:
                out[spec.name] = np.asarray(spec.categories, dtype=object)[(block[:, 0] > 0.5).long().numpy()]
            else:
                out[spec.name] = np.asarray(spec.categories, dtype=object)[block.argmax(1).numpy()]
        return pd.DataFrame(out)

    def to_dict(self) -> dict[str, Any]:
        return {"specs": [s.to_dict() for s in self.specs], "means": self.means, "stds": self.stds}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TableEncoder:
        return cls(tuple(VariableSpec.from_dict(s) for s in d["specs"]), dict(d["means"]), dict(d["stds"]))


def _forward(x: np.ndarray, spec: VariableSpec) -> np.ndarray:
    """A continuous column's values as the model sees them (before standardising)."""
    if spec.transform != "log":
        return x
    if (x <= 0).any():
        raise DataError(
            f"'{spec.name}' has values <= 0 (min {x.min():g}) but is log-transformed: remove the transform."
        )
    return np.log(x)


def _level_alias(value: Any, spec: VariableSpec) -> Any:
    """For binary variables, 0/1 (also 0.0/1.0) name the first/second level."""
    if spec.type is VariableType.BINARY and value not in spec.categories:
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            return value
        if as_float in (0.0, 1.0):
            return spec.categories[int(as_float)]
    return value


def _codes(col: pd.Series, spec: VariableSpec) -> np.ndarray:
    """Level index of each value; unknown levels raise a DataError that names them."""
    lookup = {c: i for i, c in enumerate(spec.categories)}
    lookup.update({str(c): i for i, c in enumerate(spec.categories)})
    codes = col.map(lambda v: lookup.get(to_plain(v), lookup.get(str(to_plain(v)))))
    if codes.isna().any():
        unknown = sorted({str(v) for v in col[codes.isna()]})[:5]
        raise DataError(f"'{spec.name}' has value(s) {unknown} outside its levels {list(spec.categories)}.")
    return codes.to_numpy(dtype=np.int64, copy=True)
