"""Time-series session state: per-lag decisions with versions, the layout in the data's identity,
and what a layout change does to the later steps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deci_core.data.schema import infer_schema
from deci_core.data.windows import TimeSeriesLayout
from deci_core.errors import GraphError
from deci_core.graph.formats import read_temporal_json, temporal_to_json
from deci_core.samples.timeseries import weekly_sales
from ui.data_state import LoadedData
from ui.discovery_state import DiscoveryState
from ui.state import AppState
from ui.ts_session import acf_frame, fit_layout, suggest_lags, ts_sample_data, with_layout
from ui.ts_state import TemporalState


def test_decisions_are_versions_with_undo_redo_and_a_json_round_trip():
    t = TemporalState("fp")
    assert t.decide({("a", "b", 1): "forbid"}, "one")
    assert not t.decide({("a", "b", 1): "forbid"}, "same again")  # no change, no version
    assert t.decide({("a", "b", 1): "learn", ("b", "c", 0): "require"}, "two")
    assert t.decisions == (("b", "c", 0, "require"),) and t.lagged("require") == (("b", "c", 0),)
    assert t.undo() and t.decisions == (("a", "b", 1, "forbid"),)
    assert t.redo() and not t.redo()
    t.undo()
    t.decide({("c", "c", 2): "forbid"}, "branch")  # a new edit after undo drops the redo branch
    assert [label for label, _ in t.versions] == ["start", "one", "branch"]
    again = TemporalState.from_dict(t.to_dict(), "fp")
    assert again.versions == t.versions and again.current == t.current


def test_rebind_keeps_decisions_for_the_same_variables_and_drops_results():
    t = TemporalState("old")
    t.decide({("a", "b", 1): "forbid"}, "x")
    t.trajectory, t.report_items = {"estimate_by_step": [0.0]}, [{"x": 1}]
    assert t.rebind("new", keep_decisions=True, keep_items=False) == ["the trajectories"]
    assert t.trajectory is None and t.decisions and t.data_fingerprint == "new"
    assert t.rebind("newer", keep_decisions=False, keep_items=True) == ["the per-lag decisions"]


def test_the_layout_is_part_of_the_data_identity_and_its_columns_are_never_variables():
    data = ts_sample_data("weekly_sales")
    assert data.schema.names == ["price", "ads", "sales"] and list(data.fit_table.columns[-2:]) == [
        "week",
        "shop",
    ]
    plain = with_layout(data, None)
    assert plain.layout is None and "week" in plain.schema.names  # its inferred type back
    other_k = with_layout(data, replace(data.layout, lags=3))
    assert len({data.fingerprint, plain.fingerprint, other_k.fingerprint}) == 3
    assert data.signature != other_k.signature
    back = LoadedData.from_dict(data.to_dict(), data.raw, data.schema)
    assert back.layout == data.layout and back.fingerprint == data.fingerprint  # bundles keep it


def test_changing_the_layout_clears_the_discovered_model_but_keeps_decisions():
    data = ts_sample_data("weekly_sales")
    state = AppState()
    state.load_data(data)
    state.discovery = DiscoveryState(run_key="k", run_fingerprint=data.fingerprint)
    state.temporal = TemporalState(data.fingerprint)
    state.temporal.decide({("ads", "sales", 1): "require"}, "x")
    assert fit_layout(state).required_lagged == (("ads", "sales", 1),)
    state.set_data(with_layout(data, replace(data.layout, lags=1)))
    assert state.discovery.run_key is None  # a model of other lags cannot answer for this layout
    assert state.temporal.decisions and state.temporal.data_fingerprint == state.data.fingerprint


def test_lag_suggestion_and_autocorrelation_come_from_the_data():
    df, _ = weekly_sales()
    data = LoadedData("s", df, infer_schema(df))
    suggestion = suggest_lags(data, TimeSeriesLayout("week", "shop"))
    assert 1 <= suggestion.lags <= 5 and "autocorrelation" in suggestion.reason
    acf = acf_frame(with_layout(data, TimeSeriesLayout("week", "shop", 2)), max_lag=4)
    assert list(acf.columns) == ["price", "ads", "sales"] and (acf.iloc[0] == 1).all()
    assert acf.loc[1, "price"] == pytest.approx(0.7, abs=0.1)  # price is AR(1) with coefficient 0.7


def test_temporal_json_round_trips_lags_and_refuses_bad_lags():
    edges = [("a", "b", 1, 0.9), ("b", "b", 2, 0.4), ("a", "c", 0, 0.7)]
    text = temporal_to_json(["a", "b", "c"], 2, edges, [("a", "b", 1, "require")])
    names, lags, back = read_temporal_json(text)
    assert (names, lags, back) == (["a", "b", "c"], 2, edges)
    with pytest.raises(GraphError, match="lag 3"):
        read_temporal_json(temporal_to_json(["a", "b"], 2, [("a", "b", 3, None)]))
    with pytest.raises(GraphError, match="not in"):
        read_temporal_json(text, names=["a", "b"])


def test_table_edits_and_an_imported_graph_become_decisions():
    import numpy as np

    from deci_core.graph.temporal import TemporalGraphPosterior
    from ui.ts_graph_view import _changed, import_decisions, lag_frame

    probs = np.zeros((2, 2, 2))
    probs[1, 0, 1] = 0.9
    posterior = TemporalGraphPosterior(
        ("a", "b"), probs, np.zeros_like(probs, bool), np.zeros_like(probs, bool)
    )
    before = lag_frame(TemporalState(), posterior)
    after = before.copy()
    after.loc[(after.parent == "b") & (after.child == "a") & (after.lag == 1), "decision"] = "forbid"
    assert _changed(before, after) == {("b", "a", 1): "forbid"}
    text = temporal_to_json(["a", "b"], 1, [("a", "b", 1, 0.8), ("b", "b", 1, 0.2)])
    decisions = import_decisions(text, posterior)
    assert decisions[("a", "b", 1)] == "require" and decisions[("b", "b", 1)] == "forbid"
    assert len(decisions) == len(before)  # every pair and lag decided
