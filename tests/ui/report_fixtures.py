"""A small finished session for the report and bundle tests: data, knowledge, graph, two estimates."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd

from deci_core.constraints import Constraints
from deci_core.data.schema import infer_schema
from deci_core.effects.curve import CateCurve
from deci_core.effects.estimate import EffectEstimate
from deci_core.effects.linear import LinearCheck
from deci_core.effects.query import EffectQuery
from deci_core.graph.causal_graph import CausalGraph
from deci_core.samples.synthetic import sem_from_edges
from ui.effects_state import EffectResult, EffectsState, report_item
from ui.graph_state import DISCOVERED, GraphSession
from ui.state import AppState, LoadedData

NAMES = ["age", "dose", "recovery"]
EDGES = [("age", "dose"), ("age", "recovery"), ("dose", "recovery")]


def sample_data() -> LoadedData:
    sem = sem_from_edges(NAMES, EDGES, types={"dose": "binary"}, seed=0)
    df = sem.sample(300, np.random.default_rng(0))
    df.loc[3, "age"] = np.nan  # one missing value: dropped by the policy
    return LoadedData("clinic <trial>.csv", df, infer_schema(df.dropna()), source="upload")


def estimates() -> dict[str, EffectEstimate]:
    """The engine's value objects behind the report items (fixed numbers, no fitting)."""
    dose = EffectEstimate(EffectQuery("dose", "recovery", 1, 0), value=0.43217, var_graph=0.0016,
                          var_monte_carlo=1e-4, var_data=8e-4, per_graph=(0.45, 0.40),
                          graph_weights=(0.6, 0.4), num_graphs=20, num_samples=500, seed=3,
                          notes=("few rows with dose = 1 and age > 2",))
    age = EffectEstimate(EffectQuery("age", "recovery", 1.0, 0.0), value=-1.2345e-3, var_graph=4e-5,
                         var_monte_carlo=1e-5, var_data=3.9e-4, per_graph=(-0.001,), graph_weights=(1.0,),
                         num_graphs=20, num_samples=500, seed=4)
    return {"dose-recovery": dose, "age-recovery": age}


def report_items() -> list[dict]:
    """Report items as the Effects page adds them: estimate, sentence, cross-check, CATE curve."""
    ests = estimates()
    dose, age = ests["dose-recovery"], ests["age-recovery"]
    linear = LinearCheck(value=0.4102, std_error=0.056, adjustment_set=("age",), num_rows=299)
    curve = CateCurve("dose", "recovery", "age", 1, 0, grid=(-1.0, 0.0, 1.0), values=(0.2, 0.4, 0.6),
                      std_errors=(0.05, 0.04, 0.05), num_graphs=20, num_samples=500, seed=3)
    first = report_item(EffectResult(dose, linear, pd.DataFrame(), "the discovered model", 1.0, curve))
    second = report_item(EffectResult(age, None, pd.DataFrame(), "the discovered model", 1.0))
    first["id"], second["id"] = "dose-recovery", "age-recovery"
    second["sentence"] = "Age barely moves recovery <script>alert(1)</script>."
    return [first, second]


EDGE_PROBS = [[0.0, 0.55, 0.9], [0.05, 0.0, 0.8], [0.02, 0.1, 0.0]]  # parent rows, child columns
REVIEWED = "after expert review"


def graph_session() -> GraphSession:
    """Discovered graph, then the analyst deletes age -> dose, saves a version, adds recovery <- ... ."""
    discovered = CausalGraph.build(NAMES, EDGES)
    probs = pd.DataFrame(EDGE_PROBS, index=NAMES, columns=NAMES)
    session = GraphSession(discovered, DISCOVERED, {DISCOVERED: discovered}, probs)
    assert session.apply({"op": "delete", "source": "age", "target": "dose"})
    assert session.apply({"op": "lock", "source": "dose", "target": "recovery"})
    session.save_version(REVIEWED)
    return session


def constraints() -> Constraints:
    return Constraints.from_dict({"forbidden": [["recovery", "age"]], "required": [["dose", "recovery"]],
                                  "roots": ["age"]})


def finished_state() -> AppState:
    state = AppState(data=sample_data())
    state.constraints = constraints()
    state.graph = graph_session()
    state.effects = EffectsState(report_items=report_items())
    return state


class ResourceScanner(HTMLParser):
    """Every external resource reference in a document: URL attributes, CSS url()/@import, and any
    script, style sheet, image or frame loaded from a file rather than embedded (``data:``).

    Script bodies are collected apart: URL strings inside JavaScript code are data, not references
    the browser follows when it parses the page.
    """

    RESOURCE_ATTRS = {"src", "href", "srcset", "action", "formaction", "data", "poster", "background",
                      "xlink:href", "manifest", "ping", "cite", "longdesc", "content"}
    LOADING_TAGS = {"script", "link", "img", "iframe", "embed", "source", "video", "audio", "image", "use"}
    URL = re.compile(r"(?i)\b(?:https?:)?//[a-z0-9.-]+")
    CSS_REF = re.compile(r"(?i)(url\(\s*['\"]?\s*(?:https?:)?//|@import)")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[str] = []
        self.scripts: list[str] = []
        self._tag = None

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        for name, value in attrs:
            value = value or ""
            loads = tag in self.LOADING_TAGS and name in ("src", "href") and not value.startswith("data:")
            if loads or (name in self.RESOURCE_ATTRS and self.URL.search(value)):
                self.references.append(f"<{tag} {name}={value[:80]}>")
            if name == "style" and self.CSS_REF.search(value):
                self.references.append(f"<{tag} style={value[:80]}>")

    def handle_endtag(self, tag):
        self._tag = None

    def handle_data(self, data):
        if self._tag == "style" and self.CSS_REF.search(data):
            self.references.append(f"<style>{data[:80]}")
        if self._tag == "script":
            self.scripts.append(data)


def scan(html: str) -> ResourceScanner:
    scanner = ResourceScanner()
    scanner.feed(html)
    scanner.close()
    return scanner


def train_into(state: AppState, store) -> str:
    """Fit a tiny DECI on the state's data through the Discover step's worker; make it current."""
    from deci_core.config import ModelConfig, TrainingConfig
    from ui.discovery_session import train_and_store
    from ui.discovery_state import DiscoveryState
    from ui.graph_session import refit_key

    data = state.data
    model_config = ModelConfig(hidden=8, layers=1)
    training = TrainingConfig(seed=0, preset="quick", max_steps=60, warmup_steps=20, batch_size=128,
                              num_threads=1)
    key, fingerprint = train_and_store(
        report=lambda *a, **k: None, should_stop=lambda: False, table=data.table, schema=data.schema,
        constraints=state.constraints, model_config=model_config, training_config=training, store=store,
        key="run-tiny",
        run_info={"data_name": data.name, "data_fingerprint": data.fingerprint, "preset": "quick"})
    state.discovery = DiscoveryState(run_key=key, run_fingerprint=fingerprint)
    session = state.graph
    model = store.get(key)
    session.effects_model, session.effects_graph = model, session.current  # stands in for a refit
    store.put(refit_key(model, session.current, data.fingerprint), model,
              {"kind": "refit", "names": list(session.current.names), "refit_of_data": data.fingerprint})
    return key
