"""Vietoris–Rips layer: oracles (ripser.py, GUDHI), gradients, batching, compile, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from helpers import assert_same_bars, examples, grid, noisy_circle, noisy_sphere, oracle
from hypothesis import given, settings
from hypothesis import strategies as st

from topolayer.diagram import Diagram, DiagramBatch
from topolayer.functional.rips import rips
from topolayer.nn.rips import RipsLayer, VietorisRips

ripser = oracle("ripser")
gudhi = oracle("gudhi")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def assert_same(ours, theirs, rtol=1e-5, atol=1e-6):
    assert_same_bars(ours, theirs, rtol, atol)


def ripser_dgms(p, max_dim, thresh=np.inf):
    return ripser.ripser(np.asarray(p, dtype=np.float64), maxdim=max_dim, thresh=thresh)["dgms"]


def gudhi_dgms(p, max_dim):
    st = gudhi.RipsComplex(points=p).create_simplex_tree(max_dimension=max_dim + 1)
    st.compute_persistence(homology_coeff_field=2)
    return [st.persistence_intervals_in_dimension(k) for k in range(max_dim + 1)]


def clouds(rng):
    yield "uniform2d", rng.random((60, 2)), 1
    yield "uniform3d", rng.random((40, 3)), 2
    yield "circle", noisy_circle(rng, 80), 1
    yield "sphere", noisy_sphere(rng, 50), 2
    yield "grid_ties", grid(6), 2
    dup = rng.random((20, 2))
    yield "duplicates", np.concatenate([dup, dup[:7], dup[:3]]), 1


class TestRips:
    # -- smoke and shapes ------------------------------------------------------------------
    def test_circle_has_one_loop_with_known_values(self):
        n = 12
        t = torch.arange(n, dtype=torch.float64) * (2 * math.pi / n)
        x = torch.stack([t.cos(), t.sin()], 1)
        d = rips(x, max_dim=1)
        assert isinstance(d, Diagram)
        side = 2 * math.sin(math.pi / n)
        assert len(d[1]) == 1
        # Born when the polygon closes, dies when the triangles that span the disc appear.
        assert d[1][0, 0].item() == pytest.approx(side)
        assert d[1][0, 1].item() == pytest.approx(math.sqrt(3))  # the equilateral triangle 0, 4, 8
        h0 = d[0]
        assert len(h0) == n and torch.isinf(h0[:, 1]).sum() == 1
        np.testing.assert_allclose(h0[torch.isfinite(h0[:, 1]), 1].numpy(), side)

    def test_shapes_and_indices(self, rng):
        x = torch.tensor(rng.random((30, 2)))
        d = rips(x, max_dim=2)
        assert d.max_dim == 2
        for k in range(3):
            assert d[k].shape[1] == 2 and d[k].dtype == torch.float64
            assert d.indices[k].shape == (len(d[k]), 4) and d.indices[k].dtype == torch.int64
        # H0 births are the degenerate edge (v, v); essential deaths are -1.
        assert (d.indices[0][:, 0] == d.indices[0][:, 1]).all()
        ess = torch.isinf(d[0][:, 1])
        assert (d.indices[0][ess, 2:] == -1).all() and (d.indices[0][~ess, 2:] >= 0).all()
        # Values are the critical edges' lengths.
        i = d.indices[1]
        np.testing.assert_allclose(d[1][:, 0], (x[i[:, 0]] - x[i[:, 1]]).norm(dim=1))
        np.testing.assert_allclose(d[1][:, 1], (x[i[:, 2]] - x[i[:, 3]]).norm(dim=1))

    def test_single_point_and_all_duplicates(self):
        d = rips(torch.zeros(1, 3), max_dim=2)
        assert d[0].tolist() == [[0.0, math.inf]] and len(d[1]) == 0 and len(d[2]) == 0
        d = rips(torch.ones(5, 2), max_dim=1)
        assert d[0].tolist() == [[0.0, math.inf]] and len(d[1]) == 0
        d = rips(torch.ones(5, 2), max_dim=1, keep_zero=True)
        assert len(d[0]) == 5 and (d[0][:4, 1] == 0).all()

    # -- oracles ---------------------------------------------------------------------------
    @pytest.mark.parametrize("case", range(6))
    def test_matches_ripser(self, rng, case):
        name, p, max_dim = list(clouds(rng))[case]
        d = rips(torch.tensor(p), max_dim=max_dim)
        ref = ripser_dgms(p, max_dim)
        for k in range(max_dim + 1):
            assert_same(d[k].detach().numpy(), ref[k])

    @pytest.mark.parametrize("case", range(6))
    def test_matches_gudhi(self, rng, case):
        name, p, max_dim = list(clouds(rng))[case]
        d = rips(torch.tensor(p), max_dim=max_dim)
        ref = gudhi_dgms(p, max_dim)
        for k in range(max_dim + 1):
            assert_same(d[k].detach().numpy(), ref[k])

    @pytest.mark.parametrize("thresh", [0.08, 0.3])
    def test_threshold_matches_ripser(self, rng, thresh):
        p = rng.random((70, 2))
        d = rips(torch.tensor(p), max_dim=1, threshold=thresh)
        ref = ripser_dgms(p, 1, thresh)
        for k in range(2):
            assert_same(d[k].detach().numpy(), ref[k])
        assert torch.isinf(d[0][:, 1]).sum() == np.isinf(ref[0][:, 1]).sum() >= 1

    def test_keep_zero_full_reduction_agrees_with_fast_path(self, rng):
        # keep_zero turns off apparent pairs and the enclosing-radius cut: an independent path.
        for p in (rng.random((25, 2)), grid(4), rng.random((18, 3))):
            fast = rips(torch.tensor(p), max_dim=2)
            full = rips(torch.tensor(p), max_dim=2, keep_zero=True)
            for k in range(3):
                assert len(full[k]) >= len(fast[k])
                assert_same(full[k].numpy(), fast[k].numpy())
            assert len(full[0]) == len(p)

    def test_precomputed_equals_euclidean_and_differentiates(self, rng):
        p = torch.tensor(rng.random((40, 3)))
        dmat = torch.cdist(p, p).requires_grad_()
        a, b = rips(p, max_dim=2), rips(dmat, max_dim=2, metric="precomputed")
        for k in range(3):
            assert_same(a[k].numpy(), b[k].detach().numpy())
        b[1][:, 1].sum().backward()
        g = dmat.grad
        assert g.abs().sum() > 0
        assert int((g != 0).sum()) <= len(b[1])  # one entry per death edge

    def test_precomputed_non_euclidean_matches_ripser(self, rng):
        m = rng.random((30, 30))
        m = m + m.T
        np.fill_diagonal(m, 0)
        d = rips(torch.tensor(m), max_dim=2, metric="precomputed")
        ref = ripser.ripser(m, maxdim=2, distance_matrix=True)["dgms"]
        for k in range(3):
            assert_same(d[k].numpy(), ref[k])

    @pytest.mark.parametrize("kind", ["uniform", "duplicates", "collinear", "grid"])
    def test_delaunay_h0_equals_dense(self, rng, kind):
        p = {
            "uniform": rng.random((700, 2)),
            "duplicates": np.concatenate([rng.random((300, 3))] * 2),
            "collinear": np.stack([rng.random(600), np.zeros(600)], 1),
            "grid": grid(25),
        }[kind]
        x = torch.tensor(p)
        dense = rips(x, 0, n_threads=1, memory_budget=2.0**32, method="dense")
        tri = rips(x, 0, n_threads=1, memory_budget=2.0**32, method="delaunay")
        assert_same(tri[0].numpy(), dense[0].numpy(), rtol=1e-12, atol=1e-12)
        assert_same(rips(x, max_dim=0)[0].numpy(), dense[0].numpy())

    @pytest.mark.parametrize("max_dim, thresh", [(1, 0.08), (2, 0.25), (1, 0.0), (2, 10.0)])
    def test_sparse_equals_dense(self, rng, max_dim, thresh):
        p = np.concatenate([rng.random((150, 3)), rng.random((10, 3))[[0, 0, 1]]])  # duplicates too
        x = torch.tensor(p)
        dense = rips(x, max_dim, thresh, n_threads=1, memory_budget=2.0**32, method="dense")
        sparse = rips(x, max_dim, thresh, n_threads=1, memory_budget=2.0**32, method="sparse")
        for k in range(max_dim + 1):
            # The same total order on the same simplices: identical critical edges.
            assert torch.equal(sparse.indices[k], dense.indices[k])
            assert torch.equal(sparse[k], dense[k])
        ref = ripser_dgms(p, max_dim, thresh)
        for k in range(max_dim + 1):
            assert_same(sparse[k].numpy(), ref[k])

    def test_sparse_is_used_for_large_thresholded_clouds(self, rng):
        p = rng.random((3000, 2))
        # The dense table (72 MB) is over this budget; the sparse variant fits.
        d = rips(torch.tensor(p), max_dim=1, threshold=0.03, memory_budget=2e7)
        ref = ripser_dgms(p, 1, 0.03)
        for k in range(2):
            assert_same(d[k].numpy(), ref[k])

    # -- gradients -------------------------------------------------------------------------
    def test_gradcheck(self, rng):
        x = torch.tensor(rng.random((14, 2)), requires_grad=True)

        def f(x):
            d = rips(x, max_dim=1)
            return d[0][:-1, 1], d[1][:, 0], d[1][:, 1]

        assert len(rips(x, max_dim=1)[1]) > 0
        torch.autograd.gradcheck(f, (x,))

    def test_gradcheck_3d_h2_and_precomputed(self, rng):
        x = torch.tensor(noisy_sphere(rng, 14, 0.1), requires_grad=True)
        torch.autograd.gradcheck(lambda x: rips(x, max_dim=2)[2], (x,))
        m = torch.cdist(x.detach(), x.detach()).requires_grad_()
        torch.autograd.gradcheck(
            lambda m: rips((m + m.T) / 2, max_dim=1, metric="precomputed")[1], (m,)
        )

    def test_gradient_only_on_critical_edges(self, rng):
        x = torch.tensor(rng.random((30, 2)), requires_grad=True)
        d = rips(x, max_dim=1)
        d[1][0, 1].backward()
        u, v = d.indices[1][0, 2:].tolist()
        nz = set(torch.nonzero(x.grad.abs().sum(1)).flatten().tolist())
        assert nz == {u, v}
        direction = (x[u] - x[v]).detach()
        np.testing.assert_allclose(x.grad[u], direction / direction.norm())

    def test_duplicate_points_have_finite_gradients(self, rng):
        p = rng.random((10, 2))
        x = torch.tensor(np.concatenate([p, p[:3]]), requires_grad=True)
        d = rips(x, max_dim=1, keep_zero=True)
        (d[0][torch.isfinite(d[0][:, 1]), 1].sum() + d[1].sum()).backward()
        assert torch.isfinite(x.grad).all()

    # -- batches and threads ---------------------------------------------------------------
    def test_batch_equals_loop(self, rng):
        x = torch.tensor(rng.random((4, 25, 2)))
        b = rips(x, max_dim=1)
        assert isinstance(b, DiagramBatch) and len(b) == 4
        for i in range(4):
            one = rips(x[i], max_dim=1)
            for k in range(2):
                torch.testing.assert_close(b[i][k], one[k])
                torch.testing.assert_close(b[i].indices[k], one.indices[k])

    def test_list_of_clouds_equals_loop(self, rng):
        xs = [torch.tensor(rng.random((n, 3))) for n in (5, 30, 1, 17)]
        b = rips(xs, max_dim=2)
        assert b.batch_size == 4
        for i, x in enumerate(xs):
            for k in range(3):
                torch.testing.assert_close(b[i][k], rips(x, max_dim=2)[k])

    def test_thread_count_does_not_change_results(self, rng):
        batch = torch.tensor(rng.random((5, 40, 2)))
        single = torch.tensor(rng.random((120, 2)))
        # Hundreds of H1 columns: blocks reduced in parallel collide with each other's pivots.
        larger = torch.tensor(noisy_circle(rng, 600, 0.3))
        for x, max_dim in ((batch, 2), (single, 2), (larger, 1)):
            ref = rips(x, max_dim=max_dim, n_threads=1)
            for t in (2, 3, 8):
                got = rips(x, max_dim=max_dim, n_threads=t)
                for k in range(max_dim + 1):
                    assert torch.equal(got.indices[k], ref.indices[k])
                    assert torch.equal(got.bars[k], ref.bars[k])

    @staticmethod
    def assert_batch_equals_loop(xs, **kwargs):
        """``rips`` of the list ``xs`` in one call equals the calls item by item, bit for bit,
        for one and for two threads."""
        max_dim = kwargs["max_dim"]
        one = rips(xs, n_threads=1, **kwargs)
        two = rips(xs, n_threads=2, **kwargs)
        for i, x in enumerate(xs):
            single = rips(x, n_threads=1, **kwargs)
            for k in range(max_dim + 1):
                for b in (one, two):
                    assert torch.equal(b[i].indices[k], single.indices[k])
                    assert torch.equal(b[i][k], single[k])

    def test_sparse_batch_equals_loop_for_every_thread_count(self, rng):
        dup = rng.random((40, 3))
        xs = [
            torch.tensor(rng.random((300, 3))),
            torch.tensor(np.concatenate([dup, dup[:9], dup[:2]])),  # duplicates: zero-length edges
            torch.tensor(rng.random((1, 3))),
            torch.tensor(rng.random((250, 3))),
        ]
        self.assert_batch_equals_loop(xs, max_dim=2, threshold=0.2, method="sparse")
        self.assert_batch_equals_loop(xs, max_dim=1, threshold=0.0, method="sparse")
        self.assert_batch_equals_loop(xs, max_dim=1, threshold=0.3, keep_zero=True, method="sparse")

    def test_delaunay_batch_equals_loop_for_every_thread_count(self, rng):
        # Degenerate items (collinear, too few points) take the dense H0 inside the same call.
        xs = [
            torch.tensor(rng.random((400, 2))),
            torch.tensor(np.stack([rng.random(200), np.zeros(200)], 1)),
            torch.tensor(rng.random((3, 2))),
            torch.tensor(np.concatenate([rng.random((150, 2))] * 2)),
        ]
        self.assert_batch_equals_loop(xs, max_dim=0, method="delaunay")
        self.assert_batch_equals_loop(xs, max_dim=0, keep_zero=True, method="delaunay")
        cube = [torch.tensor(rng.random((300, 3))) for _ in range(3)]
        self.assert_batch_equals_loop(cube, max_dim=0, method="delaunay")

    def test_float32_close_to_float64(self, rng):
        p = rng.random((50, 2))
        a = rips(torch.tensor(p, dtype=torch.float32), max_dim=1)
        b = rips(torch.tensor(p), max_dim=1)
        assert a[1].dtype == torch.float32
        for k in range(2):
            assert_same(a[k].numpy(), b[k].numpy(), rtol=1e-4, atol=1e-5)

    def test_permutation_invariance(self, rng):
        p = rng.random((40, 3))
        perm = rng.permutation(40)
        a, b = rips(torch.tensor(p), max_dim=2), rips(torch.tensor(p[perm]), max_dim=2)
        for k in range(3):
            assert_same(a[k].numpy(), b[k].numpy(), rtol=1e-12, atol=1e-12)

    # -- torch.library and compile ---------------------------------------------------------
    def test_opcheck(self, rng):
        x = torch.tensor(rng.random((20, 2)))
        c = torch.tensor([12, 8])
        for args in (
            (x, c, 1, math.inf, False, False, 1, 2.0**32, "auto"),
            (
                torch.cdist(x, x).reshape(-1),
                torch.tensor([20]),
                2,
                0.5,
                True,
                False,
                1,
                2.0**32,
                "auto",
            ),
        ):
            torch.library.opcheck(torch.ops.topolayer.rips_pairs.default, args)

    def test_compile_fullgraph_no_graph_breaks(self, rng):
        x = torch.tensor(rng.random((30, 2)), requires_grad=True)

        def loss(x):
            d = rips(x, max_dim=1)
            return (d[1][:, 1] - d[1][:, 0]).pow(2).sum() + d[0][:-1, 1].sum()

        torch._dynamo.reset()
        with torch._dynamo.config.patch(capture_dynamic_output_shape_ops=True):
            explain = torch._dynamo.explain(loss)(x)
        assert explain.graph_break_count == 0
        torch._dynamo.reset()
        compiled = torch.compile(loss, fullgraph=True, backend="aot_eager")
        got = compiled(x)
        ref = loss(x)
        torch.testing.assert_close(got, ref)
        (g1,) = torch.autograd.grad(got, x)
        (g2,) = torch.autograd.grad(ref, x)
        torch.testing.assert_close(g1, g2)

    # -- bad input -------------------------------------------------------------------------
    @pytest.mark.parametrize(
        "x, kwargs, err, match",
        [
            (torch.tensor([[0.0, 1.0], [float("nan"), 0.0]]), {}, ValueError, "x must be finite"),
            (torch.tensor([[0.0, 1.0], [float("inf"), 0.0]]), {}, ValueError, "x must be finite"),
            (torch.zeros(0, 2), {}, ValueError, "N = 0"),
            (torch.zeros(5), {}, ValueError, "shape"),
            (torch.zeros(2, 3, 4, 5), {}, ValueError, "shape"),
            (torch.zeros(4, 2, dtype=torch.int64), {}, TypeError, "floating"),
            ("points", {}, TypeError, "tensor or array"),
            (torch.zeros(4, 2), {"metric": "cosine"}, ValueError, "metric"),
            (torch.zeros(4, 2), {"max_dim": -1}, ValueError, "max_dim"),
            (torch.zeros(4, 2), {"threshold": -1.0}, ValueError, "threshold"),
            (torch.zeros(4, 2), {"n_threads": 0}, ValueError, "n_threads"),
            (torch.zeros(4, 3), {"metric": "precomputed"}, ValueError, "square"),
            (
                torch.tensor([[0.0, 1.0], [2.0, 0.0]]),
                {"metric": "precomputed"},
                ValueError,
                "symmetric",
            ),
            (
                torch.tensor([[0.0, -1.0], [-1.0, 0.0]]),
                {"metric": "precomputed"},
                ValueError,
                "non-negative",
            ),
            ([], {}, ValueError, "empty"),
            ([torch.zeros(3, 2), torch.zeros(3, 3)], {}, ValueError, "dimension D"),
            ([torch.zeros(3, 2), torch.zeros(0, 2)], {}, ValueError, r"x\[1\]"),
        ],
    )
    def test_bad_input(self, x, kwargs, err, match):
        with pytest.raises(err, match=match):
            rips(x, **kwargs)

    def test_time_guard_refuses_before_working_and_suggests_threshold(self):
        x = torch.rand(20000, 2)
        with pytest.raises(ValueError, match="threshold=.*time_budget"):
            rips(x, max_dim=1)
        with pytest.raises(ValueError, match="time_budget"):
            VietorisRips(max_dim=1, time_budget=0.01)(torch.rand(3000, 2))
        # H2 grows with the triangles (C(N, 3)): 3000 points would take minutes on one thread.
        with pytest.raises(ValueError, match="time_budget"):
            rips(torch.rand(3000, 3), max_dim=2)
        assert len(rips(x, max_dim=0)[0]) == 20000  # H0: a spanning tree, no guard
        assert len(rips(torch.rand(2000, 2), max_dim=1, time_budget=None)[0]) == 2000

    def test_large_dense_problem_warns_and_suggests_threshold(self, monkeypatch):
        import sys

        # The module (topolayer.functional exports the function under the same name).
        R = sys.modules["topolayer.functional.rips"]
        x = torch.rand(200, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            rips(x, max_dim=1)  # estimated well under WARN_SECONDS: silent
        monkeypatch.setattr(R, "WARN_SECONDS", 0.0)
        with pytest.warns(UserWarning, match="up to 200 points without a threshold") as rec:
            rips(x, max_dim=1)
        assert rec[0].filename == __file__  # points at the caller's line
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            rips(x, max_dim=1, threshold=0.1)
            rips(x, max_dim=1, time_budget=None)  # an explicit opt-out of the guard

    def test_memory_guard_suggests_threshold(self, rng):
        x = torch.tensor(rng.random((300, 2)))
        with pytest.raises(ValueError, match="threshold"):
            rips(x, max_dim=1, memory_budget=1e4)
        # With a threshold the sparse variant needs only the short edges.
        rips(x, max_dim=1, memory_budget=1e5, threshold=0.05)
        with pytest.raises(ValueError, match="smaller `threshold`"):
            rips(x, max_dim=1, memory_budget=1e4, threshold=0.5)

    def test_sparse_memory_guard_names_the_edges_within_the_threshold(self, rng):
        p = rng.random((300, 2))
        r = 0.5 * (1 + 1e-6) + 1e-300  # the search's radius, a hair over the threshold
        d2 = ((p[:, None] - p[None]) ** 2).sum(-1)
        within = int((d2[np.triu_indices(len(p), 1)] <= r * r).sum())
        msg = (
            rf"Rips: the {within} edges within the threshold need about {within * 48 >> 20} MiB, "
            r"over the memory budget of 0 MiB; pass a smaller `threshold`"
        )
        xs = [torch.tensor(rng.random((20, 2))), torch.tensor(p)]
        for n_threads in (1, 2):
            with pytest.raises(ValueError, match=msg):
                rips(xs, 1, 0.5, n_threads=n_threads, memory_budget=1e4, method="sparse")

    def test_memory_guard_on_columns(self, rng):
        x = torch.tensor(rng.random((60, 3)))
        with pytest.raises(ValueError, match="threshold"):
            rips(x, max_dim=3, keep_zero=True, memory_budget=5e4)

    def test_index_overflow_is_an_error_not_a_crash(self):
        with pytest.raises(ValueError, match="overflow"):
            rips(torch.zeros(3_000_000, 1), max_dim=5, threshold=0.0)


class TestVietorisRipsModule:
    def test_forward_and_repr(self, rng):
        m = VietorisRips(max_dim=2, threshold=0.5)
        assert repr(m) == "VietorisRips(max_dim=2, threshold=0.5)"
        d = m(torch.tensor(rng.random((20, 3))))
        assert isinstance(d, Diagram) and d.max_dim == 2
        assert isinstance(m(torch.rand(2, 10, 2)), DiagramBatch)

    def test_training_step_changes_points(self, rng):
        x = torch.tensor(noisy_circle(rng, 40), requires_grad=True)
        opt = torch.optim.SGD([x], lr=0.1)
        layer = VietorisRips(max_dim=1)
        before = layer(x)[1]
        loss = -(before[:, 1] - before[:, 0]).max()
        loss.backward()
        opt.step()
        after = layer(x)[1]
        assert (after[:, 1] - after[:, 0]).max() > (before[:, 1] - before[:, 0]).max()


class TestRipsLayer:
    def test_reference_interface(self, rng):
        p = rng.random((25, 2))
        layer = RipsLayer(25, maxdim=1)
        dgms, issub = layer(torch.tensor(p, dtype=torch.float32))
        assert issub is True and isinstance(dgms, tuple) and len(dgms) == 2
        ref = ripser_dgms(p, 1)
        for k in range(2):
            assert_same(dgms[k].numpy(), ref[k], rtol=1e-4, atol=1e-5)
        assert "n=25" in repr(layer)

    def test_n_is_checked_and_optional(self, rng):
        with pytest.raises(ValueError, match="n=10"):
            RipsLayer(10)(torch.rand(12, 2))
        dgms, _ = RipsLayer(maxdim=0)(torch.rand(12, 2))
        assert len(dgms) == 1 and len(dgms[0]) == 12

    def test_keep_zero_returns_every_vertex(self):
        dgms, _ = RipsLayer(maxdim=0, keep_zero=True)(torch.zeros(4, 2))
        assert len(dgms[0]) == 4

    def test_bad_alg(self):
        with pytest.raises(ValueError, match="alg"):
            RipsLayer(alg="magic")


@pytest.mark.slow
class TestRipsSlow:
    def test_larger_clouds_match_ripser(self, rng):
        for p, md in (
            (rng.random((600, 2)), 1),
            (rng.random((120, 3)), 2),
            (noisy_sphere(rng, 150), 2),
        ):
            d = rips(torch.tensor(p), max_dim=md)
            ref = ripser_dgms(p, md)
            for k in range(md + 1):
                assert_same(d[k].numpy(), ref[k])

    def test_h0_of_many_points_via_delaunay(self, rng):
        p = rng.random((100_000, 2))
        d = rips(torch.tensor(p), max_dim=0)
        assert len(d[0]) == len(p) and torch.isinf(d[0][:, 1]).sum() == 1
        sub = p[:3000]
        assert_same(rips(torch.tensor(sub), max_dim=0)[0].numpy(), ripser_dgms(sub, 0)[0])


class TestRipsProperties:
    """Hypothesis: integer clouds (many ties and duplicates) against ripser.py, and invariances."""

    clouds = st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=14
    )

    @settings(max_examples=examples(60), deadline=None)
    @given(clouds)
    def test_integer_clouds_match_ripser(self, pts):
        p = np.asarray(pts, dtype=np.float64)
        d = rips(torch.tensor(p), max_dim=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ripser.py guesses about square or wide inputs
            ref = ripser_dgms(p, 2)
        for k in range(3):
            assert_same(d[k].numpy(), ref[k], rtol=1e-6, atol=1e-7)  # ripser.py works in float32
        # Betti numbers of the full complex (a cone): one component, no holes.
        assert int(torch.isinf(d[0][:, 1]).sum()) == 1
        assert not torch.isinf(d[1][:, 1]).any() and not torch.isinf(d[2][:, 1]).any()

    @settings(max_examples=examples(30), deadline=None)
    @given(clouds, st.floats(-10, 10), st.floats(0.5, 3.0))
    def test_translation_and_scaling_equivariance(self, pts, shift, scale):
        p = np.asarray(pts, dtype=np.float64)
        a = rips(torch.tensor(p), max_dim=1)
        b = rips(torch.tensor(p * scale + shift), max_dim=1)
        for k in range(2):
            assert_same(b[k].numpy(), a[k].numpy() * scale, rtol=1e-9, atol=1e-9)


def test_distance_matrix_diagonal_is_ignored():
    # Vertices are born at 0 whatever the diagonal holds, as the core computes the pairs.
    d = torch.tensor([[5.0, 1.0, 2.0], [1.0, 5.0, 1.5], [2.0, 1.5, 5.0]], requires_grad=True)
    dgm = rips(d, max_dim=0, metric="precomputed")
    assert sorted(dgm[0].tolist()) == [[0.0, 1.0], [0.0, 1.5], [0.0, float("inf")]]
    dgm[0][:, 0].sum().backward()
    assert (d.grad == 0).all()
