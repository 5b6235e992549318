"""DECI Studio's engine: causal discovery and effects with DECI, usable without the app.

The main names are importable from here (loaded on first use, so ``import deci_core`` stays cheap)::

    from deci_core import DECI, ModelConfig, TrainingConfig, Constraints
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DECI": "deci_core.model",
    "ModelConfig": "deci_core.config",
    "TrainingConfig": "deci_core.config",
    "Constraints": "deci_core.constraints",
    "FitProgress": "deci_core.training.callbacks",
    "STOP": "deci_core.training.callbacks",
    "GraphPosterior": "deci_core.graph.posterior",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'deci_core' has no attribute {name!r}")
