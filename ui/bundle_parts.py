"""Each workflow step's state to and from the bundle's plain JSON files (see ui.bundle).

The step states own their shapes (``to_dict`` / ``from_dict``); this module adds what only a bundle
needs: which models travel with it, and checks that the restored steps fit the restored data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deci_core.constraints import Constraints
from deci_core.errors import DeciError
from deci_core.model import DECI
from ui.discovery_state import DiscoveryState
from ui.effects_state import EffectsState
from ui.errors import BundleError
from ui.graph_session import Model, refit_key
from ui.graph_state import GraphSession
from ui.model_store import ModelStore
from ui.report_state import ReportState
from ui.state import AppState, LoadedData


@dataclass
class Bundle:
    """A validated bundle, parsed but not yet applied to a session."""

    manifest: dict[str, Any]
    data: LoadedData
    constraints: Constraints | None = None
    graph: dict[str, Any] | None = None
    discovery: dict[str, Any] | None = None
    models: dict[str, dict[str, bytes]] = field(default_factory=dict)  # key -> relative path -> bytes
    estimates: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] | None = None
    timeseries: dict[str, Any] | None = None  # ui.ts_state.TemporalState.to_dict()
    trust: Any = None  # ui.trust_state.TrustState, or None: no checks saved
    randomised: list[str] = field(default_factory=list)  # treatments marked randomised

# -- discovery -------------------------------------------------------------------------------------


def discovery_to_dict(state: AppState, store: ModelStore) -> dict[str, Any] | None:
    """The current run's store key and the Discover page's settings (None without a current run)."""
    disc = state.discovery
    if disc is None or disc.run_key is None or not store.contains(disc.run_key):
        return None
    if disc.run_fingerprint != state.data.fingerprint:
        return None  # a run for other data is not this session's model
    return disc.to_dict()


def store_entry(store: ModelStore, key: str) -> dict[str, bytes]:
    """The files of a model-store entry, by path relative to the entry (run.json, model/...)."""
    folder = store.models_dir / key
    out = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    if "run.json" not in out:
        raise BundleError(
            f"The model {key} is missing from the model store: run discovery again, then export."
        )
    return out


def _discovery_state(
    d: dict[str, Any] | None, models: dict[str, DECI], fingerprint: str
) -> DiscoveryState | None:
    if not d:
        return None
    key = str(d.get("run_key"))
    if key not in models:
        raise BundleError(f"The bundle names model {key} as the current run but does not hold it.")
    return DiscoveryState.from_dict(d, fingerprint)


# -- graph -----------------------------------------------------------------------------------------


def graph_to_dict(session: GraphSession | None, fingerprint: str) -> dict[str, Any] | None:
    """A GraphSession as JSON (GraphSession.to_dict), with the store key of its refitted model."""
    if session is None or not session.versions:
        return None
    refit = None
    if session.effects_model is not None and session.effects_graph is not None:
        refit = refit_key(session.effects_model, session.effects_graph, fingerprint)
    return session.to_dict(refit)


def _graph_session(
    d: dict[str, Any] | None, models: dict[str, Model], names: list[str]
) -> GraphSession | None:
    if not d:
        return None
    try:
        session = GraphSession.from_dict(d, models)
    except DeciError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise BundleError(f"The bundle's graph.json is malformed ({type(exc).__name__}: {exc}).") from exc
    if list(session.current.names) != names or session.base not in session.versions:
        raise BundleError("The bundle's graph does not match its data's variables.")
    return session


# -- effects and report ----------------------------------------------------------------------------


def report_items(state: AppState) -> list[dict[str, Any]]:
    """The estimates for estimates.json (a list of JSON dicts)."""
    if state.effects is None:
        return []
    return state.effects.items_for(None if state.data is None else state.data.fingerprint)[0]  # never mixed


def _effects_state(items: list[dict[str, Any]]) -> EffectsState | None:
    return EffectsState.from_dict({"report_items": items}) if items else None


def report_to_dict(report: ReportState) -> dict[str, Any]:
    return report.to_dict()


def _report_state(d: dict[str, Any] | None) -> ReportState | None:
    return ReportState.from_dict(d) if d else None


# -- all together ----------------------------------------------------------------------------------


def build_steps(bundle: Bundle, models: dict[str, Model], store: ModelStore) -> dict[str, Any]:
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
