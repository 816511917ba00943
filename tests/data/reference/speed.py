"""Time the reference implementation and ``topolayer.compat`` on the same layer calls.

Run it once per package, each from its own environment, and compare the printed medians:

    /work/refvenv/bin/python tests/data/reference/speed.py topologylayer
    .venv/bin/python tests/data/reference/speed.py topolayer.compat

Each workload is layer forward + a feature + backward, on a fresh random input every
repetition (a repeated input would train the branch predictors); layer construction is timed
separately, because the reference builds its complex in Python once per layer. Seconds, median.
"""

from __future__ import annotations

import importlib
import json
import sys
import time

import numpy as np
import torch


def _median_time(make_input, run, reps: int) -> float:
    times = []
    for _ in range(reps):
        x = make_input()
        t0 = time.perf_counter()
        run(x)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(root: str) -> None:
    nn = importlib.import_module(root + ".nn")
    torch.manual_seed(0)
    results = {}

    def step(layer, feat):
        def run(x):
            feat(layer(x)).backward()

        return run

    def timed_build(make):
        t0 = time.perf_counter()
        layer = make()
        return layer, time.perf_counter() - t0

    # 1D signal, H0 (alg_comparison's workload)
    layer, build = timed_build(lambda: nn.LevelSetLayer1D(4000, False))
    feat = nn.SumBarcodeLengths(dim=0)
    results["levelset1d_n4000"] = {
        "build": build,
        "step": _median_time(lambda: torch.rand(4000, requires_grad=True), step(layer, feat), 5),
    }
    # one 64 x 64 image, H0 and H1
    layer, build = timed_build(lambda: nn.LevelSetLayer2D((64, 64), maxdim=1, sublevel=False))
    feat1 = nn.SumBarcodeLengths(dim=1)
    results["levelset2d_64x64"] = {
        "build": build,
        "step": _median_time(lambda: torch.rand(64, 64, requires_grad=True), step(layer, feat1), 5),
    }
    # a batch of 32 28 x 28 images: the reference loops, topolayer takes the batch
    layer, build = timed_build(lambda: nn.LevelSetLayer2D((28, 28), maxdim=1))
    if root == "topologylayer":

        def run_batch(x):
            sum(feat1(layer(img)) for img in x).backward()
    else:

        def run_batch(x):
            feat1(layer(x)).sum().backward()

    results["levelset2d_batch32_28x28"] = {
        "build": build,
        "step": _median_time(lambda: torch.rand(32, 28, 28, requires_grad=True), run_batch, 5),
    }
    # Rips on 60 points in the plane, H0 and H1 (the reference builds the clique 2-skeleton)
    layer, build = timed_build(lambda: nn.RipsLayer(60, maxdim=1))
    results["rips_n60_h1"] = {
        "build": build,
        "step": _median_time(lambda: torch.rand(60, 2, requires_grad=True), step(layer, feat1), 3),
    }
    layer, build = timed_build(lambda: nn.RipsLayer(100, maxdim=1))
    results["rips_n100_h1"] = {
        "build": build,
        "step": _median_time(lambda: torch.rand(100, 2, requires_grad=True), step(layer, feat1), 3),
    }
    # weak alpha on 500 points in the plane (the complex is built inside each forward)
    layer, build = timed_build(lambda: nn.AlphaLayer(maxdim=1))
    results["alpha_n500_h1"] = {
        "build": build,
        "step": _median_time(lambda: torch.rand(500, 2, requires_grad=True), step(layer, feat1), 5),
    }
    print(json.dumps({"root": root, "torch_threads": torch.get_num_threads(), **results}))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "topolayer.compat")
