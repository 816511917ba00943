"""Segmentation losses: topolayer's Betti-matching, Hu and clDice losses against topolosses, side
by side in one process; ratios printed (topolosses / topolayer, > 1: topolayer is faster).
topolosses' clDice runs on images only; both clDice losses are torch pooling on torch's threads,
so clDice has no 1-/2-thread pairs of its own.

One step is forward + backward of the topological term alone (``use_base_loss=False``) on a
batch of probability maps against binary targets, ``(B, 1, *grid)``:

- ``smooth``: what a segmentation network outputs: a blurred random field squashed by a
  sigmoid, against a thresholded smooth field (blobs and vessels);
- ``noise``: uniform white noise against random binary masks, the worst case (every pixel a
  critical cell).

Every run draws a fresh batch, which both tools time, topolosses first; topolayer then times
``--reps - 1`` more fresh batches, and on the 2D batch ``--pairs`` fresh batches with 1 and 2
threads, alternating which goes first (the speed-up is printed as the ratio of the medians and
as the median of the pairs' ratios, which the host's slower swings of load leave alone, since a
pair's two steps run within milliseconds of each other). Before its timed steps in a run, each
tool takes one untimed step on a batch of its own: a step right after the other tool's runs on
the caches and heap that tool left (and the first call of all sets up work areas that later
calls reuse), while a training loop repeats one tool's steps. A step costs topolayer
milliseconds and topolosses a tenth of a second or more, so topolayer takes more samples in the
same time, which keeps its medians steady on a host whose load changes from minute to minute.
Figures are medians with the spread (min - max), in wall time; topolayer uses every core unless
``--threads`` says otherwise, topolosses its default (one process).

    python benchmarks/bench_segmentation.py [--quick] [--runs 3] [--reps 3] [--pairs 5]
        [--kinds smooth,noise] [--losses betti,hu,cldice]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types

import torch

from topolayer.losses import betti_matching_loss, cldice_loss, hu_topo_loss


def peer_losses():
    """topolosses' two losses, or None (it imports torchvision for an unrelated loss: a stub)."""
    sys.modules.setdefault("torchvision", types.ModuleType("torchvision"))
    try:
        from topolosses.losses import BettiMatchingLoss, CLDiceLoss, HutopoLoss
    except ImportError:  # pragma: no cover - optional peer
        return None
    import warnings

    warnings.filterwarnings("ignore", module="topolosses")
    return {
        "betti": BettiMatchingLoss(use_base_loss=False, alpha=1.0),
        "hu": HutopoLoss(use_base_loss=False, alpha=1.0),
        "cldice": CLDiceLoss(use_base_loss=False, alpha=1.0),  # 2D only
    }


def _blur(x: torch.Tensor, passes: int) -> torch.Tensor:
    nd = x.dim() - 2
    k = torch.ones(1, 1, *([3] * nd)) / 3**nd
    conv = torch.nn.functional.conv2d if nd == 2 else torch.nn.functional.conv3d
    for _ in range(passes):
        x = conv(x, k, padding=1)
    return x


def batch(rng: torch.Generator, shape: tuple[int, ...], kind: str):
    if kind == "noise":
        return torch.rand(shape, generator=rng), (torch.rand(shape, generator=rng) > 0.5).float()
    field = _blur(torch.randn(shape, generator=rng), 4)
    target = (field > field.std()).float()
    noise = _blur(torch.randn(shape, generator=rng), 1)
    logits = 6 * (target - 0.5) + 3 * noise / noise.std()
    return torch.sigmoid(logits), target


def step(fn, x: torch.Tensor, y: torch.Tensor) -> float:
    x = x.clone().requires_grad_()
    t = time.perf_counter()
    fn(x, y).backward()
    return time.perf_counter() - t


def fmt(ts: list[float]) -> str:
    return f"{1e3 * statistics.median(ts):9.1f} ms [{1e3 * min(ts):.1f}-{1e3 * max(ts):.1f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small grids, one run")
    ap.add_argument("--kinds", default="smooth,noise")
    ap.add_argument("--losses", default="betti,hu,cldice")
    ap.add_argument("--reps", type=int, default=3, help="topolayer's steps per run (fresh batches)")
    ap.add_argument("--pairs", type=int, default=5, help="1- and 2-thread pairs per run (2D)")
    ap.add_argument("--threads", type=int, default=None, help="topolayer's threads (default: all)")
    ap.add_argument(
        "--peer-limit", type=float, default=120.0, help="skip a peer's later runs above this (s)"
    )
    args = ap.parse_args()
    runs = 1 if args.quick else args.runs
    workloads = [((8, 1, 128, 128), 2), ((2, 1, 64, 64, 64), 3)]
    if args.quick:
        workloads = [((8, 1, 32, 32), 2), ((2, 1, 16, 16, 16), 3)]
    peers = peer_losses()
    ours = {"betti": betti_matching_loss, "hu": hu_topo_loss, "cldice": cldice_loss}
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} torch threads; runs: {runs}, "
        f"topolayer steps per run: {args.reps}, 1-/2-thread pairs per run (2D): {args.pairs}"
    )
    rng = torch.Generator().manual_seed(0)
    for kind in args.kinds.split(","):
        for shape, nd in workloads:
            for loss in args.losses.split(","):
                # clDice is torch's pooling on torch's threads: no thread count of its own
                threaded = loss != "cldice"

                def ours_at(n_threads, loss=loss, nd=nd, threaded=threaded):
                    if not threaded:
                        return lambda a, b: ours[loss](a, b, ndim=nd)
                    return lambda a, b: ours[loss](a, b, ndim=nd, n_threads=n_threads)

                has_peer = peers is not None and not (loss == "cldice" and nd == 3)

                t_ours, t_one, t_two, t_peer = [], [], [], []
                for _ in range(runs):
                    x, y = batch(rng, shape, kind)
                    if has_peer and (not t_peer or max(t_peer) < args.peer_limit):
                        step(peers[loss], *batch(rng, shape, kind))
                        t_peer.append(step(peers[loss], x, y))
                    step(ours_at(args.threads), *batch(rng, shape, kind))
                    t_ours.append(step(ours_at(args.threads), x, y))
                    for _ in range(args.reps - 1):
                        t_ours.append(step(ours_at(args.threads), *batch(rng, shape, kind)))
                    for p in range(args.pairs if nd == 2 and threaded else 0):
                        x, y = batch(rng, shape, kind)
                        for n_threads in (1, 2) if p % 2 == 0 else (2, 1):
                            (t_one if n_threads == 1 else t_two).append(
                                step(ours_at(n_threads), x, y)
                            )
                name = f"{kind:6s} {loss:6s} {'x'.join(map(str, shape)):14s}"
                line = f"{name} topolayer {fmt(t_ours)}"
                if t_peer:
                    ratio = statistics.median(t_peer) / statistics.median(t_ours)
                    line += f" | topolosses {fmt(t_peer)} | {ratio:6.1f}x"
                print(line, flush=True)
                if t_one:
                    scale = statistics.median(t_one) / statistics.median(t_two)
                    paired = statistics.median([a / b for a, b in zip(t_one, t_two, strict=True)])
                    line = (
                        f"{'':28s} 1 thread {fmt(t_one)} | 2 threads {fmt(t_two)} | "
                        f"{scale:.2f}x from 2 threads ({paired:.2f}x per pair)"
                    )
                    if t_peer:
                        one = statistics.median(t_peer) / statistics.median(t_one)
                        line += f" | topolosses / 1 thread {one:.1f}x"
                    print(line, flush=True)


if __name__ == "__main__":
    main()
