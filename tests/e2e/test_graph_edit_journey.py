"""Browser journey (issue 14): the analyst's edit is drawn in its own style, and an edit against a
declared constraint is refused with the constraint named, then applied once the user changes it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import assert_air_gapped
from tests.e2e.journey import go, pick, wait_idle
from tests.known_models import chain_data

pytestmark = pytest.mark.e2e
EDITOR = "globalThis.__graphEditors && globalThis.__graphEditors.deci_graph_editor"


@pytest.mark.timeout(300)
def test_an_edit_is_styled_as_yours_and_a_forbidden_one_is_refused(page, tmp_path):
    from playwright.sync_api import expect

    table, graph = tmp_path / "chain.csv", tmp_path / "chain.dot"
    chain_data(200).round(4).to_csv(table, index=False)
    graph.write_text("digraph { A; B -> C; }\n")
    page.goto(page.base_url)
    go(page, "1. Data")
    expect(page.get_by_role("heading", name="Upload a table")).to_be_visible()
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(table))
    expect(page.get_by_role("link", name=re.compile("Next: 2. Constraints"))).to_be_visible(timeout=30_000)
    go(page, "2. Constraints")
    pick(page, "constraints.source", "A")
    pick(page, "constraints.target", "B")
    wait_idle(page)
    page.get_by_role("button", name="Add edge").click()
    expect(page.get_by_text("Added: A → B forbidden.")).to_be_visible()

    go(page, "4. Graph")
    expect(page.get_by_role("button", name="Import this graph")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(graph))
    expect(page.get_by_text("chain.dot")).to_be_visible(timeout=15_000)
    wait_idle(page)
    page.get_by_role("button", name="Import this graph").click()
    page.get_by_role("tab", name="Edit with widgets").click(timeout=30_000)
    wait_idle(page)  # the widget editor's defaults: add A -> B
    page.get_by_role("button", name="Apply", exact=True).click()
    refused = page.get_by_test_id("stAlert").filter(has_text="contradicts your constraints")
    expect(refused.filter(has_text="forbidden explicitly")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name=re.compile("Change the constraint to allow A → B")).click()
    changed = page.get_by_test_id("stAlert").filter(has_text="The constraint was changed to allow")
    expect(changed).to_be_visible(timeout=30_000)

    page.wait_for_function(f"() => {{ const s = {EDITOR}; return s && s.edges.get('[\"A\",\"B\"]'); }}",
                           timeout=15_000)
    style = page.evaluate(f"() => {{ const e = ({EDITOR}).edges.get('[\"A\",\"B\"]');"
                          " return [e.color.color, e.color.opacity, e.dashes, e.width]; }")
    assert style == ["#d9480f", 1, False, 3]  # solid, opaque, full arrowhead: "your edit"
    expect(page.get_by_test_id("ge-edit-key")).to_be_visible()
    go(page, "2. Constraints")
    expect(page.get_by_role("heading", name="Constraints")).to_be_visible()
    expect(page.get_by_text(re.compile("A → B forbidden"))).to_have_count(0)
    assert not page.errors_seen
    assert_air_gapped(page)
