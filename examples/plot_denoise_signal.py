"""
Denoising a signal
==================

A noisy parabola has many local minima. Penalising the squared lengths of the finite H0 bars
of its sublevel filtration removes them while a data term keeps the signal close to the data.
"""

import matplotlib.pyplot as plt
import torch

import topolayer as tl

torch.manual_seed(1)
K = tl.SimplicialComplex.path(100)
y = (torch.linspace(0, 1, 100) - 0.5) ** 2 + 0.05 * torch.randn(100)
x = y.clone().requires_grad_()
opt = torch.optim.SGD([x], lr=0.01)
for _step in range(200):
    dgm = tl.functional.lower_star(x, K, max_dim=0)
    loss = ((x - y) ** 2).sum() + 50.0 * tl.losses.total_persistence(dgm, 0, p=2, root=False)
    opt.zero_grad()
    loss.backward()
    opt.step()

before = tl.functional.lower_star(y, K, 0)
after = tl.functional.lower_star(x.detach(), K, 0)
print(
    "H0 bars longer than 0.01:",
    int((before.lengths(0) > 0.01).sum()),
    "->",
    int((after.lengths(0) > 0.01).sum()),
)

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(y, ".", ms=3, label="noisy")
ax.plot(x.detach(), label="optimised")
ax.legend()
ax.set_title("one minimum remains")
fig.tight_layout()
