"""torch.func through every layer: grad and jacrev equal autograd; vmap equals a loop over
the mapped inputs (values and gradients), for single inputs and batches."""

from __future__ import annotations

import pytest
import torch
from torch.func import grad, jacrev, vmap

import topolayer
from topolayer import functional as F
from topolayer import losses as L
from topolayer import vectorize as V

K = topolayer.SimplicialComplex.grid_2d(5, 5)
TARGET = topolayer.Diagram([torch.tensor([[0.0, 0.5]]), torch.tensor([[0.2, 0.4]])])
# The same bars as a superlevel diagram (births above deaths), for the superlevel layer.
TARGET_SUPER = topolayer.Diagram([1 - t for t in TARGET.bars], superlevel=True)


def _target(d):
    return TARGET_SUPER if d.superlevel else TARGET


LAYERS = {
    "cubical": (lambda x: F.cubical(x, 1, construction="V"), (6, 6)),
    "cubical_super": (lambda x: F.cubical(x, 1, superlevel=True, construction="T"), (6, 6)),
    "lower_star": (lambda x: F.lower_star(x, K, 1), (25,)),
    "filtration": (
        lambda x: F.filtration(x.sort().values, topolayer.SimplicialComplex.path(5)),
        (9,),
    ),
    "rips": (lambda x: F.rips(x, 1), (12, 2)),
    "rips_precomputed": (lambda x: F.rips(torch.cdist(x, x), 1, metric="precomputed"), (12, 2)),
    "alpha": (lambda x: F.alpha(x, 1), (12, 2)),
}
FEATURES = {
    "lengths": lambda d: L.sum_barcode_lengths(d, 0) + L.total_persistence(d, 1, p=2),
    "image": lambda d: V.persistence_image(d, 1, resolution=4).sum(),
    "wasserstein": lambda d: topolayer.wasserstein_distance(d, _target(d), 1, p=2, internal_p=2),
    "bottleneck": lambda d: topolayer.bottleneck_distance(d, _target(d), 0),
}


def _x(shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(*shape, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("feature", list(FEATURES))
def test_grad_and_jacrev_equal_autograd(layer, feature):
    fn, shape = LAYERS[layer]
    f = lambda x: FEATURES[feature](fn(x))  # noqa: E731
    x = _x(shape).requires_grad_()
    f(x).backward()
    assert torch.allclose(grad(f)(x.detach()), x.grad)
    assert torch.allclose(jacrev(f)(x.detach()), x.grad)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_vmap_equals_a_loop(layer):
    fn, shape = LAYERS[layer]
    f = lambda x: FEATURES["lengths"](fn(x))  # noqa: E731
    xs = torch.stack([_x(shape, s) for s in range(3)])
    want = torch.stack([f(x) for x in xs])
    assert torch.allclose(vmap(f)(xs), want)
    want_g = torch.stack([grad(f)(x) for x in xs])
    assert torch.allclose(vmap(grad(f))(xs), want_g)


def test_vmap_over_batches_of_images():
    f = lambda x: L.sum_barcode_lengths(F.cubical(x, 1, construction="V"), 0)  # noqa: E731
    xs = _x((2, 3, 6, 6))
    assert torch.allclose(vmap(f)(xs), torch.stack([f(x) for x in xs]))
