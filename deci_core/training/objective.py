"""The per-step objective: ELBO terms and the gradient estimators for q(G) (ENCO-style or Gumbel-softmax ST).

All terms are per data row (the minibatch mean of the log-likelihood); the entropy H(q), a
whole-dataset quantity, enters divided by the number of rows, as in the ELBO
``E_q[log p(X | G)] + log p(G) + H(q)`` divided by n. The prior ``log p(G)`` (sparsity, soft
beliefs) is stated per row (see :class:`~deci_core.config.ModelConfig`) so its strength does not
fade with n.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from deci_core.graph.distribution import EdgeLogits, gumbel_st_pairs
from deci_core.sem.structural import SEM


@dataclass(frozen=True)
class GraphPrior:
    """``log p(G)`` per row, in expectation under q: ``-sparsity * sum(p) + strength * beliefs``.

    Attributes:
        sparsity: nats per expected edge.
        belief_strength: weight of the soft beliefs.
        beliefs: (d, d) believed probabilities, NaN where there is no belief (or None).
    """

    sparsity: float
    belief_strength: float = 0.0
    beliefs: torch.Tensor | None = None

    def log_prob(self, p: torch.Tensor) -> torch.Tensor:
        """Expected log-prior (scalar) for edge probabilities p (d, d)."""
        value = -self.sparsity * p.sum()
        if self.beliefs is not None and self.belief_strength > 0:
            has = ~torch.isnan(self.beliefs)
            b = self.beliefs.nan_to_num(0.5).clamp(1e-3, 1 - 1e-3)
            agree = p * torch.log(b) + (1 - p) * torch.log1p(-b)
            value = value + self.belief_strength * agree[has].sum()
        return value


def enco_delta(adjacency: torch.Tensor, node_ll: torch.Tensor) -> torch.Tensor:
    """Per-edge effect of i -> j on node j's log-likelihood, from sampled graphs.

    ``delta[i, j] = mean(ll_j | i -> j in G) - mean(ll_j | i -> j not in G)`` over the samples, the
    exact derivative of ``E_q[sum_j ll_j]`` with respect to ``p[i, j]`` when each pair is drawn
    independently (ENCO, Lippe et al. 2022). Zero where one of the two groups is empty.

    Args:
        adjacency: (S, d, d) sampled graphs, or (S, K+1, d, d) temporal ones (one delta per lag).
        node_ll: (S, d) mean log-likelihood of each node.

    Returns:
        (d, d) or (K+1, d, d) deltas (no gradient).
    """
    ll = node_ll.view(node_ll.shape[0], *([1] * (adjacency.dim() - 2)), node_ll.shape[-1])  # (S, .., 1, d)
    count_in = adjacency.sum(0)
    count_out = adjacency.shape[0] - count_in
    mean_in = (adjacency * ll).sum(0) / count_in.clamp_min(1)
    mean_out = ((1 - adjacency) * ll).sum(0) / count_out.clamp_min(1)
    return torch.where((count_in > 0) & (count_out > 0), mean_in - mean_out, torch.zeros_like(mean_in))


@dataclass(frozen=True)
class StepTerms:
    """Differentiable loss and the numbers reported in progress."""

    loss: torch.Tensor
    objective: float
    acyclicity: float


def discovery_terms(
    sem: SEM,
    probs: torch.Tensor,
    xb: torch.Tensor,
    prior: GraphPrior,
    penalty,
    num_rows: int,
    samples: int,
    generator: torch.Generator,
    common_rows: bool = False,
    estimator: str = "enco",
    family: Any = EdgeLogits,
) -> StepTerms:
    """One step's loss when the graph is learned.

    SEM parameters get the Monte-Carlo gradient of ``E_q[log p(x | G)]`` over ``samples`` graphs,
    each evaluated on its own ``B / samples`` rows of the minibatch (a quarter of the cost of scoring
    every graph on every row, at equal accuracy in our runs);
    q's logits get, with ``estimator="enco"``, the ENCO surrogate ``sum(p * delta)``; with
    ``"gumbel_st"``, the gradient of the likelihood through Gumbel-softmax straight-through graphs
    (hard 0/1 forward, relaxed backward); either way plus the prior, entropy and the acyclicity
    penalty ``penalty(h(p))`` (an augmented Lagrangian).

    Args:
        sem: the SEM. probs: (d, d) edge probabilities of q (differentiable).
        xb: (B, C) minibatch, B >= samples; (B, K+1, C) windows for a temporal SEM.
        estimator: ``"enco"`` or ``"gumbel_st"`` (see :class:`~deci_core.config.ModelConfig`).
        family: the graph family's ``draw``, ``entropy_of`` and ``acyclicity_of`` (the q(G) module:
            :class:`EdgeLogits`, or the temporal one, whose probs are (K+1, d, d)).
    """
    if estimator == "gumbel_st" and not (family is EdgeLogits or isinstance(family, EdgeLogits)):
        raise ValueError("the gumbel_st estimator is implemented for static graphs only; use enco")
    if estimator == "gumbel_st":
        graphs = gumbel_st_pairs(probs, samples, generator)  # (S, d, d), differentiable into probs
    elif estimator == "enco":
        graphs = family.draw(probs.detach(), samples, generator)  # (S, d, d) or (S, K+1, d, d)
    else:
        raise ValueError(f"unknown gradient estimator {estimator!r}")
    rows = xb.shape[0] // samples
    if common_rows:  # every graph on the same rows: row noise cancels out of the ENCO deltas
        xb = xb[:rows].expand(samples, *xb[:rows].shape)
    else:
        xb = xb[: rows * samples].reshape(samples, rows, *xb.shape[1:])  # rows per graph
    # Discovery keeps the plain likelihood fit: with the least-squares functions of the fixed-graph
    # fit (SEM.fit_terms) a linear-Gaussian chain A -> B -> C gained a spurious A - C edge
    # (tests/training/test_identifiability.py), and the discovery benchmarks were measured without them
    ll, location = sem.fit_terms(xb, graphs, mean_functions=False)  # (S, rows, d)
    node_ll = ll.mean(1)  # (S, d)
    expected_ll = node_ll.sum(1).mean()
    if estimator == "enco":
        surrogate = (probs * enco_delta(graphs, node_ll.detach())).sum()
    else:
        surrogate = probs.new_zeros(())  # the likelihood's own gradient reaches q via the graphs
    elbo_graph = prior.log_prob(probs) + family.entropy_of(probs) / num_rows
    h = family.acyclicity_of(probs)
    loss = -expected_ll + location - surrogate - elbo_graph + penalty(h)
    objective = -(expected_ll.item() + elbo_graph.item())
    return StepTerms(loss, objective, float(h.item()))


def fixed_graph_terms(sem: SEM, adjacency: torch.Tensor, xb: torch.Tensor) -> StepTerms:
    """One step's loss for a fixed graph (d, d): the negative mean log-likelihood, with the continuous
    functions fitted as conditional means (:meth:`SEM.fit_terms`); the objective reported is the
    negative mean log-likelihood."""
    ll, location = sem.fit_terms(xb, adjacency, mean_functions=True)
    nll = -ll.sum(-1).mean()
    return StepTerms(nll + location, float(nll.item()), 0.0)
