"""The report's time-series section: the temporal graph (summary and lag view), the lag table and
the trajectories added on the Effects page. :func:`temporal_summary` reads the session;
:func:`render_section` turns it into HTML (figures through the report's chart helper).
"""

from __future__ import annotations

import html
from collections import namedtuple
from typing import Any

from deci_core.graph.formats import temporal_to_json
from ui import discovery_session
from ui.state import AppState
from ui.ts_effects_view import effect_figure, sentence
from ui.ts_graph_view import lag_figure, lag_label, summary_figure

REPORT_THRESHOLD = 0.5
_Edge = namedtuple("_Edge", "parent child lag probability")


def _model(state: AppState):
    try:
        model = discovery_session.current_model(state)
    except Exception:  # noqa: BLE001 - the report still builds without this section
        return None
    return model if getattr(model, "is_temporal", False) else None


def temporal_summary(state: AppState) -> dict[str, Any] | None:
    """What the section shows (plain values), or None when the current model is not temporal."""
    model = _model(state)
    if model is None:
        return None
    posterior, info = model.graph_posterior_, model.time_series_
    temporal = state.temporal
    return {
        "names": list(posterior.names),
        "lags": posterior.lags,
        "layout": info.layout.to_dict(),
        "spacing": info.spacing.sentence(),
        "windows": info.windows,
        "dropped": info.dropped,
        "edges": [list(e) for e in posterior.lagged_table().itertuples(index=False, name=None)],
        "decisions": [list(d) for d in (temporal.decisions if temporal else ())],
        "trajectories": list(temporal.report_items) if temporal else [],
    }


def files(state: AppState) -> dict[str, str]:
    """The temporal graph as JSON with lags and the lag table as CSV (empty: not a temporal model)."""
    summary = temporal_summary(state)
    if summary is None:
        return {}
    csv = "parent,child,lag,probability\n" + "".join(
        f"{p},{c},{lag},{q}\n" for p, c, lag, q in summary["edges"]
    )
    text = temporal_to_json(summary["names"], summary["lags"], summary["edges"], summary["decisions"])
    return {"temporal_graph.json": text, "edge_probs_lagged.csv": csv}


def render_section(summary: dict[str, Any], chart_html) -> str:
    """HTML of the section; ``chart_html(fig)`` embeds a plotly figure (the report's helper)."""
    e = html.escape
    layout = summary["layout"]
    shown = [_Edge(*row) for row in summary["edges"] if row[3] >= REPORT_THRESHOLD]
    series = f", one series per '{e(str(layout['series_column']))}'" if layout.get("series_column") else ""
    parts = [
        f"<p>Analysed as time series by '{e(str(layout['time_column']))}'{series}, with K = "
        f"{summary['lags']} lag(s) and {'no ' if not layout.get('instantaneous', True) else ''}instantaneous "
        f"effects: {summary['windows']:,} windows ({summary['dropped']} left out at gaps). "
        f"{e(summary['spacing'])}</p>",
        chart_html(summary_figure(summary["names"], shown)),
        chart_html(lag_figure(summary["names"], summary["lags"], shown)),
        f"<h3>Lag table (edges with probability ≥ {REPORT_THRESHOLD})</h3>",
        _table(
            ["parent", "child", "lag", "probability"],
            [
                [x.parent, x.child, lag_label(x.lag), f"{x.probability:.2f}"]
                for x in sorted(shown, key=lambda x: -x.probability)
            ],
        ),
    ]
    if summary["decisions"]:
        parts.append(
            "<p>Per-lag decisions the run obeyed: "
            + e("; ".join(f"{d} {p} → {c} at {lag_label(int(lag))}" for p, c, lag, d in summary["decisions"]))
            + ".</p>"
        )
    if summary["trajectories"]:
        parts.append("<h3>What happens next (trajectories)</h3>")
        for item in summary["trajectories"]:
            parts += [f"<p>{e(sentence(item))}</p>", chart_html(effect_figure(item))]
    return "\n".join(parts)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
