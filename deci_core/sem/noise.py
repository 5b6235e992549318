"""Noise models of the continuous variables, vectorised over all of them at once.

A noise model owns per-variable parameters for ``m`` continuous variables and maps additive noise
``z`` (G, n, m) to a log-density, and base draws ``u ~ N(0, 1)`` to noise and back, for G graphs.
The parameters may depend on which parents a variable has in each graph (``parents`` (G, d, m)),
never on the parents' values. Without this, graph samples in which j has no parents would share one
noise distribution with those in which it has, and the edge gradients would favour whichever
orientation happens to be ahead early (measured: the wrong one on a simple chain). Two models:

- :class:`GaussianNoise`: ``z ~ N(0, s_j^2)`` with a learned scale.
- :class:`SplineNoise` (DECI's default): ``u = T_j(z / s_j)`` with a monotone rational-quadratic
  spline ``T_j`` (Durkan et al. 2019) on ``[-B, B]``, identity outside, and ``u ~ N(0, 1)``:
  ``log p(z) = log N(u) + log T_j'(z / s_j) - log s_j``.

The spline functions (:func:`rq_spline`, :func:`rq_spline_inverse`) are pure tensor functions, so a
property test checks the inverse round trip and the log-derivative against autograd in float64.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from deci_core.sem.splines import MIN_DERIV, rq_spline, rq_spline_inverse

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def standard_normal_log_prob(u: torch.Tensor) -> torch.Tensor:
    return -0.5 * u * u - _LOG_SQRT_2PI


class _ParentConditioned(nn.Module):
    """Per-variable noise parameters that depend on which parents the variable has in a graph.

    ``params[g, j] = base[j] + sum_i parents[g, i, j] * weight[i, j]``: a variable's noise
    distribution may differ between graphs in which it has different parent sets, but not with the
    parents' values (the noise stays additive and independent of the parents).
    """

    def __init__(self, num_vars: int, num_nodes: int, init: torch.Tensor) -> None:
        super().__init__()
        self.base = nn.Parameter(init.repeat(num_vars, 1))  # (m, P)
        self.parent_weight = nn.Parameter(torch.zeros(num_nodes, num_vars, init.numel()))  # (d, m, P)

    @property
    def num_params(self) -> int:
        """P, parameters per variable."""
        return int(self.base.shape[-1])

    def params(
        self,
        parents: torch.Tensor | None,
        shift: torch.Tensor | None = None,
        columns: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Parent indicators (G, d, m) or None -> parameters (G, 1, m, P), broadcastable over rows.

        ``shift`` (G, n, m, P), when given, is added per row: history-dependent noise (a temporal
        SEM's network of the lagged parents), giving (G, n, m, P). ``columns`` (k,) keeps only those
        of the m variables (m becomes k).
        """
        if parents is None:
            out = self.base[None, None]
        else:
            weight = torch.einsum("gim,imp->gmp", parents.to(self.base.dtype), self.parent_weight)
            out = (self.base + weight).unsqueeze(1)
        out = out if shift is None else out + shift
        return out if columns is None else out[:, :, columns]


class GaussianNoise(_ParentConditioned):
    """Gaussian noise with a learned log-scale per variable (and per parent set).

    Args:
        num_vars: m, the number of continuous variables. num_nodes: d, the number of variables.
    """

    def __init__(self, num_vars: int, num_nodes: int) -> None:
        super().__init__(num_vars, num_nodes, torch.zeros(1))

    def log_prob(
        self, z: torch.Tensor, parents: torch.Tensor | None = None, shift: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Noise (G, n, m) -> log-density (G, n, m); ``parents`` (G, d, m) parent indicators or None."""
        log_scale = self.params(parents, shift)[..., 0]
        return standard_normal_log_prob(z * torch.exp(-log_scale)) - log_scale

    def from_base(
        self,
        u: torch.Tensor,
        parents: torch.Tensor | None = None,
        shift: torch.Tensor | None = None,
        columns: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Standard-normal draws (G, n, m) -> noise (G, n, m) (``columns``: see :meth:`params`)."""
        return u * torch.exp(self.params(parents, shift, columns)[..., 0])

    def to_base(
        self, z: torch.Tensor, parents: torch.Tensor | None = None, shift: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Noise (G, n, m) -> the standard-normal draws (G, n, m) that give it."""
        return z * torch.exp(-self.params(parents, shift)[..., 0])


class SplineNoise(_ParentConditioned):
    """Rational-quadratic spline flow per variable, all variables in one set of tensor ops.

    Parameters per variable: a log-scale, K bin widths, K bin heights, K - 1 inner slopes.

    Args:
        num_vars: m, the number of continuous variables. num_nodes: d, the number of variables.
        bins: K, the spline's bins.
        bound: B, the spline acts on ``[-B, B]`` (after scaling), identity outside.
    """

    def __init__(
        self, num_vars: int, num_nodes: int, bins: int = 8, bound: float = 4.0, shape_prior: float = 0.0
    ) -> None:
        inner = math.log(math.expm1(1.0 - MIN_DERIV))  # softplus^-1: slopes start at 1
        init = torch.cat([torch.zeros(1 + 2 * bins), torch.full((bins - 1,), inner)])
        super().__init__(num_vars, num_nodes, init)
        self.bins, self.bound, self.shape_prior = bins, float(bound), float(shape_prior)
        self.register_buffer("identity_shape", init[1:].clone(), persistent=False)

    def shape_penalty(self) -> torch.Tensor:
        """``shape_prior * |theta - theta_identity|^2`` over the spline's shape parameters (a Gaussian
        prior centred on the identity spline; the loop divides it by the number of rows)."""
        base = self.base[:, 1:] - self.identity_shape
        return self.shape_prior * (base.square().sum() + self.parent_weight[..., 1:].square().sum())

    def freeze_shape_grads(self) -> None:
        """Drop this step's gradients of the spline's shape (keep the scale's): Gaussian-like fitting."""
        for p in (self.base, self.parent_weight):
            if p.grad is not None:
                p.grad[..., 1:] = 0

    def _split(self, params: torch.Tensor) -> tuple[torch.Tensor, ...]:
        k = self.bins
        return (
            params[..., 0],
            params[..., 1 : 1 + k],
            params[..., 1 + k : 1 + 2 * k],
            params[..., 1 + 2 * k :],
        )

    def log_prob(
        self, z: torch.Tensor, parents: torch.Tensor | None = None, shift: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Noise (G, n, m) -> log-density (G, n, m); ``parents`` (G, d, m) parent indicators or None."""
        log_scale, *spline = self._split(self.params(parents, shift))
        u, logdet = rq_spline(z * torch.exp(-log_scale), *spline, bound=self.bound)
        return standard_normal_log_prob(u) + logdet - log_scale

    def from_base(
        self,
        u: torch.Tensor,
        parents: torch.Tensor | None = None,
        shift: torch.Tensor | None = None,
        columns: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Standard-normal draws (G, n, m) -> noise (G, n, m) (inverse spline, then scale;
        ``columns``: see :meth:`params`)."""
        log_scale, *spline = self._split(self.params(parents, shift, columns))
        return rq_spline_inverse(u, *spline, bound=self.bound) * torch.exp(log_scale)

    def to_base(
        self, z: torch.Tensor, parents: torch.Tensor | None = None, shift: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Noise (G, n, m) -> the standard-normal draws (G, n, m) that give it (scale, then spline)."""
        log_scale, *spline = self._split(self.params(parents, shift))
        return rq_spline(z * torch.exp(-log_scale), *spline, bound=self.bound)[0]


def make_noise(
    kind: str, num_vars: int, num_nodes: int, bins: int, bound: float, shape_prior: float = 0.0
) -> nn.Module:
    """The noise model named by ``ModelConfig.noise``."""
    if kind == "gaussian":
        return GaussianNoise(num_vars, num_nodes)
    return SplineNoise(num_vars, num_nodes, bins, bound, shape_prior)
