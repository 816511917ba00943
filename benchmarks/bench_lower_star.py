"""Lower-star persistence of a triangulated surface: topolayer against GUDHI and Oineus.

The complex is the Freudenthal triangulation of an n x n grid (~100k and ~1M simplices).
topolayer builds the complex once and is then called 10 times with new vertex values, as inside
a training loop; each call returns the critical vertices of every bar. Peers, per call:

- GUDHI: SimplexTree.insert_batch (vertices, edges, triangles with lower-star values) +
  compute_persistence + lower_star_persistence_generators (the critical vertices).
- Oineus: compute_diagrams_ls on the n x n array (its own Freudenthal triangulation of the same
  grid; values only, no critical vertices).
- NumPy argsort of the vertex values: the one-sort proxy of the physical limit.

Single thread everywhere, H0 + H1. Each run draws fresh values and takes every tool's median
seconds per call; printed: the median over the runs with their range, and the ratios per run
(median, min - max).
Run: .venv/bin/python benchmarks/bench_lower_star.py [--quick] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import topolayer as tl


def timeit(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def spread(xs: list[float], fmt: str = ".4f") -> str:
    return f"{statistics.median(xs):{fmt}} [{min(xs):{fmt}}-{max(xs):{fmt}}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--runs", type=int, default=3, help="runs per size, fresh values each")
    args = parser.parse_args()
    sides = (40, 80) if args.quick else (130, 410)
    repeat = 3 if args.quick else 10
    runs = 1 if args.quick else args.runs
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    try:
        import gudhi
    except ImportError:
        gudhi = None
        print("gudhi not installed")
    try:
        import oineus
    except ImportError:
        oineus = None
        print("oineus not installed")
    print(f"median s per call over {repeat} calls; {runs} runs: median [min-max]; ratios per run")
    for n in sides:
        t = time.perf_counter()
        K = tl.SimplicialComplex.grid_2d(n, n)
        build = time.perf_counter() - t
        edges, tris = K.simplices(1), K.simplices(2)
        times: dict[str, list[float]] = {"topolayer": [], "gudhi": [], "oineus": [], "argsort": []}
        for _ in range(runs):
            # Every call of every tool gets values of its own.
            it = iter([rng.random(n * n) for _ in range(4 * repeat)])

            def run_topolayer():
                tl.functional.lower_star(torch.from_numpy(next(it)), K, max_dim=1, n_threads=1)

            def run_gudhi():
                f = next(it)
                st = gudhi.SimplexTree()
                st.insert_batch(np.arange(n * n)[None, :], f)
                st.insert_batch(edges.T, f[edges].max(1))
                st.insert_batch(tris.T, f[tris].max(1))
                st.compute_persistence(homology_coeff_field=2, persistence_dim_max=False)
                st.lower_star_persistence_generators()

            def run_oineus():
                oineus.compute_diagrams_ls(next(it).reshape(n, n), max_dim=1)

            times["topolayer"].append(timeit(run_topolayer, repeat))
            times["gudhi"].append(timeit(run_gudhi, repeat) if gudhi else float("nan"))
            times["oineus"].append(timeit(run_oineus, repeat) if oineus else float("nan"))
            times["argsort"].append(timeit(lambda: np.argsort(next(it), kind="stable"), repeat))
        print(f"{n}x{n} grid, {len(K)} simplices (complex built once in {build:.3f} s)")
        for name, ts in times.items():
            print(f"  {name:>9}: {spread(ts)} s")
        for peer in ("gudhi", "oineus"):
            ratios = [p / q for p, q in zip(times[peer], times["topolayer"], strict=True)]
            print(f"  {peer} / topolayer: {spread(ratios, '.1f')}x")
        ratios = [q / p for p, q in zip(times["argsort"], times["topolayer"], strict=True)]
        print(f"  topolayer / argsort: {spread(ratios, '.1f')}x")


if __name__ == "__main__":
    main()
