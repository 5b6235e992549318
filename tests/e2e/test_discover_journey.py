"""Browser journey: sample data → forbid an edge → quick discovery → progress, page switch, result."""

import json
import re

import pytest

from tests.conftest import assert_air_gapped
from tests.e2e.journey import go, pick

pytestmark = pytest.mark.e2e
FORBIDDEN = ("site_visits", "revenue")  # a true edge of the marketing sample


def test_forbid_an_edge_then_discover_with_progress_and_a_page_switch(page, model_cache_dir):
    from playwright.sync_api import expect

    page.goto(page.base_url)
    go(page, "1. Data")
    page.get_by_role("button", name=re.compile("Online shop")).click()
    expect(page.get_by_role("link", name=re.compile("Next: 2. Constraints"))).to_be_visible()

    go(page, "2. Constraints")
    expect(page.get_by_role("heading", name="Every pair at a glance")).to_be_visible()
    pick(page, "constraints.source", FORBIDDEN[0])
    pick(page, "constraints.target", FORBIDDEN[1])
    page.get_by_role("button", name="Add edge").click()
    expect(page.get_by_text("Added: site_visits → revenue forbidden.")).to_be_visible()

    go(page, "3. Discover")
    page.get_by_text("Advanced settings").click()
    seconds = page.get_by_label(re.compile("Time limit in seconds"))
    seconds.fill("10")
    seconds.press("Enter")
    page.get_by_role("button", name="Run discovery").click()
    expect(page.get_by_test_id("stProgress")).to_be_visible(timeout=15_000)
    expect(page.get_by_text(re.compile(r"Training: step \d"))).to_be_visible(timeout=30_000)

    go(page, "2. Constraints")  # mid-run: the job keeps going
    expect(page.get_by_role("heading", name="Constraints")).to_be_visible()
    go(page, "3. Discover")
    expect(page.get_by_role("heading", name="Result")).to_be_visible(timeout=40_000)
    graph = page.frame_locator("iframe[title='most probable causal graph']")
    expect(graph.locator("#mynetwork canvas")).to_be_visible()

    runs = [json.loads(p.read_text()) for p in model_cache_dir.glob("models/*/run.json")]
    # other tests share the store (refits, hand-made entries): pick this journey's run
    (run,) = [
        r
        for r in runs
        if r.get("data_name", "").startswith("marketing") and r.get("constraints", {}).get("forbidden")
    ]
    assert run["constraints"]["forbidden"] == [list(FORBIDDEN)]
    names = run["names"]
    assert run["edge_probs"][names.index(FORBIDDEN[0])][names.index(FORBIDDEN[1])] == 0.0
    assert list(FORBIDDEN) not in [e[:2] for e in run["edges"]]
    assert not page.errors_seen
    assert_air_gapped(page)
