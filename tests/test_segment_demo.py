"""Tests for the segmentation demo: the synthetic vessel data, the U-Net and Dice loss, and one
``topolayer demo segment --quick`` run (files, metric keys, value ranges)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy import ndimage

from topolayer.apps.segdata import vessel_dataset, vessel_sample
from topolayer.apps.segment import METHODS, UNet, config, soft_dice_loss
from topolayer.metrics import betti_numbers


# -- data ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ndim", [2, 3])
def test_dataset_is_a_function_of_the_seed(ndim):
    size = 32 if ndim == 2 else 16
    x1, y1 = vessel_dataset(4, size, ndim, seed=3)
    x2, y2 = vessel_dataset(4, size, ndim, seed=3)
    x3, _ = vessel_dataset(4, size, ndim, seed=4)
    assert x1.shape == y1.shape == (4, 1) + (size,) * ndim
    assert x1.dtype == y1.dtype == np.float32
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    assert set(np.unique(y1).tolist()) == {0.0, 1.0}


@pytest.mark.parametrize("ndim", [2, 3])
def test_targets_are_few_connected_trees_and_images_have_gaps(ndim):
    rng = np.random.default_rng(7)
    size = 64 if ndim == 2 else 32
    gap_mean, vessel_mean = [], []
    for _ in range(12):
        s = vessel_sample(rng, size, ndim)
        target = s.target.astype(bool)
        b0 = int(betti_numbers(target, ndim=ndim)[0])
        # One tree (two at most in 2D, where they may also cross): no specks, no broken branch.
        assert 1 <= b0 <= (2 if ndim == 2 else 1)
        labels, n = ndimage.label(target, ndimage.generate_binary_structure(ndim, 1))
        assert n == b0 and all((s.centreline & (labels == k)).any() for k in range(1, n + 1))
        assert s.gaps.any() and not (s.gaps & ~target).any()
        gap_mean.append(s.image[s.gaps].mean())
        vessel_mean.append(s.image[target & ~s.gaps].mean())
    # The gaps are cut into the image only: there the vessel fades to far below its intensity.
    assert np.mean(gap_mean) < 0.5 * np.mean(vessel_mean)


def test_a_pixel_threshold_of_the_image_breaks_the_vessels():
    # What the demo relies on: thresholding the image itself gives many more components than
    # the target has (gaps and noise), so the topology has to be learned.
    x, y = vessel_dataset(6, 64, 2, seed=0)
    b_img = betti_numbers(x[:, 0] >= 0.4)[:, 0]
    b_gt = betti_numbers(y[:, 0])[:, 0]
    assert (b_img > b_gt).all()


def test_bad_data_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="ndim must be 2 or 3"):
        vessel_sample(rng, 32, 4)
    with pytest.raises(ValueError, match="size must be an int >= 16"):
        vessel_sample(rng, 8)
    with pytest.raises(ValueError, match="n must be a positive int"):
        vessel_dataset(0)


# -- model and loss --------------------------------------------------------------------------------
@pytest.mark.parametrize("ndim", [2, 3])
def test_unet_sizes_of_the_full_run(ndim):
    cfg = config(ndim, quick=False)
    net = UNet(ndim, cfg.width)
    n = sum(p.numel() for p in net.parameters())
    assert 3_000 <= n <= 50_000
    x = torch.zeros((2, 1) + (16,) * ndim)
    assert net(x).shape == x.shape


def test_soft_dice_loss_values():
    t = torch.zeros(2, 1, 8, 8)
    t[:, :, 2:4] = 1
    assert float(soft_dice_loss(t, t)) == pytest.approx(0.0)
    half = t * 0.5
    # 1 - (2 * 0.5 * 16 + 1) / (8 + 16 + 1)
    assert float(soft_dice_loss(half, t)) == pytest.approx(1 - 17 / 25)
    assert float(soft_dice_loss(torch.zeros_like(t), t)) == pytest.approx(1 - 1 / 17)


def test_main_rejects_bad_arguments(tmp_path):
    from topolayer.apps.segment import main

    with pytest.raises(ValueError, match="ndims must hold 2 and/or 3"):
        main(tmp_path, ndims=(4,), quick=True)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        main(tmp_path, seed=-1, quick=True)


# -- the quick run ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    pytest.importorskip("matplotlib")
    pytest.importorskip("tqdm")
    pytest.importorskip("sklearn")
    from topolayer.cli import main

    out = tmp_path_factory.mktemp("segment")
    threads = torch.get_num_threads()
    try:
        assert main(["demo", "segment", "--quick", "--out", str(out), "--no-progress"]) == 0
    finally:
        torch.set_num_threads(threads)
    return out, json.loads((out / "metrics.json").read_text())


def test_quick_run_writes_report_and_figures(quick_run):
    out, _ = quick_run
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    for fig in ("segment_2d.png", "segment_3d.png"):
        assert (out / fig).stat().st_size > 5000
        assert f"]({fig})" in md and f"src='{fig}'" in html
    for word in ("Topology-aware segmentation", "Paper.", "This run", "Betti error", "clDice"):
        assert word in md


def test_quick_run_metrics_have_the_expected_keys(quick_run):
    _, m = quick_run
    assert set(m) == {"meta", "segment", "segment3d"}
    assert m["meta"]["quick"] is True and m["meta"]["apps"] == ["segment"]
    for name, nd in (("segment", 2), ("segment3d", 3)):
        sec = m[name]
        assert set(sec) == {
            "settings",
            "pretrained",
            "methods",
            "lambda_sweep",
            "phase_seconds",
            "seconds",
        }
        assert sec["settings"]["ndim"] == nd
        assert set(sec["methods"]) == set(METHODS)
        for s in [sec["pretrained"], *sec["methods"].values()]:
            assert 0 <= s["dice"] <= 1 and 0 <= s["cldice"] <= 1
            assert s["betti_error"] >= 0 and s["betti_matching_error"] >= 0
            assert len(s["betti_error_per_dim"]) == nd == len(s["betti_matching_error_per_dim"])
            assert s["betti_error"] == pytest.approx(sum(s["betti_error_per_dim"]))
            # every Betti mismatch is an unmatched bar
            assert s["betti_matching_error"] >= s["betti_error"] - 1e-9


def test_quick_run_lambda_sweep(quick_run):
    _, m = quick_run
    sweep = m["segment"]["lambda_sweep"]
    assert set(sweep) == {"Dice + Betti matching, lambda = 1", "Dice + Hu, lambda = 1"}
    for s in sweep.values():
        assert 0 <= s["dice"] <= 1 and s["betti_error"] >= 0
    assert m["segment3d"]["lambda_sweep"] == {}
