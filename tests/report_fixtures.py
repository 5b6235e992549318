"""A small finished session for the report and bundle tests: data, knowledge, graph, two estimates."""

from __future__ import annotations

import re
import types
from html.parser import HTMLParser

import numpy as np

from deci_core.data import infer_schema
from deci_core.synthetic import sem_from_edges
from ui.state import AppState, LoadedData

NAMES = ["age", "dose", "recovery"]
EDGES = [("age", "dose"), ("age", "recovery"), ("dose", "recovery")]


def sample_data() -> LoadedData:
    sem = sem_from_edges(NAMES, EDGES, types={"dose": "binary"}, seed=0)
    df = sem.sample(300, np.random.default_rng(0))
    df.loc[3, "age"] = np.nan  # one missing value: dropped by the policy
    return LoadedData("clinic <trial>.csv", df, infer_schema(df.dropna()), source="upload")


def report_items() -> list[dict]:
    first = {
        "id": "dose-recovery",
        "estimate": {"value": 0.43217, "std_error": 0.0512, "interval_95": [0.3318, 0.5325],
                     "graph_share": 0.62, "num_graphs": 20, "num_samples": 500, "seed": 3,
                     "query": {"kind": "ate", "treatment": "dose", "outcome": "recovery",
                               "treatment_value": 1, "control_value": 0}},
        "sentence": "Giving the dose raises recovery by 0.43 on average (95% interval 0.33 to 0.53).",
        "linear_check": {"value": 0.4102, "interval_95": [0.3001, 0.5203]},
        "cate": {"x_name": "age", "x": [-1.0, 0.0, 1.0], "y": [0.2, 0.4, 0.6],
                 "low": [0.1, 0.3, 0.5], "high": [0.3, 0.5, 0.7]},
    }
    second = {
        "id": "age-recovery",
        "estimate": {"value": -1.2345e-3, "std_error": 0.021, "interval_95": [-0.0424, 0.0399],
                     "graph_share": 0.1, "num_graphs": 20, "num_samples": 500, "seed": 4,
                     "query": {"kind": "ate", "treatment": "age", "outcome": "recovery",
                               "treatment_value": 1.0, "control_value": 0.0}},
        "sentence": "Age barely moves recovery <script>alert(1)</script>.",
    }
    return [first, second]


def finished_state() -> AppState:
    state = AppState(data=sample_data())
    state.effects = types.SimpleNamespace(report_items=report_items())
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
