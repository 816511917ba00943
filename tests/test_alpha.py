"""Alpha layer: GUDHI AlphaComplex (squared radii) and flag-on-Delaunay oracles, gradients, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import assert_same_bars, canon
from hypothesis import given, settings
from hypothesis import strategies as st

from topolayer.diagram import Diagram, DiagramBatch
from topolayer.functional.alpha import alpha
from topolayer.nn.alpha import Alpha, AlphaLayer

gudhi = pytest.importorskip("gudhi")
scipy_spatial = pytest.importorskip("scipy.spatial")


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def assert_same(ours, theirs, rtol=1e-7, atol=1e-9):
    assert_same_bars(ours, theirs, rtol, atol)


def gudhi_alpha(p, max_dim):
    st = gudhi.AlphaComplex(points=p).create_simplex_tree()
    st.compute_persistence(homology_coeff_field=2)  # ours is over Z/2 (a Möbius band tells)
    # GUDHI's filtration values are squared radii.
    return [np.sqrt(st.persistence_intervals_in_dimension(k)) for k in range(max_dim + 1)]


def gudhi_weak(p, max_dim):
    tri = scipy_spatial.Delaunay(p)
    st = gudhi.SimplexTree()
    for s in tri.simplices:
        st.insert([int(v) for v in s], 0.0)
    for s, _ in list(st.get_simplices()):
        val = max(
            (np.linalg.norm(p[a] - p[b]) for i, a in enumerate(s) for b in s[i + 1 :]), default=0.0
        )
        st.assign_filtration(s, val)
    st.make_filtration_non_decreasing()
    st.compute_persistence(homology_coeff_field=2)
    return [st.persistence_intervals_in_dimension(k) for k in range(max_dim + 1)]


def noisy_circle(rng, n, noise=0.05):
    t = rng.uniform(0, 2 * np.pi, n)
    return np.stack([np.cos(t), np.sin(t)], 1) + noise * rng.standard_normal((n, 2))


def noisy_sphere(rng, n, noise=0.02):
    v = rng.standard_normal((n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True) + noise * rng.standard_normal((n, 3))


def grid(k, jitter=0.0, rng=None):
    a = np.arange(k, dtype=np.float64)
    g = np.stack(np.meshgrid(a, a), -1).reshape(-1, 2)
    return g if not jitter else g + jitter * rng.standard_normal(g.shape)


# Qhull's triangulated output ('Qt') on degenerate 3D input holds flat tetrahedra: four coplanar
# vertices whose faces are both triangulations of their polygon. Here a rectangle on the hull
# (it gave a false H2 bar) and one between two Delaunay cells (it gave another).
FLAT_ON_HULL = [(0, 1, 0), (0, 2, 0), (1, 0, 1), (1, 2, 0), (0, 0, 1), (2, 0, 0), (2, 2, 0)]
FLAT_INSIDE = [
    (0, 1, 0),
    (1, 0, 2),
    (1, 1, 1),
    (2, 2, 0),
    (2, 2, 1),
    (2, 3, 0),
    (3, 0, 1),
    (3, 2, 0),
    (3, 2, 2),
    (3, 3, 3),
]


def has_flat_top_simplex(p):
    tri = scipy_spatial.Delaunay(p)
    v = p[tri.simplices[:, 1:]] - p[tri.simplices[:, :1]]
    return bool((np.abs(np.linalg.det(v)) < 1e-12).any())


def degenerate_3d_clouds():
    a = np.arange(3.0)
    grid3 = np.stack(np.meshgrid(a, a, a), -1).reshape(-1, 3)
    cube = grid3[(grid3 != 1).all(1)] / 2  # 8 cospherical points
    yield "flat_on_hull", np.array(FLAT_ON_HULL, dtype=np.float64)
    yield "flat_inside", np.array(FLAT_INSIDE, dtype=np.float64)
    yield "cube_corners", cube
    yield "cube_and_octahedron", np.concatenate([cube - 0.5, 1.5 * np.eye(3), -1.5 * np.eye(3)])
    yield "grid_0_2_cubed", grid3
    yield "grid_tenths", grid3 * 0.1 + 0.3  # rounded coordinates: Qhull bends, flats on the hull
    yield "grid_subset", np.unique(np.random.default_rng(5).integers(0, 4, (40, 3)), axis=0) * 1.0
    yield "duplicates", np.concatenate([grid3[::2], grid3[:5]])


def clouds(rng):
    yield "uniform2d", rng.random((150, 2))
    yield "uniform3d", rng.random((120, 3))
    yield "circle", noisy_circle(rng, 100)
    yield "sphere", noisy_sphere(rng, 100)
    yield "grid_near_ties", grid(7, 1e-6, rng)


class TestAlpha:
    def test_square_known_values(self):
        # Unit square: edges enter at 1/2, the diagonal and triangles at sqrt(2)/2.
        x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], dtype=torch.float64)
        d = alpha(x, max_dim=1)
        assert isinstance(d, Diagram)
        np.testing.assert_allclose(canon(d[0].numpy())[:3], [[0, 0.5]] * 3)
        np.testing.assert_allclose(d[1].numpy(), [[0.5, math.sqrt(0.5)]])

    def test_obtuse_triangle_edge_is_attached(self):
        # The long edge of an obtuse triangle is not Gabriel: it enters with the triangle.
        x = torch.tensor([[0.0, 0.0], [4.0, 0.0], [2.0, 0.5]], dtype=torch.float64)
        d = alpha(x, max_dim=1, keep_zero=True)
        r = 4.25 * 4 / (4 * 1.0)  # circumradius a b c / (4 area), a = b = sqrt(4.25), c = 4, area 1
        np.testing.assert_allclose(
            d[1].numpy(), [[r, r]]
        )  # zero-length: edge and triangle together
        assert len(alpha(x, max_dim=1)[1]) == 0
        vals = sorted(d[0][:, 1].tolist())
        assert vals[-1] == math.inf
        assert vals[:2] == pytest.approx([math.sqrt(4.25) / 2] * 2)

    @pytest.mark.parametrize("case", range(5))
    def test_matches_gudhi_alpha(self, rng, case):
        name, p = list(clouds(rng))[case]
        max_dim = p.shape[1] - 1
        d = alpha(torch.tensor(p), max_dim=max_dim)
        ref = gudhi_alpha(p, max_dim)
        for k in range(max_dim + 1):
            assert_same(d[k].detach().numpy(), ref[k])

    def test_duplicates_match_gudhi(self, rng):
        p = rng.random((60, 2))
        q = np.concatenate([p, p[:10]])
        d = alpha(torch.tensor(q), max_dim=1)
        ref = gudhi_alpha(p, 1)  # GUDHI drops duplicates; they only add zero-length bars
        for k in range(2):
            assert_same(d[k].numpy(), ref[k])
        assert len(alpha(torch.tensor(q), max_dim=0, keep_zero=True)[0]) == len(q)

    @pytest.mark.parametrize("case", range(5))
    def test_weak_matches_flag_filtration_of_delaunay(self, rng, case):
        name, p = list(clouds(rng))[case]
        max_dim = p.shape[1] - 1
        d = alpha(torch.tensor(p), max_dim=max_dim, weak=True)
        ref = gudhi_weak(p, max_dim)
        for k in range(max_dim + 1):
            assert_same(d[k].detach().numpy(), ref[k])

    def test_exact_grid_ties(self):
        p = grid(6)
        d = alpha(torch.tensor(p), max_dim=1)
        assert_same(d[0].numpy(), np.array([[0, 0.5]] * 35 + [[0, np.inf]]))
        assert len(d[1]) == 25  # every unit square is a hole from 1/2 to sqrt(2)/2
        np.testing.assert_allclose(d[1].numpy(), [[0.5, math.sqrt(0.5)]] * 25)

    @staticmethod
    def _flat_case_matches_gudhi(points):
        # Qhull lays a flat top simplex in this cloud; the diagram still equals GUDHI's.
        p = np.array(points, dtype=np.float64)
        assert has_flat_top_simplex(p)
        d = alpha(torch.tensor(p), max_dim=2)
        ref = gudhi_alpha(p, 2)
        for k in range(3):
            assert_same(d[k].numpy(), ref[k], rtol=1e-9, atol=1e-9)
        return d

    def test_flat_tetrahedron_on_the_hull_adds_no_h2_bar(self):
        d = self._flat_case_matches_gudhi(FLAT_ON_HULL)
        assert len(d[2]) == 1  # the one void; the rectangle's second triangulation made another

    def test_flat_tetrahedron_inside_takes_the_value_of_its_cells(self):
        d = self._flat_case_matches_gudhi(FLAT_INSIDE)
        assert len(d[2]) == 0

    @pytest.mark.parametrize("case", range(8))
    def test_degenerate_3d_clouds_match_gudhi(self, case):
        name, p = list(degenerate_3d_clouds())[case]
        x = torch.tensor(p, requires_grad=True)
        d = alpha(x, max_dim=2)
        ref = gudhi_alpha(np.unique(p, axis=0), 2)
        for k in range(3):
            assert_same(d[k].detach().numpy(), ref[k], rtol=1e-9, atol=1e-9)
        assert int(torch.isinf(d[0][:, 1]).sum()) == 1
        assert not torch.isinf(d[1][:, 1]).any() and not torch.isinf(d[2][:, 1]).any()
        (d[0][:-1, 1].sum() + d[1].sum() + d[2].sum()).backward()
        assert torch.isfinite(x.grad).all()

    def test_collinear_points_on_the_hull_in_the_plane(self):
        # Three collinear hull points at inexact coordinates: Qhull adds a zero-area triangle.
        p = np.array([[1, 0], [1, 3], [2, 2], [3, 1]]) * 0.1 + 0.3
        assert has_flat_top_simplex(p)
        d = alpha(torch.tensor(p), max_dim=1)
        ref = gudhi_alpha(p, 1)
        for k in range(2):
            assert_same(d[k].numpy(), ref[k], rtol=1e-9, atol=1e-9)

    @pytest.mark.parametrize("seed", [1, 9])
    def test_thin_real_tetrahedra_keep_their_values(self, seed):
        # Uniform clouds of a few thousand points hold real Delaunay tetrahedra thinner than
        # 1e-6 (relative volume), mostly on the hull; they are no rounding artefact, so every
        # simplex must carry GUDHI's exact value (the thin one's huge radius included).
        from topolayer._ops.alpha import _filtration

        p = np.random.default_rng(seed).random((3000, 3))
        tets = np.sort(scipy_spatial.Delaunay(p).simplices, axis=1)
        v = p[tets[:, 1:]] - p[tets[:, :1]]
        rel = np.abs(np.linalg.det(v)) / ((v * v).sum((1, 2)) / 3) ** 1.5
        assert rel.min() < 1e-6  # the fixture holds a thin tetrahedron
        simplices, _, value, _ = _filtration(p, False)
        ours = {}
        at = 0
        for s in simplices:
            for row in np.asarray(s):
                ours[tuple(sorted(row.tolist()))] = value[at]
                at += 1
        st = gudhi.AlphaComplex(points=p).create_simplex_tree()
        theirs = {tuple(sorted(s)): f for s, f in st.get_simplices()}
        assert ours.keys() == theirs.keys()
        got = np.array([ours[s] for s in theirs])
        want = np.array(list(theirs.values()))
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)
        d = alpha(torch.tensor(p), max_dim=2)
        ref = gudhi_alpha(p, 2)
        for k in range(3):
            assert_same(d[k].numpy(), ref[k])

    @pytest.mark.parametrize("jitter", [1e-12, 1e-9, 1e-7])
    def test_near_degenerate_3d_grids_match_gudhi(self, rng, jitter):
        # Within Qhull's own rounding of a degeneracy, thin simplices are taken for flat: the
        # diagram stays within a few jitters of GUDHI's exact one (no spurious or missing bars).
        for _ in range(10):
            p = np.unique(rng.integers(0, 4, (30, 3)), axis=0).astype(np.float64)
            p += jitter * rng.standard_normal(p.shape)
            d = alpha(torch.tensor(p), max_dim=2)
            ref = gudhi_alpha(p, 2)
            for k in range(3):  # (bottleneck_distance is unreliable on near-diagonal points)
                ours, theirs = (a[a[:, 1] - a[:, 0] > 1e-6] for a in (d[k].numpy(), ref[k]))
                assert gudhi.bottleneck_distance(ours, theirs) < 1e-5

    def test_weak_keeps_qhull_delaunay_on_degenerate_clouds(self):
        for _, p in degenerate_3d_clouds():
            d = alpha(torch.tensor(p), max_dim=2, weak=True)
            ref = gudhi_weak(p, 2)
            for k in range(3):
                assert_same(d[k].numpy(), ref[k])

    def test_collinear_and_coplanar_points(self, rng):
        t = rng.random(20)
        line = np.stack([t, 2 * t], 1)
        d = alpha(torch.tensor(line), max_dim=1)
        s = np.sort(t)
        gaps = np.sort(np.diff(s) * math.sqrt(5) / 2)
        np.testing.assert_allclose(np.sort(d[0][:-1, 1].numpy()), gaps)
        assert len(d[1]) == 0
        flat = np.concatenate([rng.random((40, 2)), np.zeros((40, 1))], 1)
        d3 = alpha(torch.tensor(flat), max_dim=2)
        ref = gudhi_alpha(flat[:, :2], 1)
        for k in range(2):
            assert_same(d3[k].numpy(), ref[k])
        assert len(d3[2]) == 0

    @pytest.mark.parametrize("weak", [False, True])
    def test_planar_dual_union_find_equals_general_reduction(self, rng, weak):
        from topolayer import _core
        from topolayer._ops.alpha import _filtration

        p = np.concatenate([rng.random((200, 2)), grid(5) / 5])  # generic points and exact ties
        simplices, facets, value, _ = _filtration(p, weak)  # the C++ core's filtered complex
        edges, t = simplices[1], simplices[2]
        planar = _core.planar_pairs(len(p), edges, facets[2], value, 1, True)
        # The general core lists triangles lexicographically: permute their values to match.
        order = np.lexsort((t[:, 2], t[:, 1], t[:, 0]))
        nve = len(p) + len(edges)
        gvalue = np.concatenate([value[:nve], value[nve:][order]])
        cplx = _core.Complex([np.zeros((0, 1), np.int64), edges, t], len(p))
        general = _core.filtration(cplx, gvalue[None, :], 1, True, 1)
        for k in range(2):
            a, b = np.asarray(planar[k]), np.asarray(general[k])
            va = np.stack([value[a[:, 1]], np.where(a[:, 2] >= 0, value[a[:, 2]], np.inf)], 1)
            vb = np.stack([gvalue[b[:, 1]], np.where(b[:, 2] >= 0, gvalue[b[:, 2]], np.inf)], 1)
            assert len(a) == len(b)
            assert_same(va, vb, rtol=0, atol=0)

    def test_single_point(self):
        d = alpha(torch.zeros(1, 2), max_dim=1)
        assert d[0].tolist() == [[0.0, math.inf]] and len(d[1]) == 0

    def test_gradcheck(self, rng):
        x = torch.tensor(rng.random((12, 2)), requires_grad=True)
        assert len(alpha(x, max_dim=1)[1]) > 0
        torch.autograd.gradcheck(
            lambda x: (lambda d: (d[0][:-1, 1], d[1][:, 0], d[1][:, 1]))(alpha(x)), (x,)
        )
        torch.autograd.gradcheck(lambda x: alpha(x, weak=True)[1], (x,))
        y = torch.tensor(noisy_sphere(rng, 14, 0.1), requires_grad=True)
        torch.autograd.gradcheck(lambda y: (lambda d: (d[1], d[2]))(alpha(y, max_dim=2)), (y,))

    def test_values_are_radii_of_critical_simplices(self, rng):
        x = torch.tensor(rng.random((40, 2)))
        d = alpha(x, max_dim=1)
        assert d.indices[1].shape == (len(d[1]), 6)
        # A death is a triangle's circumradius (or an edge's half length when it is attached).
        for row, (_, death) in zip(d.indices[1].tolist(), d[1].tolist(), strict=True):
            verts = [v for v in row[3:] if v >= 0]
            pts = x[verts]
            if len(verts) == 3:
                a_, b_, c_ = (
                    (pts[0] - pts[1]).norm(),
                    (pts[1] - pts[2]).norm(),
                    (pts[0] - pts[2]).norm(),
                )
                area = (
                    abs(
                        float(
                            (pts[1] - pts[0])[0] * (pts[2] - pts[0])[1]
                            - (pts[1] - pts[0])[1] * (pts[2] - pts[0])[0]
                        )
                    )
                    / 2
                )
                assert death == pytest.approx(float(a_ * b_ * c_) / (4 * area))

    def test_opcheck(self, rng):
        x = torch.tensor(rng.random((30, 2)))
        for args in (
            (x, torch.tensor([30]), 1, False, False),
            (x, torch.tensor([12, 18]), 0, True, True),
            (torch.tensor(rng.random((20, 3))), torch.tensor([20]), 2, False, False),
        ):
            torch.library.opcheck(torch.ops.topolayer.alpha_pairs.default, args)

    def test_compile_fullgraph_no_graph_breaks(self, rng):
        x = torch.tensor(rng.random((40, 2)), requires_grad=True)

        def loss(x):
            d = alpha(x, max_dim=1)
            return (d[1][:, 1] - d[1][:, 0]).pow(2).sum() + d[0][:-1, 1].sum()

        torch._dynamo.reset()
        with torch._dynamo.config.patch(capture_dynamic_output_shape_ops=True):
            assert torch._dynamo.explain(loss)(x).graph_break_count == 0
        torch._dynamo.reset()
        got = torch.compile(loss, fullgraph=True, backend="aot_eager")(x)
        ref = loss(x)
        torch.testing.assert_close(got, ref)
        torch.testing.assert_close(torch.autograd.grad(got, x)[0], torch.autograd.grad(ref, x)[0])

    def test_batch_equals_loop(self, rng):
        x = torch.tensor(rng.random((3, 30, 2)))
        b = alpha(x, max_dim=1)
        assert isinstance(b, DiagramBatch) and len(b) == 3
        for i in range(3):
            one = alpha(x[i], max_dim=1)
            for k in range(2):
                torch.testing.assert_close(b[i][k], one[k])
        lst = alpha([x[0], x[1, :10]], max_dim=1)
        torch.testing.assert_close(lst[1][1], alpha(x[1, :10], max_dim=1)[1])

    @staticmethod
    def _mixed_batch(rng, dim):
        # Generic and degenerate clouds together: exact grids (ties, flat simplices), duplicates,
        # a collinear or coplanar cloud, a single point.
        if dim == 2:
            line = np.stack([np.arange(7.0), 2 * np.arange(7.0)], 1)
            items = [rng.random((40, 2)), grid(5), line, np.concatenate([grid(4), grid(4)[:3]])]
        else:
            items = [
                rng.random((40, 3)),
                np.array(FLAT_INSIDE, float),
                np.array(FLAT_ON_HULL, float),
            ]
            items.append(np.concatenate([rng.random((20, 2)), np.zeros((20, 1))], 1))
        return [torch.tensor(p) for p in items + [np.zeros((1, dim))]]

    @pytest.mark.parametrize("dim", [2, 3])
    @pytest.mark.parametrize("weak", [False, True])
    def test_batch_equals_loop_of_singles_exactly(self, rng, dim, weak):
        items = self._mixed_batch(rng, dim)
        b = alpha(items, max_dim=dim - 1, weak=weak, keep_zero=True)
        for i, x in enumerate(items):
            one = alpha(x, max_dim=dim - 1, weak=weak, keep_zero=True)
            for k in range(dim):
                assert torch.equal(b[i][k], one[k])
                assert torch.equal(b[i].indices[k], one.indices[k])

    @pytest.mark.parametrize("dim", [2, 3])
    def test_thread_counts_give_identical_results(self, rng, dim):
        # Large enough that the clouds are triangulated on threads too.
        items = self._mixed_batch(rng, dim) * 3
        items += [torch.tensor(rng.random((1500, dim))) for _ in range(3)]
        flat = torch.cat(items)
        counts = torch.tensor([len(t) for t in items])
        for weak in (False, True):
            outs = [
                torch.ops.topolayer.alpha_pairs(flat, counts, dim - 1, weak, False, n)
                for n in (1, 2, 4)
            ]
            for out in outs[1:]:
                assert len(out) == len(outs[0])
                assert all(torch.equal(a, b) for a, b in zip(out, outs[0], strict=True))
        one = alpha(items, max_dim=dim - 1, n_threads=1)
        two = Alpha(max_dim=dim - 1, n_threads=2)(items)
        for k in range(dim):
            assert torch.equal(one.bars[k], two.bars[k])
            assert torch.equal(one.indices[k], two.indices[k])

    def test_bad_n_threads(self):
        with pytest.raises(ValueError, match="n_threads"):
            alpha(torch.rand(5, 2), n_threads=0)

    def test_float32(self, rng):
        p = rng.random((50, 2))
        a = alpha(torch.tensor(p, dtype=torch.float32), max_dim=1)
        assert a[1].dtype == torch.float32
        assert_same(
            a[1].numpy(), alpha(torch.tensor(p), max_dim=1)[1].numpy(), rtol=1e-4, atol=1e-6
        )

    @pytest.mark.parametrize(
        "x, kwargs, err, match",
        [
            (torch.tensor([[0.0, 1.0], [float("nan"), 0.0], [1.0, 1.0]]), {}, ValueError, "finite"),
            (torch.zeros(0, 2), {}, ValueError, "N = 0"),
            (torch.zeros(5, 4), {}, ValueError, r"\(N, 2\) or \(N, 3\)"),
            (torch.zeros(5), {}, ValueError, "point cloud"),
            (torch.zeros(4, 2, dtype=torch.int32), {}, TypeError, "floating"),
            (torch.zeros(4, 2), {"max_dim": 3}, ValueError, "max_dim"),
            ([], {}, ValueError, "empty"),
        ],
    )
    def test_bad_input(self, x, kwargs, err, match):
        with pytest.raises(err, match=match):
            alpha(x, **kwargs)


class TestAlphaModules:
    def test_alpha_module(self, rng):
        m = Alpha(max_dim=1)
        assert repr(m) == "Alpha(max_dim=1)"
        assert repr(Alpha(weak=True)) == "Alpha(max_dim=1, weak=True)"
        assert isinstance(m(torch.rand(20, 2)), Diagram)

    def test_alpha_layer_reference_interface(self, rng):
        p = rng.random((40, 2))
        layer = AlphaLayer(maxdim=1)
        dgms, issub = layer(torch.tensor(p, dtype=torch.float32))
        assert issub is True and isinstance(dgms, tuple) and len(dgms) == 2
        ref = gudhi_weak(p, 1)
        for k in range(2):
            assert_same(dgms[k].numpy(), ref[k], rtol=1e-5, atol=1e-6)
        assert AlphaLayer().maxdim == 0 and "maxdim=0" in repr(AlphaLayer())
        with pytest.raises(ValueError, match="alg"):
            AlphaLayer(alg="x")

    def test_topological_noise_step(self, rng):
        # The paper's regulariser (b): +E(2,0,2; PD0) pulls points together.
        x = torch.tensor(rng.random((100, 2)), requires_grad=True)
        layer = AlphaLayer(maxdim=0)
        opt = torch.optim.Adam([x], lr=1e-2)

        def energy():
            (h0,), _ = layer(x)
            lengths = (h0[:, 1] - h0[:, 0])[torch.isfinite(h0[:, 1])]
            return lengths.sort(descending=True).values[1:].pow(2).sum()

        e0 = energy().item()
        for _ in range(10):
            opt.zero_grad()
            energy().backward()
            opt.step()
        assert energy().item() < e0


@pytest.mark.slow
class TestAlphaSlow:
    def test_large_clouds_match_gudhi(self, rng):
        for p in (rng.random((3000, 2)), rng.random((1500, 3))):
            max_dim = p.shape[1] - 1
            d = alpha(torch.tensor(p), max_dim=max_dim)
            ref = gudhi_alpha(p, max_dim)
            for k in range(max_dim + 1):
                assert_same(d[k].numpy(), ref[k])


class TestAlphaProperties:
    """Hypothesis: integer clouds (cocircular points, collinear runs, duplicates) against GUDHI."""

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=3, max_size=25))
    def test_integer_clouds_match_gudhi(self, pts):
        p = np.asarray(pts, dtype=np.float64)
        if np.linalg.matrix_rank(p - p.mean(0)) < 2:  # GUDHI needs full-dimensional clouds
            return
        d = alpha(torch.tensor(p), max_dim=1)
        ref = gudhi_alpha(np.unique(p, axis=0), 1)
        for k in range(2):
            assert_same(d[k].numpy(), ref[k], rtol=1e-9, atol=1e-9)
        assert int(torch.isinf(d[0][:, 1]).sum()) == 1 and not torch.isinf(d[1][:, 1]).any()

    @settings(max_examples=30, deadline=None)
    @given(
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
            min_size=4,
            max_size=20,
        )
    )
    def test_cospherical_grid_clouds_match_gudhi_in_3d(self, pts):
        # Grids make Qhull emit flat tetrahedra; their values and gradients must stay sound.
        p = np.asarray(pts, dtype=np.float64)
        if np.linalg.matrix_rank(p - p.mean(0)) < 3:
            return
        x = torch.tensor(p, requires_grad=True)
        d = alpha(x, max_dim=2)
        ref = gudhi_alpha(np.unique(p, axis=0), 2)
        for k in range(3):
            assert_same(d[k].detach().numpy(), ref[k], rtol=1e-9, atol=1e-9)
        (d[0][:-1, 1].sum() + d[1].sum() + d[2].sum()).backward()
        assert torch.isfinite(x.grad).all()

    @settings(max_examples=30, deadline=None)
    @given(
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
            min_size=4,
            max_size=30,
        ),
        st.sampled_from([0.1, 0.37, 1 / 3]),
    )
    def test_grid_clouds_at_inexact_spacing_match_gudhi_in_3d(self, pts, spacing):
        # Rounded coordinates: Qhull's flat tetrahedra are then coplanar but not concyclic.
        p = np.asarray(pts, dtype=np.float64) * spacing + 0.3
        if np.linalg.matrix_rank(p - p.mean(0)) < 3:
            return
        d = alpha(torch.tensor(p), max_dim=2)
        ref = gudhi_alpha(np.unique(p, axis=0), 2)
        for k in range(3):
            assert_same(d[k].numpy(), ref[k], rtol=1e-7, atol=1e-9)
