"""The import graph of deci_core/ and ui/: no cycles between files, and imports point one way."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("deci_core", "ui")
CYCLE_FREE = PACKAGES


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _imported(node: ast.AST, modules: dict[str, Path]) -> set[str]:
    """Modules of ours that one import statement (anywhere in a file, lazy ones too) loads."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in modules}
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        found = {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules}
        named_from_module = any(f"{node.module}.{a.name}" not in modules for a in node.names)
        if named_from_module and node.module in modules:
            found.add(node.module)
        return found
    return set()


def import_graph() -> nx.DiGraph:
    """Directed graph: an edge a -> b when file a imports module b."""
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            graph.add_edges_from((name, target) for target in _imported(node, modules) if target != name)
    return graph


def test_the_graph_sees_real_imports():
    graph = import_graph()
    assert graph.has_edge("deci_core.model", "deci_core.training.loop")
    assert graph.has_edge("ui.jobs", "deci_core.training.threads")


@pytest.mark.parametrize("package", CYCLE_FREE)
def test_no_import_cycle(package):
    graph = import_graph()
    ours = graph.subgraph(n for n in graph if n.split(".")[0] == package)
    cycles = list(nx.simple_cycles(ours))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_the_engine_never_imports_the_app():
    graph = import_graph()
    assert not [(a, b) for a, b in graph.edges if a.startswith("deci_core") and b.startswith("ui")]


def test_nothing_below_the_facade_imports_it():
    """Only the facade's users (fixed_graph, stability, the CLI, the package's public face) import
    deci_core.model."""
    graph = import_graph()
    allowed = {"deci_core", "deci_core.fixed_graph", "deci_core.stability"}
    importers = {a for a, _ in graph.in_edges("deci_core.model") if a.startswith("deci_core")}
    assert {a for a in importers if not a.startswith("deci_core.cli")} <= allowed


def test_samples_are_imported_only_by_tests_bench_and_the_app():
    graph = import_graph()
    engine_users = {
        a for a, b in graph.edges if b.startswith("deci_core.samples") and a.startswith("deci_core")
    }
    assert {a for a in engine_users if not a.startswith("deci_core.samples")} == set()


def test_step_states_sit_below_the_app_state():
    """ui/*_state.py (a step's typed state) never imports AppState, the sessions or the views."""
    graph = import_graph()
    states = [n for n in graph if n.startswith("ui.") and n.endswith("_state")]
    assert "ui.graph_state" in states
    higher = ("ui.state", "ui.bundle", "ui.bundle_parts", "ui.report", "ui.report_sources")
    above = [(a, b) for a in states for b in graph.successors(a)
             if b in higher or b.endswith(("_session", "_view"))]
    assert not above, above
