"""
Plotting diagrams and barcodes
==============================

:func:`topolayer.plot.diagram` and :func:`topolayer.plot.barcode` draw a
:class:`~topolayer.Diagram` with matplotlib: one colour per homology dimension, essential
classes on a dashed line marked ``∞``. A sublevel filtration adds low values first (bars run
upwards, essential deaths ``+inf``); a superlevel one adds high values first, so its bars run
downwards (birth ≥ death) and its essential deaths are ``-inf``. The same functions take the
forms other libraries produce: ripser-style lists of arrays, single ``(n, 2)`` arrays and the
reference's ``(dgms, issublevel)`` pairs.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

import topolayer as tl

# A smooth surface: a sum of Gaussian bumps, so that each bump is one bar.
torch.manual_seed(3)
n = 40
yy, xx = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
centres, heights = torch.rand(8, 2) * n, torch.rand(8) + 0.5
image = sum(
    h * torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 30.0)
    for (cx, cy), h in zip(centres, heights, strict=True)
)

sub = tl.functional.cubical(image, max_dim=1)  # low values first: basins are H0 bars
sup = tl.functional.cubical(image, max_dim=1, superlevel=True)  # peaks are H0 bars
print(sub)
print(sup)

fig, axes = plt.subplots(2, 3, figsize=(13, 8))
axes[0, 0].imshow(image, cmap="terrain")
axes[0, 0].set_title("image")
axes[0, 0].axis("off")
tl.plot.diagram(sub, ax=axes[0, 1], title="sublevel diagram")
tl.plot.barcode(sub, ax=axes[0, 2], title="sublevel barcode")
axes[1, 0].imshow(image > image.mean(), cmap="gray")
axes[1, 0].set_title("superlevel set at the mean")
axes[1, 0].axis("off")
tl.plot.diagram(sup, ax=axes[1, 1], title="superlevel diagram (bars run downwards)")
tl.plot.barcode(sup, ax=axes[1, 2], title="superlevel barcode")
fig.tight_layout()

# %%
# Other libraries' forms: a ripser.py-style list (one array per dimension, ``inf`` for
# essential bars), and ``dims`` to choose what to draw.
ripser_style = [np.array([[0.0, 0.4], [0.1, np.inf]]), np.array([[0.2, 0.5]])]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
tl.plot.diagram(ripser_style, ax=axes[0], title="a ripser.py list")
tl.plot.barcode(ripser_style, ax=axes[1], dims=[1], labels=["$H_1$ only"], title="dims=[1]")
fig.tight_layout()
