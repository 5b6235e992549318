"""The home page in a real browser, with nothing leaving 127.0.0.1."""

import pytest

from tests.conftest import assert_air_gapped

pytestmark = pytest.mark.e2e


def test_home_page_renders_offline(page):
    from playwright.sync_api import expect

    page.goto(page.base_url)
    expect(page.get_by_role("heading", name="DECI Studio")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name="1. Data")).to_be_visible()
    assert_air_gapped(page)
