"""The variational distribution q(G) over graphs, ENCO-style (Lippe et al. 2022).

For every ordered pair (i, j), i != j, an existence logit ``gamma[i, j]`` and an orientation logit
``theta[i, j] = -theta[j, i]`` give the edge probability

    p[i, j] = sigmoid(gamma[i, j]) * sigmoid(theta[i, j]).

Since ``sigmoid(t) + sigmoid(-t) = 1``, ``p[i, j] + p[j, i] <= 1``, so each unordered pair is one
categorical draw: i -> j with ``p[i, j]``, j -> i with ``p[j, i]``, no edge otherwise (samples never
contain 2-cycles). Hard constraints are exact masks: a forbidden edge has probability 0 and a required
edge probability 1 (its reverse 0).
"""

from __future__ import annotations

import torch
from torch import nn

from deci_core.graph.dag import acyclicity


class EdgeLogits(nn.Module):
    """Learnable q(G) for d variables, with fixed forbidden / required masks.

    Args:
        forbidden: (d, d) bool, edges i -> j that never exist.
        required: (d, d) bool, edges i -> j that always exist.
    """

    def __init__(self, forbidden: torch.Tensor, required: torch.Tensor) -> None:
        super().__init__()
        d = forbidden.shape[0]
        eye = torch.eye(d, dtype=torch.bool, device=forbidden.device)
        required = required.bool() & ~eye
        self.register_buffer("forbidden", (forbidden.bool() | eye | required.T) & ~required)
        self.register_buffer("required", required)
        self.gamma = nn.Parameter(torch.zeros(d, d, device=forbidden.device))
        self.theta = nn.Parameter(torch.zeros(d, d, device=forbidden.device))

    @property
    def num_nodes(self) -> int:
        return int(self.gamma.shape[0])

    def probs(self) -> torch.Tensor:
        """Edge probabilities (d, d) with the hard masks applied (differentiable)."""
        theta = self.theta - self.theta.T
        p = torch.sigmoid(self.gamma) * torch.sigmoid(theta)
        p = p.masked_fill(self.forbidden, 0.0)
        return p.masked_fill(self.required, 1.0)

    @torch.no_grad()
    def set_pair(self, i: int, j: int, forward: float, backward: float) -> None:
        """Set the logits so that ``p[i, j] = forward`` and ``p[j, i] = backward`` (sum <= 1).

        Hard masks still win in :meth:`probs`.
        """
        exists = min(max(forward + backward, 1e-4), 1 - 1e-4)
        share = min(max(forward / max(forward + backward, 1e-12), 1e-4), 1 - 1e-4)
        self.gamma[i, j] = self.gamma[j, i] = torch.logit(torch.tensor(exists))
        self.theta[i, j] = 0.5 * float(torch.logit(torch.tensor(share)))
        self.theta[j, i] = -self.theta[i, j]

    def sample(self, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw graphs (no cycles of length 2; longer cycles possible during training).

        Returns:
            (num, d, d) float 0/1 adjacencies satisfying the hard masks.
        """
        with torch.no_grad():
            return sample_pairs(self.probs(), num, generator)

    def entropy(self) -> torch.Tensor:
        """Entropy H(q) in nats (see :func:`pair_entropy`)."""
        return pair_entropy(self.probs())

    # The graph-family interface the training objective uses (the temporal q(G) has the same).
    @staticmethod
    def draw(probs: torch.Tensor, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return sample_pairs(probs, num, generator)

    @staticmethod
    def entropy_of(probs: torch.Tensor) -> torch.Tensor:
        return pair_entropy(probs)

    @staticmethod
    def acyclicity_of(probs: torch.Tensor) -> torch.Tensor:
        return acyclicity(probs)


def pair_entropy(p: torch.Tensor) -> torch.Tensor:
    """Entropy in nats of q(G) with edge probabilities p (d, d): per unordered pair, a 3-way categorical."""
    none = (1.0 - p - p.T).clamp_min(0.0)
    upper = torch.triu(torch.ones_like(p, dtype=torch.bool), diagonal=1)
    terms = -_xlogx(p) - _xlogx(p.T) - _xlogx(none)
    return terms[upper].sum()


def sample_pairs(probs: torch.Tensor, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Sample graphs with one categorical draw per unordered pair.

    Args:
        probs: (d, d) with ``probs + probs.T <= 1`` and a zero diagonal.
        num: number of graphs.

    Returns:
        (num, d, d) float 0/1 adjacencies.
    """
    d = probs.shape[0]
    u = torch.rand(num, d, d, generator=generator, device=probs.device)
    u = torch.triu(u, diagonal=1)
    u = u + u.transpose(-1, -2)  # one uniform per unordered pair
    upper = torch.triu(torch.ones(d, d, dtype=torch.bool, device=probs.device), diagonal=1)
    # pair (i<j): i -> j if u < p[i, j]; j -> i if p[i, j] <= u < p[i, j] + p[j, i]
    forward = (u < probs) & upper
    backward = (u >= probs.T) & (u < probs.T + probs) & upper.T
    return (forward | backward).float()


GUMBEL_TEMPERATURE = 1.0


def gumbel_st_pairs(
    probs: torch.Tensor,
    num: int,
    generator: torch.Generator | None = None,
    temperature: float = GUMBEL_TEMPERATURE,
) -> torch.Tensor:
    """Gumbel-softmax straight-through graphs: hard 0/1 values forward, relaxed gradients backward.

    Each unordered pair (i < j) is a 3-way categorical (no edge / i -> j / j -> i) with logits
    ``log(1 - p[i, j] - p[j, i]), log p[i, j], log p[j, i]``; a state of probability exactly 0 (a hard
    mask) gets logit -inf, so it is never drawn and carries no gradient.

    Args:
        probs: (d, d) differentiable, ``probs + probs.T <= 1``, zero diagonal.
        num: number of graphs. temperature: of the relaxed softmax (backward pass only).

    Returns:
        (num, d, d) adjacencies equal to 0/1 graphs in value, with gradients into ``probs``.
    """
    d = probs.shape[0]
    iu, ju = torch.triu_indices(d, d, offset=1, device=probs.device)
    fwd, bwd = probs[iu, ju], probs[ju, iu]
    state_p = torch.stack([(1.0 - fwd - bwd).clamp_min(0.0), fwd, bwd], -1)  # (P, 3)
    logits = torch.log(state_p.clamp_min(1e-12)).masked_fill(state_p <= 0, float("-inf"))
    u = torch.rand(num, *logits.shape, generator=generator, device=probs.device)
    gumbel = -torch.log(-torch.log(u.clamp(1e-10, 1.0 - 1e-7)))
    soft = torch.softmax((logits + gumbel) / temperature, -1)  # (num, P, 3)
    hard = torch.nn.functional.one_hot(soft.argmax(-1), 3).to(soft.dtype)
    st = hard - soft.detach() + soft
    adj = probs.new_zeros(num, d, d)
    adj[:, iu, ju] = st[..., 1]
    adj[:, ju, iu] = st[..., 2]
    return adj


def _xlogx(p: torch.Tensor) -> torch.Tensor:
    return p * torch.log(p.clamp_min(1e-12))
