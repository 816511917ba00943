"""
The reference implementation's API
==================================

Scripts written for TopologyLayer run with ``topologylayer`` replaced by ``topolayer.compat``:
the layers return ``(dgms, issublevel)`` and the features take that pair.
"""

import matplotlib.pyplot as plt
import torch

from topolayer.compat.nn import LevelSetLayer2D, SumBarcodeLengths, TopKBarcodeLengths

torch.manual_seed(0)
layer = LevelSetLayer2D(size=(28, 28), maxdim=1, sublevel=False)
beta = torch.rand(28, 28, requires_grad=True)
f1 = TopKBarcodeLengths(dim=0, k=1)
f2 = SumBarcodeLengths(dim=1)
opt = torch.optim.Adam([beta], lr=0.01)
losses = []
for _ in range(100):
    dgminfo = layer(beta)
    loss = -f1(dgminfo).sum() + f2(dgminfo)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(float(loss.detach()))

fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
axes[0].plot(losses)
axes[0].set_title("loss")
axes[1].imshow(beta.detach(), cmap="gray")
axes[1].set_title("optimised image")
axes[1].axis("off")
fig.tight_layout()
