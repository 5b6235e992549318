"""The one converter between a user's table and the model's tensors.

A :class:`TableSchema` says what each column is (continuous, binary, categorical or excluded);
:func:`infer_schema` proposes one with a reason per column. A :class:`TableEncoder`, fitted on a
table and a schema, turns rows into a float tensor and back:

- continuous: standardised, ``(x - mean) / std`` (the inverse gives effects in the user's units);
  a column with ``transform="log"`` is standardised on ``log x`` and turned back with ``exp``, so
  the model sees a symmetric variable and effects still come out in the user's units
  (:func:`suggest_transforms` proposes it for strongly right-skewed positive columns);
- binary: 0 / 1, where ``categories[1]`` is the level coded 1;
- categorical: one-hot over ``categories`` (k columns).

Missing values are refused with a message naming the columns, unless the caller lets the model handle
them (:meth:`TableEncoder.encode_masked`, :mod:`deci_core.data.missing`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from deci_core.data.plain import to_plain
from deci_core.errors import DataError

MAX_CATEGORIES = 20
"""Categorical columns with more levels than this are excluded (one-hot width and sparsity)."""

TRANSFORMS = ("", "log")
"""Transforms a continuous column may have: none, or the natural log (positive values only)."""
SKEW_TO_SUGGEST = 1.0
"""A positive column is offered a log when its skewness is above this and the log at least halves it."""

MAX_UNIT_LENGTH = 20
"""The longest unit a column may have (units are read in sentences: "+1,794 USD")."""

_ID_NAME = re.compile(r"(^id$|_id$|^id_|identifier|uuid|^key$|^index$)", re.IGNORECASE)


class VariableType(StrEnum):
    """How a column enters the model."""

    CONTINUOUS = "continuous"
    BINARY = "binary"
    CATEGORICAL = "categorical"
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class VariableSpec:
    """One column: its name, type, ordered levels (binary/categorical), why it was typed so, the
    transform the model sees it through (``"log"``, continuous only; ``""`` for none) and the unit its
    values are in (``"USD"``, ``"kg"``; ``""`` for none: only for display, never part of a hash)."""

    name: str
    type: VariableType
    categories: tuple[Any, ...] = ()
    reason: str = ""
    transform: str = ""
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {
            "name": self.name,
            "type": self.type.value,
            "categories": [to_plain(c) for c in self.categories],
            "reason": self.reason,
            "transform": self.transform,
        }
        return {**d, "unit": self.unit} if self.unit else d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VariableSpec:
        return cls(
            d["name"],
            VariableType(d["type"]),
            tuple(d.get("categories", ())),
            d.get("reason", ""),
            d.get("transform", ""),
            str(d.get("unit") or ""),
        )


@dataclass(frozen=True)
class TableSchema:
    """The typed columns of a table, in the table's order."""

    variables: tuple[VariableSpec, ...]

    @property
    def modeled(self) -> tuple[VariableSpec, ...]:
        """Specs of the columns that enter the model (not excluded)."""
        return tuple(v for v in self.variables if v.type is not VariableType.EXCLUDED)

    @property
    def names(self) -> list[str]:
        """Names of the modeled variables: the graph's node order."""
        return [v.name for v in self.modeled]

    def __getitem__(self, name: str) -> VariableSpec:
        for spec in self.variables:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def with_types(self, types: dict[str, VariableType | str], df: pd.DataFrame | None = None) -> TableSchema:
        """Return a schema with some columns retyped (levels recomputed from ``df`` when given).

        Raises:
            DataError: a name is not a column, or a type cannot hold the column's values.
        """
        unknown = sorted(set(types) - {v.name for v in self.variables})
        if unknown:
            raise DataError(f"Unknown column(s) {unknown}: the table has {[v.name for v in self.variables]}.")
        specs = []
        for spec in self.variables:
            if spec.name not in types:
                specs.append(spec)
                continue
            new_type = VariableType(types[spec.name])
            categories = spec.categories
            if df is not None:
                categories = _levels_for(df[spec.name], new_type, spec.name)
            transform = spec.transform if new_type is VariableType.CONTINUOUS else ""
            specs.append(
                replace(spec, type=new_type, categories=categories, reason="set by user", transform=transform)
            )
        return TableSchema(tuple(specs))

    def with_transforms(self, transforms: dict[str, str], df: pd.DataFrame | None = None) -> TableSchema:
        """Return a schema with some continuous columns' transforms set (``"log"`` or ``""``).

        Raises:
            DataError: an unknown column or transform, a transform on a non-continuous column, or a
                log of a column (in ``df``, when given) with values <= 0.
        """
        unknown = sorted(set(transforms) - {v.name for v in self.variables})
        if unknown:
            raise DataError(f"Unknown column(s) {unknown}: the table has {[v.name for v in self.variables]}.")
        specs = []
        for spec in self.variables:
            transform = transforms.get(spec.name, spec.transform)
            if transform not in TRANSFORMS:
                raise DataError(
                    f"Unknown transform {transform!r} for '{spec.name}': use one of {TRANSFORMS}."
                )
            if transform and spec.type is not VariableType.CONTINUOUS:
                raise DataError(
                    f"'{spec.name}' is {spec.type.value}: only continuous columns take a transform."
                )
            if transform == "log" and df is not None:
                values = pd.to_numeric(df[spec.name], errors="coerce").dropna()
                if (values <= 0).any():
                    raise DataError(
                        f"'{spec.name}' has values <= 0 (min {values.min():g}): a log needs positive values."
                    )
            specs.append(replace(spec, transform=transform))
        return TableSchema(tuple(specs))

    def with_units(self, units: dict[str, str]) -> TableSchema:
        """Return a schema with some columns' units set (``""`` removes one; surrounding spaces dropped).

        Raises:
            DataError: a name is not a column, or a unit longer than 20 characters.
        """
        unknown = sorted(set(units) - {v.name for v in self.variables})
        if unknown:
            raise DataError(f"Unknown column(s) {unknown}: the table has {[v.name for v in self.variables]}.")
        long = sorted(n for n, u in units.items() if len(str(u).strip()) > MAX_UNIT_LENGTH)
        if long:
            raise DataError(f"The unit of {long} is longer than {MAX_UNIT_LENGTH} characters: use a short "
                            "one such as 'USD' or 'kg'.")
        return TableSchema(tuple(replace(v, unit=str(units[v.name]).strip()) if v.name in units else v
                                 for v in self.variables))

    @property
    def units(self) -> dict[str, str]:
        """The columns that have a unit, with it."""
        return {v.name: v.unit for v in self.variables if v.unit}

    def to_dict(self) -> dict[str, Any]:
        return {"variables": [v.to_dict() for v in self.variables]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TableSchema:
        return cls(tuple(VariableSpec.from_dict(v) for v in d["variables"]))


def infer_schema(df: pd.DataFrame) -> TableSchema:
    """Propose a type for every column, with a plain-words reason."""
    return TableSchema(tuple(_infer_column(df[name], str(name)) for name in df.columns))


def suggest_transforms(df: pd.DataFrame, schema: TableSchema) -> dict[str, str]:
    """Continuous columns a log would help, each with the reason in plain words.

    A column qualifies when all its values are positive, its skewness is above ``SKEW_TO_SUGGEST``
    (strongly right-skewed: intensities, earnings, counts) and the log at least halves it. Columns
    that already have a transform are left out.
    """
    offers = {}
    for spec in schema.modeled:
        if spec.type is not VariableType.CONTINUOUS or spec.transform:
            continue
        x = pd.to_numeric(df[spec.name], errors="coerce").dropna().to_numpy(dtype=float)
        if len(x) < 20 or (x <= 0).any():
            continue
        skew, log_skew = _skewness(x), _skewness(np.log(x))
        if skew > SKEW_TO_SUGGEST and abs(log_skew) <= skew / 2:
            offers[spec.name] = (
                f"positive and right-skewed (skewness {skew:.1f}, {log_skew:.1f} after a log): a log "
                "transform makes it closer to symmetric; effects are still reported in its own units"
            )
    return offers


def _skewness(x: np.ndarray) -> float:
    centred = x - x.mean()
    sd = centred.std()
    return float((centred**3).mean() / sd**3) if sd > 0 else 0.0


def _infer_column(col: pd.Series, name: str) -> VariableSpec:
    values = col.dropna()
    n_unique = values.nunique()
    excluded = VariableType.EXCLUDED
    if values.empty:
        return VariableSpec(name, excluded, reason="all values are missing")
    if pd.api.types.is_datetime64_any_dtype(col) or _looks_like_dates(values):
        return VariableSpec(name, excluded, reason="date/time column")
    if pd.api.types.is_timedelta64_dtype(col):
        return VariableSpec(name, excluded, reason="duration column: convert it to a number (e.g. minutes)")
    if n_unique == 1:
        return VariableSpec(name, excluded, reason="constant: a single value carries no information")
    if n_unique == 2:
        return VariableSpec(name, VariableType.BINARY, _sorted_levels(values), "two distinct values")
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    if numeric:
        if _is_identifier(values, name):
            return VariableSpec(name, excluded, reason="identifier-like: a distinct integer on every row")
        if _few_integer_levels(values):
            return VariableSpec(
                name,
                VariableType.CONTINUOUS,
                reason=f"whole numbers with {n_unique} levels: kept numeric (an ordered count or score); "
                "choose categorical if the numbers are only labels",
            )
        return VariableSpec(name, VariableType.CONTINUOUS, reason="numeric")
    as_numbers = pd.to_numeric(values, errors="coerce")
    if as_numbers.notna().all():
        if _is_identifier(as_numbers, name):
            return VariableSpec(name, excluded, reason="identifier-like: a distinct integer on every row")
        return VariableSpec(name, VariableType.CONTINUOUS, reason="numbers stored as text")
    if as_numbers.notna().mean() >= 0.5:
        example = values[as_numbers.isna()].iloc[0]
        return VariableSpec(name, excluded, reason=f"mixes numbers with text (e.g. {str(example)[:30]!r})")
    if n_unique == len(values) and len(values) > MAX_CATEGORIES:
        return VariableSpec(name, excluded, reason="identifier-like: a distinct text value on every row")
    if n_unique > MAX_CATEGORIES:
        return VariableSpec(
            name, excluded, reason=f"{n_unique} levels: more than the {MAX_CATEGORIES} a categorical may have"
        )
    return VariableSpec(
        name, VariableType.CATEGORICAL, _sorted_levels(values), f"text with {n_unique} levels"
    )


def _few_integer_levels(values: pd.Series) -> bool:
    whole = pd.api.types.is_integer_dtype(values) or bool((values == values.round()).all())
    return whole and values.nunique() <= MAX_CATEGORIES


def _looks_like_dates(values: pd.Series) -> bool:
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return False
    sample = values.astype(str).head(50)
    if not sample.str.contains(r"\d{1,4}[-/.:]\d{1,2}", regex=True).all():
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().all())


def _is_identifier(values: pd.Series, name: str) -> bool:
    if not pd.api.types.is_integer_dtype(values) and not (values == values.round()).all():
        return False
    if values.nunique() != len(values) or len(values) < 20:
        return False
    ints = values.astype("int64").sort_values().to_numpy()
    consecutive = bool((np.diff(ints) == 1).all())
    return consecutive or bool(_ID_NAME.search(name))


def _sorted_levels(values: pd.Series) -> tuple[Any, ...]:
    levels = pd.unique(values)
    try:
        levels = sorted(levels)
    except TypeError:
        levels = sorted(levels, key=str)
    return tuple(to_plain(v) for v in levels)


def _levels_for(col: pd.Series, new_type: VariableType, name: str) -> tuple[Any, ...]:
    if new_type is VariableType.CONTINUOUS:
        numbers = pd.to_numeric(col.dropna(), errors="coerce")
        if numbers.isna().any():
            raise DataError(f"Column '{name}' has text values, so it cannot be continuous: pick categorical.")
        return ()
    if new_type is VariableType.EXCLUDED:
        return ()
    levels = _sorted_levels(col.dropna())
    if new_type is VariableType.BINARY and len(levels) != 2:
        raise DataError(f"Column '{name}' has {len(levels)} distinct values; binary needs exactly 2.")
    if new_type is VariableType.CATEGORICAL and not 2 <= len(levels) <= MAX_CATEGORIES:
        raise DataError(
            f"Column '{name}' has {len(levels)} levels; a categorical needs 2 to {MAX_CATEGORIES}."
        )
    return levels


def check_modeled_values(df: pd.DataFrame, schema: TableSchema, allow_missing: bool = False) -> None:
    """Raise a DataError naming every modeled column with missing (unless ``allow_missing``) or
    infinite values."""
    names = schema.names
    missing = df[names].isna().sum()
    bad = {n: int(c) for n, c in missing.items() if c}
    if bad and not allow_missing:
        listed = ", ".join(f"'{n}' ({c} missing)" for n, c in bad.items())
        raise DataError(f"Missing values in {listed}: drop those rows or exclude the columns.")
    continuous = [v.name for v in schema.modeled if v.type is VariableType.CONTINUOUS]
    infinite = [n for n in continuous if np.isinf(pd.to_numeric(df[n], errors="coerce")).any()]
    if infinite:
        raise DataError(f"Infinite values in {infinite}: replace or drop those rows.")


def drop_missing_rows(df: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Rows with no missing value in any modeled column (the 'drop rows' policy).

    Infinite values in continuous columns count as missing: the encoder refuses them.
    """
    kept = df.dropna(subset=schema.names)
    continuous = [v.name for v in schema.modeled if v.type is VariableType.CONTINUOUS]
    if not continuous:
        return kept
    numbers = kept[continuous].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    return kept[~np.isinf(numbers).any(axis=1)]


def data_fingerprint(df: pd.DataFrame, schema: TableSchema) -> str:
    """A stable hash of the modeled columns' names, types, levels and values (hex, 16 chars)."""
    h = hashlib.sha256()
    for spec in schema.modeled:
        key = (spec.name, spec.type.value, spec.categories) + ((spec.transform,) if spec.transform else ())
        h.update(repr(key).encode())
        h.update(pd.util.hash_pandas_object(df[spec.name], index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]
