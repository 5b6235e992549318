"""AppTest: while training runs, the sidebar and the Discover page name the job's step and a time left
measured from its own steps; after a run, the preset estimates are calibrated by it."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_discover_page import NAMES, open_page, tiny_state
from tests.ui.test_progress_words import reports
from ui.discovery_session import preset_estimates
from ui.jobs import Job
from ui.state import STATE_KEY


def _sidebar_text(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_a_running_job_is_described_by_its_step_and_a_measured_time_left():
    state = tiny_state()
    job = Job("training the model", progress=0.18, message="step 735 of 4,000")
    job.payloads.extend(  # twice as slow as benchmarked
        dict(r, objective=1.0, acyclicity=0.0, num_edges=1, edge_probs=None) for r in reports([5, 735], 0.02)
    )
    state.discovery.job = job
    at = open_page(state)
    assert not at.exception
    assert "training: its progress is shown on this page" in _sidebar_text(at)  # one poller per page
    at.switch_page("pages/2_Constraints.py").run()  # elsewhere the sidebar names the job's step
    sidebar = _sidebar_text(at)
    assert "training: step 735 of 4,000 · about 85 s left" in sidebar and "0%" not in sidebar
    assert "no graph yet" in sidebar  # no run yet: no graph either
    at.switch_page("pages/3_Discover.py").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Time left"] == "about 85 s" and metrics["Step"] == "735"
    job.done, job.finished, job.result = True, time.time(), None  # it ends (nothing kept)
    job.cancelled = True
    at.run()
    assert at.session_state[STATE_KEY].discovery.slowdown == pytest.approx(2.0)
    assert preset_estimates(len(NAMES), 2.0)["standard"] > preset_estimates(len(NAMES))["standard"]
    assert any("calibrated from this session's last run (steps took 2.0×" in c.value for c in at.caption)


def test_the_graph_step_shows_the_discovered_graph_before_it_is_reviewed():
    state = tiny_state()
    at = open_page(state)
    at.button(key="discover.run").click().run()
    state = at.session_state[STATE_KEY]
    state.discovery.job.join(60)
    at.run()
    assert not at.exception and state.discovery.run_key is not None
    assert "the discovered graph (not reviewed yet)" in _sidebar_text(at)
