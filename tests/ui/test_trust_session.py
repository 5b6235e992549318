"""The trust section's session logic without Streamlit: "fix this edge" turns a row into a constraint,
and the audit trail says what changed between two estimates of the same question."""

from __future__ import annotations

from types import SimpleNamespace

from deci_core.constraints import Constraints
from ui.state import AppState
from ui.trust_session import _diff, fix_edge, get_trust, record_estimate


def _result(value: float, graph: str = "the discovered model"):
    query = SimpleNamespace(treatment="t", outcome="y", treatment_value=1, control_value=0, estimand="ate")
    est = SimpleNamespace(query=query, value=value, interval_95=(value - 1, value + 1))
    return SimpleNamespace(estimate=est, graph=graph)


def test_fix_edge_requires_or_forbids_and_waits_for_the_next_estimate():
    state = AppState()
    trust = get_trust(state)
    state.constraints = Constraints(forbidden=(("a", "b"),))
    message = fix_edge(state, trust, ("a", "b"), present=True)
    assert state.constraints.required == (("a", "b"),) and state.constraints.forbidden == ()
    assert "require a → b" in message and trust.pending == ["constraint added: require a → b"]
    fix_edge(state, trust, ("c", "d"), present=False)
    assert ("c", "d") in state.constraints.forbidden


def test_the_audit_trail_records_changes_with_both_estimates():
    state = AppState()
    trust = get_trust(state)
    assert record_estimate(state, trust, _result(2.0)) is None  # first answer: nothing to compare
    same = _result(2.1)
    assert record_estimate(state, trust, same) is None  # nothing changed
    assert record_estimate(state, trust, same) is None  # the same result is recorded once
    trust.pending.append("constraint added: require a → b")
    entry = record_estimate(state, trust, _result(3.0, "your edited graph (1 edge added)"))
    assert entry["changes"][0] == "constraint added: require a → b"
    assert entry["changes"][1].startswith("model: the discovered model → your edited graph")
    assert entry["before"]["value"] == 2.1 and entry["after"]["value"] == 3.0 and trust.pending == []
    assert len(trust.audit) == 1


def test_type_and_transform_changes_are_named():
    base = {"model": "m", "graph": "g", "constraints": {}, "data": "x", "types": {"income": "continuous"}}
    moved = {**base, "data": "y", "types": {"income": "continuous/log"}}
    assert _diff(base, moved) == ["income: continuous → continuous/log"]
    assert _diff(base, {**base, "data": "z"}) == ["the data changed"]
    assert _diff(base, {**base, "model": "n"}) == ["the model was refitted"]


def test_the_stability_worker_process_reports_progress_and_errors():
    import sys

    import pytest

    from deci_core.errors import DeciError
    from ui.trust_session import _run_cli

    seen = []
    script = (
        "import sys; print('run 1/2 done', file=sys.stderr); print('run 2/2 done', file=sys.stderr); "
        "print('{}')"
    )
    out, err = _run_cli(
        [sys.executable, "-c", script], 2, lambda f, m: seen.append(round(f, 2)), lambda: False
    )
    assert out.strip() == "{}" and seen == [0.5, 0.95]
    failing = "import sys; print('error: no such column', file=sys.stderr); sys.exit(2)"
    with pytest.raises(DeciError, match="no such column"):
        _run_cli([sys.executable, "-c", failing], 2, lambda f, m: None, lambda: False)
