"""One self-contained HTML file from a :class:`~ui.report.ReportContent`.

Offline by construction: plotly.js is inlined once (the first chart; the others reuse it), the graph
is an ``<img>`` with a ``data:`` SVG, styles are inline, fonts are the system's. Every user string
(names, titles, levels) goes through :func:`html.escape`, also inside chart labels (plotly reads
entities but would otherwise render tags such as ``<a href>``). Numbers carry ``data-*`` attributes
at full precision so tests and scripts can read them back.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from ui import ts_report
from ui.number_format import agreement, crosscheck_verdict, format_interval, format_number
from ui.report_types import OPTIONAL_SECTIONS, EffectView, ReportContent
from ui.trust_report import trust_html

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60rem;margin:2rem auto;
 padding:0 1rem;color:#1f2933;line-height:1.5}
h1{font-size:1.8rem;margin-bottom:.2rem}
h2{border-bottom:1px solid #d9e2ec;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #d9e2ec;padding:.25rem .6rem;text-align:left}
th{background:#f0f4f8}.muted{color:#627d98}.notdone{color:#9f580a;font-style:italic}
.effect{border:1px solid #d9e2ec;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.sentence{font-size:1.1rem}.graph img{max-width:100%;border:1px solid #d9e2ec}
code{background:#f0f4f8;padding:0 .2rem}
h1,h2,h3,h4{break-after:avoid;page-break-after:avoid}
h2+*,h3+*{break-before:avoid;page-break-before:avoid}
.keep{break-inside:avoid;page-break-inside:avoid}
@media print{.effect,.graph,figure,table{break-inside:avoid}body{margin:0}}
"""
ASSUMPTIONS = [
    ("No hidden confounders",
     "Every common cause of two variables in the graph is itself a column of the data. This analysis "
     "does not model unmeasured variables.",
     "Something unmeasured that drives both a treatment and its outcome (for example overall health "
     "driving both a therapy and recovery). The estimate then mixes that influence in, in either direction."),
    ("Additive noise",
     "Each variable is a function of its direct causes plus independent random noise.",
     "Causes that change the spread of a variable rather than its level, or noise shared between "
     "variables (which is a hidden confounder again)."),
    ("No feedback loops (acyclicity)",
     "The graph is a DAG: no variable causes itself through a chain of others.",
     "Variables that influence each other over time (price and demand) measured at a single moment."),
    ("Positivity (overlap)",
     "The treatment values compared occur in the data for all kinds of units.",
     "A group that never receives the treatment, or intervention values outside the observed range: "
     "the effect there is an extrapolation of the fitted functions."),
    ("The graph",
     "The effects are averaged over the graphs the model finds plausible (or the analyst's graph), so "
     "doubt about the graph is in the intervals, but only doubt the data can reveal.",
     "Strong domain knowledge contradicting an edge: encode it as a constraint and refit."),
]


def render_html(content: ReportContent) -> str:
    """The whole report as one HTML document (UTF-8 text, no external resources)."""
    charts = _Charts()
    on = set(content.sections)
    parts = [
        f"<header><h1>{_e(content.title)}</h1><p class='muted'>Created {_e(content.created)} with "
        f"DECI Studio {_e(content.app_version)}</p></header>",
        _question(content),
        _section("data", "The data", _data(content)) if "data" in on else "",
        _section("knowledge", "Domain knowledge used", _knowledge(content)) if "knowledge" in on else "",
        _section("model", "Model settings", _model(content)) if "model" in on else "",
        _section("graph", "The causal graph", _graph(content))
        if "graph" in on and not content.temporal else "",  # a temporal graph: the next section
        _section("timeseries", "Time series: the temporal graph", ts_report.render_section(content.temporal,
                 charts.html)) if content.temporal and "graph" in on else "",
        _section("effects", "Effects", _effects(content, charts, on)),
        (_section("trust", "Can I trust this effect?", trust_html(content.trust, charts.html))
         if content.trust else ""),
        _section("assumptions", "Assumptions behind the numbers", _assumptions(content)),
        _section("provenance", "Provenance", _provenance(content)),
        _section("appendix", "Appendix: every setting, as recorded", _appendix(content)),
    ]
    body = "\n".join(p for p in parts if p)
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(content.title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _amount(e: EffectView, x: float | None, signed: bool = False, unit: bool = True) -> str:
    """A number of estimate ``e`` in its unit, rounded like the estimate (as on the Effects page)."""
    scale = 100.0 if e.unit == "percentage points" else 1.0
    magnitude = max(abs(e.value), e.std_error or 0.0) * scale
    return "n/a" if x is None else format_number(x * scale, (e.unit or None) if unit else None, signed=signed,
                                                 scale=magnitude)


def _interval(e: EffectView, low: float | None, high: float | None) -> str:
    scale = 100.0 if e.unit == "percentage points" else 1.0
    magnitude = max(abs(e.value), e.std_error or 0.0) * scale
    if low is None or high is None:
        return format_interval(None, None)
    return format_interval(low * scale, high * scale, e.unit or None, scale=magnitude)


def _section(key: str, title: str, inner: str) -> str:
    """A section whose heading never ends a page alone: it is kept with what follows (print CSS)."""
    return f"<section id='{key}'><h2>{_e(title)}</h2>\n{inner}\n</section>"


def _not_done(what: str) -> str:
    return f"<p class='notdone'>Not done: {_e(what)}</p>"


def _table(header: list[str] | None, rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header or [])
    if not header:
        return "<table><tbody>" + "".join(
            f"<tr><th>{_e(row[0])}</th>" + "".join(f"<td>{_e(c)}</td>" for c in row[1:]) + "</tr>"
            for row in rows) + "</tbody></table>"
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _question(c: ReportContent) -> str:
    paragraphs = "".join(f"<p>{_e(p)}</p>" for p in c.question.split("\n\n") if p.strip())
    paragraphs = paragraphs or "<p class='muted'>No question was written.</p>"
    findings = [f"<li>{_e(e.sentence)}</li>" if e.sentence else
                f"<li>{_e(e.label)}: {_e(_amount(e, e.value, True))} ({_e(_interval(e, e.low, e.high))})</li>"
                for e in c.effects]
    if findings:
        paragraphs += "<p><b>In short:</b></p><ul class='findings'>" + "".join(findings) + "</ul>"
    return _section("question", "The question", paragraphs)


def _missing_counts(d) -> str:
    cells = {k: v for k, v in d.missing_cells.items() if v}
    if not cells:
        return "No cell of a modelled column is missing."
    listed = ", ".join(f"{_e(k)} {v:,}" for k, v in cells.items())
    return (f"Missing cells in the modelled columns: {sum(cells.values()):,} ({listed}); "
            f"rows with at least one: {d.rows_with_gaps:,}.")


def _data(c: ReportContent) -> str:
    d = c.data
    if d is None:
        return _not_done("no dataset was loaded.")
    dropped = d.rows_raw - d.rows
    return (f"<p>Source: <b>{_e(d.name)}</b> ({_e(d.source)}). The model used <b>{d.rows:,}</b> rows "
            f"of {d.rows_raw:,} ({dropped:,} dropped for missing values).</p>"
            f"<p>Missing values: {_e(d.missing_policy)}. {_missing_counts(d)}</p>"
            + _table(["variable", "type", "levels / note"], [list(v) for v in d.variables]))


def _knowledge(c: ReportContent) -> str:
    if c.knowledge is None:
        return _not_done("no domain knowledge was set (the Constraints step was skipped).")
    if not c.knowledge:
        return "<p>None: the model was free to find any graph.</p>"
    return "<ul>" + "".join(f"<li>{_e(s)}</li>" for s in c.knowledge) + "</ul>"


def _model(c: ReportContent) -> str:
    """The settings a reader needs, in words; every raw setting is in the appendix."""
    if c.model is None:
        return _not_done("no model was fitted.")
    settings = c.model.get("settings") or {}
    fit = settings.get("fit") or {}
    warning = ""
    if fit.get("converged") is False:  # an unconverged graph is not a finding: say so first
        warning = (f"<p><b>Training had not converged</b>: the graph is not a result yet. "
                   f"{_e(fit.get('convergence', ''))}</p>")
    rows = readable_settings(settings)
    table = _table(["setting", "value"], rows) if rows else "<p class='muted'>Default settings.</p>"
    return (warning + table
            + "<p class='muted'>Every setting as recorded (to reproduce the run) is in the appendix.</p>")


_STOPPED = {"converged": "the edge probabilities settled", "max_steps": "the step budget was used up",
            "max_seconds": "the time budget was used up"}
_NOISE = {"spline": "flexible (spline): any noise shape", "gaussian": "Gaussian (bell-shaped)"}


def readable_settings(settings: dict[str, Any]) -> list[list[str]]:
    """The model settings a reader of the report needs, in words (keys a run may lack are skipped)."""
    model, training, fit = (settings.get(k) or {} for k in ("model", "training", "fit"))
    rows = []
    if settings.get("preset") or training.get("preset"):
        rows.append(["How thorough (preset)", str(settings.get("preset") or training.get("preset"))])
    if model.get("noise"):
        rows.append(["Noise model", _NOISE.get(model["noise"], str(model["noise"]))])
    if model.get("sparsity") is not None:
        rows.append(["Sparsity strength", f"{format_number(model['sparsity'])} × BIC (larger: fewer edges)"])
    if model.get("missing"):
        rows.append(["Missing values", "modelled by the engine" if model["missing"] == "model" else
                     "rows with a gap dropped"])
    if settings.get("rows") is not None:
        rows.append(["Rows trained on", f"{int(settings['rows']):,}"])
    if fit.get("steps") is not None:
        why = _STOPPED.get(str(fit.get("stopped")), str(fit.get("stopped") or ""))
        rows.append(["Training", f"{int(fit['steps']):,} steps in {format_number(fit.get('seconds'))} s"
                     + (f"; stopped because {why}" if why else "")])
    if fit.get("num_edges") is not None:
        rows.append(["Edges found (probability > 0.5)", str(fit["num_edges"])])
    if fit.get("refine_moves"):
        rows.append(["Edge-by-edge check after training", f"{fit['refine_moves']} change(s) to the graph"])
    return rows


def _flatten(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in d.items():
        if isinstance(value, dict):
            out += _flatten(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out


def _graph(c: ReportContent) -> str:
    g = c.graph
    if g is None:
        return _not_done("no graph was discovered or drawn.")
    image = ("<p class='muted'>(No drawing available.)</p>" if not g.svg else
             f"<img alt='causal graph, version {_e(g.version)}' src='data:image/svg+xml;base64,"
             f"{base64.b64encode(g.svg.encode()).decode()}'>")
    origin = {e: "added by the analyst" for e in g.added}
    origin.update({e: "reversed by the analyst" for e in g.reversed})
    rows = []
    for p, ch, prob in g.edges:
        notes = [origin.get((p, ch), ""), "confirmed (locked)" if (p, ch) in g.locked else ""]
        if (p, ch) in g.unidentified:
            notes.append("direction not identifiable from the data: add domain knowledge to orient it")
        rows.append([p, ch, "n/a" if prob is None else f"{prob:.0%}", "; ".join(n for n in notes if n)])
    return (f"<div class='graph'><p>Version shown: <b>{_e(g.version)}</b>. An arrow A → B means A "
            f"directly causes B; thicker, darker arrows are edges the model is surer of. The probability is "
            f"the model's; n/a for a graph that was not discovered.</p>{image}</div>"
            + (_table(["cause", "effect", "edge probability", "analyst"], rows) if rows else
               "<p>This graph has no edges: no variable was found to cause another.</p>")
            + _graph_changes(g))


def _graph_changes(g: Any) -> str:
    if g.compared_to is None:
        return ""
    lines = ([f"added {a} → {b}" for a, b in g.added] + [f"removed {a} → {b}" for a, b in g.removed]
             + [f"reversed to {a} → {b}" for a, b in g.reversed])
    if not lines:
        return f"<p>Same edges as the <b>{_e(g.compared_to)}</b> graph: the analyst changed nothing.</p>"
    return (f"<p>What the analyst changed versus the <b>{_e(g.compared_to)}</b> graph:</p><ul>"
            + "".join(f"<li>{_e(s)}</li>" for s in lines) + "</ul>")


class _Charts:
    """Plotly figures as HTML: the first carries plotly.js inline, the rest reuse it."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, fig: go.Figure) -> str:
        self.count += 1
        fig.update_layout(height=320, margin={"l": 60, "r": 20, "t": 40, "b": 50}, template="plotly_white")
        return pio.to_html(fig, include_plotlyjs=self.count == 1, full_html=False, config=_PLOTLY_CONFIG,
                           div_id=f"chart-{self.count}", validate=True)


def _effects(c: ReportContent, charts: _Charts, on: set[str]) -> str:
    if not c.effects:
        return _not_done("no estimate was added to the report (Effects page, “Add to report”).")
    parts = [_forest(c.effects, charts)]
    for e in c.effects:
        parts.append(_effect(e, charts, on))
    return "\n".join(parts)


def _forest(effects: list[EffectView], charts: _Charts) -> str:
    labels = [_e(f"{i + 1}. {e.label}") for i, e in enumerate(effects)]
    fig = go.Figure(go.Scatter(
        x=[e.value for e in effects], y=labels, mode="markers", marker={"size": 10},
        error_x={"type": "data", "symmetric": False, "array": [e.high - e.value for e in effects],
                 "arrayminus": [e.value - e.low for e in effects]}))
    fig.add_vline(x=0, line_dash="dot", line_color="#9aa5b1")
    fig.update_layout(title="Effects with 95% intervals", yaxis={"autorange": "reversed"})
    return f"<figure class='forest'>{charts.html(fig)}</figure>"


def _effect(e: EffectView, charts: _Charts, on: set[str]) -> str:
    share = "n/a" if e.graph_share is None else f"{e.graph_share:.0%}"
    unit = "" if e.outcome_level is None else f" (change in P({e.outcome} = {e.outcome_level}))"
    rows = [[f"estimate{unit}", _amount(e, e.value, signed=True)],
            ["95% interval", _interval(e, e.low, e.high).removeprefix("95% interval ")],
            ["standard error", _amount(e, e.std_error)], ["share of the uncertainty from the graph", share],
            ["graphs × samples", f"{e.num_graphs} × {e.num_samples:,}" if e.num_samples else "n/a"]]
    attrs = (f"data-value='{e.value!r}' data-low='{e.low!r}' data-high='{e.high!r}' "
             f"data-graph-share='{'' if e.graph_share is None else repr(e.graph_share)}'")
    inner = [f"<h3>{_e(e.label)}</h3>", f"<p class='sentence'>{_e(e.sentence)}</p>" if e.sentence else "",
             f"<p>Comparing {_e(e.treatment)} = {_e(_value(e.treatment_value, e.treatment_unit))} with "
             f"{_e(_value(e.control_value, e.treatment_unit))}"
             + (f", using {_e(e.graph_used)}" if e.graph_used else "") + ".</p>",
             _table(None, rows), _share_words(e)]
    if e.notes:
        inner.append("<ul class='notes'>" + "".join(f"<li>{_e(n)}</li>" for n in e.notes) + "</ul>")
    if "cate" in on and e.cate:
        inner.append(_cate(e, charts))
    if "crosscheck" in on:
        inner.append(_crosscheck(e))
    return f"<article class='effect' id='{_e(e.id)}' {attrs}>{''.join(inner)}</article>"


def _value(v: Any, unit: str) -> str:
    return format_number(v, unit or None, significant=4) if isinstance(v, int | float) and not isinstance(
        v, bool) else str(v)


def _share_words(e: EffectView) -> str:
    spread = ""
    same = agreement(list(e.per_graph), sampled=e.num_graphs)
    if same:
        spread = f"<p class='muted'>{_e(same)} Not knowing the graph adds no uncertainty.</p>"
    elif len(e.per_graph) > 1:
        spread = (f"<p class='muted'>On the {len(e.per_graph)} different graphs considered, the effect "
                  f"ranges from {_e(_amount(e, min(e.per_graph), True))} to "
                  f"{_e(_amount(e, max(e.per_graph), True))}.</p>")
    if e.graph_share is None:
        return spread
    if e.graph_share >= 0.5:
        words = "Most of this uncertainty comes from not knowing the graph exactly: more data or domain " \
                "knowledge about the edges would narrow it most."
    else:
        words = "Most of this uncertainty comes from the data and the fitted functions, not from the graph."
    return f"<p class='muted'>{words}</p>{spread}"


def _cate(e: EffectView, charts: _Charts) -> str:
    cate = e.cate
    x, y = list(cate.get("x", [])), list(cate.get("y", []))
    if not x or len(x) != len(y):
        return ""
    x_name = _e(cate.get("x_name", cate.get("condition", "condition")))
    xs = [_e(v) if isinstance(v, str) else v for v in x]
    fig = go.Figure()
    if cate.get("low") is not None and cate.get("high") is not None:
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=list(cate["high"]) + list(cate["low"])[::-1],
                                 fill="toself", line={"width": 0}, name="95% interval", opacity=0.3))
    fig.add_trace(go.Scatter(x=xs, y=y, mode="lines+markers", name="effect"))
    fig.update_layout(title=f"How the effect on {_e(e.outcome)} changes with {x_name}",
                      xaxis_title=x_name, yaxis_title="effect", showlegend=False)
    return f"<figure class='cate'>{charts.html(fig)}</figure>"


def _crosscheck(e: EffectView) -> str:
    lin = e.linear
    if not lin:
        return "<p class='muted'>Linear cross-check: not computed.</p>"
    interval = "" if lin.get("low") is None else f" ({_e(_interval(e, lin['low'], lin['high']))})"
    verdict = crosscheck_verdict(e.value, e.std_error, lin["value"], lin.get("std_error"), e.unit)
    note = f" {_e(lin['note'])}" if lin.get("note") else ""
    return (f"<p class='crosscheck' data-linear-value='{lin['value']!r}'>Linear cross-check: a linear "
            f"regression adjusting for the treatment's parents gives {_e(_amount(e, lin['value'], True))}"
            f"{interval}. {_e(verdict)}{note} A large gap points at nonlinear effects or at a graph "
            "problem.</p>")


def _assumptions(c: ReportContent) -> str:
    settings = _flatten((c.model or {}).get("settings") or {})
    noise = next((v for k, v in settings if k.split(".")[-1] in ("noise", "noise_model")), None)
    rows = "".join(f"<li><b>{_e(name)}.</b> {_e(what)} <i>What would break it:</i> {_e(breaks)}</li>"
                   for name, what, breaks in ASSUMPTIONS)
    extra = f"<p>Noise model used: <code>{_e(noise)}</code>.</p>" if noise else ""
    checks = "".join(f"<li>{_e(s)}</li>" for s in c.checks)
    return f"<ul>{rows}</ul>{extra}" + (f"<p>Checked on this data:</p><ul>{checks}</ul>" if checks else "")


def _provenance(c: ReportContent) -> str:
    rows = [
        ["data fingerprint", (c.data.fingerprint if c.data else None) or "n/a"],
        ["app version", c.app_version],
        ["date", c.created],
    ]
    return (
        _table(["what", "value"], rows)
        + "<p class='muted'>Sections left out: "
        + _e(", ".join(OPTIONAL_SECTIONS[s] for s in OPTIONAL_SECTIONS if s not in c.sections) or "none")
        + ". Hashes, seeds and every raw setting are in the appendix.</p>"
    )


def _appendix(c: ReportContent) -> str:
    """The raw record: hashes, store key, seeds and every setting under its engine name."""
    m = c.model or {}
    rows = [
        ["configuration hash (model/training)", m.get("config_hash") or "n/a"],
        ["model store key", m.get("run_key") or "n/a"],
        ["training seed", m.get("seed", "n/a")],
    ]
    rows += [[f"seed of {e.id}", e.seed] for e in c.effects]
    settings = [[k, v] for k, v in _flatten(m.get("settings") or {})]
    return (_table(["what", "value"], rows)
            + (_table(["setting", "value"], settings) if settings else ""))
