"""
A topological autoencoder
=========================

Moor et al.'s signature loss (``nn.SignatureLoss``) keeps the distance-matrix persistence
pairings of each minibatch and of its 2D embedding alike. Here a small autoencoder embeds
points on two linked circles in 3D; the topological term keeps the two loops apart in the
latent plane.
"""

import matplotlib.pyplot as plt
import torch

from topolayer.nn import SignatureLoss

torch.manual_seed(0)
t = torch.rand(400) * 2 * torch.pi
first = torch.stack([t.cos(), t.sin(), torch.zeros_like(t)], 1)
second = torch.stack([1 + t.cos(), torch.zeros_like(t), t.sin()], 1)
data = torch.cat([first[:200], second[200:]]) + 0.03 * torch.randn(400, 3)
label = torch.cat([torch.zeros(200), torch.ones(200)])

encoder = torch.nn.Sequential(torch.nn.Linear(3, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
decoder = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
topo = SignatureLoss(p=2, dims=0)
opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-2)
for _epoch in range(30):
    for batch in torch.randperm(400).split(64):
        x = data[batch]
        z = encoder(x)
        loss = ((decoder(z) - x) ** 2).mean() + 0.5 * topo(x, z)
        opt.zero_grad()
        loss.backward()
        opt.step()

with torch.no_grad():
    z = encoder(data)
fig, ax = plt.subplots(figsize=(4.5, 4))
ax.scatter(z[:, 0], z[:, 1], c=label, s=6, cmap="coolwarm")
ax.set_title("latent space (colour: which circle)")
fig.tight_layout()
print("final loss:", float(loss.detach()))
