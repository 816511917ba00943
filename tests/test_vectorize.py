"""Persistence images and landscapes: oracles (persim, GUDHI), shapes, gradients, batches."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from topolayer.diagram import Diagram, DiagramBatch
from topolayer.vectorize import fit_ranges, persistence_image, persistence_landscape

INF = float("inf")


def rand_rows(rng, n, n_ess=0):
    b = rng.uniform(0, 1, n)
    rows = np.stack([b, b + rng.uniform(0.05, 0.9, n)], 1)
    if n_ess:
        rows = np.concatenate([rows, np.stack([rng.uniform(0, 1, n_ess), np.full(n_ess, INF)], 1)])
    return rows


def D(a, superlevel=False):
    return Diagram(
        [torch.tensor(np.asarray(a, dtype=np.float64).reshape(-1, 2))], superlevel=superlevel
    )


def brute_landscape(rows, t, n_layers):
    rows = rows[np.isfinite(rows).all(1)]
    lo, hi = rows.min(1, keepdims=True), rows.max(1, keepdims=True)
    tents = np.maximum(0, np.minimum(t[None] - lo, hi - t[None]))
    tents = np.concatenate([tents, np.zeros((n_layers, len(t)))])
    return -np.sort(-tents, axis=0)[:n_layers]


class TestPersistenceImage:
    def test_matches_persim(self, rng):
        from persim import PersistenceImager

        for sigma in (0.05, 0.2):
            rows = rand_rows(rng, 9)
            pim = PersistenceImager(
                birth_range=(0.0, 1.0),
                pers_range=(0.0, 1.0),
                pixel_size=0.1,
                kernel_params={"sigma": [[sigma**2, 0.0], [0.0, sigma**2]]},
            )
            want = pim.transform(rows, skew=True)
            got = persistence_image(D(rows), 0, (0.0, 1.0), (0.0, 1.0), 10, sigma)
            np.testing.assert_allclose(got.numpy(), want, atol=1e-12)

    def test_single_bar_by_hand(self):
        from scipy.stats import norm

        got = persistence_image(D([[0.3, 0.8]]), 0, (0, 1), (0, 1), (2, 1), 0.2, "uniform")
        gx = norm.cdf([(0.5 - 0.3) / 0.2, (1 - 0.3) / 0.2]) - norm.cdf(
            [(0 - 0.3) / 0.2, (0.5 - 0.3) / 0.2]
        )
        gy = norm.cdf((1 - 0.5) / 0.2) - norm.cdf((0 - 0.5) / 0.2)
        np.testing.assert_allclose(got.numpy(), (gx * gy)[:, None], atol=1e-12)

    def test_essential_and_empty(self, rng):
        rows = rand_rows(rng, 4)
        with_ess = np.concatenate([rows, [[0.2, INF]]])
        torch.testing.assert_close(persistence_image(D(with_ess), 0), persistence_image(D(rows), 0))
        empty = persistence_image(D(np.zeros((0, 2))), 0, resolution=(3, 4))
        assert empty.shape == (3, 4) and empty.abs().sum() == 0

    def test_superlevel_uses_birth_and_length(self, rng):
        rows = rand_rows(rng, 5)
        sup = np.stack([rows[:, 0] + 0, rows[:, 0] - (rows[:, 1] - rows[:, 0])], 1)
        torch.testing.assert_close(
            persistence_image(D(sup, superlevel=True), 0), persistence_image(D(rows), 0)
        )

    def test_callable_weight(self, rng):
        rows = rand_rows(rng, 5)
        got = persistence_image(D(rows), 0, weight=lambda x, y: 2 * y)
        torch.testing.assert_close(got, 2 * persistence_image(D(rows), 0))

    @pytest.mark.parametrize(
        "kwargs, exc",
        [
            (dict(resolution=0), ValueError),
            (dict(resolution=(2, 2, 2)), TypeError),
            (dict(sigma=0.0), ValueError),
            (dict(birth_range=(1.0, 0.0)), ValueError),
            (dict(pers_range=3), TypeError),
            (dict(weight="linear"), ValueError),
            (dict(dim=1), ValueError),
        ],
    )
    def test_bad_arguments(self, kwargs, exc):
        kwargs = {"dim": 0, **kwargs}
        with pytest.raises(exc):
            persistence_image(D([[0, 1]]), **kwargs)

    def test_gradcheck(self, rng):
        x = torch.tensor(rand_rows(rng, 4), requires_grad=True)
        ess = torch.tensor([[0.1, INF]], dtype=torch.float64)

        def f(x):
            return persistence_image(
                Diagram([torch.cat([x, ess])]), 0, resolution=(4, 3), sigma=0.3
            )

        assert torch.autograd.gradcheck(f, (x,))

    def test_empty_stays_in_graph(self):
        src = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
        out = persistence_image(Diagram([src[torch.zeros((0, 2), dtype=torch.long)]]), 0)
        out.sum().backward()
        assert src.grad.tolist() == [0.0]

    def test_batch_equals_loop(self, rng):
        items = [rand_rows(rng, 4, 1), rand_rows(rng, 0), rand_rows(rng, 6)]
        got = persistence_image(_batch(items), 0, resolution=(5, 6))
        assert got.shape == (3, 5, 6)
        want = torch.stack([persistence_image(D(r), 0, resolution=(5, 6)) for r in items])
        torch.testing.assert_close(got, want)


class TestPersistenceLandscape:
    def test_by_hand(self):
        got = persistence_landscape(D([[0, 2], [1, 3]]), 0, 0.0, 3.0, 7, 2)
        want = [[0, 0.5, 1, 0.5, 1, 0.5, 0], [0, 0, 0, 0.5, 0, 0, 0]]
        np.testing.assert_allclose(got.numpy(), want)

    def test_matches_brute_force(self, rng):
        for _ in range(5):
            rows = rand_rows(rng, int(rng.integers(0, 9)), n_ess=1)
            t = np.linspace(-0.5, 2.5, 31)
            got = persistence_landscape(D(rows), 0, -0.5, 2.5, 31, 4)
            np.testing.assert_allclose(got.numpy(), brute_landscape(rows, t, 4), atol=1e-12)

    def test_matches_gudhi_up_to_sqrt2(self, rng):
        Landscape = pytest.importorskip("gudhi.representations").Landscape
        rows = rand_rows(rng, 7)
        g = Landscape(num_landscapes=3, resolution=21, sample_range=[0.0, 2.0]).fit_transform(
            [rows]
        )
        got = persistence_landscape(D(rows), 0, 0.0, 2.0, 21, 3)
        # GUDHI measures tents in rotated coordinates: its landscapes are sqrt(2) times ours
        np.testing.assert_allclose(g.reshape(3, 21), np.sqrt(2) * got.numpy(), atol=1e-12)

    def test_superlevel_mirrors(self, rng):
        rows = rand_rows(rng, 5)
        sup = rows[:, ::-1].copy()
        torch.testing.assert_close(
            persistence_landscape(D(sup, superlevel=True), 0, 0.0, 2.0, 11),
            persistence_landscape(D(rows), 0, 0.0, 2.0, 11),
        )

    def test_more_layers_than_bars_are_zero(self):
        got = persistence_landscape(D([[0, 1]]), 0, 0.0, 1.0, 5, 4)
        assert got.shape == (4, 5) and got[1:].abs().sum() == 0
        assert persistence_landscape(D(np.zeros((0, 2))), 0, 0.0, 1.0, 5, 2).abs().sum() == 0

    @pytest.mark.parametrize(
        "args, exc",
        [
            ((1.0, 0.0, 5, 2), ValueError),
            ((0.0, 1.0, 0, 2), ValueError),
            ((0.0, 1.0, 5, 0), ValueError),
        ],
    )
    def test_bad_arguments(self, args, exc):
        with pytest.raises(exc):
            persistence_landscape(D([[0, 1]]), 0, *args)

    def test_gradcheck(self, rng):
        x = torch.tensor(rand_rows(rng, 4), requires_grad=True)
        ess = torch.tensor([[0.1, INF]], dtype=torch.float64)

        # grid points chosen off the tents' kinks
        def f(x):
            return persistence_landscape(Diagram([torch.cat([x, ess])]), 0, 0.013, 1.77, 9, 3)

        assert torch.autograd.gradcheck(f, (x,))

    def test_empty_stays_in_graph(self):
        src = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
        out = persistence_landscape(
            Diagram([src[torch.zeros((0, 2), dtype=torch.long)]]), 0, 0.0, 1.0
        )
        out.sum().backward()
        assert src.grad.tolist() == [0.0]

    def test_batch_equals_loop(self, rng):
        items = [rand_rows(rng, 4, 1), rand_rows(rng, 0), rand_rows(rng, 6)]
        got = persistence_landscape(_batch(items), 0, 0.0, 2.0, 13, 3)
        assert got.shape == (3, 3, 13)
        want = torch.stack([persistence_landscape(D(r), 0, 0.0, 2.0, 13, 3) for r in items])
        torch.testing.assert_close(got, want)

    def test_batch_with_ties_matches_brute_force(self):
        items = [[[0, 2], [0, 2], [1, 3], [0.5, 1.5]], [], [[1, 3]], [[0, 2], [1, 3], [1, 3]]]
        t = np.linspace(0.0, 3.0, 13)
        got = persistence_landscape(_batch(items), 0, 0.0, 3.0, 13, 3)
        want = [brute_landscape(np.asarray(r, float).reshape(-1, 2), t, 3) for r in items]
        np.testing.assert_allclose(got.numpy(), np.stack(want), atol=1e-12)

    def test_batch_gradients_equal_loop(self, rng):
        items = [rand_rows(rng, 5, 1), rand_rows(rng, 0), rand_rows(rng, 3)]
        x = torch.tensor(np.concatenate(items), requires_grad=True)
        batch = torch.cat([torch.full((len(a),), i) for i, a in enumerate(items)])
        w = torch.rand(3, 3, 17, dtype=torch.float64)
        (
            persistence_landscape(DiagramBatch([x], [batch], 3), 0, 0.0, 2.0, 17, 3) * w
        ).sum().backward()
        want = []
        for i, a in enumerate(items):
            xi = torch.tensor(a, requires_grad=True)
            (persistence_landscape(Diagram([xi]), 0, 0.0, 2.0, 17, 3) * w[i]).sum().backward()
            want.append(xi.grad)
        torch.testing.assert_close(x.grad, torch.cat(want))

    def test_traced_layout_equals_eager_layout(self, rng):
        """The segment sort (used under torch.compile) equals the dense layout (eager)."""
        from topolayer.vectorize import _dense_top, _segment_top

        for ties in (False, True):
            batch = torch.tensor(rng.integers(0, 4, 40))
            batch[:4] = torch.arange(4)
            values = torch.tensor(rng.random((40, 9)))
            if ties:  # among them zeros, as the tents of bars far from a grid point
                values = ((values.clamp_min(0.5) - 0.5) * 4).round() / 4
            values.requires_grad_()
            counts = torch.bincount(batch, minlength=5)  # item 4 has no rows
            dense = _dense_top(values, batch, counts, 3, int(counts.max()))
            traced = _segment_top(values, batch, 5, 3)
            assert torch.equal(traced, dense)
            if not ties:
                w = torch.rand(dense.shape, dtype=dense.dtype)
                (g1,) = torch.autograd.grad((dense * w).sum(), values)
                (g2,) = torch.autograd.grad((traced * w).sum(), values)
                assert torch.equal(g1, g2)


class TestSizeLimit:
    """Work arrays over topolayer._validate.MAX_FEATURE_BYTES are refused before allocation."""

    def test_image_per_bar(self):
        msg = r"persistence_image\(resolution=\(1000, 1000\)\) on 600 bars would allocate"
        with pytest.raises(ValueError, match=msg + r".*MAX_FEATURE_BYTES.*lower the resolution"):
            persistence_image(D(np.tile([[0.1, 0.6]], (600, 1))), 0, resolution=1000)

    def test_image_without_bars(self):
        with pytest.raises(ValueError, match="on 0 bars would allocate about 6866 MiB"):
            persistence_image(D(np.zeros((0, 2))), 0, resolution=30000)

    def test_landscape(self):
        msg = r"persistence_landscape\(n_steps=1000000, n_layers=5\) on 200 bars would allocate"
        with pytest.raises(ValueError, match=msg + ".*lower n_steps or n_layers"):
            persistence_landscape(D(np.tile([[0.1, 0.6]], (200, 1))), 0, 0.0, 1.0, 10**6)
        batch = _batch([np.tile([[0.1, 0.6]], (50, 1))] * 2)
        with pytest.raises(ValueError, match="on 100 bars would allocate"):
            persistence_landscape(batch, 0, 0.0, 1.0, 10**6)


def _batch(items):
    bars = torch.cat([torch.tensor(a).reshape(-1, 2) for a in items])
    batch = torch.cat([torch.full((len(a),), i, dtype=torch.long) for i, a in enumerate(items)])
    perm = torch.from_numpy(np.random.default_rng(0).permutation(len(bars)))
    return DiagramBatch([bars[perm]], [batch[perm]], len(items))


@settings(max_examples=examples(30), deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=8),
    st.integers(1, 4),
)
def test_landscape_layers_are_ordered_and_bounded(pairs, n_layers):
    rows = np.array([[b, b + ln] for b, ln in pairs]).reshape(-1, 2)
    lam = persistence_landscape(D(rows), 0, 0.0, 2.0, 17, n_layers).numpy()
    assert (np.diff(lam, axis=0) <= 1e-12).all()  # lambda_1 >= lambda_2 >= ...
    half = (rows[:, 1] - rows[:, 0]).max() / 2 if len(rows) else 0.0
    assert (lam >= 0).all() and (lam <= half + 1e-12).all()


# -- ranges from data ---------------------------------------------------------------------------


def test_fit_ranges_covers_the_finite_bars():
    d = Diagram([torch.tensor([[2.0, 5.0], [3.0, 3.5], [0.0, INF]]), torch.zeros((0, 2))])
    d2 = Diagram([torch.tensor([[1.0, 1.5]]), torch.zeros((0, 2))])
    assert fit_ranges([d, d2], 0) == {
        "birth_range": (1.0, 3.0),
        "pers_range": (0.0, 3.0),
        "t_range": (1.0, 5.0),
    }
    sup = Diagram([torch.tensor([[5.0, 2.0]])], superlevel=True)
    assert fit_ranges(sup, 0)["pers_range"] == (0.0, 3.0)
    assert fit_ranges(sup, 0)["t_range"] == (2.0, 5.0)
    # No finite bar: the defaults; ripser-style lists are one diagram.
    assert fit_ranges(Diagram([torch.tensor([[0.0, INF]])]), 0)["birth_range"] == (0.0, 1.0)
    assert fit_ranges([np.array([[0.5, 0.75]])], 0)["t_range"] == (0.5, 0.75)


def test_ranges_from_the_batch_equal_fitted_ranges():
    items = [[[2.0, 5.0], [3.0, 3.5]], [[2.5, 4.0]], []]
    b = _batch(items)
    r = fit_ranges(b, 0)
    img = persistence_image(b, 0, None, None, resolution=(6, 5), sigma=0.3)
    want = persistence_image(b, 0, r["birth_range"], r["pers_range"], resolution=(6, 5), sigma=0.3)
    torch.testing.assert_close(img, want)
    lam = persistence_landscape(b, 0, n_steps=9, n_layers=2)
    torch.testing.assert_close(lam, persistence_landscape(b, 0, *r["t_range"], 9, 2))
    assert lam.abs().sum() > 0


def test_features_warn_when_every_bar_misses_the_ranges():
    d = Diagram([torch.tensor([[20.0, 50.0], [30.0, 40.0]])])
    with pytest.warns(UserWarning, match="persistence_image: every finite bar lies outside"):
        assert persistence_image(d, 0).abs().max() == 0
    with pytest.warns(UserWarning, match="persistence_landscape: every finite bar lies outside"):
        assert persistence_landscape(d, 0, 0.0, 1.0).abs().max() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        persistence_image(d, 0, birth_range=(0.0, 40.0), pers_range=(0.0, 40.0))
        persistence_landscape(d, 0, 0.0, 35.0)
        persistence_image(d, 0, None, None)
        persistence_landscape(Diagram([torch.tensor([[0.0, 0.0]])]), 0, 0.0, 1.0)


def test_modules_fit_their_ranges():
    from topolayer.nn import PersistenceImage, PersistenceLandscape

    d = Diagram([torch.tensor([[20.0, 50.0], [30.0, 40.0]])])
    img = PersistenceImage(0, resolution=4, sigma=2.0).fit([d])
    assert img.birth_range == (20.0, 30.0) and img.pers_range == (0.0, 30.0)
    assert img(d).abs().sum() > 0
    lam = PersistenceLandscape(0, n_steps=31).fit(d)
    assert (lam.t_min, lam.t_max) == (20.0, 50.0)
    assert lam(d)[0].max() == 15.0  # the tent of (20, 50) peaks at t = 35, a grid point
