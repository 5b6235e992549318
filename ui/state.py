"""All per-session app state, in one object under one session-state key.

Each workflow step keeps its own typed state, defined in that step's ``*_state`` module (no Streamlit,
no AppState there): :class:`~ui.data_state.LoadedData`, deci_core's
:class:`~deci_core.constraints.Constraints`, :class:`~ui.discovery_state.DiscoveryState`,
:class:`~ui.graph_state.GraphSession`, :class:`~ui.effects_state.EffectsState` and
:class:`~ui.report_state.ReportState`. Each owns ``to_dict`` / ``from_dict`` (project bundles) and
``summary`` (the report), so neither needs to know a step's shape. The ``*_session`` modules do the
work that needs several steps; they take an :class:`AppState`. Pages read and write state only
through :func:`get_state`.

Session integrity: every step's state carries the fingerprint of the data it was made from
(``DiscoveryState.run_fingerprint``, ``GraphSession.data_fingerprint``, ``EffectsState.data_fingerprint``
and each report item's ``data_fingerprint``). The data changes only through :meth:`AppState.load_data`
(another dataset: asks once when later work exists) and :meth:`AppState.set_data` (the same dataset
retyped), and both leave every step either bound to the new data or cleared, never mixed.

Widget keys are namespaced by page (``"data.uploader"``, ``"effects.treatment"``); values that must
outlive a page switch are copied into the state, since Streamlit deletes unrendered widgets' keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from deci_core.constraints import Constraints
from ui.data_state import MISSING_POLICIES, LoadedData
from ui.discovery_state import DiscoveryState
from ui.effects_state import EffectsState
from ui.graph_state import GraphSession
from ui.report_state import ReportState
from ui.trust_state import TrustState
from ui.ts_state import TemporalState

STATE_KEY = "deci_studio"
__all__ = ["MISSING_POLICIES", "STATE_KEY", "AppState", "LoadedData", "get_state"]


@dataclass
class AppState:
    """Everything one browser session has built so far; ``None`` means the step has not been started."""

    data: LoadedData | None = None
    constraints: Constraints | None = None
    discovery: DiscoveryState | None = None
    graph: GraphSession | None = None
    effects: EffectsState | None = None
    report: ReportState | None = None
    trust: TrustState | None = None  # "Can I trust this?" on the Effects page (checks, audit trail)
    notices: list[str] = field(default_factory=list)
    pending_data: LoadedData | None = None  # another dataset, loaded while later work exists: ask first
    temporal: TemporalState | None = None  # time series: per-lag decisions and trajectories (ui.ts_state)
    randomised: list[str] = field(default_factory=list)  # treatments marked randomised (roots; the report)

    # ------------------------------------------------------------------ the data and what hangs off it
    def later_work(self) -> list[str]:
        """The later steps holding work, in words (empty: nothing to lose on a data switch)."""
        work = []
        if self.constraints is not None and not self.constraints.is_empty:
            work.append("constraints")
        if self.discovery is not None and (self.discovery.run_key or self.discovery.running):
            work.append("the discovered model")
        if self.graph is not None:
            work.append("the graph")
        if self.effects is not None and (self.effects.result is not None or self.effects.report_items):
            work.append("the estimates")
        if self.temporal is not None and (self.temporal.decisions or self.temporal.report_items):
            work.append("the time-series work")
        if self.trust is not None and self.trust.has_results:
            work.append("the trust checks")
        return work

    def load_data(self, data: LoadedData) -> bool:
        """Another dataset (upload, sample): used at once when nothing later exists, else kept pending
        until :meth:`resolve_pending` says whether to clear or keep the later steps. True: in use now."""
        if self.data is None and not self.later_work():
            self.data, self.pending_data = data, None
            self._rebind(data, keep=True)
            return True
        if not self.later_work():
            self._rebind(data, keep=False)
            self.data, self.pending_data = data, None
            return True
        self.pending_data = data
        return False

    def pending_compatible(self) -> bool:
        """True when the pending dataset has the same modelled variables and types as the current one."""
        return (self.pending_data is not None and self.data is not None
                and self.pending_data.signature == self.data.signature)

    def resolve_pending(self, keep: bool | None) -> list[str]:
        """Answer the question about the pending dataset: ``keep`` the later steps where compatible
        (same variables and types), clear them (False), or cancel the switch (None). Returns what was
        cleared, in words."""
        data, self.pending_data = self.pending_data, None
        if data is None or keep is None:
            return []
        cleared = self._rebind(data, keep=keep)
        self.data = data
        return cleared

    def set_data(self, data: LoadedData) -> None:
        """The same dataset edited (types, columns excluded): steps that still fit are re-bound to it,
        the rest are cleared (a model trained on other types cannot answer for this data)."""
        self._rebind(data, keep=True, same_rows=True)
        self.data = data

    def _rebind(self, new: LoadedData, keep: bool, same_rows: bool = False) -> list[str]:
        """Bind every later step to ``new`` or clear it; the current ``self.data`` is the old data."""
        old, fp, cleared = self.data, new.fingerprint, []
        same_types = keep and (old is None or old.signature == new.signature)
        same_names = keep and (old is None or list(old.schema.names) == list(new.schema.names))
        if self.constraints is not None and not (keep and not self.constraints.conflicts(new.schema.names)):
            self.constraints, cleared = None, [*cleared, "constraints"]
        disc = self.discovery
        if disc is not None and disc.run_fingerprint not in (None, fp):
            if same_types and old is not None and disc.run_fingerprint == old.fingerprint:
                disc.run_fingerprint = fp  # the same variables and types: the model answers for ``new``
            else:
                if disc.job is not None:
                    disc.job.cancel()
                self.discovery = type(disc)(settings=disc.settings)
                cleared = [*cleared, "the discovered model"]
        graph = self.graph
        if graph is not None and graph.data_fingerprint != fp:
            bound = graph.data_fingerprint in (None, getattr(old, "fingerprint", None))
            if bound and (same_names or (old is None and keep)) and list(graph.current.names) == list(
                new.schema.names
            ):
                graph.data_fingerprint = fp
                if not same_types and graph.effects_model is not None:  # fitted on other types
                    graph.effects_model, graph.effects_graph = None, None
            else:
                if graph.refit_job is not None:
                    graph.refit_job.cancel()
                self.graph, cleared = None, [*cleared, "the graph"]
        effects = self.effects
        if effects is not None and effects.data_fingerprint != fp:
            effects.clear_results()  # per-row results and what-ifs belong to the rows they were made on
            items = effects.report_items
            if same_types and items:
                for item in items:
                    if item.get("data_fingerprint") in (None, getattr(old, "fingerprint", None)):
                        item["data_fingerprint"] = fp
                        if not same_rows and old is not None:
                            item.setdefault("made_on", old.name)
            elif items:
                effects.report_items, cleared = [], [*cleared, "the estimates"]
            effects.data_fingerprint = fp
        if self.temporal is not None and self.temporal.data_fingerprint != fp:
            cleared += self.temporal.rebind(fp, keep_decisions=same_names, keep_items=same_types)
        if self.trust is not None and old is not None and old.fingerprint != fp:
            self.trust.cancel()  # refutations, stability and the audit were made on the old rows
            if self.trust.has_results:
                cleared = [*cleared, "the trust checks"]
            self.trust = None
        if cleared and self.report is not None:
            self.report.item_ids, self.report.graph_version = None, None
        return cleared


def get_state() -> AppState:
    """This session's AppState, created on first use."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = AppState()
    return st.session_state[STATE_KEY]
