"""What a table looks like to the model: a summary per column and warnings in plain words.

Builds on :func:`deci_core.data.schema.infer_schema` (or a user-edited schema): the type and its reason
come from the schema; this module adds counts, summary statistics and the checks an analyst
should see before running discovery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from deci_core.data.missing import mar_warnings
from deci_core.data.schema import MAX_CATEGORIES, TableSchema, VariableType, drop_missing_rows, infer_schema

MIN_ROWS = 100
"""Below this many usable rows, discovery results are too uncertain to be useful."""
MAX_VARIABLES = 60
"""The largest number of modelled variables the app supports (training cost grows with d²)."""
NEAR_DUPLICATE_R = 0.999
"""Columns whose |Pearson r| exceeds this are near-copies of each other."""
ZERO_SHARE = 0.3
"""A continuous column with at least this share of exact zeros is zero-inflated."""
SKEWNESS = 2.0
"""A continuous column whose |skewness| exceeds this is heavily skewed."""
OUTLIER_MADS = 6.0
OUTLIER_SHARE = 0.005
"""Values more than OUTLIER_MADS robust standard deviations from the median are outliers; a warning
when they are at least OUTLIER_SHARE of the rows (or any, in tables under 200 rows)."""
MISSING_SHARE = 0.2
"""A modelled column missing in at least this share of rows gets a warning with what to do."""


@dataclass(frozen=True)
class ColumnSummary:
    """One column of the table as the model will see it."""

    name: str
    type: VariableType
    reason: str
    missing: int
    infinite: int
    unique: int
    mean: float = float("nan")
    std: float = float("nan")
    min: float = float("nan")
    median: float = float("nan")
    max: float = float("nan")
    levels: str = ""


@dataclass(frozen=True)
class Profile:
    """Summary of a table under a schema.

    Attributes:
        rows: rows in the table as read.
        usable_rows: rows the model learns from: under the "drop" policy, the rows without a missing or
            infinite value in a modelled column; under "model", the rows without an infinite value.
        columns: one summary per column, in the table's order.
        warnings: plain-words findings, most important first.
    """

    rows: int
    usable_rows: int
    columns: tuple[ColumnSummary, ...]
    warnings: tuple[str, ...]

    def table(self) -> pd.DataFrame:
        """The column summaries as a DataFrame (one row per column), for display."""
        frame = pd.DataFrame([vars(c) for c in self.columns])
        frame["type"] = [c.type.value for c in self.columns]
        return frame.rename(columns={"name": "column"})


def profile_table(
    df: pd.DataFrame, schema: TableSchema | None = None, missing_policy: str = "drop"
) -> Profile:
    """Summarise ``df`` column by column and list what deserves the analyst's attention.

    ``missing_policy`` ("drop" or "model", see :class:`~deci_core.config.ModelConfig`) sets which
    rows count as usable.
    """
    schema = schema or infer_schema(df)
    columns = tuple(_summarise(df[spec.name], spec.name, spec.type, spec.reason) for spec in schema.variables)
    usable = len(usable_rows(df, schema, missing_policy)) if schema.modeled else len(df)
    warnings = find_warnings(df, schema, columns, usable) + distribution_warnings(df, schema)
    warnings += mar_warnings(df, schema)
    return Profile(len(df), usable, columns, tuple(warnings))


def usable_rows(df: pd.DataFrame, schema: TableSchema, missing_policy: str = "drop") -> pd.DataFrame:
    """The rows the model learns from under a missing-value policy: "drop" drops rows with a missing
    or infinite modelled value; "model" keeps rows with gaps and drops only those with an infinity."""
    if missing_policy != "model":
        return drop_missing_rows(df, schema)
    continuous = [v.name for v in schema.modeled if v.type is VariableType.CONTINUOUS]
    if not continuous:
        return df
    numbers = df[continuous].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    return df[~np.isinf(numbers).any(axis=1)]


def _summarise(col: pd.Series, name: str, vtype: VariableType, reason: str) -> ColumnSummary:
    numbers = (
        pd.to_numeric(col, errors="coerce") if not pd.api.types.is_bool_dtype(col) else col.astype(float)
    )
    infinite = int(np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan)).sum())
    base = dict(
        name=name,
        type=vtype,
        reason=reason,
        missing=int(col.isna().sum()),
        infinite=infinite,
        unique=int(col.nunique(dropna=True)),
    )
    finite = numbers[np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))]
    numeric = vtype is VariableType.CONTINUOUS or (
        vtype is VariableType.EXCLUDED
        and pd.api.types.is_numeric_dtype(col)
        and not pd.api.types.is_bool_dtype(col)
    )
    if numeric and len(finite):
        return ColumnSummary(
            **base,
            mean=float(finite.mean()),
            std=float(finite.std()),
            min=float(finite.min()),
            median=float(finite.median()),
            max=float(finite.max()),
        )
    return ColumnSummary(**base, levels=_top_levels(col))


def _top_levels(col: pd.Series, k: int = 4) -> str:
    counts = col.value_counts(dropna=True)
    if counts.empty:
        return ""
    shares = counts / counts.sum()
    text = ", ".join(f"{level} ({share:.0%})" for level, share in shares.head(k).items())
    return text + (f", … {len(counts) - k} more" if len(counts) > k else "")


def find_warnings(
    df: pd.DataFrame, schema: TableSchema, columns: tuple[ColumnSummary, ...], usable_rows: int
) -> list[str]:
    """Plain-words warnings: size, excluded columns with their reason, infinite values, near-duplicates."""
    warnings = []
    modeled = schema.modeled
    if len(modeled) < 2:
        warnings.append(
            f"Only {len(modeled)} variable(s) are modelled: include at least two to look for causes."
        )
    if len(modeled) > MAX_VARIABLES:
        warnings.append(
            f"{len(modeled)} variables are modelled, more than the {MAX_VARIABLES} supported: "
            "exclude the ones you do not need (training time grows with the square of the count)."
        )
    if usable_rows < MIN_ROWS:
        warnings.append(
            f"Only {usable_rows} usable rows: causal discovery needs at least {MIN_ROWS} "
            "(preferably 1,000 or more); with fewer, the results are mostly noise."
        )
    for summary in columns:
        message = _column_warning(summary)
        if message:
            warnings.append(message)
    warnings.extend(near_duplicate_warnings(df, schema))
    return warnings


def _column_warning(c: ColumnSummary) -> str | None:
    name = f"'{c.name}'"
    if c.type is VariableType.EXCLUDED:
        if c.reason.startswith("constant"):
            return f"{name} is constant (a single value): it carries no information and is excluded."
        if c.reason.startswith("all values are missing"):
            return f"{name} is empty (every value is missing): it is excluded."
        if c.reason.startswith("mixes numbers with text"):
            return (
                f"{name} {c.reason}: it is excluded. If that text means 'missing', leave those cells empty; "
                "if the column is really a category, set its type to categorical."
            )
        if "levels" in c.reason:
            return (
                f"{name} has {c.unique} levels, more than the {MAX_CATEGORIES} a categorical may have: it is "
                "excluded. Group rare levels together to use it."
            )
        if c.reason != "set by user":
            return f"{name} is excluded: {c.reason}. Change its type if it should be modelled."
        return None
    if c.infinite:
        return (
            f"{name} has {c.infinite} infinite value(s) (inf or -inf): those rows are dropped, "
            "like rows with missing values."
        )
    return None


def numeric_view(df: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """The modelled continuous and binary columns as floats (binary: 0/1 for its two levels), inf as NaN."""
    out = {}
    for spec in schema.modeled:
        if spec.type is VariableType.CONTINUOUS:
            out[spec.name] = pd.to_numeric(df[spec.name], errors="coerce").astype(float)
        elif spec.type is VariableType.BINARY:
            out[spec.name] = df[spec.name].map(
                lambda v, levels=spec.categories: (
                    np.nan if pd.isna(v) else float(v == levels[1] or str(v) == str(levels[1]))
                )
            )
    return pd.DataFrame(out, index=df.index).replace([np.inf, -np.inf], np.nan)


def correlation_matrix(df: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Pearson correlations between modelled continuous/binary columns (categoricals are left out)."""
    return numeric_view(df, schema).corr()


def near_duplicate_warnings(df: pd.DataFrame, schema: TableSchema) -> list[str]:
    """One warning per pair of modelled columns with |r| > NEAR_DUPLICATE_R."""
    corr = correlation_matrix(df, schema)
    names = list(corr.columns)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            r = corr.loc[a, b]
            if pd.notna(r) and abs(r) > NEAR_DUPLICATE_R:
                out.append(
                    f"'{a}' and '{b}' are near-duplicates (correlation {r:+.4f}): one is (almost) a copy "
                    "of the other and DECI cannot tell which causes which; exclude one of them."
                )
    return out


def distribution_warnings(df: pd.DataFrame, schema: TableSchema) -> list[str]:
    """Per modelled column: many missing values; for continuous ones, a spike at zero, heavy skew or
    outliers, each with what to do about it."""
    out = []
    for spec in schema.modeled:
        col = df[spec.name]
        missing = float(col.isna().mean()) if len(col) else 0.0
        if missing >= MISSING_SHARE:
            out.append(
                f"'{spec.name}' is missing in {missing:.0%} of the rows: dropping those rows loses that much "
                "data. Let the model handle the gaps (Missing values), or exclude the column if it matters "
                "little."
            )
        if spec.type is VariableType.CONTINUOUS:
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            message = _shape_warning(spec.name, x[np.isfinite(x)], spec.transform)
            if message:
                out.append(message)
    return out


def _shape_warning(name: str, x: np.ndarray, transform: str) -> str | None:
    """The most telling of: zero-inflated, heavily skewed, outliers (one warning per column)."""
    if len(x) < 20 or np.ptp(x) == 0:
        return None
    zeros = float(np.mean(x == 0))
    if zeros >= ZERO_SHARE:
        return (
            f"'{name}' is exactly 0 in {zeros:.0%} of the rows (median {np.median(x):g}): a spike at zero "
            "that a smooth noise model describes poorly. Consider splitting it into 'any' (binary) and the "
            "amount when positive, or exclude it; effects on it are averages over both parts."
        )
    centred = x - x.mean()
    skew = float(np.mean(centred**3) / np.mean(centred**2) ** 1.5)
    if abs(skew) > SKEWNESS and not transform:
        fix = "use the offered log transform" if x.min() > 0 else "transform it (a log of a shifted value)"
        return (
            f"'{name}' is heavily skewed (skewness {skew:+.1f}): a few large values dominate. Consider "
            f"whether to {fix}, or to exclude extreme rows."
        )
    mad = float(np.median(np.abs(x - np.median(x)))) * 1.4826
    if mad > 0:
        far = int(np.sum(np.abs(x - np.median(x)) > OUTLIER_MADS * mad))
        if far and (far >= OUTLIER_SHARE * len(x) or len(x) < 200):
            return (
                f"'{name}' has {far} outlier(s), more than {OUTLIER_MADS:g} robust standard deviations from "
                f"the median (range {x.min():g} to {x.max():g}): check them for data errors; if they are "
                "real, consider a transform or excluding those rows (extreme values pull the fitted curves)."
            )
    return None


_YEAR_SUFFIX = re.compile(r"^(?P<stem>.*?[A-Za-z])[_\-.]?(?P<n>\d{2}|\d{4})$")
_BEFORE_AFTER = (("before", "after"), ("pre", "post"), ("baseline", "followup"), ("start", "end"))


def _years(names: list[str]) -> dict[str, dict[int, str]]:
    """Stem -> {year: column} for columns named as one measurement in several years (2+ years)."""
    by_stem: dict[str, dict[int, str]] = {}
    for name in names:
        m = _YEAR_SUFFIX.match(name)
        if m:
            n = int(m["n"])
            year = n if len(m["n"]) == 4 else (1900 + n if n >= 30 else 2000 + n)
            by_stem.setdefault(m["stem"].lower(), {})[year] = name
    return {stem: years for stem, years in by_stem.items() if len(years) >= 2}


def time_ordered_groups(names: list[str]) -> list[list[str]]:
    """Columns that look like one measurement at several times, earliest first: the same stem with year
    (or wave) suffixes, e.g. ``re74``, ``re75``, ``re78``, or before/after (pre/post) pairs."""
    groups = [[years[y] for y in sorted(years)] for years in _years(names).values()]
    lowered = {n.lower(): n for n in names}
    for early, late in _BEFORE_AFTER:
        for name in names:
            low = name.lower()
            for pattern in (f"_{early}", f"{early}_"):
                if pattern in low:
                    other = lowered.get(low.replace(pattern, pattern.replace(early, late)))
                    if other and not any(name in g for g in groups):
                        groups.append([name, other])
    return groups


def time_tiers(names: list[str]) -> list[list[str]]:
    """Tiers in time order for :func:`time_ordered_groups`: year-suffixed columns grouped by year across
    stems (``{re74, u74} → {re75, u75} → {re78}``), then each before/after pair's two tiers when there
    are no years. Empty when no column looks time-ordered."""
    years = _years(names)
    if years:
        by_year: dict[int, list[str]] = {}
        for stem_years in years.values():
            for year, name in stem_years.items():
                by_year.setdefault(year, []).append(name)
        return [sorted(by_year[y], key=names.index) for y in sorted(by_year)]
    pairs = time_ordered_groups(names)
    return [[p[0] for p in pairs], [p[1] for p in pairs]] if pairs else []
