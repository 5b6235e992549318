"""The effect question: :class:`EffectQuery` (the one value object the API, CLI, UI and samples use),
and its resolution against a fitted model: names -> indices, values -> encoded tensors, and reading
the outcome off simulated rows in the user's units.

Works with any fitted object exposing ``encoder_`` (TableEncoder), ``sem_`` (SEM) and
``graph_posterior_`` (GraphPosterior): the :class:`~deci_core.model.DECI` facade or a fixed-graph fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from deci_core.data.plain import to_plain
from deci_core.data.schema import VariableType
from deci_core.errors import DeciError, NotFittedError


@dataclass(frozen=True)
class EffectQuery:
    """What was asked: ``E[Y | do(T=a)] - E[Y | do(T=b)]``, optionally conditional.

    Attributes:
        treatment, outcome: variable names.
        treatment_value, control_value: a and b in the data's units (a level for discrete T).
        conditioning: modifier name -> value, ``[low, high]`` range (continuous) or list of levels.
        outcome_level: for a binary/categorical outcome, the level whose probability is compared.
        estimand: over whom the effect is averaged: ``"ate"`` (everyone), ``"att"`` (the treated:
            rows whose treatment is a, or for a continuous treatment nearer to a than to b) or
            ``"atc"`` (the controls: rows at b, or nearer to b). ATT and ATC need the data rows.
    """

    treatment: str
    outcome: str
    treatment_value: Any
    control_value: Any
    conditioning: dict[str, Any] = field(default_factory=dict)
    outcome_level: Any = None
    estimand: str = "ate"

    def __post_init__(self) -> None:
        if self.estimand not in ESTIMANDS:
            raise EffectQueryError(f"Unknown estimand {self.estimand!r}: use one of {list(ESTIMANDS)}.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "outcome": self.outcome,
            "treatment_value": to_plain(self.treatment_value),
            "control_value": to_plain(self.control_value),
            "conditioning": {k: to_plain(v) for k, v in self.conditioning.items()},
            "outcome_level": to_plain(self.outcome_level),
            "estimand": self.estimand,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EffectQuery:
        return cls(
            d["treatment"],
            d["outcome"],
            d["treatment_value"],
            d["control_value"],
            dict(d.get("conditioning") or {}),
            d.get("outcome_level"),
            d.get("estimand") or "ate",
        )


class EffectQueryError(DeciError):
    """An effect query names unknown variables, impossible values or levels."""


ESTIMANDS = {"ate": "everyone", "att": "the treated", "atc": "the controls"}
"""Estimand -> the population it averages over, in words."""


@dataclass(frozen=True)
class GraphDraws:
    """Distinct DAGs drawn for an estimate and the share of draws equal to each.

    Attributes:
        graphs: (U, d, d) bool distinct DAGs; the first is the most probable graph.
        weights: (U,) float, sums to 1.
        num_graphs: total draws (the most probable graph + posterior samples).
    """

    graphs: np.ndarray
    weights: np.ndarray
    num_graphs: int


def draw_graphs(posterior: Any, num_graphs: int, seed: int) -> GraphDraws:
    """The most probable DAG plus ``num_graphs - 1`` posterior samples, merged into distinct graphs."""
    if num_graphs < 1:
        raise EffectQueryError(f"num_graphs must be at least 1, got {num_graphs}.")
    draws = [np.asarray(posterior.most_probable(), dtype=bool)]
    if num_graphs > 1:
        draws.extend(np.asarray(posterior.sample(num_graphs - 1, seed=seed), dtype=bool))
    keys: dict[bytes, int] = {}
    graphs, counts = [], []
    for g in draws:
        key = np.packbits(g).tobytes()
        if key not in keys:
            keys[key] = len(graphs)
            graphs.append(g)
            counts.append(0)
        counts[keys[key]] += 1
    weights = np.asarray(counts, dtype=float) / len(draws)
    return GraphDraws(np.stack(graphs), weights, len(draws))


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles over axis 0 of values (U, ...) with weights (U,): (len(qs), ...)."""
    order = np.argsort(values, axis=0)
    v = np.take_along_axis(values, order, axis=0)
    cw = np.cumsum(weights[order], axis=0)
    cw = cw / cw[-1]
    out = []
    for q in qs:
        idx = (cw < q - 1e-12).sum(0).clip(0, values.shape[0] - 1)
        out.append(np.take_along_axis(v, idx[None], axis=0)[0])
    return np.stack(out)


@torch.no_grad()
def outside_support(q: Query, x: torch.Tensor, adj: torch.Tensor, level: float = 0.95) -> np.ndarray:
    """(n,) bool: either arm value is outside the central ``level`` of the treatment's fitted
    distribution given each row's parents on ``adj`` (rows x encoded, (n, C))."""
    spec = q.encoder.specs[q.t]
    outside = np.zeros(x.shape[0], dtype=bool)
    # the treatment's network output given its parents only (rows under either arm work: parents are
    # non-descendants of the treatment, so they equal the factual values)
    out = q.sem.functions(x, adj[None], torch.tensor([q.t], device=x.device))[0][:, 0, :]
    if spec.type is VariableType.CONTINUOUS:
        limit = float(torch.distributions.Normal(0.0, 1.0).icdf(torch.tensor(0.5 + level / 2)))
        k = int(torch.nonzero(q.sem.cont_idx == q.t)[0, 0])
        parents = adj[None][..., q.sem.cont_idx]
        for value in (q.a, q.b):
            residual = x.new_zeros(x.shape[0], len(q.sem.cont_idx))
            residual[:, k] = value.to(x.dtype).reshape(()) - out[:, 0]
            base = q.sem.noise.to_base(residual[None], parents)[0][:, k]
            outside |= (base.abs() > limit).cpu().numpy()
        return outside
    if spec.type is VariableType.BINARY:
        p1 = torch.sigmoid(out[:, 0])
        probs = torch.stack([1 - p1, p1], -1)
    else:
        probs = torch.softmax(out[:, : len(spec.categories)], -1)
    for value in (q.a, q.b):
        code = int(value[0].item()) if spec.type is VariableType.BINARY else int(value.argmax().item())
        outside |= (probs[:, code] < (1 - level) / 2).cpu().numpy()
    return outside


class Query:
    """A query bound to a fitted model: indices, encoded arm values and outcome read-outs."""

    def __init__(self, model: Any, query: EffectQuery) -> None:
        if not isinstance(query, EffectQuery):
            raise TypeError(f"expected an EffectQuery, got {type(query).__name__}")
        treatment, outcome = query.treatment, query.outcome
        for name in ("encoder_", "sem_", "graph_posterior_"):
            if not hasattr(model, name):
                raise NotFittedError("This model is not fitted yet: call fit(df) first (or DECI.load(path)).")
        if getattr(model, "is_temporal", False):
            raise EffectQueryError(
                "This is a time-series model: ask for effects over time with model.trajectory(...) "
                "(CLI: ate --horizon H)."
            )
        self.model, self.encoder, self.sem = model, model.encoder_, model.sem_
        self.names = list(self.encoder.names)
        self.t, self.y = self.index(treatment), self.index(outcome)
        if self.t == self.y:
            raise EffectQueryError(
                f"Treatment and outcome are both '{treatment}': pick two different variables."
            )
        self.treatment, self.outcome = treatment, outcome
        self.query = query
        self.a = self.encode(treatment, query.treatment_value)
        self.b = self.encode(treatment, query.control_value)
        self.treatment_value = self.canonical(treatment, query.treatment_value)
        self.control_value = self.canonical(treatment, query.control_value)
        self.out_spec = self.encoder.spec(outcome)
        self.discrete = self.out_spec.type is not VariableType.CONTINUOUS
        self.level, self.level_index = self._outcome_level(query.outcome_level)
        self.col = self.encoder.column_slices[self.y].start
        self.device = self.sem.codes.device

    def resolved(self, conditioning: dict[str, Any] | None = None) -> EffectQuery:
        """The question as answered: arm values and outcome level as the data holds them."""
        return replace(
            self.query,
            treatment_value=to_plain(self.treatment_value),
            control_value=to_plain(self.control_value),
            conditioning={k: to_plain(v) for k, v in (conditioning or {}).items()},
            outcome_level=to_plain(self.level),
        )

    # ----- resolving ------------------------------------------------------------------------
    def index(self, name: str) -> int:
        if name not in self.names:
            raise EffectQueryError(f"Unknown variable '{name}': the model knows {self.names}.")
        return self.names.index(name)

    def encode(self, name: str, value: Any) -> torch.Tensor:
        """A value in user units (or a level) -> encoded (width,) tensor; clear error when impossible."""
        spec = self.encoder.spec(name)
        if spec.type is VariableType.CONTINUOUS:
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise EffectQueryError(f"'{name}' is continuous: give a number, not {value!r}.") from None
            if not np.isfinite(number):
                raise EffectQueryError(f"'{name}' needs a finite number, got {value!r}.")
            return self.encoder.encode_value(name, number)
        try:
            return self.encoder.encode_value(name, _parse_level(value, spec.categories))
        except DeciError as exc:
            raise EffectQueryError(f"{exc} Use one of {list(spec.categories)}.") from None

    def canonical(self, name: str, value: Any) -> Any:
        """The value as the data holds it: a float (continuous) or the matching level."""
        spec = self.encoder.spec(name)
        if spec.type is VariableType.CONTINUOUS:
            return float(value)
        code = self.encode(name, value)
        index = int(code[0].item()) if spec.type is VariableType.BINARY else int(code.argmax().item())
        return spec.categories[index]

    def _outcome_level(self, level: Any) -> tuple[Any, int]:
        if not self.discrete:
            return None, 0
        cats = list(self.out_spec.categories)
        if level is None:
            return cats[-1], len(cats) - 1  # binary: the level coded 1
        code = self.encode(self.outcome, level)
        index = (
            int(code[0].item()) if self.out_spec.type is VariableType.BINARY else int(code.argmax().item())
        )
        return cats[index], index

    # ----- simulation helpers ---------------------------------------------------------------
    def adjacency(self, graph: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(graph), dtype=torch.float32, device=self.device)

    def arms(
        self, z: torch.Tensor, adj: torch.Tensor, fixed: dict[int, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Both arms with common noise z (n, C): rows under do(T=a) and do(T=b), one SEM pass.

        ``fixed``: variable -> (n, width) values both arms keep (the factual values of variables the
        treatment cannot change, so the pass skips computing them)."""
        n = z.shape[0]
        width = self.a.numel()
        values = torch.cat(
            [self.a.reshape(1, width).expand(n, width), self.b.reshape(1, width).expand(n, width)]
        )
        actions = {i: torch.cat([v, v]) for i, v in (fixed or {}).items()}
        actions[self.t] = values.to(self.device)
        x = self.sem.noise_to_sample(torch.cat([z, z]), adj, actions)
        return x[:n], x[n:]

    @torch.no_grad()
    def readout(self, x: torch.Tensor, adj: torch.Tensor, expected: bool) -> torch.Tensor:
        """The outcome of rows x (n, C) as numbers (n,) in user units.

        Continuous: the value. Discrete: with ``expected`` the probability of the chosen level given
        the row's parents (a lower-variance estimate of the same mean); otherwise the 0/1 indicator.
        """
        if not self.discrete:
            return self.encoder.to_user_units(self.outcome, x[:, self.col])
        binary = self.out_spec.type is VariableType.BINARY
        if not expected:
            hit = x[:, self.col] if binary else x[:, self.col + self.level_index]
            return hit if (not binary or self.level_index == 1) else 1 - hit
        nodes = torch.tensor([self.y], device=self.device)
        out = self.sem.functions(x, adj[None], nodes)[0][:, 0, :]  # (n, K)
        if binary:
            p = torch.sigmoid(out[:, 0])
            return p if self.level_index == 1 else 1 - p
        k = len(self.out_spec.categories)
        return torch.softmax(out[:, :k], -1)[:, self.level_index]


def _parse_level(value: Any, categories: tuple) -> Any:
    """A level given as text (CLI, forms) -> the matching category, else the value unchanged."""
    if value in categories:
        return value
    text = str(value).strip()
    for c in categories:
        if str(c) == text:
            return c
    try:
        number = float(text)
    except ValueError:
        return value
    for c in categories:
        if isinstance(c, (int, float, np.number)) and float(c) == number:
            return c
    return number if number in (0.0, 1.0) else value
