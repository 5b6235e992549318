"""Domain knowledge as constraints on the causal graph.

An analyst knows things the data cannot tell. :class:`Constraints` holds them, keyed by variable
name, in one frozen value:

- ``forbidden`` edges ``(A, B)``: A never directly causes B;
- ``required`` edges ``(A, B)``: A directly causes B in every graph;
- ``tiers``: ordered groups; nothing in a later tier causes anything in an earlier tier, and with
  ``forbid_within_tiers`` nothing within a tier causes anything else in that tier;
- ``roots``: variables caused by nothing in the data (no incoming edges);
- ``leaves``: variables that cause nothing in the data (no outgoing edges);
- ``beliefs``: soft knowledge, "A -> B with probability 0.8", which enters the prior, not a mask.

The hard constraints become exact masks (:meth:`Constraints.edge_masks`) with the one adjacency
convention of the project: ``A[i, j] = True`` means ``names[i] -> names[j]`` (row parent, column
child). :meth:`Constraints.conflicts` explains contradictions in plain words, naming the variables.

The JSON form is the CLI's::

    {"forbidden": [["A", "B"]], "required": [["C", "D"]], "tiers": [["age", "sex"], ["income"]],
     "forbid_within_tiers": false, "roots": ["age"], "leaves": ["revenue"],
     "beliefs": [{"edge": ["A", "B"], "probability": 0.8}]}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from deci_core.errors import ConstraintError
from deci_core.graph.dag import simple_cycles

Edge = tuple[str, str]
KEYS = ("forbidden", "required", "tiers", "forbid_within_tiers", "roots", "leaves", "beliefs")
MAX_CYCLES_REPORTED = 5


@dataclass(frozen=True)
class Belief:
    """Soft knowledge: the edge ``edge[0] -> edge[1]`` exists with ``probability`` (strictly in (0, 1))."""

    edge: Edge
    probability: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "edge", _edge(self.edge, "belief edge"))
        p = self.probability
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 < float(p) < 1.0:
            raise ConstraintError(
                f"The belief about {_arrow(self.edge)} has probability {p!r}; use a number strictly "
                "between 0 and 1 (for certainty, make the edge required or forbidden instead)."
            )
        object.__setattr__(self, "probability", float(p))


@dataclass(frozen=True)
class Constraints:
    """Hard and soft domain knowledge about the causal graph (see the module docstring)."""

    forbidden: tuple[Edge, ...] = ()
    required: tuple[Edge, ...] = ()
    tiers: tuple[tuple[str, ...], ...] = ()
    forbid_within_tiers: bool = False
    roots: tuple[str, ...] = ()
    leaves: tuple[str, ...] = ()
    beliefs: tuple[Belief, ...] = field(default=())

    def __post_init__(self) -> None:
        # Accept lists (as an analyst would write them) and store hashable tuples.
        object.__setattr__(self, "forbidden", _unique(_edge(e, "forbidden edge") for e in self.forbidden))
        object.__setattr__(self, "required", _unique(_edge(e, "required edge") for e in self.required))
        object.__setattr__(self, "tiers", tuple(_names(t, "tier") for t in self.tiers))
        object.__setattr__(self, "roots", _unique(_names(self.roots, "roots")))
        object.__setattr__(self, "leaves", _unique(_names(self.leaves, "leaves")))
        beliefs = tuple(b if isinstance(b, Belief) else Belief(**b) for b in self.beliefs)
        object.__setattr__(self, "beliefs", beliefs)
        if not isinstance(self.forbid_within_tiers, bool):
            raise ConstraintError("forbid_within_tiers must be true or false.")

    # ----------------------------------------------------------------- JSON
    @classmethod
    def from_dict(cls, d: Any) -> Constraints:
        """Build from the CLI's JSON object; unknown keys or wrong shapes raise ConstraintError."""
        if not isinstance(d, dict):
            raise ConstraintError(
                f"Constraints must be a JSON object with keys {list(KEYS)}, got {type(d).__name__}."
            )
        unknown = sorted(set(d) - set(KEYS))
        if unknown:
            raise ConstraintError(f"Unknown constraint key(s) {unknown}; allowed keys are {list(KEYS)}.")
        for key in ("forbidden", "required", "tiers", "roots", "leaves", "beliefs"):
            if key in d and not isinstance(d[key], list):
                raise ConstraintError(f'"{key}" must be a list, got {type(d[key]).__name__}.')
        beliefs = []
        for b in d.get("beliefs", []):
            if not isinstance(b, dict) or set(b) != {"edge", "probability"}:
                raise ConstraintError(
                    'Each belief must look like {"edge": ["A", "B"], "probability": 0.8}; got '
                    f"{json.dumps(b)[:80]}."
                )
            beliefs.append(Belief(b["edge"], b["probability"]))
        return cls(
            forbidden=tuple(d.get("forbidden", ())),
            required=tuple(d.get("required", ())),
            tiers=tuple(d.get("tiers", ())),
            forbid_within_tiers=d.get("forbid_within_tiers", False),
            roots=tuple(d.get("roots", ())),
            leaves=tuple(d.get("leaves", ())),
            beliefs=tuple(beliefs),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "forbidden": [list(e) for e in self.forbidden],
            "required": [list(e) for e in self.required],
            "tiers": [list(t) for t in self.tiers],
            "forbid_within_tiers": self.forbid_within_tiers,
            "roots": list(self.roots),
            "leaves": list(self.leaves),
            "beliefs": [{"edge": list(b.edge), "probability": b.probability} for b in self.beliefs],
        }

    @classmethod
    def from_json(cls, text: str | bytes) -> Constraints:
        """Parse the CLI's JSON text; malformed text raises ConstraintError saying where."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConstraintError(f"The constraints file is not valid JSON: {exc}.") from exc
        return cls.from_dict(data)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def fingerprint(self) -> str:
        """Stable 16-hex-digit hash; the order of edges, roots, leaves and beliefs does not matter."""
        d = self.to_dict()
        canonical = {
            k: sorted(v, key=json.dumps) if k not in ("tiers", "forbid_within_tiers") else v
            for k, v in d.items()
        }
        text = json.dumps(canonical, sort_keys=True)
        return hashlib.sha256(f"Constraints:{text}".encode()).hexdigest()[:16]

    # ------------------------------------------------------------ queries
    @property
    def is_empty(self) -> bool:
        return not (
            self.forbidden or self.required or self.tiers or self.roots or self.leaves or self.beliefs
        )

    def status(self) -> str | None:
        """A short summary for the app's sidebar; None when there are no constraints."""
        return None if self.is_empty else f"{len(self.describe())} rule(s)"

    def variables(self) -> set[str]:
        """Every variable name mentioned anywhere."""
        names = {v for e in (*self.forbidden, *self.required) for v in e}
        names |= {v for t in self.tiers for v in t} | set(self.roots) | set(self.leaves)
        return names | {v for b in self.beliefs for v in b.edge}

    def tier_of(self) -> dict[str, int]:
        """Variable -> index of its (first) tier."""
        index: dict[str, int] = {}
        for k, tier in enumerate(self.tiers):
            for v in tier:
                index.setdefault(v, k)
        return index

    def forbid_reasons(self, names: Sequence[str]) -> dict[Edge, str]:
        """Why each forbidden pair (among ``names``, self-loops excluded) is forbidden, in words."""
        reasons: dict[Edge, str] = {}
        known = set(names)
        for a, b in self.forbidden:
            if a in known and b in known and a != b:
                reasons.setdefault((a, b), "forbidden explicitly")
        tier = self.tier_of()
        for a in names:
            for b in names:
                if a == b or (a, b) in reasons:
                    continue
                if b in self.roots:
                    reasons[(a, b)] = f"{b} is a root (caused by nothing in the data)"
                elif a in self.leaves:
                    reasons[(a, b)] = f"{a} is a leaf (causes nothing in the data)"
                elif a in tier and b in tier and tier[a] > tier[b]:
                    reasons[(a, b)] = f"{a} is in tier {tier[a] + 1}, after {b} in tier {tier[b] + 1}"
                elif self.forbid_within_tiers and a in tier and b in tier and tier[a] == tier[b]:
                    reasons[(a, b)] = (
                        f"{a} and {b} are both in tier {tier[a] + 1} and edges within tiers are forbidden"
                    )
        return reasons

    def conflicts(self, names: Sequence[str]) -> list[str]:
        """Every contradiction, in plain words with the variables named; empty when consistent."""
        names = list(names)
        problems = self._unknown_variables(names) + self._structural_problems()
        reasons = self.forbid_reasons(names)
        required = set(self.required)
        for a, b in self.required:
            if (a, b) in reasons:
                problems.append(f"The required edge {_arrow((a, b))} is also forbidden: {reasons[(a, b)]}.")
        for b in self.beliefs:
            if b.edge in reasons:
                problems.append(
                    f"There is a belief about {_arrow(b.edge)}, but that edge is forbidden: "
                    f"{reasons[b.edge]}."
                )
            elif b.edge in required:
                problems.append(
                    f"There is a belief about {_arrow(b.edge)}, but that edge is already required."
                )
        problems += self._required_cycles()
        return problems

    def validate(self, names: Sequence[str]) -> None:
        """Raise ConstraintError listing every conflict (see :meth:`conflicts`)."""
        problems = self.conflicts(names)
        if problems:
            listing = "\n".join(f"- {p}" for p in problems)
            raise ConstraintError(f"The constraints contradict each other or the data:\n{listing}")

    def edge_masks(self, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Hard constraints as masks over ``names``.

        Returns:
            ``(forbidden, required)``, two bool arrays of shape (d, d) with ``[i, j]`` meaning
            ``names[i] -> names[j]``. The diagonal is always forbidden.

        Raises:
            ConstraintError: when the constraints conflict or name variables not in ``names``.
        """
        self.validate(names)
        index = {n: i for i, n in enumerate(names)}
        d = len(names)
        forbidden = np.eye(d, dtype=bool)
        for a, b in self.forbid_reasons(names):
            forbidden[index[a], index[b]] = True
        required = np.zeros((d, d), dtype=bool)
        for a, b in self.required:
            required[index[a], index[b]] = True
        return forbidden, required

    def belief_probs(self, names: Sequence[str]) -> np.ndarray:
        """(d, d) float array of believed edge probabilities (``[i, j]``: i -> j), NaN where none."""
        unknown = self._unknown_variables(list(names))
        if unknown:
            raise ConstraintError(" ".join(unknown))
        index = {n: i for i, n in enumerate(names)}
        probs = np.full((len(names), len(names)), np.nan)
        for b in self.beliefs:
            probs[index[b.edge[0]], index[b.edge[1]]] = b.probability
        return probs

    def describe(self) -> list[str]:
        """The constraints in words, one sentence each (for the page and the report)."""
        lines = [f"{a} does not directly cause {b}." for a, b in self.forbidden]
        lines += [f"{a} directly causes {b}." for a, b in self.required]
        if self.tiers:
            order = " → ".join("{" + ", ".join(t) + "}" for t in self.tiers)
            lines.append(f"Causal order by tiers: {order}; nothing in a later tier causes anything earlier.")
            if self.forbid_within_tiers:
                lines.append("Variables in the same tier do not cause each other.")
        lines += [f"{r} is caused by nothing in the data (root)." for r in self.roots]
        lines += [f"{leaf} causes nothing in the data (leaf)." for leaf in self.leaves]
        lines += [
            f"{b.edge[0]} → {b.edge[1]} is believed with probability {b.probability:.0%}."
            for b in self.beliefs
        ]
        return lines

    def restricted_to(self, names: Sequence[str]) -> tuple[Constraints, list[str]]:
        """Drop every rule that mentions a variable not in ``names``.

        Returns:
            The restricted constraints and, in words, each rule that was dropped.
        """
        known = set(names)
        dropped: list[str] = []

        def keep_edges(edges: Iterable[Edge], kind: str) -> tuple[Edge, ...]:
            kept = tuple(e for e in edges if set(e) <= known)
            dropped.extend(f"{kind} edge {_arrow(e)}" for e in edges if not set(e) <= known)
            return kept

        forbidden = keep_edges(self.forbidden, "forbidden")
        required = keep_edges(self.required, "required")
        tiers = []
        for tier in self.tiers:
            dropped.extend(f"{v} from its tier" for v in tier if v not in known)
            if any(v in known for v in tier):
                tiers.append(tuple(v for v in tier if v in known))
        dropped += [f"root {r}" for r in self.roots if r not in known]
        dropped += [f"leaf {leaf}" for leaf in self.leaves if leaf not in known]
        beliefs = tuple(b for b in self.beliefs if set(b.edge) <= known)
        dropped += [f"belief about {_arrow(b.edge)}" for b in self.beliefs if not set(b.edge) <= known]
        restricted = Constraints(
            forbidden=forbidden,
            required=required,
            tiers=tuple(tiers),
            forbid_within_tiers=self.forbid_within_tiers,
            roots=tuple(r for r in self.roots if r in known),
            leaves=tuple(leaf for leaf in self.leaves if leaf in known),
            beliefs=beliefs,
        )
        return restricted, dropped

    # ----------------------------------------------------- immutable updates
    def with_forbidden(self, a: str, b: str) -> Constraints:
        return replace(self, forbidden=(*self.forbidden, (a, b)))

    def without_forbidden(self, a: str, b: str) -> Constraints:
        return replace(self, forbidden=tuple(e for e in self.forbidden if e != (a, b)))

    def with_required(self, a: str, b: str) -> Constraints:
        return replace(self, required=(*self.required, (a, b)))

    def without_required(self, a: str, b: str) -> Constraints:
        return replace(self, required=tuple(e for e in self.required if e != (a, b)))

    def with_tiers(
        self, tiers: Iterable[Iterable[str]], forbid_within_tiers: bool | None = None
    ) -> Constraints:
        """Replace the tiers (empty groups are dropped)."""
        within = self.forbid_within_tiers if forbid_within_tiers is None else forbid_within_tiers
        return replace(self, tiers=tuple(tuple(t) for t in tiers if tuple(t)), forbid_within_tiers=within)

    def with_roots(self, roots: Iterable[str]) -> Constraints:
        return replace(self, roots=tuple(roots))

    def with_leaves(self, leaves: Iterable[str]) -> Constraints:
        return replace(self, leaves=tuple(leaves))

    def with_belief(self, a: str, b: str, probability: float) -> Constraints:
        """Add or replace the belief about ``a -> b``."""
        others = tuple(x for x in self.beliefs if x.edge != (a, b))
        return replace(self, beliefs=(*others, Belief((a, b), probability)))

    def without_belief(self, a: str, b: str) -> Constraints:
        return replace(self, beliefs=tuple(x for x in self.beliefs if x.edge != (a, b)))

    # ------------------------------------------------------------ helpers
    def _unknown_variables(self, names: list[str]) -> list[str]:
        unknown = sorted(self.variables() - set(names))
        if not unknown:
            return []
        listed = ", ".join(repr(u) for u in unknown)
        return [
            f"The constraints name variable(s) not in the data: {listed}. "
            "Remove those rules or reload the data."
        ]

    def _structural_problems(self) -> list[str]:
        problems = [
            f"The {kind} edge {_arrow(e)} is a self-loop: a variable cannot cause itself."
            for kind, edges in (("forbidden", self.forbidden), ("required", self.required))
            for e in edges
            if e[0] == e[1]
        ]
        problems += [
            f"The belief about {_arrow(b.edge)} is a self-loop: a variable cannot cause itself."
            for b in self.beliefs
            if b.edge[0] == b.edge[1]
        ]
        problems += [
            f"The edge {_arrow(e)} is both forbidden and required."
            for e in self.forbidden
            if e in set(self.required)
        ]
        seen: dict[str, int] = {}
        for k, tier in enumerate(self.tiers):
            for v in tier:
                if v in seen and seen[v] != k:
                    problems.append(
                        f"{v} is in tier {seen[v] + 1} and in tier {k + 1}; put it in one tier only."
                    )
                seen.setdefault(v, k)
        counts: dict[Edge, int] = {}
        for b in self.beliefs:
            counts[b.edge] = counts.get(b.edge, 0) + 1
        problems += [
            f"There are {n} beliefs about {_arrow(e)}; keep one." for e, n in counts.items() if n > 1
        ]
        return problems

    def _required_cycles(self) -> list[str]:
        cycles, more = simple_cycles(self.required, MAX_CYCLES_REPORTED)
        problems = [
            f"The required edges form a cycle: {' → '.join([*c, c[0]])}. "
            "A causal graph cannot contain a cycle."
            for c in cycles
        ]
        if more:
            problems.append("(more cycles among the required edges are not listed)")
        return problems


def _arrow(edge: Sequence[Any]) -> str:
    return " → ".join(str(v) for v in edge)


def _edge(value: Any, what: str) -> Edge:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, str) and v for v in value):
        return (value[0], value[1])
    raise ConstraintError(
        f'Each {what} must be a pair of variable names like ["A", "B"]; '
        f"got {json.dumps(value, default=str)[:80]}."
    )


def _names(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise ConstraintError(
        f"{what} must be a list of variable names; got {json.dumps(value, default=str)[:80]}."
    )


def _unique(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))
