"""Causal effects from a fitted DECI model, in the user's units, with honest uncertainty.

- :func:`average_effect`: ATE, or CATE with ``conditioning`` -> :class:`EffectEstimate`
- :func:`cate_curve`: the conditional effect across one modifier's range -> :class:`CateCurve`
- :func:`individual_effects`: every row's effect (abduction) -> :class:`IndividualEffects`
- :func:`counterfactual`: one row under an intervention -> :class:`Counterfactual`
- :func:`linear_backdoor`: a linear backdoor regression (the data-variance term) -> :class:`LinearCheck`
- :func:`doubly_robust`: EconML on each sampled graph's adjustment set -> :class:`DoublyRobustResult`

Modules: estimate (value objects), query (query resolution, graph draws), simulate (ATE/ATT/ATC/CATE),
curve, individual (ITE/counterfactuals), linear, adjustment (backdoor sets by d-separation), overlap
(propensity, common support, trimming), doubly_robust (EconML); each module's docstring states its
method. The SEM
refitted on a fixed graph: :func:`deci_core.training.fixed_graph.refit_on_graph` and
:class:`deci_core.fixed_graph.FixedGraphModel`.
"""

from deci_core.effects.curve import CateCurve, cate_curve
from deci_core.effects.doubly_robust import DoublyRobustResult, disagreement, doubly_robust
from deci_core.effects.estimate import EffectEstimate
from deci_core.effects.individual import Counterfactual, IndividualEffects, counterfactual, individual_effects
from deci_core.effects.linear import LinearCheck, linear_backdoor
from deci_core.effects.methods import EffectMethods
from deci_core.effects.query import EffectQuery, EffectQueryError, draw_graphs
from deci_core.effects.simulate import arm_samples, average_effect

__all__ = [
    "CateCurve",
    "Counterfactual",
    "DoublyRobustResult",
    "EffectMethods",
    "EffectEstimate",
    "EffectQuery",
    "EffectQueryError",
    "IndividualEffects",
    "LinearCheck",
    "arm_samples",
    "average_effect",
    "cate_curve",
    "counterfactual",
    "disagreement",
    "doubly_robust",
    "draw_graphs",
    "individual_effects",
    "linear_backdoor",
]
