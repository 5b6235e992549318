"""Monotone rational-quadratic splines (Durkan et al. 2019) on ``[-B, B]``, identity outside.

Pure tensor functions, so a property test checks the inverse round trip and the log-derivative
against autograd in float64.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

MIN_BIN = 1e-3
MIN_DERIV = 1e-3


def _knots(
    widths: torch.Tensor, heights: torch.Tensor, derivs: torch.Tensor, bound: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Unnormalised parameters (m, K), (m, K), (m, K-1) -> knot x, knot y (m, K+1), derivatives (m, K+1)."""
    bins = widths.shape[-1]

    def cum(raw: torch.Tensor) -> torch.Tensor:
        w = MIN_BIN + (1 - MIN_BIN * bins) * torch.softmax(raw, dim=-1)
        c = F.pad(torch.cumsum(w, dim=-1), (1, 0))
        return 2 * bound * c - bound

    ones = torch.ones_like(derivs[..., :1])
    d = torch.cat([ones, MIN_DERIV + F.softplus(derivs), ones], dim=-1)
    return cum(widths), cum(heights), d


def _gather(knots: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """knots (m, P), idx (..., m) -> knots[j, idx[..., j]] (..., m)."""
    expanded = knots.expand(*idx.shape, knots.shape[-1])
    return expanded.gather(-1, idx.unsqueeze(-1)).squeeze(-1)


def _bin_values(knots: torch.Tensor, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Left and right knot values (..., m) of each element's bin."""
    return _gather(knots, idx), _gather(knots, idx + 1)


def _locate(knots: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Bin index (..., m) of each value among knots (m, K+1), clamped to [0, K-1]."""
    inner = knots[..., 1:-1]  # (m, K-1)
    idx = (values.unsqueeze(-1) >= inner).sum(-1)
    return idx.clamp(0, knots.shape[-1] - 2)


def rq_spline(
    x: torch.Tensor, widths: torch.Tensor, heights: torch.Tensor, derivs: torch.Tensor, bound: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward spline y = T(x) and log T'(x), elementwise per variable.

    Args:
        x: (..., m) inputs.
        widths, heights: (m, K) unnormalised bin sizes; derivs: (m, K-1) unconstrained inner slopes.
        bound: B; identity (log-derivative 0) outside ``[-B, B]``.

    Returns:
        y (..., m), log|dy/dx| (..., m).
    """
    kx, ky, kd = _knots(widths, heights, derivs, bound)
    inside = (x > -bound) & (x < bound)
    xc = x.clamp(-bound, bound)
    idx = _locate(kx, xc)
    (x0, x1), (y0, y1), (d0, d1) = (_bin_values(k, idx) for k in (kx, ky, kd))
    w, h = x1 - x0, y1 - y0
    s = h / w
    xi = ((xc - x0) / w).clamp(0, 1)
    t = xi * (1 - xi)
    denom = s + (d1 + d0 - 2 * s) * t
    y = y0 + h * (s * xi * xi + d0 * t) / denom
    dnum = s * s * (d1 * xi * xi + 2 * s * t + d0 * (1 - xi) ** 2)
    logdet = torch.log(dnum) - 2 * torch.log(denom)
    return torch.where(inside, y, x), torch.where(inside, logdet, torch.zeros_like(logdet))


def rq_spline_inverse(
    y: torch.Tensor, widths: torch.Tensor, heights: torch.Tensor, derivs: torch.Tensor, bound: float
) -> torch.Tensor:
    """Inverse spline x = T^{-1}(y), same shapes and parameters as :func:`rq_spline`."""
    kx, ky, kd = _knots(widths, heights, derivs, bound)
    inside = (y > -bound) & (y < bound)
    yc = y.clamp(-bound, bound)
    idx = _locate(ky, yc)
    (x0, x1), (y0, y1), (d0, d1) = (_bin_values(k, idx) for k in (kx, ky, kd))
    w, h = x1 - x0, y1 - y0
    s = h / w
    dy = yc - y0
    c2 = d1 + d0 - 2 * s
    a = h * (s - d0) + dy * c2
    b = h * d0 - dy * c2
    c = -s * dy
    disc = (b * b - 4 * a * c).clamp_min(0)
    xi = (2 * c) / (-b - torch.sqrt(disc))
    x = x0 + xi.clamp(0, 1) * w
    return torch.where(inside, x, y)
