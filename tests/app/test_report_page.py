"""AppTest for the Report page: options, downloads, preview; restoring a project bundle."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import APP_DIR
from tests.ui.report_fixtures import REVIEWED, finished_state
from ui.bundle import export_bundle
from ui.report_state import ReportState
from ui.state import STATE_KEY, AppState

PAGE = "pages/6_Report.py"


def _page(state: AppState | None = None) -> AppTest:
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=60).run()
    if state is not None:
        at.session_state[STATE_KEY] = state
    return at.switch_page(PAGE).run()


def test_empty_session_offers_to_open_a_bundle():
    at = _page()
    assert not at.exception
    assert "Nothing to report yet" in at.info[0].value
    assert at.get("file_uploader") and at.button(key="report.restore").disabled  # until a file is chosen


def test_choices_shape_the_report_and_downloads_are_offered():
    at = _page(finished_state())
    assert not at.exception, at.exception
    assert at.selectbox(key="report.version").value == REVIEWED
    assert set(at.multiselect(key="report.items").value) == {"dose-recovery", "age-recovery"}
    at.text_input(key="report.title").input("Dose and recovery").run()
    at.multiselect(key="report.items").unselect("age-recovery").run()
    at.multiselect(key="report.sections").unselect("model").run()
    assert not at.exception
    options: ReportState = at.session_state[STATE_KEY].report
    assert options.title == "Dose and recovery" and options.item_ids == ("dose-recovery",)
    assert "model" not in options.sections and options.last_built
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Report (HTML)", "Estimates (CSV)", "Project bundle (.zip)"} <= set(labels)
    assert any(label.startswith("Graph (") for label in labels)
    assert at.get("iframe")  # the preview
    assert any(c.value.startswith("built ") for c in at.sidebar.caption)  # the workflow status


def test_restoring_a_bundle_replaces_the_session_and_a_bad_one_changes_nothing():
    source = finished_state()
    blob = export_bundle(source, ReportState(title="From the bundle"), store=_store_dummy())
    at = _page(AppState())
    at.file_uploader(key="report.bundle").upload("project.zip", blob, "application/zip").run()
    at.button(key="report.restore").click().run()
    assert not at.exception, at.exception
    state = at.session_state[STATE_KEY]
    assert state.data.fingerprint == source.data.fingerprint
    assert state.graph.current == source.graph.current and len(state.effects.report_items) == 2
    assert at.success and "Restored data “clinic \\<trial\\>\\.csv”" in at.success[0].value  # escaped
    assert at.text_input(key="report.title").value == "From the bundle"

    at.file_uploader(key="report.bundle").upload("broken.zip", b"not a zip", "application/zip").run()
    at.button(key="report.restore").click().run()
    assert not at.exception
    assert any("not a zip file" in e.value for e in at.error)
    assert at.session_state[STATE_KEY].data.fingerprint == source.data.fingerprint


def _store_dummy():
    """A model store for a session without models (export only looks up the current run)."""
    from ui.model_store import ModelStore, cache_dir

    return ModelStore(cache_dir())


def test_pdf_button_prints_the_report_when_chromium_is_here():
    from ui.report_export import PDF_HELP, chromium_path

    at = _page(finished_state())
    if chromium_path() is None:
        assert any(PDF_HELP in c.value for c in at.caption)
        return
    at.button(key="report.make_pdf").click().run()
    assert not at.exception and not at.warning
    pdf = at.session_state["report.pdf"][1]
    assert pdf.startswith(b"%PDF")
    assert "Report (PDF)" in [b.proto.label for b in at.get("download_button")]
