"""The trust checks as tables and figures, for the Effects page and the report (no Streamlit here).

:func:`trust_html` renders the report's "Can I trust this effect?" section from
:meth:`ui.trust_state.TrustState.summary`: the refutation table, the sensitivity contour, the
stability summary, the edges that matter and the audit trail.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.number_format import format_number


def refutation_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "test": [f"{r['name']} ({r['estimator'].upper()})" for r in rows],
            "what it checks": [r["checks"] for r in rows],
            "original": [format_number(r["original"]) for r in rows],
            "new": [format_number(r["new"]) for r in rows],
            "a sound estimate gives": [format_number(r["expected"]) for r in rows],
            "p-value": [format_number(r["p_value"], significant=2) for r in rows],
            "verdict": [("passed: " if r["passed"] else "FAILED: ") + r["sentence"] for r in rows],
        }
    )


def contour_figure(sens: dict[str, Any]) -> go.Figure:
    """The adjusted estimate over confounder strengths, its zero line and the covariate benchmarks."""
    x, y, z = sens["grid_r2dz"], sens["grid_r2yz"], np.asarray(sens["grid_estimate"], dtype=float)
    q = sens["query"]
    fig = go.Figure(
        go.Contour(
            x=x,
            y=y,
            z=z,
            colorscale="RdBu",
            contours={"showlabels": True},
            colorbar={"title": "adjusted"},
            name="adjusted estimate",
        )
    )
    fig.add_trace(
        go.Contour(
            x=x,
            y=y,
            z=z,
            contours={"start": 0, "end": 0, "size": 1, "coloring": "none"},
            line={"width": 3, "color": "black"},
            showscale=False,
            name="zero",
        )
    )
    marks = [b for b in sens["benchmarks"] if b["r2dz"] <= x[-1] and b["r2yz"] <= y[-1]]
    if marks:
        fig.add_trace(
            go.Scatter(
                x=[b["r2dz"] for b in marks],
                y=[b["r2yz"] for b in marks],
                mode="markers+text",
                text=[f"{b['k']:g}× {_e(b['covariate'])}" for b in marks],
                textposition="top right",
                marker={"color": "black", "symbol": "diamond"},
                name="benchmarks",
            )
        )
    rv = sens["robustness_value"]
    fig.add_trace(
        go.Scatter(
            x=[rv],
            y=[rv],
            mode="markers",
            marker={"color": "red", "size": 10},
            name=f"robustness value {rv:.0%}",
        )
    )
    fig.update_layout(
        height=420,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title="Estimate after a hidden confounder of these strengths (black: zero)",
        xaxis_title=f"partial R² of the confounder with {_e(q['treatment'])}",
        yaxis_title=f"partial R² with {_e(q['outcome'])}",
    )
    return fig


def frequency_figure(freq: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        go.Heatmap(
            z=freq.to_numpy(),
            x=[_e(c) for c in freq.columns],
            y=[_e(c) for c in freq.index],
            zmin=0,
            zmax=1,
            colorscale="Blues",
            colorbar={"title": "share"},
        )
    )
    fig.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis={"autorange": "reversed"},
        title="Share of runs with each edge (row → column)",
    )
    return fig


def edges_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "edge": [f"{r['edge'][0]} → {r['edge'][1]}" for r in rows],
            "probability": [format_number(r["probability"], significant=2) for r in rows],
            "direction identifiable": ["yes" if r["identifiable"] else "no" for r in rows],
            "effect if present": [format_number(r["effect_if_present"]) for r in rows],
            "effect if absent": [format_number(r["effect_if_absent"]) for r in rows],
            "how": ["exact refits" if r["exact"] else "per-graph estimates" for r in rows],
        }
    )


def audit_table(audit: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "when": [e["at"] for e in audit],
            "question": [e["question"] for e in audit],
            "what changed": ["; ".join(e["changes"]) for e in audit],
            "before": [format_number(e["before"]["value"]) for e in audit],
            "after": [format_number(e["after"]["value"]) for e in audit],
        }
    )


def trust_html(trust: dict[str, Any] | None, chart: Callable[[go.Figure], str]) -> str:
    """The report section (HTML); ``chart`` turns a figure into HTML (the report's plotly embedding)."""
    if not trust or not any(trust.get(k) for k in ("refutation", "stability", "audit", "edges")):
        return (
            "<p class='notdone'>Not done: run the checks under “Can I trust this?” on the Effects page.</p>"
        )
    parts = []
    checks = trust.get("refutation")
    if checks:
        report = checks["report"]
        parts += [
            "<h3>Refutations</h3>",
            f"<p>{_e(report['summary'])}</p>",
            _frame(refutation_table(report["refutations"])),
        ]
        sens = checks.get("sensitivity")
        if sens:
            parts += [
                "<h3>Sensitivity to a hidden confounder</h3>",
                f"<p>{_e(sens['sentence'])}</p>",
                f"<figure>{chart(contour_figure(sens))}</figure>",
            ]
    stab = trust.get("stability")
    if stab:
        summary = stab["summary"]
        freq = pd.DataFrame(**stab["edge_frequency"])
        parts += [
            "<h3>Stability over refits</h3>",
            f"<p>{_e(summary.get('sentence', ''))} ({_e(summary['runs'])} runs, "
            f"{_e(summary['executor'])}.)</p>",
            f"<figure>{chart(frequency_figure(freq))}</figure>",
        ]
    if trust.get("edges"):
        parts += ["<h3>The edges that matter</h3>", _frame(edges_table(trust["edges"]))]
    if trust.get("audit"):
        parts += ["<h3>Audit trail</h3>", _frame(audit_table(trust["audit"]))]
    return "\n".join(parts)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _frame(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
