"""Read the other steps' session state into the report's plain values.

The one place that knows how the Data, Constraints, Discover, Graph and Effects steps keep their
state. Each reader returns ``None`` when its step was not done (or its module is not available), so
the report says "not done" rather than failing.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ui.report import DataSummary, EffectView, GraphSummary

log = logging.getLogger("deci_studio")
DISCOVERED = "discovered"


def report_items(state: Any) -> list[dict[str, Any]]:
    """The estimates the analyst added on the Effects page (JSON dicts), in order."""
    items = getattr(state.effects, "report_items", None) or []
    return [item for item in items if isinstance(item, dict)]


def item_id(item: dict[str, Any], index: int) -> str:
    return str(item.get("id") or f"estimate-{index + 1}")


def item_label(item: dict[str, Any], index: int) -> str:
    from ui.report import effect_view

    try:
        view = effect_view(item, index)
        return f"{index + 1}. {view.label}: {view.value:.4g}"
    except (KeyError, TypeError, ValueError):
        return f"{index + 1}. (unreadable estimate)"


def data_summary(state: Any) -> DataSummary | None:
    from ui.state import MISSING_POLICIES

    data = state.data
    if data is None:
        return None
    variables = []
    for spec in data.schema.variables:
        note = ", ".join(map(str, spec.categories)) if spec.categories else spec.reason
        variables.append((spec.name, spec.type.value, note))
    return DataSummary(name=data.name, source=data.source, rows=int(data.table.shape[0]),
                       rows_raw=int(data.raw.shape[0]), variables=variables,
                       missing_policy=MISSING_POLICIES.get(data.missing_policy, data.missing_policy),
                       fingerprint=data.fingerprint)


def knowledge(state: Any) -> list[str] | None:
    constraints = state.constraints
    if constraints is None:
        return None
    describe = getattr(constraints, "describe", None)
    return [str(s) for s in describe()] if callable(describe) else []


def _discovery():
    try:
        from ui import discovery
    except ImportError:
        return None
    return discovery


def current_run(state: Any) -> dict[str, Any] | None:
    discovery = _discovery()
    if discovery is None or state.discovery is None:
        return None
    try:
        run = discovery.current_run(state)
    except Exception:  # noqa: BLE001 - a broken step must not break the report
        log.exception("report: could not read the current run")
        return None
    if run is None:
        return None
    return run if isinstance(run, dict) else getattr(run, "__dict__", None)


def current_model(state: Any) -> Any:
    discovery = _discovery()
    if discovery is None or state.discovery is None:
        return None
    try:
        return discovery.current_model(state)
    except Exception:  # noqa: BLE001
        log.exception("report: could not load the current model")
        return None


def model_summary(state: Any) -> dict[str, Any] | None:
    run = current_run(state)
    if run is None:
        return None
    settings = run.get("settings") or {}
    seed = run.get("seed", _find(settings, "seed"))
    return {"settings": settings, "seed": seed, "config_hash": run.get("config_hash"),
            "data_fingerprint": run.get("data_fingerprint")}


def _find(d: Any, key: str) -> Any:
    if isinstance(d, dict):
        if key in d:
            return d[key]
        for value in d.values():
            found = _find(value, key)
            if found is not None:
                return found
    return None


def edge_probabilities(state: Any) -> dict[tuple[str, str], float]:
    """Posterior edge probabilities of the current model, or of the run's saved edges."""
    model = current_model(state)
    posterior = getattr(model, "graph_posterior_", None)
    if posterior is not None:
        probs = posterior.edge_probs
        return {(a, b): float(probs.loc[a, b]) for a in probs.index for b in probs.columns if a != b}
    run = current_run(state) or {}
    out = {}
    for edge in run.get("edges") or []:
        if isinstance(edge, dict):
            out[(edge["source"], edge["target"])] = float(edge.get("probability", 1.0))
        elif len(edge) >= 2:
            out[(edge[0], edge[1])] = float(edge[2]) if len(edge) > 2 else 1.0
    return out


def graph_versions(state: Any) -> dict[str, list[tuple[str, str]]]:
    """Named versions of the graph as edge lists: the graph editor's, else the discovered one."""
    session = state.graph
    versions: dict[str, list[tuple[str, str]]] = {}
    raw = getattr(session, "versions", None)
    if isinstance(raw, dict):
        for name, graph in raw.items():
            versions[str(name)] = _edge_list(graph)
    current = getattr(session, "current", None) or getattr(session, "edges", None)
    if session is not None and current is not None:
        versions.setdefault("current", _edge_list(current))
    if DISCOVERED not in versions:
        probs = edge_probabilities(state)
        model = current_model(state)
        posterior = getattr(model, "graph_posterior_", None)
        if posterior is not None:
            adj = posterior.most_probable()
            names = list(posterior.names)
            versions[DISCOVERED] = [(names[i], names[j]) for i, j in zip(*np.nonzero(adj), strict=True)]
        elif probs:
            versions[DISCOVERED] = [e for e, p in probs.items() if p > 0.5]
    return versions


def _edge_list(graph: Any) -> list[tuple[str, str]]:
    edges = getattr(graph, "edges", graph)
    edges = edges() if callable(edges) else edges
    return [(str(e[0]), str(e[1])) for e in edges]


def graph_summary(state: Any, version: str | None) -> GraphSummary | None:
    versions = graph_versions(state)
    if not versions:
        return None
    name = version if version in versions else next(reversed(versions))
    edges = versions[name]
    probs = edge_probabilities(state)
    names = list(state.data.schema.names) if state.data is not None else sorted({n for e in edges for n in e})
    with_probs = [(a, b, probs.get((a, b))) for a, b in edges]
    compared = DISCOVERED if DISCOVERED in versions and name != DISCOVERED else None
    added, removed, reversed_ = diff_edges(versions[compared], edges) if compared else ([], [], [])
    return GraphSummary(version=name, names=names, edges=with_probs, added=added, removed=removed,
                        reversed=reversed_, svg=graph_svg(names, with_probs, state, set(added + reversed_)),
                        compared_to=compared)


def diff_edges(before: list[tuple[str, str]], after: list[tuple[str, str]]):
    """(added, removed, reversed) going from ``before`` to ``after``; reversed edges as they now point."""
    b, a = set(before), set(after)
    reversed_ = sorted(e for e in a - b if (e[1], e[0]) in b)
    added = sorted(e for e in a - b if e not in reversed_)
    removed = sorted(e for e in b - a if (e[1], e[0]) not in a)
    return added, removed, reversed_


def graph_svg(names: list[str], edges: list[tuple[str, str, float | None]], state: Any,
              highlight: set[tuple[str, str]]) -> str | None:
    """The graph drawn by deci_core.graph.formats.to_svg, or None when it is not available."""
    try:
        from deci_core.graph.formats import to_svg
    except ImportError:
        return None
    positions = getattr(state.graph, "positions", None) or None
    try:
        return to_svg(names, [(a, b, 1.0 if p is None else p) for a, b, p in edges], positions=positions,
                      highlight=tuple(sorted(highlight)))
    except Exception:  # noqa: BLE001 - the table below the drawing still shows the graph
        log.exception("report: could not draw the graph")
        return None


def positivity_checks(state: Any, effects: list[EffectView]) -> list[str]:
    """Plain-words overlap checks of each estimate's compared values against the data."""
    data = state.data
    if data is None:
        return []
    table = data.table
    out: list[str] = []
    for e in effects:
        if e.treatment not in table.columns:
            continue
        col = table[e.treatment]
        for value in (e.treatment_value, e.control_value):
            if value is None:
                continue
            out.append(_overlap(e.treatment, col, value))
    return list(dict.fromkeys(out))


def _overlap(name: str, col: Any, value: Any) -> str:
    numeric = np.issubdtype(col.dtype, np.number) and col.nunique() > 2
    if numeric:
        try:
            v = float(value)
        except (TypeError, ValueError):
            return f"{name} = {value}: not a number, cannot check overlap."
        lo, hi = float(col.min()), float(col.max())
        inside = "inside" if lo <= v <= hi else "OUTSIDE (an extrapolation)"
        return f"{name} = {v:.4g} is {inside} the observed range {lo:.4g} to {hi:.4g}."
    share = float((col.astype(str) == str(value)).mean())
    warn = " Few rows: the estimate leans on the model." if share < 0.05 else ""
    return f"{name} = {value} in {share:.0%} of the rows.{warn}"
