"""Lower-star persistence of a triangulated surface: topolayer against GUDHI and Oineus.

The complex is the Freudenthal triangulation of an n x n grid (~100k and ~1M simplices).
topolayer builds the complex once and is then called 10 times with new vertex values, as inside
a training loop; each call returns the critical vertices of every bar. Peers, per call:

- GUDHI: SimplexTree.insert_batch (vertices, edges, triangles with lower-star values) +
  compute_persistence + lower_star_persistence_generators (the critical vertices).
- Oineus: compute_diagrams_ls on the n x n array (its own Freudenthal triangulation of the same
  grid; values only, no critical vertices).
- NumPy argsort of the vertex values: the one-sort proxy of the physical limit.

Single thread everywhere, H0 + H1. Prints median seconds per call and ratios.
Run: .venv/bin/python benchmarks/bench_lower_star.py [--quick]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    args = parser.parse_args()
    sides = (40, 80) if args.quick else (130, 410)
    repeat = 3 if args.quick else 10
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(
        f"{'grid':>9} {'simplices':>10} {'topolayer':>10} {'gudhi':>9} {'oineus':>9} {'argsort':>9}"
        f" {'gudhi/tl':>9} {'oineus/tl':>9} {'tl/argsort':>10}"
    )
    for n in sides:
        t = time.perf_counter()
        K = tl.SimplicialComplex.grid_2d(n, n)
        build = time.perf_counter() - t
        values = [rng.random(n * n) for _ in range(repeat)]
        it = iter(values * 4)

        def run_topolayer():
            tl.functional.lower_star(torch.from_numpy(next(it)), K, max_dim=1, n_threads=1)

        t_tl = timeit(run_topolayer, repeat)
        edges, tris = K.simplices(1), K.simplices(2)

        t_gudhi = float("nan")
        try:
            import gudhi

            def run_gudhi():
                f = next(it)
                st = gudhi.SimplexTree()
                st.insert_batch(np.arange(n * n)[None, :], f)
                st.insert_batch(edges.T, f[edges].max(1))
                st.insert_batch(tris.T, f[tris].max(1))
                st.compute_persistence(homology_coeff_field=2, persistence_dim_max=False)
                st.lower_star_persistence_generators()

            t_gudhi = timeit(run_gudhi, repeat)
        except ImportError:
            print("gudhi not installed")

        t_oineus = float("nan")
        try:
            import oineus

            def run_oineus():
                oineus.compute_diagrams_ls(next(it).reshape(n, n), max_dim=1)

            t_oineus = timeit(run_oineus, repeat)
        except ImportError:
            print("oineus not installed")

        t_sort = timeit(lambda: np.argsort(next(it), kind="stable"), repeat)
        print(
            f"{n:>4}x{n:<4} {len(K):>10} {t_tl:>10.4f} {t_gudhi:>9.4f} {t_oineus:>9.4f} {t_sort:>9.4f}"
            f" {t_gudhi / t_tl:>8.1f}x {t_oineus / t_tl:>8.1f}x {t_tl / t_sort:>9.1f}x"
            f"   (complex built once in {build:.3f} s)"
        )


if __name__ == "__main__":
    main()
