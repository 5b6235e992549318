"""Browser journey: sample data with a unit → import its true graph → use it for effects → estimate in
that unit → report (issue 14: every number reads in its units)."""

import re

import pytest

from tests.conftest import assert_air_gapped
from tests.e2e.journey import go, pick, wait_idle

pytestmark = pytest.mark.e2e
EDGES = [
    ("season", "marketing_spend"),
    ("season", "discount"),
    ("season", "site_visits"),
    ("marketing_spend", "email_campaign"),
    ("marketing_spend", "site_visits"),
    ("discount", "site_visits"),
    ("discount", "revenue"),
    ("email_campaign", "site_visits"),
    ("email_campaign", "revenue"),
    ("site_visits", "revenue"),
]  # the marketing sample's true graph


def test_estimate_an_effect_on_an_imported_graph_and_add_it_to_the_report(page, tmp_path):
    from playwright.sync_api import expect

    graph_file = tmp_path / "shop.dot"
    graph_file.write_text("digraph {\n" + "".join(f"  {a} -> {b};\n" for a, b in EDGES) + "}\n")
    page.goto(page.base_url)
    go(page, "5. Effects")
    expect(page.get_by_text(re.compile("No model yet"))).to_be_visible()

    go(page, "1. Data")
    page.get_by_role("button", name=re.compile("Online shop")).click()
    expect(page.get_by_role("link", name=re.compile("Next: 2. Constraints"))).to_be_visible()
    wait_idle(page)
    page.locator("summary").filter(has_text=re.compile(r"Units$")).click()  # the expander
    page.get_by_role("textbox", name="revenue").fill("USD")
    page.get_by_role("button", name="Save units").click()
    expect(page.get_by_text(re.compile(r"Units \(1 set\)"))).to_be_visible(timeout=30_000)
    go(page, "4. Graph")
    expect(page.get_by_role("button", name="Import this graph")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(graph_file))
    expect(page.get_by_text("shop.dot")).to_be_visible(timeout=15_000)  # uploaded before we import it
    wait_idle(page)
    page.get_by_role("button", name="Import this graph").click()
    page.get_by_role("tab", name="Use the edits").click(timeout=30_000)
    page.get_by_role("button", name="Use this graph for effects").click()
    # a wait, not a speed target: the refit takes ~30 s idle, several times that on a loaded machine
    expect(page.get_by_text(re.compile("refitted for effects"))).to_be_visible(timeout=240_000)

    go(page, "5. Effects")
    pick(page, "effects.treatment", "discount")
    pick(page, "effects.outcome", "revenue")
    page.get_by_role("button", name="Estimate effect").click()
    sentence = r"(Raising|Lowering) discount from .* changes revenue by [+−][\d,.]+ USD"
    card = page.get_by_text(re.compile(sentence))
    expect(card).to_be_visible(timeout=180_000)  # a wait: EconML on a loaded machine takes minutes
    expect(page.get_by_text("Uncertainty from the graph")).to_be_visible()
    page.get_by_role("tab", name="Doubly robust (EconML)").click()  # the second opinion
    expect(page.get_by_text(re.compile(r"adjusting for \{[^}]*season"))).to_be_visible()
    page.get_by_role("button", name="Add to report").click()
    expect(page.get_by_text(re.compile(r"Added to the report \(1 estimate"))).to_be_visible()
    expect(page.get_by_text("This estimate is in the report (1 estimate(s) in all).")).to_be_visible()
    go(page, "6. Report")
    preview = page.frame_locator("iframe[title='report preview']")
    expect(preview.locator("p.sentence")).to_contain_text(re.compile(r"changes revenue by [+−][\d,.]+ USD"),
                                                          timeout=30_000)
    assert not page.errors_seen
    assert_air_gapped(page)
