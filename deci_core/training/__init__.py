"""Training: the augmented Lagrangian, the ELBO objective, the loop and its progress events."""

from deci_core.training.callbacks import STOP, Callback, FitProgress
from deci_core.training.lagrangian import AugmentedLagrangian
from deci_core.training.loop import FitSummary, train
from deci_core.training.objective import GraphPrior

__all__ = ["STOP", "AugmentedLagrangian", "Callback", "FitProgress", "FitSummary", "GraphPrior", "train"]
