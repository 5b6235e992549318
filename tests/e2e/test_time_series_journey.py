"""Browser journey: the time-series sample → a short temporal discovery → the lag view → the
trajectory plot after an intervention."""

import re

import pytest

from tests.conftest import assert_air_gapped
from tests.e2e.journey import go, pick, wait_idle

pytestmark = pytest.mark.e2e


def test_time_series_sample_discover_lag_view_and_trajectory(page, tmp_path):
    from playwright.sync_api import expect

    page.goto(page.base_url)
    go(page, "1. Data")
    page.get_by_role("button", name=re.compile("Shops by week")).click()
    expect(page.get_by_text(re.compile("Spacing: 4 series, 416 rows, evenly spaced"))).to_be_visible()
    expect(page.locator(".st-key-data-ts-acf")).to_be_visible()

    go(page, "3. Discover")
    page.get_by_text("Advanced settings").click()
    steps = page.get_by_label(re.compile(r"Steps \(0: the preset"))
    steps.fill("100")
    steps.press("Enter")
    seconds = page.get_by_label(re.compile("Time limit in seconds"))
    seconds.fill("5")
    seconds.press("Enter")
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Run discovery").click()
    expect(page.get_by_role("heading", name="Result")).to_be_visible(timeout=60_000)

    go(page, "4. Graph")
    expect(page.locator(".st-key-graph-ts-summary")).to_be_visible(timeout=20_000)
    expect(page.locator(".st-key-graph-ts-lags")).to_be_visible()
    expect(page.get_by_text("Lag view (the window unrolled)")).to_be_visible()

    go(page, "5. Effects")
    pick(page, "effects.ts.treatment", "ads")
    pick(page, "effects.ts.outcome", "sales")
    page.get_by_text("Settings").click()
    graphs = page.get_by_role("slider", name="Graphs sampled")
    graphs.focus()
    graphs.press("Home")  # one graph: the journey checks the plot, not the numbers
    wait_idle(page)  # the slider's rerun must end first, or the click is lost
    page.get_by_role("button", name="Simulate the trajectory").click()
    # Wait on what the analyst reads, not on a container's key class: clean-clone runs showed the
    # result's sentence while its keyed wrapper, heading or plots were not (yet) in the DOM, each
    # after the polling fragment's rerun; one showed the sentence and no plot title for 30 s (cause
    # not established: these are the journey's first Plotly charts, whose bundle loads lazily).
    expect(page.get_by_text(re.compile("the largest change in sales is [+-]"))).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Effect on sales by step")).to_be_visible(timeout=90_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "trajectory.png"), full_page=True)
    assert_air_gapped(page)
