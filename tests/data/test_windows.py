"""Windowing of long tables: lag-first windows, never across series, gaps detected and handled."""

import numpy as np
import pandas as pd
import pytest
import torch

from deci_core.data.windows import (
    TimeSeriesLayout,
    build_windows,
    default_lags,
    ordered_series,
    spacing_report,
)
from deci_core.errors import DataError


def _encode(part: pd.DataFrame) -> torch.Tensor:
    return torch.tensor(part[["v", "w"]].to_numpy(dtype=np.float32))


def _table(lengths=(6, 5), start=0.0):
    rows = []
    for s, n in enumerate(lengths):
        for t in range(n):
            rows.append({"id": f"s{s}", "t": start + t, "v": 100.0 * s + t, "w": -(100.0 * s + t)})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # shuffled: order comes from the time column


def test_windows_are_lag_first_and_never_mix_series():
    win = build_windows(_table(), TimeSeriesLayout("t", "id"), 2, _encode)
    assert win.x.shape == (4 + 3, 3, 2)
    v = win.x[..., 0].numpy()
    series_of_value = np.floor(v / 100.0)
    assert (series_of_value == series_of_value[:, :1]).all()  # one series per window
    assert np.allclose(v[:, 0] - v[:, 1], 1.0) and np.allclose(v[:, 1] - v[:, 2], 1.0)  # lag 0 is latest
    assert set(win.series) == {"s0", "s1"} and win.dropped == 0 and win.spacing.regular


def test_a_window_holds_nothing_from_the_future():
    win = build_windows(_table(), TimeSeriesLayout("t", "id"), 2, _encode)
    for x, t in zip(win.x[..., 0].numpy(), win.times, strict=True):
        assert (x % 100 <= t + 1e-9).all()  # every value was observed at or before the window's time


def test_gaps_and_unequal_steps_are_reported_and_their_windows_dropped():
    df = _table(lengths=(8,))
    df = df[df["t"] != 4.0]  # a gap
    df.loc[df["t"] == 6.0, "t"] = 6.5  # an unequal step
    series = ordered_series(df, TimeSeriesLayout("t", "id"))
    report = spacing_report(series, "t")
    assert (report.gaps, report.unequal, report.step) == (1, 2, 1.0)
    assert "gap" in report.sentence()
    win = build_windows(df, TimeSeriesLayout("t", "id"), 1, _encode)
    kept = win.x[..., 0].numpy()
    assert np.allclose(kept[:, 0] - kept[:, 1], 1.0)  # only windows of one regular step survive
    assert win.dropped == 3
    with pytest.raises(DataError, match="irregular"):
        build_windows(df, TimeSeriesLayout("t", "id", gap_policy="error"), 1, _encode)


def test_resampling_fills_the_grid_by_interpolation():
    df = _table(lengths=(6,))
    df = df[df["t"] != 3.0]
    win = build_windows(df, TimeSeriesLayout("t", "id", gap_policy="resample"), 1, _encode)
    assert win.x.shape[0] == 5 and win.dropped == 0
    assert 3.0 in win.x[:, 0, 0].numpy()  # interpolated value at the missing time


def test_duplicate_times_and_unknown_columns_are_user_errors():
    df = pd.concat([_table((4,)), _table((4,))])
    with pytest.raises(DataError, match="repeats"):
        build_windows(df, TimeSeriesLayout("t", "id"), 1, _encode)
    with pytest.raises(DataError, match="not in the table"):
        build_windows(df, TimeSeriesLayout("time", "id"), 1, _encode)


def test_dates_work_as_time():
    df = _table((5,))
    df["t"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df["t"] * 7, unit="D")
    win = build_windows(df, TimeSeriesLayout("t", "id"), 2, _encode)
    assert win.x.shape[0] == 3 and win.spacing.regular


def test_default_lags_follow_the_autocorrelation():
    rng = np.random.default_rng(0)
    white = pd.DataFrame({"t": range(500), "v": rng.normal(size=500)})
    ar = np.zeros(500)
    for k in range(1, 500):
        ar[k] = 0.95 * ar[k - 1] + rng.normal()
    slow = pd.DataFrame({"t": range(500), "v": ar})
    layout = TimeSeriesLayout("t")
    assert default_lags(white, layout, ["v"]) == 1
    assert default_lags(slow, layout, ["v"]) > 1


def test_guess_layout_finds_time_and_series_columns():
    from deci_core.data.windows import guess_layout

    df = _table(lengths=(6, 6)).sort_values(["id", "t"])
    df["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df["t"], unit="D")
    guess = guess_layout(df)
    assert "t" in guess.time_columns and "date" in guess.time_columns and guess.series_columns == ("id",)
    assert guess.time_columns[0] == "t" and "w" not in guess.time_columns  # w decreases
    rng = np.random.default_rng(0)
    plain = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50)})
    assert guess_layout(plain) == type(guess)((), ())
