"""The soft clDice loss: against topolosses (values and input gradients, 2D), on a hand fixture
whose soft skeleton is drawn, 3D against 2D on extruded volumes, and on bad inputs."""

from __future__ import annotations

import sys
import types

import pytest
import torch

from topolayer import nn as tnn
from topolayer._cldice import _soft_skeleton
from topolayer.losses import cldice_loss


def _topolosses():
    """topolosses' losses (a test-only oracle); a stub stands in for torchvision, which it
    imports for a loss we do not use."""
    if "torchvision" not in sys.modules:
        sys.modules["torchvision"] = types.ModuleType("torchvision")
    return pytest.importorskip("topolosses.losses")


def _bar():
    """A horizontal bar three pixels thick, and the same bar cut by a two-pixel gap."""
    target = torch.zeros(1, 1, 9, 20, dtype=torch.float64)
    target[..., 3:6, 2:18] = 1
    broken = target.clone()
    broken[..., 9:11] = 0
    return broken, target


@pytest.mark.parametrize(
    "options",
    [
        {"sigmoid": True},
        {"sigmoid": True, "batch": True},
        {"softmax": True},
        {"softmax": True, "include_background": True, "iterations": 5},
        {"softmax": True, "batch": True, "iterations": 0},
    ],
)
def test_module_equals_topolosses(options):
    tl = _topolosses()
    g = torch.Generator().manual_seed(3)
    channels = 1 if options.get("sigmoid") else 3
    logits = 3 * torch.randn(3, channels, 24, 21, generator=g)
    target = (torch.rand(3, channels, 24, 21, generator=g) > 0.6).float()
    a = logits.clone().requires_grad_()
    b = logits.clone().requires_grad_()
    ours = tnn.CLDiceLoss(**options)(a, target)
    theirs_options = dict(options)
    theirs_options["iter_"] = theirs_options.pop("iterations", 3)
    theirs = tl.CLDiceLoss(use_base_loss=False, alpha=1.0, **theirs_options)(b, target)
    ours.backward()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-6)
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-7)


def test_soft_skeleton_of_a_bar_is_its_centreline():
    # erosion by the cross leaves the middle row less its end pixels, whose box dilation is
    # the whole bar again: level 0 adds nothing, level 1 is that row, level 2 is empty
    _, target = _bar()
    skel = _soft_skeleton(target, 2, 3)
    expected = torch.zeros_like(target)
    expected[..., 4, 3:17] = 1
    assert torch.equal(skel, expected)


def test_a_gap_costs_the_centreline_it_cuts():
    # the broken bar's skeleton (rows 4, columns 3-7 and 12-16) lies inside the target: precision
    # 1; the target's centreline (14 pixels) keeps 12 in the prediction: sensitivity 12/14;
    # clDice = 2 (12/14) / (1 + 12/14) = 12/13
    broken, target = _bar()
    loss = cldice_loss(broken, target, smooth=0.0)
    assert loss.item() == pytest.approx(1 / 13, abs=1e-12)
    assert cldice_loss(target, target, smooth=0.0).item() == 0.0


def test_gradient_raises_the_gap():
    broken, target = _bar()
    pred = (0.9 * broken + 0.05).requires_grad_()
    cldice_loss(pred, target).backward()
    assert (pred.grad[0, 0, 4, 9:11] < 0).all()  # descending raises the cut centreline


@pytest.mark.parametrize("iterations", [0, 2, 4])
def test_volumes_extruded_along_depth_equal_their_images(iterations):
    # along the depth every value is the same: erosion keeps it, the box dilation is the
    # image's, so each slice's skeleton is the image's and every sum grows by the depth
    g = torch.Generator().manual_seed(5)
    img = torch.rand(2, 3, 15, 13, generator=g, dtype=torch.float64)
    tgt = (torch.rand(2, 3, 15, 13, generator=g) > 0.5).double()
    vol, tvol = img[:, :, None].expand(2, 3, 4, 15, 13), tgt[:, :, None].expand(2, 3, 4, 15, 13)
    flat = cldice_loss(img, tgt, ndim=2, iterations=iterations, smooth=0.0, reduction="none")
    deep = cldice_loss(vol, tvol, ndim=3, iterations=iterations, smooth=0.0, reduction="none")
    assert deep.shape == (2, 3)
    torch.testing.assert_close(deep, flat, rtol=1e-12, atol=1e-12)


def test_reductions_and_batch():
    g = torch.Generator().manual_seed(6)
    pred = torch.rand(4, 2, 12, 12, generator=g, dtype=torch.float64)
    target = (torch.rand(4, 2, 12, 12, generator=g) > 0.5).double()
    per = cldice_loss(pred, target, reduction="none")
    assert per.shape == (4, 2)
    assert cldice_loss(pred, target).item() == pytest.approx(per.mean().item(), rel=1e-12)
    assert cldice_loss(pred, target, reduction="sum").item() == pytest.approx(per.sum().item())
    pooled = cldice_loss(pred, target, batch=True, reduction="none")
    assert pooled.shape == (2,)
    # batch=True is one instance per channel whose grid is the batch's items side by side, once
    # a zero row above and below each item keeps the morphology from seeing across items
    padded_p = torch.nn.functional.pad(pred, (0, 0, 1, 1))
    padded_t = torch.nn.functional.pad(target, (0, 0, 1, 1))
    stacked = cldice_loss(
        padded_p.permute(1, 0, 2, 3).reshape(2, 56, 12),
        padded_t.permute(1, 0, 2, 3).reshape(2, 56, 12),
        reduction="none",
    )
    pooled = cldice_loss(padded_p, padded_t, batch=True, reduction="none")
    torch.testing.assert_close(stacked, pooled, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_sums_in_float32(dtype):
    # every other row of a 400 x 400 grid: each a line one pixel thick, its own skeleton, so
    # 80,000 skeleton pixels, more than float16 holds; one line broken in the prediction
    target = torch.zeros(1, 1, 400, 400)
    target[..., ::2, :] = 1
    pred = target.clone()
    pred[..., 0, 200] = 0
    pred = pred.to(dtype).requires_grad_()
    loss = cldice_loss(pred, target)
    assert loss.dtype == torch.float32
    expected = cldice_loss(pred.detach().double(), target.double())
    assert 0 < expected.item() < 1e-3
    assert loss.item() == pytest.approx(expected.item(), rel=0.05)
    loss.backward()
    assert torch.isfinite(pred.grad).all()


def test_target_takes_a_gradient_when_it_requires_one():
    g = torch.Generator().manual_seed(7)
    pred = torch.rand(1, 1, 10, 10, generator=g, requires_grad=True)
    target = torch.rand(1, 1, 10, 10, generator=g, requires_grad=True)
    cldice_loss(pred, target).backward()
    assert pred.grad.abs().sum() > 0 and target.grad.abs().sum() > 0


def test_module_adds_the_base_loss_and_takes_label_maps():
    g = torch.Generator().manual_seed(8)
    logits = torch.randn(2, 3, 16, 16, generator=g)
    labels = torch.randint(0, 3, (2, 16, 16), generator=g)
    one_hot = torch.nn.functional.one_hot(labels, 3).movedim(-1, 1).float()
    ce = torch.nn.CrossEntropyLoss()
    module = tnn.CLDiceLoss(softmax=True, to_onehot_y=True, base_loss=ce, alpha=0.25)
    expected = ce(logits, labels) + 0.25 * cldice_loss(
        torch.softmax(logits, 1)[:, 1:], one_hot[:, 1:]
    )
    assert module(logits, labels).item() == pytest.approx(expected.item(), rel=1e-6)
    assert "iterations=3" in repr(module)


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda x, y: cldice_loss(x, y, iterations=-1), ValueError, "iterations"),
        (lambda x, y: cldice_loss(x, y, iterations=1.5), TypeError, "iterations"),
        (lambda x, y: cldice_loss(x, y, smooth=-1.0), ValueError, "smooth"),
        (lambda x, y: cldice_loss(x, y, smooth=float("nan")), ValueError, "smooth"),
        (lambda x, y: cldice_loss(x, y, batch="yes"), TypeError, "batch"),
        (lambda x, y: cldice_loss(x[0, 0], y[0, 0], batch=True), ValueError, "batch"),
        (lambda x, y: cldice_loss(x, y, reduction="max"), ValueError, "reduction"),
        (lambda x, y: cldice_loss(x, y[..., :-1]), ValueError, "same shape"),
        (lambda x, y: cldice_loss(x, y, ndim=4), ValueError, "ndim"),
        (lambda x, y: cldice_loss(x.long(), y), TypeError, "pred"),
        (lambda x, y: tnn.CLDiceLoss(iterations=-2), ValueError, "iterations"),
        (lambda x, y: tnn.CLDiceLoss(smooth=-1), ValueError, "smooth"),
        (lambda x, y: tnn.CLDiceLoss(batch=1), TypeError, "batch"),
    ],
)
def test_bad_inputs(call, error, match):
    x = torch.rand(2, 1, 8, 8)
    y = (torch.rand(2, 1, 8, 8) > 0.5).float()
    with pytest.raises(error, match=match):
        call(x, y)


@pytest.mark.slow
def test_compiles_fullgraph():
    g = torch.Generator().manual_seed(9)
    pred = torch.rand(2, 1, 16, 16, generator=g)
    target = (torch.rand(2, 1, 16, 16, generator=g) > 0.5).float()
    compiled = torch.compile(cldice_loss, fullgraph=True)
    torch.testing.assert_close(compiled(pred, target), cldice_loss(pred, target))
