import torch

from deci_core.sem.noise import GaussianNoise, SplineNoise
from deci_core.sem.splines import rq_spline, rq_spline_inverse


def _params(m=4, bins=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(m, k, generator=g, dtype=torch.float64) * 1.5 for k in (bins, bins, bins - 1)]


def test_spline_inverse_round_trip_float64():
    params = _params()
    x = torch.linspace(-6, 6, 301, dtype=torch.float64)[:, None].expand(-1, 4)  # inside and outside bound
    y, _ = rq_spline(x, *params, bound=4.0)
    assert torch.allclose(rq_spline_inverse(y, *params, bound=4.0), x, atol=1e-10)
    assert not torch.allclose(y, x)  # the spline is not the identity


def test_spline_log_derivative_matches_autograd():
    params = _params(seed=1)
    x = (torch.rand(200, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64) - 0.5) * 10
    x.requires_grad_(True)
    y, logdet = rq_spline(x, *params, bound=4.0)
    (grad,) = torch.autograd.grad(y.sum(), x)  # elementwise map: the diagonal Jacobian
    assert torch.allclose(grad.log(), logdet, atol=1e-10)


def _randomise(noise, seed=3):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in noise.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.5)
    return noise


def test_spline_noise_density_integrates_to_one_for_every_parent_set():
    noise = _randomise(SplineNoise(2, 3, bins=6, bound=3.0).double())
    parents = torch.tensor([[[0.0, 0], [0, 0], [0, 0]], [[1.0, 0], [1, 1], [0, 0]]])  # (G=2, d=3, m=2)
    grid = torch.linspace(-40, 40, 40001, dtype=torch.float64)[None, :, None].expand(2, -1, 2)
    dens = noise.log_prob(grid, parents).exp()
    mass = torch.trapezoid(dens, grid[0, :, 0], dim=1)
    assert torch.allclose(mass, torch.ones(2, 2, dtype=torch.float64), atol=1e-4)
    assert not torch.allclose(dens[0], dens[1])  # the parent set changes the distribution


def test_spline_noise_base_round_trip():
    noise = _randomise(SplineNoise(3, 3, bins=5, bound=3.0).double(), seed=4)
    parents = torch.bernoulli(
        torch.full((2, 3, 3), 0.5, dtype=torch.float64), generator=torch.Generator().manual_seed(5)
    )
    u = torch.randn(2, 100, 3, generator=torch.Generator().manual_seed(6), dtype=torch.float64) * 2
    assert torch.allclose(noise.to_base(noise.from_base(u, parents), parents), u, atol=1e-9)


def test_gaussian_noise_matches_torch_normal():
    noise = GaussianNoise(3, 3)
    with torch.no_grad():
        noise.base.copy_(torch.tensor([[0.0], [0.5], [-1.0]]))
    z = torch.randn(1, 10, 3, generator=torch.Generator().manual_seed(0))
    expected = torch.distributions.Normal(0.0, torch.tensor([0.0, 0.5, -1.0]).exp()).log_prob(z)
    assert torch.allclose(noise.log_prob(z), expected, atol=1e-6)
