"""Steps every browser journey takes: pick a select-box option, go to a page, wait for the rerun."""

from __future__ import annotations


def wait_idle(page) -> None:
    """Wait for the script run to finish (a click during a rerun can be lost)."""
    page.wait_for_timeout(150)
    page.wait_for_function("() => !document.querySelector('[data-stale=true]')")


def pick(page, key: str, option: str) -> None:
    """Choose ``option`` in the select box whose widget key is ``key``."""
    from playwright.sync_api import expect

    wait_idle(page)
    box = page.locator(f".st-key-{key.replace('.', '-')}").get_by_role("combobox")
    expect(box).to_be_visible(timeout=30_000)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def go(page, link: str) -> None:
    """Follow the sidebar's link named ``link`` (e.g. "3. Discover")."""
    page.get_by_test_id("stSidebar").get_by_role("link", name=link).click()
