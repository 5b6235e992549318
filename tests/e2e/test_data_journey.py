"""The Data page in a real browser: upload a CSV, see the preview, summary and warnings; load a sample.

Column names that look like HTML must show as literal text. Set DECI_STUDIO_SCREENSHOT=path to also
save a screenshot of the page with a sample loaded (the README's picture: assets/screenshot.png).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from tests.conftest import assert_air_gapped

pytestmark = pytest.mark.e2e
SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>bold</b>"


def _open_data_page(page):
    from playwright.sync_api import expect

    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(page.base_url)
    page.get_by_test_id("stSidebar").get_by_role("link", name="1. Data").click()
    expect(page.get_by_role("heading", name="Data", exact=False).first).to_be_visible()
    expect(page.get_by_text("No data yet: upload a file")).to_be_visible()
    return dialogs


def test_upload_a_csv_and_see_how_it_was_understood(page, tmp_path):
    from playwright.sync_api import expect

    dialogs = _open_data_page(page)
    rng = np.random.default_rng(0)
    x = rng.normal(size=150)
    frame = pd.DataFrame(
        {"dose": x.round(3), "response": (x + rng.normal(size=150)).round(3), BOLD: 1, SCRIPT: np.nan}
    )
    path = tmp_path / "trial.csv"
    frame.to_csv(path, index=False, sep=";", decimal=",")
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))

    expect(page.get_by_text("150 rows × 4 columns")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("trial.csv: 150 rows × 2 variables")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()  # the preview
    expect(page.get_by_role("heading", name="Columns")).to_be_visible()
    expect(page.get_by_text("2 modelled variables", exact=False)).to_be_visible()
    alerts = page.get_by_test_id("stAlert")
    expect(alerts.filter(has_text=f"'{BOLD}' is constant")).to_be_visible()  # literal, not bold
    expect(alerts.filter(has_text=f"'{SCRIPT}' is empty")).to_be_visible()
    assert alerts.locator("b").count() == 0 and page.locator("script", has_text="alert(1)").count() == 0
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    assert not dialogs, dialogs
    assert not page.errors_seen, page.errors_seen
    assert_air_gapped(page)


def test_sample_dataset_in_one_click(page):
    from playwright.sync_api import expect

    _open_data_page(page)
    page.get_by_role("button", name="Online shop", exact=False).click()
    expect(page.get_by_text("2,000 rows × 6 columns")).to_be_visible()
    expect(page.get_by_text("Data card", exact=False)).to_be_visible()
    expect(page.get_by_text("No warnings", exact=False)).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    shot = os.environ.get("DECI_STUDIO_SCREENSHOT")
    expect(
        page.get_by_test_id("stSidebar").get_by_text("marketing: 2,000 rows × 6 variables")
    ).to_be_visible()
    if shot:
        page.get_by_text("2,000 rows × 6 columns").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(1500)  # let plotly finish drawing
        page.screenshot(path=shot, full_page=False)
    assert_air_gapped(page)
