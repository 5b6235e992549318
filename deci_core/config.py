"""Frozen, typed configurations for the DECI engine.

:class:`ModelConfig` says *what* is learned (noise model, network size, prior strengths);
:class:`TrainingConfig` says *how* (seed, budget, batch size, device). Both are JSON round-trippable
with ``to_dict()`` / ``from_dict()`` (unknown keys raise :class:`~deci_core.errors.ConfigError`) and
have a stable ``config_hash()`` for model stores.

Presets (their time budget grows with the number of variables above 90: :func:`time_budget`);
training stops at whichever limit comes first, or earlier once the edge probabilities have
settled, and the graph refinement that follows uses what is left of the time budget. Wall times on
a 2-core CPU, one thread, n = 2,000 (``bench/RESULTS.md``, orientation F1 medians over 3 seeds):

========== ========== ============ =====================================================
preset     max_steps  max_seconds  measured
========== ========== ============ =====================================================
quick          1500        20      d = 10: 14-19.5 s, F1 0.59-0.94
standard       4000       240      d = 5: 15-27 s, F1 1.0; d = 10: 39-59 s, F1 0.75-1.0;
                                   d = 20: 100-125 s, F1 0.88-0.95
thorough      12000       600      d = 50, n = 5,000: 465 s, F1 0.73
========== ========== ============ =====================================================
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, TypeVar

from deci_core.errors import ConfigError

PRESETS: dict[str, dict[str, float]] = {
    "quick": {"max_steps": 1500, "max_seconds": 20.0},
    "standard": {"max_steps": 4000, "max_seconds": 240.0},
    "thorough": {"max_steps": 12000, "max_seconds": 600.0},
}
WIDE_TABLE = 90
"""Variables above which a preset's time budget grows (see :func:`time_budget`)."""
NOISE_MODELS = ("spline", "gaussian")
GRADIENT_ESTIMATORS = ("enco", "gumbel_st")
MISSING_POLICIES = ("model", "drop")

_C = TypeVar("_C", bound="_Config")


class _Config:
    """Shared JSON behaviour: ``to_dict``, strict ``from_dict`` and ``config_hash``."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[_C], d: dict[str, Any]) -> _C:
        """Build from a dict; unknown keys or bad values raise ConfigError."""
        if not isinstance(d, dict):
            raise ConfigError(f"{cls.__name__} must be a JSON object, got {type(d).__name__}.")
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"Unknown {cls.__name__} key(s) {unknown}; allowed keys are {sorted(known)}.")
        try:
            return cls(**d)
        except TypeError as exc:
            raise ConfigError(f"Invalid {cls.__name__}: {exc}") from exc

    def config_hash(self) -> str:
        """Stable 16-hex-digit hash of the settings (same settings -> same hash, across runs)."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(f"{type(self).__name__}:{text}".encode()).hexdigest()[:16]


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


@dataclass(frozen=True)
class ModelConfig(_Config):
    """What the model learns.

    Attributes:
        noise: continuous noise model, ``"spline"`` (rational-quadratic spline flow, DECI's default)
            or ``"gaussian"`` (learned scale).
        hidden: hidden units of each variable's network.
        layers: hidden layers of each variable's network (>= 1).
        spline_bins: bins of the spline flow.
        spline_bound: the spline acts on ``[-bound, bound]`` (in noise standard deviations); it is the
            identity outside.
        spline_prior: strength of a Gaussian prior pulling the spline's shape parameters toward the
            identity spline: ``spline_prior * |theta - theta_identity|^2`` nats for the whole table
            (divided by the number of rows per step, so it fades as n grows, like any prior).
        sparsity: prior cost of one edge in units of BIC's ``½·log n`` nats (n rows): ``log p(G)``
            includes ``-sparsity * ½·log n * E[#edges]``, and the graph refinement charges the same
            per edge it adds (see :mod:`deci_core.training.evidence`). 1 is BIC; larger gives
            sparser graphs. The cost grows with n only logarithmically, so weak but real edges are
            kept once there are enough rows.
        belief_strength: weight of soft beliefs: a belief "i -> j with probability b" adds
            ``belief_strength * (p log b + (1 - p) log(1 - b))`` nats per data row to the prior,
            where p is q's probability of the edge.
        gradient_estimator: how q(G) gets gradients; ``"enco"`` (per-edge likelihood differences
            over sampled graphs, as in ENCO) or ``"gumbel_st"`` (the DECI paper's Gumbel-softmax
            straight-through estimator: hard graphs forward, relaxed ones backward).
        missing: what ``fit`` does with missing cells in modelled columns: ``"model"`` (default) keeps
            every row and learns an amortised imputation network inside the ELBO
            (:mod:`deci_core.training.imputation`); ``"drop"`` drops the rows with a gap first.
    """

    noise: str = "spline"
    hidden: int = 32
    layers: int = 2
    spline_bins: int = 8
    spline_bound: float = 4.0
    spline_prior: float = 0.0
    sparsity: float = 1.0
    belief_strength: float = 0.05
    gradient_estimator: str = "enco"
    missing: str = "model"

    def __post_init__(self) -> None:
        _check(self.noise in NOISE_MODELS, f"noise must be one of {NOISE_MODELS}, got {self.noise!r}.")
        _check(self.hidden >= 1 and self.layers >= 1, "hidden and layers must be at least 1.")
        _check(self.spline_bins >= 2 and self.spline_bound > 0, "spline_bins >= 2 and spline_bound > 0.")
        _check(self.spline_prior >= 0, "spline_prior must be >= 0.")
        _check(self.sparsity >= 0 and self.belief_strength >= 0, "sparsity and belief_strength must be >= 0.")
        _check(
            self.gradient_estimator in GRADIENT_ESTIMATORS,
            f"gradient_estimator must be one of {GRADIENT_ESTIMATORS}, got {self.gradient_estimator!r}.",
        )
        _check(
            self.missing in MISSING_POLICIES,
            f"missing must be one of {MISSING_POLICIES}, got {self.missing!r}.",
        )


@dataclass(frozen=True)
class TrainingConfig(_Config):
    """How the model is trained.

    Attributes:
        seed: seeds every random draw of ``fit``; same seed and data on the same machine give the
            same graph.
        preset: ``"quick"``, ``"standard"`` or ``"thorough"``: default budgets (module docstring).
        max_steps: optimisation steps; ``None`` takes the preset's.
        max_seconds: wall-clock budget; ``None`` takes the preset's. Training stops at whichever
            limit comes first (on a seconds limit, results depend on machine speed).
        batch_size: rows per step; in discovery, split evenly among the graph samples.
        learning_rate: Adam step size of the SEM (functions and noise).
        graph_learning_rate: Adam step size of the graph logits.
        graph_samples: graphs drawn from q(G) per step for the gradient estimator.
        warmup_steps: steps at the start during which only the SEM learns (q(G) stays at its start).
        noise_shape_delay: in discovery, the fraction of ``steps`` during which the spline noise keeps
            its initial Gaussian shape (only its scale learns); the shape learns afterwards. Measured
            at d = 5 (3 seeds): 0.6 helps on Gaussian-noise data (median orientation F1 0.83 vs
            0.67) but hurts badly on non-Gaussian noise (0.73 vs 1.0), so the default is 0.
            No effect with Gaussian noise.
        common_rows: in discovery, score every sampled graph on the same ``batch_size / graph_samples``
            rows (instead of each graph on its own rows), so the ENCO edge deltas compare graphs on
            equal data and the row-sampling noise cancels out of them.
        refine: after training, hill-climb from the most probable graph by held-out likelihood of
            freshly fitted conditionals (add, remove or reverse one edge at a time, within what is
            left of the time budget) and move q(G) to the result; see
            :mod:`deci_core.training.refine`. Measured: it corrects the edges the variational
            training locks in the wrong way early (bench/RESULTS.md).
        al_interval: steps between augmented-Lagrangian updates of the acyclicity multiplier.
        al_rho: initial acyclicity penalty weight (grows by 10x when acyclicity stalls).
        patience: stop early when no edge probability moved by more than 0.02 over this many steps
            and the expected graph is acyclic (0 disables).
        progress_every: steps between progress callbacks (edge probabilities included).
        weight_decay: decoupled weight decay (AdamW-style, per step ``w -= lr * weight_decay * w``) on
            the weight matrices of the SEM's networks (not biases, not the noise model). 0 in
            discovery; fixed-graph refits use ``training.fixed_graph.WEIGHT_DECAY``.
        warm_start_above: with more variables than this, start q(G) at the DAG a closed-form BIC
            search finds in seconds (linear or piecewise-linear Gaussian and tabular conditionals:
            :mod:`deci_core.training.warm_start`) instead of uniform; the search takes at most
            ``warm_start.SEARCH_SHARE`` of the time budget (0: always; smaller tables are trained
            from uniform, which settles within the budget there).
        screen_above: with more variables than this, screen candidate parents before training
            (:mod:`deci_core.training.screening`): pairs no cheap statistic links are forbidden
            for training and refinement, and each network reads only its candidates (0: never).
        device: ``"auto"`` (CUDA when present, else CPU), ``"cpu"`` or ``"cuda"``.
        num_threads: CPU threads for torch during fit; ``None`` means ``max(1, min(4, cpu_count // 2))``
            (half the cores: leaves room for the app, and on a busy 2-core machine one thread ran a
            d = 5 step in 11 ms where two took 136 ms, the threads waiting on each other).
    """

    seed: int = 0
    preset: str = "standard"
    max_steps: int | None = None
    max_seconds: float | None = None
    batch_size: int = 1024
    learning_rate: float = 3e-3
    graph_learning_rate: float = 1e-2
    graph_samples: int = 16
    warmup_steps: int = 600
    noise_shape_delay: float = 0.0
    common_rows: bool = False
    refine: bool = True
    al_interval: int = 200
    al_rho: float = 1.0
    patience: int = 800
    progress_every: int = 25
    weight_decay: float = 0.0
    warm_start_above: int = 30
    screen_above: int = 30
    device: str = "auto"
    num_threads: int | None = None

    def __post_init__(self) -> None:
        _check(self.preset in PRESETS, f"preset must be one of {sorted(PRESETS)}, got {self.preset!r}.")
        _check(self.max_steps is None or self.max_steps >= 1, "max_steps must be >= 1.")
        _check(self.max_seconds is None or self.max_seconds > 0, "max_seconds must be > 0.")
        _check(self.graph_samples >= 2, "graph_samples must be >= 2.")
        _check(self.batch_size >= self.graph_samples, "batch_size must be >= graph_samples.")
        _check(self.learning_rate > 0 and self.graph_learning_rate > 0, "learning rates must be > 0.")
        _check(self.al_interval >= 1 and self.al_rho > 0, "al_interval >= 1 and al_rho > 0.")
        _check(
            self.warmup_steps >= 0 and 0 <= self.noise_shape_delay <= 1,
            "warmup_steps >= 0, 0 <= noise_shape_delay <= 1.",
        )
        _check(self.patience >= 0 and self.progress_every >= 1, "patience >= 0 and progress_every >= 1.")
        _check(self.weight_decay >= 0, "weight_decay must be >= 0.")
        _check(
            self.device in ("auto", "cpu", "cuda"), f"device must be auto, cpu or cuda, got {self.device!r}."
        )
        _check(self.num_threads is None or self.num_threads >= 1, "num_threads must be >= 1.")
        _check(self.screen_above >= 0, "screen_above must be >= 0.")
        _check(self.warm_start_above >= 0, "warm_start_above must be >= 0.")

    @property
    def steps(self) -> int:
        """The step budget: ``max_steps`` or the preset's."""
        return int(self.max_steps if self.max_steps is not None else PRESETS[self.preset]["max_steps"])

    @property
    def seconds(self) -> float:
        """The time budget in seconds: ``max_seconds`` or the preset's."""
        return float(
            self.max_seconds if self.max_seconds is not None else PRESETS[self.preset]["max_seconds"]
        )

    @property
    def threads(self) -> int:
        """CPU threads torch uses during fit."""
        return self.num_threads or max(1, min(4, (os.cpu_count() or 1) // 2))


def time_budget(config: TrainingConfig, num_variables: int) -> float:
    """The seconds a fit on ``num_variables`` variables may take: ``max_seconds`` when set, else the
    preset's, times ``(d / 90)²`` above 90 variables (a step's cost grows about like d²: measured
    91 ms at d = 100 against 7.5 ms at d = 10). Standard: 240 s up to d = 90, 296 s at d = 100,
    1,185 s at d = 200. The number of rows does not enter: a step reads a fixed minibatch and the
    refinement scores a capped number of rows (:func:`deci_core.training.evidence.score_rows`)."""
    if config.max_seconds is not None:
        return float(config.max_seconds)
    return config.seconds * max(1.0, (num_variables / WIDE_TABLE) ** 2)
