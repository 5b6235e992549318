"""AppTest for the Graph page, driven through the widget editor on an imported graph (no training)."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ui.graph_session as graph_session
from deci_core.data.schema import infer_schema
from deci_core.samples.synthetic import sem_from_edges
from tests.conftest import APP_DIR
from ui.graph_editor_view import export_text
from ui.graph_session import model_for_effects
from ui.graph_state import GraphSession
from ui.state import STATE_KEY, AppState, LoadedData

GRAPH = {"names": ["a", "b", "c", "d"], "edges": [["a", "b"], ["b", "c"]]}


def open_graph_page(state: AppState | None = None) -> AppTest:
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=60)
    if state is not None:
        at.session_state[STATE_KEY] = state
    at.run()
    at.switch_page("pages/4_Graph.py").run()
    assert not at.exception
    return at


def import_graph(at: AppTest, text: str, name: str = "expert.json") -> AppTest:
    at.file_uploader(key="graph.import_file").upload(name, text.encode(), "application/octet-stream").run()
    return at.button(key="graph.import").click().run()


def edit(at: AppTest, op: str, source: str, target: str) -> GraphSession:
    at.selectbox(key="graph.w_source").select(source)
    at.selectbox(key="graph.w_target").select(target)
    at.selectbox(key="graph.w_action").select(op)
    at.button(key="graph.w_apply").click().run()
    assert not at.exception
    return session_of(at)


def session_of(at: AppTest) -> GraphSession:
    return at.session_state[STATE_KEY].graph


def loaded_data(n: int = 300) -> LoadedData:
    sem = sem_from_edges(["a", "b", "c", "d"], [("a", "b"), ("b", "c")], seed=0)
    df = sem.sample(n, np.random.default_rng(0))
    return LoadedData("chain", df, infer_schema(df))


def test_without_a_graph_the_page_offers_discovery_or_import():
    at = open_graph_page()
    assert "No graph yet" in at.info[0].value
    at = import_graph(at, json.dumps(GRAPH))
    assert set(session_of(at).current.edges) == {("a", "b"), ("b", "c")}
    assert "Imported expert.json: 2 edges." in session_of(at).message


def test_widget_editor_add_delete_reverse_cycle_undo_redo():
    at = import_graph(open_graph_page(), json.dumps(GRAPH))
    s = edit(at, "add", "c", "d")
    assert s.current.has_edge("c", "d") and s.message == "Added c → d."
    s = edit(at, "add", "d", "a")  # a -> b -> c -> d -> a
    assert s.message_ok is False and "cycle a → b → c → d → a" in s.message
    assert at.error and "cycle a → b → c → d → a" in at.error[0].value.replace("\\", "")
    s = edit(at, "delete", "a", "b")
    s = edit(at, "reverse", "b", "c")
    assert set(s.current.edges) == {("c", "b"), ("c", "d")}
    at.button(key="graph.undo").click().run()
    assert set(session_of(at).current.edges) == {("b", "c"), ("c", "d")}
    at.button(key="graph.redo").click().run()
    assert set(session_of(at).current.edges) == {("c", "b"), ("c", "d")}
    assert "1 added, 1 removed, 1 reversed" in session_of(at).status()


def test_versions_and_diff_against_the_start():
    at = import_graph(open_graph_page(), json.dumps(GRAPH))
    edit(at, "delete", "b", "c")
    at.text_input(key="graph.version_name").input("after expert review")
    at.button(key="graph.save_version").click().run()
    s = session_of(at)
    assert list(s.versions) == ["imported", "after expert review"]
    at.selectbox(key="graph.diff_pick").select("after expert review").run()
    assert any("0 added, 1 removed, 0 reversed" in m.value.replace("\\", "") for m in at.markdown)
    at.selectbox(key="graph.version_pick").select("imported")
    at.button(key="graph.restore").click().run()
    assert set(session_of(at).current.edges) == {("a", "b"), ("b", "c")}


def test_import_checks_names_against_the_data():
    at = open_graph_page(AppState(data=loaded_data(50)))
    at = import_graph(at, "source,target\na,b\nb,zeta\n", "edges.csv")
    assert session_of(at) is None
    assert "not in the data: ['zeta']" in at.error[0].value.replace("\\", "")
    at.file_uploader(key="graph.import_file").upload(
        "g.json", b"\xff\xfe\x00binary", "application/json"
    ).run()
    at.button(key="graph.import").click().run()
    assert "is not a text file" in at.error[0].value.replace("\\", "")


def test_new_data_with_other_variables_offers_to_start_over():
    at = import_graph(open_graph_page(), json.dumps({"names": ["p", "q"], "edges": [["p", "q"]]}))
    at.session_state[STATE_KEY].data = loaded_data(50)  # the analyst loads other data meanwhile
    at.run()
    assert "variables differ from the data" in at.warning[0].value
    at.button(key="graph.start_over_data").click().run()
    assert session_of(at) is None and "No graph yet" in at.info[0].value


def test_exports_round_trip_the_current_graph():
    at = import_graph(open_graph_page(), json.dumps(GRAPH))
    edit(at, "lock", "a", "b")
    s = session_of(at)
    state = at.session_state[STATE_KEY]
    assert json.loads(export_text(state, s, "json"))["locked"] == [["a", "b"]]
    assert export_text(state, s, "dot").startswith("digraph")
    assert export_text(state, s, "svg").lstrip().startswith("<svg")
    assert [b.label for b in at.get("download_button")] == [
        "GML",
        "DOT",
        "DAGitty",
        "JSON",
        "CSV edge list",
        "SVG",
    ]


def test_edits_become_constraints():
    at = import_graph(open_graph_page(), json.dumps(GRAPH))
    edit(at, "delete", "a", "b")
    edit(at, "reverse", "b", "c")
    edit(at, "add", "a", "d")
    at.button(key="graph.to_constraints").click().run()
    cons = at.session_state[STATE_KEY].constraints
    assert set(cons.forbidden) == {("a", "b"), ("b", "c")}
    assert set(cons.required) == {("c", "b"), ("a", "d")}


def test_use_this_graph_for_effects_fits_on_the_imported_graph(monkeypatch):
    monkeypatch.setattr(graph_session, "REFIT_SECONDS", 1.0)
    at = import_graph(open_graph_page(AppState(data=loaded_data())), json.dumps(GRAPH))
    state = at.session_state[STATE_KEY]
    assert model_for_effects(state)[0] is None
    at.button(key="graph.use_for_effects").click().run()
    job = session_of(at).refit_job
    job.join(60)
    assert job.error is None, job.error
    model, text = model_for_effects(at.session_state[STATE_KEY])  # adopted from any page, no rerun here
    assert model is not None and text.startswith("Fitted on the imported graph")
    assert "will be used for effects" in session_of(at).message
    at.run()
    assert (model.graph_posterior_.most_probable() == session_of(at).current.to_adjacency()).all()
    edit(at, "add", "c", "d")
    assert "edited the graph since" in model_for_effects(at.session_state[STATE_KEY])[1]
    at.button(key="graph.undo").click().run()
    at.button(key="graph.use_for_effects").click().run()  # this graph was fitted before: no new job
    assert session_of(at).refit_job is job and session_of(at).message.startswith("Loaded instantly")


@pytest.mark.parametrize("fmt", ["gml", "dot", "csv"])
def test_import_each_format_through_the_page(fmt):
    from deci_core.graph.causal_graph import CausalGraph
    from deci_core.graph.formats import write_graph

    text = write_graph(CausalGraph.build(GRAPH["names"], GRAPH["edges"]), fmt)
    at = import_graph(open_graph_page(), text, f"g.{fmt}")
    assert set(session_of(at).current.edges) == {("a", "b"), ("b", "c")}


def test_discovered_model_start_threshold_and_refit_for_effects(monkeypatch):
    """A real (tiny: 1 s of training) DECI in the model store, as the Discover page leaves it."""
    from deci_core.config import ModelConfig, TrainingConfig
    from deci_core.model import DECI
    from ui.discovery_state import DiscoveryState
    from ui.model_store import get_store

    monkeypatch.setattr(graph_session, "REFIT_SECONDS", 1.0)
    data = loaded_data(200)
    model = DECI(ModelConfig(), TrainingConfig(seed=0, preset="quick", max_steps=20, max_seconds=1.0)).fit(
        data.table, schema=data.schema
    )
    get_store().put("graph-page-test", model, {"data_fingerprint": data.fingerprint})
    state = AppState(
        data=data, discovery=DiscoveryState(run_key="graph-page-test", run_fingerprint=data.fingerprint)
    )
    at = open_graph_page(state)
    s = session_of(at)
    assert s.base == "discovered" and s.run_key == "graph-page-test"
    probs = model.graph_posterior_.edge_probs
    assert s.current == graph_session.CausalGraph.from_adjacency(
        probs.index, model.graph_posterior_.most_probable()
    )
    at.slider(key="graph.threshold").set_value(0.05).run()  # nearly every pair is now a candidate edge
    assert session_of(at).threshold == 0.05 and len(session_of(at).current.edges) >= len(
        s.versions["discovered"].edges
    )
    at.button(key="graph.use_for_effects").click().run()
    session_of(at).refit_job.join(60)
    at.run()
    assert session_of(at).refit_job.error is None
    chosen, text = model_for_effects(at.session_state[STATE_KEY])
    assert chosen is not model and chosen is session_of(at).effects_model and text.startswith("Fitted on")
    assert (
        session_of(at).message == "The model was fitted on your graph, saved, and will be used for effects."
    )
    refitted_graph = session_of(at).current
    at.button(key="graph.use_for_effects").click().run()  # the same graph again: from the model store
    assert (
        session_of(at).message.startswith("Loaded instantly")
        and session_of(at).effects_graph == refitted_graph
    )


def test_nodes_carry_variable_type_and_treatment_outcome_role():
    from ui.effects_state import EffectsState
    from ui.graph_editor_view import node_info

    data = loaded_data(50)
    state = AppState(data=data, effects=EffectsState(treatment="a", outcome="c"))
    info = {n["id"]: n for n in node_info(state, tuple(data.schema.names))}
    assert info["a"]["role"] == "treatment" and info["c"]["role"] == "outcome" and info["b"]["role"] == ""
    assert info["b"]["kind"] == data.schema["b"].type.value == "continuous"
    assert node_info(AppState(), ("x",)) == [{"id": "x", "kind": "", "role": ""}]


def test_edges_whose_direction_is_not_identifiable_get_a_legend(monkeypatch):
    from types import SimpleNamespace

    import ui.graph_editor_view as editor_view
    from deci_core.graph.posterior import GraphPosterior

    at = import_graph(open_graph_page(), json.dumps(GRAPH))
    assert not any("not identifiable" in c.value for c in at.caption)
    off = np.zeros((4, 4), dtype=bool)
    unidentified = off.copy()
    unidentified[0, 1] = unidentified[1, 0] = True
    probs = np.zeros((4, 4))
    probs[0, 1], probs[1, 0], probs[1, 2] = 0.5, 0.49, 0.99
    posterior = GraphPosterior(("a", "b", "c", "d"), probs, off, off, unidentified)
    fitted = SimpleNamespace(graph_posterior_=posterior)
    monkeypatch.setattr(editor_view, "discovered_model", lambda state: fitted)
    at.run()
    assert not at.exception
    legend = [c.value for c in at.caption if "not identifiable" in c.value]
    assert len(legend) == 1 and "add domain knowledge to orient it" in legend[0]
    assert "a – b" in legend[0] and "b – c" not in legend[0]
