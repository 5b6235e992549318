"""Causal effects from a fitted DECI model, in the user's units, with honest uncertainty.

- :func:`average_effect`: ATE, or CATE with ``conditioning`` -> :class:`EffectEstimate`
- :func:`cate_curve`: the conditional effect across one modifier's range -> :class:`CateCurve`
- :func:`individual_effects`: every row's effect (abduction) -> :class:`IndividualEffects`
- :func:`counterfactual`: one row under an intervention -> :class:`Counterfactual`
- :func:`refit_on_graph` / :class:`FixedGraphModel`: the SEM learned with the graph held fixed
- :func:`linear_backdoor`: the transparent linear cross-check -> :class:`LinearCheck`

Modules: estimate (value objects), setup (query resolution, graph draws), simulate (ATE/CATE),
curve, individual (ITE/counterfactuals), linear, refit. Each module's docstring states its method.
"""

from deci_core.effects.curve import CateCurve, cate_curve
from deci_core.effects.estimate import EffectEstimate, EffectQuery
from deci_core.effects.individual import Counterfactual, IndividualEffects, counterfactual, individual_effects
from deci_core.effects.linear import LinearCheck, linear_backdoor
from deci_core.effects.methods import EffectMethods
from deci_core.effects.refit import point_posterior, refit_on_graph
from deci_core.effects.setup import EffectQueryError, draw_graphs, has_path
from deci_core.effects.simulate import arm_samples, average_effect

__all__ = [
    "CateCurve",
    "Counterfactual",
    "EffectMethods",
    "EffectEstimate",
    "EffectQuery",
    "EffectQueryError",
    "FixedGraphModel",
    "IndividualEffects",
    "LinearCheck",
    "arm_samples",
    "average_effect",
    "cate_curve",
    "counterfactual",
    "draw_graphs",
    "has_path",
    "individual_effects",
    "linear_backdoor",
    "point_posterior",
    "refit_on_graph",
]


def __getattr__(name: str):
    """``FixedGraphModel`` is a DECI subclass: imported on first use (model.py imports this package)."""
    if name == "FixedGraphModel":
        from deci_core.effects.fixed import FixedGraphModel

        return FixedGraphModel
    raise AttributeError(f"module 'deci_core.effects' has no attribute {name!r}")
