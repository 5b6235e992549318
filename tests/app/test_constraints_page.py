"""AppTest for the Constraints page: point-and-click rules, conflicts as you go, JSON import/export."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from deci_core.constraints import Constraints
from deci_core.data.schema import infer_schema
from deci_core.samples.synthetic import sem_from_edges
from tests.conftest import APP_DIR
from ui.state import STATE_KEY, AppState, LoadedData

PAGE = "pages/2_Constraints.py"
NAMES = ["age", "income", "revenue"]


def open_page(state: AppState | None = None) -> AppTest:
    """The app's home, then this page (page links need the app as entry point)."""
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=30).run()
    if state is not None:
        at.session_state[STATE_KEY] = state
    return at.switch_page(PAGE).run()


def loaded_state() -> AppState:
    df = sem_from_edges(NAMES, [("age", "income"), ("income", "revenue")]).sample(
        100, np.random.default_rng(0)
    )
    return AppState(data=LoadedData("toy", df, infer_schema(df)))


@pytest.fixture
def at():
    return open_page(loaded_state())


def constraints(at) -> Constraints:
    return at.session_state[STATE_KEY].constraints


def test_without_data_points_to_the_data_page():
    at = open_page()
    assert not at.exception
    assert "Load a dataset first" in at.info[0].value


def test_add_and_remove_a_forbidden_edge(at):
    assert not at.exception
    at.selectbox(key="constraints.source").select("income")
    at.selectbox(key="constraints.target").select("age")
    at.button(key="constraints.add_edge").click().run()
    assert constraints(at).forbidden == (("income", "age"),)
    assert "income does not directly cause age" in " ".join(m.value for m in at.markdown)
    matrix = at.dataframe[0].value
    assert matrix.loc["income", "age"] == "✗" and matrix.loc["age", "income"] == ""
    at.button(key="constraints.remove.forbidden.income\u241fage").click().run()
    assert constraints(at).forbidden == ()


def test_conflicting_required_edge_is_refused_with_the_reason(at):
    at.multiselect(key="constraints.roots").select("age").run()
    assert constraints(at).roots == ("age",)
    at.selectbox(key="constraints.source").select("revenue")
    at.selectbox(key="constraints.target").select("age")
    at.radio(key="constraints.kind").set_value("required")
    at.button(key="constraints.add_edge").click().run()
    assert constraints(at).required == ()
    assert any("Not added" in e.value and "age is a root" in e.value for e in at.error)


def test_tiers_and_leaves_show_in_the_matrix_and_conflicts_are_listed(at):
    at.number_input(key="constraints.tier_count").set_value(2).run()
    at.multiselect(key="constraints.tier.0").select("age").run()
    at.multiselect(key="constraints.tier.1").select("income").select("revenue").run()
    assert constraints(at).tiers == (("age",), ("income", "revenue"))
    matrix = at.dataframe[0].value
    assert matrix.loc["revenue", "age"] == "✗" and matrix.loc["age", "revenue"] == ""
    state = at.session_state[STATE_KEY]
    state.constraints = state.constraints.with_required("income", "age")  # as from an imported file
    at.run()
    assert any("income → age" in e.value and "tier 2" in e.value for e in at.error)


def test_import_json_and_unknown_variables_after_a_new_upload(at):
    text = (
        '{"forbidden": [["age", "height"]], "leaves": ["revenue"],'
        ' "beliefs": [{"edge": ["age", "income"], "probability": 0.7}]}'
    )
    at.file_uploader(key="constraints.import").upload("c.json", text.encode(), "application/json").run()
    c = constraints(at)
    assert c.leaves == ("revenue",) and c.beliefs[0].probability == 0.7
    assert any("'height'" in e.value and "not in the data" in e.value for e in at.error)
    at.button(key="constraints.drop_unknown").click().run()
    assert constraints(at).forbidden == () and constraints(at).leaves == ("revenue",)
    assert not at.error


def test_malformed_file_is_refused_and_keeps_the_constraints(at):
    at.file_uploader(key="constraints.import").upload("c.json", b'{"forbiden": []}', "application/json").run()
    assert constraints(at).is_empty
    assert any("Could not import" in e.value and "Unknown constraint key" in e.value for e in at.error)


def test_soft_belief_with_probability(at):
    at.selectbox(key="constraints.belief_source").select("income")
    at.selectbox(key="constraints.belief_target").select("revenue")
    at.slider(key="constraints.belief_p").set_value(65)
    at.button(key="constraints.add_belief").click().run()
    (belief,) = constraints(at).beliefs
    assert belief.edge == ("income", "revenue") and belief.probability == pytest.approx(0.65)
