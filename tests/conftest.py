"""Shared fixtures: a real app server on a free loopback port, Chromium, and the air-gap guard."""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pandas as pd
import pytest

from deci_core.config import ModelConfig
from deci_core.fixed_graph import FixedGraphModel
from deci_core.model import DECI
from tests.known_models import FAST, adjacency, chain_data, fit_fixed, linear_table

APP_DIR = pathlib.Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory) -> pathlib.Path:
    """A fresh model store for the whole test session (never the user's cache)."""
    return tmp_path_factory.mktemp("model-store")


@pytest.fixture(autouse=True)
def _isolated_model_store(model_cache_dir, monkeypatch):
    monkeypatch.setenv("DECI_STUDIO_CACHE", str(model_cache_dir))


@pytest.fixture(scope="session")
def server(model_cache_dir):
    """`streamlit run app.py` on a free port; yields its base URL; killed by process group."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DECI_STUDIO_CACHE": str(model_cache_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=APP_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.time() + 90
    while True:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).status == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise RuntimeError(proc.stdout.read().decode(errors="replace"))
        time.sleep(0.2)
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright. Skipped locally when missing; CI must have it."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: `make chromium` must install it")
        pytest.skip(f"{CHROMIUM} missing: `apt-get install -y chromium` to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A browser page on the app, with every request off 127.0.0.1 aborted and recorded.

    Tests end with ``assert_air_gapped(page)``; ``page.base_url`` is the server's URL.
    """
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    page.base_url = server
    page.requests_seen, page.blocked, page.errors_seen = [], [], []
    local = (f"{server}/", server.replace("http", "ws") + "/", "data:", "blob:", "about:")

    def guard(route):
        url = route.request.url
        page.requests_seen.append(url)
        if url.startswith(local):
            route.continue_()
        else:
            page.blocked.append(url)
            route.abort()

    ctx.route("**/*", guard)
    page.on("websocket", lambda ws: page.requests_seen.append(ws.url))
    page.on("pageerror", lambda e: page.errors_seen.append(str(e)))
    page.set_default_timeout(30_000)
    yield page
    ctx.close()


def assert_air_gapped(page) -> None:
    """Fail if the page tried to reach anything but the local server."""
    assert not page.blocked, f"requests left the machine: {page.blocked}"


@pytest.fixture(scope="session")
def chain_df() -> pd.DataFrame:
    """A -> B -> C, nonlinear, uniform noise (1,000 rows)."""
    return chain_data()


@pytest.fixture(scope="session")
def fitted_chain(chain_df: pd.DataFrame) -> DECI:
    return DECI(ModelConfig(noise="spline"), FAST).fit(chain_df)


@pytest.fixture(scope="session")
def linear_data() -> pd.DataFrame:
    return linear_table()


@pytest.fixture(scope="session")
def linear_model(linear_data) -> FixedGraphModel:
    return fit_fixed(linear_data, adjacency())
