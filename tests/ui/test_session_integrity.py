"""Session integrity: every step is bound to the data it was made from; a data switch never mixes."""

from __future__ import annotations

from deci_core.constraints import Constraints
from deci_core.data.schema import infer_schema
from deci_core.graph.causal_graph import CausalGraph
from tests.known_models import NAMES, adjacency, linear_table
from ui.effects_state import EffectsState
from ui.graph_state import GraphSession
from ui.report_sources import left_out, report_items
from ui.state import AppState, LoadedData
from ui.trust_state import TrustState


def _data(seed: int = 0, drop: str | None = None) -> LoadedData:
    df = linear_table(300, seed)
    if drop:
        df = df.drop(columns=[drop])
    return LoadedData(f"table-{seed}-{drop}", df, infer_schema(df))


def _session_with_work() -> AppState:
    state = AppState()
    assert state.load_data(_data(0))
    fp = state.data.fingerprint
    state.constraints = Constraints(forbidden=[("y", "t")])
    state.graph = GraphSession.from_graph(CausalGraph.from_adjacency(NAMES, adjacency()), "test graph")
    state.graph.data_fingerprint = fp
    state.effects = EffectsState(treatment="t", outcome="y", data_fingerprint=fp)
    state.effects.report_items = [{"id": "e1", "data_fingerprint": fp, "estimate": {}}]
    return state


def test_new_data_waits_for_the_answer_and_nothing_is_mixed_meanwhile():
    state = _session_with_work()
    first = state.data
    assert not state.load_data(_data(1, drop="u"))
    assert state.data is first and state.pending_data is not None and not state.pending_compatible()
    assert state.resolve_pending(None) == [] and state.data is first and state.graph is not None


def test_clear_later_steps_drops_everything_made_on_the_old_data():
    state = _session_with_work()
    state.load_data(_data(1))
    cleared = state.resolve_pending(keep=False)
    assert set(cleared) == {"constraints", "the graph", "the estimates"}
    assert state.data.name == "table-1-None" and state.graph is None and state.constraints is None
    assert state.effects.report_items == [] and state.effects.data_fingerprint == state.data.fingerprint


def test_keep_where_compatible_rebinds_same_variables_and_types():
    state = _session_with_work()
    state.load_data(_data(1))  # other rows, same variables and types
    assert state.pending_compatible()
    assert state.resolve_pending(keep=True) == []
    fp = state.data.fingerprint
    assert state.graph.data_fingerprint == fp and state.constraints is not None
    item = state.effects.report_items[0]
    assert item["data_fingerprint"] == fp and item["made_on"] == "table-0-None"
    assert [i["id"] for i in report_items(state)] == ["e1"] and left_out(state) == []


def test_keep_where_compatible_clears_what_other_variables_cannot_use():
    state = _session_with_work()
    state.load_data(_data(1, drop="u"))
    cleared = state.resolve_pending(keep=True)
    assert "the graph" in cleared and "the estimates" in cleared and "constraints" not in cleared
    assert state.graph is None and report_items(state) == []


def test_a_retyped_column_keeps_the_graph_but_not_the_estimates():
    state = _session_with_work()
    data = state.data
    state.set_data(LoadedData(data.name, data.raw, data.schema.with_types({"u": "excluded"}, data.raw)))
    assert state.graph is None  # the graph's variables are no longer the data's
    state = _session_with_work()
    df = state.data.raw.assign(u=(state.data.raw["u"] > 0).astype(int))
    state.set_data(LoadedData(state.data.name, df, infer_schema(df)))
    assert state.graph is not None and state.graph.data_fingerprint == state.data.fingerprint
    assert state.effects.report_items == []


def test_the_report_refuses_another_datasets_graph_and_estimates():
    state = _session_with_work()
    state.data = _data(2)  # bypassing load_data, as a bug elsewhere would
    assert report_items(state) == []
    reasons = left_out(state)
    assert len(reasons) == 2 and all("table-2-None" in r for r in reasons)


class _Running:
    done, cancelled = False, False

    def cancel(self) -> None:
        self.cancelled = True


def test_trust_checks_made_on_other_rows_are_cleared_and_their_jobs_stopped():
    state = _session_with_work()
    job = _Running()
    state.trust = TrustState(refutations={"q": {"refutations": []}}, audit=[{"question": "t → y"}])
    state.trust.stability_job = job
    assert "the trust checks" in state.later_work()
    state.load_data(_data(1))  # same variables and types, other rows
    assert "the trust checks" in state.resolve_pending(keep=True)
    assert state.trust is None and job.cancelled
