"""Progress events and cancellation.

A callback is any callable taking one :class:`FitProgress`. It is called every
``TrainingConfig.progress_every`` steps and once at the end. To cancel, a callback returns
:data:`STOP` (the string ``"stop"``); ``fit`` then raises :class:`~deci_core.errors.FitCancelled`
and leaves the model unfitted. (A callback raising ``FitCancelled`` itself has the same effect.)
Any other return value is ignored. Callbacks run in the training thread: keep them quick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from deci_core.errors import FitCancelled

STOP = "stop"


@dataclass(frozen=True, eq=False)
class FitProgress:
    """One progress report.

    Attributes:
        step: steps done. max_steps: the step budget.
        objective: the training objective (negative ELBO per row, smoothed), lower is better.
        acyclicity: h(E[A]) of the current edge probabilities (0 for a DAG).
        num_edges: edges with probability > 0.5.
        elapsed_s: seconds since training started. eta_s: estimated seconds left (step or time budget).
        edge_probs: (d, d) current edge probabilities (parent rows), None when no graph is learned.
        done: True on the final report of training, and again after the graph refinement that follows
            it (``TrainingConfig.refine``), which reports with the final step count.
        phase: ``"training"`` or ``"refining"`` (the graph refinement after training; no steps,
            a report before each of its rounds).
    """

    step: int
    max_steps: int
    objective: float
    acyclicity: float
    num_edges: int
    elapsed_s: float
    eta_s: float
    edge_probs: np.ndarray | None
    done: bool = False
    phase: str = "training"


Callback = Callable[[FitProgress], object]


def notify(callbacks: Iterable[Callback], progress: FitProgress) -> None:
    """Call every callback; raise FitCancelled if one returns STOP."""
    for callback in callbacks:
        answer = callback(progress)
        if isinstance(answer, str) and answer == STOP:
            raise FitCancelled(f"Training was cancelled at step {progress.step} of {progress.max_steps}.")
