"""Point-cloud persistence: topolayer vs giotto-ph, ripser.py, torch-topological, scipy.

Uniform points in the unit square/cube, one process, single thread unless stated. The Rips
workloads (N = 2000 in 2D with H0+H1, N = 1000 in 3D with H0-H2, giotto-ph returning generators
as topolayer returns critical edges) draw a fresh cloud in each of ``--runs`` runs and print the
median time and the median and range of the per-run ratios; the other sections take the best of
``--repeat`` calls. Ratios are peer time / topolayer time (> 1: topolayer is faster). Peak memory
is measured in fresh subprocesses (peak RSS growth during the call).

    python benchmarks/bench_rips.py [--quick] [--runs 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np
import torch

from topolayer.functional.alpha import alpha
from topolayer.functional.rips import rips
from topolayer.nn.rips import VietorisRips


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def optional(name):
    try:
        return __import__(name)
    except ImportError:
        return None


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def row(label, ours, peers):
    parts = [f"{label:<34} topolayer {ours:8.3f} s"]
    for name, t in peers:
        if t is None:
            parts.append(f"{name} n/a")
        else:
            parts.append(f"{name} {t:8.3f} s ({t / ours:5.2f}x)")
    print("  ".join(parts), flush=True)


MEM_SNIPPET = r"""
import sys, numpy as np
which, n, call = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
dim, max_dim = int(sys.argv[4]), int(sys.argv[5])
def make(x):
    if which == "alpha":
        import torch
        from topolayer.functional.alpha import alpha
        t = torch.from_numpy(x.astype(np.float64))
        return lambda: alpha(t, max_dim=1)
    if which == "delaunay":
        from scipy.spatial import Delaunay
        y = x.astype(np.float64)
        return lambda: Delaunay(y)
    if which == "topolayer":
        import torch
        from topolayer.functional.rips import rips
        t = torch.from_numpy(x)
        return lambda: rips(t, max_dim=max_dim, n_threads=1)
    if which == "giotto-ph":
        from gph import ripser_parallel
        return lambda: ripser_parallel(x, maxdim=max_dim, return_generators=True, n_threads=1)
    import ripser
    return lambda: ripser.ripser(x, maxdim=max_dim)
rng = np.random.default_rng(0)
make(rng.random((10, dim)).astype(np.float32))()  # warm-up: lazy imports and first-call set-up
x = rng.random((n, dim)).astype(np.float32)
if call:
    make(x)()
# VmHWM, not ru_maxrss: the latter survives exec and would report the parent's peak.
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0]
print(int(hwm.split()[1]) / 1024)
"""


def peak_mb(which, n, dim=2, max_dim=1):
    """Peak RSS of a process that makes the call minus that of one that only warms up."""
    res = []
    for call in ("1", "0"):
        out = subprocess.run(
            [sys.executable, "-c", MEM_SNIPPET, which, str(n), call, str(dim), str(max_dim)],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            return None
        res.append(float(out.stdout.strip().splitlines()[-1]))
    return max(res[0] - res[1], 1.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--repeat", type=int, default=3, help="best-of count for the other sections")
    ap.add_argument("--runs", type=int, default=5, help="fresh clouds per Rips workload")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    gph = optional("gph")
    ripser = optional("ripser")
    tt = optional("torch_topological")
    print(f"torch {torch.__version__}, threads available: {torch.get_num_threads()}")

    # Fresh clouds in every run (a repeated input is learnt by the branch predictors); each tool
    # sees the same cloud within a run. Ratios are per run; median and range over the runs.
    print("\n== Rips with critical edges, 1 thread, fresh uniform clouds each run ==")
    workloads = [(1000, 2, 1), (2000, 2, 1), (1000, 3, 2)]
    if args.quick:
        workloads = [(1000, 2, 1), (1000, 3, 1)]
    warm = rng.random((20, 3)).astype(np.float32)  # first-call set-up stays out of the timings
    rips(torch.from_numpy(warm), max_dim=2, n_threads=1)
    if gph is not None:
        gph.ripser_parallel(warm, maxdim=2, return_generators=True, n_threads=1)
    for n, dim, max_dim in workloads:
        ours_t, gph_t = [], []
        for _ in range(args.runs):
            x = rng.random((n, dim)).astype(np.float32)
            xt = torch.from_numpy(x)
            ours_t.append(timed(lambda: rips(xt, max_dim=max_dim, n_threads=1)))
            if gph is not None:
                from gph import ripser_parallel

                gph_t.append(
                    timed(
                        lambda: ripser_parallel(
                            x, maxdim=max_dim, return_generators=True, n_threads=1
                        )
                    )
                )
        label = f"N={n} unit {'square' if dim == 2 else 'cube'}, H0-H{max_dim}"
        line = f"{label:<30} topolayer {np.median(ours_t):8.3f} s"
        if gph_t:
            ratios = np.array(gph_t) / np.array(ours_t)
            line += (
                f"  giotto-ph (generators) {np.median(gph_t):8.3f} s  ratio {np.median(ratios):5.2f}x"
                f" (runs {ratios.min():.2f}-{ratios.max():.2f}x)"
            )
        if ripser is not None and max_dim == 1 and n <= 1000:
            x = rng.random((n, dim)).astype(np.float32)
            r_t = timed(lambda: ripser.ripser(x, maxdim=max_dim))
            o_t = timed(lambda: rips(torch.from_numpy(x), max_dim=max_dim, n_threads=1))
            line += f"  ripser.py {r_t:8.3f} s ({r_t / o_t:5.2f}x, one run)"
        print(line, flush=True)
        if not args.quick:
            mem = [peak_mb(tool, n, dim, max_dim) for tool in ("topolayer", "giotto-ph")]
            print(
                f"{'':<30} peak memory: topolayer {mem[0]:.0f} MB, giotto-ph "
                + ("n/a" if mem[1] is None else f"{mem[1]:.0f} MB ({mem[1] / mem[0]:.1f}x)"),
                flush=True,
            )

    print("\n== VietorisRips forward+backward, N=2000 square ==")
    x = torch.rand(2000, 2)

    def fb(layer):
        y = x.clone().requires_grad_()
        d = layer(y)
        (d[1][:, 1] - d[1][:, 0]).sum().add(d[0][:-1, 1].sum()).backward()

    one = best(lambda: fb(VietorisRips(max_dim=1, n_threads=1)), args.repeat)
    peers = []
    if tt is not None:
        from torch_topological.nn import VietorisRipsComplex

        vr = VietorisRipsComplex(dim=1)

        def fb_tt():
            y = x.clone().requires_grad_()
            info = vr(y)
            loss = sum(
                (i.diagram[:, 1] - i.diagram[:, 0])[torch.isfinite(i.diagram[:, 1])].sum()
                for i in info
            )
            loss.backward()

        peers.append(("torch-topological", best(fb_tt, args.repeat)))
    row("1 thread", one, peers)
    two = best(lambda: fb(VietorisRips(max_dim=1, n_threads=2)), args.repeat)
    print(
        f"{'2 threads (one cloud)':<34} topolayer {two:8.3f} s  speed-up over 1 thread {one / two:5.2f}x"
    )
    xb = torch.rand(4, 1000, 2)
    b1 = best(lambda: rips(xb, max_dim=1, n_threads=1), args.repeat)
    b2 = best(lambda: rips(xb, max_dim=1, n_threads=2), args.repeat)
    print(
        f"{'batch 4 x 1000, 1 vs 2 threads':<34} topolayer {b1:8.3f} s / {b2:8.3f} s  speed-up {b1 / b2:5.2f}x"
    )

    if not args.quick:
        print("\n== H0 only, N=100,000 in 2D (Euclidean MST through Delaunay) ==")
        big = torch.rand(100_000, 2)
        t = best(lambda: rips(big, max_dim=0, n_threads=1), args.repeat)
        print(
            f"{'N=100k H0':<34} topolayer {t:8.3f} s  (ripser.py / giotto-ph: a dense 100k x 100k "
            f"metric is 40 GB in float32, not run)"
        )

        print("\n== alpha 2D, N=1,000,000, H0+H1 ==")
        from scipy.spatial import Delaunay

        pts = torch.rand(1_000_000, 2, dtype=torch.float64)
        t_del = best(lambda: Delaunay(pts.numpy()), 1)
        t_alpha = best(lambda: alpha(pts, max_dim=1), 1)
        m_alpha, m_del = peak_mb("alpha", 1_000_000), peak_mb("delaunay", 1_000_000)
        print(
            f"{'alpha N=1e6':<34} topolayer {t_alpha:8.3f} s  scipy Delaunay {t_del:8.3f} s  "
            f"ratio {t_alpha / t_del:5.2f}x Delaunay's time; peak memory {m_alpha:.0f} MB vs "
            f"Delaunay alone {m_del:.0f} MB"
        )

    print(
        "\n== peak memory, Rips H0+H1, N=4000 square (fresh processes, peak RSS over a warmed-up baseline) =="
    )
    n = 2000 if args.quick else 4000
    ours = peak_mb("topolayer", n)
    line = f"N={n}: topolayer {ours:.0f} MB"
    for peer in ("giotto-ph", "ripser.py"):
        m = peak_mb(peer, n)
        line += f"  {peer} " + ("n/a" if m is None else f"{m:.0f} MB ({m / ours:.1f}x)")
    print(line)


if __name__ == "__main__":
    main()
