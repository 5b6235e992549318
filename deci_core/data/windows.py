"""Time-series layout: a long table (time column, optional series-id column) -> windows of K+1 steps.

A window ending at time t holds ``x_t, x_{t-1}, ..., x_{t-K}`` of one series, stored lag-first:
``windows[n, tau]`` is the row at lag tau (tau = 0 is "now"). So a model reading a window can only
see the present and the past: nothing from the future is ever in it.

Rows are ordered by time within each series; windows never span two series. The spacing of each
series is checked against the most common time step of the whole table: a step longer than it is a
gap, a step that is not a whole multiple of it is unequal spacing. Both are reported
(:class:`SpacingReport`); ``gap_policy`` says what to do:

- ``"drop"`` (default): windows that span an irregular step are left out;
- ``"resample"``: each series is put on the regular grid and continuous variables are interpolated
  linearly (discrete ones carried forward), then windowed;
- ``"error"``: raise a DataError naming the first gaps.

Duplicate times within a series are always an error (the message names them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from deci_core.errors import DataError

GAP_POLICIES = ("drop", "resample", "error")


@dataclass(frozen=True)
class TimeSeriesLayout:
    """How a long table is read as time series.

    Attributes:
        time_column: the time stamps (numbers or dates), increasing within each series.
        series_column: groups rows into independent series (None: one long series).
        lags: K, the largest lag modeled (>= 1); None picks it from the data (:func:`default_lags`).
        gap_policy: ``"drop"``, ``"resample"`` or ``"error"`` (module docstring).
        instantaneous: False forbids every instantaneous edge (only lagged effects).
        forbidden_lagged, required_lagged: per-lag edge decisions ``(parent, child, lag)``: the edge
            ``x_{t-lag}^parent -> x_t^child`` never / always exists (lag 0: instantaneous). Checked
            against the variables and K when the masks are built (``training.temporal.temporal_masks``).
    """

    time_column: str
    series_column: str | None = None
    lags: int | None = None
    gap_policy: str = "drop"
    instantaneous: bool = True
    forbidden_lagged: tuple[tuple[str, str, int], ...] = ()
    required_lagged: tuple[tuple[str, str, int], ...] = ()

    def __post_init__(self) -> None:
        for name in ("forbidden_lagged", "required_lagged"):
            edges = tuple(sorted({(str(a), str(b), int(lag)) for a, b, lag in getattr(self, name)}))
            if any(lag < 0 for _, _, lag in edges):
                raise DataError(f"{name}: lags are 0 (instantaneous) or more, got {edges}.")
            object.__setattr__(self, name, edges)
        if self.gap_policy not in GAP_POLICIES:
            raise DataError(f"gap_policy must be one of {GAP_POLICIES}, got {self.gap_policy!r}.")
        if self.lags is not None and not 1 <= int(self.lags) <= 50:
            raise DataError(f"lags must be between 1 and 50, got {self.lags}.")

    @property
    def columns(self) -> tuple[str, ...]:
        """The layout's own columns (not variables of the model)."""
        return (self.time_column,) + ((self.series_column,) if self.series_column else ())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["forbidden_lagged"] = [list(e) for e in self.forbidden_lagged]
        d["required_lagged"] = [list(e) for e in self.required_lagged]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TimeSeriesLayout:
        return cls(**d)


@dataclass(frozen=True)
class SpacingReport:
    """What the layout found: the regular step and the irregular steps (per series: count)."""

    step: float
    num_series: int
    num_rows: int
    gaps: int = 0
    unequal: int = 0
    series_with_issues: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    @property
    def regular(self) -> bool:
        return self.gaps == 0 and self.unequal == 0

    def sentence(self) -> str:
        if self.regular:
            return f"{self.num_series} series, {self.num_rows} rows, evenly spaced (step {self.step:g})."
        return (
            f"{self.num_series} series, {self.num_rows} rows, step {self.step:g}: {self.gaps} gap(s) and "
            f"{self.unequal} unequal step(s) in {len(self.series_with_issues)} series "
            f"(e.g. {', '.join(self.examples[:3])})."
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpacingReport:
        d = dict(d)
        d["series_with_issues"] = tuple(d.get("series_with_issues", ()))
        d["examples"] = tuple(d.get("examples", ()))
        return cls(**d)


@dataclass(frozen=True, eq=False)
class Windows:
    """Windows built once from a table.

    Attributes:
        x: (N, K+1, C) encoded windows, lag-first (``x[:, 0]`` is time t).
        series: (N,) the series id of each window (as strings).
        times: (N,) the time t of each window (as in the table, numbers or timestamps).
        spacing: the spacing report.
        dropped: windows left out because they spanned an irregular step.
    """

    x: torch.Tensor
    series: np.ndarray
    times: np.ndarray
    spacing: SpacingReport
    dropped: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def lags(self) -> int:
        return int(self.x.shape[1]) - 1


def ordered_series(df: pd.DataFrame, layout: TimeSeriesLayout) -> list[tuple[str, pd.DataFrame]]:
    """The table split into series, each sorted by time. Raises DataError on bad time columns."""
    for col in layout.columns:
        if col not in df.columns:
            raise DataError(f"Column '{col}' (named in the time-series layout) is not in the table.")
    times = _as_time(df[layout.time_column], layout.time_column)
    df = df.assign(**{layout.time_column: times})
    groups = [("all", df)] if not layout.series_column else list(df.groupby(layout.series_column, sort=True))
    out = []
    for key, part in groups:
        part = part.sort_values(layout.time_column, kind="stable")
        dup = part[layout.time_column].duplicated()
        if dup.any():
            where = f" in series '{key}'" if layout.series_column else ""
            raise DataError(
                f"Time column '{layout.time_column}' repeats {part[layout.time_column][dup].iloc[0]}{where}: "
                "each series needs one row per time. Name the series column, or aggregate duplicates."
            )
        out.append((str(key[0] if isinstance(key, tuple) else key), part))
    return out


def spacing_report(series: list[tuple[str, pd.DataFrame]], time_column: str) -> SpacingReport:
    """Check each series' steps against the table's most common step."""
    steps = [np.diff(_numeric(p[time_column])) for _, p in series]
    every = np.concatenate(steps) if steps else np.zeros(0)
    if every.size == 0:
        raise DataError("Every series has a single row: a time series needs at least K+2 rows.")
    values, counts = np.unique(np.round(every, 9), return_counts=True)
    step = float(values[counts.argmax()])
    if step <= 0:
        raise DataError(f"Time column '{time_column}' does not increase within series.")
    gaps = unequal = 0
    issues, examples = [], []
    for (key, part), s in zip(series, steps, strict=True):
        ratio = s / step
        is_gap = np.isclose(ratio, np.round(ratio), atol=1e-6) & (np.round(ratio) > 1)
        is_unequal = ~np.isclose(ratio, np.round(ratio), atol=1e-6)
        if is_gap.any() or is_unequal.any():
            issues.append(key)
            first = int(np.flatnonzero(is_gap | is_unequal)[0])
            t = part[time_column].iloc[first + 1]
            examples.append(f"{key} at {t}" if key != "all" else f"at {t}")
        gaps, unequal = gaps + int(is_gap.sum()), unequal + int(is_unequal.sum())
    rows = sum(len(p) for _, p in series)
    return SpacingReport(step, len(series), rows, gaps, unequal, tuple(issues), tuple(examples[:10]))


def build_windows(df: pd.DataFrame, layout: TimeSeriesLayout, lags: int, encode) -> Windows:
    """Windows of length ``lags + 1`` from every series, never mixing series.

    Args:
        df: the long table. layout: its time/series columns and gap policy.
        lags: K. encode: ``DataFrame -> (n, C) tensor`` (the fitted encoder's ``encode``).

    Raises:
        DataError: bad time column, duplicates, too few rows, or gaps under ``gap_policy="error"``.
    """
    series = ordered_series(df, layout)
    report = spacing_report(series, layout.time_column)
    if not report.regular and layout.gap_policy == "error":
        raise DataError(f"The time steps are irregular: {report.sentence()} Choose to drop or resample.")
    blocks, ids, times, dropped = [], [], [], 0
    for key, part in series:
        if layout.gap_policy == "resample" and not report.regular:
            part = _resample(part, layout.time_column, report.step)
        if len(part) <= lags:
            continue
        x = encode(part)  # (n, C)
        idx = np.arange(lags, len(part))[:, None] - np.arange(lags + 1)[None, :]  # (W, K+1), lag-first
        regular = _regular_steps(_numeric(part[layout.time_column]), report.step)
        ok = np.array([regular[i - lags : i].all() for i in range(lags, len(part))], dtype=bool)
        dropped += int((~ok).sum())
        blocks.append(x[torch.as_tensor(idx[ok])])
        ids.append(np.full(int(ok.sum()), key, dtype=object))
        times.append(part[layout.time_column].to_numpy()[lags:][ok])
    if not blocks or sum(len(b) for b in blocks) == 0:
        raise DataError(
            f"No window of {lags + 1} consecutive evenly spaced steps: each series needs at least "
            f"{lags + 1} rows. Choose fewer lags or resample."
        )
    return Windows(torch.cat(blocks), np.concatenate(ids), np.concatenate(times), report, dropped)


def default_lags(df: pd.DataFrame, layout: TimeSeriesLayout, columns: list[str], max_lags: int = 5) -> int:
    """K from the data: the largest lag at which some continuous variable's autocorrelation (mean
    over series) still exceeds ``2 / sqrt(n)``, capped at ``max_lags``, at least 1 (stated in the UI).

    Slowly decaying series would give the cap; the cap keeps the model small.
    """
    series = ordered_series(df, layout)
    best = 1
    for col in columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            continue
        acf = np.zeros(max_lags + 1)
        weight = 0
        for _, part in series:
            v = part[col].to_numpy(dtype=float)
            if len(v) > max_lags + 2 and v.std() > 0:
                acf += _acf(v, max_lags) * len(v)
                weight += len(v)
        if weight:
            acf /= weight
            significant = np.flatnonzero(np.abs(acf[1:]) > 2 / np.sqrt(weight)) + 1
            # partial decay: the first lag whose autocorrelation falls below half of lag 1's
            if significant.size:
                below = np.flatnonzero(np.abs(acf[1:]) < 0.5 * abs(acf[1])) + 1
                best = max(best, int(below[0]) if below.size else max_lags)
    return int(min(best, max_lags))


def _acf(v: np.ndarray, max_lag: int) -> np.ndarray:
    v = v - v.mean()
    denom = float(v @ v)
    return np.array([1.0] + [float(v[:-k] @ v[k:]) / denom for k in range(1, max_lag + 1)])


def _regular_steps(t: np.ndarray, step: float) -> np.ndarray:
    """(n-1,) True where the step to the next row is exactly one regular step."""
    return np.isclose(np.diff(t) / step, 1.0, atol=1e-6)


def _resample(part: pd.DataFrame, time_column: str, step: float) -> pd.DataFrame:
    """One series on the regular grid: continuous columns interpolated, others carried forward."""
    t = _numeric(part[time_column])
    grid = t[0] + step * np.arange(int(np.floor((t[-1] - t[0]) / step + 1e-9)) + 1)
    out = {}
    for col in part.columns:
        if col == time_column:
            continue
        values = part[col]
        if pd.api.types.is_float_dtype(values):
            out[col] = np.interp(grid, t, values.to_numpy(dtype=float))
        else:
            pos = np.clip(np.searchsorted(t, grid + 1e-9 * step, side="right") - 1, 0, len(t) - 1)
            out[col] = values.to_numpy()[pos]
    times = _from_numeric(grid, part[time_column])
    return pd.DataFrame({time_column: times, **out})


def _as_time(col: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
        if col.isna().any():
            raise DataError(
                f"Time column '{name}' has {int(col.isna().sum())} missing value(s); drop those rows."
            )
        return col
    parsed = pd.to_datetime(col, errors="coerce")
    if parsed.isna().any():
        raise DataError(
            f"Time column '{name}' is neither numeric nor dates (e.g. {col[parsed.isna()].iloc[0]!r})."
        )
    return parsed


def _numeric(col: pd.Series) -> np.ndarray:
    """Times as float (dates in seconds)."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.astype("datetime64[ns]").astype("int64").to_numpy(dtype=float) / 1e9
    return col.to_numpy(dtype=float)


def _from_numeric(values: np.ndarray, like: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(like):
        return pd.to_datetime(values * 1e9).to_numpy()
    return values


@dataclass(frozen=True, eq=False)
class TimeSeriesInfo:
    """What a temporal model keeps about its data: the layout, K, the spacing report and a bank of
    histories (B, K, C) (encoded, lag-first) from which "what happens next" simulations start."""

    layout: TimeSeriesLayout
    lags: int
    spacing: SpacingReport
    windows: int
    dropped: int
    history: torch.Tensor

    def to_dict(self) -> dict[str, Any]:
        return {
            "layout": self.layout.to_dict(),
            "lags": self.lags,
            "spacing": self.spacing.to_dict(),
            "windows": self.windows,
            "dropped": self.dropped,
            "history": self.history.numpy().astype(float).tolist(),  # float32 -> float: exact
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TimeSeriesInfo:
        return cls(
            TimeSeriesLayout.from_dict(d["layout"]),
            int(d["lags"]),
            SpacingReport.from_dict(d["spacing"]),
            int(d["windows"]),
            int(d["dropped"]),
            torch.tensor(d["history"], dtype=torch.float32),
        )


@dataclass(frozen=True)
class LayoutGuess:
    """Candidate time and series columns of a table (for the app's "Analyse as time series")."""

    time_columns: tuple[str, ...]
    series_columns: tuple[str, ...]


def guess_layout(df: pd.DataFrame, max_series_share: float = 0.2) -> LayoutGuess:
    """Columns that look like time (dates, or numbers increasing within the table or within groups)
    and like series ids (few distinct values, each repeated, text or integers).

    A numeric column is a time candidate when it is strictly increasing overall, or when for some
    series candidate it is strictly increasing within every group (in row order) and not constant.
    """
    series = [
        c
        for c in df.columns
        if (
            df[c].dtype == object
            or pd.api.types.is_integer_dtype(df[c])
            or isinstance(df[c].dtype, pd.StringDtype)
        )
        and 1 < df[c].nunique() <= max(2, max_series_share * len(df))
        and df[c].value_counts().min() >= 3
    ]
    times = []
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            times.append(c)
            continue
        if col.dtype == object and c not in series:
            parsed = pd.to_datetime(col, errors="coerce", format="mixed")
            if parsed.notna().all():
                times.append(c)
            continue
        if not pd.api.types.is_numeric_dtype(col) or c in series or col.nunique() < 3:
            continue
        if col.is_monotonic_increasing and col.is_unique:
            times.append(c)
        elif any(
            df.groupby(s, sort=False)[c].apply(lambda v: v.is_monotonic_increasing and v.is_unique).all()
            for s in series
        ):
            times.append(c)
    return LayoutGuess(tuple(times), tuple(s for s in series if s not in times))
