"""Graphs: DAG utilities, the variational posterior q(G) and the fitted posterior object."""

from deci_core.graph.dag import (
    acyclicity,
    greedy_dag,
    is_dag,
    most_probable_dag,
    topological_levels,
    topological_order,
)
from deci_core.graph.posterior import GraphPosterior

__all__ = [
    "GraphPosterior",
    "acyclicity",
    "greedy_dag",
    "is_dag",
    "most_probable_dag",
    "topological_levels",
    "topological_order",
]
