"""nn.Module feature wrappers: reference names/arguments, inputs, errors, layers end to end."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

from topolayer import distances, losses, vectorize
from topolayer.complexes import SimplicialComplex
from topolayer.diagram import Diagram, DiagramBatch
from topolayer.nn import features as F
from topolayer.nn.simplicial import LevelSetLayer, LevelSetLayer1D, LowerStar

INF = float("inf")


def rows(rng, n, n_ess=1):
    b = rng.uniform(0, 1, n)
    r = np.stack([b, b + rng.uniform(0.05, 1, n)], 1)
    r = np.concatenate([r, np.stack([rng.uniform(0, 1, n_ess), np.full(n_ess, INF)], 1)])
    return torch.tensor(r)


# module, matching function call
UNARY = [
    (F.SumBarcodeLengths(), lambda d: losses.sum_barcode_lengths(d, 0)),
    (F.TopKBarcodeLengths(0, 3), lambda d: losses.top_k_barcode_lengths(d, 0, 3)),
    (F.PartialSumBarcodeLengths(0, 1), lambda d: losses.partial_sum_barcode_lengths(d, 0, 1)),
    (F.BarcodePolyFeature(0, 2, 1), lambda d: losses.barcode_poly_feature(d, 0, 2, 1)),
    (F.BarcodeFeature(0, 1, 0, 2), lambda d: losses.barcode_feature(d, 0, 1, 0, 2)),
    (F.TopologicalPrior(dim=0, k=1), lambda d: losses.topological_prior(d, 0, 1)),
    (F.TotalPersistence(0, 2), lambda d: losses.total_persistence(d, 0, 2)),
    (F.PersistenceEntropy(0), lambda d: losses.persistence_entropy(d, 0)),
    (F.BettiCurve(0, 0.0, 2.0, 9), lambda d: losses.betti_curve(d, 0, 0.0, 2.0, 9)),
    (
        F.PersistenceImage(0, resolution=(4, 5)),
        lambda d: vectorize.persistence_image(d, 0, resolution=(4, 5)),
    ),
    (
        F.PersistenceLandscape(0, 0.0, 2.0, 11, 3),
        lambda d: vectorize.persistence_landscape(d, 0, 0.0, 2.0, 11, 3),
    ),
]
IDS = [type(m).__name__ for m, _ in UNARY]


def test_reference_signatures():
    assert str(inspect.signature(F.SumBarcodeLengths)) == "(dim: 'int' = 0) -> 'None'"
    assert list(inspect.signature(F.TopKBarcodeLengths).parameters) == ["dim", "k"]
    assert list(inspect.signature(F.PartialSumBarcodeLengths).parameters) == ["dim", "skip"]
    sig = inspect.signature(F.BarcodePolyFeature).parameters
    assert list(sig) == ["dim", "p", "q", "remove_zero"] and sig["remove_zero"].default is True
    assert list(inspect.signature(F.BarcodeFeature).parameters) == ["dim", "p", "q", "i0"]
    m = F.TopologicalPrior(dim=0, k=1)
    assert (m.dim, m.k) == (0, 1)


@pytest.mark.parametrize("module, fn", UNARY, ids=IDS)
def test_module_equals_function_on_every_input_form(module, fn, rng):
    a, b = rows(rng, 5), rows(rng, 3)
    d = Diagram([a])
    torch.testing.assert_close(module(d), fn(d))
    torch.testing.assert_close(module(([a], True)), fn(d))
    batch = DiagramBatch([torch.cat([a, b])], [torch.tensor([0] * len(a) + [1] * len(b))], 2)
    out = module(batch)
    assert out.shape[0] == 2
    torch.testing.assert_close(out, torch.stack([fn(Diagram([a])), fn(Diagram([b]))]))
    # the batched reference-style output of LevelSetLayer: (DiagramBatch, issublevel)
    torch.testing.assert_close(module((batch, True)), out)


def test_contradicting_issublevel_flag_rejected(rng):
    d = Diagram([rows(rng, 3)])
    with pytest.raises(ValueError, match="issublevel"):
        F.SumBarcodeLengths()((d, False))


@pytest.mark.parametrize("module, fn", UNARY, ids=IDS)
def test_repr_names_arguments(module, fn):
    assert "dim=0" in repr(module)


@pytest.mark.parametrize(
    "make, exc",
    [
        (lambda: F.SumBarcodeLengths(dim=-1), ValueError),
        (lambda: F.SumBarcodeLengths(dim=0.5), TypeError),
        (lambda: F.TopKBarcodeLengths(0, 0), ValueError),
        (lambda: F.PartialSumBarcodeLengths(0, -2), ValueError),
        (lambda: F.BarcodePolyFeature(0, 0, 1), ValueError),
        (lambda: F.BarcodeFeature(0, 1, 0, 0), ValueError),
        (lambda: F.TopologicalPrior(0, -1), ValueError),
        (lambda: F.TopologicalPrior(0, 1, eps=-1.0), ValueError),
        (lambda: F.TotalPersistence(0, p=0), ValueError),
        (lambda: F.BettiCurve(0, 1.0, 0.0), ValueError),
        (lambda: F.WassersteinDistance(0, p=0.5), ValueError),
        (lambda: F.WassersteinDistance(0, essential="drop"), ValueError),
        (lambda: F.BottleneckDistance(0, internal_p=0), ValueError),
        (lambda: F.PersistenceImage(0, sigma=0), ValueError),
        (lambda: F.PersistenceImage(0, resolution=0), ValueError),
        (lambda: F.PersistenceLandscape(0, 1.0, 1.0), ValueError),
        (lambda: F.PersistenceLandscape(0, 0.0, 1.0, n_layers=0), ValueError),
    ],
)
def test_bad_construction(make, exc):
    with pytest.raises(exc):
        make()


def test_dim_beyond_the_diagram(rng):
    with pytest.raises(ValueError, match="dim=2"):
        F.SumBarcodeLengths(dim=2)(Diagram([rows(rng, 3)]))


def test_distance_modules(rng):
    a, b = Diagram([rows(rng, 5)]), Diagram([rows(rng, 4)])
    w = F.WassersteinDistance(dim=0, p=2)
    torch.testing.assert_close(w(a, b), distances.wasserstein_distance(a, b, 0, p=2))
    bn = F.BottleneckDistance(dim=0, internal_p=2)
    torch.testing.assert_close(bn(a, b), distances.bottleneck_distance(a, b, 0, internal_p=2))
    assert "p=2.0" in repr(w) and "internal_p=2.0" in repr(bn)


# -- end to end with the level-set layers -----------------------------------------------------
def test_reference_style_script_on_levelset_layer1d():
    torch.manual_seed(0)
    n = 40
    t = torch.linspace(0, 1, n, dtype=torch.float64)
    clean = torch.sin(2 * np.pi * t)
    y = clean + 0.2 * torch.randn(n, dtype=torch.float64)
    x = y.clone().requires_grad_(True)
    layer = LevelSetLayer1D(size=n, sublevel=False)
    feat = F.PartialSumBarcodeLengths(dim=0, skip=1)
    opt = torch.optim.Adam([x], lr=1e-2)
    first = None
    for _ in range(30):
        opt.zero_grad()
        loss = feat(layer(x)) + ((x - y) ** 2).sum()
        first = loss.item() if first is None else first
        loss.backward()
        opt.step()
    assert loss.item() < first


def test_features_on_lowerstar_batch_equal_loop(rng):
    cx = SimplicialComplex.path(12)
    f = torch.tensor(rng.normal(size=(3, 12)), requires_grad=True)
    layer = LowerStar(cx, max_dim=0)
    modules = [
        F.BarcodeFeature(0, 2, 0, 2),
        F.SumBarcodeLengths(0),
        F.TopologicalPrior(0, 2, eps=0.5),
    ]
    for m in modules:
        out = m(layer(f))
        assert out.shape == (3,)
        (g,) = torch.autograd.grad(out.sum(), f)
        for i in range(3):
            fi = f[i].detach().clone().requires_grad_(True)
            oi = m(layer(fi))
            torch.testing.assert_close(oi, out[i].detach())
            (gi,) = torch.autograd.grad(oi, fi)
            torch.testing.assert_close(gi, g[i])


def test_levelset_layer_gradient_matches_hand_value():
    # signal [0, 2, 1, 3]: sublevel H0 bars (0, inf) and (1, 2)
    x = torch.tensor([0.0, 2.0, 1.0, 3.0], dtype=torch.float64, requires_grad=True)
    layer = LevelSetLayer(SimplicialComplex.path(4), maxdim=0, sublevel=True)
    out = F.SumBarcodeLengths(dim=0)(layer(x))
    assert out.item() == 1.0
    out.backward()
    assert x.grad.tolist() == [0.0, 1.0, -1.0, 0.0]


def test_empty_diagram_from_a_layer_gives_zero_gradient():
    # a monotone signal has one H0 class (essential) and no finite bar
    x = torch.arange(6, dtype=torch.float64).requires_grad_(True)
    layer = LowerStar(SimplicialComplex.path(6), max_dim=0)
    for m, _ in UNARY:
        x.grad = None
        m(layer(x)).sum().backward()
        assert x.grad is not None and x.grad.abs().sum() == 0, type(m).__name__
    x.grad = None
    dgm = layer(x)
    F.WassersteinDistance(0)(dgm, dgm.detach()).backward()
    assert x.grad is not None and x.grad.abs().sum() == 0


def test_topological_prior_on_an_image_removes_stray_maxima():
    # the paper's image prior: superlevel H0, one component should stay
    torch.manual_seed(1)
    h = w = 8
    cx = SimplicialComplex.grid_2d(h, w)
    img = (torch.rand(h * w, dtype=torch.float64) * 0.5).requires_grad_(True)
    layer = LowerStar(cx, max_dim=0, superlevel=True)
    prior = F.TopologicalPrior(dim=0, k=1)
    top = F.TopKBarcodeLengths(0, h * w)

    def n_stray():  # maxima whose bar is longer than 0.05
        return int((top(layer(img.detach())) > 0.05).sum())

    before, stray_before = prior(layer(img)).item(), n_stray()
    opt = torch.optim.Adam([img], lr=2e-2)
    for _ in range(60):
        opt.zero_grad()
        loss = prior(layer(img))
        loss.backward()
        opt.step()
    after = prior(layer(img)).item()
    assert after < 0.5 * before
    assert n_stray() < stray_before


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_features_on_cuda(rng):
    a = rows(rng, 5).cuda().requires_grad_(True)
    b = rows(rng, 4).cuda()
    d = Diagram([a])
    for m, _ in UNARY:
        out = m(d)
        assert out.device.type == "cuda"
        out.sum().backward()
    w = F.WassersteinDistance(0, p=2)(d, Diagram([b]))
    assert w.device.type == "cuda"
    w.backward()
    assert a.grad.device.type == "cuda" and torch.isfinite(a.grad).all()
