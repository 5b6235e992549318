import torch

from deci_core.training.lagrangian import AugmentedLagrangian


def test_min_x_squared_subject_to_x_at_least_3():
    x = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([x], lr=0.05)
    al = AugmentedLagrangian(rho=1.0, tolerance=1e-3)
    for step in range(1, 1001):
        h = torch.relu(3.0 - x).sum()  # h >= 0, zero when the constraint holds
        loss = (x * x).sum() + al.penalty(h)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            al.update(float(torch.relu(3.0 - x).item()))
    assert abs(x.item() - 3.0) < 0.05
    assert al.alpha >= 5.0  # the multiplier grew to at least the KKT value 2 * 3
