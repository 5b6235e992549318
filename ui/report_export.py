"""Files next to the HTML report: estimates as CSV, the graph in every export format, a PDF.

The PDF is printed by headless Chromium when the server has it (``$DECI_STUDIO_CHROMIUM``,
``chromium`` on PATH or /usr/bin/chromium); without it the page says how to print from a browser.
No Python PDF library is used: weasyprint needs pango and cannot run the report's plotly charts.
"""

from __future__ import annotations

import csv
import io
import os
import pathlib
import shutil
import subprocess
import tempfile
from dataclasses import replace

from deci_core.graph.formats import FORMATS, write_graph
from ui import report_sources as src
from ui import ts_report
from ui.report_types import EffectView
from ui.state import AppState


def estimates_csv(effects: list[EffectView]) -> str:
    """The estimates as CSV, one row each, numbers at full precision."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "kind", "treatment", "outcome", "treatment_value", "control_value", "value",
                     "std_error", "ci95_low", "ci95_high", "graph_share", "num_graphs", "num_samples",
                     "seed", "linear_value", "linear_ci95_low", "linear_ci95_high", "sentence"])
    for e in effects:
        lin = e.linear or {}
        writer.writerow([e.id, e.kind, e.treatment, e.outcome, e.treatment_value, e.control_value,
                         repr(e.value), _num(e.std_error), repr(e.low), repr(e.high), _num(e.graph_share),
                         e.num_graphs, e.num_samples, e.seed, _num(lin.get("value")), _num(lin.get("low")),
                         _num(lin.get("high")), e.sentence])
    return out.getvalue()


def _num(x: float | None) -> str:
    return "" if x is None else repr(float(x))


def graph_files(state: AppState, version: str | None) -> dict[str, str]:
    """The chosen graph version in every export format (GML, DOT, DAGitty, JSON, CSV) and as SVG."""
    versions, _ = src.graph_versions(state)
    if not versions:
        return ts_report.files(state)  # a temporal model's graph, with lags (empty otherwise)
    name = version if version in versions else src.default_version(state)
    graph = versions[name]
    positions = {**(state.graph.positions if state.graph is not None else {}), **graph.positions}
    graph = replace(graph, positions={n: p for n, p in positions.items() if n in graph.names})
    ext = {"dagitty": "dagitty.txt"}
    files = {f"graph.{ext.get(fmt, fmt)}": write_graph(graph, fmt) for fmt in FORMATS}
    summary = src.graph_summary(state, name)
    if summary is not None and summary.svg:
        files["graph.svg"] = summary.svg
    return files


class PdfUnavailable(Exception):
    """No PDF printer here (the message says what to do instead)."""


PDF_HELP = ("A PDF needs Chromium on the server (Debian: apt-get install chromium). Meanwhile, open the "
            "HTML report in any browser and print it to PDF: the charts print as shown.")


def chromium_path() -> str | None:
    """Chromium for printing: ``$DECI_STUDIO_CHROMIUM``, ``chromium`` on PATH, or /usr/bin/chromium."""
    for candidate in (os.environ.get("DECI_STUDIO_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def html_to_pdf(html_text: str, timeout_s: float = 90.0) -> bytes:
    """Print the report to PDF with headless Chromium (offline: the report loads nothing).

    Raises:
        PdfUnavailable: no Chromium, or it failed or timed out.
    """
    chromium = chromium_path()
    if chromium is None:
        raise PdfUnavailable(PDF_HELP)
    with tempfile.TemporaryDirectory(prefix="deci-report-") as tmp:
        source, target = pathlib.Path(tmp) / "report.html", pathlib.Path(tmp) / "report.pdf"
        source.write_text(html_text, encoding="utf-8")
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
               "--disable-background-networking", "--disable-component-update", "--no-pdf-header-footer",
               f"--user-data-dir={tmp}/profile", "--virtual-time-budget=5000", f"--print-to-pdf={target}",
               source.as_uri()]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            reason = type(exc).__name__
            raise PdfUnavailable(f"Chromium could not print the report ({reason}). {PDF_HELP}") from exc
        pdf = target.read_bytes() if target.is_file() else b""
    if not pdf.startswith(b"%PDF"):
        raise PdfUnavailable(f"Chromium did not produce a PDF. {PDF_HELP}")
    return pdf
