"""The reference's lower-level modules through topolayer.compat: ``functional.sublevel``,
``functional.flag``, ``functional.persistence`` and ``nn.rips``, on hand fixtures."""

import math

import pytest
import torch

from topolayer.compat import SimplicialComplex
from topolayer.compat.functional.flag import FlagDiagram
from topolayer.compat.functional.persistence import (
    persistenceBackward,
    persistenceBackwardFlag,
    persistenceForwardCohom,
    persistenceForwardHom,
)
from topolayer.compat.functional.sublevel import SubLevelSetDiagram

INF = math.inf


def _cone():
    # the reference's simplicial-complex example: a 4-cycle on 1..4 coned off by vertex 0
    s = SimplicialComplex()
    for c in ([0, 1, 2], [0, 1, 3], [0, 2, 4], [0, 3, 4]):
        s.append(c)
    s.initialize()
    return s


def _nonzero(d):
    return sorted(r for r in d.tolist() if r[0] != r[1])


def _triangle_points():
    # a 3-4-5 right triangle: edges 3, 4, 5
    return torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]], dtype=torch.float64)


class TestSimplicialComplexMethods:
    def test_extend_float_then_forward_gives_every_pair(self):
        s = _cone()
        s.extendFloat(torch.tensor([2.0, 0.0, 0.0, 0.0, 0.0]))
        h0, h1 = persistenceForwardCohom(s, 1)
        # the reference's row counts on an acyclic complex: V in H0, E - V + 1 in H1
        assert len(h0) == 5 and len(h1) == 8 - 5 + 1
        assert _nonzero(h0) == [[0.0, INF]] and _nonzero(h1) == [[0.0, 2.0]]
        assert persistenceForwardHom(s, 1, 1)[1].tolist() == h1.tolist()

    def test_essential_bars_come_last(self):
        s = SimplicialComplex()
        for c in ([0, 1], [1, 2], [2, 3]):
            s.append(c)
        s.extendFloat(torch.tensor([0.0, 2.0, 1.0, 3.0]))
        (h0,) = persistenceForwardCohom(s, 0)
        assert h0[-1].tolist() == [0.0, INF] and all(math.isfinite(v) for v in h0[:-1, 1])

    def test_extend_flag_then_forward(self):
        s = SimplicialComplex([[0, 1], [1, 2], [0, 2]])
        s.extendFlag(_triangle_points())
        h0, h1 = persistenceForwardHom(s, 1)
        assert sorted(h0.tolist()) == [[0.0, 3.0], [0.0, 4.0], [0.0, INF]]
        assert h1.tolist() == [[5.0, INF]]

    def test_the_last_extension_wins(self):
        s = SimplicialComplex([[0, 1]])
        s.extendFloat(torch.tensor([1.0, 0.0]))
        s.extendFlag(torch.tensor([[0.0], [2.0]]))
        assert persistenceForwardCohom(s, 0)[0].tolist() == [[0.0, 2.0], [0.0, INF]]

    def test_backward_matches_autograd_of_sublevel(self):
        f = torch.tensor([0.3, 1.7, 0.2, 2.5, 0.9], dtype=torch.float64)
        s = _cone()
        s.extendFloat(f)
        bars = persistenceForwardCohom(s, 1)
        grads = [torch.randn(b.shape, dtype=b.dtype) for b in bars]
        g = persistenceBackward(s, grads)
        leaf = f.clone().requires_grad_(True)
        out = s.sublevel(leaf, 1)
        finite = [torch.where(torch.isfinite(b), b, 0.0) for b in out]
        torch.autograd.backward(finite, grads)
        assert torch.allclose(g, leaf.grad)

    def test_backward_flag_moves_the_critical_edge(self):
        s = SimplicialComplex([[0, 1], [1, 2], [0, 2]])
        y = _triangle_points()
        s.extendFlag(y)
        h0, h1 = persistenceForwardCohom(s, 1)
        g1 = torch.zeros_like(h1)
        g1[0, 0] = 1.0  # d(birth of the H1 class) = d|y1 - y2|, the hypotenuse
        g = persistenceBackwardFlag(s, y, [torch.zeros_like(h0), g1])
        assert torch.allclose(g, torch.tensor([[0.0, 0.0], [0.6, -0.8], [-0.6, 0.8]]).double())

    def test_sublevel_method_and_gradcheck(self):
        s = _cone()
        f = torch.tensor([0.3, 1.7, 0.2, 2.5, 0.9], dtype=torch.float64, requires_grad=True)

        def finite_sum(f):
            return sum(
                torch.where(torch.isfinite(b), b, 0.0).sum() * (k + 1)
                for k, b in enumerate(s.sublevel(f, 1))
            )

        assert torch.autograd.gradcheck(finite_sum, (f,))
        assert len(s.sublevel(f, 1)[0]) == 5 and len(s.sublevel(f, 1, keep_zero=False)[0]) == 1

    def test_flag_method_gradcheck(self):
        s = SimplicialComplex.full(5, 2)
        y = torch.tensor(
            [[0.0, 0.1], [1.0, 0.3], [0.2, 1.4], [1.3, 1.1], [0.6, 0.5]],
            dtype=torch.float64,
            requires_grad=True,
        )

        def finite_sum(y):
            return sum(torch.where(torch.isfinite(b), b, 0.0).sum() for b in s.flag(y, 1))

        assert torch.autograd.gradcheck(finite_sum, (y,))

    def test_flag_gradient_on_coincident_points_is_zero(self):
        s = SimplicialComplex([[0, 1]])
        y = torch.zeros(2, 2, requires_grad=True)
        (h0,) = s.flag(y, 0)
        h0[torch.isfinite(h0)].sum().backward()
        assert torch.equal(y.grad, torch.zeros(2, 2))

    def test_append_after_use_and_bad_inputs(self):
        s = _cone()
        with pytest.raises(RuntimeError, match="already built"):
            s.append([0, 5])
        with pytest.raises(ValueError, match="extendFloat"):
            persistenceForwardCohom(_cone(), 1)
        with pytest.raises(ValueError, match="one value per vertex"):
            s.extendFloat(torch.zeros(4))
        with pytest.raises(TypeError, match="f must"):
            s.extendFloat(torch.zeros(5, dtype=torch.int64))
        with pytest.raises(ValueError, match="finite"):
            s.extendFloat(torch.tensor([0.0, 1.0, math.nan, 0.0, 0.0]))
        with pytest.raises(ValueError, match=r"y must have shape \(5, D\)"):
            s.extendFlag(torch.zeros(4, 2))
        with pytest.raises(ValueError, match="maxdim"):
            s.sublevel(torch.zeros(5), -1)
        with pytest.raises(ValueError, match="alg must be 0 or 1"):
            persistenceForwardHom(s, 1, 2)
        with pytest.raises(TypeError, match="X must be"):
            persistenceForwardCohom(object(), 1)
        s.extendFloat(torch.zeros(5))
        persistenceForwardCohom(s, 1)
        with pytest.raises(ValueError, match="grad_res"):
            persistenceBackward(s, [torch.zeros(1, 2)])
        with pytest.raises(ValueError, match="extendFlag"):
            persistenceBackwardFlag(s, torch.zeros(5, 2), [])


class TestSubLevelSetDiagram:
    def test_signal_fixture_every_pair_and_gradient(self):
        X = SimplicialComplex.path(4)
        f = torch.tensor([0.0, 2.0, 1.0, 3.0], requires_grad=True)
        (h0,) = SubLevelSetDiagram.apply(X, f, 0)
        assert sorted(h0.tolist()) == [[0.0, INF], [1.0, 2.0], [2.0, 2.0], [3.0, 3.0]]
        bar = h0[(h0[:, 0] == 1.0)][0]
        (bar[1] - bar[0]).backward()
        assert f.grad.tolist() == [0.0, 1.0, -1.0, 0.0]

    def test_image_shaped_input_keeps_its_shape_in_the_gradient(self):
        from topolayer.compat.nn.levelset import init_freudenthal_2d

        X = init_freudenthal_2d(3, 2)
        f = torch.tensor([[0.0, 5.0, 1.0], [4.0, 3.0, 2.0]], requires_grad=True)
        h0, h1 = SubLevelSetDiagram().apply(X, f, 1, "cohom")
        assert len(h0) == 6
        assert _nonzero(h0) == [[0.0, INF], [1.0, 3.0]] and _nonzero(h1) == []
        h0[torch.isfinite(h0)].sum().backward()
        assert f.grad.shape == (2, 3)

    def test_superlevel_by_negation_as_the_reference_layers_did(self):
        X = SimplicialComplex.path(3)
        f = torch.tensor([1.0, 0.0, 1.0])
        (h0,) = SubLevelSetDiagram.apply(X, -f, 0)
        assert _nonzero(-h0) == [[1.0, -INF], [1.0, 0.0]]

    def test_bad_arguments(self):
        X = SimplicialComplex.path(3)
        with pytest.raises(ValueError, match="alg must be"):
            SubLevelSetDiagram.apply(X, torch.zeros(3), 0, "fast")
        with pytest.raises(TypeError, match="X must be"):
            SubLevelSetDiagram.apply([[0, 1]], torch.zeros(3), 0)
        with pytest.raises(ValueError, match="one value per vertex"):
            SubLevelSetDiagram.apply(X, torch.zeros(2, 2), 0)


class TestFlagDiagram:
    def test_square_fixture(self):
        from topolayer.compat.util.construction import clique_complex

        X = clique_complex(4, 2)
        X.initialize()
        x = torch.tensor([[1.0, 1], [1, -1], [-1, -1], [-1, 1]], requires_grad=True)
        h0, h1 = FlagDiagram.apply(X, x, 1)
        assert len(h0) == 4 and len(h1) == 6 - 4 + 1
        assert _nonzero(h0) == [[0.0, 2.0]] * 3 + [[0.0, INF]]
        assert _nonzero(h1) == [[2.0, pytest.approx(2 * math.sqrt(2))]]
        (h1[h1[:, 0] != h1[:, 1]][0, 1]).backward()
        # the death is a diagonal (both tie; the first in the (value, dimension, index) order, the
        # edge 0-2): its endpoints move apart along it
        r = 1 / math.sqrt(2)
        assert torch.allclose(x.grad, torch.tensor([[r, r], [0, 0], [-r, -r], [0, 0]]))

    def test_float64_stays_float64_and_bad_points(self):
        X = SimplicialComplex([[0, 1], [1, 2], [0, 2]])
        h0, h1 = FlagDiagram.apply(X, _triangle_points(), 1)
        assert h0.dtype == torch.float64 and h1.tolist() == [[5.0, INF]]
        with pytest.raises(ValueError, match=r"y must have shape \(3, D\)"):
            FlagDiagram.apply(X, torch.zeros(3), 1)
        with pytest.raises(ValueError, match="finite"):
            FlagDiagram.apply(X, torch.full((3, 2), math.inf), 1)


def test_nn_rips_module_path():
    from topolayer.compat.nn import RipsLayer as exported
    from topolayer.compat.nn.rips import FlagDiagram as flag_diagram
    from topolayer.compat.nn.rips import RipsLayer, clique_complex

    assert RipsLayer is exported and flag_diagram is FlagDiagram
    square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    dgms, issub = RipsLayer(4, maxdim=1)(square)
    # the layer and FlagDiagram on the clique complex agree (up to zero-length bars)
    via_flag = FlagDiagram.apply(clique_complex(4, 2), square, 1)
    for a, b in zip(dgms, via_flag, strict=True):
        assert sorted(a.tolist()) == _nonzero(b)
    assert issub is True
