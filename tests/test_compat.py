"""The reference implementation's API through topolayer.compat."""

import textwrap

import numpy as np
import pytest
import torch

import topolayer
from topolayer.compat.functional.persistence import SimplicialComplex
from topolayer.compat.nn import LevelSetLayer, LevelSetLayer1D, LevelSetLayer2D
from topolayer.compat.nn.levelset import (
    init_freudenthal_2d,
    init_grid_2d,
    init_line_complex,
    init_tri_complex,
)
from topolayer.compat.util.construction import clique_complex, unique_simplices
from topolayer.compat.util.process import remove_filler, remove_infinite_bars, remove_zero_bars

# A script in the reference implementation's style: a level-set denoising loop.
REFERENCE_SCRIPT = textwrap.dedent(
    """
    import torch
    import numpy as np
    from topologylayer.nn import LevelSetLayer1D, LevelSetLayer, SumBarcodeLengths, PartialSumBarcodeLengths
    from topologylayer.nn import TopKBarcodeLengths, BarcodePolyFeature
    from topologylayer.functional.persistence import SimplicialComplex
    from topologylayer.util.process import remove_infinite_bars

    torch.manual_seed(0)
    n = 50
    truth = torch.sin(torch.linspace(0, 3.14159, n))
    y = truth + 0.1 * torch.randn(n)
    x = y.clone().requires_grad_(True)

    # a path complex built by hand, the reference's way
    cpx = SimplicialComplex()
    for i in range(n):
        cpx.append([i])
    for i in range(n - 1):
        cpx.append([i, i + 1])
    cpx.initialize()

    layer1d = LevelSetLayer1D(size=n, sublevel=False)
    layer = LevelSetLayer(cpx, maxdim=0, sublevel=True)
    keep_one = PartialSumBarcodeLengths(dim=0, skip=1)
    total = SumBarcodeLengths(dim=0)
    topk = TopKBarcodeLengths(dim=0, k=3)
    poly = BarcodePolyFeature(0, 2, 0)
    opt = torch.optim.Adam([x], lr=1e-2)
    history = []
    for it in range(150):
        opt.zero_grad()
        loss = ((x - y) ** 2).sum() + keep_one(layer1d(x)) + 0.5 * total(layer(x))
        loss.backward()
        opt.step()
        history.append(loss.item())
    dgms, issub = layer1d(x)
    finite = remove_infinite_bars(dgms[0], issub)
    lengths_top = topk(layer1d(x))
    lengths_noisy = topk(layer1d(y))
    p = poly(layer(x))
    """
)


def test_reference_script_runs_unchanged_but_for_the_import():
    code = REFERENCE_SCRIPT.replace("topologylayer", "topolayer.compat")
    scope: dict = {}
    exec(compile(code, "reference_script.py", "exec"), scope)
    history = scope["history"]
    assert history[-1] < history[0]
    # the spurious maxima of the noisy sine shrink: finite superlevel H0 bars get shorter
    lengths, noisy = scope["lengths_top"], scope["lengths_noisy"]
    assert lengths.shape == (3,)
    assert lengths[0] < 0.5 * noisy[0]
    assert scope["issub"] is False
    assert torch.isfinite(scope["finite"]).all()
    assert torch.isfinite(scope["p"])


def test_appended_complex_equals_constructor():
    s = SimplicialComplex()
    for cell in ([0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]):
        s.append(cell)
    s.initialize()
    s.initialize()  # idempotent
    assert s.n_simplices == [3, 3, 1]
    assert list(s) == list(topolayer.SimplicialComplex([(0, 1, 2)]))


def test_constructors():
    assert init_line_complex(5).n_simplices == [5, 4]
    assert init_freudenthal_2d(4, 3).n_simplices == [12, 23, 12]
    assert init_grid_2d(4, 3).n_simplices == [12, 29, 24]
    assert init_tri_complex(4, 3).n_simplices[2] == 12
    assert clique_complex(5, 2).n_simplices == [5, 10, 10]
    assert unique_simplices([[0, 1, 2], [1, 2, 3]], 1).n_simplices == [4, 5]


def test_level_set_layer_2d_accepts_images_and_flat_vectors(rng):
    layer = LevelSetLayer2D(size=(6, 4), maxdim=1, sublevel=False)
    img = torch.from_numpy(rng.standard_normal((4, 6)))
    (a, issub_a), (b, _) = layer(img), layer(img.reshape(-1))
    assert issub_a is False
    for k in range(2):
        assert torch.equal(a[k], b[k])
    with pytest.raises(ValueError, match="complex must be .freudenthal., .grid. or .delaunay."):
        LevelSetLayer2D(size=(3, 3), complex="hexagonal")


def test_level_set_layer_matches_topolayer(rng):
    K = init_freudenthal_2d(5, 5)
    f = torch.from_numpy(rng.standard_normal(25))
    dgms, _ = LevelSetLayer(K, maxdim=1, alg="cohom")(f)
    ours = topolayer.functional.lower_star(f, K, max_dim=1)
    for k in range(2):
        assert torch.equal(dgms[k], ours[k])


def test_process_helpers():
    inf = float("inf")
    d = torch.tensor([[0.0, 1.0], [2.0, 2.0], [0.0, inf], [inf, inf]])
    assert remove_filler(d).tolist() == [[0.0, 1.0], [2.0, 2.0], [0.0, inf]]
    assert remove_zero_bars(d).tolist() == [[0.0, 1.0], [0.0, inf]]
    assert remove_infinite_bars(d, True).tolist() == [[0.0, 1.0], [2.0, 2.0]]
    up = torch.tensor([[1.0, 0.0], [3.0, -inf]])
    assert remove_infinite_bars(up, False).tolist() == [[1.0, 0.0]]


def test_level_set_layer_1d_batched_gives_diagram_batch(rng):
    dgms, issub = LevelSetLayer1D(7)(torch.from_numpy(rng.standard_normal((3, 7))))
    assert isinstance(dgms, topolayer.DiagramBatch) and issub is True
    assert np.isclose(
        float(topolayer.nn.SumBarcodeLengths(0)((dgms, issub)).sum()),
        sum(float(topolayer.nn.SumBarcodeLengths(0)(dgms[i])) for i in range(3)),
    )


def test_point_cloud_layers_and_delaunay(rng):
    from topolayer.compat.nn import AlphaLayer, RipsLayer
    from topolayer.compat.nn.alpha import delaunay_complex, delaunay_complex_1d

    x = torch.from_numpy(rng.random((20, 2)))
    dgms, issub = RipsLayer(20, maxdim=1)(x)
    assert issub is True and len(dgms) == 2
    adgms, _ = AlphaLayer(maxdim=1)(x)
    assert len(adgms) == 2
    K = delaunay_complex(x.numpy())
    assert K.n_vertices == 20 and K.dim == 2
    # Euler characteristic of a triangulated disk
    assert K.n_simplices[0] - K.n_simplices[1] + K.n_simplices[2] == 1
    assert delaunay_complex_1d([3.0, 1.0, 2.0]).simplices(1).tolist() == [[0, 2], [1, 2]]
