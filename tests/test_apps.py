"""Tests for the demo applications and the ``topolayer demo`` command line.

One ``--quick`` run of all three applications (module fixture) feeds the checks on files,
metric keys and the findings each demo must show; the helpers are tested on small inputs.
"""

from __future__ import annotations

import gzip
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")
pytest.importorskip("tqdm")

from topolayer.apps import APPS, run_demo
from topolayer.apps.attack import TopModel, directional_heights, targeted_attack
from topolayer.apps.data import load_mnist, read_idx, ring_image
from topolayer.apps.generate import betti_at, mmd_coverage
from topolayer.apps.regularize import fit_weights, line_h0, weight_penalty
from topolayer.cli import main

FIGURES = {
    "regularize": [
        "regularize_weights.png",
        "regularize_ring.png",
        "regularize_denoise.png",
        "regularize_pointclouds.png",
    ],
    "generate": ["generate_samples.png", "generate_interpolation.png"],
    "attack": ["attack_budget.png", "attack_examples.png"],
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    torch_threads = torch.get_num_threads()
    try:
        assert (
            main(["demo", "all", "--quick", "--out", str(out), "--seed", "0", "--no-progress"]) == 0
        )
    finally:
        torch.set_num_threads(torch_threads)
    return out, json.loads((out / "metrics.json").read_text())


# -- the quick run: files and keys ----------------------------------------------------------------
def test_quick_run_writes_every_figure_and_report(quick_run):
    out, _ = quick_run
    for figs in FIGURES.values():
        for f in figs:
            assert (out / f).stat().st_size > 5000, f
    md, html = (out / "report.md").read_text(), (out / "report.html").read_text()
    for figs in FIGURES.values():
        for f in figs:
            assert f"]({f})" in md and f"src='{f}'" in html
    for word in ("Paper.", "This run", "25.2 %", "Differences"):
        assert word in md
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")


def test_quick_run_metrics_have_the_documented_keys(quick_run):
    _, m = quick_run
    assert set(m) == {"meta", *APPS}
    assert m["meta"]["seed"] == 0 and m["meta"]["quick"] is True and m["meta"]["wall_time_s"] > 0
    assert set(m["regularize"]) >= {
        "weights",
        "ring",
        "denoise",
        "pointclouds",
        "settings",
        "seconds",
    }
    for name, w in m["regularize"]["weights"].items():
        err = np.array(w["mean_sq_error"])
        assert err.shape == (len(w["n"]), len(w["penalties"])) and np.all(err >= 0), name
    assert set(m["regularize"]["ring"]) == {"truth", "least squares", "least squares + prior"}
    assert len(m["regularize"]["pointclouds"]) == 6
    samples = m["generate"]["samples"]
    assert set(samples) == {
        "real (held-out)",
        "baseline",
        "GAN only (control)",
        "GAN + topological loss",
    }
    keys = {
        "frac_one_component",
        "frac_usual_betti",
        "mean_components",
        "mean_holes",
        "mmd_l2",
        "cov_l2",
        "mmd_w1_h0",
        "cov_w1_h0",
        "inception_score",
    }
    for s in samples.values():
        assert set(s) == keys
        assert (
            0 <= s["frac_one_component"] <= 1 and 0 <= s["cov_l2"] <= 1 and 0 <= s["cov_w1_h0"] <= 1
        )
        assert 1 <= s["inception_score"] <= 10 and s["mmd_l2"] > 0 and s["mmd_w1_h0"] >= 0
    assert set(m["attack"]["models"]) == {"TopModel", "MLP", "CNN"}
    for r in m["attack"]["models"].values():
        for attack in ("FGSM", "iterative"):
            for v in r[attack].values():
                assert 0 <= v["targeted_success_rate"] <= 1
                assert v["mean_linf"] <= max(m["attack"]["settings"]["budgets"]) + 1e-6


# -- the quick run: what each demo must show --------------------------------------------------
def test_topological_penalty_beats_no_penalty_on_structured_weights(quick_run):
    _, m = quick_run
    for name, w in m["regularize"]["weights"].items():
        err = np.array(w["mean_sq_error"])
        none = err[:, w["penalties"].index("none")]
        top = err[:, [w["penalties"].index("top1"), w["penalties"].index("top2")]].min(1)
        assert np.all(top < none), name


def test_ring_prior_lowers_error_and_fixes_topology(quick_run):
    _, m = quick_run
    ring = m["regularize"]["ring"]
    ls, prior = ring["least squares"], ring["least squares + prior"]
    assert ring["truth"]["betti0"] == 1 and ring["truth"]["betti1"] == 1
    assert prior["mse"] < ls["mse"]
    assert prior["betti0"] < ls["betti0"] and prior["bars0"] < ls["bars0"]


def test_denoising_prior_leaves_about_one_component(quick_run):
    _, m = quick_run
    den = m["regularize"]["denoise"]
    assert np.mean(den["denoised"]["betti0"]) < 0.5 * np.mean(den["noisy"]["betti0"])
    assert den["denoised"]["mse"] < den["noisy"]["mse"]


def test_point_cloud_losses_produce_the_named_structure(quick_run):
    _, m = quick_run
    pc = m["regularize"]["pointclouds"]
    start = pc["start (uniform)"]
    assert pc["(a) -E(2,0,2;PD0): more clusters"]["h0_top3"][0] > start["h0_top3"][0]
    assert pc["(b) +E(2,0,2;PD0): one cluster"]["h0_top3"][0] < start["h0_top3"][0]
    assert pc["(c) -E(2,0,1;PD1): open holes"]["h1_top3"][0] > start["h1_top3"][0]
    assert pc["(e) +E(2,0,1;PD1): close holes"]["h1_top3"][0] < start["h1_top3"][0]


def test_generative_prior_raises_fraction_of_correct_betti_samples(quick_run):
    _, m = quick_run
    s = m["generate"]["samples"]
    topo = s["GAN + topological loss"]["frac_usual_betti"]
    assert (
        topo > s["baseline"]["frac_usual_betti"]
        and topo > s["GAN only (control)"]["frac_usual_betti"]
    )
    assert s["GAN + topological loss"]["mean_components"] < s["baseline"]["mean_components"]


def test_attack_lowers_accuracy_of_every_model(quick_run):
    _, m = quick_run
    eps = str(m["attack"]["settings"]["eps"])
    for name, r in m["attack"]["models"].items():
        assert r["iterative"][eps]["adversarial_accuracy"] < r["clean_accuracy_attacked_subset"], (
            name
        )
        assert r["clean_accuracy"] > 0.6, name


def test_same_seed_gives_the_same_metrics(quick_run, tmp_path):
    _, m = quick_run
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        again = run_demo(["attack"], out=tmp_path, seed=0, quick=True, progress=False)
    finally:
        torch.set_num_threads(torch_threads)

    def drop(d):  # wall times differ between runs; every measured value must not
        if isinstance(d, dict):
            return {k: drop(v) for k, v in d.items() if k != "attack_seconds"}
        return d

    assert drop(again["attack"]["models"]) == drop(m["attack"]["models"])


# -- helpers -------------------------------------------------------------------------------------
def test_line_h0_bars_are_the_gaps_between_sorted_values():
    beta = torch.tensor([[3.0, -1.0, 0.5, 0.0, 2.0]], requires_grad=True)
    dgm = line_h0(beta)
    deaths = torch.sort(dgm.bars[0][:, 1][torch.isfinite(dgm.bars[0][:, 1])]).values
    assert torch.allclose(deaths, torch.tensor([0.5, 1.0, 1.0, 1.5]))
    top1 = weight_penalty("top1", beta, "A")
    assert torch.allclose(top1, torch.tensor([4.0]))  # max - min
    top1.sum().backward()
    assert torch.allclose(beta.grad, torch.tensor([[1.0, -1.0, 0.0, 0.0, 0.0]]))
    assert torch.allclose(
        weight_penalty("top2", beta.detach(), "A"), torch.tensor([1.5])
    )  # 4 - 1.5 - 1


def test_superlevel_penalty_counts_local_maxima():
    beta = torch.tensor([[0.0, 1.0, 0.0, 0.5, 0.0, 2.0, 0.0]])
    assert torch.allclose(
        weight_penalty("top1", beta, "B"), torch.tensor([1.5])
    )  # bars of heights 1 and 0.5
    assert torch.allclose(
        weight_penalty("top2", beta, "B"), torch.tensor([0.0])
    )  # 3 maxima allowed


def test_fit_weights_shapes_and_lambda_from_the_grid():
    lambdas = np.logspace(-3, 0, 3)
    r = fit_weights("sawteeth", [30], [0], lambdas, iters=5, n_val=20)
    assert r["error"].shape == (1, 1, 7) and r["penalties"][0] == "none"
    assert np.all(np.isin(r["lambda"], lambdas))


def test_ring_image_has_one_component_and_one_hole():
    img = ring_image(50)
    b0, b1 = betti_at(img[None] * 2 - 1)  # {img >= 0.5}
    assert (int(b0[0]), int(b1[0])) == (1, 1)


def test_mmd_coverage_by_hand():
    d = torch.tensor([[0.0, 5.0, 4.0], [1.0, 2.0, 9.0]])  # 2 generated x 3 reference
    mmd, cov = mmd_coverage(d)
    assert math.isclose(mmd, (0 + 2 + 4) / 3) and math.isclose(cov, 1 / 3)


def test_directional_heights_span_unit_interval():
    h = directional_heights(5)
    assert (
        h.shape == (8, 25)
        and torch.allclose(h.amin(1), torch.zeros(8))
        and torch.allclose(h.amax(1), torch.ones(8))
    )
    assert torch.all(
        h[0].reshape(5, 5)[:, 1:] > h[0].reshape(5, 5)[:, :-1]
    )  # direction 0 points right


def test_topmodel_gradient_is_sparse_and_attack_stays_in_budget():
    torch.manual_seed(0)
    model = TopModel(8).eval()
    x = torch.zeros(2, 8, 8)
    x[:, 2:6, 3] = 1.0
    x[1, 2:6, 5] = 1.0
    xr = x.clone().requires_grad_(True)
    model(xr).sum().backward()
    assert 0 < int((xr.grad != 0).sum()) < x.numel()
    adv = targeted_attack(model, x, torch.tensor([3, 4]), eps=0.2, step=0.05, n_steps=3)
    assert (adv - x).abs().max() <= 0.2 + 1e-6 and adv.min() >= 0 and adv.max() <= 1


# -- data ---------------------------------------------------------------------------------------
def _write_idx(path, array, code):
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape
    )
    data = header + array.astype({0x08: np.uint8, 0x0D: ">f4"}[code]).tobytes()
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)


def _fake_mnist(folder, n_train=60, n_test=30, seed=0):
    r = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 10
        images = np.zeros((n, 28, 28), np.uint8)
        for k, lab in enumerate(labels):  # a bar whose position and length code the label
            images[k, 4 + lab : 10 + lab, 6 + (lab % 5) * 3 : 9 + (lab % 5) * 3] = 255
            images[k] = np.maximum(images[k], (r.random((28, 28)) < 0.01) * 128)
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images, 0x08)
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels, 0x08)


def test_read_idx_round_trips_plain_and_gzip(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a-idx3-ubyte", a, 0x08)
    _write_idx(tmp_path / "a-idx3-ubyte.gz", a, 0x08)
    np.testing.assert_array_equal(read_idx(tmp_path / "a-idx3-ubyte"), a)
    np.testing.assert_array_equal(read_idx(tmp_path / "a-idx3-ubyte.gz"), a)
    f = np.linspace(0, 1, 6).reshape(2, 3)
    _write_idx(tmp_path / "f.idx", f, 0x0D)
    np.testing.assert_allclose(read_idx(tmp_path / "f.idx"), f, rtol=1e-6)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x01\x00\x08\x01",
        b"\x00\x00\x42\x01\x00\x00\x00\x01\x00",
        b"\x00\x00\x08\x01\x00\x00\x00\x05\x01",
    ],
)
def test_read_idx_rejects_malformed_files(tmp_path, raw):
    (tmp_path / "bad").write_bytes(raw)
    with pytest.raises(ValueError):
        read_idx(tmp_path / "bad")


def test_load_mnist_reads_the_four_files(tmp_path):
    _fake_mnist(tmp_path)
    x, y = load_mnist(tmp_path, "train")
    assert x.shape == (60, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() and x.max() == 1
    assert y.tolist()[:3] == [0, 1, 2]
    x, y = load_mnist(tmp_path, "test", limit=7)
    assert len(x) == len(y) == 7
    with pytest.raises(FileNotFoundError, match="t10k-images|train-images"):
        load_mnist(tmp_path / "nothing", "train")


def test_attack_demo_runs_on_mnist_files(tmp_path):
    data = tmp_path / "mnist"
    data.mkdir()
    _fake_mnist(data, n_train=200, n_test=40)
    torch_threads = torch.get_num_threads()
    try:
        assert (
            main(
                [
                    "demo",
                    "attack",
                    "--quick",
                    "--mnist",
                    str(data),
                    "--out",
                    str(tmp_path / "o"),
                    "--no-progress",
                ]
            )
            == 0
        )
    finally:
        torch.set_num_threads(torch_threads)
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert (
        "MNIST 28x28" in m["attack"]["settings"]["data"] and m["meta"]["data"] == "MNIST IDX files"
    )


@pytest.mark.slow
def test_generate_demo_runs_on_mnist_files(tmp_path):
    data = tmp_path / "mnist"
    data.mkdir()
    _fake_mnist(data, n_train=300, n_test=100)
    torch_threads = torch.get_num_threads()
    try:
        argv = ["demo", "generate", "--quick", "--mnist", str(data), "--out", str(tmp_path / "o")]
        assert main([*argv, "--no-progress"]) == 0
    finally:
        torch.set_num_threads(torch_threads)
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert "MNIST 28x28" in m["generate"]["settings"]["data"]
    assert len(m["generate"]["samples"]) == 4


# -- command line --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "everything"], "invalid choice"),
        (["demo", "--seed", "-3"], "--seed must be"),
        (["demo", "--seed", "x"], "--seed must be"),
        (["demo", "--threads", "0"], "--threads must be"),
        (["demo", "--mnist", "/no/such/folder"], "--mnist"),
        ([], "required"),
    ],
)
def test_cli_rejects_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_rejects_out_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(SystemExit):
        main(["demo", "--out", str(f)])
    assert "not a directory" in capsys.readouterr().err


def test_cli_reports_malformed_mnist_files(tmp_path, capsys):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"garbage")
    assert (
        main(
            [
                "demo",
                "attack",
                "--quick",
                "--mnist",
                str(tmp_path),
                "--out",
                str(tmp_path / "o"),
                "--no-progress",
            ]
        )
        == 1
    )
    assert "error" in capsys.readouterr().err


def test_python_dash_m_shows_help():
    r = subprocess.run(
        [sys.executable, "-m", "topolayer", "demo", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and "--quick" in r.stdout and "--mnist" in r.stdout
