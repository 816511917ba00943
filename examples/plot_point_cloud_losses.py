"""
Point-cloud losses with Rips and alpha
=======================================

Two losses on a 2D point cloud: growing the longest H1 bar of the Rips diagram (a hole
opens) and shrinking every H1 bar of the alpha diagram (holes close).
"""

import matplotlib.pyplot as plt
import torch

import topolayer as tl

torch.manual_seed(0)
start = torch.rand(60, 2)


def optimise(layer_loss, steps=150):
    x = start.clone().requires_grad_()
    opt = torch.optim.Adam([x], lr=0.01)
    for _ in range(steps):
        loss = layer_loss(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return x.detach()


# Grow the longest H1 bar (the top-1 feature, negated), keep the cloud in the unit square.
grow = optimise(
    lambda x: (
        -tl.losses.top_k_barcode_lengths(tl.functional.rips(x, 1), 1, 1)
        + ((x - x.clamp(0, 1)) ** 2).sum()
    )
)
# Shrink every H1 bar of the alpha complex.
shrink = optimise(lambda x: tl.losses.sum_barcode_lengths(tl.functional.alpha(x, 1), 1))

fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
for ax, pts, title in zip(
    axes,
    (start, grow, shrink),
    ("start", "Rips: grow the longest hole", "alpha: close holes"),
    strict=True,
):
    ax.scatter(pts[:, 0], pts[:, 1], s=8)
    ax.set_title(title)
    ax.set_aspect("equal")
fig.tight_layout()
print(
    "longest Rips H1 bar:",
    float(tl.functional.rips(start, 1).lengths(1).max()),
    "->",
    float(tl.functional.rips(grow, 1).lengths(1).max()),
)
