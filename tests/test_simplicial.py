"""Level-set persistence on simplicial complexes: fixtures, oracles, gradients, ops, errors."""

import pickle

import numpy as np
import pytest
import torch
from helpers import assert_same_diagram, gudhi_diagram, random_complex

import topolayer as tl
from topolayer import SimplicialComplex, _reference
from topolayer.functional import filtration, lower_star
from topolayer.nn import LevelSetLayer, LevelSetLayer1D, LowerStar

INF = float("inf")


def finite_length_sum(d) -> torch.Tensor:
    """Sum of finite bar lengths over all dimensions, written without boolean indexing."""
    total = 0
    for b in d:
        fin = torch.isfinite(b[:, 1])
        total = total + torch.where(fin, (b[:, 1] - b[:, 0]).abs(), torch.zeros_like(b[:, 0])).sum()
    return total


def diagram_loss(d) -> torch.Tensor:
    """Lengths of finite bars plus births of essential ones: touches every bar value."""
    total = finite_length_sum(d)
    for b in d:
        total = (
            total
            + torch.where(torch.isinf(b[:, 1]), b[:, 0], torch.zeros_like(b[:, 0])).sum() * 0.5
        )
    return total


# ----------------------------------------------------------------------------------------------
# Hand fixtures


class TestHandFixtures:
    def test_signal_0213(self):
        f = torch.tensor([0.0, 2.0, 1.0, 3.0], requires_grad=True)
        d = lower_star(f, SimplicialComplex.path(4), max_dim=1)
        assert d[0].tolist() == [[1.0, 2.0], [0.0, INF]]
        assert d[1].shape == (0, 2)
        assert d.indices[0].tolist() == [[2, 1], [0, -1]]
        finite_length_sum(d).backward()
        assert f.grad.tolist() == [0.0, 1.0, -1.0, 0.0]

    def test_signal_superlevel(self):
        f = torch.tensor([0.0, 2.0, 1.0, 3.0], requires_grad=True)
        d = lower_star(f, SimplicialComplex.path(4), max_dim=0, superlevel=True)
        # Superlevel: maxima are born, components merge at the minimum between them.
        assert d.superlevel
        assert sorted(d[0].tolist()) == [[2.0, 1.0], [3.0, -INF]]
        finite_length_sum(d).backward()
        assert f.grad.tolist() == [0.0, 1.0, -1.0, 0.0]

    def test_cycle_with_bump(self):
        K = SimplicialComplex.graph(4, [(0, 1), (1, 2), (2, 3), (3, 0)])
        f = torch.tensor([0.0, 3.0, 1.0, 2.0], requires_grad=True)
        d = lower_star(f, K, max_dim=1)
        assert sorted(d[0].tolist()) == [[0.0, INF], [1.0, 2.0]]
        assert d[1].tolist() == [[3.0, INF]]
        finite_length_sum(d).backward()
        assert f.grad.tolist() == [0.0, 0.0, -1.0, 1.0]

    def test_hollow_and_filled_triangle(self):
        f = torch.tensor([0.0, 1.0, 2.0])
        hollow = SimplicialComplex([(0, 1), (1, 2), (0, 2)])
        filled = SimplicialComplex([(0, 1, 2)])
        assert lower_star(f, hollow)[1].tolist() == [[2.0, INF]]
        assert lower_star(f, filled)[1].shape == (0, 2)
        assert lower_star(f, filled)[0].tolist() == [[0.0, INF]]

    def test_triangle_bars_with_keep_zero(self):
        d = lower_star(
            torch.tensor([0.0, 1.0, 2.0]), SimplicialComplex([(0, 1, 2)]), keep_zero=True
        )
        assert sorted(d[0].tolist()) == [[0.0, INF], [1.0, 1.0], [2.0, 2.0]]
        assert d[1].tolist() == [[2.0, 2.0]]

    def test_octahedron_has_essential_h2(self):
        # Boundary of the octahedron: a 2-sphere.
        faces = [(a, b, c) for a in (0, 1) for b in (2, 3) for c in (4, 5)]
        K = SimplicialComplex(faces)
        f = torch.arange(6, dtype=torch.float64, requires_grad=True)
        d = lower_star(f, K, max_dim=2)
        # Vertices 0/1, 2/3 and 4/5 are opposite: 1 is alone until edge (1, 2) enters at 2,
        # the cycle 0-2-1-3 closes at 3 and is filled by the triangles through 4.
        assert d[0].tolist() == [[1.0, 2.0], [0.0, INF]]
        assert d[1].tolist() == [[3.0, 4.0]]
        assert d[2].tolist() == [[5.0, INF]]
        d[2][:, 0].sum().backward()
        assert f.grad.tolist() == [0, 0, 0, 0, 0, 1]

    def test_square_with_hole_dies_when_filled(self):
        # A 4-cycle whose hole is filled by two triangles through a high centre vertex 4.
        K = SimplicialComplex(
            [(0, 1), (1, 2), (2, 3), (0, 3), (0, 1, 4), (1, 2, 4), (2, 3, 4), (0, 3, 4)]
        )
        f = torch.tensor([0.0, 1.0, 0.5, 2.0, 7.0], requires_grad=True)
        d = lower_star(f, K, max_dim=1)
        assert d[1].tolist() == [[2.0, 7.0]]
        finite_length_sum(d).backward()
        # H0: vertex 2 (0.5) dies at edge 1-2 (value 1); H1: born at vertex 3, dies at vertex 4.
        assert f.grad.tolist() == [0.0, 1.0, -1.0, -1.0, 1.0]

    def test_isolated_vertices_are_components(self):
        K = SimplicialComplex([(0, 1)], n_vertices=4)
        d = lower_star(torch.tensor([0.0, 1.0, 2.0, 3.0]), K, max_dim=0)
        assert sorted(d[0].tolist()) == [[0.0, INF], [2.0, INF], [3.0, INF]]

    def test_constant_function_has_only_essential_bars(self):
        K = SimplicialComplex.grid_2d(4, 5)
        d = lower_star(torch.ones(20), K, max_dim=2)
        assert d[0].tolist() == [[1.0, INF]]
        assert d[1].shape == (0, 2) and d[2].shape == (0, 2)

    def test_single_vertex(self):
        d = lower_star(torch.tensor([3.0]), SimplicialComplex.path(1), max_dim=1)
        assert d[0].tolist() == [[3.0, INF]] and d[1].shape == (0, 2)

    def test_huge_values(self):
        f = torch.tensor([1e30, -1e30, 1e30, -1e29], dtype=torch.float64)
        d = lower_star(f, SimplicialComplex.path(4), max_dim=0)
        assert sorted(d[0].tolist()) == [[-1e30, INF], [-1e29, 1e30]]


# ----------------------------------------------------------------------------------------------
# Oracles


def _cases(rng, count):
    for _ in range(count):
        simplices, n = random_complex(rng)
        if rng.random() < 0.5:
            f = rng.integers(0, 4, size=n).astype(np.float64)  # many ties
        else:
            f = rng.standard_normal(n)
        yield simplices, n, f


def _complex(simplices, n):
    return SimplicialComplex(simplices, n_vertices=n)


class TestOracles:
    def test_lower_star_matches_gudhi_on_random_complexes(self, rng):
        for simplices, n, f in _cases(rng, 300):
            K = _complex(simplices, n)
            for superlevel in (False, True):
                g = -f if superlevel else f
                expected = gudhi_diagram(simplices, _reference.lower_star_values(simplices, g), 3)
                if superlevel:
                    expected = [-e for e in expected]
                got = lower_star(
                    torch.from_numpy(f), K, max_dim=3, superlevel=superlevel
                ).to_ripser()
                assert_same_diagram(got, expected, 3)

    def test_filtration_matches_gudhi_on_random_values(self, rng):
        for simplices, n, _ in _cases(rng, 200):
            K = _complex(simplices, n)
            # Random monotone values: a simplex gets max(faces) + a random non-negative step.
            ordered = [
                tuple(int(v) for v in K.simplices(d)[i])
                for d in range(K.dim + 1)
                for i in range(K.n_simplices[d])
            ]
            val: dict[tuple, float] = {}
            for s in ordered:
                base = (
                    max((val[s[:t] + s[t + 1 :]] for t in range(len(s))), default=0.0)
                    if len(s) > 1
                    else 0.0
                )
                val[s] = base + float(rng.integers(0, 3))
            values = np.array([val[s] for s in ordered])
            expected = gudhi_diagram(ordered, values, 3)
            got = filtration(torch.from_numpy(values), K, max_dim=3).to_ripser()
            assert_same_diagram(got, expected, 3)

    def test_filtration_pairs_equal_reference_pairs(self, rng):
        for simplices, n, _ in _cases(rng, 60):
            K = _complex(simplices, n)
            ordered = [
                tuple(int(v) for v in K.simplices(d)[i])
                for d in range(K.dim + 1)
                for i in range(K.n_simplices[d])
            ]
            f = rng.integers(0, 3, size=n).astype(np.float64)
            values = _reference.lower_star_values(ordered, f)
            expected = {
                (d, b, k) for d, b, k in _reference.persistence_pairs(ordered, values) if d <= 2
            }
            dg = filtration(torch.from_numpy(values), K, max_dim=2, keep_zero=True)
            got = {(k, int(b), int(e)) for k in range(3) for b, e in dg.indices[k].tolist()}
            assert got == expected

    def test_lower_star_equals_reference_diagram(self, rng):
        for simplices, n, f in _cases(rng, 60):
            K = _complex(simplices, n)
            expected = _reference.diagram(simplices, _reference.lower_star_values(simplices, f), 2)
            assert_same_diagram(
                lower_star(torch.from_numpy(f), K, max_dim=2).to_ripser(), expected, 2
            )

    def test_betti_numbers_satisfy_euler_characteristic(self, rng):
        for simplices, n, f in _cases(rng, 50):
            K = _complex(simplices, n)
            d = lower_star(torch.from_numpy(f), K, max_dim=K.dim)
            betti = [int(torch.isinf(d[k][:, 1]).sum()) for k in range(K.dim + 1)]
            euler = sum((-1) ** k * c for k, c in enumerate(K.n_simplices))
            assert sum((-1) ** k * b for k, b in enumerate(betti)) == euler

    def test_grid_2d_matches_gudhi(self, rng):
        K = SimplicialComplex.grid_2d(9, 11)
        simplices = list(K)
        for f in (rng.standard_normal(99), rng.integers(0, 3, 99).astype(float)):
            expected = gudhi_diagram(simplices, _reference.lower_star_values(simplices, f), 1)
            assert_same_diagram(lower_star(torch.from_numpy(f), K).to_ripser(), expected, 1)


# ----------------------------------------------------------------------------------------------
# Metamorphic and batch properties


class TestProperties:
    def test_superlevel_equals_negated_sublevel(self, rng):
        K = SimplicialComplex.grid_2d(7, 6)
        f = torch.from_numpy(rng.standard_normal(42))
        up = lower_star(f, K, superlevel=True)
        down = lower_star(-f, K)
        for k in range(2):
            assert_same_diagram([-up[k].numpy()], [down[k].numpy()], 0)

    def test_shift_equivariance(self, rng):
        K = SimplicialComplex.grid_2d(5, 8)
        f = torch.from_numpy(rng.standard_normal(40))
        a, b = lower_star(f, K), lower_star(f + 3.5, K)
        for k in range(2):
            assert_same_diagram([a[k].numpy() + 3.5], [b[k].numpy()], 0, atol=1e-12)

    def test_birth_before_death(self, rng):
        K = SimplicialComplex.grid_2d(10, 10)
        d = lower_star(torch.from_numpy(rng.standard_normal(100)), K)
        for k in range(2):
            assert (d[k][:, 0] < d[k][:, 1]).all()

    def test_batch_equals_loop_of_singles(self, rng):
        K = SimplicialComplex.grid_2d(6, 7)
        f = torch.from_numpy(rng.integers(0, 5, size=(3, 4, 42)).astype(np.float64))
        batch = lower_star(f, K, max_dim=1)
        assert batch.batch_shape == (3, 4) and len(batch) == 12
        for i, row in enumerate(f.reshape(12, 42)):
            single = lower_star(row, K, max_dim=1)
            for k in range(2):
                assert torch.equal(batch[i][k], single[k])
                assert torch.equal(batch[i].indices[k], single.indices[k])

    def test_thread_count_does_not_change_result(self, rng):
        K = SimplicialComplex.grid_2d(12, 12)
        f = torch.from_numpy(rng.integers(0, 6, size=(17, 144)).astype(np.float32))
        ref = lower_star(f, K, n_threads=1)
        for n in (2, 3, 8):
            other = lower_star(f, K, n_threads=n)
            for k in range(2):
                assert torch.equal(ref.bars[k], other.bars[k])
                assert torch.equal(ref.indices[k], other.indices[k])
                assert torch.equal(ref.batch[k], other.batch[k])

    def test_float32_close_to_float64(self, rng):
        K = SimplicialComplex.grid_2d(8, 8)
        f = rng.standard_normal(64)
        a = lower_star(torch.tensor(f, dtype=torch.float32), K)
        b = lower_star(torch.tensor(f, dtype=torch.float64), K)
        for k in range(2):
            assert_same_diagram([a[k].double().numpy()], [b[k].numpy()], 0, atol=1e-6)

    @pytest.mark.parametrize("dt", [torch.float16, torch.bfloat16])
    def test_half_precision_is_upcast_and_gathered_from_input(self, dt):
        f = torch.tensor([0.0, 2.0, 1.0, 3.0], dtype=dt, requires_grad=True)
        d = lower_star(f, SimplicialComplex.path(4), max_dim=0)
        assert d[0].dtype == dt
        finite_length_sum(d).backward()
        assert f.grad.float().tolist() == [0.0, 1.0, -1.0, 0.0]

    def test_non_contiguous_input(self, rng):
        K = SimplicialComplex.path(10)
        base = torch.from_numpy(rng.standard_normal((10, 3)))
        a, b = lower_star(base[:, 1], K), lower_star(base[:, 1].contiguous(), K)
        assert torch.equal(a[0], b[0])


# ----------------------------------------------------------------------------------------------
# Gradients and the custom op


class TestGradients:
    def test_gradcheck_lower_star(self, rng):
        K = SimplicialComplex.grid_2d(5, 5)
        f = torch.tensor(rng.standard_normal(25), dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x: diagram_loss(lower_star(x, K)), (f,))
        assert torch.autograd.gradcheck(
            lambda x: diagram_loss(lower_star(x, K, superlevel=True)), (f,)
        )

    def test_gradcheck_filtration(self, rng):
        K = SimplicialComplex([(0, 1), (1, 2), (2, 3), (0, 3), (0, 2)])
        values = torch.tensor([0.0, 0.1, 0.2, 0.3, 1.0, 1.1, 1.2, 1.3, 1.4], dtype=torch.float64)
        values = (values + torch.from_numpy(rng.uniform(0, 0.01, 9))).requires_grad_()
        assert torch.autograd.gradcheck(lambda v: diagram_loss(filtration(v, K)), (values,))

    def test_gradient_is_zero_off_critical_vertices(self, rng):
        K = SimplicialComplex.grid_2d(8, 8)
        f = torch.tensor(rng.standard_normal(64), requires_grad=True)
        d = lower_star(f, K)
        diagram_loss(d).backward()
        critical = torch.zeros(64, dtype=torch.bool)
        for k in range(2):
            idx = d.indices[k]
            critical[idx[:, 0]] = True
            critical[idx[idx[:, 1] >= 0, 1]] = True
        assert (f.grad[~critical] == 0).all()
        assert (f.grad[critical] != 0).any()

    def test_layers_are_stateless(self, rng):
        layer = LevelSetLayer1D(12)
        xs = [torch.tensor(rng.standard_normal(12), requires_grad=True) for _ in range(3)]
        total = sum(finite_length_sum(layer(x)[0]) for x in xs)
        total.backward()
        for x in xs:
            y = x.detach().clone().requires_grad_()
            finite_length_sum(lower_star(y, SimplicialComplex.path(12), max_dim=0)).backward()
            assert torch.equal(x.grad, y.grad)

    def test_opcheck(self, rng):
        K = SimplicialComplex.grid_2d(4, 4)
        K._build()
        f = torch.tensor(rng.standard_normal((2, 16)))
        torch.library.opcheck(
            torch.ops.topolayer.lower_star_pairs.default, (f, K._handle, 1, False, False, 1)
        )
        v = torch.arange(len(K), dtype=torch.float64).reshape(1, -1)
        torch.library.opcheck(
            torch.ops.topolayer.filtration_pairs.default, (v, K._handle, 1, False, 1)
        )

    def test_compile_has_no_graph_break(self, rng):
        import torch._dynamo

        K = SimplicialComplex.grid_2d(6, 6)

        def loss(x):
            return diagram_loss(lower_star(x, K, max_dim=1))

        graphs = []

        def counting_backend(gm, example_inputs):
            graphs.append(gm)
            return gm.forward

        torch._dynamo.reset()
        compiled = torch.compile(loss, fullgraph=True, backend=counting_backend)
        xc = torch.tensor(rng.standard_normal(36), requires_grad=True)
        xe = xc.detach().clone().requires_grad_()
        compiled(xc).backward()
        loss(xe).backward()
        assert len(graphs) == 1
        assert torch.allclose(xc.grad, xe.grad)


# ----------------------------------------------------------------------------------------------
# Modules


class TestModules:
    def test_level_set_layer_reference_output(self):
        K = SimplicialComplex([(0, 1), (1, 2), (2, 3), (0, 3)])
        dgms, issub = LevelSetLayer(K, maxdim=1)(torch.tensor([0.0, 3.0, 1.0, 2.0]))
        assert issub is True and isinstance(dgms, tuple) and len(dgms) == 2
        dgms, issub = LevelSetLayer(K, maxdim=1, sublevel=False)(torch.tensor([0.0, 3.0, 1.0, 2.0]))
        assert issub is False
        assert torch.isneginf(dgms[0][:, 1]).sum() == 1

    def test_level_set_layer_1d(self):
        layer = LevelSetLayer1D(4)
        dgms, issub = layer(torch.tensor([0.0, 2.0, 1.0, 3.0]))
        assert dgms[0].tolist() == [[1.0, 2.0], [0.0, INF]] and len(dgms) == 1
        assert "size=4" in repr(layer)

    def test_lower_star_module_batches(self, rng):
        m = LowerStar(SimplicialComplex.path(5), max_dim=0)
        out = m(torch.from_numpy(rng.standard_normal((3, 5))))
        assert isinstance(out, tl.DiagramBatch) and len(out) == 3
        assert "max_dim=0" in repr(m)


# ----------------------------------------------------------------------------------------------
# Bad input


class TestBadInput:
    K = SimplicialComplex.path(4)

    def test_nan(self):
        with pytest.raises(ValueError, match="f must be finite"):
            lower_star(torch.tensor([0.0, float("nan"), 1.0, 2.0]), self.K)

    def test_inf(self):
        with pytest.raises(ValueError, match="f must be finite"):
            lower_star(torch.tensor([0.0, float("inf"), 1.0, 2.0]), self.K)

    def test_wrong_length(self):
        with pytest.raises(ValueError, match=r"f must have shape \(\.\.\., 4\)"):
            lower_star(torch.zeros(5), self.K)

    def test_scalar(self):
        with pytest.raises(ValueError, match="f must have shape"):
            lower_star(torch.tensor(1.0), self.K)

    def test_integer_dtype(self):
        with pytest.raises(TypeError, match="f must have a floating dtype"):
            lower_star(torch.arange(4), self.K)

    def test_not_a_complex(self):
        with pytest.raises(TypeError, match="complex must be a topolayer.SimplicialComplex"):
            lower_star(torch.zeros(4), [(0, 1)])

    def test_negative_max_dim(self):
        with pytest.raises(ValueError, match="max_dim must be >= 0"):
            lower_star(torch.zeros(4), self.K, max_dim=-1)

    def test_bad_threads(self):
        with pytest.raises(ValueError, match="n_threads"):
            lower_star(torch.zeros(4), self.K, n_threads=0)

    def test_non_monotone_filtration_names_the_simplex(self):
        K = SimplicialComplex([(0, 1)])
        with pytest.raises(ValueError, match=r"monotone.*simplex \(0, 1\)"):
            filtration(torch.tensor([0.0, 2.0, 1.0]), K)

    def test_filtration_wrong_length(self):
        with pytest.raises(ValueError, match=r"values must have shape \(\.\.\., 3\)"):
            filtration(torch.zeros(4), SimplicialComplex([(0, 1)]))


class TestComplex:
    def test_closure_and_order(self):
        K = SimplicialComplex([(2, 0, 1), (3, 2)])
        assert K.n_simplices == [4, 4, 1]
        assert K.simplices(1).tolist() == [[0, 1], [0, 2], [1, 2], [2, 3]]
        assert K.facets(2).tolist() == [[2, 1, 0]]
        assert len(K) == 9 and K.dim == 2 and K.offset(2) == 8

    def test_arrays_and_tuples_agree(self):
        a = SimplicialComplex([(0, 1, 2), (2, 3)])
        b = SimplicialComplex([np.array([[0, 1, 2]]), np.array([[2, 3]])])
        assert list(a) == list(b)

    def test_pickle_round_trip(self):
        K = SimplicialComplex.grid_2d(3, 4)
        K2 = pickle.loads(pickle.dumps(K))
        assert list(K2) == list(K)
        f = torch.arange(12.0)
        assert torch.equal(lower_star(f, K2)[0], lower_star(f, K)[0])

    def test_append(self):
        K = SimplicialComplex()
        K.append((0, 1))
        K.append([1, 2, 3])
        assert K.n_simplices == [4, 4, 1]
        with pytest.raises(RuntimeError, match="append"):
            K.append((4, 5))

    def test_clique_complex(self):
        edges = [(0, 1), (1, 2), (0, 2), (2, 3), (0, 3), (1, 3)]
        K = SimplicialComplex.clique(4, edges, max_dim=3)
        assert K.n_simplices == [4, 6, 4, 1]
        assert SimplicialComplex.clique(4, edges, max_dim=2).n_simplices == [4, 6, 4]

    def test_constructors(self):
        assert SimplicialComplex.path(5).n_simplices == [5, 4]
        assert SimplicialComplex.grid_2d(3, 3).n_simplices == [9, 16, 8]
        assert SimplicialComplex.triangle_mesh([[0, 1, 2], [1, 2, 3]]).n_simplices == [4, 5, 2]
        assert SimplicialComplex.full(4, 2).n_simplices == [4, 6, 4]

    def test_bad_complexes(self):
        with pytest.raises(ValueError, match="empty"):
            SimplicialComplex([]).n_vertices
        with pytest.raises(ValueError, match="repeats vertex"):
            SimplicialComplex([(0, 0, 1)]).n_vertices
        with pytest.raises(ValueError, match="negative vertex"):
            SimplicialComplex([(0, -1)]).n_vertices
        with pytest.raises(IndexError, match="out of range"):
            SimplicialComplex([(0, 5)], n_vertices=3).n_vertices
        with pytest.raises(TypeError, match="integers"):
            SimplicialComplex([(0.5, 1.0)]).n_vertices
        with pytest.raises(ValueError, match="n must be >= 1"):
            SimplicialComplex.path(0)
