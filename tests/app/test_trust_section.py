"""AppTest for "Can I trust this?" on the Effects page: the refutations run as a background job and
come back as a table with the sensitivity contour; the edges that matter say when nothing is
uncertain; a constraint added between two estimates of the same question lands in the audit trail,
and the report carries the section."""

from __future__ import annotations

import pytest

from deci_core.constraints import Constraints
from deci_core.effects import refute as refute_module
from tests.app.test_effects_page import _state, open_page
from ui import trust_session
from ui.report import content_from_state
from ui.report_html import render_html
from ui.report_state import ReportState
from ui.state import STATE_KEY


def _estimate(at):
    at.button(key="effects.run").click().run()
    effects = at.session_state[STATE_KEY].effects
    if effects.job is not None:
        effects.job.join(60)
    return at.run()


def _frame(at, column: str):
    """The first table on the page with this column (AppTest does not expose a dataframe's key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _join(at):
    trust = at.session_state[STATE_KEY].trust
    for job in (trust.refute_job, trust.edges_job, trust.stability_job):
        if job is not None:
            job.join(120)
    return at.run()


@pytest.mark.timeout(240)
def test_refutations_edges_and_the_audit_trail(linear_model, linear_data, monkeypatch):
    # the page's job with the DR checks only (the SEM refits are covered in tests/effects)
    fast = lambda *a, **k: refute_module.refute(*a, **{**k, "estimators": ("dr",), "subsets": 1})  # noqa: E731
    monkeypatch.setattr(trust_session, "refute", fast)
    at = open_page(_state(linear_model, linear_data))
    at.selectbox(key="effects.treatment").select("t").run()
    at.selectbox(key="effects.outcome").select("y").run()
    at.number_input(key="effects.a.t").set_value(1.0).run()
    at.number_input(key="effects.b.t").set_value(0.0).run()
    at = _estimate(at)
    assert not at.exception
    assert any(s.value == "Can I trust this?" for s in at.subheader)

    at.button(key="trust.refute").click().run()
    at = _join(at)
    assert not at.exception
    table = _frame(at, "test")
    assert len(table) == 4 and table["test"].iloc[0] == "placebo treatment (DR)"
    assert table["verdict"].str.startswith("passed").all()
    assert any(c.key == "trust.contour" for c in at.get("plotly_chart"))

    at.button(key="trust.edges").click().run()
    at = _join(at)
    assert any("No uncertain edge" in i.value for i in at.info)

    state = at.session_state[STATE_KEY]
    state.constraints = Constraints(forbidden=(("u", "y"),))
    at = _estimate(at)
    audit = at.session_state[STATE_KEY].trust.audit
    assert len(audit) == 1 and audit[0]["changes"] == ["constraint added: forbid u → y"]
    assert audit[0]["before"]["value"] == pytest.approx(audit[0]["after"]["value"], abs=0.5)
    assert _frame(at, "what changed")["what changed"].iloc[0] == "constraint added: forbid u → y"

    html = render_html(content_from_state(at.session_state[STATE_KEY], ReportState()))
    assert "Can I trust this effect?" in html and "placebo treatment (DR)" in html
    assert "forbid u → y" in html and "robustness value" in html
