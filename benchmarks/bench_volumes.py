"""Volumes, H0-H2: topolayer.functional.cubical against Cubical Ripser, side by side in one
process; ratios printed (cripser / topolayer, > 1: topolayer is faster).

Workloads, float32 values (cripser reads the same values as float64):

- ``smooth``: a white-noise volume blurred by a Gaussian of sigma 2 voxels (what an image
  network or a density looks like: few critical cells, long gradient paths);
- ``noise``: uniform white noise (every voxel near a critical cell, the worst case).

Every run draws a fresh volume (a repeated input is learnt by the branch predictors) and times
each tool on it, alternating, after one untimed call per tool and workload. One thread. Figures: median over the runs with the spread
(min - max); the ratio is taken per run, so "min ratio" is the worst run. Freudenthal (the
triangulated grid, no cripser equivalent) is compared with V on the same volumes.

    python benchmarks/bench_volumes.py [--quick] [--runs 5] [--sizes 64,128]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from topolayer.functional.cubical import cubical

try:
    import cripser
except ImportError:  # pragma: no cover - optional peer
    cripser = None


def volume(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    x = rng.random((n, n, n))
    if kind == "smooth":
        from scipy.ndimage import gaussian_filter

        x = gaussian_filter(x, 2.0, mode="wrap")
    return x.astype(np.float32)


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def spread(ts: list[float]) -> str:
    return f"{1e3 * statistics.median(ts):8.1f} ms [{1e3 * min(ts):.1f}-{1e3 * max(ts):.1f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="32^3 volumes, 2 runs")
    ap.add_argument("--sizes", default="64,128", help="volume sides (smooth); noise runs at 64")
    ap.add_argument("--no-freudenthal", action="store_true")
    args = ap.parse_args()
    runs = 2 if args.quick else args.runs
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    sides = [32] if args.quick else [int(s) for s in args.sizes.split(",")]
    workloads = [("smooth", n) for n in sides] + [("noise", min(sides))]
    print(
        f"torch {torch.__version__}; one thread; {runs} runs, fresh volumes; cripser: {cripser is not None}"
    )
    peers = {"V": getattr(cripser, "computePH", None), "T": getattr(cripser, "computePH_T", None)}
    for kind, n in workloads:
        # One untimed call per tool on a volume of its own first: memory that a loop over
        # volumes keeps (workspaces, allocator arenas) is mapped once, as in training.
        w = volume(rng, n, kind)
        for c in ("V", "T", "freudenthal"):
            cubical(torch.from_numpy(w), 2, construction=c, ndim=3, n_threads=1)
        for c in ("V", "T"):
            if peers[c] is not None:
                peers[c](w.astype(np.float64), maxdim=2)
        t_ours: dict[str, list[float]] = {"V": [], "T": [], "freudenthal": []}
        t_peer: dict[str, list[float]] = {"V": [], "T": []}
        ratios: dict[str, list[float]] = {"V": [], "T": []}
        for _ in range(runs):
            v = volume(rng, n, kind)
            vt, v64 = torch.from_numpy(v), v.astype(np.float64)
            for c in ("V", "T"):
                ours = timed(lambda c=c: cubical(vt, 2, construction=c, ndim=3, n_threads=1))
                t_ours[c].append(ours)
                if peers[c] is not None:
                    peer = timed(lambda c=c: peers[c](v64, maxdim=2))
                    t_peer[c].append(peer)
                    ratios[c].append(peer / ours)
            if not args.no_freudenthal:
                t_ours["freudenthal"].append(
                    timed(lambda: cubical(vt, 2, construction="freudenthal", ndim=3, n_threads=1))
                )
        name = f"{kind:6s} {n}^3"
        for c in ("V", "T"):
            line = f"{name} {c}: topolayer {spread(t_ours[c])}"
            if ratios[c]:
                line += (
                    f" | cripser {spread(t_peer[c])} | ratio median {statistics.median(ratios[c]):5.1f}x,"
                    f" min {min(ratios[c]):5.1f}x"
                )
            print(line, flush=True)
        if t_ours["freudenthal"]:
            rel = [f / v for f, v in zip(t_ours["freudenthal"], t_ours["V"], strict=True)]
            print(
                f"{name} freudenthal: topolayer {spread(t_ours['freudenthal'])} |"
                f" freudenthal / V median {statistics.median(rel):4.1f}x, max {max(rel):4.1f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
