"""Augmented Lagrangian for an equality constraint ``h(theta) = 0`` (here: acyclicity).

The penalised objective to minimise is ``loss + alpha * h + rho / 2 * h^2``. Every few steps the
schedule calls :meth:`AugmentedLagrangian.update` with the recent constraint value: the multiplier
takes a dual-ascent step ``alpha += rho * h``, and when h has not fallen below ``progress`` times its
previous value the penalty grows, ``rho *= growth`` (capped at ``max_rho``), unless h is already
below ``tolerance``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class AugmentedLagrangian:
    """Multiplier and penalty state for one constraint ``h = 0`` with ``h >= 0``.

    Attributes:
        rho: penalty weight. alpha: Lagrange multiplier.
        growth: factor applied to rho when progress stalls. progress: required shrink factor of h.
        max_rho: cap on rho. tolerance: h at or below this counts as satisfied (rho stops growing).
    """

    rho: float = 1.0
    alpha: float = 0.0
    growth: float = 10.0
    progress: float = 0.5
    max_rho: float = 1e6
    tolerance: float = 1e-4
    last_h: float = float("inf")

    def penalty(self, h: torch.Tensor) -> torch.Tensor:
        """The term added to the loss: ``alpha * h + rho / 2 * h^2``."""
        return self.alpha * h + 0.5 * self.rho * h * h

    def update(self, h: float) -> None:
        """Dual step on alpha; grow rho when h did not shrink enough since the last update."""
        self.alpha += self.rho * h
        if h > self.tolerance and h > self.progress * self.last_h:
            self.rho = min(self.rho * self.growth, self.max_rho)
        self.last_h = h
