"""The report's plain values: what each section shows, and one estimate read from its JSON item.

No Streamlit and no session here: :mod:`ui.report_sources` fills these from the session,
:mod:`ui.report` assembles them into a :class:`ReportContent`, :mod:`ui.report_html` renders it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deci_core.effects import EffectEstimate
from ui.effect_words import effect_sentence, effect_unit

OPTIONAL_SECTIONS = {
    "data": "The data",
    "knowledge": "Domain knowledge",
    "model": "Model settings",
    "graph": "The causal graph",
    "cate": "Effect curves (CATE)",
    "crosscheck": "Linear cross-check",
}
"""Sections the analyst may leave out; the question, effects, assumptions and provenance always stay."""

@dataclass(frozen=True)
class EffectView:
    """One estimate as the report shows it (numbers exactly as in the engine's value object)."""

    id: str
    kind: str
    treatment: str
    outcome: str
    treatment_value: Any
    control_value: Any
    value: float
    std_error: float | None
    low: float
    high: float
    graph_share: float | None  # share of the variance that comes from not knowing the graph, 0..1
    num_graphs: int | None
    num_samples: int | None
    seed: int | None
    sentence: str
    linear: dict[str, Any] | None = None  # value, low, high, note
    cate: dict[str, Any] | None = None  # x_name, x, y, low, high
    notes: tuple[str, ...] = ()
    graph_used: str = ""  # which model/graph the Effects page used, in words
    per_graph: tuple[float, ...] = ()  # the effect on each distinct graph considered
    outcome_level: Any = None  # for a discrete outcome: value is a change in P(outcome = level)
    conditioning: dict[str, Any] = field(default_factory=dict)
    unit: str = ""  # the effect's unit: the outcome's (Data page), or "percentage points"
    treatment_unit: str = ""

    @property
    def label(self) -> str:
        where = ", ".join(f"{k} = {v}" for k, v in self.conditioning.items())
        return f"{self.kind.upper()} of {self.treatment} on {self.outcome}" + (f" ({where})" if where else "")


@dataclass(frozen=True)
class DataSummary:
    name: str
    source: str
    rows: int
    rows_raw: int
    variables: list[tuple[str, str, str]]  # name, type, levels or reason
    missing_policy: str
    fingerprint: str
    missing_cells: dict[str, int] = field(default_factory=dict)  # modelled column -> missing cells
    rows_with_gaps: int = 0


@dataclass(frozen=True)
class GraphSummary:
    version: str
    names: list[str]
    edges: list[tuple[str, str, float | None]]  # parent, child, posterior probability
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    reversed: list[tuple[str, str]] = field(default_factory=list)  # as they now point
    svg: str | None = None
    compared_to: str | None = None  # the version the changes are measured against
    locked: list[tuple[str, str]] = field(default_factory=list)  # edges an expert confirmed
    unidentified: list[tuple[str, str]] = field(default_factory=list)  # direction not identifiable


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows; ``None`` for a step that was not done."""

    title: str
    question: str
    created: str
    app_version: str
    data: DataSummary | None = None
    knowledge: list[str] | None = None
    model: dict[str, Any] | None = None  # settings, seed, config_hash, data_fingerprint
    graph: GraphSummary | None = None
    effects: list[EffectView] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # positivity checks on this data, in words
    trust: dict[str, Any] | None = None  # "Can I trust this?": ui.trust_state.TrustState.summary()
    sections: tuple[str, ...] = tuple(OPTIONAL_SECTIONS)
    temporal: dict[str, Any] | None = None  # time series: ui.ts_report.temporal_summary


# -- estimates -------------------------------------------------------------------------------------


def _first(d: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if isinstance(d, dict) and d.get(key) is not None:
            return d[key]
    return default


def _interval(d: dict[str, Any]) -> tuple[float, float]:
    lo_hi = _first(d, "interval_95", "interval", "ci_95")
    if lo_hi is None:
        return float(_first(d, "low", "ci_low")), float(_first(d, "high", "ci_high"))
    return float(lo_hi[0]), float(lo_hi[1])


def effect_view(item: dict[str, Any], index: int = 0, units: dict[str, str] | None = None) -> EffectView:
    """Read one report item (a JSON dict from the Effects page) into an :class:`EffectView`.

    The item holds an ``EffectEstimate.to_dict()`` under ``estimate`` (or is one), and optionally a
    ``LinearCheck.to_dict()`` and a ``CateCurve.to_dict()``. With ``units`` (variable -> unit, from
    the Data page) the sentence is written again in those units, as the Effects page writes it.
    """
    est = item["estimate"] if isinstance(item.get("estimate"), dict) else item
    query = _first(est, "query", default=None) or _first(item, "query", default={})
    low, high = _interval(est)
    shares = _first(est, "variance_shares", default={}) or {}
    share = _first(est, "graph_share", default=shares.get("graph"))
    seed = _first(est, "seed")
    conditioning = _first(query, "conditioning", default={})
    sentence = str(_first(item, "sentence", default=_first(est, "sentence", default="")))
    unit, treatment_unit = "", ""
    if units is not None:
        sentence, unit, treatment_unit = _in_units(est, units, sentence, item.get("units") or {})
    return EffectView(
        id=str(_first(item, "id", default=f"estimate-{index + 1}")),
        kind=str(_first(item, "kind", default="cate" if conditioning else "ate")),
        treatment=str(_first(query, "treatment", default="?")),
        outcome=str(_first(query, "outcome", default="?")),
        treatment_value=_first(query, "treatment_value"),
        control_value=_first(query, "control_value"),
        value=float(_first(est, "value", "estimate")),
        std_error=None if _first(est, "std_error") is None else float(est["std_error"]),
        low=low,
        high=high,
        graph_share=None if share is None else float(share),
        num_graphs=_first(est, "num_graphs"),
        num_samples=_first(est, "num_samples"),
        seed=None if seed is None else int(seed),
        sentence=sentence,
        linear=_linear(_first(item, "linear_check", "linear", "cross_check")),
        cate=_cate(_first(item, "cate", "cate_curve", "curve")),
        notes=tuple(str(n) for n in _first(est, "notes", default=()) or ()),
        graph_used=str(_first(item, "graph", default="")),
        outcome_level=_first(query, "outcome_level") if _first(est, "outcome_discrete") else None,
        per_graph=tuple(float(v) for v in _first(est, "per_graph", default=()) or () if v is not None),
        conditioning=dict(conditioning or {}),
        unit=unit,
        treatment_unit=treatment_unit,
    )


def _in_units(
    est: dict[str, Any], units: dict[str, str], sentence: str, stored: dict[str, str]
) -> tuple[str, str, str]:
    """(sentence, effect unit, treatment unit) in ``units``: the stored sentence while the units it was
    written in (``stored``) are still those of its variables, else written again; as stored if unreadable."""
    try:
        estimate = EffectEstimate.from_dict(est)
    except (KeyError, TypeError, ValueError):
        return sentence, "", ""
    q = estimate.query
    names = {q.treatment, q.outcome, *(q.conditioning or {})}
    if {n: units[n] for n in names if n in units} != {n: stored[n] for n in names if n in stored}:
        sentence = effect_sentence(estimate, units)
    return sentence, effect_unit(estimate, units)[1], units.get(q.treatment, "")


def _linear(lin: Any) -> dict[str, Any] | None:
    """A LinearCheck.to_dict() as value, low, high, note (None when absent)."""
    if not isinstance(lin, dict) or _first(lin, "value", "estimate") is None:
        return None
    has_interval = _first(lin, "interval_95", "interval", "low") is not None
    low, high = _interval(lin) if has_interval else (None, None)
    se = _first(lin, "std_error", default=None)
    return {"value": float(_first(lin, "value", "estimate")), "low": low, "high": high,
            "std_error": None if se is None else float(se),
            "note": str(_first(lin, "sentence", "note", default=""))}


def _cate(curve: Any) -> dict[str, Any] | None:
    """A CateCurve.to_dict() as x_name, x, y, low, high (None when absent)."""
    if not isinstance(curve, dict):
        return None
    return {"x_name": str(_first(curve, "modifier", "x_name", default="modifier")),
            "x": list(_first(curve, "grid", "x", default=[])),
            "y": list(_first(curve, "values", "y", default=[])),
            "low": _first(curve, "lower_95", "low"), "high": _first(curve, "upper_95", "high")}
