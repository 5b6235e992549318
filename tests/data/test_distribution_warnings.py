"""Data checks an analyst expects: zero-inflated, skewed, outlying and often-missing columns get a plain
warning saying what to do; column names that look time-ordered are found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deci_core.data.profiling import distribution_warnings, time_ordered_groups, time_tiers
from deci_core.data.schema import infer_schema

RNG = np.random.default_rng(0)
N = 500


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (np.where(RNG.random(N) < 0.6, 0.0, RNG.gamma(2, 3000, N)), "exactly 0 in"),
        (RNG.lognormal(0, 1.5, N), "heavily skewed"),
        (np.r_[RNG.normal(size=N - 6), [40, -40, 45, -45, 50, -50]], "outlier(s)"),
        (np.where(RNG.random(N) < 0.3, np.nan, RNG.normal(size=N)), "% of the rows: dropping"),
        (RNG.normal(size=N), None),  # a plain bell: nothing to say
    ],
)
def test_each_check_fires_only_on_its_shape(values, expected):
    df = pd.DataFrame({"x": values, "y": RNG.normal(size=N)})
    found = distribution_warnings(df, infer_schema(df))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0] and found[0].startswith("'x'")


def test_time_ordered_names():
    names = ["age", "re74", "re75", "re78", "u74", "u75", "treat"]
    assert time_ordered_groups(names) == [["re74", "re75", "re78"], ["u74", "u75"]]
    assert time_tiers(names) == [["re74", "u74"], ["re75", "u75"], ["re78"]]
    assert time_tiers(["weight_before", "weight_after", "x"]) == [["weight_before"], ["weight_after"]]
    assert time_tiers(["x1", "x2", "age"]) == [] and time_ordered_groups(["pre_score", "post_score"])
