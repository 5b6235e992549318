"""The typed AppState: every step's state is a real type that owns its plain-JSON round trip."""

from __future__ import annotations

import json
from dataclasses import fields

import pandas as pd

from tests.ui.report_fixtures import REVIEWED, finished_state
from ui.data_state import LoadedData
from ui.discovery_state import DiscoverySettings, DiscoveryState
from ui.effects_state import EffectsState
from ui.graph_state import CURRENT, GraphSession
from ui.report_state import ReportState
from ui.state import AppState


def test_no_step_state_is_any():
    for f in fields(AppState):
        assert "Any" not in str(f.type), f"AppState.{f.name}: {f.type}"


def _through_json(d: dict) -> dict:
    return json.loads(json.dumps(d))


def test_the_data_describes_itself_and_comes_back_around_its_table():
    data = finished_state().data
    d = _through_json(data.to_dict())
    assert d["fingerprint"] == data.fingerprint and d["rows"] == data.raw.shape[0] == 300
    back = LoadedData.from_dict(d, data.raw, data.schema)
    assert back.fingerprint == data.fingerprint and back.missing_policy == data.missing_policy
    summary = data.summary()
    assert summary.rows == len(data.table) == 299 and summary.rows_raw == 300  # one row had a missing age
    assert [v[0] for v in summary.variables] == list(data.schema.names)


def test_discovery_state_round_trip_keeps_settings_and_ties_the_run_to_its_data():
    state = DiscoveryState(settings=DiscoverySettings(preset="standard", sparsity=0.03, seed=7), run_key="k1",
                           run_fingerprint="fp")
    back = DiscoveryState.from_dict(_through_json(state.to_dict()), "fp")
    assert back.settings == state.settings and back.run_key == "k1" and back.run_fingerprint == "fp"
    assert back.current_key("fp") == "k1" and back.current_key("other") is None
    ignored = DiscoveryState.from_dict({"run_key": "k2", "settings": {"preset": "quick", "future": 1}}, None)
    assert ignored.settings == DiscoverySettings()


def test_graph_session_round_trip_keeps_versions_positions_and_probabilities():
    session = finished_state().graph
    assert session.apply({"op": "delete", "source": "age", "target": "recovery"})  # now no saved version
    back = GraphSession.from_dict(_through_json(session.to_dict(None)), {})
    assert back.current == session.current and back.versions == session.versions
    assert back.base == session.base and back.positions == session.positions
    pd.testing.assert_frame_equal(back.probs, session.probs)
    assert list(back.named_versions()) == [*session.versions, CURRENT]
    assert REVIEWED in back.named_versions() and back.effects_model is None


def test_effects_and_report_states_round_trip():
    effects = finished_state().effects
    back = EffectsState.from_dict(_through_json(effects.to_dict()))
    assert back.summary() == effects.summary() and len(back.summary()) == 2
    report = ReportState(title="T", sections=("data",), item_ids=("a",), last_built="now")
    again = ReportState.from_dict(_through_json(report.to_dict()))
    assert again == ReportState(title="T", sections=("data",), item_ids=("a",))  # when built is not kept
