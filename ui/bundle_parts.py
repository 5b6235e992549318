"""Each workflow step's state to and from plain JSON, for project bundles (see ui.bundle).

The one place that knows how the Discover, Graph, Effects and Report steps keep their state.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

import pandas as pd

from deci_core.errors import DeciError, ModelFileError
from ui.report import ReportState


def _error(message: str) -> ModelFileError:
    from ui.bundle import BundleError

    return BundleError(message)


# -- discovery -------------------------------------------------------------------------------------


def discovery_to_dict(state: Any, store: Any) -> dict[str, Any] | None:
    """The current run's store key and the Discover page's settings (None without a current run)."""
    disc = state.discovery
    key = getattr(disc, "run_key", None)
    if key is None or not store.contains(key):
        return None
    if getattr(disc, "run_fingerprint", None) != state.data.fingerprint:
        return None  # a run for other data is not this session's model
    settings = getattr(disc, "settings", None)
    return {"run_key": key, "settings": asdict(settings) if settings is not None else {}}


def store_entry(store: Any, key: str) -> dict[str, bytes]:
    """The files of a model-store entry, by path relative to the entry (run.json, model/...)."""
    folder = store.models_dir / key
    out = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    if "run.json" not in out:
        raise _error(f"The model {key} is missing from the model store: run discovery again, then export.")
    return out


def _discovery_state(d: dict[str, Any] | None, models: dict[str, Any], fingerprint: str) -> Any:
    if not d:
        return None
    from ui.discovery import DiscoverySettings, DiscoveryState

    key = str(d.get("run_key"))
    if key not in models:
        raise _error(f"The bundle names model {key} as the current run but does not hold it.")
    known = {f.name for f in fields(DiscoverySettings)}
    settings = DiscoverySettings(**{k: v for k, v in (d.get("settings") or {}).items() if k in known})
    return DiscoveryState(settings=settings, run_key=key, run_fingerprint=fingerprint)


# -- graph -----------------------------------------------------------------------------------------


def graph_to_dict(session: Any, fingerprint: str) -> dict[str, Any] | None:
    """A GraphSession as JSON: versions (deci_core.graph JSON), current, positions, probabilities."""
    if session is None or not getattr(session, "versions", None):
        return None
    from deci_core.graph.formats import to_json
    from ui.graph_session import refit_key

    probs = session.probs
    refit = None
    if session.effects_model is not None and session.effects_graph is not None:
        refit = refit_key(session.effects_model, session.effects_graph, fingerprint)
    return {
        "base": session.base,
        "current": json.loads(to_json(session.current)),
        "versions": {name: json.loads(to_json(g)) for name, g in session.versions.items()},
        "positions": {n: list(p) for n, p in session.positions.items()},
        "threshold": session.threshold,
        "source": session.source,
        "probs": None if probs is None else {"names": list(probs.index), "values": probs.to_numpy().tolist()},
        "effects_graph": None if session.effects_graph is None else _graph_json(session.effects_graph),
        "refit_key": refit,
    }


def _graph_json(graph: Any) -> dict[str, Any]:
    from deci_core.graph.formats import to_json

    return json.loads(to_json(graph))


def _graph(d: dict[str, Any]) -> Any:
    from deci_core.graph.formats import read_graph

    return read_graph(json.dumps(d), "json")


def _graph_session(d: dict[str, Any] | None, models: dict[str, Any], names: list[str]) -> Any:
    if not d:
        return None
    from ui.graph_session import GraphSession

    try:
        versions = {str(name): _graph(g) for name, g in dict(d["versions"]).items()}
        current = _graph(d["current"])
        probs = d.get("probs")
        probs = None if probs is None else pd.DataFrame(probs["values"], index=probs["names"],
                                                        columns=probs["names"], dtype=float)
        session = GraphSession(current, str(d["base"]), versions, probs, float(d.get("threshold", 0.5)),
                               source=str(d.get("source", "")))
        positions = dict(d.get("positions") or {})
        session.positions = {str(n): (float(p[0]), float(p[1])) for n, p in positions.items()}
        if d.get("effects_graph") and d.get("refit_key") in models:
            session.effects_graph, session.effects_model = _graph(d["effects_graph"]), models[d["refit_key"]]
    except DeciError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise _error(f"The bundle's graph.json is malformed ({type(exc).__name__}: {exc}).") from exc
    if list(current.names) != names or session.base not in versions:
        raise _error("The bundle's graph does not match its data's variables.")
    return session


# -- effects and report ----------------------------------------------------------------------------


def report_items(state: Any) -> list[dict[str, Any]]:
    from ui.report_sources import report_items as items

    return items(state)


def _effects_state(items: list[dict[str, Any]]) -> Any:
    if not items:
        return None
    from ui.effects_session import EffectsState

    return EffectsState(report_items=list(items))


def report_to_dict(report: ReportState) -> dict[str, Any]:
    d = asdict(report)
    d.pop("last_built", None)
    return d


def _report_state(d: dict[str, Any] | None) -> ReportState | None:
    if not d:
        return None
    known = {f.name for f in fields(ReportState)}
    d = {k: v for k, v in d.items() if k in known}
    for key in ("sections", "item_ids"):
        if d.get(key) is not None:
            d[key] = tuple(str(s) for s in d[key])
    return ReportState(**d)


def constraints_from_dict(d: Any) -> Any:
    from deci_core.constraints import Constraints

    return Constraints.from_dict(d)


# -- all together ----------------------------------------------------------------------------------


def build_steps(bundle: Any, models: dict[str, Any], store: Any) -> dict[str, Any]:
    """The step states to put on the session, and a list of what they are, in words."""
    names = list(bundle.data.schema.names)
    discovery = _discovery_state(bundle.discovery, models, bundle.data.fingerprint)
    graph = _graph_session(bundle.graph, models, names)
    effects = _effects_state(bundle.estimates)
    report = _report_state(bundle.report)
    restored = [f"data “{bundle.data.name}” ({bundle.data.table.shape[0]:,} rows)"]
    if bundle.constraints is not None:
        restored.append("domain knowledge")
    if discovery is not None:
        restored.append("the discovered model")
    if graph is not None:
        restored.append(f"{len(graph.versions)} graph version(s)")
    if graph is not None and graph.effects_model is not None:
        restored.append("the model refitted on your graph")
    if bundle.estimates:
        restored.append(f"{len(bundle.estimates)} estimate(s)")
    return {"discovery": discovery, "graph": graph, "effects": effects, "report": report,
            "restored": restored}
