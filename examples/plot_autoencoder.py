"""
A topological autoencoder
=========================

Moor et al.'s signature loss (``nn.SignatureLoss``) asks the Vietoris–Rips persistence
pairings of each minibatch and of its 2D embedding to select edges of the same lengths in both
spaces. Here a small autoencoder embeds points on two linked circles in 3D, once with the
reconstruction loss alone and once with the signature loss added; the signature loss of the
whole embedding (lower: the latent distances keep more of the data's topology) is printed for
both.
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
topo = SignatureLoss(p=2, dims=0)


def train(weight):
    torch.manual_seed(1)  # the same initial network for both runs
    encoder = torch.nn.Sequential(torch.nn.Linear(3, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    decoder = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
    opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-2)
    for _epoch in range(30):
        for batch in torch.randperm(400).split(64):
            x = data[batch]
            z = encoder(x)
            loss = ((decoder(z) - x) ** 2).mean()
            if weight:
                loss = loss + weight * topo(x, z)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        z = encoder(data)
        return z, float(topo(data, z)), float(((decoder(z) - data) ** 2).mean())


results = {name: train(w) for name, w in (("reconstruction only", 0.0), ("+ 0.5 signature", 0.5))}
for name, (_, sig, rec) in results.items():
    print(f"{name:>20}: signature loss {sig:.3f}, reconstruction error {rec:.4f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, (name, (z, sig, _)) in zip(axes, results.items()):
    ax.scatter(z[:, 0], z[:, 1], c=label, s=6, cmap="coolwarm")
    ax.set_title(f"{name} (signature {sig:.2f})")
    ax.set_aspect("equal", "datalim")
fig.suptitle("latent space (colour: which circle)")
fig.tight_layout()
