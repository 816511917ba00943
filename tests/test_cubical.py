"""Images and volumes: topolayer.functional.cubical, CubicalLayer, LevelSetLayer2D.

Oracles: GUDHI's CubicalComplex (V: vertices=, T: top_dimensional_cells=), Cubical Ripser
(cripser.computePH for V, computePH_T for T) and GUDHI's SimplexTree lower-star on the same
Freudenthal triangulation.
"""

from __future__ import annotations

import itertools

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from helpers import examples, oracle
from hypothesis import given, settings
from hypothesis import strategies as st

from topolayer import _core
from topolayer.diagram import Diagram, DiagramBatch
from topolayer.functional.cubical import cubical
from topolayer.nn.cubical import CubicalLayer, LevelSetLayer2D

CONSTRUCTIONS = ("freudenthal", "V", "T")
cripser = oracle("cripser")
gudhi = oracle("gudhi")


# --------------------------------------------------------------------------------------------
# oracles


def _clean(iv, superlevel):
    iv = [(float(a), float(b)) for a, b in iv if a != b]
    if superlevel:
        iv = [(-a, -b) for a, b in iv]
    return sorted(iv)


def gudhi_cubical(x, construction, max_dim, superlevel):
    y = -x if superlevel else x
    if construction == "V":
        cc = gudhi.CubicalComplex(vertices=y)
    else:
        cc = gudhi.CubicalComplex(top_dimensional_cells=y)
    cc.compute_persistence(homology_coeff_field=2, min_persistence=0)
    return [
        _clean(cc.persistence_intervals_in_dimension(k), superlevel) for k in range(max_dim + 1)
    ]


def freudenthal_simplices(shape):
    """Simplices of the Freudenthal triangulation of a grid (flat row-major vertex ids)."""
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    out = []
    if len(shape) == 2:
        h, w = shape
        for i, j in itertools.product(range(h), range(w)):
            out.append([idx[i, j]])
            if j + 1 < w:
                out.append([idx[i, j], idx[i, j + 1]])
            if i + 1 < h:
                out.append([idx[i, j], idx[i + 1, j]])
            if i + 1 < h and j + 1 < w:
                out.append([idx[i, j], idx[i, j + 1], idx[i + 1, j + 1]])
                out.append([idx[i, j], idx[i + 1, j], idx[i + 1, j + 1]])
        return out
    d, h, w = shape

    def at(p, o):
        q = (p[0] + o[0], p[1] + o[1], p[2] + o[2])
        return idx[q] if q[0] < d and q[1] < h and q[2] < w else None

    bits = [((m >> 2) & 1, (m >> 1) & 1, m & 1) for m in range(8)]
    for p in itertools.product(range(d), range(h), range(w)):
        out.append([idx[p]])
        for m in range(1, 8):
            if (v := at(p, bits[m])) is not None:
                out.append([idx[p], v])
        for a, b in itertools.product(range(1, 8), repeat=2):
            if a & b == 0 and (v := at(p, bits[a | b])) is not None:
                out.append([idx[p], at(p, bits[a]), v])
        for perm in itertools.permutations(range(3)):
            o, verts = [0, 0, 0], [idx[p]]
            for ax in perm:
                o[ax] += 1
                verts.append(at(p, tuple(o)))
            if None not in verts:
                out.append(verts)
    return out


def simplex_tree_lower_star(simplices, f, max_dim, superlevel):
    y = -f if superlevel else f
    st = gudhi.SimplexTree()
    for s in simplices:
        st.insert(list(s))
    for s, _ in list(st.get_simplices()):  # faces inserted through cofaces get their own value
        st.assign_filtration(s, float(max(y[v] for v in s)))
    st.make_filtration_non_decreasing()
    st.compute_persistence(homology_coeff_field=2, min_persistence=0, persistence_dim_max=True)
    return [
        _clean(st.persistence_intervals_in_dimension(k), superlevel) for k in range(max_dim + 1)
    ]


def oracle(x, construction, max_dim, superlevel):
    if construction == "freudenthal":
        return simplex_tree_lower_star(
            freudenthal_simplices(x.shape), x.ravel(), max_dim, superlevel
        )
    return gudhi_cubical(x, construction, max_dim, superlevel)


def cripser_diagram(x, construction, max_dim, superlevel):
    y = np.ascontiguousarray(-x if superlevel else x, dtype=np.float64)
    fn = cripser.computePH if construction == "V" else cripser.computePH_T
    res = np.asarray(fn(y, maxdim=max_dim))
    out = []
    for k in range(max_dim + 1):
        r = res[res[:, 0] == k]
        death = np.where(r[:, 2] > 1e300, np.inf, r[:, 2])
        out.append(_clean(zip(r[:, 1], death, strict=True), superlevel))
    return out


def ours(x, construction, max_dim, superlevel):
    # One grid runs its two directions one after the other (one thread) or side by side (a
    # helper thread): two code paths, which must agree pair for pair.
    x = torch.as_tensor(x)
    dgm = cubical(x, max_dim, superlevel, construction, ndim=x.ndim, n_threads=1)
    two = cubical(x, max_dim, superlevel, construction, ndim=x.ndim, n_threads=2)
    for k in range(max_dim + 1):
        assert torch.equal(dgm.indices[k], two.indices[k]), k
    return [sorted((float(a), float(b)) for a, b in dgm[k].tolist()) for k in range(max_dim + 1)]


def image(kind, shape, rng):
    if kind == "random":
        return rng.random(shape)
    if kind == "ties":
        return rng.integers(0, 3, size=shape).astype(np.float64)
    if kind == "constant":
        return np.full(shape, 0.5)
    grids = np.meshgrid(*[np.linspace(0, 2 * np.pi, s) for s in shape], indexing="ij")
    return np.sin(sum(g * (i + 1) for i, g in enumerate(grids))) + 0.01 * rng.random(shape)


SHAPES = {
    2: [(1, 1), (1, 7), (6, 1), (7, 9), (12, 10)],
    3: [(1, 1, 1), (1, 4, 5), (3, 1, 4), (4, 5, 3)],
}


# --------------------------------------------------------------------------------------------
# the functional layer


# The bar counts are data-dependent: torch.compile needs to be allowed to capture such ops.
dynamic_shapes = torch._dynamo.config.patch(capture_dynamic_output_shape_ops=True)


class TestCubical:
    @pytest.mark.parametrize("construction", CONSTRUCTIONS)
    @pytest.mark.parametrize("ndim", [2, 3])
    @pytest.mark.parametrize("kind", ["random", "ties", "constant", "smooth"])
    @pytest.mark.parametrize("superlevel", [False, True])
    def test_matches_gudhi(self, construction, ndim, kind, superlevel, rng):
        for shape in SHAPES[ndim]:
            x = image(kind, shape, rng)
            assert ours(x, construction, ndim - 1, superlevel) == oracle(
                x, construction, ndim - 1, superlevel
            ), shape

    @pytest.mark.parametrize("construction", ["V", "T"])
    @pytest.mark.parametrize("ndim", [2, 3])
    @pytest.mark.parametrize("kind", ["random", "ties", "constant", "smooth"])
    @pytest.mark.parametrize("superlevel", [False, True])
    def test_matches_cripser(self, construction, ndim, kind, superlevel, rng):
        shape = (16, 13) if ndim == 2 else (6, 5, 7)
        x = image(kind, shape, rng)
        got = ours(x, construction, ndim - 1, superlevel)
        assert got == cripser_diagram(x, construction, ndim - 1, superlevel)

    @pytest.mark.parametrize("construction", CONSTRUCTIONS)
    @pytest.mark.parametrize("ndim", [2, 3])
    def test_critical_pixels_are_the_oracle_pixels(self, construction, ndim, rng):
        # Generic position: every value names exactly one pixel, so the oracle's values give
        # the pixels, which must be our critical indices.
        shape = (9, 11) if ndim == 2 else (4, 5, 4)
        x = rng.permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape) / 7
        pixel_of = {v: i for i, v in enumerate(x.ravel().tolist())}
        dgm = cubical(torch.as_tensor(x), ndim - 1, construction=construction, ndim=ndim)
        want = oracle(x, construction, ndim - 1, False)
        for k in range(ndim):
            expected = sorted(
                (pixel_of[b], pixel_of[d] if np.isfinite(d) else -1) for b, d in want[k]
            )
            assert sorted(map(tuple, dgm.indices[k].tolist())) == expected

    @pytest.mark.parametrize("construction", ["V", "T"])
    @pytest.mark.parametrize("kind", ["random", "ties", "smooth"])
    def test_morse_complex_h1_matches_gudhi(self, construction, kind, rng):
        # 3D H1 of V (and T, through its dual) is reduced on a discrete Morse complex; volumes
        # large enough for long gradient paths, many critical cells and column additions.
        x = image(kind, (11, 9, 12), rng)
        for sup in (False, True):
            assert ours(x, construction, 2, sup) == oracle(x, construction, 2, sup), sup

    @pytest.mark.parametrize("construction", ["V", "T"])
    def test_morse_complex_binary_volume_matches_cripser(self, construction, rng):
        # A thresholded blob volume (a segmentation target): flows cross its plateaus, long
        # enough for the working chain to turn into a heap.
        from scipy.ndimage import uniform_filter

        f = uniform_filter(rng.random((22, 20, 24)), size=5)
        x = (f > np.quantile(f, 0.6)).astype(np.float64)
        for sup in (False, True):
            got = ours(x, construction, 2, sup)
            assert got == cripser_diagram(x, construction, 2, sup), sup

    @pytest.mark.parametrize("construction", ["V", "T"])
    def test_morse_complex_critical_voxels(self, construction, rng):
        # Generic position: the critical voxels of every bar are the oracle's.
        shape = (7, 8, 6)
        x = rng.permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape)
        pixel_of = {v: i for i, v in enumerate(x.ravel().tolist())}
        dgm = cubical(torch.as_tensor(x), 2, construction=construction, ndim=3)
        want = oracle(x, construction, 2, False)
        for k in range(3):
            expected = sorted(
                (pixel_of[b], pixel_of[d] if np.isfinite(d) else -1) for b, d in want[k]
            )
            assert sorted(map(tuple, dgm.indices[k].tolist())) == expected, k

    @pytest.mark.parametrize("construction", ["V", "T"])
    @pytest.mark.parametrize("kind", ["random", "ties"])
    def test_large_images_match_cripser(self, construction, kind, rng):
        # Beyond 2^16 cells the saddle passes prefetch and use plain finds (another code path).
        x = image(kind, (263, 251), rng)
        for sup in (False, True):
            got = ours(x, construction, 1, sup)
            assert got == cripser_diagram(x, construction, 1, sup), sup

    def test_large_freudenthal_image_matches_gudhi(self, rng):
        x = image("ties", (257, 260), rng)
        assert ours(x, "freudenthal", 1, False) == oracle(x, "freudenthal", 1, False)

    @pytest.mark.slow
    @pytest.mark.parametrize("construction", CONSTRUCTIONS)
    def test_matches_gudhi_larger_volumes(self, construction, rng):
        for kind in ("random", "ties", "smooth"):
            x = image(kind, (7, 8, 6), rng)
            for sup in (False, True):
                assert ours(x, construction, 2, sup) == oracle(x, construction, 2, sup)

    def test_known_hole_and_void(self):
        ring = torch.ones(5, 5)
        ring[1:4, 1:4] = 0.0
        ring[2, 2] = 2.0  # superlevel: a ring of ones around... sublevel: a square ring of zeros
        dgm = cubical(ring, max_dim=1, construction="V")
        assert dgm[1].tolist() == [[0.0, 2.0]]
        assert dgm.indices[1].tolist()[0][1] == 12
        shell = torch.zeros(5, 5, 5)
        shell[2, 2, 2] = 3.0
        d3 = cubical(shell, max_dim=2, ndim=3, construction="T")
        assert d3[2].tolist() == [[0.0, 3.0]] and d3[1].shape == (0, 2)
        torus = torch.ones(3, 5, 5)
        torus[1, 1:4, 1:4] = 0.0
        torus[1, 2, 2] = 1.0
        for c in CONSTRUCTIONS:
            assert cubical(torus, max_dim=2, ndim=3, construction=c)[1].tolist() == [[0.0, 1.0]], c

    def test_smoke_and_shapes(self, rng):
        x = torch.as_tensor(rng.random((2, 3, 8, 7)), dtype=torch.float32)
        out = cubical(x, max_dim=1)
        assert isinstance(out, DiagramBatch)
        assert out.batch_shape == (2, 3) and len(out) == 6 and out.max_dim == 1
        for k in range(2):
            assert out.bars[k].shape[1] == 2 and out.bars[k].dtype == torch.float32
            assert out.indices[k].shape == out.bars[k].shape and out.indices[k].dtype == torch.int64
        assert int(torch.isinf(out.bars[0][:, 1]).sum()) == 6
        single = cubical(x[0, 0], max_dim=1)
        assert isinstance(single, Diagram) and len(single) == 2
        vol = cubical(torch.rand(2, 4, 4, 4), max_dim=2, ndim=3)
        assert isinstance(vol, DiagramBatch) and vol.max_dim == 2

    def test_single_pixel_constant_and_huge_values(self):
        d = cubical(torch.tensor([[3.0]]), max_dim=1)
        assert d[0].tolist() == [[3.0, float("inf")]] and d[1].shape == (0, 2)
        for c in CONSTRUCTIONS:
            d = cubical(torch.full((4, 6), 2.0), max_dim=1, construction=c)
            assert d[0].tolist() == [[2.0, float("inf")]] and len(d[1]) == 0
        x = torch.tensor([[1e30, -1e30, 1e30], [-1e30, 1e30, -1e30]], dtype=torch.float64)
        for c in ("V", "T"):
            assert ours(x.numpy(), c, 1, False) == oracle(x.numpy(), c, 1, False)

    @pytest.mark.parametrize("ndim", [2, 3])
    def test_superlevel_equals_negated_sublevel(self, ndim, rng):
        x = torch.as_tensor(rng.random((6, 9, 8) if ndim == 2 else (2, 5, 4, 6)))
        for c in CONSTRUCTIONS:
            sup = cubical(x, ndim - 1, superlevel=True, construction=c, ndim=ndim)
            sub = cubical(-x, ndim - 1, construction=c, ndim=ndim)
            for k in range(ndim):
                assert torch.equal(sup.bars[k], -sub.bars[k])
                assert torch.equal(sup.indices[k], sub.indices[k])

    @settings(max_examples=examples(40), deadline=None)
    @given(
        x=hnp.arrays(
            np.float64,
            hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=6),
            elements=st.integers(-3, 3).map(float),
        ),
        construction=st.sampled_from(CONSTRUCTIONS),
        shift=st.integers(-4, 4),
    )
    def test_properties_shift_order_and_one_essential_class(self, x, construction, shift):
        nd = x.ndim
        d = cubical(torch.as_tensor(x), nd - 1, construction=construction, ndim=nd)
        e = cubical(torch.as_tensor(x + shift), nd - 1, construction=construction, ndim=nd)
        for k in range(nd):
            assert torch.equal(d.indices[k], e.indices[k])
            assert torch.equal(d[k] + shift, e[k])
            fin = torch.isfinite(d[k][:, 1])
            assert bool((d[k][fin, 0] < d[k][fin, 1]).all())
            assert int((~fin).sum()) == (1 if k == 0 else 0)

    @settings(max_examples=examples(30), deadline=None)
    @given(
        x=hnp.arrays(
            np.float64,
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=7),
            elements=st.integers(0, 4).map(float),
        ),
        construction=st.sampled_from(["V", "T"]),
    )
    def test_cubes_are_invariant_under_flips_and_transposes(self, x, construction):
        want = ours(x, construction, 1, False)
        for y in (x.T, x[::-1], x[:, ::-1], x[::-1, ::-1].T):
            assert ours(y.copy(), construction, 1, False) == want

    def test_essential_death_is_minus_inf_for_superlevel(self):
        d = cubical(torch.rand(5, 5), 0, superlevel=True)
        assert d[0][-1, 1].item() == float("-inf") and bool((d[0][:, 0] >= d[0][:, 1]).all())

    @pytest.mark.parametrize("ndim", [2, 3])
    def test_keep_zero_adds_only_zero_length_bars_between_distinct_pixels(self, ndim, rng):
        shape = (10, 10) if ndim == 2 else (5, 4, 6)
        x = torch.as_tensor(rng.integers(0, 3, size=shape).astype(np.float32))
        for c in CONSTRUCTIONS:
            a = cubical(x, ndim - 1, construction=c, ndim=ndim)
            b = cubical(x, ndim - 1, construction=c, ndim=ndim, keep_zero=True)
            for k in range(ndim):
                zero = b[k][:, 0] == b[k][:, 1]
                assert len(b[k]) == len(a[k]) + int(zero.sum())
                assert bool((b.indices[k][:, 0] != b.indices[k][:, 1]).all())
                assert torch.equal(b[k][~zero], a[k])
            assert int((b[0][:, 0] == b[0][:, 1]).sum()) > 0

    @pytest.mark.parametrize("ndim", [2, 3])
    @pytest.mark.parametrize("superlevel", [False, True])
    def test_keep_zero_bars_are_the_bars_of_the_total_order(self, ndim, superlevel, rng):
        # Cells are ordered by (value, flat index): replacing the values by their ranks in that
        # order gives a tie-free image with the same filtration. Its critical pixels must be
        # exactly those of the tied image with keep_zero (every bar between distinct pixels).
        shape = (23, 19) if ndim == 2 else (9, 7, 8)
        x = rng.integers(0, 4, size=shape).astype(np.float64)
        flat = -x.ravel() if superlevel else x.ravel()
        ranks = np.empty(flat.size)
        ranks[np.argsort(flat, kind="stable")] = np.arange(flat.size)
        ranked = (-ranks if superlevel else ranks).reshape(shape)
        for c in CONSTRUCTIONS:
            tied = cubical(torch.as_tensor(x), ndim - 1, superlevel, c, ndim, keep_zero=True)
            exact = cubical(torch.as_tensor(ranked), ndim - 1, superlevel, c, ndim)
            for k in range(ndim):
                got = sorted(map(tuple, tied.indices[k].tolist()))
                assert got == sorted(map(tuple, exact.indices[k].tolist())), (c, k)

    def test_float32_matches_float64_and_half_is_upcast(self, rng):
        x = torch.as_tensor(rng.random((10, 12)))
        d64 = cubical(x, 1)
        d32 = cubical(x.float(), 1)
        for k in range(2):
            assert torch.equal(d64.indices[k], d32.indices[k])
        for dt in (torch.float16, torch.bfloat16):
            xh = x.to(dt).requires_grad_()
            dh = cubical(xh, 1)
            assert dh[0].dtype == dt
            ref = cubical(x.to(dt).float(), 1)
            assert torch.equal(dh.indices[0], ref.indices[0])
            dh[0][:, 0].sum().backward()
            assert xh.grad is not None and xh.grad.dtype == dt

    def test_non_contiguous_input(self, rng):
        x = torch.as_tensor(rng.random((12, 10)))
        a = cubical(x.t(), 1)
        b = cubical(x.t().contiguous(), 1)
        assert all(torch.equal(a.indices[k], b.indices[k]) for k in range(2))

    def test_exceptions(self):
        with pytest.raises(TypeError, match="x must have a floating dtype"):
            cubical(torch.ones(3, 3, dtype=torch.int64))
        with pytest.raises(TypeError, match="x must have a floating dtype"):
            cubical(np.ones((3, 3), dtype=np.int32))
        with pytest.raises(ValueError, match="ndim=3"):
            cubical(torch.ones(3, 3), ndim=3)
        with pytest.raises(ValueError, match="ndim must be 2"):
            cubical(torch.ones(3, 3, 3, 3), ndim=4)
        with pytest.raises(ValueError, match="non-empty"):
            cubical(torch.ones(2, 0, 3))
        with pytest.raises(ValueError, match="construction"):
            cubical(torch.ones(3, 3), construction="cubical")
        with pytest.raises(ValueError, match="max_dim"):
            cubical(torch.ones(3, 3), max_dim=-1)
        with pytest.raises(ValueError, match="n_threads"):
            cubical(torch.ones(3, 3), n_threads=0)
        for bad in (float("nan"), float("inf"), float("-inf")):
            x = torch.zeros(4, 4)
            x[1, 2] = bad
            with pytest.raises(ValueError, match="x must be finite, but pixel 6"):
                cubical(x)

    def test_nan_in_one_item_of_a_threaded_batch_raises(self):
        x = torch.zeros(5, 4, 4, 4)
        x[3, 1, 2, 3] = float("nan")
        with pytest.raises(ValueError, match="x must be finite, but pixel 27"):
            cubical(x, 2, ndim=3, n_threads=2)

    def test_core_rejects_bad_shapes(self):
        x = np.zeros((1, 6), dtype=np.float32)
        with pytest.raises(ValueError, match="values per item"):
            _core.cubical(x, [2, 4], "V", 1, False, False, 1)
        with pytest.raises(ValueError, match="construction"):
            _core.cubical(x, [2, 3], "Q", 1, False, False, 1)
        with pytest.raises(ValueError, match="shape"):
            _core.cubical(x, [6], "V", 1, False, False, 1)

    def test_empty_batch(self):
        out = cubical(torch.zeros(0, 4, 4), 1)
        assert isinstance(out, DiagramBatch) and len(out) == 0 and out.bars[0].shape == (0, 2)

    @pytest.mark.parametrize("construction", CONSTRUCTIONS)
    @pytest.mark.parametrize("ndim", [2, 3])
    def test_gradcheck(self, construction, ndim, rng):
        shape = (5, 6) if ndim == 2 else (3, 4, 3)
        x = torch.as_tensor(rng.random(shape), dtype=torch.float64).requires_grad_()

        def fn(x):
            d = cubical(x, ndim - 1, construction=construction, ndim=ndim)
            return torch.cat([b[torch.isfinite(b)] for b in d.bars])

        assert torch.autograd.gradcheck(fn, (x,))

    def test_gradient_only_on_critical_pixels(self, rng):
        x = torch.as_tensor(rng.random((8, 8))).requires_grad_()
        d = cubical(x, 1)
        (d[0][:-1].sum() + d[1].sum()).backward()
        crit = torch.cat([d.indices[0].flatten(), d.indices[1].flatten()])
        mask = torch.zeros(64, dtype=torch.bool)
        mask[crit[crit >= 0]] = True
        assert bool((x.grad.flatten()[~mask] == 0).all())

    @pytest.mark.parametrize("construction", CONSTRUCTIONS)
    @pytest.mark.parametrize("ndim", [2, 3])
    def test_batch_equals_loop_of_singles(self, construction, ndim, rng):
        shape = (5, 9, 8) if ndim == 2 else (3, 4, 5, 4)
        x = torch.as_tensor(rng.integers(0, 4, size=shape).astype(np.float32))
        batch = cubical(x, ndim - 1, construction=construction, ndim=ndim)
        for i in range(shape[0]):
            one = cubical(x[i], ndim - 1, construction=construction, ndim=ndim)
            item = batch[i]
            for k in range(ndim):
                assert torch.equal(item[k], one[k]) and torch.equal(item.indices[k], one.indices[k])

    def test_every_thread_count_identical(self, rng):
        x = torch.as_tensor(rng.random((13, 11, 10)))
        ref = cubical(x, 1, n_threads=1)
        for t in (2, 3, 8, None):
            got = cubical(x, 1, n_threads=t)
            for k in range(2):
                assert torch.equal(got.bars[k], ref.bars[k]) and torch.equal(
                    got.batch[k], ref.batch[k]
                )
                assert torch.equal(got.indices[k], ref.indices[k])

    @pytest.mark.parametrize("ndim", [2, 3])
    def test_single_grid_with_a_helper_thread_is_identical(self, ndim, rng):
        x = torch.as_tensor(rng.random((40, 37) if ndim == 2 else (9, 8, 10)))
        for c in CONSTRUCTIONS:
            a = cubical(x, ndim - 1, construction=c, ndim=ndim, n_threads=1)
            b = cubical(x, ndim - 1, construction=c, ndim=ndim, n_threads=2)
            for k in range(ndim):
                assert torch.equal(a.indices[k], b.indices[k]) and torch.equal(a[k], b[k])

    def test_opcheck(self, rng):
        x = torch.as_tensor(rng.random((3, 36)), dtype=torch.float32)
        for args in (
            (x, [6, 6], "freudenthal", 1, False, False, 1),
            (x.double(), [3, 3, 4], "T", 2, True, True, 2),
        ):
            torch.library.opcheck(torch.ops.topolayer.cubical_pairs.default, args)

    @dynamic_shapes
    def test_compile_has_no_graph_break(self, rng):
        def loss(x):
            d = cubical(x, 1, construction="V")
            return sum((b[:, 1] - b[:, 0])[torch.isfinite(b[:, 1])].pow(2).sum() for b in d.bars)

        x = torch.as_tensor(rng.random((2, 7, 6)), dtype=torch.float32)
        torch._dynamo.reset()
        explanation = torch._dynamo.explain(loss)(x)
        assert explanation.graph_break_count == 0 and explanation.graph_count == 1
        compiled = torch.compile(loss, fullgraph=True, backend="eager")
        xe = x.clone().requires_grad_()
        xc = x.clone().requires_grad_()
        loss(xe).backward()
        compiled(xc).backward()
        assert torch.allclose(xe.grad, xc.grad)


# --------------------------------------------------------------------------------------------
# the modules


class TestCubicalLayer:
    def test_smoke_shapes_and_equivalence(self, rng):
        layer = CubicalLayer(max_dim=2, construction="T", ndim=3)
        x = torch.as_tensor(rng.random((2, 4, 5, 3)))
        out = layer(x)
        ref = cubical(x, 2, construction="T", ndim=3)
        assert isinstance(out, DiagramBatch)
        assert all(torch.equal(a, b) for a, b in zip(out.bars, ref.bars, strict=True))

    def test_superlevel(self, rng):
        x = torch.as_tensor(rng.random((6, 6)))
        d = CubicalLayer(superlevel=True)(x)
        assert d.superlevel and bool((d[0][:, 0] >= d[0][:, 1]).all())

    def test_exceptions(self):
        with pytest.raises(ValueError, match="construction"):
            CubicalLayer(construction="X")(torch.ones(3, 3))
        with pytest.raises(TypeError):
            CubicalLayer()(torch.ones(3, 3, dtype=torch.int32))

    def test_gradcheck(self, rng):
        layer = CubicalLayer(max_dim=1, construction="V")
        x = torch.as_tensor(rng.random((2, 4, 5))).requires_grad_()
        assert torch.autograd.gradcheck(
            lambda x: torch.cat([b[torch.isfinite(b)] for b in layer(x).bars]), (x,)
        )

    def test_repr(self):
        r = repr(CubicalLayer(max_dim=2, construction="V", ndim=3))
        assert r == "CubicalLayer(max_dim=2, superlevel=False, construction='V', ndim=3)"

    @dynamic_shapes
    def test_compile(self):
        layer = CubicalLayer(max_dim=1)
        f = torch.compile(lambda x: layer(x).bars[0][:, 0].sum(), fullgraph=True, backend="eager")
        x = torch.rand(3, 5, 5)
        assert torch.allclose(f(x), layer(x).bars[0][:, 0].sum())


def reference_grid_simplices(width, height):
    """The reference implementation's "grid" complex: both diagonals and four triangles per square."""
    out = [[i] for i in range(width * height)]
    for i in range(height):
        for j in range(width - 1):
            out.append([i * width + j, i * width + j + 1])
    for i in range(height - 1):
        for j in range(width):
            out.append([i * width + j, (i + 1) * width + j])
    for i in range(height - 1):
        for j in range(width - 1):
            a = i * width + j
            out += [[a, a + width + 1], [a, a + 1, a + width + 1], [a, a + width, a + width + 1]]
            out += [[a + 1, a + width], [a + 1, a + width, a + width + 1], [a, a + 1, a + width]]
    return out


class TestLevelSetLayer2D:
    def test_freudenthal_matches_reference_complex(self, rng):
        width, height = 7, 5
        layer = LevelSetLayer2D((width, height), maxdim=1)
        for sub in (True, False):
            layer.sublevel = sub
            f = rng.random(width * height)
            dgms, issub = layer(torch.as_tensor(f))
            assert issub is sub and isinstance(dgms, tuple) and len(dgms) == 2
            simplices = freudenthal_simplices((height, width))
            want = simplex_tree_lower_star(simplices, f, 1, not sub)
            assert [sorted(map(tuple, d.tolist())) for d in dgms] == want

    def test_grid_matches_reference_grid_complex(self, rng):
        width, height = 6, 7
        layer = LevelSetLayer2D((width, height), complex="grid")
        for kind in ("random", "ties"):
            f = image(kind, (height, width), rng).ravel()
            dgms, _ = layer(torch.as_tensor(f))
            want = simplex_tree_lower_star(reference_grid_simplices(width, height), f, 1, False)
            assert [sorted(map(tuple, d.tolist())) for d in dgms] == want

    def test_delaunay_matches_lower_star_of_scipy_triangulation(self, rng):
        from scipy.spatial import Delaunay

        width, height = 5, 4
        layer = LevelSetLayer2D((width, height), complex="delaunay", sublevel=False)
        f = rng.random(width * height)
        dgms, issub = layer(torch.as_tensor(f))
        xs, ys = np.meshgrid(np.arange(width), np.arange(height))
        tri = Delaunay(np.stack([xs.ravel(), ys.ravel()], 1).astype(float)).simplices
        want = simplex_tree_lower_star(tri.tolist(), f, 1, True)
        assert not issub and [sorted(map(tuple, d.tolist())) for d in dgms] == want

    def test_size_convention_and_shapes(self, rng):
        width, height = 6, 4
        img = torch.as_tensor(rng.random((height, width)))
        layer = LevelSetLayer2D((width, height))
        a, _ = layer(img)
        b, _ = layer(img.flatten())
        assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
        batch, _ = layer(torch.stack([img, img.flip(0)]))
        assert isinstance(batch, DiagramBatch) and len(batch) == 2
        assert torch.equal(batch[0][1], a[1])
        with pytest.raises(ValueError, match="size=\\(width=6, height=4\\)"):
            layer(torch.rand(6, 4))

    def test_batched_gradients_are_per_sample(self, rng):
        # The reference gave every sample the last sample's gradient; ours are stateless.
        layer = LevelSetLayer2D((5, 5))
        x = torch.as_tensor(rng.random((3, 5, 5))).requires_grad_()
        dgms, _ = layer(x)
        dgms.bars[0][torch.isfinite(dgms.bars[0][:, 1])].sum().backward()
        for i in range(3):
            xi = x[i].detach().clone().requires_grad_()
            d, _ = layer(xi)
            d[0][torch.isfinite(d[0][:, 1])].sum().backward()
            assert torch.equal(x.grad[i], xi.grad)

    def test_gradcheck(self, rng):
        layer = LevelSetLayer2D((4, 5), sublevel=False)
        x = torch.as_tensor(rng.random(20)).requires_grad_()
        assert torch.autograd.gradcheck(
            lambda x: torch.cat([d[torch.isfinite(d)] for d in layer(x)[0]]), (x,)
        )

    def test_exceptions_and_repr(self):
        with pytest.raises(ValueError, match="complex"):
            LevelSetLayer2D((3, 3), complex="alpha")
        with pytest.raises(ValueError, match="size"):
            LevelSetLayer2D((0, 3))
        assert repr(LevelSetLayer2D((3, 2))) == (
            "LevelSetLayer2D(size=(3, 2), maxdim=1, sublevel=True, complex='freudenthal')"
        )

    @dynamic_shapes
    def test_compile(self):
        layer = LevelSetLayer2D((5, 4))
        f = torch.compile(lambda x: layer(x)[0][0][:, 0].sum(), fullgraph=True, backend="eager")
        x = torch.rand(4, 5)
        assert torch.allclose(f(x), layer(x)[0][0][:, 0].sum())
