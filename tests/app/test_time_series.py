"""AppTest for time series: the Data page's toggle, a temporal discovery run, the Graph page's lag view
and per-lag decisions, the Effects page's trajectory and the report's time-series section."""

from __future__ import annotations

import io

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from deci_core.samples.timeseries import weekly_sales
from tests.conftest import APP_DIR
from ui.discovery_session import current_model, run_key_for
from ui.discovery_state import DiscoverySettings, DiscoveryState
from ui.report import content_from_state
from ui.report_html import render_html
from ui.report_state import ReportState
from ui.state import STATE_KEY, AppState
from ui.ts_session import ts_sample_data

TINY = DiscoverySettings(preset="quick", noise="gaussian", max_steps=150, max_seconds=30, seed=0)


def open_page(page: str, state: AppState | None = None) -> AppTest:
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=60).run()
    if state is not None:
        at.session_state[STATE_KEY] = state
    return at.switch_page(page).run()


def app_state(at: AppTest) -> AppState:
    return at.session_state[STATE_KEY]


def test_an_uploaded_series_offers_the_toggle_and_the_layout_enters_the_fingerprint():
    df, _ = weekly_sales(num_series=2, length=60)
    at = open_page("pages/1_Data.py")
    buffer = io.StringIO()
    df.to_csv(buffer, index=False)
    at.file_uploader(key="data.uploader").set_value(
        ("sales.csv", buffer.getvalue().encode(), "text/csv")
    ).run()
    data = app_state(at).data
    assert data.layout is None and not at.exception
    before = data.fingerprint
    toggle = next(t for t in at.toggle if t.key.endswith(".on"))
    toggle.set_value(True).run()
    assert app_state(at).data.layout is None  # nothing applied until the user confirms the columns
    assert any("suggested" in c.value for c in at.caption)  # K from the autocorrelation, with the reason
    apply = next(b for b in at.button if b.key.endswith(".apply"))
    apply.click().run()
    data = app_state(at).data
    assert data.layout is not None and (data.layout.time_column, data.layout.series_column) == (
        "week",
        "shop",
    )
    assert data.schema.names == ["price", "ads", "sales"]  # time and series columns are not variables
    assert data.fingerprint != before and "week" in data.fit_table.columns
    assert any("evenly spaced" in s.value for s in at.success)
    assert {"data.ts.over_time", "data.ts.acf"} <= {c.key for c in at.get("plotly_chart")} or len(
        at.get("plotly_chart")
    ) >= 3
    next(t for t in at.toggle if t.key.endswith(".on")).set_value(False).run()
    assert app_state(at).data.layout is None and app_state(at).data.fingerprint == before


def test_a_gap_is_reported_and_the_policy_is_the_users_choice():
    df, _ = weekly_sales(num_series=2, length=60)
    df = df[~((df.shop == "shop 1") & df.week.between(20, 22))]
    at = open_page("pages/1_Data.py")
    buffer = io.StringIO()
    df.to_csv(buffer, index=False)
    at.file_uploader(key="data.uploader").set_value(
        ("gaps.csv", buffer.getvalue().encode(), "text/csv")
    ).run()
    next(t for t in at.toggle if t.key.endswith(".on")).set_value(True).run()
    next(r for r in at.radio if r.key.endswith(".gap")).set_value("resample").run()
    next(b for b in at.button if b.key.endswith(".apply")).click().run()
    assert app_state(at).data.layout.gap_policy == "resample"
    warning = " ".join(w.value for w in at.warning)
    assert "1 gap" in warning and "resampled" in warning


@pytest.fixture(scope="module")
def trained(model_cache_dir) -> AppState:
    """The time-series sample, discovered with a tiny budget through the Discover page's job."""
    with pytest.MonkeyPatch.context() as mp:  # module scope: set the test store before the autouse fixture
        mp.setenv("DECI_STUDIO_CACHE", str(model_cache_dir))
        return _discover()


def _discover() -> AppState:
    state = AppState()
    state.load_data(ts_sample_data("weekly_sales"))
    state.discovery = DiscoveryState(settings=TINY)
    at = open_page("pages/3_Discover.py", state)
    at.button(key="discover.run").click().run()
    if state.discovery.job is not None:
        state.discovery.job.join(60)
    at.run()
    assert not at.exception
    return state


def test_discovery_runs_a_temporal_fit_and_the_graph_page_shows_the_lag_view(trained):
    model = current_model(trained)
    assert model is not None and model.is_temporal and model.time_series_.lags == 2
    at = open_page("pages/4_Graph.py", trained)
    assert not at.exception
    charts = {c.proto.id for c in at.get("plotly_chart")}
    assert len(charts) == 2  # the summary graph and the lag view
    table = at.data_editor[0].value
    assert set(table.columns) >= {"parent", "child", "lag", "probability", "decision"}
    assert len(table) == 3 * 3 * 3 - 3  # every pair at lags 0..2, no instantaneous self edges
    key_before = run_key_for(trained)
    at.selectbox(key="graph.ts.parent").select("sales").run()
    at.selectbox(key="graph.ts.child").select("ads").run()
    at.selectbox(key="graph.ts.lag").select(1).run()
    at.button(key="graph.ts.apply").click().run()
    assert trained.temporal.decisions == (("sales", "ads", 1, "forbid"),)
    assert run_key_for(trained) != key_before  # the next run obeys the decision: another model
    at.button(key="graph.ts.undo").click().run()
    assert trained.temporal.decisions == () and run_key_for(trained) == key_before


def test_the_effects_page_simulates_a_trajectory_and_the_report_shows_it(trained):
    at = open_page("pages/5_Effects.py", trained)
    at.selectbox(key="effects.ts.treatment").select("ads").run()
    at.selectbox(key="effects.ts.outcome").select("sales").run()
    at.select_slider(key="effects.ts.num_samples").set_value(200).run()
    at.button(key="effects.ts.run").click().run()
    trained.temporal.job.join(60)
    at.run()
    assert not at.exception and trained.temporal.message is None
    result = trained.temporal.trajectory
    assert len(result["estimate_by_step"]) == 11 and result["control_value"] is None
    arms = np.array(result["treated_by_step"]) - np.array(result["control_by_step"])
    assert np.allclose(arms, result["estimate_by_step"], atol=1e-6)  # the plotted arms match the effect
    lo, hi = np.array(result["interval_95_by_step"]).T
    assert (lo <= np.array(result["estimate_by_step"]) + 1e-12).all() and (hi >= lo).all()
    assert {"effects.ts.arms", "effects.ts.effect"} <= {c.key for c in at.get("plotly_chart")} or len(
        at.get("plotly_chart")
    ) == 2
    at.button(key="effects.ts.add").click().run()
    html = render_html(content_from_state(trained, ReportState()))
    assert "Time series: the temporal graph" in html and "What happens next" in html


def test_a_project_bundle_keeps_the_layout_the_temporal_model_and_the_decisions(trained):
    from ui.bundle import export_bundle, load_bundle
    from ui.ts_session import get_temporal

    get_temporal(trained).decide({("price", "ads", 2): "forbid"}, "for the bundle")
    restored = AppState()
    load_bundle(restored, export_bundle(trained))
    assert restored.data.layout == trained.data.layout
    assert restored.data.fingerprint == trained.data.fingerprint
    assert current_model(restored).is_temporal
    assert restored.temporal.decisions == trained.temporal.decisions
    trained.temporal.undo()
