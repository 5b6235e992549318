"""AppTest: loading another dataset asks once what happens to the later steps; widgets are per dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from deci_core.data.schema import infer_schema
from deci_core.graph.causal_graph import CausalGraph
from tests.conftest import APP_DIR
from ui.data_view import type_key
from ui.effects_state import EffectsState
from ui.graph_state import GraphSession
from ui.state import STATE_KEY, AppState, LoadedData

PAGE = "pages/1_Data.py"


def _csv(seed: int, first: str = "dose") -> bytes:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=120)
    frame = pd.DataFrame({first: x.round(3), "response": (2 * x + rng.normal(size=120)).round(3)})
    return frame.to_csv(index=False).encode()


def _open(state: AppState | None = None) -> AppTest:
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=30).run()
    if state is not None:
        at.session_state[STATE_KEY] = state
    return at.switch_page(PAGE).run()


def _with_work(content: bytes, name: str) -> AppState:
    from deci_core.data.tables import read_table

    raw = read_table(content, name)
    state = AppState()
    state.load_data(LoadedData(name, raw, infer_schema(raw)))
    fp = state.data.fingerprint
    graph = CausalGraph.from_adjacency(["dose", "response"], np.array([[0, 1], [0, 0]]))
    state.graph = GraphSession.from_graph(graph, "test")
    state.graph.data_fingerprint = fp
    state.effects = EffectsState(treatment="dose", outcome="response", data_fingerprint=fp)
    state.effects.report_items = [{"id": "e1", "data_fingerprint": fp}]
    return state


def _upload(at: AppTest, name: str, content: bytes) -> AppTest:
    return at.file_uploader(key="data.uploader").set_value((name, content, "text/csv")).run()


def test_switching_data_asks_and_clear_drops_the_old_work():
    at = _open(_with_work(_csv(0), "a.csv"))
    at = _upload(at, "b.csv", _csv(1, first="dosage"))
    state = at.session_state[STATE_KEY]
    assert not at.exception and state.data.name == "a.csv" and state.pending_data.name == "b.csv"
    assert at.button(key="data.switch.clear") and at.button(key="data.switch.keep")
    at.button(key="data.switch.clear").click().run()
    state = at.session_state[STATE_KEY]
    assert not at.exception and state.data.name == "b.csv" and state.pending_data is None
    assert state.graph is None and state.effects.report_items == []
    assert any("Cleared" in i.value and "the graph, the estimates" in i.value for i in at.info)


def test_keep_where_compatible_keeps_a_graph_over_the_same_variables():
    at = _open(_with_work(_csv(0), "a.csv"))
    at = _upload(at, "b.csv", _csv(1))
    assert any("same variables and types" in c.value for c in at.caption)
    at.button(key="data.switch.keep").click().run()
    state = at.session_state[STATE_KEY]
    assert not at.exception and state.data.name == "b.csv"
    assert state.graph is not None and state.graph.data_fingerprint == state.data.fingerprint
    assert state.effects.report_items[0]["made_on"] == "a.csv"


def test_the_type_dropdown_is_keyed_per_dataset():
    at = _open()
    at = _upload(at, "a.csv", _csv(0))
    first = at.session_state[STATE_KEY].data
    at.selectbox(key=type_key(first, 0)).select("categorical").run()  # chosen, not applied
    at = _upload(at, "b.csv", _csv(1))  # nothing later to lose: used at once
    second = at.session_state[STATE_KEY].data
    assert second.name == "b.csv" and second.load_id != first.load_id
    assert at.selectbox(key=type_key(second, 0)).value == "continuous"
    assert at.button(key="data.type_apply").disabled
