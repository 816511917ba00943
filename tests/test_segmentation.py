"""Betti matching and the segmentation losses: against topolosses (values and input
gradients), against a dense image-persistence reduction written from the definitions, on hand
fixtures with drawn matchings, and on bad inputs."""

from __future__ import annotations

import itertools
import sys
import types

import numpy as np
import pytest
import torch

from topolayer import nn as tnn
from topolayer.functional import betti_matching, set_betti_matching_cache
from topolayer.losses import betti_matching_loss, hu_topo_loss


def _topolosses():
    """topolosses' losses (a test-only oracle); it imports torchvision for one loss we do not
    use, and PyPI's torchvision does not load against a CPU torch build: a stub stands in."""
    if "torchvision" not in sys.modules:
        sys.modules["torchvision"] = types.ModuleType("torchvision")
    return pytest.importorskip("topolosses.losses")


def _random_pair(shape, seed, p=0.6, smooth=False):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g)
    if smooth:  # a blurred field: long bars, like a network's output
        k = torch.ones(1, 1, *([3] * (len(shape) - 2))) / 3 ** (len(shape) - 2)
        conv = torch.nn.functional.conv2d if len(shape) == 4 else torch.nn.functional.conv3d
        x = conv(x.reshape(-1, 1, *shape[2:]), k, padding=1).reshape(shape)
        x = (x - x.min()) / (x.max() - x.min())
    y = (torch.rand(shape, generator=g) > p).float()
    return x, y


# -- topolosses -------------------------------------------------------------------------------
CASES = [
    ((2, 2, 24, 24), {}),
    ((3, 1, 17, 29), {"smooth": True}),
    ((2, 1, 7, 8, 9), {}),
    ((1, 2, 10, 10, 10), {"smooth": True}),
]


@pytest.mark.parametrize("shape,kw", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_betti_matching_loss_equals_topolosses(shape, kw, seed):
    tl = _topolosses()
    x, y = _random_pair(shape, seed, **kw)
    a = x.clone().requires_grad_()
    b = x.clone().requires_grad_()
    ours = betti_matching_loss(a, y, ndim=len(shape) - 2)
    theirs = tl.BettiMatchingLoss(use_base_loss=False, alpha=1.0, include_background=True)(b, y)
    ours.backward()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-6)
    assert a.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "options,theirs_options",
    [
        ({"push_unmatched_to_1_0": True}, {"push_unmatched_to_1_0": True}),
        ({"weights": (0.5, 2.0)}, {"topology_weights": (0.5, 2.0)}),
        ({"threshold": 0.3}, {"barcode_length_threshold": 0.3}),
        ({"superlevel": False}, {"filtration_type": "sublevel"}),
    ],
)
def test_betti_matching_loss_options_equal_topolosses(options, theirs_options):
    tl = _topolosses()
    x, y = _random_pair((2, 1, 20, 20), 3)
    a = x.clone().requires_grad_()
    b = x.clone().requires_grad_()
    ours = betti_matching_loss(a, y, **options)
    theirs = tl.BettiMatchingLoss(
        use_base_loss=False, alpha=1.0, include_background=True, **theirs_options
    )(b, y)
    ours.backward()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,kw", CASES[:3])
def test_hu_topo_loss_equals_topolosses(shape, kw):
    tl = _topolosses()
    pytest.importorskip("gudhi")
    pytest.importorskip("ot")
    x, y = _random_pair(shape, 5, **kw)
    a = x.clone().requires_grad_()
    b = x.clone().requires_grad_()
    ours = hu_topo_loss(a, y, ndim=len(shape) - 2)
    theirs = tl.HutopoLoss(use_base_loss=False, alpha=1.0, include_background=True)(b, y)
    ours.backward()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "loss,options",
    [
        (betti_matching_loss, {}),
        (betti_matching_loss, {"push_unmatched_to_1_0": True}),
        (betti_matching_loss, {"weights": (0.5, 2.0), "threshold": 0.05}),
        (betti_matching_loss, {"superlevel": False, "reduction": "none"}),
        (betti_matching_loss, {"push_unmatched_to_1_0": True, "reduction": "sum", "ndim": 3}),
        (hu_topo_loss, {}),
        (hu_topo_loss, {"superlevel": False, "reduction": "none"}),
    ],
)
def test_fixed_target_graph_equals_the_general_one(loss, options):
    # A target that takes no gradient gets the short graph (squared distances to points fixed
    # in the backward pass, a bar's own midpoint for the diagonal); one that takes a gradient
    # the general graph. Same values, same gradients in the prediction.
    shape = (3, 1, 7, 8, 9) if options.get("ndim") == 3 else (3, 2, 16, 16)
    x, y = _random_pair(shape, 17, smooth=True)
    x, y = x.double(), y.double()
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    fixed = loss(a, y, **options)
    general = loss(b, y.clone().requires_grad_(), **options)
    assert fixed.grad_fn is not None and general.grad_fn is not None
    torch.testing.assert_close(fixed, general.detach())
    fixed.sum().backward()
    general.sum().backward()
    torch.testing.assert_close(a.grad, b.grad)
    assert a.grad.abs().sum() > 0


@pytest.mark.parametrize("loss", [betti_matching_loss, hu_topo_loss])
@pytest.mark.parametrize(
    "shape,dtype,options",
    [
        ((3, 2, 16, 16), torch.float32, {}),
        ((2, 1, 7, 8, 9), torch.float64, {"ndim": 3, "reduction": "sum", "construction": "T"}),
        ((3, 1, 12, 13), torch.float64, {"superlevel": False}),
        # noise: over 16k bars, which the op writes from every thread
        ((8, 1, 96, 96), torch.float64, {"n_threads": 2}),
    ],
)
def test_fixed_points_equal_the_index_path(loss, shape, dtype, options):
    # A reduced loss against a target without gradient takes, from the op, the point each bar
    # of the prediction is pulled to and the target's constant terms; the same loss through the
    # matched and unmatched index rows (reduction="none", summed) has the same value and
    # gradient, and the target's gradient path agrees too.
    x, y = _random_pair(shape, 23, smooth=shape[-1] < 96)
    x, y = x.to(dtype), y.to(dtype)
    a, b, c = (x.clone().requires_grad_() for _ in range(3))
    reduction = options.get("reduction", "mean")
    fast = loss(a, y, **options)
    rows = loss(b, y, **{**options, "reduction": "none"})
    general = loss(c, y.clone().requires_grad_(), **options)
    rows = rows.sum() / (rows.numel() if reduction == "mean" else 1)
    torch.testing.assert_close(fast, rows)
    torch.testing.assert_close(fast, general.detach())
    fast.backward()
    rows.backward()
    general.backward()
    torch.testing.assert_close(a.grad, b.grad)
    torch.testing.assert_close(a.grad, c.grad)
    assert a.grad.abs().sum() > 0


def test_fixed_points_op_outputs():
    # The flat indices of the prediction's bars with the points they are pulled to: a matched
    # bar's target values, or its own midpoint; per item the target's unmatched squared lengths.
    from topolayer._ops.segmentation import matching_terms_kernel

    pred = torch.zeros(1, 1, 5, 9, dtype=torch.float64)
    pred[..., 2, 1:8] = 0.8
    pred[..., 2, 4] = 0.2  # the target's bar broken in two: an extra, unmatched component
    target = torch.zeros_like(pred)
    target[..., 2, 1:8] = 1.0
    target[..., 0, 0] = 1.0  # a component that the prediction misses
    flat, fixed, target_sq = matching_terms_kernel(
        pred.reshape(1, -1), target.reshape(1, -1), [5, 9], "V", True, False, 1
    )
    values = pred.reshape(-1)[flat]
    bars = sorted(zip(values.T.tolist(), fixed.T.tolist(), strict=True))
    # superlevel bars, in the input's values: (0.8, 0.2) unmatched, pulled to its midpoint
    assert bars == [([0.8, 0.2], [0.5, 0.5])]
    assert target_sq.tolist() == [[1.0]]  # the missed component (1, 0)


def _hu_composed(x, y, ndim, superlevel, construction):
    """Hu et al.'s loss composed from the public pieces: cubical diagrams, then a squared W2
    distance per dimension."""
    from topolayer.distances import wasserstein_distance
    from topolayer.functional.cubical import cubical

    grid = x.shape[x.dim() - ndim :]
    fx = (1 - x if superlevel else x).reshape(-1, *grid)
    fy = (1 - y if superlevel else y).reshape(-1, *grid)
    dx = cubical(fx, ndim - 1, construction=construction, ndim=ndim)
    dy = cubical(fy, ndim - 1, construction=construction, ndim=ndim)
    total = fx.new_zeros(fx.shape[0])
    for k in range(ndim):
        w = wasserstein_distance(dx, dy, dim=k, p=2, internal_p=2, essential="ignore")
        total = total + w**2
    return total


@pytest.mark.parametrize(
    "shape,construction,superlevel,quantised",
    [
        ((3, 1, 14, 17), "V", True, False),
        ((2, 2, 12, 12), "T", False, False),
        ((4, 1, 16, 16), "V", True, True),
        ((2, 1, 6, 7, 8), "T", True, False),
        ((2, 1, 7, 7, 7), "V", False, True),
    ],
)
@pytest.mark.parametrize("target_grad", [False, True])
def test_hu_topo_loss_equals_the_composed_path(
    shape, construction, superlevel, quantised, target_grad
):
    # Ties (quantised values) admit several optimal matchings: the values agree, and so do the
    # gradients, because the fused op matches the bars in the order the diagrams list them.
    # A binary target that takes no gradient has its bars counted, not reduced; one that takes
    # a gradient gets it at the critical pixels, as through the diagrams.
    x, y = _random_pair(shape, 21, smooth=True)
    if quantised:
        x = torch.round(8 * x) / 8
    x, y = x.double(), y.double()
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = y.clone().requires_grad_(target_grad), y.clone().requires_grad_(target_grad)
    ndim = len(shape) - 2
    ours = hu_topo_loss(
        a, ya, ndim=ndim, superlevel=superlevel, construction=construction, reduction="none"
    )
    want = _hu_composed(b, yb, ndim, superlevel, construction).reshape(shape[:2])
    torch.testing.assert_close(ours, want, rtol=1e-12, atol=1e-12)
    ours.sum().backward()
    want.sum().backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-12, atol=1e-12)
    if target_grad:
        torch.testing.assert_close(ya.grad, yb.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls_name", ["BettiMatchingLoss", "HuTopoLoss"])
@pytest.mark.parametrize(
    "options", [{"sigmoid": True}, {"softmax": True}, {"softmax": True, "include_background": True}]
)
def test_modules_equal_topolosses(cls_name, options):
    tl = _topolosses()
    if cls_name == "HuTopoLoss":
        pytest.importorskip("gudhi")
        pytest.importorskip("ot")
    g = torch.Generator().manual_seed(7)
    logits = torch.randn(2, 3, 16, 16, generator=g)
    labels = torch.randint(0, 3, (2, 16, 16), generator=g)
    target = torch.nn.functional.one_hot(labels, 3).permute(0, 3, 1, 2).float()
    a = logits.clone().requires_grad_()
    b = logits.clone().requires_grad_()
    ours = getattr(tnn, cls_name)(**options)(a, target)
    theirs_cls = tl.BettiMatchingLoss if cls_name == "BettiMatchingLoss" else tl.HutopoLoss
    theirs = theirs_cls(use_base_loss=False, alpha=1.0, **options)(b, target)
    ours.backward()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-6)


def test_module_base_loss_and_alpha():
    x, y = _random_pair((2, 1, 12, 12), 2)
    base = torch.nn.functional.mse_loss
    loss = tnn.BettiMatchingLoss(base_loss=base, alpha=0.25)(x, y)
    expected = base(x, y) + 0.25 * betti_matching_loss(x, y)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize("cls_name", ["BettiMatchingLoss", "HuTopoLoss"])
@pytest.mark.parametrize("shape", [(2, 3, 12, 13), (2, 4, 5, 6, 7)])
@pytest.mark.parametrize("include_background", [False, True])
@pytest.mark.parametrize("channel_axis", [True, False])
def test_label_maps_equal_their_one_hot_targets(cls_name, shape, include_background, channel_axis):
    g = torch.Generator().manual_seed(11)
    logits = torch.randn(shape, generator=g)
    labels = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=g)
    one_hot = torch.nn.functional.one_hot(labels, shape[1]).movedim(-1, 1).float()
    a = logits.clone().requires_grad_()
    b = logits.clone().requires_grad_()
    cls = getattr(tnn, cls_name)
    given = labels[:, None] if channel_axis else labels
    ours = cls(softmax=True, include_background=include_background, to_onehot_y=True)(a, given)
    ref = cls(softmax=True, include_background=include_background)(b, one_hot)
    ours.backward()
    ref.backward()
    assert ours.item() == ref.item()
    assert ours.item() > 0
    torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=0)


def test_label_maps_as_floats_and_arrays():
    g = torch.Generator().manual_seed(12)
    logits = torch.randn(2, 3, 10, 10, generator=g)
    labels = torch.randint(0, 3, (2, 1, 10, 10), generator=g)
    loss = tnn.HuTopoLoss(softmax=True, to_onehot_y=True)
    ref = loss(logits, labels).item()
    assert loss(logits, labels.float()).item() == ref
    assert loss(logits, labels.numpy().astype(np.uint8)).item() == ref


def test_base_loss_takes_the_label_map_as_given():
    seen = []

    def base(inp, target):
        seen.append(target)
        return inp.sum() * 0

    logits = torch.randn(1, 2, 8, 8)
    labels = torch.randint(0, 2, (1, 1, 8, 8))
    tnn.BettiMatchingLoss(softmax=True, to_onehot_y=True, base_loss=base)(logits, labels)
    assert len(seen) == 1 and torch.equal(seen[0], labels)


@pytest.mark.parametrize(
    "logits,labels,error,match",
    [
        ((1, 3, 6, 6), torch.full((1, 1, 6, 6), 3), ValueError, r"\[0, 3\)"),
        ((1, 3, 6, 6), torch.full((1, 6, 6), -1), ValueError, r"\[0, 3\)"),
        ((1, 3, 6, 6), torch.full((1, 1, 6, 6), 0.5), ValueError, "integer class indices"),
        ((1, 3, 6, 6), torch.full((1, 1, 6, 6), float("nan")), ValueError, "integer class"),
        ((1, 3, 6, 6), torch.zeros(1, 3, 6, 6), ValueError, "label map of shape"),
        ((1, 3, 6, 6), torch.zeros(1, 1, 6, 6, dtype=torch.complex64), TypeError, "complex"),
        ((1, 1, 6, 6), torch.zeros(1, 1, 6, 6), ValueError, "several channels"),
        ((1, 0, 6, 6), torch.zeros(1, 1, 6, 6), ValueError, "several channels"),
        ((1, 3, 6, 6), torch.full((1, 1, 6, 6), float("inf")), ValueError, "integer class"),
        ((1, 3, 6, 6), torch.full((1, 1, 6, 6), 2.0**70), ValueError, r"got 1\.18\d*e\+21"),
        ((1, 3, 6, 6), None, TypeError, "target must be a tensor or array"),
        ((1, 3, 6, 6), "labels", TypeError, "target must be a tensor or array"),
    ],
)
def test_bad_label_maps(logits, labels, error, match):
    with pytest.raises(error, match=match):
        tnn.BettiMatchingLoss(to_onehot_y=True)(torch.randn(logits), labels)


# -- a dense reduction from the definitions ---------------------------------------------------
def _cells(shape, construction):
    """Every cell of the grid complex as (dim, base vertex, axes), with the vertex grid."""
    nd = len(shape)
    nv = [s + (construction == "T") for s in shape]
    cells = []
    for base in itertools.product(*[range(n) for n in nv]):
        for axes in itertools.chain.from_iterable(
            itertools.combinations(range(nd), k) for k in range(nd + 1)
        ):
            if all(base[a] + 1 < nv[a] for a in axes):
                cells.append((len(axes), base, axes))
    return cells, nv


def _slot(nd, axes):
    """Order of the cells of one base vertex and dimension: edges by the axis they span,
    the 2-cells of a volume by the axis they miss (Betti-Matching-3D's convention)."""
    if nd == 3 and len(axes) == 2:
        return [a for a in range(3) if a not in axes][0]
    return axes[0] if axes else 0


def _value(img, cell, construction):
    _, base, axes = cell
    nd = img.ndim
    if construction == "V":
        return max(
            img[tuple(b + (a in sub) for a, b in enumerate(base))]
            for r in range(len(axes) + 1)
            for sub in itertools.combinations(axes, r)
        )
    free = [a for a in range(nd) if a not in axes]
    vals = []
    for r in range(len(free) + 1):
        for sub in itertools.combinations(free, r):
            p = tuple(b - (a in sub) for a, b in enumerate(base))
            if all(0 <= q < s for q, s in zip(p, img.shape, strict=True)):
                vals.append(img[p])
    return min(vals)


def _pairs(bd_rows, bd_cols, boundary, rows_key, cols_key):
    """Pivots of the boundary matrix with rows and columns sorted by the keys (dense, Z/2)."""
    r_order = sorted(bd_rows, key=rows_key)
    c_order = sorted(bd_cols, key=cols_key)
    r_index = {c: i for i, c in enumerate(r_order)}
    m = np.zeros((len(r_order), len(c_order)), dtype=bool)
    for j, c in enumerate(c_order):
        for f in boundary[c]:
            m[r_index[f], j] = True
    pivot_of = {}
    pairs = []
    for j in range(len(c_order)):
        while m[:, j].any():
            low = int(np.nonzero(m[:, j])[0].max())
            if low not in pivot_of:
                pivot_of[low] = j
                pairs.append((r_order[low], c_order[j]))
                break
            m[:, j] ^= m[:, pivot_of[low]]
    return pairs


def dense_betti_matching(f_pred, f_target, construction):
    """Per dimension: matched [(pred bar, target bar)], unmatched pred bars, unmatched target
    bars, as values of the sublevel filtrations; image barcodes by reducing C's boundary
    matrix with rows in the domain's order."""
    nd = f_pred.ndim
    comp = np.minimum(f_pred, f_target)
    cells, nv = _cells(f_pred.shape, construction)
    imgs = {"L": f_pred, "G": f_target, "C": comp}
    val = {k: {c: _value(im, c, construction) for c in cells} for k, im in imgs.items()}
    lin = {c: np.ravel_multi_index(c[1], nv) for c in cells}

    def key(k):
        return lambda c: (val[k][c], lin[c], _slot(nd, c[2]))

    boundary = {}
    for c in cells:
        d, base, axes = c
        faces = []
        for a in axes:
            rest = tuple(x for x in axes if x != a)
            for step in (0, 1):
                b = tuple(v + (step if i == a else 0) for i, v in enumerate(base))
                faces.append((d - 1, b, rest))
        boundary[c] = faces
    out = []
    for k in range(nd):
        rows = [c for c in cells if c[0] == k]
        cols = [c for c in cells if c[0] == k + 1]

        def bars(x):
            return {
                b: d
                for b, d in _pairs(rows, cols, boundary, key(x), key(x))
                if val[x][b] != val[x][d]
            }

        lb, gb, cb = bars("L"), bars("G"), bars("C")
        image_l = {d: b for b, d in _pairs(rows, cols, boundary, key("L"), key("C"))}
        image_g = {d: b for b, d in _pairs(rows, cols, boundary, key("G"), key("C"))}
        matched, used_l, used_g = [], set(), set()
        for _, d in cb.items():
            bl, bg = image_l.get(d), image_g.get(d)
            if bl in lb and bg in gb:
                matched.append(((val["L"][bl], val["L"][lb[bl]]), (val["G"][bg], val["G"][gb[bg]])))
                used_l.add(bl)
                used_g.add(bg)
        un_l = [(val["L"][b], val["L"][d]) for b, d in lb.items() if b not in used_l]
        un_g = [(val["G"][b], val["G"][d]) for b, d in gb.items() if b not in used_g]
        out.append((sorted(matched), sorted(un_l), sorted(un_g)))
    return out


def _ours_by_dim(m, nd):
    res = []
    for k in range(nd):
        sel = m.matched_index[:, 1] == k
        matched = sorted(
            (tuple(p), tuple(q))
            for p, q in zip(
                m.matched_pred[sel].tolist(), m.matched_target[sel].tolist(), strict=True
            )
        )
        up = sorted(tuple(b) for b in m.unmatched_pred[m.unmatched_pred_index[:, 1] == k].tolist())
        ut = sorted(
            tuple(b) for b in m.unmatched_target[m.unmatched_target_index[:, 1] == k].tolist()
        )
        res.append((matched, up, ut))
    return res


@pytest.mark.parametrize("construction", ["V", "T"])
@pytest.mark.parametrize("shape", [(16, 17), (4, 5, 5)])
@pytest.mark.parametrize("coarse", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_matching_equals_dense_reduction(construction, shape, coarse, seed):
    rng = np.random.default_rng(seed)
    # coarse values: ties everywhere, so that the order of cells matters; the target is binary
    if coarse:
        f_pred = rng.integers(0, 6, shape).astype(np.float64)
    else:
        f_pred = rng.random(shape)
    f_target = (rng.random(shape) > 0.5).astype(np.float64)
    expected = dense_betti_matching(f_pred, f_target, construction)
    m = betti_matching(
        torch.from_numpy(f_pred),
        torch.from_numpy(f_target),
        ndim=len(shape),
        superlevel=False,
        construction=construction,
    )
    assert _ours_by_dim(m, len(shape)) == expected


# -- hand fixtures ----------------------------------------------------------------------------
def _draw(picture: str, values: dict[str, float]) -> torch.Tensor:
    rows = [r.strip() for r in picture.strip().splitlines()]
    return torch.tensor([[values[ch] for ch in r] for r in rows], dtype=torch.float64)


TARGET = {".": 0.0, "#": 1.0}
PRED = {".": 0.1, "#": 0.9, "o": 0.3, "-": 0.2}


def test_fixture_missing_component():
    target = _draw(
        """
        .......
        .##....
        .##....
        .......
        ....##.
        ....##.
        .......
        """,
        TARGET,
    )
    pred = _draw(
        """
        .......
        .##....
        .##....
        .......
        .......
        .......
        .......
        """,
        PRED,
    )
    m = betti_matching(pred, target)
    # the target's second blob, (1, 0), has no partner: the prediction has one component only
    assert m.matched_pred.shape == (0, 2)
    assert m.unmatched_pred.shape == (0, 2)
    assert m.unmatched_target.tolist() == [[1.0, 0.0]]
    assert m.unmatched_target_index.tolist() == [[0, 0]]
    assert betti_matching_loss(pred, target).item() == pytest.approx(1.0)


def test_fixture_faint_component_is_matched():
    target = _draw(
        """
        .......
        .##....
        .##....
        .......
        ....##.
        ....##.
        .......
        """,
        TARGET,
    )
    pred = _draw(
        """
        .......
        .##....
        .##....
        .......
        ....oo.
        ....oo.
        .......
        """,
        PRED,
    )
    m = betti_matching(pred, target)
    # the faint blob's bar (0.3, 0.1) is matched to the target's (1, 0)
    assert m.matched_pred.tolist() == [[0.3, 0.1]]
    assert m.matched_target.tolist() == [[1.0, 0.0]]
    assert m.unmatched_pred.shape == (0, 2) and m.unmatched_target.shape == (0, 2)
    # 2 |(0.7, 0.9) - (1, 0)|^2 in 1 - x
    assert betti_matching_loss(pred, target).item() == pytest.approx(2 * (0.7**2 + 0.1**2))


def test_fixture_extra_hole():
    target = _draw(
        """
        .......
        .#####.
        .#####.
        .#####.
        .#####.
        .#####.
        .......
        """,
        TARGET,
    )
    pred = _draw(
        """
        .......
        .#####.
        .#ooo#.
        .#ooo#.
        .#ooo#.
        .#####.
        .......
        """,
        PRED,
    )
    m = betti_matching(pred, target)
    # the ring closes at 0.9 and its hole fills at 0.3: an H1 bar (0.9, 0.3) with no partner
    assert m.unmatched_pred.tolist() == [[0.9, 0.3]]
    assert m.unmatched_pred_index.tolist() == [[0, 1]]
    assert m.matched_pred.shape == (0, 2) and m.unmatched_target.shape == (0, 2)


def test_fixture_broken_vessel_and_its_gradient():
    target = _draw(
        """
        .........
        .#######.
        .........
        ....#....
        ....#....
        """,
        TARGET,
    )
    pred = _draw(
        """
        .........
        .###-###.
        .........
        ....#....
        ....#....
        """,
        PRED,
    )
    m = betti_matching(pred, target)
    # the gap splits the vessel: one extra H0 bar (0.9, 0.2); the second branch is matched
    assert m.unmatched_pred.tolist() == [[0.9, 0.2]]
    assert m.matched_pred.tolist() == [[0.9, 0.1]]
    assert m.matched_target.tolist() == [[1.0, 0.0]]
    pred.requires_grad_(True)
    betti_matching_loss(pred, target).backward()
    # raising the gap pixel shortens the extra bar; the matched branch wants to be brighter
    assert pred.grad[1, 4] < 0
    assert pred.grad[3:, 4].sum() < 0


def test_identical_inputs_match_every_bar():
    x, _ = _random_pair((2, 1, 15, 15), 4, smooth=True)
    for construction in ("V", "T"):
        m = betti_matching(x, x, construction=construction)
        assert len(m.unmatched_pred) == 0 and len(m.unmatched_target) == 0
        torch.testing.assert_close(m.matched_pred, m.matched_target)
        assert betti_matching_loss(x, x, construction=construction).item() == 0.0


def test_superlevel_is_sublevel_of_one_minus_x():
    x, y = _random_pair((2, 18, 18), 6)
    up = betti_matching(x, y)
    down = betti_matching(1 - x, 1 - y, superlevel=False)
    torch.testing.assert_close(1 - up.matched_pred, down.matched_pred)
    torch.testing.assert_close(up.num_unmatched_pred, down.num_unmatched_pred)


@pytest.mark.parametrize("construction", ["V", "T"])
@pytest.mark.parametrize("shape", [(3, 1, 24, 20), (2, 1, 9, 8, 7)])
@pytest.mark.parametrize("smooth", [False, True])
def test_binary_target_shortcut_equals_the_full_reductions(construction, shape, smooth):
    # A binary target that takes no gradient skips its own reductions; one that takes a
    # gradient goes through all of them. Values and the prediction's gradient must agree.
    x, y = _random_pair(shape, 31, smooth=smooth)
    x[0, 0, 0] = 1.0  # a prediction at the target's low value (superlevel: 1) inside it
    y[0, 0, 0] = 1.0
    # and coarse ones, many beyond the target's high value (superlevel: below 0), outside it
    x[-1] = torch.where(y[-1] == 0, torch.round(4 * x[-1]) / 4 - 0.5, x[-1])
    # and a few beyond it in the first item: cells tied at the high value in the comparison
    # image, out of the prediction's order (ordered apart, then merged in)
    g = torch.Generator().manual_seed(32)
    few = (torch.rand(x[0].shape, generator=g) < 0.03) & (y[0] == 0)
    x[0] = torch.where(few, -0.25 - torch.rand(x[0].shape, generator=g) / 4, x[0])
    nd = len(shape) - 2
    losses, grads = [], []
    for target_grad in (False, True):
        xx = x.clone().requires_grad_()
        yy = y.clone().requires_grad_(target_grad)
        loss = betti_matching_loss(xx, yy, ndim=nd, construction=construction, reduction="sum")
        loss.backward()
        losses.append(loss.detach())
        grads.append(xx.grad)
        m = betti_matching(x, yy.detach().requires_grad_(target_grad), ndim=nd)
        assert int(m.num_matched.sum()) > 0
    torch.testing.assert_close(losses[0], losses[1], rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-6, atol=1e-6)


def test_swapping_inputs_swaps_the_matching():
    x, _ = _random_pair((2, 16, 16), 8)
    z, _ = _random_pair((2, 16, 16), 9)
    a = betti_matching(x, z)
    b = betti_matching(z, x)
    torch.testing.assert_close(a.num_matched, b.num_matched)
    torch.testing.assert_close(a.num_unmatched_pred, b.num_unmatched_target)


def test_counts_and_reductions_per_instance():
    x, y = _random_pair((3, 2, 12, 12), 10)
    m = betti_matching(x, y)
    assert m.num_matched.shape == (3, 2, 2)
    per = betti_matching_loss(x, y, reduction="none")
    assert per.shape == (3, 2)
    assert betti_matching_loss(x, y, reduction="sum").item() == pytest.approx(per.sum().item())
    assert betti_matching_loss(x, y).item() == pytest.approx(per.mean().item())
    assert hu_topo_loss(x, y, reduction="none").shape == (3, 2)


def test_threads_do_not_change_the_result():
    x, y = _random_pair((5, 1, 20, 20), 11)
    a = betti_matching(x, y, n_threads=1)
    b = betti_matching(x, y, n_threads=2)
    for u, v in zip(a[:7], b[:7], strict=True):
        torch.testing.assert_close(u, v)


def test_kept_work_areas_do_not_change_the_result():
    """Matchers kept between calls (set_betti_matching_cache) run later items, of other values
    and after other grids, exactly as fresh ones."""
    cases = [((3, 1, 12, 13), 2, "V"), ((2, 1, 5, 6, 7), 3, "T"), ((2, 1, 5, 6, 7), 3, "V")]
    cases += [((3, 1, 12, 13), 2, "T")]

    def matchings(seed):
        out = []
        for k, (shape, nd, c) in enumerate(cases):
            x, y = _random_pair(shape, seed + k, smooth=k % 2 == 0)
            m = betti_matching(x, y, ndim=nd, construction=c, n_threads=2)
            out.append(m[:7])
        return out

    old = set_betti_matching_cache(0)
    try:
        fresh = [matchings(s) for s in (20, 30)]
        assert set_betti_matching_cache(1 << 30) == 0
        kept = [matchings(s) for s in (20, 30)]
    finally:
        set_betti_matching_cache(old)
    for a, b in zip(itertools.chain(*fresh), itertools.chain(*kept), strict=True):
        for u, v in zip(a, b, strict=True):
            torch.testing.assert_close(u, v, rtol=0, atol=0)


@pytest.mark.parametrize("bad,error", [(-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_bad_cache_limit(bad, error):
    with pytest.raises(error, match="max_bytes"):
        set_betti_matching_cache(bad)


def test_gradcheck():
    x, y = _random_pair((1, 1, 6, 6), 12)
    x = x.double().requires_grad_()
    y = y.double()
    assert torch.autograd.gradcheck(lambda t: betti_matching_loss(t, y), (x,))
    assert torch.autograd.gradcheck(lambda t: hu_topo_loss(t, y), (x,))


@pytest.mark.parametrize("loss,items", [(betti_matching_loss, 16), (hu_topo_loss, 56)])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("target_grad", [False, True])
def test_half_precision_losses_sum_in_float32(loss, items, dtype, target_grad):
    # white noise on 256^2 images: the summed loss is beyond float16's largest value, 65504.
    # The same values in float64 give the reference: sublevel sets, so that the op orders the
    # values themselves (for superlevel sets it orders 1 - x, rounded in the input's precision)
    x, y = _random_pair((items, 1, 256, 256), 21, p=0.5)
    x = x.to(dtype).requires_grad_()
    y = y.to(dtype).requires_grad_(target_grad)
    ours = loss(x, y, superlevel=False, reduction="sum")
    ref = loss(x.detach().double(), y.detach().double(), superlevel=False, reduction="sum")
    assert ours.dtype == torch.float32
    assert ref.item() > 65504
    assert ours.item() == pytest.approx(ref.item(), rel=1e-5)
    ours.backward()
    assert x.grad.dtype == dtype and torch.isfinite(x.grad).all()
    per_item = loss(x.detach()[:2], y.detach()[:2], reduction="none")
    assert per_item.dtype == torch.float32 and per_item.shape == (2, 1)


def test_integer_and_bool_targets():
    x, y = _random_pair((2, 10, 10), 13)
    ref = betti_matching_loss(x, y)
    assert betti_matching_loss(x, y.bool()).item() == ref.item()
    assert betti_matching_loss(x, y.long().numpy()).item() == ref.item()


# -- bad inputs -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda x, y: betti_matching(x, y[..., :-1]), ValueError, "same shape"),
        (lambda x, y: betti_matching(x, y, ndim=4), ValueError, "ndim"),
        (lambda x, y: betti_matching(x.long(), y), TypeError, "pred"),
        (lambda x, y: betti_matching(x, y, construction="freudenthal"), ValueError, "construction"),
        (lambda x, y: betti_matching(x[0, 0], y[0, 0], ndim=3), ValueError, "ndim=3"),
        (lambda x, y: betti_matching_loss(x, y, reduction="max"), ValueError, "reduction"),
        (lambda x, y: betti_matching_loss(x, y, weights=(1.0,)), ValueError, "weights"),
        (lambda x, y: betti_matching_loss(x, y, threshold=-1.0), ValueError, "threshold"),
        (lambda x, y: betti_matching_loss(x, y, superlevel="yes"), TypeError, "superlevel"),
        (lambda x, y: hu_topo_loss(x, y, n_threads=0), ValueError, "n_threads"),
        (lambda x, y: tnn.BettiMatchingLoss(sigmoid=True, softmax=True), ValueError, "sigmoid"),
        (lambda x, y: tnn.HuTopoLoss(softmax=True)(x, y), ValueError, "softmax"),
        (lambda x, y: tnn.BettiMatchingLoss()(x[0], y[0]), ValueError, "input"),
        (lambda x, y: tnn.BettiMatchingLoss()(x, y[:, 0]), ValueError, "to_onehot_y=True"),
        (lambda x, y: tnn.HuTopoLoss(to_onehot_y=1), TypeError, "to_onehot_y"),
    ],
)
def test_bad_inputs(call, error, match):
    x, y = _random_pair((2, 1, 8, 8), 0)
    with pytest.raises(error, match=match):
        call(x, y)


@pytest.mark.parametrize("loss", [betti_matching_loss, hu_topo_loss])
@pytest.mark.parametrize("target_grad", [False, True])
def test_empty_batch(loss, target_grad):
    # No instances: the mean is NaN (as torch's mean of nothing), the sum 0, "none" empty.
    x = torch.rand(0, 1, 8, 8, requires_grad=True)
    y = torch.zeros(0, 1, 8, 8, requires_grad=target_grad)
    assert torch.isnan(loss(x, y))
    total = loss(x, y, reduction="sum")
    assert total.item() == 0
    total.backward()
    assert x.grad.shape == x.shape
    assert loss(x, y, reduction="none").shape == (0, 1)


def test_nan_is_named():
    x, y = _random_pair((1, 1, 8, 8), 0)
    x[0, 0, 3, 3] = float("nan")
    with pytest.raises(ValueError, match="pred must be finite"):
        betti_matching_loss(x, y)


def test_opcheck():
    from topolayer._ops.segmentation import betti_matching as op

    x, y = _random_pair((3, 64), 14)
    torch.library.opcheck(op, (x, y, [8, 8], "V", True, True, 1))
    torch.library.opcheck(op, (x.double(), y.double(), [4, 4, 4], "T", False, False, 2))


@pytest.mark.parametrize("hu", [False, True])
def test_opcheck_matching_terms(hu):
    from topolayer._ops.segmentation import matching_terms as op

    x, y = _random_pair((3, 64), 18)
    torch.library.opcheck(op, (x, y, [8, 8], "V", True, hu, 1))
    torch.library.opcheck(op, (x.double(), y.double(), [4, 4, 4], "T", False, hu, 2))


def test_opcheck_hu_matching():
    from topolayer._ops.segmentation import hu_matching as op

    x, y = _random_pair((3, 64), 16)
    torch.library.opcheck(op, (x, y, [8, 8], "V", True, True, 1))
    torch.library.opcheck(op, (x.double(), y.double(), [4, 4, 4], "T", False, False, 2))


@pytest.mark.slow
@pytest.mark.parametrize("cls_name", ["BettiMatchingLoss", "CLDiceLoss"])
def test_modules_with_label_maps_compile_fullgraph(cls_name):
    g = torch.Generator().manual_seed(14)
    logits = torch.randn(2, 3, 12, 12, generator=g)
    labels = torch.randint(0, 3, (2, 1, 12, 12), generator=g)
    module = getattr(tnn, cls_name)(softmax=True, to_onehot_y=True)
    compiled = torch.compile(module, fullgraph=True)
    torch.testing.assert_close(compiled(logits, labels), module(logits, labels))


@pytest.mark.slow
@pytest.mark.parametrize("loss", [betti_matching_loss, hu_topo_loss])
def test_compiles_fullgraph(loss):
    x, y = _random_pair((2, 1, 16, 16), 15)
    a = x.clone().requires_grad_()
    b = x.clone().requires_grad_()
    compiled = torch.compile(lambda p, t: loss(p, t), fullgraph=True)
    got = compiled(a, y)
    want = loss(b, y)
    got.backward()
    want.backward()
    assert got.item() == pytest.approx(want.item(), rel=1e-6)
    torch.testing.assert_close(a.grad, b.grad)


@pytest.mark.parametrize("construction", ["V", "T"])
@pytest.mark.parametrize("ndim", [2, 3])
def test_negative_zero_ties_like_zero(construction, ndim):
    # -0.0 and 0.0 are the same value: ties between them break by position, as between any
    # equal values, so the matching is that of the same maps with every zero positive.
    g = torch.Generator().manual_seed(5)
    shape = (3, 9, 8) if ndim == 2 else (3, 6, 5, 7)
    pred = torch.round(4 * torch.randn(shape, generator=g)) / 4
    target = (torch.rand(shape, generator=g) > 0.5).double()
    flip = (pred == 0) & (torch.rand(shape, generator=g) > 0.5)
    signed = torch.where(flip, torch.tensor(-0.0, dtype=pred.dtype), pred)
    assert torch.signbit(signed[flip]).all() and flip.any()
    opts = dict(ndim=ndim, superlevel=False, construction=construction)
    a = betti_matching(signed, target, **opts)
    b = betti_matching(signed + 0.0, target, **opts)  # every zero positive
    assert not torch.signbit((signed + 0.0)[flip]).any()
    flat_a, flat_b = torch.utils._pytree.tree_leaves(a), torch.utils._pytree.tree_leaves(b)
    assert len(flat_a) == len(flat_b) > 0
    for x, y in zip(flat_a, flat_b, strict=True):
        assert torch.equal(x, y) if isinstance(x, torch.Tensor) else x == y
