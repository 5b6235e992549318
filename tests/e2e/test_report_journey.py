"""The Report page in a real browser: restore a project bundle, download the report, open it offline.

The downloaded HTML is opened from disk with every request other than file:, data: and blob:
aborted and recorded: the plotly charts and the graph drawing must render from the file alone.
"""

from __future__ import annotations

import pytest

from tests.conftest import assert_air_gapped
from tests.ui.report_fixtures import finished_state
from ui.bundle import export_bundle
from ui.model_store import ModelStore
from ui.report_state import ReportState

pytestmark = pytest.mark.e2e


def test_restore_a_bundle_download_the_report_and_open_it_offline(page, browser, tmp_path):
    from playwright.sync_api import expect

    bundle = tmp_path / "project.zip"
    bundle.write_bytes(export_bundle(finished_state(), ReportState(title="Dose and recovery"),
                                     store=ModelStore(tmp_path / "store")))
    page.goto(page.base_url)
    page.get_by_test_id("stSidebar").get_by_role("link", name="6. Report").click()
    expect(page.get_by_text("Nothing to report yet")).to_be_visible()
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(bundle))
    restore = page.get_by_role("button", name="Restore this project")
    expect(restore).to_be_enabled(timeout=30_000)  # enabled once the upload reached the server
    restore.click()
    restored = page.get_by_text("Restored data “clinic <trial>.csv”")  # a name shows as text
    expect(restored).to_be_visible(timeout=30_000)
    expect(page.get_by_role("textbox", name="Title")).to_have_value("Dose and recovery")
    expect(page.locator("iframe[title='report preview']")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Report (HTML)").click()
    report = tmp_path / "report.html"
    download.value.save_as(report)
    assert_air_gapped(page)

    context = browser.new_context(viewport={"width": 1200, "height": 900})
    offline = context.new_page()
    seen, blocked, errors = [], [], []

    def guard(route):
        url = route.request.url
        seen.append(url)
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    offline.on("pageerror", lambda e: errors.append(str(e)))
    try:
        offline.goto(report.as_uri())
        expect(offline.get_by_role("heading", name="Dose and recovery", level=1)).to_be_visible()
        expect(offline.locator(".plot-container .main-svg").first).to_be_visible()
        assert offline.locator(".js-plotly-plot").count() == 2  # the effects overview and one CATE curve
        assert offline.locator(".js-plotly-plot .scatterlayer .trace").count() >= 3
        graph = offline.locator("#graph img")
        expect(graph).to_be_visible()
        assert graph.evaluate("img => img.complete && img.naturalWidth > 0")
        assert blocked == [] and errors == []
        assert all(url.startswith(("file:", "data:")) for url in seen)
    finally:
        context.close()
