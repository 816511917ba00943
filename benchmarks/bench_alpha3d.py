"""3D alpha-complex persistence at scale: topolayer against GUDHI and scipy's Delaunay.

Points in 3D, N = 10^5 and 10^6 (``--quick``: 10^4 and 10^5), of two kinds: uniform in the
unit cube, and a noisy torus (radii 1 and 0.35, area-uniform, Gaussian noise 0.01 — a surface
sample, whose Delaunay tetrahedra are mostly slivers). Every timed repeat draws fresh points;
repeat i uses the same seed for every peer, so the peers see the same clouds. Per call, single
thread (``torch.set_num_threads(1)``, ``n_threads=1``, BLAS/OpenMP pinned to one thread):

- topolayer: ``tl.functional.alpha(x, max_dim=2, n_threads=1)`` on float64 points (H0-H2 bars
  with their critical simplices, radii recomputed in torch). Its sub-rows split each call into
  Qhull (``scipy.spatial.Delaunay`` through ``topolayer._delaunay.delaunay_top``), the C++ core
  (``_core.alpha_pairs``: filtration, reduction, critical simplices) and the rest (torch gather
  and radii, validation), timed by wrappers around the first two inside the same call.
- scipy: ``scipy.spatial.Delaunay(x)`` alone, the floor of the Qhull-based design.
- GUDHI: ``AlphaComplex(points=x).create_simplex_tree()`` + ``compute_persistence()`` +
  ``persistence_intervals_in_dimension(k)`` for k = 0, 1, 2 (default ``precision="safe"``;
  ``--peers ... gudhi-fast`` adds ``precision="fast"``).

Each peer runs in its own fresh process (this script with a hidden ``--child`` flag), so its
peak memory is its own: the child imports, warms up on 200 points, draws the first cloud, reads
its resident set (the baseline), resets the high-water mark (``/proc/self/clear_refs``) and
reports ``VmHWM`` after its calls: the peak, and the growth over the baseline. (``ru_maxrss`` is
not used: on Linux it survives ``exec`` and can report the parent's peak.) The parent watches
each child's resident set and kills it past ``--mem-limit`` GiB (default: what is available now
less 2 GiB), printing the reason instead of taking the machine down.

Before timing, one child per (N, kind) (at the largest N, the first kind only) computes both
diagrams on one cloud and checks that topolayer's squared radii equal the squared radii of
GUDHI with ``precision="fast"`` (exact predicates, double-precision values; ``"safe"`` values
are off by ~1e-9 relative, ``"exact"`` takes 5-8x as long): the sorted finite bars of every
dimension to 1e-9 relative, and the numbers of essential bars. Bars left unmatched are printed
with topolayer's critical simplices; those of length zero up to rounding (a vertex on the
boundary of a face's ball: a tie GUDHI's exact predicate breaks towards a zero-length pair,
which it drops) are counted apart, as a note.

Prints per (N, kind) and peer the median seconds per call, the spread (min-max), peak and growth
of the resident set in MiB, then the ratios gudhi/topolayer and topolayer/Delaunay.
Run: .venv/bin/python benchmarks/bench_alpha3d.py [--quick] [--repeat R] [--sizes N ...]
     [--kinds cube torus] [--peers topolayer delaunay gudhi gudhi-fast] [--mem-limit GiB]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

KINDS = ("cube", "torus")
PEERS = ("topolayer", "delaunay", "gudhi", "gudhi-fast")
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
RTOL = 1e-9


def points(kind: str, n: int, seed: int) -> np.ndarray:
    """(n, 3) float64 points: uniform in the unit cube, or a noisy area-uniform torus."""
    rng = np.random.default_rng(seed)
    if kind == "cube":
        return rng.random((n, 3))
    big, small = 1.0, 0.35
    out = np.empty((0, 3))
    while len(out) < n:  # rejection on the tube angle makes the sample area-uniform
        m = 2 * (n - len(out)) + 16
        u, v = rng.uniform(0, 2 * np.pi, (2, m))
        keep = rng.random(m) * (big + small) < big + small * np.cos(v)
        u, v = u[keep], v[keep]
        ring = big + small * np.cos(v)
        out = np.concatenate(
            [out, np.stack([ring * np.cos(u), ring * np.sin(u), small * np.sin(v)], 1)]
        )
    return out[:n] + rng.normal(0, 0.01, (n, 3))


def seed_of(kind: str, n: int, rep: int) -> int:
    return 1_000_003 * (KINDS.index(kind) + 1) + 7919 * rep + n


def _status(field: str) -> float:
    """A field of /proc/self/status in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # Linux >= 4.0: VmHWM := VmRSS
        return True
    except OSError:
        return False


def _topolayer_call(x: np.ndarray):
    import torch

    import topolayer as tl

    return tl.functional.alpha(torch.from_numpy(x), max_dim=2, n_threads=1)


def _install_split(parts: dict[str, float]) -> None:
    """Wrap Qhull and the C++ core of topolayer's alpha op with timers (same call, no rework)."""
    import topolayer._ops.alpha as op
    from topolayer import _core

    def timed(key, fn):
        def call(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                parts[key] += time.perf_counter() - t

        return call

    op.delaunay_top = timed("qhull", op.delaunay_top)
    _core.alpha_pairs = timed("core", _core.alpha_pairs)


def _gudhi_intervals(x: np.ndarray, precision: str = "safe") -> list[np.ndarray]:
    import gudhi

    st = gudhi.AlphaComplex(points=x, precision=precision).create_simplex_tree()
    st.compute_persistence(homology_coeff_field=2)  # Z/2, as topolayer
    return [st.persistence_intervals_in_dimension(k) for k in range(3)]


def _peer_call(peer: str):
    if peer == "topolayer":
        return _topolayer_call
    if peer == "delaunay":
        from scipy.spatial import Delaunay

        return Delaunay
    if peer == "gudhi":
        return _gudhi_intervals
    if peer == "gudhi-fast":
        return lambda x: _gudhi_intervals(x, "fast")
    raise ValueError(f"unknown peer {peer!r}")


def _unmatched(a: np.ndarray, b: np.ndarray) -> tuple[list[int], list[int]]:
    """Rows of ``a`` and ``b`` (each sorted by birth, then death) left over by a merge that pairs
    rows equal to ``RTOL`` relative; births that tie to ~1e-12 may sort either way, so a miss
    first looks a few rows ahead on both sides, and the rows left are then paired among
    themselves."""

    def same(i, j):
        return bool(np.all(np.abs(a[i] - b[j]) <= RTOL * np.maximum(np.abs(b[j]), 1e-300)))

    i = j = 0
    only_a: list[int] = []
    only_b: list[int] = []
    while i < len(a) and j < len(b):
        if same(i, j):
            i, j = i + 1, j + 1
            continue
        ahead_b = next((s for s in range(1, 8) if j + s < len(b) and same(i, j + s)), None)
        ahead_a = next((s for s in range(1, 8) if i + s < len(a) and same(i + s, j)), None)
        if ahead_b is not None and (ahead_a is None or ahead_b <= ahead_a):
            only_b += range(j, j + ahead_b)
            j += ahead_b
        elif ahead_a is not None:
            only_a += range(i, i + ahead_a)
            i += ahead_a
        else:
            only_a.append(i)
            only_b.append(j)
            i, j = i + 1, j + 1
    only_a += range(i, len(a))
    only_b += range(j, len(b))
    # Rows the merge skipped over when it met a swap: pair what is left among itself.
    rest_b = list(only_b[:5000])
    left_a = []
    for i in only_a:
        hit = next((t for t, j in enumerate(rest_b) if same(i, j)), None)
        if hit is None:
            left_a.append(i)
        else:
            rest_b.pop(hit)
    return left_a, rest_b + only_b[5000:]


def _compare(ours, cells, theirs) -> list[str]:
    """Differences between topolayer's squared bars (with their critical simplices ``cells``)
    and GUDHI's intervals, per dimension: essential counts, then finite bars to ``RTOL``."""
    bad = []
    for k, (a, c, b) in enumerate(zip(ours, cells, theirs, strict=True)):
        ia, ib = np.isinf(a[:, 1]), np.isinf(b[:, 1])
        if ia.sum() != ib.sum():
            bad.append(f"H{k}: {ia.sum()} essential bars, gudhi {ib.sum()}")
        a, c, b = a[~ia], c[~ia], b[~ib]
        oa, ob = np.lexsort(a.T[::-1]), np.lexsort(b.T[::-1])
        a, c, b = a[oa], c[oa], b[ob]
        only_a, only_b = _unmatched(a, b)
        # A bar of length zero up to rounding (a face on the boundary of a coface's ball, a tie
        # that exact predicates break the other way) is one that GUDHI drops as zero-length.
        tiny_a = [i for i in only_a if a[i, 1] - a[i, 0] <= RTOL * abs(a[i, 1])]
        tiny_b = [j for j in only_b if b[j, 1] - b[j, 0] <= RTOL * abs(b[j, 1])]
        only_a = [i for i in only_a if i not in tiny_a]
        only_b = [j for j in only_b if j not in tiny_b]
        if tiny_a or tiny_b:
            bad.append(
                f"(note) H{k}: {len(tiny_a)} topolayer and {len(tiny_b)} gudhi bars of length"
                f" <= {RTOL:g} rel unmatched, zero-length up to rounding"
            )
        if only_a or only_b:
            ours_txt = ", ".join(
                f"({a[i, 0]:.6g}, {a[i, 1]:.6g}) from {c[i][c[i] >= 0].tolist()}"
                for i in only_a[:3]
            )
            theirs_txt = ", ".join(f"({b[j, 0]:.6g}, {b[j, 1]:.6g})" for j in only_b[:3])
            bad.append(
                f"H{k}: {len(only_a)} of {len(a)} finite bars unmatched [{ours_txt}],"
                f" gudhi {len(only_b)} of {len(b)} [{theirs_txt}]"
            )
    return bad


def child(args) -> None:
    """One peer on one (N, kind) in this fresh process; prints a JSON line."""
    import torch

    torch.set_num_threads(1)
    parts = {"qhull": 0.0, "core": 0.0}
    if args.peer == "check":
        fn = None
        _topolayer_call(points(args.kind, 200, 1))
        _gudhi_intervals(points(args.kind, 200, 1))
    else:
        fn = _peer_call(args.peer)
        fn(points(args.kind, 200, 1))  # lazy imports and first-call set-up
        if args.peer == "topolayer":
            _install_split(parts)
    x = points(args.kind, args.n, seed_of(args.kind, args.n, 0))
    base = _status("VmRSS")
    reset = _reset_peak()
    out: dict = {"base": base, "reset": reset}
    if args.peer == "check":
        t = time.perf_counter()
        dgm = _topolayer_call(x)
        ours = [b.numpy() ** 2 for b in dgm.bars]
        cells = [i.numpy() for i in dgm.indices]
        del dgm
        out["t_topolayer"] = time.perf_counter() - t
        out["peak_topolayer"] = _status("VmHWM")
        t = time.perf_counter()
        theirs = _gudhi_intervals(x, "fast")
        out["t_gudhi"] = time.perf_counter() - t
        out["bars"] = [len(b) for b in ours]
        out["problems"] = _compare(ours, cells, theirs)
    else:
        times, split = [], []
        for rep in range(args.repeat):
            if rep:
                del x
                x = points(args.kind, args.n, seed_of(args.kind, args.n, rep))
            parts.update(qhull=0.0, core=0.0)
            t = time.perf_counter()
            res = fn(x)
            times.append(time.perf_counter() - t)
            split.append(dict(parts))
            del res
        out["times"], out["split"] = times, split
    out["peak"] = _status("VmHWM")
    print(json.dumps(out), flush=True)


def run_child(peer: str, kind: str, n: int, repeat: int, limit_mib: float) -> dict:
    """This script in a fresh process, watched: killed once its resident set passes the limit."""
    import psutil

    env = dict(os.environ, **{k: "1" for k in THREAD_ENV})
    cmd = [sys.executable, __file__, "--child", peer, "--kind", kind, "--n", str(n)]
    cmd += ["--repeat", str(repeat)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    watched, high = psutil.Process(proc.pid), 0.0
    while proc.poll() is None:
        try:
            rss = watched.memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            break
        high = max(high, rss)
        if rss > limit_mib:
            proc.kill()
            proc.wait()
            return {"error": f"killed at {rss:.0f} MiB resident (limit {limit_mib:.0f} MiB)"}
        time.sleep(0.1)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        tail = stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return {"error": tail[0]}
    out = json.loads(stdout.strip().splitlines()[-1])
    out["watched"] = high
    return out


def spread(ts: list[float]) -> str:
    return f"{statistics.median(ts):9.3f} {min(ts):8.3f}-{max(ts):<8.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="N = 10^4 and 10^5, 2 repeats")
    ap.add_argument("--sizes", type=int, nargs="+", help="point counts (default 10^5 10^6)")
    ap.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    ap.add_argument("--repeat", type=int, help="timed calls per peer (default 5, 10^6: 3)")
    ap.add_argument(
        "--peers",
        nargs="+",
        choices=PEERS,
        default=list(PEERS[:3]),
        help="gudhi-fast: precision='fast'",
    )
    ap.add_argument("--no-check", action="store_true", help="skip the diagram check")
    ap.add_argument("--mem-limit", type=float, help="GiB a child may hold (default: free - 2)")
    ap.add_argument("--child", choices=(*PEERS, "check"), help=argparse.SUPPRESS)
    ap.add_argument("--kind", choices=KINDS, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.peer = args.child
        child(args)
        return

    import psutil
    import scipy
    import torch

    import topolayer

    try:
        import gudhi

        peers, gudhi_version = args.peers, gudhi.__version__
    except ImportError:
        peers, gudhi_version = [p for p in args.peers if "gudhi" not in p], "not installed"
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [100_000, 1_000_000])
    limit = args.mem_limit or psutil.virtual_memory().available / 2**30 - 2
    print(
        f"topolayer {topolayer.__version__}, torch {torch.__version__}, scipy {scipy.__version__},"
        f" gudhi {gudhi_version}; {os.cpu_count()} cores, load average"
        f" {' '.join(f'{v:.2f}' for v in os.getloadavg())}; child memory limit {limit:.1f} GiB",
        flush=True,
    )

    if not args.no_check and gudhi_version != "not installed":
        print("\n== diagrams: topolayer radii squared vs GUDHI squared radii, one cloud each ==")
        for n in sizes:
            for kind in args.kinds if n < max(sizes) else args.kinds[:1]:
                r = run_child("check", kind, n, 1, limit * 1024)
                if "error" in r:
                    print(f"N={n:>8} {kind:<6} not checked: {r['error']}", flush=True)
                    continue
                real = [p for p in r["problems"] if not p.startswith("(note)")]
                verdict = "; ".join(r["problems"])
                if not real:
                    verdict = f"equal (finite bars to {RTOL:g} rel)" + (
                        f"; {verdict}" if verdict else ""
                    )
                else:
                    verdict = "DIFFERENT: " + verdict
                print(
                    f"N={n:>8} {kind:<6} bars H0/H1/H2 {'/'.join(map(str, r['bars']))}: {verdict}"
                    f"  [topolayer {r['t_topolayer']:.1f} s, gudhi {r['t_gudhi']:.1f} s]",
                    flush=True,
                )

    print(
        "\n== seconds per call (median, min-max over fresh clouds), peak resident set of a fresh"
        " process and its growth over the baseline after imports and points, MiB =="
    )
    head = f"{'N':>8} {'kind':<6} {'peer':<18} {'median':>9} {'min-max':<17} {'runs':>4}"
    print(head + f" {'peak':>7} {'growth':>7}", flush=True)
    summary = []
    for n in sizes:
        repeat = args.repeat or (2 if args.quick else 3 if n >= 1_000_000 else 5)
        for kind in args.kinds:
            res = {}
            for peer in peers:
                r = run_child(peer, kind, n, repeat, limit * 1024)
                res[peer] = r
                if "error" in r:
                    print(f"{n:>8} {kind:<6} {peer:<18} skipped: {r['error']}", flush=True)
                    continue
                mem = f"{r['peak']:7.0f} {r['peak'] - r['base']:7.0f}"
                if not r["reset"]:
                    mem += " (high-water mark not reset: includes the warm-up)"
                print(
                    f"{n:>8} {kind:<6} {peer:<18} {spread(r['times'])} {len(r['times']):>4} {mem}",
                    flush=True,
                )
                if peer == "topolayer":
                    qhull = [s["qhull"] for s in r["split"]]
                    core = [s["core"] for s in r["split"]]
                    rest = [t - q - c for t, q, c in zip(r["times"], qhull, core, strict=True)]
                    for label, ts in (("  Qhull", qhull), ("  C++ core", core), ("  rest", rest)):
                        print(f"{'':>8} {'':<6} {label:<18} {spread(ts)}", flush=True)
            summary.append((n, kind, res))

    print("\n== ratios (medians; peak growth) ==")
    print(
        f"{'N':>8} {'kind':<6} {'gudhi/tl time':>14} {'gudhi/tl mem':>13}"
        f" {'tl/Delaunay time':>17} {'tl/Delaunay mem':>16} {'tl-Qhull/Delaunay':>18}"
    )

    def med(r, key="times"):
        return statistics.median(r[key]) if r and "error" not in r else float("nan")

    def grow(r):
        return r["peak"] - r["base"] if r and "error" not in r else float("nan")

    for n, kind, res in summary:
        tl_, dl, gd = res.get("topolayer"), res.get("delaunay"), res.get("gudhi")
        tl_rest = (
            statistics.median(
                t - s["qhull"] for t, s in zip(tl_["times"], tl_["split"], strict=False)
            )
            if tl_ and "error" not in tl_
            else float("nan")
        )
        print(
            f"{n:>8} {kind:<6} {med(gd) / med(tl_):14.2f} {grow(gd) / grow(tl_):13.2f}"
            f" {med(tl_) / med(dl):17.2f} {grow(tl_) / grow(dl):16.2f} {tl_rest / med(dl):18.2f}"
        )
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
