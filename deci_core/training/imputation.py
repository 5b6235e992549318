"""Amortised imputation of missing cells inside the ELBO (DECI, Geffner et al. 2022, section on missing data).

With a mask of observed variables, the ELBO per row becomes

    E_{q(x_m | x_o, mask)} [ log p(x_o, x_m | G) ] + H(q(x_m | x_o, mask))

where ``q`` is one network shared by all rows (amortised). Its input is the observed cells (missing
cells zeroed) and the mask, so it never sees the values it must predict; its output is a
distribution over every cell, used only where the cell is missing:

- continuous: Gaussian ``N(mu, sigma^2)`` in standardised units, reparameterised;
- binary: Bernoulli on a logit; categorical: softmax over the levels; both drawn by Gumbel-max with a
  straight-through gradient (hard 0/1 values forward, the relaxed ones' gradient backward).

The entropy is exact (sum over the missing cells of each row). Samples fill the gaps, and the filled
rows go through the same SEM likelihood, graph estimator and refinement as complete rows do. Shapes:
n rows, d variables, C encoded columns; ``observed`` is (n, d) bool.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from deci_core.data.schema import VariableType
from deci_core.sem.functions import uniform_init

HIDDEN = 64
TEMPERATURE = 0.5
"""Temperature of the relaxed (backward-pass) discrete draws."""
_LOG_SCALE_RANGE = (-4.0, 2.0)
_HALF_LOG_2PI_E = 0.5 * math.log(2 * math.pi * math.e)


class Imputer(nn.Module):
    """q(x_missing | x_observed, mask): an MLP from (masked rows, mask) to per-cell distributions.

    Args:
        types: type of each modelled variable (d,). widths: encoded columns of each (d,).
        generator: seeds the initial weights. hidden: hidden units.
    """

    def __init__(
        self,
        types: Sequence[VariableType],
        widths: Sequence[int],
        generator: torch.Generator,
        hidden: int = HIDDEN,
    ) -> None:
        super().__init__()
        width = torch.tensor(list(widths))
        col_var = torch.repeat_interleave(torch.arange(len(width)), width)
        kinds = [VariableType(t) for t in types]
        starts = torch.cumsum(width, 0) - width
        self.register_buffer("col_var", col_var)
        self.register_buffer("cont_cols", starts[[k is VariableType.CONTINUOUS for k in kinds]])
        self.register_buffer("bin_cols", starts[[k is VariableType.BINARY for k in kinds]])
        self.categorical = [
            (i, int(starts[i]), int(width[i])) for i, k in enumerate(kinds) if k is VariableType.CATEGORICAL
        ]
        c, d = int(width.sum()), len(kinds)
        self.w1 = nn.Parameter(uniform_init((c + d, hidden), c + d, generator))
        self.b1 = nn.Parameter(torch.zeros(hidden))
        self.w2 = nn.Parameter(uniform_init((hidden, hidden), hidden, generator))
        self.b2 = nn.Parameter(torch.zeros(hidden))
        self.w_out = nn.Parameter(torch.zeros(hidden, 2 * c))  # starts at N(0, 1) / uniform levels
        self.b_out = nn.Parameter(torch.zeros(2 * c))

    def column_mask(self, observed: torch.Tensor) -> torch.Tensor:
        """(n, d) observed variables -> (n, C) observed columns."""
        return observed[:, self.col_var]

    def forward(self, x: torch.Tensor, observed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(n, C) rows and (n, d) mask -> (loc (n, C), log_scale (n, C)): means / logits and log-scales.

        Missing cells are zeroed before the network reads them: their values cannot leak in.
        """
        cols = self.column_mask(observed).to(x.dtype)
        h = torch.cat([x * cols, observed.to(x.dtype)], dim=-1)
        h = F.leaky_relu(h @ self.w1 + self.b1, 0.2)
        h = F.leaky_relu(h @ self.w2 + self.b2, 0.2)
        loc, log_scale = (h @ self.w_out + self.b_out).chunk(2, dim=-1)
        return loc, log_scale.clamp(*_LOG_SCALE_RANGE)

    def sample(
        self, x: torch.Tensor, observed: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fill the gaps with one draw from q: (filled rows (n, C), entropy of q per row (n,)).

        Differentiable in q's parameters (reparameterised / straight-through); observed cells are
        returned unchanged and rows without a gap have entropy 0.
        """
        loc, log_scale = self(x, observed)
        missing = ~observed
        draw = x.clone()
        entropy = x.new_zeros(x.shape[0])
        if self.cont_cols.numel():
            c = self.cont_cols
            eps = torch.randn(loc[:, c].shape, generator=generator, device=x.device, dtype=x.dtype)
            draw[:, c] = loc[:, c] + torch.exp(log_scale[:, c]) * eps
            gaps = missing[:, self.col_var[c]].to(x.dtype)
            entropy = entropy + ((_HALF_LOG_2PI_E + log_scale[:, c]) * gaps).sum(1)
        if self.bin_cols.numel():
            c = self.bin_cols
            logits = loc[:, c]
            pair = torch.stack([torch.zeros_like(logits), logits], -1)  # levels 0 and 1
            draw[:, c] = _gumbel_straight_through(pair, generator)[..., 1]
            gaps = missing[:, self.col_var[c]].to(x.dtype)
            entropy = entropy + (_categorical_entropy(pair) * gaps).sum(1)
        for i, start, k in self.categorical:
            logits = loc[:, start : start + k]
            draw[:, start : start + k] = _gumbel_straight_through(logits, generator)
            entropy = entropy + _categorical_entropy(logits) * missing[:, i].to(x.dtype)
        cols = self.column_mask(observed)
        return torch.where(cols, x, draw), entropy

    @torch.no_grad()
    def most_likely(self, x: torch.Tensor, observed: torch.Tensor) -> torch.Tensor:
        """Fill the gaps with q's mean (continuous) or most probable level (discrete): (n, C)."""
        loc, _ = self(x, observed)
        fill = loc.clone()
        if self.bin_cols.numel():
            fill[:, self.bin_cols] = (loc[:, self.bin_cols] > 0).to(x.dtype)
        for _, start, k in self.categorical:
            fill[:, start : start + k] = F.one_hot(loc[:, start : start + k].argmax(-1), k).to(x.dtype)
        return torch.where(self.column_mask(observed), x, fill)


def _gumbel_straight_through(logits: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """One-hot Gumbel-max draws (..., k) whose gradient is that of the relaxed softmax draw."""
    u = torch.rand(logits.shape, generator=generator, device=logits.device, dtype=logits.dtype)
    g = -torch.log(-torch.log(u.clamp(1e-7, 1 - 1e-7)))
    soft = torch.softmax((logits + g) / TEMPERATURE, -1)
    hard = F.one_hot(soft.argmax(-1), logits.shape[-1]).to(logits.dtype)
    return hard + (soft - soft.detach())  # exactly hard forward, the relaxed gradient backward


def _categorical_entropy(logits: torch.Tensor) -> torch.Tensor:
    log_p = torch.log_softmax(logits, -1)
    return -(log_p.exp() * log_p).sum(-1)


def new_imputer(types: Sequence[VariableType], widths: Sequence[int], seed: int) -> Imputer:
    """An imputer with weights seeded by ``seed`` (offset from the SEM's so the two differ)."""
    return Imputer(types, widths, torch.Generator().manual_seed(int(seed) + 9173))
