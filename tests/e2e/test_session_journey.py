"""Browser journey (issue 14): effects on one dataset → upload another → Discover → Graph → Effects,
then a project bundle restored mid-session: nothing made on one dataset is ever shown for another."""

from __future__ import annotations

import re

import pytest

from tests.conftest import assert_air_gapped
from tests.e2e.journey import go, pick, wait_idle
from tests.known_models import chain_data
from tests.ui.report_fixtures import finished_state
from ui.bundle import export_bundle
from ui.model_store import ModelStore
from ui.report_state import ReportState

pytestmark = pytest.mark.e2e


def _discover(page) -> None:
    from playwright.sync_api import expect

    go(page, "3. Discover")
    page.get_by_text("Advanced settings").click()
    seconds = page.get_by_label(re.compile("Time limit in seconds"))
    seconds.fill("8")
    seconds.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Run discovery").click()
    expect(page.get_by_role("heading", name="Result")).to_be_visible(timeout=240_000)


@pytest.mark.timeout(900)
def test_a_dataset_switch_and_a_bundle_restore_never_mix_results(page, tmp_path):
    from playwright.sync_api import expect

    table_b = tmp_path / "chain.csv"
    chain_data(300).round(4).to_csv(table_b, index=False)
    bundle = tmp_path / "project.zip"
    bundle.write_bytes(export_bundle(finished_state(), ReportState(title="Dose and recovery"),
                                     store=ModelStore(tmp_path / "store")))
    page.goto(page.base_url)
    go(page, "1. Data")
    page.get_by_role("button", name=re.compile("Online shop")).click()
    expect(page.get_by_role("link", name=re.compile("Next: 2. Constraints"))).to_be_visible()
    _discover(page)
    go(page, "5. Effects")
    pick(page, "effects.treatment", "discount")
    pick(page, "effects.outcome", "revenue")
    wait_idle(page)
    page.get_by_role("button", name="Estimate effect").click()
    card = page.get_by_text(re.compile(r"discount from .* changes revenue by"))
    expect(card).to_be_visible(timeout=90_000)

    go(page, "1. Data")  # another table: the app asks once what happens to the later steps
    expect(page.get_by_role("heading", name="Upload a table")).to_be_visible()
    wait_idle(page)
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(table_b))
    expect(page.get_by_text(re.compile("This session holds work made on"))).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Keep them where compatible").click()
    expect(page.get_by_text(re.compile("Now using “chain.csv”"))).to_be_visible(timeout=30_000)

    _discover(page)
    go(page, "4. Graph")  # the new run's graph, never the old table's
    expect(page.get_by_role("tab", name="Edges")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile("variables differ from the data now loaded"))).to_have_count(0)
    go(page, "5. Effects")
    expect(page.get_by_role("button", name="Estimate effect")).to_be_visible(timeout=30_000)
    expect(card).to_have_count(0)  # no stale result, and no crash on it
    expect(page.get_by_test_id("stException")).to_have_count(0)

    go(page, "6. Report")  # a bundle restored in the middle of the session replaces everything
    page.get_by_text("Open a project bundle").click()
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(bundle))
    restore = page.get_by_role("button", name="Restore this project")
    expect(restore).to_be_enabled(timeout=30_000)
    restore.click()
    expect(page.get_by_text("Restored data “clinic <trial>.csv”")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile("made on other data"))).to_have_count(0)
    go(page, "5. Effects")
    expect(page.get_by_text(re.compile("No model yet"))).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert not page.errors_seen
    assert_air_gapped(page)
