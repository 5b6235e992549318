"""AppTest for the Discover page: background training joined in the test, store reuse, cancel, sessions."""

import numpy as np
from streamlit.testing.v1 import AppTest

from deci_core.constraints import Constraints
from deci_core.data.schema import infer_schema
from deci_core.samples.synthetic import sem_from_edges
from tests.conftest import APP_DIR
from ui.discovery_session import current_model, current_run
from ui.discovery_state import DiscoverySettings, DiscoveryState, finished_notice
from ui.model_store import get_store
from ui.state import STATE_KEY, AppState, LoadedData

PAGE = "pages/3_Discover.py"
NAMES = ["a", "b", "c"]
TINY = DiscoverySettings(preset="quick", noise="gaussian", max_steps=20, max_seconds=30, seed=0)


def tiny_state(seed: int = 0, constraints: Constraints | None = None, settings=TINY) -> AppState:
    df = sem_from_edges(NAMES, [("a", "b"), ("b", "c")], seed=seed).sample(150, np.random.default_rng(seed))
    state = AppState(data=LoadedData(f"toy{seed}", df, infer_schema(df)), constraints=constraints)
    state.discovery = DiscoveryState(settings=settings)
    return state


def open_page(state: AppState | None) -> AppTest:
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=60).run()
    if state is not None:
        at.session_state[STATE_KEY] = state
    return at.switch_page(PAGE).run()


def finish(at: AppTest) -> AppState:
    state = at.session_state[STATE_KEY]
    if state.discovery.job is not None:
        state.discovery.job.join(60)
    at.run()
    assert not at.exception
    return state


def test_without_data_points_to_the_data_page():
    at = open_page(None)
    assert not at.exception and "Load a dataset first" in at.info[0].value


def test_presets_show_an_estimated_time():
    at = open_page(tiny_state())
    options = at.radio(key="discover.preset").options
    assert len(options) == 3 and all("about" in o for o in options)
    assert any("at most 30 s (the time limit for 3 variables)" in c.value for c in at.caption)  # pre-start


def test_run_trains_in_the_background_respects_constraints_and_reloads_instantly():
    at = open_page(tiny_state(seed=1, constraints=Constraints(forbidden=[("a", "b")])))
    at.button(key="discover.run").click().run()
    state = finish(at)
    run = current_run(state)
    assert run is not None and run["names"] == NAMES
    assert run["edge_probs"][0][1] == 0.0 and all(e[:2] != ["a", "b"] for e in run["edges"])
    assert current_model(state).graph_posterior_.names == tuple(NAMES)
    assert at.get("plotly_chart") and at.get("iframe")
    assert "Training finished" in at.success[0].value
    assert at.sidebar.caption and any("model ready" in c.value for c in at.sidebar.caption)
    at.button(key="discover.run").click().run()  # same settings again: from the store, no job
    assert state.discovery.job is None and "Loaded instantly" in at.success[0].value


def test_cancel_stops_promptly_and_keeps_nothing():
    slow = DiscoverySettings(preset="quick", noise="gaussian", max_steps=100_000, max_seconds=120, seed=3)
    at = open_page(tiny_state(seed=2, settings=slow))
    at.button(key="discover.run").click().run()
    state = at.session_state[STATE_KEY]
    job = state.discovery.job
    assert job is not None and at.get("progress")
    at.button(key="discover.cancel").click().run()
    job.join(30)
    assert job.done and job.cancelled and job.elapsed_s < 30
    at.run()
    assert current_run(state) is None and "cancelled" in at.warning[0].value


def test_two_sessions_train_independently():
    first, second = open_page(tiny_state(seed=4)), open_page(tiny_state(seed=5))
    first.button(key="discover.run").click().run()
    second.button(key="discover.run").click().run()
    s1, s2 = finish(first), finish(second)
    r1, r2 = current_run(s1), current_run(s2)
    assert r1["data_name"] == "toy4" and r2["data_name"] == "toy5" and r1["key"] != r2["key"]


def test_a_corrupted_stored_model_is_reported_discarded_and_retrained(tmp_path, monkeypatch):
    monkeypatch.setenv("DECI_STUDIO_CACHE", str(tmp_path))
    at = open_page(tiny_state(seed=6))
    at.button(key="discover.run").click().run()
    state = finish(at)
    key = state.discovery.run_key
    weights = next((tmp_path / "models" / key).rglob("weights.pt"))
    weights.write_bytes(b"not a model")
    get_store()._memory.clear()  # as after an app restart: only the disk entry is left
    at = open_page(tiny_state(seed=6))  # a new session with the same data and settings
    at.button(key="discover.run").click().run()
    state = at.session_state[STATE_KEY]
    assert any(
        "corrupted" in w.value and "not loaded" in w.value and "training again" in w.value for w in at.warning
    )
    assert current_run(state) is None and state.discovery.job is not None  # retraining, not loading
    finish(at)
    assert current_model(state) is not None  # the fresh entry replaced the corrupted one


def test_history_reloads_and_compares_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("DECI_STUDIO_CACHE", str(tmp_path))
    at = open_page(tiny_state(seed=7))
    at.button(key="discover.run").click().run()
    state = finish(at)
    first = state.discovery.run_key
    at.number_input(key="discover.seed").set_value(1)
    at.button(key="discover.run").click().run()
    finish(at)
    second = state.discovery.run_key
    assert second != first
    at.selectbox(key="discover.history_pick").set_value(first)
    at.button(key="discover.reload").click().run()
    assert state.discovery.run_key == first and current_run(state)["training_config"]["seed"] == 0
    assert any(m.value.startswith("From A to B:") for m in at.markdown)


def test_the_finished_notice_says_what_the_refinement_changed():
    assert "check" not in finished_notice(12.4, 0)
    assert finished_notice(12.4, 1).endswith("made one change to it.")
    assert "made 3 changes" in finished_notice(40.0, 3) and "40 s" in finished_notice(40.0, 3)


def test_an_unconverged_run_is_flagged_and_continue_training_resumes_it():
    at = open_page(tiny_state(seed=4))  # 20 steps: stopped inside the warm-up
    at.button(key="discover.run").click().run()
    state = finish(at)
    first = current_run(state)
    assert first["summary"]["converged"] is False
    assert any("Not converged" in w.value and "warm-up" in w.value for w in at.warning)
    assert not at.info or all("No edge" not in i.value for i in at.info)  # not presented as a finding
    at.button(key="discover.continue").click().run()
    state = finish(at)
    run = current_run(state)
    assert run["continued_from"] == first["key"]
    assert run["summary"]["steps"] == 40  # 20 kept steps + 20 more, not a fresh 20-step fit
