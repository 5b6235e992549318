"""Graph-editor responsiveness: the edit round trip in Chromium for a 50-node, 150-edge graph.

One round trip = click a toolbar button in the editor -> the edit travels to Python, is validated
and applied -> the page reruns -> the editor receives and draws the new graph (its ``data-nonce``
changes). Also timed: the wait until the whole page is fresh again (no stale elements).

Run: ``.venv/bin/python bench/editor.py`` (needs /usr/bin/chromium; starts its own server on a free
port; about a minute). Writes the "## Graph editor" section of bench/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
NODES, EDGES, EDITS = 50, 150, 30
EDITOR = "globalThis.__graphEditors && globalThis.__graphEditors.deci_graph_editor"


def random_graph(seed: int = 0) -> dict:
    """A random DAG: EDGES distinct pairs i -> j with i < j over NODES variables."""
    rng = np.random.default_rng(seed)
    pairs = [(i, j) for i in range(NODES) for j in range(i + 1, NODES)]
    chosen = rng.choice(len(pairs), EDGES, replace=False)
    names = [f"v{i:02d}" for i in range(NODES)]
    return {"names": names, "edges": [[names[pairs[k][0]], names[pairs[k][1]]] for k in chosen]}


def start_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).status == 200:
                return proc, base
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("the app did not start")


def one_edit(page, op: str) -> tuple[float, float]:
    """Select a random edge via the editor, press the op's button; seconds to redraw and to idle."""
    nonce = page.evaluate(
        f"() => {{ const s = {EDITOR}; const ids = s.edges.getIds();"
        " s.network.selectEdges([ids[Math.floor(ids.length / 2)]]); return s.root.dataset.nonce; }"
    )
    t0 = time.perf_counter()
    page.get_by_test_id(f"ge-{op}").click()
    page.wait_for_function(f"(n) => ({EDITOR}).root.dataset.nonce !== n", arg=nonce, timeout=30_000)
    drawn = time.perf_counter() - t0
    page.wait_for_function("() => !document.querySelector('[data-stale=true]')", timeout=30_000)
    return drawn, time.perf_counter() - t0


def measure() -> dict:
    from playwright.sync_api import sync_playwright

    graph = random_graph()
    path = Path(tempfile.mkdtemp()) / "bench_graph.json"
    path.write_text(json.dumps(graph))
    proc, base = start_server()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base)
            page.get_by_test_id("stSidebar").get_by_role("link", name="4. Graph").click()
            page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))
            page.get_by_text("bench_graph.json").wait_for()
            page.wait_for_timeout(300)
            t0 = time.perf_counter()
            page.get_by_role("button", name="Import this graph").click()
            page.wait_for_function(EDITOR, timeout=60_000)
            load = time.perf_counter() - t0
            ops = ["reverse", "delete"] * (EDITS // 2)
            times = [one_edit(page, op) for op in ops]
            edges_left = len(json.loads(page.evaluate(f"() => ({EDITOR}).root.dataset.edges")))
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
    drawn, idle = [t[0] for t in times], [t[1] for t in times]
    return {"load": load, "drawn": drawn, "idle": idle, "edges_left": edges_left}


def section(r: dict) -> str:
    def stats(xs):
        return f"median {statistics.median(xs):.2f} s, max {max(xs):.2f} s"

    return (
        "## Graph editor\n\n"
        f"Edit round trip in Chromium for a {NODES}-node, {EDGES}-edge graph (`bench/editor.py`, "
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, Python {platform.python_version()}): "
        f"{EDITS} edits (reverse and delete alternately, each validated by Python).\n\n"
        "| measure | result |\n| --- | --- |\n"
        f"| import -> editor drawn | {r['load']:.2f} s |\n"
        f"| click -> Python applied -> editor redrawn | {stats(r['drawn'])} |\n"
        f"| click -> whole page fresh again | {stats(r['idle'])} |\n"
        f"| edges after the edits | {r['edges_left']} (expected {EDGES - EDITS // 2}) |\n\n"
        f"Target: an edit round trip under 1 s. "
        f"{'Met' if max(r['drawn']) < 1.0 else 'NOT met'} (max {max(r['drawn']):.2f} s).\n"
    )


def write_section(text: str) -> None:
    """Replace (or append) only the '## Graph editor' section of RESULTS.md."""
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"## Graph editor\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _m: text + "\n", old) if pattern.search(old) else old.rstrip() + "\n\n" + text
    RESULTS.write_text(new.rstrip() + "\n")


if __name__ == "__main__":
    result = measure()
    text = section(result)
    print(text)
    write_section(text)
