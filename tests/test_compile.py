"""torch.compile with the default backend (Inductor) and ``fullgraph=True``: every layer
followed by every feature, loss and vectorisation, on one input and on a batch; values and input
gradients equal eager mode's. ``capture_dynamic_output_shape_ops`` stays off throughout.

Each case compiles its own function after ``torch._dynamo.reset()``. An Inductor compile takes
seconds, so the default run compiles a few functions that each hold many cases (every feature
on one image and on a batch; every other layer; two modules); the slow lane (``make test-all``)
compiles every case on its own: every layer x every feature x single/batch, every module.
The distances' matchings are custom ops (opaque nodes); their values are gathered in the graph.
"""

from __future__ import annotations

import pytest
import torch

from topolayer import distances, functional, losses, vectorize
from topolayer.complexes import SimplicialComplex
from topolayer.diagram import Diagram
from topolayer.nn import features as modules
from topolayer.nn.cubical import CubicalLayer

GRID = SimplicialComplex.grid_2d(6, 6)

# name: (layer, shape of one input)
LAYERS = {
    "cubical": (lambda x: functional.cubical(x, 1, construction="V"), (8, 8)),
    "lower_star": (lambda x: functional.lower_star(x, GRID, 1), (36,)),
    "rips": (lambda x: functional.rips(x, 1), (12, 2)),
    "alpha": (lambda x: functional.alpha(x, 1), (12, 2)),
}

INF = float("inf")
# A target with an essential H0 bar, as the layers' diagrams have.
TARGET = Diagram([torch.tensor([[0.0, INF], [0.2, 0.5]]), torch.tensor([[0.3, 0.6], [0.4, 0.45]])])
FEATURES = {
    "sum_barcode_lengths": lambda d: losses.sum_barcode_lengths(d, 0),
    "top_k_barcode_lengths": lambda d: losses.top_k_barcode_lengths(d, 0, 3),
    "partial_sum_barcode_lengths": lambda d: losses.partial_sum_barcode_lengths(d, 0, 1),
    "barcode_poly_feature": lambda d: losses.barcode_poly_feature(d, 1, 2, 1),
    "barcode_feature": lambda d: losses.barcode_feature(d, 0, 1.5, 0, 2),
    "total_persistence": lambda d: losses.total_persistence(d, 1, p=2),
    "total_persistence_inf": lambda d: losses.total_persistence(d, 0, p=INF),
    "persistence_entropy": lambda d: losses.persistence_entropy(d, 0, normalize=True),
    "betti_number": lambda d: losses.betti_number(d, 0, 0.4),
    "betti_curve": lambda d: losses.betti_curve(d, 0, 0.0, 1.0, 10),
    "topological_prior": lambda d: losses.topological_prior(d, 1, k=1),
    "topological_prior_eps": lambda d: losses.topological_prior(d, 0, k=2, eps=0.3, p=2),
    "persistence_image": lambda d: vectorize.persistence_image(d, 1, resolution=(5, 4)),
    "persistence_landscape": lambda d: vectorize.persistence_landscape(d, 1, 0.0, 1.0, 10, 2),
    # Ranges from the bars themselves (traced, no data-dependent Python).
    "persistence_image_auto": lambda d: vectorize.persistence_image(d, 1, None, None, (5, 4)),
    "persistence_landscape_auto": lambda d: vectorize.persistence_landscape(d, 0, n_steps=10),
    "wasserstein": lambda d: distances.wasserstein_distance(d, TARGET, 1, p=2, internal_p=2),
    "wasserstein_h0": lambda d: distances.wasserstein_distance(d, TARGET, 0, p=1),
    "bottleneck": lambda d: distances.bottleneck_distance(d, TARGET, 1),
    "bottleneck_h0": lambda d: distances.bottleneck_distance(d, TARGET, 0, internal_p=2),
    "sliced_wasserstein": lambda d: distances.sliced_wasserstein_distance(
        d, TARGET, 1, n_directions=8, directions="uniform"
    ),
}

MODULES = {
    "SumBarcodeLengths": modules.SumBarcodeLengths(0),
    "TopKBarcodeLengths": modules.TopKBarcodeLengths(0, 3),
    "PartialSumBarcodeLengths": modules.PartialSumBarcodeLengths(0, 1),
    "BarcodePolyFeature": modules.BarcodePolyFeature(1, 2, 1),
    "BarcodeFeature": modules.BarcodeFeature(0, 1.5, 0, 2),
    "TopologicalPrior": modules.TopologicalPrior(1, k=1, eps=0.3),
    "TotalPersistence": modules.TotalPersistence(1, p=2),
    "PersistenceEntropy": modules.PersistenceEntropy(0, normalize=True),
    "BettiCurve": modules.BettiCurve(0, 0.0, 1.0, 10),
    "PersistenceImage": modules.PersistenceImage(1, resolution=(5, 4)),
    "PersistenceLandscape": modules.PersistenceLandscape(1, 0.0, 1.0, 10, 2),
}


def inputs(shape, batch, rng, n=1):
    """``n`` float32 inputs of one layer (leading axis 3 for a batch), in generic position."""
    lead = (3,) if batch else ()
    return [torch.tensor(rng.random(lead + shape), dtype=torch.float32) for _ in range(n)]


def check_compiled_equals_eager(fn, xs):
    """Compile ``fn`` (Inductor, fullgraph) afresh and compare its outputs on ``xs`` and the
    gradients of the inputs (a weighted sum of the outputs, so permuted outputs are caught)."""
    assert not torch._dynamo.config.capture_dynamic_output_shape_ops
    torch._dynamo.reset()
    compiled = torch.compile(fn, fullgraph=True)
    grads = []
    for f in (fn, compiled):
        leaves = [x.clone().requires_grad_() for x in xs]
        outs = f(*leaves)
        outs = outs if isinstance(outs, tuple) else (outs,)
        loss = sum((y * torch.linspace(0.5, 1.5, y.numel()).reshape(y.shape)).sum() for y in outs)
        loss.backward()
        grads.append(([y.detach() for y in outs], [x.grad for x in leaves]))
    (want, want_grad), (got, got_grad) = grads
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w)
    for g, w in zip(got_grad, want_grad, strict=True):
        torch.testing.assert_close(g, w)
    torch._dynamo.reset()


def on_layer(feature, layer):
    return lambda *xs: tuple(feature(layer(x)) for x in xs)


# -- the default run ----------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
def test_every_feature_on_images(batch, rng):
    """Every feature after the cubical layer, on one image or on a batch: one compiled function
    (a compile has a fixed cost of seconds; the slow lane compiles each case on its own).

    Single and batch are separate graphs: with both in one graph, Inductor (torch 2.13) fails
    to order the unbacked sizes of the distances' matchings ("expected [u..] to have been
    codegen-ed"); each on its own compiles, as users write them."""
    layer, shape = LAYERS["cubical"]

    def fn(x):
        return tuple(f(layer(x)) for f in FEATURES.values())

    check_compiled_equals_eager(fn, inputs(shape, batch, rng))


def test_every_layer(rng):
    """The other layers, one input form and a few features each, in one compiled function."""
    cases = [
        ("lower_star", True, ["top_k_barcode_lengths", "persistence_image"]),
        ("rips", False, ["persistence_entropy", "persistence_landscape", "wasserstein"]),
        ("alpha", True, ["topological_prior", "betti_curve", "bottleneck_h0"]),
    ]

    def fn(*xs):
        out = []
        for (layer, _, names), x in zip(cases, xs, strict=True):
            d = LAYERS[layer][0](x)
            out += [FEATURES[name](d) for name in names]
        return tuple(out)

    xs = [inputs(LAYERS[layer][1], batch, rng)[0] for layer, batch, _ in cases]
    check_compiled_equals_eager(fn, xs)


def test_modules(rng):
    """Feature modules after a layer module (every module is in the slow lane)."""
    layer = CubicalLayer(max_dim=1, construction="V")
    top_k, landscape = MODULES["TopKBarcodeLengths"], MODULES["PersistenceLandscape"]

    def fn(x, xb):
        return top_k(layer(x)), landscape(layer(xb))

    check_compiled_equals_eager(fn, inputs((8, 8), False, rng) + inputs((8, 8), True, rng))


def test_new_bar_counts_reuse_the_graph(rng):
    """Bar counts are unbacked sizes: a new input with other counts runs the same graph."""
    torch._dynamo.reset()
    counter = torch._dynamo.testing.CompileCounterWithBackend("inductor")
    layer, shape = LAYERS["cubical"]
    fn = on_layer(FEATURES["persistence_landscape"], layer)
    compiled = torch.compile(fn, fullgraph=True, backend=counter)
    for x in inputs(shape, True, rng, n=3):
        torch.testing.assert_close(compiled(x), fn(x))
    assert counter.frame_count == 1
    torch._dynamo.reset()


def test_size_limit_while_tracing():
    """The part of a feature's size that does not depend on the bar count is still refused."""
    torch._dynamo.reset()
    layer, shape = LAYERS["cubical"]

    def fn(x):
        return vectorize.persistence_image(layer(x), 1, resolution=30000)

    msg = r"persistence_image\(resolution=\(30000, 30000\)\) on any number of bars would allocate"
    # Dynamo reports the ValueError raised while tracing as its own error, with the message.
    with pytest.raises(torch._dynamo.exc.Unsupported, match=msg):
        torch.compile(fn, fullgraph=True)(torch.rand(shape))
    torch._dynamo.reset()


# -- the slow lane: the whole matrix ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
@pytest.mark.parametrize("name", FEATURES)
@pytest.mark.parametrize("layer", LAYERS)
def test_matrix(layer, name, batch, rng):
    fn, shape = LAYERS[layer]
    check_compiled_equals_eager(on_layer(FEATURES[name], fn), inputs(shape, batch, rng))


@pytest.mark.slow
@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
@pytest.mark.parametrize("name", MODULES)
def test_module_matrix(name, batch, rng):
    layer = CubicalLayer(max_dim=1, construction="V")
    module = MODULES[name]
    check_compiled_equals_eager(lambda x: module(layer(x)), inputs((8, 8), batch, rng))


@pytest.mark.slow
@pytest.mark.parametrize("name", FEATURES)
def test_hand_built_diagram(name):
    """Features on a diagram built inside the compiled function, with static sizes, an
    essential bar and a filler row (``-inf`` birth)."""

    def fn(x):
        bars = x.view(-1, 2)
        ess = torch.stack([x[:1], x[:1].new_full((1,), INF)], 1)
        filler = x.new_full((1, 2), -INF)
        return FEATURES[name](Diagram([torch.cat([bars, ess]), torch.cat([bars[1:], filler])]))

    x = torch.tensor([[0.1, 0.9], [0.2, 0.5], [0.3, 0.35], [0.15, 0.4]]).reshape(-1)
    check_compiled_equals_eager(fn, [x])
