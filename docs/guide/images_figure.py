"""Draws docs/guide/images_constructions.png: one image, its sublevel set at one threshold under
the three constructions, and the diagrams topolayer computes for each.

    python docs/guide/images_figure.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Polygon, Rectangle

from topolayer.functional.cubical import cubical

IMG = np.array(
    [
        [3, 3, 3, 3, 3, 3],
        [3, 3, 0, 3, 3, 3],
        [3, 0, 2, 0, 3, 3],
        [3, 3, 0, 3, 1, 3],
        [3, 3, 3, 3, 0, 3],
        [3, 1, 3, 3, 3, 3],
    ],
    dtype=float,
)
T = 1.0  # threshold drawn


def draw(ax, construction):
    h, w = IMG.shape
    on = IMG <= T
    ax.set_xlim(-0.8, w - 0.2)
    ax.set_ylim(h - 0.2, -0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    for i in range(h):
        for j in range(w):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=0.3, color="0.8"))
    dark = "tab:blue"
    if construction == "T":  # pixels are closed squares
        for i, j in zip(*np.nonzero(on), strict=True):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, color=dark, alpha=0.7))
        return
    # V and Freudenthal: pixels are vertices, cells enter when all their vertices have
    for i, j in zip(*np.nonzero(on), strict=True):
        ax.plot(j, i, "o", color=dark, ms=5)
    steps = [(0, 1), (1, 0)] + ([(1, 1)] if construction == "freudenthal" else [])
    for i, j in zip(*np.nonzero(on), strict=True):
        for di, dj in steps:
            if i + di < h and j + dj < w and on[i + di, j + dj]:
                ax.plot([j, j + dj], [i, i + di], color=dark, lw=2)
    for i in range(h - 1):
        for j in range(w - 1):
            if construction == "V" and on[i : i + 2, j : j + 2].all():
                ax.add_patch(Rectangle((j, i), 1, 1, color=dark, alpha=0.4))
            if construction == "freudenthal":
                for tri in (
                    ((i, j), (i, j + 1), (i + 1, j + 1)),
                    ((i, j), (i + 1, j), (i + 1, j + 1)),
                ):
                    if all(on[p] for p in tri):
                        ax.add_patch(Polygon([(b, a) for a, b in tri], color=dark, alpha=0.4))


def main():
    fig, axes = plt.subplots(2, 3, figsize=(10, 6.6))
    names = {
        "V": "V: pixels are vertices\n(4-connected sublevel sets)",
        "T": "T: pixels are top cells\n(8-connected sublevel sets)",
        "freudenthal": "freudenthal: pixels are vertices\n(diagonal (i,j)-(i+1,j+1): 6-connected)",
    }
    for col, c in enumerate(("V", "T", "freudenthal")):
        draw(axes[0, col], c)
        axes[0, col].set_title(names[c], fontsize=9)
        dgm = cubical(torch.as_tensor(IMG), max_dim=1, construction=c)
        ax = axes[1, col]
        for k, marker in ((0, "o"), (1, "^")):
            b = dgm[k].numpy().copy()
            b[~np.isfinite(b)] = 3.6
            ax.scatter(b[:, 0], b[:, 1], marker=marker, label=f"H{k}", alpha=0.7)
        ax.plot([-0.2, 3.8], [-0.2, 3.8], color="0.6", lw=0.8)
        ax.set_xlim(-0.2, 3.8)
        ax.set_ylim(-0.2, 3.8)
        ax.set_xlabel("birth")
        ax.set_ylabel("death (top: never)")
        ax.legend(fontsize=8, loc="lower right")
        counts = ", ".join(f"H{k}: {len(dgm[k])}" for k in range(2))
        ax.set_title(counts, fontsize=9)
    fig.suptitle(f"One image, its sublevel set at t = {T:g} and the diagrams", fontsize=11)
    fig.tight_layout()
    out = Path(__file__).with_name("images_constructions.png")
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
