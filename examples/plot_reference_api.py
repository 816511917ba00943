"""
The reference implementation's API
==================================

Scripts written for TopologyLayer run with ``topologylayer`` replaced by ``topolayer.compat``:
the layers keep their names and arguments (``size=(width, height)``, ``maxdim``, ``sublevel``),
return the pair ``(dgms, issublevel)``, and the feature layers take that pair. Here, in the
reference's style, a noisy disk is cleaned into one bright component without holes: the
reference's features drop the essential bar, so ``SumBarcodeLengths(dim=0)`` penalises every
component but the first, and ``SumBarcodeLengths(dim=1)`` every hole.
"""

import matplotlib.pyplot as plt
import torch

# was: from topologylayer.nn import LevelSetLayer2D, SumBarcodeLengths
from topolayer.compat.nn import LevelSetLayer2D, SumBarcodeLengths

import topolayer as tl

torch.manual_seed(0)
h, w = 32, 40
yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
disk = (xx**2 + yy**2 < 0.4).double()
noisy = disk + 0.6 * torch.rand(h, w, dtype=torch.float64)

layer = LevelSetLayer2D(size=(w, h), maxdim=1, sublevel=False)  # (width, height), as before
components, holes = SumBarcodeLengths(dim=0), SumBarcodeLengths(dim=1)

x = noisy.clone().requires_grad_(True)
opt = torch.optim.Adam([x], lr=0.01)
for _ in range(150):
    dgminfo = layer(x)
    loss = components(dgminfo) + holes(dgminfo) + ((x - noisy) ** 2).sum() * 0.01
    opt.zero_grad()
    loss.backward()
    opt.step()

before, after = layer(noisy), layer(x.detach())
for name, pair in (("noisy", before), ("optimised", after)):
    h0, h1 = float(components(pair)), float(holes(pair))
    print(f"{name}: issublevel={pair[1]}, finite H0 / H1 lengths {h0:.2f} / {h1:.2f}")

# %%
# ``topolayer.plot`` draws the ``(dgms, issublevel)`` pair as it is.
fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
axes[0].imshow(noisy, cmap="gray", vmin=0, vmax=1.6)
axes[0].set_title("noisy")
tl.plot.diagram(before, ax=axes[1], title="noisy: diagram")
axes[2].imshow(x.detach(), cmap="gray", vmin=0, vmax=1.6)
axes[2].set_title("after SumBarcodeLengths(0) + (1)")
tl.plot.diagram(after, ax=axes[3], title="after: diagram")
for ax in (axes[0], axes[2]):
    ax.axis("off")
fig.tight_layout()
