"""The stakeholder report: every section, the engine's numbers, escaping, nothing fetched from outside."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import plotly.offline
import pytest

from tests.ui.report_fixtures import NAMES, REVIEWED, estimates, finished_state, report_items, scan
from ui.graph_state import DISCOVERED
from ui.number_format import format_number
from ui.report import content_from_state
from ui.report_export import PdfUnavailable, chromium_path, estimates_csv, graph_files, html_to_pdf
from ui.report_html import render_html
from ui.report_state import ReportState
from ui.report_types import OPTIONAL_SECTIONS, effect_view
from ui.state import AppState

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
ALWAYS = ("question", "effects", "assumptions", "provenance")


@pytest.fixture(scope="module")
def report():
    state = finished_state()
    options = ReportState(title="Does the dose help?", question="Should we give the dose?\n\nTo whom?")
    content = content_from_state(state, options, now=NOW)
    return content, render_html(content)


def _section(html: str, key: str) -> str:
    match = re.search(rf"<section id='{key}'>(.*?)</section>", html, re.S)
    assert match, f"section {key} missing"
    return match.group(1)


def _effect_block(html: str, effect_id: str) -> str:
    match = re.search(rf"<article class='effect' id='{effect_id}' (.*?)</article>", html, re.S)
    assert match, effect_id
    return match.group(1)


def test_report_has_every_section(report):
    content, html = report
    for key in (*ALWAYS, *OPTIONAL_SECTIONS):
        if key in ("cate", "crosscheck"):
            continue
        _section(html, key)
    assert "<h1>Does the dose help?</h1>" in html
    assert "<p>Should we give the dose?</p><p>To whom?</p>" in _section(html, "question")
    data = _section(html, "data")
    assert "clinic &lt;trial&gt;.csv" in data and "<b>299</b> rows" in data and "Drop rows" in data
    assert "Missing cells in the modelled columns: 1 (age 1); rows with at least one: 1." in data
    assert all(name in data for name in ("age", "dose", "recovery")) and "binary" in data
    knowledge = _section(html, "knowledge")
    assert all(s in knowledge for s in ("recovery", "age")) and "<li>" in knowledge
    graph = _section(html, "graph")
    assert "<img alt='causal graph, version after expert review' src='data:image/svg+xml;base64," in graph
    assert "removed age → dose" in graph and "versus the <b>discovered</b> graph" in graph
    assert "<td>dose</td><td>recovery</td><td>80%</td><td>confirmed (locked)</td>" in graph
    for assumption in ("No hidden confounders", "Additive noise", "acyclicity", "Positivity"):
        assert assumption in _section(html, "assumptions")
    assert "dose = 1 in" in _section(html, "assumptions")  # the overlap check on this data
    provenance = _section(html, "provenance")
    assert content.data.fingerprint in provenance and "2026-11-30 09:30 UTC" in provenance
    assert content.app_version in provenance and content.app_version != "unknown"


def test_each_estimate_shows_the_value_objects_numbers(report):
    content, html = report
    engine = estimates()
    for index, item in enumerate(report_items()):
        est = engine[item["id"]]
        block = _effect_block(html, item["id"])
        low, high = est.interval_95
        assert f"data-value='{est.value!r}'" in block
        assert f"data-low='{low!r}' data-high='{high!r}'" in block
        assert f"data-graph-share='{est.graph_share!r}'" in block
        scale = max(abs(est.value), est.std_error)
        shown = [format_number(x, scale=scale) for x in (low, high, est.std_error)]
        assert format_number(est.value, signed=True, scale=scale) in block
        assert f"{shown[0]} to {shown[1]}" in block
        assert f"{est.graph_share:.0%}" in block and shown[2] in block
        view = effect_view(item, index)
        assert (view.value, view.low, view.high, view.graph_share) == (est.value, low, high, est.graph_share)
    first = _effect_block(html, "dose-recovery")
    assert "data-linear-value='0.4102'" in first and "DECI and the linear cross-check agree:" in first
    assert "few rows with dose = 1" in first  # the engine's caveats
    assert "On the 2 different graphs considered, the effect ranges from +0.4 to +0.45." in first
    assert "cate" in first and "chart-" in first  # the CATE chart of the first estimate
    assert "Linear cross-check: not computed" in _effect_block(html, "age-recovery")


def test_user_strings_are_escaped(report):
    _, html = report
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_no_external_resource_reference(report):
    _, html = report
    scanner = scan(html)
    assert scanner.references == []
    bundle = plotly.offline.get_plotlyjs()
    # plotly.js is inlined once, verbatim; only it may hold URL strings (links in map attributions,
    # XML namespaces), none of which our charts load. Every other script is URL-free.
    vendored = [s for s in scanner.scripts if bundle in s]
    assert len(vendored) == 1
    ours = "".join(s for s in scanner.scripts if bundle not in s)
    assert not re.search(r"https?:", ours)
    outside_scripts = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert not re.search(r"https?:", outside_scripts)


def test_scanner_finds_references_it_should():
    sample = ("<link rel=stylesheet href='https://cdn.example/x.css'><img src=\"http://a.b/c.png\">"
              "<style>@font-face{src:url(https://fonts.example/f.woff)}</style>"
              "<div style='background:url(//x.y/z)'>"
              "<script src='https://cdn.plot.ly/plotly.js'></script><script>var a='https://ok.in/code'</script>"
              "<img src='local.png'><img src='data:image/png;base64,AAAA'><a href='#x'>x</a>")
    scanner = scan(sample)
    assert len(scanner.references) == 6
    assert scanner.scripts == ["var a='https://ok.in/code'"]


def test_sections_can_be_left_out_and_missing_steps_say_not_done():
    state = AppState()
    options = ReportState(sections=("data", "graph", "model", "knowledge"))
    html = render_html(content_from_state(state, options, now=NOW))
    for key in ("data", "graph", "model", "knowledge", "effects"):
        assert "Not done" in _section(html, key), key
    assert "plotly" not in html.lower()  # no chart, no 4.8 MB of plotly.js
    html = render_html(content_from_state(finished_state(), ReportState(sections=()), now=NOW))
    assert "<section id='data'>" not in html and "<section id='graph'>" not in html
    assert "chart-2" not in html and "Linear cross-check:" not in html  # CATE and cross-check left out
    assert "Effects with 95% intervals" in html


def test_estimates_csv_has_full_precision_numbers():
    content = content_from_state(finished_state(), ReportState(item_ids=("age-recovery",)), now=NOW)
    rows = list(csv.DictReader(io.StringIO(estimates_csv(content.effects))))
    assert [r["id"] for r in rows] == ["age-recovery"]
    est = estimates()["age-recovery"]
    assert float(rows[0]["value"]) == est.value and float(rows[0]["ci95_high"]) == est.interval_95[1]
    assert rows[0]["treatment"] == "age" and rows[0]["linear_value"] == ""


def test_graph_exports_in_every_format():
    from deci_core.graph.formats import read_graph

    state = finished_state()
    files = graph_files(state, REVIEWED)
    assert set(files) == {f"graph.{ext}" for ext in ("gml", "dot", "dagitty.txt", "json", "csv", "svg")}
    for name, kind in (("graph.gml", "gml"), ("graph.dot", "dot"), ("graph.json", "json")):
        assert read_graph(files[name], kind, NAMES).edges == state.graph.versions[REVIEWED].edges
    assert graph_files(state, DISCOVERED)["graph.csv"].count("\n") > files["graph.csv"].count("\n")
    assert graph_files(AppState(), None) == {}


def test_pdf_prints_with_chromium_or_says_how_to_get_one(report, monkeypatch):
    _, html = report
    if chromium_path() is not None:
        assert html_to_pdf(html).startswith(b"%PDF")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("ui.report_export.chromium_path", lambda: None)
    with pytest.raises(PdfUnavailable, match="print it to PDF"):
        html_to_pdf(html)


def test_model_settings_and_discovered_graph_come_from_the_current_run():
    from tests.ui.report_fixtures import train_into
    from ui.discovery_session import current_model
    from ui.model_store import get_store

    state = finished_state()
    train_into(state, get_store())
    state.graph = None  # no graph editing: the report shows the discovered graph
    content = content_from_state(state, ReportState(), now=NOW)
    html = render_html(content)
    model, appendix = _section(html, "model"), _section(html, "appendix")
    assert "<td>Noise model</td><td>flexible (spline): any noise shape</td>" in model
    assert "model." not in model and "seed" not in model  # raw names and seeds only in the appendix
    assert "<td>model.noise</td><td>spline</td>" in appendix
    assert "<td>training.max_steps</td><td>60</td>" in appendix
    assert "seed of " not in _section(html, "effects") + _section(html, "provenance")
    assert "Training had not converged" in model  # 60 steps: too few after the warm-up
    hashes = content.model["config_hash"]
    assert hashes and hashes in appendix and content.model["seed"] == 0
    assert "h2+*,h3+*{break-before:avoid" in html and "break-after:avoid" in html  # keep-with-next
    assert "Noise model used: <code>spline</code>" in _section(html, "assumptions")
    graph = _section(html, "graph")
    assert content.graph.version == DISCOVERED and "Version shown: <b>discovered</b>" in graph
    assert ("dose", "recovery", 1.0) in content.graph.edges  # a required edge: probability 1
    posterior = current_model(state).graph_posterior_.edge_probs
    assert all(p == posterior.loc[a, b] for a, b, p in content.graph.edges)


def test_overlap_checks_on_text_and_numeric_treatments():
    import numpy as np
    import pandas as pd

    from deci_core.data.schema import infer_schema
    from ui.report_sources import positivity_checks
    from ui.state import LoadedData

    df = pd.DataFrame({"sex": pd.array(["f", "m", "m", "m"] * 25, dtype="str"), "x": np.linspace(0, 1, 100)})
    state = AppState(data=LoadedData("t", df, infer_schema(df)))

    def view(treatment, a, b):
        query = {"treatment": treatment, "outcome": "y", "treatment_value": a, "control_value": b}
        return effect_view({"estimate": {"value": 0.0, "interval_95": [0.0, 0.0], "query": query}})

    checks = positivity_checks(state, [view("sex", "m", "f"), view("x", 2.0, 0.5)])
    assert checks == ["sex = m in 75% of the rows.", "sex = f in 25% of the rows.",
                      "x = 2 is OUTSIDE (an extrapolation) the observed range 0 to 1.",
                      "x = 0.5 is inside the observed range 0 to 1."]


def test_a_broken_step_or_estimate_does_not_take_the_report_down(caplog):
    state = finished_state()
    state.graph.versions = {"discovered": "not a graph"}  # a bug elsewhere
    state.effects.report_items.append({"id": "bad", "estimate": {"value": "not a number"}})
    content = content_from_state(state, ReportState(), now=NOW)
    assert content.graph is None and [e.id for e in content.effects] == ["dose-recovery", "age-recovery"]
    assert "Not done" in _section(render_html(content), "graph")
    assert "could not read the graph" in caplog.text and "could not read estimate 3" in caplog.text
