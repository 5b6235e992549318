"""The graph editor in Chromium: import, delete, drag-add, reverse, a rejected cycle, undo, export.

The graph is imported in the page (no training). One variable is named like an XSS payload: it must
show as text and never run.
"""

import json
import re

import pytest

from tests.conftest import assert_air_gapped

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"
EDITOR = "globalThis.__graphEditors && globalThis.__graphEditors.deci_graph_editor"
GRAPH = {
    "names": [XSS, "a", "b", "c", "d"],
    "edges": [[XSS, "a"], ["a", "b"], ["b", "c"], ["a", "d"]],
    "positions": {XSS: [0, -220], "a": [0, -60], "b": [-170, 100], "c": [-170, 260], "d": [170, 100]},
}


def node_xy(page, node):
    """Viewport coordinates of a node on the editor's canvas."""
    return page.evaluate(
        """(node) => {
        const s = globalThis.__graphEditors.deci_graph_editor;
        const d = s.network.canvasToDOM(s.network.getPositions([node])[node]);
        const r = s.root.querySelector('.ge-canvas').getBoundingClientRect();
        return [r.left + d.x, r.top + d.y];
    }""",
        node,
    )


def edge_mid(page, u, v):
    (x1, y1), (x2, y2) = node_xy(page, u), node_xy(page, v)
    return (x1 + x2) / 2, (y1 + y2) / 2


def drag(page, u, v):
    (x1, y1), (x2, y2) = node_xy(page, u), node_xy(page, v)
    page.mouse.move(x1, y1)
    page.mouse.down()
    page.mouse.move(x2, y2, steps=12)
    page.mouse.up()


def python_edges(page, expected):
    """Wait until the editor shows exactly ``expected``: it only draws what Python sent back."""
    want = sorted(map(list, expected))
    page.wait_for_function(
        f"(want) => {{ const s = {EDITOR}; return s && JSON.stringify(JSON.parse(s.root.dataset.edges)"
        ".sort()) === JSON.stringify(want); }",
        arg=want,
        timeout=15_000,
    )


def wait_idle(page):
    """Wait for the script run to finish (the editor is drawn before the rest of the page)."""
    page.wait_for_timeout(150)
    page.wait_for_function("() => !document.querySelector('[data-stale=true]')")


def test_graph_editing_journey(page, tmp_path):
    from playwright.sync_api import expect

    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    path = tmp_path / "expert_graph.json"
    path.write_text(json.dumps(GRAPH))
    page.goto(page.base_url)
    page.get_by_test_id("stSidebar").get_by_role("link", name="4. Graph").click()
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))
    expect(page.get_by_text("expert_graph.json")).to_be_visible()  # uploaded before we import it
    wait_idle(page)
    page.get_by_role("button", name="Import this graph").click()
    page.wait_for_function(EDITOR, timeout=30_000)
    python_edges(page, [(XSS, "a"), ("a", "b"), ("b", "c"), ("a", "d")])
    hint = page.get_by_test_id("ge-hint")

    page.mouse.click(*edge_mid(page, "a", "d"))  # select a -> d, then delete it
    page.get_by_test_id("ge-delete").click()
    python_edges(page, [(XSS, "a"), ("a", "b"), ("b", "c")])
    expect(hint).to_have_text("Deleted a → d.")

    page.get_by_test_id("ge-add").click()  # add c -> d by dragging
    drag(page, "c", "d")
    python_edges(page, [(XSS, "a"), ("a", "b"), ("b", "c"), ("c", "d")])

    page.mouse.click(*edge_mid(page, "b", "c"))
    page.get_by_test_id("ge-reverse").click()
    python_edges(page, [(XSS, "a"), ("a", "b"), ("c", "b"), ("c", "d")])

    page.get_by_test_id("ge-add").click()  # b -> a closes a cycle: Python refuses and names it
    drag(page, "b", "a")
    expect(hint).to_contain_text(re.compile(r"cycle (a → b → a|b → a → b)"))
    expect(page.get_by_test_id("stAlert").filter(has_text="Rejected")).to_be_visible()
    python_edges(page, [(XSS, "a"), ("a", "b"), ("c", "b"), ("c", "d")])

    page.get_by_role("button", name="Undo").click()  # undoes the reverse (the rejection was no edit)
    python_edges(page, [(XSS, "a"), ("a", "b"), ("b", "c"), ("c", "d")])

    page.mouse.move(*edge_mid(page, "a", "b"))  # hovering an edge labels it (here: its origin)
    page.wait_for_function(f"() => ({EDITOR}).edges.get('[\"a\",\"b\"]').label === 'imported'")
    page.mouse.click(*edge_mid(page, "a", "b"))  # lock a -> b as expert-confirmed
    tip = page.get_by_test_id("ge-tip")  # the tooltip names the edge the click selected (issue 14)
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("a → b")
    assert page.evaluate(f"() => ({EDITOR}).network.getSelectedEdges()") == ['["a","b"]']
    expect(hint).to_have_text("Selected a → b.")
    page.get_by_test_id("ge-lock").click()
    expect(hint).to_have_text("Locked a → b.")
    (x, y) = node_xy(page, "d")  # move d: Python remembers where it was put
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y + 40, steps=8)
    page.mouse.up()
    expect(hint).to_have_text("Moved d.")
    wait_idle(page)

    page.get_by_role("tab", name="Import / export").click()
    json_button = page.get_by_role("button", name="JSON", exact=True)
    expect(json_button).to_be_visible()
    with page.expect_download() as download:
        json_button.click()
    exported = json.loads(open(download.value.path()).read())
    with page.expect_download() as png:
        page.get_by_test_id("ge-png").click()  # drawn in the browser from the canvas
    assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert sorted(map(tuple, exported["edges"])) == sorted([(XSS, "a"), ("a", "b"), ("b", "c"), ("c", "d")])
    assert exported["locked"] == [["a", "b"]] and exported["positions"]["d"] != GRAPH["positions"]["d"]

    # The XSS-named variable is shown as text (widget editor, message, canvas), never as markup.
    page.get_by_role("tab", name="Edit with widgets").click()
    expect(page.get_by_role("combobox", name="Source (cause)")).to_have_value(XSS)
    page.get_by_role("button", name="Apply").click()  # default: add <img ...> -> a, already there
    expect(page.get_by_test_id("stAlert")).to_have_text(
        f"Rejected: The edge {XSS} → a is already in the graph."
    )
    x, y = node_xy(page, XSS)
    page.mouse.move(x - 5, y)
    page.mouse.move(x, y, steps=3)  # hover: the tooltip is built with textContent
    tooltip = page.locator(".vis-tooltip")
    expect(tooltip).to_contain_text(XSS)
    page.screenshot(path=str(tmp_path / "graph.png"))
    assert page.locator("img[src='x']").count() == 0  # Playwright locators pierce the shadow root
    assert not dialogs and not page.errors_seen, (dialogs, page.errors_seen)
    assert_air_gapped(page)
