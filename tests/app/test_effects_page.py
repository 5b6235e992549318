"""AppTest for the Effects page: a tiny model fitted on a known graph is put into the session state."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from deci_core.data.schema import infer_schema
from deci_core.graph.causal_graph import CausalGraph
from tests.conftest import APP_DIR
from tests.known_models import NAMES, adjacency
from ui.graph_state import GraphSession
from ui.state import STATE_KEY, AppState, LoadedData

PAGE = "pages/5_Effects.py"


def open_page(state: AppState | None) -> AppTest:
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=60).run()
    if state is not None:
        at.session_state[STATE_KEY] = state
    return at.switch_page(PAGE).run()


def _state(model, df, units: dict[str, str] | None = None) -> AppState:
    state = AppState()
    state.data = LoadedData("linear.csv", df, infer_schema(df).with_units(units or {}))
    session = GraphSession.from_graph(CausalGraph.from_adjacency(NAMES, adjacency()), "test graph")
    session.effects_model, session.effects_graph = model, session.current
    state.graph = session
    return state


def _settle(at: AppTest) -> AppTest:
    effects = at.session_state[STATE_KEY].effects
    for job in (effects.job, effects.curve_job, effects.subgroup_job, effects.rows_job):
        if job is not None:
            job.join(60)
    return at.run()


def test_without_a_model_the_page_says_what_to_do():
    at = open_page(None)
    assert not at.exception
    assert any("No model yet" in i.value for i in at.info)


@pytest.mark.timeout(120)
def test_estimate_card_report_subgroups_and_what_if(linear_model, linear_data):
    at = open_page(_state(linear_model, linear_data, {"y": "kg", "t": "mg"}))
    assert not at.exception
    at.selectbox(key="effects.treatment").select("t").run()
    at.selectbox(key="effects.outcome").select("y").run()
    at.number_input(key="effects.a.t").set_value(1.0).run()
    at.number_input(key="effects.b.t").set_value(0.0).run()
    at.button(key="effects.run").click().run()
    at = _settle(at)
    assert not at.exception
    sentence = " ".join(s.value for s in at.success)
    assert "Raising t from 0 mg to 1 mg changes y by +" in sentence and " kg (95% interval " in sentence
    effects = at.session_state[STATE_KEY].effects
    assert abs(effects.result.estimate.value - 2.0) < 0.3 and effects.result.linear is not None
    dr = effects.result.dr  # the second opinion: EconML on the adjustment set {w}
    assert dr is not None and dr.set_names == (("w",),)
    assert abs(dr.best().value - 2.0) < 4 * dr.best().std_error
    assert len(at.get("plotly_chart")) >= 1

    at.button(key="effects.add").click().run()
    item = at.session_state[STATE_KEY].effects.report_items[0]
    assert item["estimate"]["query"]["treatment"] == "t" and item["linear_check"]["adjustment_set"] == ["w"]
    assert item["sentence"].startswith("Raising t") and " kg" in item["sentence"]
    assert any("This estimate is in the report" in c.value for c in at.caption)
    assert set(item["doubly_robust"]["learners"]) == {"linear", "forest"}

    at.selectbox(key="effects.modifier").select("w").run()
    at.button(key="effects.curve").click().run()
    at = _settle(at)
    assert at.session_state[STATE_KEY].effects.result.curve.modifier == "w"
    at.slider(key="effects.sub_range.w").set_value((-0.5, 0.5)).run()
    at.button(key="effects.sub_run").click().run()
    at = _settle(at)
    sub = at.session_state[STATE_KEY].effects.subgroup.estimate
    assert sub.query.conditioning == {"w": [-0.5, 0.5]} and abs(sub.value - 2.0) < 0.3
    assert any("for rows with w between" in s.value for s in at.success)
    at.button(key="effects.sub_add").click().run()
    assert at.session_state[STATE_KEY].effects.report_items[-1]["kind"] == "cate"

    at.button(key="effects.rows_run").click().run()
    at = _settle(at)
    rows = at.session_state[STATE_KEY].effects.rows
    assert len(rows) == len(linear_data) and abs(rows["effect"].mean() - 2.0) < 0.3
    assert rows["outside_data"].dtype == bool and len(rows["outside_data"]) == len(rows)

    at.number_input(key="effects.cf_row").set_value(3).run()
    observed = float(linear_data["t"].iloc[3])  # the change offered is the compared value farther away
    farther = 0.0 if abs(observed - 1) < abs(observed) else 1.0
    assert at.number_input(key="effects.cf_value.3").value == farther
    at.number_input(key="effects.cf_value.3").set_value(observed + 1).run()
    at.button(key="effects.cf_run").click().run()
    assert not at.exception
    cf = at.session_state[STATE_KEY].effects.what_if
    assert any("would have been" in m.value and " kg" in m.value for m in at.markdown)
    assert cf.value - float(linear_data["y"].iloc[3]) == pytest.approx(2.0, abs=0.3)


def test_no_path_is_warned(linear_model, linear_data):
    at = open_page(_state(linear_model, linear_data))
    at.selectbox(key="effects.treatment").select("u").run()
    at.selectbox(key="effects.outcome").select("y").run()
    assert any("no directed path" in w.value for w in at.warning)
