"""The facade on a table with gaps: discovery with the imputer, save/load, refit, ite and counterfactual."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from deci_core.config import ModelConfig
from deci_core.model import DECI
from tests.known_models import FAST, chain_data


@pytest.fixture(scope="module")
def gappy():
    df = chain_data(400, seed=4)
    df.loc[::5, "B"] = np.nan
    df.loc[2::7, "C"] = np.nan
    return df


@pytest.fixture(scope="module")
def model(gappy):
    return DECI(ModelConfig(), replace(FAST, max_steps=400, warmup_steps=100, max_seconds=6)).fit(gappy)


def test_fit_keeps_every_row_and_saves_the_imputer(model, gappy, tmp_path):
    summary = model.fit_summary_
    assert summary.rows == 400 and summary.missing_policy == "model" and summary.dropped_rows == 0
    assert summary.missing_cells == {"A": 0, "B": 80, "C": 57}
    assert model.imputer_ is not None
    loaded = DECI.load(model.save(tmp_path / "run"))
    x, observed = model.encoder_.encode_masked(gappy)
    assert torch.equal(loaded.imputer_.most_likely(x, observed), model.imputer_.most_likely(x, observed))


def test_drop_policy_fits_on_the_complete_rows(gappy):
    config = replace(FAST, max_steps=50, warmup_steps=10, refine=False)
    fitted = DECI(ModelConfig(missing="drop"), config).fit(gappy)
    assert fitted.imputer_ is None and fitted.fit_summary_.rows == len(gappy.dropna())
    assert fitted.fit_summary_.dropped_rows == 400 - len(gappy.dropna())


def test_refit_ite_and_counterfactual_accept_gaps(model, gappy):
    chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    refit = model.refit_on_graph(gappy, chain, steps=60)
    assert refit.imputer_ is not None and refit.imputer_ is not model.imputer_
    rows = gappy.head(12)
    ite = refit.ite(rows, "A", "C", 1.0, 0.0, num_graphs=1, seed=0)
    assert ite.table["effect"].notna().all() and ite.abduction_draws == 16
    again = refit.ite(rows, "A", "C", 1.0, 0.0, num_graphs=1, seed=0)
    assert np.array_equal(ite.table["effect"], again.table["effect"])  # seeded imputations
    complete = rows.dropna().index
    alone = refit.ite(rows.loc[complete], "A", "C", 1.0, 0.0, num_graphs=1, seed=0, abduction_draws=1)
    np.testing.assert_allclose(ite.table.loc[complete, "effect"], alone.table["effect"], atol=1e-5)
    cf = refit.counterfactual(rows.iloc[0], {"A": 1.0}, "C", num_graphs=1)  # row 0 lacks B
    assert np.isfinite(cf.value)
