"""deci_core.samples.scenarios: sample files and data cards match their scenarios; true effects recompute."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from deci_core.data.schema import infer_schema
from deci_core.errors import DataError
from deci_core.samples.scenarios import (
    DATASET_DIR,
    SAMPLES,
    EffectQuery,
    format_effect,
    get_scenario,
    load_sample,
)


def _card_effect_rows(card: str) -> list[list[str]]:
    section = card.split("## True effects", 1)[1]
    rows = [line.strip("| ").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    return rows[1:]  # without the header (the separator row starts with "| ---" and is dropped below)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_sample_file_is_the_scenario_sample(name):
    scenario = get_scenario(name)
    df, card = load_sample(name)
    assert (DATASET_DIR / f"{name}.csv").stat().st_size < 1_100_000
    assert len(df) == 2000
    assert list(df.columns) == list(scenario.extra_meanings) + scenario.sem.names
    expected = scenario.sample_file()
    pd.testing.assert_frame_equal(df, expected, check_dtype=False, atol=1e-9)
    assert card.startswith(f"# {SAMPLES[name]}")


@pytest.mark.parametrize("name", list(SAMPLES))
def test_card_lists_the_true_graph_and_every_variable(name):
    scenario = get_scenario(name)
    _, card = load_sample(name)
    edges = set(re.findall(r"^- (\S+) → (\S+)$", card, flags=re.MULTILINE))
    assert edges == set(scenario.sem.edges()) and edges
    assert f"## True graph ({len(edges)} edges)" in card
    for variable in scenario.sem.names:
        assert f"| {variable} | {scenario.type_of(variable)} |" in card


@pytest.mark.parametrize("name", list(SAMPLES))
def test_card_effects_are_the_scenario_queries(name):
    scenario = get_scenario(name)
    rows = [r for r in _card_effect_rows(load_sample(name)[1]) if not r[0].startswith("---")]
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (q.treatment, str(q.treatment_value), str(q.control_value), q.outcome) for q in scenario.effects
    ]


def test_a_card_effect_recomputes_exactly():
    scenario = get_scenario("marketing")
    query = scenario.effects[0]
    row = next(r for r in _card_effect_rows(load_sample("marketing")[1]) if r[0] == query.treatment)
    assert row[4] == f"{format_effect(scenario.true_ate(query))} dollars"
    assert scenario.true_ate(query) > 0  # the campaign pays off in this scenario


def test_effects_are_in_user_units_and_can_fail():
    scenario = get_scenario("health")
    same = EffectQuery("treatment", "blood_pressure", 1, 1)
    assert scenario.true_ate(same, n=20_000) == 0.0
    per_year = scenario.true_ate(EffectQuery("age", "blood_pressure", 56, 55), n=20_000)
    per_decade = scenario.true_ate(EffectQuery("age", "blood_pressure", 65, 55), n=20_000)
    assert per_decade > 5 * per_year > 0  # in mmHg per year of age, nearly additive


def test_types_in_the_files_are_inferred_as_generated():
    for name in SAMPLES:
        scenario = get_scenario(name)
        df, _ = load_sample(name)
        schema = infer_schema(df)
        assert schema.names == scenario.sem.names, name
        assert [v.type.value for v in schema.modeled] == scenario.sem.types, name


def test_health_has_mixed_types_an_id_a_date_and_some_missing_bmi():
    df, card = load_sample("health")
    schema = infer_schema(df)
    assert "identifier" in schema["patient_id"].reason and "date" in schema["visit_date"].reason
    assert {v.type.value for v in schema.modeled} == {"continuous", "binary", "categorical"}
    assert 0.01 < df["bmi"].isna().mean() < 0.04
    assert "missing" in card


def test_business_scenario_has_a_binary_treatment_in_user_units():
    df, _ = load_sample("marketing")
    assert set(df["email_campaign"]) == {0, 1}
    assert 15_000 < df["marketing_spend"].mean() < 25_000
    assert (df["revenue"] > 0).all()
    assert (np.asarray(df["marketing_spend"]) % 10 == 0).all()


def test_unknown_sample_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="Unknown sample dataset 'nope'"):
        load_sample("nope")
    with pytest.raises(DataError, match="python -m deci_core.samples.scenarios"):
        load_sample("marketing", directory=tmp_path)
