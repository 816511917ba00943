"""
Matching a target diagram
=========================

Move a small noisy circle so that its Rips H1 diagram approaches the diagram of a larger
circle in the 2-Wasserstein distance. The matching is solved by a custom op; the distance is gathered in
torch, so the gradient flows to the points.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

import topolayer as tl

torch.manual_seed(0)
t = torch.linspace(0, 2 * np.pi, 41)[:-1]
target_cloud = torch.stack([t.cos(), t.sin()], 1)
target = tl.functional.rips(target_cloud, 1).detach()  # one long H1 bar

start = 0.6 * target_cloud + 0.02 * torch.randn(40, 2)
x = start.clone().requires_grad_()
opt = torch.optim.Adam([x], lr=0.05)
history = []
for _step in range(200):
    d = tl.wasserstein_distance(tl.functional.rips(x, 1), target, 1, p=2, internal_p=2)
    opt.zero_grad()
    d.backward()
    opt.step()
    history.append(d.detach().item())

fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
axes[0].plot(history)
axes[0].set_xlabel("step")
axes[0].set_ylabel("W2 to the target (H1)")
axes[1].scatter(*start.T, s=8, label="start")
axes[1].scatter(*x.detach().T, s=8, label="optimised")
axes[1].scatter(*target_cloud.T, s=4, c="grey", label="target's cloud")
axes[1].set_aspect("equal")
axes[1].legend(fontsize=7)
fig.tight_layout()
print(f"W2: {history[0]:.3f} -> {history[-1]:.3f}")
