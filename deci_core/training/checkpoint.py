"""The training loop's full state, so a stopped fit can continue exactly where it stopped.

:class:`TrainingCheckpoint` holds what :func:`~deci_core.training.loop.train` needs to go on: the
parameters of the SEM, q(G) and the imputer, Adam's moments, the augmented Lagrangian's multiplier
and penalty, the step counter, the smoothed objective, the convergence anchors and both random
generators. Continuing from it with a larger step budget gives the same parameters, bit for bit on
the same machine and thread count, as one longer fit with the same seed (tested).

:meth:`TrainingCheckpoint.to_state` is a plain dict of tensors, numbers and lists, readable with
``torch.load(weights_only=True)`` (:mod:`deci_core.io` saves it as ``resume.pt``); nothing is pickled.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

STATE_VERSION = 1


@dataclass(eq=False)
class TrainingCheckpoint:
    """The loop's state at the end of a training run (before any graph refinement).

    Attributes:
        step: steps done. elapsed_s: seconds of training so far (the time budget counts from 0).
        objective, acyclicity: the smoothed objective and the last ``h(E[A])``.
        modules: state dicts by role: "sem", "graph", and "imputer" when there is one.
        optimizer: Adam's state dict (its parameter groups in the order sem, graph, imputer).
        lagrangian: ``{"rho", "alpha", "last_h"}``. h_window: acyclicity values since its last update.
        generators: states of the row-sampling ("cpu") and the graph-sampling ("device") generators.
        anchors: the convergence tests' reference points (see ``loop._RunState``).
    """

    step: int
    elapsed_s: float
    objective: float
    acyclicity: float
    modules: dict[str, dict[str, torch.Tensor]]
    optimizer: dict[str, Any]
    lagrangian: dict[str, float]
    h_window: list[float]
    generators: dict[str, torch.Tensor]
    anchors: dict[str, Any] = field(default_factory=dict)

    def to_state(self) -> dict[str, Any]:
        """Plain values for ``torch.save`` (numpy arrays become tensors)."""
        anchors = {k: _to_tensor(v) for k, v in self.anchors.items()}
        return {
            "version": STATE_VERSION,
            "step": self.step,
            "elapsed_s": self.elapsed_s,
            "objective": self.objective,
            "acyclicity": self.acyclicity,
            "modules": self.modules,
            "optimizer": self.optimizer,
            "lagrangian": dict(self.lagrangian),
            "h_window": list(self.h_window),
            "generators": self.generators,
            "anchors": anchors,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TrainingCheckpoint:
        """Inverse of :meth:`to_state`; raises ValueError on another version."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"training state version {state.get('version')!r}, expected {STATE_VERSION}")
        anchors = {k: _from_tensor(v) for k, v in state["anchors"].items()}
        return cls(
            int(state["step"]),
            float(state["elapsed_s"]),
            float(state["objective"]),
            float(state["acyclicity"]),
            state["modules"],
            state["optimizer"],
            dict(state["lagrangian"]),
            [float(h) for h in state["h_window"]],
            state["generators"],
            anchors,
        )


def module_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached CPU copy of a module's state dict."""
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def optimizer_state(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """A CPU deep copy of an optimizer's state dict."""
    state = copy.deepcopy(optimizer.state_dict())
    for slot in state["state"].values():
        for name, value in slot.items():
            if isinstance(value, torch.Tensor):
                slot[name] = value.cpu()
    return state


def _to_tensor(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, list):
        return [_to_tensor(v) for v in value]
    if isinstance(value, tuple):
        return [_to_tensor(v) for v in value]
    return value


def _from_tensor(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.numpy().copy()
    if isinstance(value, list):
        return [_from_tensor(v) for v in value]
    return value
