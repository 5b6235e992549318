"""The stakeholder report: a small :class:`ReportContent` value built from the session, and exports.

``content_from_state(state, options)`` gathers what the report shows (plain values, no Streamlit);
:func:`ui.report_html.render_html` turns it into one self-contained HTML file. Every step may be
missing: its section then says "not done" instead of failing. Estimates come from the Effects page's
``report_items`` (JSON dicts) and are read through :func:`effect_view`, the one place that knows
their keys.
"""

from __future__ import annotations

import logging
import pathlib
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import deci_core
from ui import report_sources as src
from ui.report_state import ReportState
from ui.report_types import ReportContent, effect_view
from ui.state import AppState
from ui.ts_report import temporal_summary

_ROOT = pathlib.Path(__file__).resolve().parents[1]


def app_version() -> str:
    """The app's version, from ``deci_core.__version__`` or pyproject.toml."""
    try:
        version = getattr(deci_core, "__version__", None)
        if version:
            return str(version)
        return tomllib.loads((_ROOT / "pyproject.toml").read_text())["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


# -- from the session ------------------------------------------------------------------------------


def content_from_state(state: AppState, options: ReportState, now: datetime | None = None) -> ReportContent:
    """Gather the report's content from an AppState; steps not done come out as ``None``.

    A step whose state cannot be read (a bug elsewhere) is logged and shown as not done, and an
    unreadable estimate is left out, so the rest of the report still builds.
    """
    effects = []
    units = {} if state.data is None else state.data.schema.units  # the Data page's, as the Effects page
    for i, item in enumerate(src.report_items(state)):
        if options.item_ids is None or src.item_id(item, i) in options.item_ids:
            view = _guarded(f"estimate {i + 1}", effect_view, item, i, units)
            effects += [view] if view is not None else []
    return ReportContent(
        title=options.title.strip() or "Causal analysis report",
        question=options.question.strip(),
        created=(now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        app_version=app_version(),
        data=_guarded("the data", src.data_summary, state),
        knowledge=_guarded("the constraints", src.knowledge, state),
        model=_guarded("the model settings", src.model_summary, state),
        graph=_guarded("the graph", src.graph_summary, state, options.graph_version),
        effects=effects,
        checks=_guarded("the overlap checks", src.positivity_checks, state, effects) or [],
        trust=_guarded("the trust checks", lambda s: s.trust.summary() if s.trust else None, state),
        sections=tuple(options.sections),
        temporal=_guarded("the time series", temporal_summary, state),
    )


def _guarded(what: str, fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 - one unreadable step must not take the whole report down
        logging.getLogger("deci_studio").exception("report: could not read %s", what)
        return None
