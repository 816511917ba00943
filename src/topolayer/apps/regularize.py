"""Application (i): topological regularisation (PAPER.md, "Regularisation").

Three experiments, each a few dozen lines of ordinary PyTorch around a topology layer:

1. **Model weights.** Linear regression ``y = X beta* + noise`` with ``p = 100`` and few samples.
   A penalty on the persistence of the weights encodes a prior on their *shape*: H0 of the
   weights as points on a line ("few clusters of values", problem A) or the superlevel H0 of
   the weights along their index ("few local maxima", problem B).
2. **Image reconstruction.** A 50x50 ring seen through 1,500 noisy Gaussian measurements;
   least squares alone versus least squares plus a superlevel prior "one component, one hole".
3. **Point clouds.** The five losses of the paper's Figure 1 on 100 uniform points, with the
   weak-alpha filtration (Rips values on the Delaunay triangulation).
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from topolayer import SimplicialComplex
from topolayer.diagram import Diagram
from topolayer.functional import filtration, lower_star
from topolayer.functional.alpha import alpha
from topolayer.functional.cubical import cubical
from topolayer.losses import barcode_feature, betti_number, top_k_barcode_lengths

from .data import image_data, ring_image, uniform_cloud
from .report import Section, Table

__all__ = ["run", "line_h0", "weight_diagram", "weight_penalty", "WEIGHT_PROBLEMS"]

P_DIM = 100  # number of regression weights (the paper's p)


# -- topology of a weight vector ---------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _path(n: int) -> SimplicialComplex:
    """The path graph on ``n`` vertices, built once and reused by every layer call."""
    return SimplicialComplex.path(n)


def line_h0(beta: torch.Tensor):
    """H0 of the entries of ``beta`` seen as points on the real line (batched over rows).

    On a line the Delaunay (weak-alpha) complex is the path through the sorted points, so H0
    is the sublevel persistence of the path graph whose vertices appear at 0 and whose edges
    appear at the gaps between consecutive sorted values. Gradients reach the two values that
    bound each gap. (:func:`topolayer.functional.alpha.alpha` takes 2D/3D clouds; on a line the
    complex is this path, and building it directly keeps the whole batch in one layer call.)

    Parameters
    ----------
    beta : (R, p) Tensor

    Returns
    -------
    DiagramBatch with ``max_dim = 0``: one essential bar and up to ``p - 1`` finite bars
    ``(0, gap)`` per row.
    """
    s = torch.sort(beta, dim=-1).values
    gaps = s[..., 1:] - s[..., :-1]
    values = torch.cat([torch.zeros_like(s), gaps], dim=-1)
    return filtration(values, _path(beta.shape[-1]), max_dim=0)


def weight_diagram(beta: torch.Tensor, kind: str):
    """H0 of each row of ``beta``: as points on a line (``kind="A"``) or the superlevel H0
    along the index path (``kind="B"``)."""
    if kind == "A":
        return line_h0(beta)
    return lower_star(beta, _path(beta.shape[-1]), max_dim=0, superlevel=True)


def weight_penalty(name: str, beta: torch.Tensor, kind: str) -> torch.Tensor:
    """The penalty ``P(beta)`` of each row of ``beta`` (``(R, p) -> (R,)``).

    ``l1``, ``l2`` (squared), ``tv`` (sum of ``|beta_{i+1} - beta_i|``), ``tv2`` (its smooth
    variant, the sum of squared differences), and the topological ``top1 = E(1,0,2;PD0)`` and
    ``top2 = E(1,0,4;PD0)``: all H0 bar lengths but the essential one (and, for ``top2``, but the
    two longest finite ones). For problem ``kind="A"`` PD0 is H0 of the values on the line
    (:func:`line_h0`, where ``top1`` is ``max - min`` and ``top2`` favours three clusters); for
    ``kind="B"`` it is the superlevel H0 along the index path (``top1`` favours one local
    maximum, ``top2`` three).
    """
    if name == "l1":
        return beta.abs().sum(-1)
    if name == "l2":
        return (beta**2).sum(-1)
    if name == "tv":
        return (beta[..., 1:] - beta[..., :-1]).abs().sum(-1)
    if name == "tv2":
        return ((beta[..., 1:] - beta[..., :-1]) ** 2).sum(-1)
    if name in ("top1", "top2"):
        return barcode_feature(
            weight_diagram(beta, kind), 0, p=1, q=0, i0=2 if name == "top1" else 4
        )
    raise ValueError(f"unknown penalty {name!r}")


def _sawteeth(t: np.ndarray) -> np.ndarray:
    return (3 * t) % 1.0


def _boxcars(t: np.ndarray) -> np.ndarray:
    return (
        ((t >= 0.1) & (t < 0.25)) | ((t >= 0.45) & (t < 0.6)) | ((t >= 0.75) & (t < 0.9))
    ).astype(float)


#: name -> (problem kind, noise sigma, label, beta* generator(rng))
WEIGHT_PROBLEMS = {
    "clusters_-1_0_1": (
        "A",
        0.05,
        "A: clusters {-1,0,1}",
        lambda r: r.choice([-1.0, 0.0, 1.0], P_DIM),
    ),
    "clusters_1_2_3": (
        "A",
        0.05,
        "A: clusters {1,2,3}",
        lambda r: r.choice([1.0, 2.0, 3.0], P_DIM),
    ),
    "sawteeth": ("B", 0.1, "B: 3 sawteeth", lambda r: _sawteeth(np.arange(P_DIM) / P_DIM)),
    "cosine": ("B", 0.1, "B: cos(5 pi t)", lambda r: np.cos(5 * np.pi * np.arange(P_DIM) / P_DIM)),
    "boxcars": ("B", 0.1, "B: 3 box-cars", lambda r: _boxcars(np.arange(P_DIM) / P_DIM)),
}
PENALTIES = {"A": ["l1", "l2", "top1", "top2"], "B": ["l1", "l2", "tv", "tv2", "top1", "top2"]}
PENALTY_LABELS = {
    "none": "none (min-norm LS)",
    "l1": "l1",
    "l2": "l2",
    "tv": "TV",
    "tv2": "smooth TV",
    "top1": "Top1 E(1,0,2)",
    "top2": "Top2 E(1,0,4)",
}


def fit_weights(
    problem: str, ns: list[int], seeds: list[int], lambdas: np.ndarray, iters: int, n_val: int
) -> dict[str, Any]:
    """Fit every penalty and every ``lambda`` for every ``n`` and seed of one problem.

    All fits are independent, so they run together as one batched Adam optimisation (Adam's
    update of a coordinate depends only on that coordinate's gradients). ``lambda`` is chosen
    per fit on a held-out validation set of ``n_val`` samples; ``beta*`` is used only to score.

    Returns
    -------
    dict
        ``"error"``: ``(len(ns), len(seeds), 1 + n_penalties)`` squared errors
        ``||beta_hat - beta*||^2`` at the chosen lambda (column 0: no penalty);
        ``"lambda"``: the chosen lambdas, same shape without column 0; ``"penalties"``.
    """
    kind, sigma, _, make_beta = WEIGHT_PROBLEMS[problem]
    pens = PENALTIES[kind]
    lam = torch.as_tensor(lambdas, dtype=torch.float64)
    data, params = {}, []
    for n in ns:
        xs, ys, xv, yv, bs = [], [], [], [], []
        for s in seeds:
            rng = np.random.default_rng([s, n, list(WEIGHT_PROBLEMS).index(problem)])
            b = make_beta(rng)
            X, Xv = rng.standard_normal((n, P_DIM)), rng.standard_normal((n_val, P_DIM))
            xs.append(X)
            xv.append(Xv)
            bs.append(b)
            ys.append(X @ b + sigma * rng.standard_normal(n))
            yv.append(Xv @ b + sigma * rng.standard_normal(n_val))
        t = {
            k: torch.as_tensor(np.stack(v)) for k, v in dict(X=xs, y=ys, Xv=xv, yv=yv, b=bs).items()
        }
        t["b0"] = torch.linalg.pinv(t["X"]) @ t["y"][..., None]  # minimum-norm least squares
        t["b0"] = t["b0"][..., 0]
        beta = (
            t["b0"][:, None, None, :].repeat(1, len(pens), len(lam), 1).clone().requires_grad_(True)
        )
        data[n], t["beta"] = t, beta
        params.append(beta)
    opt = torch.optim.Adam(params, lr=0.1)
    topo = [k for k, name in enumerate(pens) if name.startswith("top")]
    for _ in range(iters):
        opt.zero_grad()
        loss: torch.Tensor | float = 0.0
        # the topological penalties of all n, seeds and lambdas in one batched layer call each
        top_rows = torch.cat([data[n]["beta"][:, topo].reshape(-1, P_DIM) for n in ns])
        dgm = weight_diagram(top_rows, kind)
        top_vals = {
            "top1": barcode_feature(dgm, 0, 1, 0, 2),
            "top2": barcode_feature(dgm, 0, 1, 0, 4),
        }
        offset = 0
        for n in ns:
            t = data[n]
            beta = t["beta"]
            resid = torch.einsum("snp,sklp->sknl", t["X"], beta) - t["y"][:, None, :, None]
            fit = (resid**2).mean(2)  # (S, K, L)
            pen = []
            for k, name in enumerate(pens):
                if name.startswith("top"):
                    pen.append(_pick(top_vals[name], offset, len(seeds), topo, k, len(lam)))
                else:
                    pen.append(weight_penalty(name, beta[:, k], kind))
            offset += len(seeds) * len(topo) * len(lam)
            loss = loss + (fit + lam * torch.stack(pen, 1)).sum()
        cast(torch.Tensor, loss).backward()  # a tensor: ns is not empty
        opt.step()
    error = np.zeros((len(ns), len(seeds), 1 + len(pens)))
    chosen = np.zeros((len(ns), len(seeds), len(pens)))
    with torch.no_grad():
        for i, n in enumerate(ns):
            t = data[n]
            err0 = ((t["b0"] - t["b"]) ** 2).sum(-1)
            val = (
                (torch.einsum("snp,sklp->sknl", t["Xv"], t["beta"]) - t["yv"][:, None, :, None])
                ** 2
            ).mean(2)
            best = val.argmin(-1)  # (S, K)
            bhat = torch.gather(t["beta"], 2, best[..., None, None].expand(-1, -1, 1, P_DIM))[
                :, :, 0
            ]
            error[i, :, 0] = err0.numpy()
            error[i, :, 1:] = ((bhat - t["b"][:, None]) ** 2).sum(-1).numpy()
            chosen[i] = lam[best].numpy()
    return {"error": error, "lambda": chosen, "penalties": ["none"] + pens}


def _pick(
    vals: torch.Tensor, offset: int, n_seeds: int, topo: list[int], k: int, n_lam: int
) -> torch.Tensor:
    """The ``(S, L)`` slice of the flat topological penalty values for penalty column ``k``."""
    block = vals[offset : offset + n_seeds * len(topo) * n_lam].reshape(n_seeds, len(topo), n_lam)
    return block[:, topo.index(k)]


# -- point clouds -------------------------------------------------------------------------------
def _cloud_losses():
    E = barcode_feature
    return {
        "(a) -E(2,0,2;PD0): more clusters": lambda d: -E(d, 0, 2, 0, 2),
        "(b) +E(2,0,2;PD0): one cluster": lambda d: E(d, 0, 2, 0, 2),
        "(c) -E(2,0,1;PD1): open holes": lambda d: -E(d, 1, 2, 0, 1),
        "(d) -E(2,1,1;PD1)+E(2,0,2;PD0): connected, large holes": lambda d: (
            -E(d, 1, 2, 1, 1) + E(d, 0, 2, 0, 2)
        ),
        "(e) +E(2,0,1;PD1): close holes": lambda d: E(d, 1, 2, 0, 1),
    }


def point_clouds(
    seed: int, steps: int, progress
) -> tuple[torch.Tensor, dict[str, torch.Tensor], list[list]]:
    """Optimise 100 uniform points under each of the five losses (Adam, lr 1e-2)."""
    x0 = uniform_cloud(100, seed)
    results, rows = {}, []
    d0 = cast(Diagram, alpha(x0, max_dim=1, weak=True))  # one cloud: one Diagram
    for name, loss_fn in progress(_cloud_losses().items(), desc="point clouds", total=5):
        x = x0.clone().requires_grad_(True)
        opt = torch.optim.Adam([x], lr=1e-2)
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(alpha(x, max_dim=1, weak=True))
            if not loss.requires_grad:  # e.g. no H1 bar left to close: nothing to move
                break
            loss.backward()
            opt.step()
        x = x.detach()
        d = cast(Diagram, alpha(x, max_dim=1, weak=True))  # one cloud: one Diagram
        results[name] = x
        h0, h1 = top_k_barcode_lengths(d, 0, 3), top_k_barcode_lengths(d, 1, 3)
        rows.append(
            [name]
            + [float(v) for v in h0]
            + [float(v) for v in h1]
            + [int((d.lengths(1) > 0.05).sum())]
        )
    h0, h1 = top_k_barcode_lengths(d0, 0, 3), top_k_barcode_lengths(d0, 1, 3)
    rows.insert(
        0,
        ["start (uniform)"]
        + [float(v) for v in h0]
        + [float(v) for v in h1]
        + [int((d0.lengths(1) > 0.05).sum())],
    )
    return x0, results, rows


# -- image reconstruction -----------------------------------------------------------------------
def ring_reconstruction(seed: int, steps: int, progress) -> dict:
    """Least squares with and without the superlevel prior E(1,0,2;PD0) + E(1,0,2;PD1)."""
    n, m, noise = 50, 1500, 0.05
    g = torch.Generator().manual_seed(seed)
    truth = ring_image(n).reshape(-1)
    A = torch.randn(m, n * n, generator=g, dtype=torch.float64)
    y = A @ truth + noise * torch.randn(m, generator=g, dtype=torch.float64)
    ls = A.T @ torch.linalg.solve(A @ A.T, y)  # minimum-norm least squares
    beta = ls.clone().requires_grad_(True)
    opt = torch.optim.Adam([beta], lr=1e-2)
    for _ in progress(range(steps), desc="ring prior"):
        opt.zero_grad()
        dgm = cubical(beta.reshape(n, n), max_dim=1, superlevel=True, construction="freudenthal")
        prior = barcode_feature(dgm, 0, 1, 0, 2) + barcode_feature(dgm, 1, 1, 0, 2)
        loss = ((A @ beta - y) ** 2).mean() + 0.1 * prior
        loss.backward()
        opt.step()
    out = {}
    for name, img in (
        ("truth", truth),
        ("least squares", ls),
        ("least squares + prior", beta.detach()),
    ):
        # one image: one Diagram
        dgm = cast(
            Diagram,
            cubical(img.reshape(n, n), max_dim=1, superlevel=True, construction="freudenthal"),
        )
        out[name] = {
            "image": img.reshape(n, n),
            "mse": float(((img - truth) ** 2).mean()),
            "betti0": int(betti_number(dgm, 0, 0.5)),
            "betti1": int(betti_number(dgm, 1, 0.5)),
            "bars0": int((dgm.lengths(0) > 0.1).sum()),
            "bars1": int((dgm.lengths(1) > 0.1).sum()),
        }
    return out


# -- digit denoising ----------------------------------------------------------------------------
def digit_denoising(images: torch.Tensor, seed: int, steps: int, lam: float = 1.0) -> dict:
    """Denoise digits with ``||x - y||^2 + lam * E(1,0,2;PD0)`` on superlevel diagrams.

    ``E(1,0,2;PD0)`` sums every superlevel H0 bar but the essential one: one global maximum
    (one blob of ink) should remain. All images are optimised together (one batched layer call
    per step), Adam lr 1e-2.

    Parameters
    ----------
    images : (B, H, W) Tensor in [0, 1]
        Clean digits; Gaussian noise of standard deviation 0.3 is added.
    seed : int
    steps : int
    lam : float

    Returns
    -------
    dict
        ``clean``, ``noisy``, ``denoised``: each ``{"image", "betti0", "bars0", "mse"}`` with
        per-image Betti numbers of ``{x >= 0.5}`` and counts of H0 bars longer than 0.1.
    """
    g = torch.Generator().manual_seed(seed)
    noisy = images + 0.3 * torch.randn(images.shape, generator=g, dtype=images.dtype)
    z = noisy.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        dgm = cubical(z, max_dim=0, superlevel=True, construction="freudenthal")
        loss = ((z - noisy) ** 2).sum() + lam * barcode_feature(dgm, 0, 1, 0, 2).sum()
        loss.backward()
        opt.step()
    out = {}
    for name, im in (("clean", images), ("noisy", noisy), ("denoised", z.detach())):
        dgm = cubical(im, max_dim=0, superlevel=True, construction="freudenthal")
        out[name] = {
            "image": im,
            "betti0": betti_number(dgm, 0, 0.5).int().tolist(),
            "bars0": _count_long(dgm, 0.1),
            "mse": float(((im - images) ** 2).mean()),
        }
    return out


def _count_long(dgm, threshold: float) -> list[int]:
    """Per item, the number of H0 bars (essential included) longer than ``threshold``."""
    long = (dgm.bars[0][:, 0] - dgm.bars[0][:, 1]) > threshold  # superlevel: birth >= death
    return torch.bincount(dgm.batch[0][long], minlength=dgm.batch_size).tolist()


# -- the application ----------------------------------------------------------------------------
def run(out: Path, seed: int = 0, quick: bool = False, progress=None, mnist=None, **_) -> Section:
    """Run the three regularisation experiments, write their figures into ``out``.

    Parameters
    ----------
    out : Path
        Output folder.
    seed : int
        Base seed (weights: seeds ``seed .. seed + n_seeds - 1``).
    quick : bool
        Fewer sample sizes, seeds and steps (a smoke run, well under a minute).
    progress : callable, optional
        A tqdm-like wrapper ``progress(iterable, desc=..., total=...)``.
    mnist : str or Path, optional
        Folder with MNIST IDX files: the denoising digits come from MNIST instead of the bundled set.

    Returns
    -------
    Section
    """
    import matplotlib.pyplot as plt

    from topolayer import plot as tlplot

    progress = progress or (lambda it, **k: it)
    t0 = time.perf_counter()
    ns = [25, 80] if quick else [25, 47, 69, 91, 113, 135]
    seeds = [seed + i for i in range(2 if quick else 5)]
    lambdas = np.logspace(-4, 0.5, 6 if quick else 10)
    problems = ["clusters_-1_0_1", "sawteeth"] if quick else list(WEIGHT_PROBLEMS)
    iters, n_val = 100, 50

    weights = {}
    for prob in progress(problems, desc="weights"):
        weights[prob] = fit_weights(prob, ns, seeds, lambdas, iters, n_val)

    cols = min(3, len(problems))
    rows_ = -(-len(problems) // cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(5 * cols, 4 * rows_), squeeze=False)
    for ax in axes.flat[len(problems) :]:
        ax.axis("off")
    tables, wmetrics = [], {}
    for ax, prob in zip(axes.flat, problems, strict=False):
        r = weights[prob]
        mean, se = r["error"].mean(1), r["error"].std(1, ddof=1) / np.sqrt(len(seeds))
        for k, pen in enumerate(r["penalties"]):
            style = "-" if pen.startswith("top") else "--"
            ax.errorbar(
                ns,
                mean[:, k],
                yerr=se[:, k],
                label=PENALTY_LABELS[pen],
                ls=style,
                marker="o",
                ms=3,
                capsize=2,
            )
        ax.set_yscale("log")
        ax.set_title(WEIGHT_PROBLEMS[prob][2])
        ax.set_xlabel("n (samples), p = 100")
        ax.set_ylabel("||beta_hat - beta*||^2")
        ax.legend(fontsize=7)
        rows = [
            [n] + [f"{mean[i, k]:.3g} ± {se[i, k]:.2g}" for k in range(len(r["penalties"]))]
            for i, n in enumerate(ns)
        ]
        tables.append(
            Table(
                f"{WEIGHT_PROBLEMS[prob][2]}: mean ± s.e. of ||beta_hat - beta*||^2 over {len(seeds)} seeds",
                ["n"] + [PENALTY_LABELS[p] for p in r["penalties"]],
                rows,
            )
        )
        wmetrics[prob] = {
            "n": ns,
            "penalties": r["penalties"],
            "mean_sq_error": mean.tolist(),
            "stderr": se.tolist(),
            "chosen_lambda_median": np.median(r["lambda"], axis=1).tolist(),
        }
    fig.tight_layout()
    fig.savefig(out / "regularize_weights.png", dpi=110)
    plt.close(fig)

    ring = ring_reconstruction(seed, 150 if quick else 500, progress)
    fig, axes = plt.subplots(2, 3, figsize=(10, 7.2))
    for col, (name, r) in enumerate(ring.items()):
        axes[0, col].imshow(r["image"].numpy(), cmap="viridis")
        axes[0, col].set_title(
            f"{name}\nMSE {r['mse']:.3g}, Betti ({r['betti0']}, {r['betti1']})", fontsize=9
        )
        axes[0, col].axis("off")
        dgm = cubical(r["image"], max_dim=1, superlevel=True, construction="freudenthal")
        tlplot.diagram(dgm, ax=axes[1, col], size=8, title="superlevel diagram")
    fig.tight_layout()
    fig.savefig(out / "regularize_ring.png", dpi=110)
    plt.close(fig)
    tables.append(
        Table(
            "Ring reconstruction (50x50, 1500 measurements, noise 0.05): error to the clean ring and Betti numbers "
            "of the superlevel set {x >= 0.5}; bars = superlevel bars longer than 0.1",
            ["image", "MSE to clean ring", "Betti0", "Betti1", "H0 bars > 0.1", "H1 bars > 0.1"],
            [
                [k, v["mse"], v["betti0"], v["betti1"], v["bars0"], v["bars1"]]
                for k, v in ring.items()
            ],
        )
    )

    digits = image_data(mnist, 16, seed, n_train=1, n_test=8)[2]
    den = digit_denoising(digits, seed, 100 if quick else 300)
    fig, axes = plt.subplots(3, len(digits), figsize=(1.4 * len(digits), 4.8))
    for row, (name, v) in enumerate(den.items()):
        for c in range(len(digits)):
            axes[row, c].imshow(v["image"][c].numpy(), cmap="gray", vmin=0, vmax=1)
            axes[row, c].set_title(f"{name}: b0 {v['betti0'][c]}", fontsize=7)
            axes[row, c].axis("off")
    fig.tight_layout()
    fig.savefig(out / "regularize_denoise.png", dpi=110)
    plt.close(fig)
    tables.append(
        Table(
            f"Digit denoising ({len(digits)} digits, noise sd 0.3, ||x - y||^2 + E(1,0,2;PD0), Adam lr 1e-2): "
            "Betti0 of {x >= 0.5} and superlevel H0 bars longer than 0.1, mean per image",
            ["images", "MSE to clean", "mean Betti0", "mean H0 bars > 0.1"],
            [
                [k, v["mse"], float(np.mean(v["betti0"])), float(np.mean(v["bars0"]))]
                for k, v in den.items()
            ],
        )
    )

    x0, clouds, cloud_rows = point_clouds(seed, 100, progress)
    fig, axes = plt.subplots(2, 6, figsize=(18, 6.4))
    for col, (name, x) in enumerate([("start: 100 uniform points", x0)] + list(clouds.items())):
        ax = axes[0, col]
        ax.scatter(x[:, 0].numpy(), x[:, 1].numpy(), s=6)
        ax.set_title(name, fontsize=8)
        ax.set_aspect("equal")
        ax.set_xticks([]), ax.set_yticks([])
        tlplot.barcode(
            alpha(x, max_dim=1, weak=True), ax=axes[1, col], linewidth=1.0, legend=col == 0
        )
    fig.tight_layout()
    fig.savefig(out / "regularize_pointclouds.png", dpi=110)
    plt.close(fig)
    tables.append(
        Table(
            "Point clouds (weak alpha, Adam lr 1e-2, 100 steps): the three longest finite bars after optimisation",
            ["loss", "H0 #1", "H0 #2", "H0 #3", "H1 #1", "H1 #2", "H1 #3", "H1 bars > 0.05"],
            cloud_rows,
        )
    )

    metrics = {
        "weights": wmetrics,
        "ring": {k: {m: v for m, v in r.items() if m != "image"} for k, r in ring.items()},
        "denoise": {k: {m: v for m, v in r.items() if m != "image"} for k, r in den.items()},
        "pointclouds": {
            row[0]: {"h0_top3": row[1:4], "h1_top3": row[4:7], "h1_bars_gt_0.05": row[7]}
            for row in cloud_rows
        },
        "settings": {
            "p": P_DIM,
            "n": ns,
            "seeds": seeds,
            "lambdas": lambdas.tolist(),
            "adam_iters": iters,
            "n_val": n_val,
        },
    }
    return Section(
        name="regularize",
        title="(i) Regularisation: model weights, image reconstruction and denoising, point clouds",
        paper=(
            "Linear regression with p = 100 weights and n = 25..135 samples: a topological penalty that matches the "
            "weights' structure (Top1/Top2 on H0 of the weights for clustered weights, superlevel H0 along the index "
            "for few local maxima) beats l1/l2 and total variation in ||beta_hat - beta*||^2, most clearly for small n "
            "(curves; exact values not recovered). The superlevel prior E(1,0,2;PD0)+E(1,0,2;PD1) recovers a clean "
            "ring from 1500 measurements where least squares gives noise; on MNIST, denoising with E(1,0,2;PD0) leaves "
            "one global maximum. The five point-cloud losses visibly produce the named structures."
        ),
        finding=_finding(weights, ring, den, ns),
        differences=[
            "lambda is chosen per fit on a held-out validation set of 50 fresh samples (the reference scripts choose it with beta*).",
            "The 'smooth TV' penalty is the sum of squared differences; the paper does not state its smooth variant.",
            "Betti numbers of a reconstruction are those of its superlevel set at 0.5 (half the ring's peak), on the "
            "Freudenthal triangulation of the pixel grid.",
            "Denoising uses 8 bundled digits (16x16; MNIST test digits with --mnist), Gaussian noise sd 0.3 and "
            "lambda = 1 (not tuned on held-out data; the paper gives no value).",
        ]
        + (
            ["--quick: fewer n, seeds, lambdas, problems and ring steps; numbers are a smoke test."]
            if quick
            else []
        ),
        tables=tables,
        figures=[
            (
                "regularize_weights.png",
                "Squared weight error against n, mean ± standard error over seeds, per penalty.",
            ),
            (
                "regularize_ring.png",
                "Ring: truth, least squares, least squares + topological prior, with their superlevel diagrams.",
            ),
            (
                "regularize_denoise.png",
                "Digits: clean, noisy, denoised with E(1,0,2;PD0); b0 = components of {x >= 0.5}.",
            ),
            (
                "regularize_pointclouds.png",
                "100 uniform points optimised with the five losses (a)-(e), with their weak-alpha barcodes.",
            ),
        ],
        metrics=metrics,
        seconds=time.perf_counter() - t0,
    )


def _finding(weights: dict, ring: dict, den: dict, ns: list[int]) -> str:
    parts = []
    for prob, r in weights.items():
        err = r["error"]
        mean, se = err.mean(1), err.std(1, ddof=1) / np.sqrt(err.shape[1])
        pens = r["penalties"]
        top = [k for k, p in enumerate(pens) if p.startswith("top")]
        other = [k for k, p in enumerate(pens) if not p.startswith("top")]
        kt = [top[int(np.argmin(mean[i, top]))] for i in range(len(ns))]
        ko = [other[int(np.argmin(mean[i, other]))] for i in range(len(ns))]
        wins = [i for i in range(len(ns)) if mean[i, kt[i]] < mean[i, ko[i]]]
        sig = [
            i
            for i in wins
            if mean[i, ko[i]] - mean[i, kt[i]] > 2 * np.hypot(se[i, kt[i]], se[i, ko[i]])
        ]
        losses = [
            i
            for i in range(len(ns))
            if i not in wins
            and mean[i, kt[i]] - mean[i, ko[i]] > 2 * np.hypot(se[i, kt[i]], se[i, ko[i]])
        ]
        parts.append(
            f"{WEIGHT_PROBLEMS[prob][2]}: the better topological penalty beats every non-topological one at "
            f"{len(wins)} of {len(ns)} sample sizes (by more than 2 s.e. at {len(sig)}; worse by more than 2 s.e. at "
            f"{len(losses)}); at n = {ns[0]}: {PENALTY_LABELS[pens[kt[0]]]} {mean[0, kt[0]]:.3g} vs "
            f"{PENALTY_LABELS[pens[ko[0]]]} {mean[0, ko[0]]:.3g} (no penalty {mean[0, 0]:.3g})."
        )
    ls, pr = ring["least squares"], ring["least squares + prior"]
    parts.append(
        f"Ring: the prior lowers the error to the clean ring from {ls['mse']:.3g} to {pr['mse']:.3g} (MSE per pixel) "
        f"and gives Betti numbers ({pr['betti0']}, {pr['betti1']}) against ({ls['betti0']}, {ls['betti1']}) for "
        f"least squares (the ring has (1, 1))."
    )
    b0 = {k: float(np.mean(v["betti0"])) for k, v in den.items()}
    parts.append(
        f"Digit denoising: mean Betti0 of {{x >= 0.5}} goes from {b0['noisy']:.2f} (noisy) to {b0['denoised']:.2f} "
        f"(clean digits: {b0['clean']:.2f}); MSE to the clean digits {den['noisy']['mse']:.3g} -> "
        f"{den['denoised']['mse']:.3g}."
    )
    return " ".join(parts)
