"""Diagram distances: topolayer's bottleneck and W2 against GUDHI, hera and POT, side by side in
one process; ratios printed (peer / topolayer, > 1: topolayer is faster).

Workloads: random diagrams of n points (b, b + |N(0, 1)|), b ~ N(0, 1), and H0 diagrams of
random images (topolayer.functional.cubical, construction "V", sized for about n bars). Every
run draws a fresh pair of diagrams; all tools time the same pair, one after the other. Figures
are the median over the runs, with the spread (min - max) in brackets, in CPU time of the process
(every tool runs on one thread: CPU time is its cost even on a shared machine) and in wall time;
ratios compare CPU medians. topolayer is timed through its public functions (torch in, torch
out, single thread); the peers on NumPy arrays.

Peers: gudhi.bottleneck_distance (its default e, the float-precision search), hera through
gudhi.hera (bottleneck with delta=0, exact; Wasserstein with its default relative error
delta=0.01, and delta=1e-6), POT's ot.emd2 on the dense augmented matrix where it fits in
--pot-mb MiB.

    python benchmarks/bench_distances.py [--quick] [--sizes 1000,10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from topolayer import _core
from topolayer._ops import distances as match
from topolayer.diagram import Diagram
from topolayer.distances import _DENSE_MAX, bottleneck_distance, wasserstein_distance
from topolayer.functional.cubical import cubical

try:
    import gudhi
except ImportError:  # pragma: no cover - optional peer
    gudhi = None
try:
    import gudhi.hera as hera
except ImportError:  # pragma: no cover - optional peer
    hera = None
try:
    import ot
except ImportError:  # pragma: no cover - optional peer
    ot = None

INF = float("inf")


def random_diagram(rng: np.random.Generator, n: int) -> np.ndarray:
    b = rng.standard_normal(n)
    return np.stack([b, b + np.abs(rng.standard_normal(n))], 1)


def image_diagram(rng: np.random.Generator, n: int) -> np.ndarray:
    """The finite H0 bars of a random image with about n of them (about 1 in 6 pixels of uniform
    noise is a local minimum under 4-connectivity)."""
    side = int(np.ceil(np.sqrt(6 * n)))
    d = cubical(torch.from_numpy(rng.random((side, side))), 0, construction="V", n_threads=1)
    bars = d.bars[0].numpy()
    return bars[np.isfinite(bars[:, 1])]


def pot_w2(x: np.ndarray, y: np.ndarray, r: float) -> float:
    """W2 by POT's exact network simplex on the dense augmented (n + m)^2 matrix."""
    n, m = len(x), len(y)
    diff = np.abs(x[:, None, :] - y[None, :, :])
    c = diff.max(2) if r == INF else np.sqrt((diff**2).sum(2))
    fac = 0.5 if r == INF else 2**-0.5
    dx = (np.abs(x[:, 1] - x[:, 0]) * fac) ** 2
    dy = (np.abs(y[:, 1] - y[:, 0]) * fac) ** 2
    big = 10 * (dx.sum() + dy.sum()) + 1
    M = np.zeros((n + m, m + n))
    M[:n, :m] = c**2
    M[:n, m:] = big
    M[n:, :m] = big
    M[np.arange(n), m + np.arange(n)] = dx
    M[n + np.arange(m), np.arange(m)] = dy
    w = np.ones(n + m)
    return float(ot.emd2(w, w, M, numItermax=10**8)) ** 0.5


def timed(fn):
    """(wall seconds, CPU seconds of this process, value)."""
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - t0, time.process_time() - c0, float(value)


def fmt(ts: list[float]) -> str:
    med = statistics.median(ts)
    unit, k = ("s", 1.0) if med >= 1 else ("ms", 1e3)
    return f"{med * k:8.2f} {unit} [{min(ts) * k:.2f}-{max(ts) * k:.2f}]"


def bench(name: str, make, tools: dict, runs: int, rng: np.random.Generator) -> None:
    """Times every tool on `runs` fresh pairs; prints CPU and wall medians with spreads, the
    ratio of CPU medians and the largest relative difference of each peer's value from
    topolayer's. Every tool is single-threaded, so CPU time is what it costs, also when the
    machine is shared; wall time is printed beside it."""
    cpu: dict[str, list[float]] = {k: [] for k in tools}
    wall: dict[str, list[float]] = {k: [] for k in tools}
    diffs: dict[str, float] = {k: 0.0 for k in tools}
    skipped: dict[str, str] = {}
    for _ in range(runs):
        x, y = make(rng), make(rng)
        ref = None
        for label, fn in tools.items():
            if label in skipped:
                continue
            try:
                w, c, v = timed(lambda fn=fn: fn(x, y))
            except MemoryError as err:
                skipped[label] = str(err)
                continue
            wall[label].append(w)
            cpu[label].append(c)
            if ref is None:
                ref = v
            else:
                diffs[label] = max(diffs[label], abs(v - ref) / max(abs(ref), 1e-300))
    print(f"\n{name}")
    ours = statistics.median(cpu["topolayer"])
    for label, ts in cpu.items():
        if label in skipped:
            print(f"  {label:<22s} skipped: {skipped[label]}")
            continue
        if not ts:
            continue
        ratio = "" if label == "topolayer" else f"   ratio {statistics.median(ts) / ours:7.2f}x"
        diff = "" if label == "topolayer" else f"   value rel. diff {diffs[label]:.1e}"
        print(f"  {label:<22s} cpu {fmt(ts)}  wall {fmt(wall[label])}{ratio}{diff}")


def crossover(rng: np.random.Generator, runs: int) -> None:
    """The matching alone: dense Hungarian (scipy) against the C++ solvers (a rectangular
    assignment up to n + m = 128, the min-cost flow above); the Wasserstein functions use scipy
    up to topolayer.distances._DENSE_MAX."""
    print(f"\nW2 matching alone (L2), by n + m; scipy up to n + m = {_DENSE_MAX}")
    for n in (10, 25, 50, 100, 200):
        dense, sparse = [], []
        for _ in range(max(runs, 5)):
            x, y = random_diagram(rng, n), random_diagram(rng, n)
            c = np.array([n])
            dense.append(timed(lambda: match.dense_wasserstein(x, y, 2.0, 2.0) and 0)[1])
            sparse.append(
                timed(lambda: _core.wasserstein_matchings(x, c, y, c, 2.0, 2.0, 1) and 0)[1]
            )
        ratio = statistics.median(dense) / statistics.median(sparse)
        print(f"  n + m = {2 * n:<5d} dense {fmt(dense)}   C++ {fmt(sparse)}   ratio {ratio:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="n = 1000 only, 3 runs")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pot-mb", type=float, default=1024, help="largest POT cost matrix")
    args = parser.parse_args()
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    runs = 3 if args.quick else args.runs
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(
        f"torch {torch.__version__}, numpy {np.__version__}, gudhi "
        f"{getattr(gudhi, '__version__', 'missing')}, POT {getattr(ot, '__version__', 'missing')}, "
        f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.1f}; median [min-max] of {runs} runs, "
        "fresh diagrams each run"
    )

    crossover(rng, runs)

    def D(a: np.ndarray) -> Diagram:
        return Diagram([torch.from_numpy(a)])

    for kind, gen in (("random", random_diagram), ("cubical H0", image_diagram)):
        for n in sizes:

            def make(rng, n=n, gen=gen):
                return gen(rng, n)

            tools = {"topolayer": lambda x, y: bottleneck_distance(D(x), D(y), n_threads=1)}
            if gudhi is not None:
                tools["gudhi"] = lambda x, y: gudhi.bottleneck_distance(x, y)
            if hera is not None:
                tools["hera (delta=0)"] = lambda x, y: hera.bottleneck_distance(x, y, delta=0)
            bench(f"bottleneck, {kind} diagrams, n = {n}", make, tools, runs, rng)

            for r, rname in ((2.0, "L2"), (INF, "Linf")):
                tools = {
                    "topolayer": lambda x, y, r=r: wasserstein_distance(
                        D(x), D(y), p=2, internal_p=r, n_threads=1
                    )
                }
                if hera is not None:
                    for delta in (0.01, 1e-6):
                        tools[f"hera (delta={delta:g})"] = lambda x, y, r=r, delta=delta: (
                            hera.wasserstein_distance(x, y, order=2, internal_p=r, delta=delta)
                        )
                elif gudhi is not None and ot is not None:
                    import gudhi.wasserstein as gw

                    tools["gudhi+POT"] = lambda x, y, r=r: gw.wasserstein_distance(
                        x, y, order=2, internal_p=r
                    )
                if ot is not None:
                    mb = (2 * n) ** 2 * 8 / 2**20

                    def pot(x, y, r=r, mb=mb):
                        if mb > args.pot_mb:
                            raise MemoryError(
                                f"a {mb:.0f} MiB cost matrix (--pot-mb {args.pot_mb:g})"
                            )
                        return pot_w2(x, y, r)

                    tools["POT emd2 (dense)"] = pot
                bench(f"W2, {rname} ground norm, {kind} diagrams, n = {n}", make, tools, runs, rng)


if __name__ == "__main__":
    main()
