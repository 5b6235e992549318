"""Did discovery training converge? A verdict from measurable quantities, stated as one rule.

A fit that stops on its step or time budget may stop before q(G) has settled: measured at d = 100,
n = 5,000, the standard preset stopped at 240 s after 2,630 of 4,000 steps with every edge
probability still below 0.5 (an empty graph). Such a graph is not a finding, so every discovery fit
carries a verdict (``FitSummary.converged`` and a sentence, ``FitSummary.convergence``).

The rule, checked in this order at the end of training (the first that applies gives the verdict):

1. stopped by the early-stopping test (``stopped == "converged"``: no edge probability moved by
   more than 0.02 over ``patience`` steps and the expected graph is acyclic): converged;
2. still in the warm-up (q(G) had not started learning): **not converged**;
3. fewer than :data:`MOVE_WINDOW` steps of graph learning after the warm-up: **not converged**
   (too few to tell whether the edges formed);
4. acyclicity ``h(E[A])`` of the edge probabilities above :data:`ACYCLICITY_TOLERANCE` (the
   augmented Lagrangian had not yet pushed the cycles out): **not converged**;
5. some edge probability moved by more than :data:`MOVE_TOLERANCE` over the last
   :data:`MOVE_WINDOW` to ``2 * MOVE_WINDOW`` steps (the edges were still forming or flipping):
   **not converged**;
6. otherwise converged (settled within the tolerances, though not by the early-stopping test).
"""

from __future__ import annotations

from dataclasses import dataclass

MOVE_WINDOW = 250
"""Steps between the anchors the movement of the edge probabilities is measured against."""
MOVE_TOLERANCE = 0.1
"""Largest change of any edge probability over the window that still counts as settled."""
ACYCLICITY_TOLERANCE = 1e-2
"""Largest ``h(E[A])`` that counts as acyclic enough (graphs handed out are always made acyclic)."""


@dataclass(frozen=True)
class Verdict:
    """``converged`` and a sentence saying why (empty for a converged fit stopped by rule 1)."""

    converged: bool
    sentence: str


def verdict(
    stopped: str,
    in_warmup: bool,
    learning_steps: int,
    acyclicity: float,
    movement: float | None,
) -> Verdict:
    """Apply the module's rule.

    Args:
        stopped: "converged", "max_steps" or "max_seconds".
        in_warmup: training stopped during the warm-up.
        learning_steps: steps after the warm-up (q(G) learning).
        acyclicity: ``h(E[A])`` at the end.
        movement: largest change of an edge probability over the last window (None: not measured).
    """
    budget = "time limit" if stopped == "max_seconds" else "step limit"
    advice = "Continue training (or choose a longer budget) before reading the graph."
    if stopped == "converged":
        return Verdict(True, "Training converged: the edge probabilities stopped moving.")
    if in_warmup:
        return Verdict(
            False,
            f"Training stopped at its {budget} during the warm-up, before the graph started "
            f"learning. {advice}",
        )
    if learning_steps < MOVE_WINDOW or movement is None:
        return Verdict(
            False,
            f"Training stopped at its {budget} after only {learning_steps} steps of graph learning, "
            f"too few for the edges to form. {advice}",
        )
    if acyclicity > ACYCLICITY_TOLERANCE:
        return Verdict(
            False,
            f"Training stopped at its {budget} while the edge probabilities still formed cycles "
            f"(acyclicity {acyclicity:.2g} > {ACYCLICITY_TOLERANCE:g}). {advice}",
        )
    if movement > MOVE_TOLERANCE:
        return Verdict(
            False,
            f"Training stopped at its {budget} while edge probabilities were still changing (by up to "
            f"{movement:.2f} over the last {MOVE_WINDOW}+ steps). {advice}",
        )
    return Verdict(
        True,
        f"Training stopped at its {budget}; the edge probabilities had settled (no change above "
        f"{MOVE_TOLERANCE:g} over the last {MOVE_WINDOW}+ steps).",
    )
