"""Temporal SEM: masking by the temporal graph (nothing from the future, non-parents have no
influence) and the history-dependent spline flow's inverse and log-determinant in float64."""

import torch

from deci_core.config import ModelConfig
from deci_core.data.schema import VariableType as V
from deci_core.sem.noise import SplineNoise
from deci_core.sem.splines import rq_spline, rq_spline_inverse
from deci_core.sem.temporal import TemporalSEM


def _sem(lags=2, noise="spline", types=(V.CONTINUOUS, V.CONTINUOUS, V.BINARY), seed=0):
    sem = TemporalSEM(
        list(types), [1] * len(types), ModelConfig(noise=noise), torch.Generator().manual_seed(seed), lags
    )
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in sem.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.3)
    return sem.double()


def _graph():
    g = torch.zeros(3, 3, 3, dtype=torch.float64)
    g[0, 0, 1] = 1  # x0_t -> x1_t
    g[1, 1, 1] = 1  # x1_{t-1} -> x1_t
    g[2, 2, 0] = 1  # x2_{t-2} -> x0_t
    return g


def test_only_parents_at_their_lags_change_a_variables_likelihood():
    sem, g = _sem(), _graph()
    w = torch.randn(50, 3, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    w[..., 2] = (w[..., 2] > 0).double()
    base = sem.node_log_prob(w, g)
    for lag, var in [(0, 2), (1, 0), (2, 0), (1, 2), (0, 1)]:  # none of these is a parent of x1
        moved = w.clone()
        moved[:, lag, var] += 1.0
        if (lag, var) != (0, 1):
            assert torch.allclose(sem.node_log_prob(moved, g)[:, 1], base[:, 1])
    moved = w.clone()
    moved[:, 1, 1] += 1.0  # a lagged parent of x1
    assert not torch.allclose(sem.node_log_prob(moved, g)[:, 1], base[:, 1])
    moved = w.clone()
    moved[:, 2, 2] += 1.0  # x2 at lag 2 is x0's only parent
    assert not torch.allclose(sem.node_log_prob(moved, g)[:, 0], base[:, 0])


def test_rollout_never_uses_the_future():
    """Step h of a rollout is the same whatever noise the later steps get."""
    sem, g = _sem(), _graph()
    gen = torch.Generator().manual_seed(4)
    past = torch.randn(20, 2, 3, generator=gen, dtype=torch.float64)
    z = torch.stack([sem.sample_noise(20, gen) for _ in range(4)]).double()
    z2 = z.clone()
    z2[2:] = torch.randn(z2[2:].shape, generator=gen, dtype=torch.float64)
    a, b = sem.rollout(past, z, g), sem.rollout(past, z2, g)
    assert torch.equal(a[:2], b[:2]) and not torch.equal(a[2:], b[2:])


def test_do_holds_the_treatment_and_cuts_its_parents():
    sem, g = _sem(), _graph()
    gen = torch.Generator().manual_seed(5)
    past = torch.randn(30, 2, 3, generator=gen, dtype=torch.float64)
    z = torch.stack([sem.sample_noise(30, gen) for _ in range(3)]).double()
    held = sem.rollout(past, z, g, [{0: torch.tensor([2.0])}] * 3)
    assert torch.all(held[..., 0] == 2.0)
    once = sem.rollout(past, z, g, [{0: torch.tensor([2.0])}])
    free = sem.rollout(past, z, g)
    assert torch.all(once[0, :, 0] == 2.0) and torch.equal(
        once[1:, :, 2], free[1:, :, 2]
    )  # x2 has no path from x0


def test_history_dependent_spline_inverse_and_log_det_float64():
    """Parameters that vary per row (from the lagged parents): round trip and log|dT/dz| via autograd."""
    noise = SplineNoise(2, 3, bins=6, bound=3.0).double()
    g = torch.Generator().manual_seed(6)
    shift = torch.randn(1, 400, 2, noise.num_params, generator=g, dtype=torch.float64)
    z = (torch.rand(1, 400, 2, generator=g, dtype=torch.float64) - 0.5) * 12
    z.requires_grad_(True)
    u = noise.to_base(z, None, shift)
    back = noise.from_base(u, None, shift)
    assert torch.allclose(back, z, atol=1e-9)
    (grad,) = torch.autograd.grad(u.sum(), z)
    log_density = noise.log_prob(z, None, shift)
    expected = -0.5 * u * u - 0.5 * torch.log(torch.tensor(2 * torch.pi, dtype=torch.float64)) + grad.log()
    assert torch.allclose(log_density, expected, atol=1e-9)
    widths, heights, derivs = (torch.randn(5, 2, k, generator=g, dtype=torch.float64) for k in (6, 6, 5))
    x = (torch.rand(5, 2, generator=g, dtype=torch.float64) - 0.5) * 6
    y, _ = rq_spline(x, widths, heights, derivs, bound=3.0)
    assert torch.allclose(rq_spline_inverse(y, widths, heights, derivs, bound=3.0), x, atol=1e-10)


def test_the_noise_depends_on_the_history_through_lagged_parents_only():
    sem, g = _sem(), _graph()
    shift = sem._shift
    w = torch.randn(10, 3, 3, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    base = shift(w, g[None])
    moved = w.clone()
    moved[:, 0] += 3.0  # the present never enters the noise's parameters
    assert torch.equal(shift(moved, g[None]), base)
    moved = w.clone()
    moved[:, 1, 1] += 1.0
    assert not torch.allclose(shift(moved, g[None])[..., 1, :], base[..., 1, :])
