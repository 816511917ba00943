"""Diagram features and losses (topolayer.losses): hand values, rules, gradients, batches."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from topolayer import losses as L
from topolayer.diagram import Diagram, DiagramBatch

INF = float("inf")


def dg(rows, superlevel=False, dtype=torch.float64, more_dims=0):
    t = torch.tensor(rows, dtype=dtype).reshape(-1, 2)
    extra = [torch.zeros((0, 2), dtype=dtype) for _ in range(more_dims)]
    return Diagram([t] + extra, superlevel=superlevel)


def make_batch(items, superlevel=False, interleave=True):
    """DiagramBatch of one dimension from a list of (n_i, 2) tensors (rows shuffled if asked)."""
    bars = torch.cat([t.reshape(-1, 2) for t in items]) if items else torch.zeros((0, 2))
    batch = torch.cat([torch.full((len(t),), i, dtype=torch.long) for i, t in enumerate(items)])
    if interleave and len(bars) > 1:
        perm = torch.from_numpy(np.random.default_rng(3).permutation(len(bars)))
        bars, batch = bars[perm], batch[perm]
    return DiagramBatch([bars], [batch], len(items), superlevel=superlevel)


def random_bars(rng, n, n_ess=0, superlevel=False):
    b = rng.uniform(0, 1, n)
    d = b + rng.uniform(0.05, 1.0, n)
    rows = np.stack([b, d], 1)
    if n_ess:
        rows = np.concatenate([rows, np.stack([rng.uniform(0, 1, n_ess), np.full(n_ess, INF)], 1)])
    if superlevel:
        rows = -rows  # bars run downwards, essential deaths -inf
    return torch.tensor(rows[rng.permutation(len(rows))])


# Every feature as a function of (diagram, dim) returning () or (B, ...), used by the generic
# tests (empty diagrams, batches, gradcheck).
FEATURES = {
    "sum": lambda d, k: L.sum_barcode_lengths(d, k),
    "topk": lambda d, k: L.top_k_barcode_lengths(d, k, 3),
    "partial": lambda d, k: L.partial_sum_barcode_lengths(d, k, 1),
    "poly": lambda d, k: L.barcode_poly_feature(d, k, 2, 1),
    "poly_frac": lambda d, k: L.barcode_poly_feature(d, k, 0.5, 2, remove_zero=False),
    "E_1_0_2": lambda d, k: L.barcode_feature(d, k, 1, 0, 2),
    "E_2_1_1": lambda d, k: L.barcode_feature(d, k, 2, 1, 1),
    "total_p2": lambda d, k: L.total_persistence(d, k, 2),
    "total_inf": lambda d, k: L.total_persistence(d, k, INF),
    "entropy": lambda d, k: L.persistence_entropy(d, k),
    "entropy_norm": lambda d, k: L.persistence_entropy(d, k, normalize=True),
    "betti": lambda d, k: L.betti_number(d, k, torch.tensor([0.3, 0.9])),
    "betti_curve": lambda d, k: L.betti_curve(d, k, -1.0, 2.0, 7),
    "prior": lambda d, k: L.topological_prior(d, k, 1),
    "prior_eps": lambda d, k: L.topological_prior(d, k, 2, eps=0.5, p=2),
}


# -- hand-computed values -------------------------------------------------------------------
class TestReferenceFeatures:
    def test_sum_barcode_lengths_drops_essential(self):
        d = dg([[0, 1], [0.5, 3], [0, INF]])
        assert L.sum_barcode_lengths(d, 0).item() == 3.5

    def test_sum_superlevel_length_is_birth_minus_death(self):
        d = dg([[3, 1], [2, 1.5], [4, -INF]], superlevel=True)
        assert L.sum_barcode_lengths(d, 0).item() == 2.5

    def test_sum_empty_is_zero(self):
        assert L.sum_barcode_lengths(dg([]), 0).item() == 0.0

    def test_sum_reads_requested_dim(self):
        d = Diagram([torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 4.0], [2.0, 2.5]])])
        assert L.sum_barcode_lengths(d, 1).item() == 3.5

    def test_top_k_sorted_and_zero_padded(self):
        d = dg([[0, 1], [0.5, 3], [0, INF], [1, 1.25]])
        out = L.top_k_barcode_lengths(d, 0, 5)
        assert out.tolist() == [2.5, 1.0, 0.25, 0.0, 0.0]

    def test_top_k_truncates(self):
        d = dg([[0, 1], [0.5, 3], [1, 1.25]])
        assert L.top_k_barcode_lengths(d, 0, 2).tolist() == [2.5, 1.0]

    def test_top_k_superlevel(self):
        d = dg([[3, 1], [2, 1.5], [4, -INF]], superlevel=True)
        assert L.top_k_barcode_lengths(d, 0, 3).tolist() == [2.0, 0.5, 0.0]

    def test_top_k_empty(self):
        out = L.top_k_barcode_lengths(dg([]), 0, 2)
        assert out.shape == (2,) and out.tolist() == [0.0, 0.0]

    def test_partial_sum_skips_longest_finite(self):
        d = dg([[0, 1], [0.5, 3], [0, INF], [1, 1.25]])
        assert L.partial_sum_barcode_lengths(d, 0, 0).item() == 3.75
        assert L.partial_sum_barcode_lengths(d, 0, 1).item() == 1.25
        assert L.partial_sum_barcode_lengths(d, 0, 2).item() == 0.25
        assert L.partial_sum_barcode_lengths(d, 0, 10).item() == 0.0

    def test_poly_feature(self):
        d = dg([[0, 1], [1, 3], [0, INF]])
        # 1^2 * 0.5 + 2^2 * 2
        assert L.barcode_poly_feature(d, 0, 2, 1).item() == pytest.approx(8.5)
        # 1^1 * 0.5^2 + 2 * 2^2
        assert L.barcode_poly_feature(d, 0, 1, 2).item() == pytest.approx(8.25)

    def test_poly_feature_superlevel_midpoint(self):
        d = dg([[3, 1], [4, -INF]], superlevel=True)
        # length 2, midpoint 2 -> 2^1 * 2^2
        assert L.barcode_poly_feature(d, 0, 1, 2).item() == pytest.approx(8.0)

    def test_poly_feature_zero_bars_and_remove_zero(self):
        d = dg([[0.5, 0.5], [0, 1]])
        for rz in (True, False):
            assert L.barcode_poly_feature(d, 0, 1, 0, remove_zero=rz).item() == 1.0

    def test_poly_feature_q_zero_essential_contributes_nothing(self):
        d = dg([[0, INF], [0, 2]])
        assert L.barcode_poly_feature(d, 0, 1, 0).item() == 2.0


class TestGenericFeature:
    def test_essential_bar_counts_first(self):
        d = dg([[0, 1], [0.5, 3], [0, INF], [1, 1.5]])
        assert L.barcode_feature(d, 0, 1, 0, 1).item() == 4.0
        assert L.barcode_feature(d, 0, 1, 0, 2).item() == 4.0
        assert L.barcode_feature(d, 0, 1, 0, 3).item() == 1.5
        assert L.barcode_feature(d, 0, 1, 0, 4).item() == 0.5
        assert L.barcode_feature(d, 0, 1, 0, 5).item() == 0.0

    def test_without_essential_i0_2_skips_longest_finite(self):
        d = dg([[0, 1], [0.5, 3], [1, 1.5]])
        assert L.barcode_feature(d, 0, 1, 0, 2).item() == 1.5

    def test_differs_from_partial_sum_only_by_the_essential_rule(self):
        d = dg([[0, 1], [0.5, 3], [0, INF]])
        assert L.partial_sum_barcode_lengths(d, 0, 1).item() == 1.0
        assert L.barcode_feature(d, 0, 1, 0, 2).item() == 3.5

    def test_powers_and_midpoints(self):
        d = dg([[0, 2], [1, 2]])
        # i0=1: 2^2 * 1^3 + 1^2 * 1.5^3
        assert L.barcode_feature(d, 0, 2, 3, 1).item() == pytest.approx(4 + 1.5**3)
        assert L.barcode_feature(d, 0, 2, 3, 2).item() == pytest.approx(1.5**3)

    def test_superlevel(self):
        d = dg([[5, -INF], [3, 1], [2, 1.5]], superlevel=True)
        assert L.barcode_feature(d, 0, 1, 0, 2).item() == 2.5
        assert L.barcode_feature(d, 0, 1, 1, 3).item() == pytest.approx(0.5 * 1.75)

    def test_paper_top1_is_range_of_points_on_a_line(self):
        # H0 of points on the line under Rips: essential bar + one bar per gap (born at 0)
        x = np.array([0.0, 0.3, 1.0, 1.2, 3.0])
        gaps = np.diff(np.sort(x))
        rows = [[0.0, INF]] + [[0.0, g] for g in gaps]
        d = dg(rows)
        assert L.barcode_feature(d, 0, 1, 0, 2).item() == pytest.approx(x.max() - x.min())
        top2 = x.max() - x.min() - np.sort(gaps)[-2:].sum()
        assert L.barcode_feature(d, 0, 1, 0, 4).item() == pytest.approx(top2)

    def test_empty(self):
        assert L.barcode_feature(dg([]), 0, 1, 0, 2).item() == 0.0


class TestBeyondReference:
    def test_total_persistence(self):
        d = dg([[0, 3], [1, 5], [0, INF]])
        assert L.total_persistence(d, 0, 1).item() == 7.0
        assert L.total_persistence(d, 0, 2).item() == pytest.approx(5.0)
        assert L.total_persistence(d, 0, 2, root=False).item() == pytest.approx(25.0)
        assert L.total_persistence(d, 0, INF).item() == 4.0
        assert L.total_persistence(dg([]), 0, 2).item() == 0.0
        assert L.total_persistence(dg([]), 0, INF).item() == 0.0

    def test_entropy_uniform_lengths(self):
        d = dg([[0, 1], [2, 3], [5, 6], [0, INF]])
        assert L.persistence_entropy(d, 0).item() == pytest.approx(math.log(3))
        assert L.persistence_entropy(d, 0, normalize=True).item() == pytest.approx(1.0)

    def test_entropy_two_bars(self):
        d = dg([[0, 1], [0, 3]])
        p = np.array([0.25, 0.75])
        assert L.persistence_entropy(d, 0).item() == pytest.approx(-(p * np.log(p)).sum())

    def test_entropy_degenerate(self):
        assert L.persistence_entropy(dg([[0, 1]]), 0).item() == 0.0
        assert L.persistence_entropy(dg([]), 0).item() == 0.0
        assert L.persistence_entropy(dg([[1, 1], [2, 2]]), 0).item() == 0.0
        assert L.persistence_entropy(dg([[0, 1]]), 0, normalize=True).item() == 0.0

    def test_betti_number_sublevel_half_open(self):
        d = dg([[0, 1], [0.5, 3], [0, INF]])
        t = torch.tensor([-1.0, 0.0, 0.5, 1.0, 3.0, 10.0])
        assert L.betti_number(d, 0, t).tolist() == [0, 2, 3, 2, 1, 1]
        assert L.betti_number(d, 0, 0.75).item() == 3

    def test_betti_number_superlevel(self):
        d = dg([[3, 1], [2, 1.5], [4, -INF]], superlevel=True)
        t = torch.tensor([5.0, 4.0, 3.0, 2.0, 1.5, 1.0, -9.0])
        assert L.betti_number(d, 0, t).tolist() == [0, 1, 2, 3, 2, 1, 1]

    def test_betti_number_keeps_shape_of_t(self):
        d = dg([[0, 1]])
        assert L.betti_number(d, 0, torch.zeros(2, 3)).shape == (2, 3)

    def test_betti_curve(self):
        d = dg([[0, 1], [0.5, 3]])
        assert L.betti_curve(d, 0, 0.0, 4.0, 5).tolist() == [1, 1, 1, 0, 0]
        assert L.betti_curve(dg([]), 0, 0.0, 1.0, 3).tolist() == [0, 0, 0]

    def test_betti_curve_size_limit(self):
        d = dg(np.tile([[0.0, 1.0]], (100, 1)))
        msg = r"betti_curve\(n_steps=1000000\) on 100 bars would allocate about 2296 MiB"
        with pytest.raises(ValueError, match=msg + ".*MAX_FEATURE_BYTES.*lower n_steps"):
            L.betti_curve(d, 0, 0.0, 1.0, 10**6)

    def test_prior_unbounded_reward(self):
        d = dg([[0, 1], [0, 3], [1, 1.5]])
        assert L.topological_prior(d, 0, 1).item() == pytest.approx(1.5 - 3)
        assert L.topological_prior(d, 0, 2).item() == pytest.approx(0.5 - 4)
        assert L.topological_prior(d, 0, 0).item() == pytest.approx(4.5)
        assert L.topological_prior(d, 0, 10).item() == pytest.approx(-4.5)

    def test_prior_with_eps_is_zero_when_satisfied(self):
        d = dg([[0, 1], [0, 3], [1, 1]])
        assert L.topological_prior(d, 0, 2, eps=1.0).item() == 0.0
        assert L.topological_prior(d, 0, 2, eps=2.0).item() == pytest.approx(1.0)
        assert L.topological_prior(d, 0, 1, eps=2.0).item() == pytest.approx(1.0)
        assert L.topological_prior(d, 0, 3, eps=1.0, p=2).item() == pytest.approx(1.0)

    def test_prior_essential_is_a_kept_bar(self):
        d = dg([[0, INF], [0, 1], [0.5, 3]])
        # "one component": the essential class is the one kept -> E(1, 0, 2; PD0)
        assert L.topological_prior(d, 0, 1).item() == pytest.approx(3.5)
        assert L.topological_prior(d, 0, 1, eps=1.0).item() == pytest.approx(3.5)
        assert L.topological_prior(d, 0, 1).item() == L.barcode_feature(d, 0, 1, 0, 2).item()


# -- input forms ----------------------------------------------------------------------------
class TestInputs:
    def test_tuple_input_matches_diagram(self, rng):
        bars = random_bars(rng, 6, n_ess=1)
        d = Diagram([bars])
        for name, fn in FEATURES.items():
            torch.testing.assert_close(fn((([bars]), True), 0), fn(d, 0), msg=name)

    def test_tuple_superlevel_matches_diagram(self, rng):
        bars = random_bars(rng, 6, n_ess=1, superlevel=True)
        d = Diagram([bars], superlevel=True)
        for name, fn in FEATURES.items():
            torch.testing.assert_close(fn(([bars], False), 0), fn(d, 0), msg=name)

    def test_reference_filler_rows_are_ignored(self, rng):
        bars = random_bars(rng, 5, n_ess=1)
        filler = torch.tensor([[INF, INF], [INF, INF]], dtype=bars.dtype)
        for name, fn in FEATURES.items():
            torch.testing.assert_close(
                fn(([torch.cat([bars, filler])], True), 0), fn(([bars], True), 0), msg=name
            )

    def test_float32(self):
        d = dg([[0, 1], [0.5, 3], [0, INF]], dtype=torch.float32)
        for name, fn in FEATURES.items():
            assert fn(d, 0).dtype == torch.float32, name

    @pytest.mark.parametrize(
        "call, exc",
        [
            (lambda d: L.sum_barcode_lengths(d, 2), ValueError),
            (lambda d: L.sum_barcode_lengths(d, -1), ValueError),
            (lambda d: L.sum_barcode_lengths(d, 0.0), TypeError),
            (lambda d: L.top_k_barcode_lengths(d, 0, 0), ValueError),
            (lambda d: L.top_k_barcode_lengths(d, 0, 1.5), TypeError),
            (lambda d: L.partial_sum_barcode_lengths(d, 0, -1), ValueError),
            (lambda d: L.barcode_poly_feature(d, 0, 0, 1), ValueError),
            (lambda d: L.barcode_poly_feature(d, 0, 1, INF), ValueError),
            (lambda d: L.barcode_feature(d, 0, -1, 0, 1), ValueError),
            (lambda d: L.barcode_feature(d, 0, 1, 0, 0), ValueError),
            (lambda d: L.total_persistence(d, 0, 0), ValueError),
            (lambda d: L.betti_number(d, 0, "x"), TypeError),
            (lambda d: L.betti_curve(d, 0, 1.0, 0.0), ValueError),
            (lambda d: L.betti_curve(d, 0, 0.0, 1.0, 0), ValueError),
            (lambda d: L.topological_prior(d, 0, -1), ValueError),
            (lambda d: L.topological_prior(d, 0, 1, eps=0.0), ValueError),
        ],
    )
    def test_bad_arguments(self, call, exc):
        with pytest.raises(exc):
            call(dg([[0, 1]], more_dims=1))

    def test_bad_diagram(self):
        with pytest.raises(TypeError, match="dgm"):
            L.sum_barcode_lengths("bars", 0)
        # A list of per-dimension tensors is a ripser-style diagram (topolayer.as_diagram).
        assert L.sum_barcode_lengths([torch.tensor([[0.0, 2.0]])], 0) == 2.0
        with pytest.raises(TypeError, match="floating"):
            L.sum_barcode_lengths(Diagram([torch.zeros((1, 2), dtype=torch.long)]), 0)
        with pytest.raises(ValueError, match=r"\(n, 2\)"):
            L.sum_barcode_lengths(Diagram([torch.zeros(3)]), 0)

    def test_error_names_the_argument(self):
        with pytest.raises(ValueError, match="k must be >= 1"):
            L.top_k_barcode_lengths(dg([[0, 1]]), 0, 0)
        with pytest.raises(ValueError, match="dim=3"):
            L.sum_barcode_lengths(dg([[0, 1]]), 3)


# -- gradients ------------------------------------------------------------------------------
class TestGradients:
    @pytest.mark.parametrize("name", list(FEATURES))
    @pytest.mark.parametrize("superlevel", [False, True], ids=["sub", "super"])
    def test_gradcheck(self, name, superlevel, rng):
        rows = random_bars(rng, 6, n_ess=1, superlevel=superlevel)
        fin = torch.isfinite(rows[:, 1])
        ess = rows[~fin]
        x = rows[fin].clone().requires_grad_(True)

        def f(x):
            return FEATURES[name](Diagram([torch.cat([x, ess])], superlevel=superlevel), 0)

        assert torch.autograd.gradcheck(f, (x,))

    def test_gradcheck_essential_birth(self, rng):
        rows = random_bars(rng, 4)
        e = torch.tensor([[0.2]], dtype=torch.float64, requires_grad=True)

        def f(e):
            ess = torch.cat([e, torch.full_like(e, INF)], 1)
            d = Diagram([torch.cat([rows, ess])])
            return torch.stack([fn(d, 0).sum() for fn in FEATURES.values()])

        assert torch.autograd.gradcheck(f, (e,))

    def test_sum_gradient_values(self):
        x = torch.tensor(
            [[0.0, 1.0], [0.5, 3.0], [0.0, INF]], dtype=torch.float64, requires_grad=True
        )
        L.sum_barcode_lengths(Diagram([x]), 0).backward()
        assert x.grad.tolist() == [[-1, 1], [-1, 1], [0, 0]]

    def test_superlevel_gradient_signs(self):
        x = torch.tensor([[3.0, 1.0], [4.0, -INF]], dtype=torch.float64, requires_grad=True)
        L.sum_barcode_lengths(Diagram([x], superlevel=True), 0).backward()
        assert x.grad.tolist() == [[1, -1], [0, 0]]

    @pytest.mark.parametrize("name", list(FEATURES))
    def test_no_nan_gradients_with_essential_and_zero_bars(self, name):
        x = torch.tensor(
            [[0.0, INF], [0.5, 0.5], [0.0, 1.0], [0.2, 0.2], [0.25, 0.75]],
            dtype=torch.float64,
            requires_grad=True,
        )
        out = FEATURES[name](Diagram([x]), 0)
        assert torch.isfinite(out).all()
        out.sum().backward()
        assert torch.isfinite(x.grad).all()
        assert x.grad[0].tolist() == [0.0, 0.0] or name not in ("sum", "topk", "partial", "poly")

    @pytest.mark.parametrize("name", list(FEATURES))
    def test_empty_diagram_stays_in_graph(self, name):
        src = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        bars = src[torch.zeros((0, 2), dtype=torch.long)]  # a gather with no rows
        out = FEATURES[name](Diagram([bars]), 0)
        assert out.requires_grad
        out.sum().backward()
        assert src.grad is not None and src.grad.tolist() == [0.0, 0.0]

    @pytest.mark.parametrize("name", list(FEATURES))
    def test_only_essential_stays_in_graph(self, name):
        src = torch.tensor([1.0, INF], dtype=torch.float64, requires_grad=True)
        bars = src[torch.tensor([[0, 1]])]
        out = FEATURES[name](Diagram([bars]), 0)
        out.sum().backward()
        assert src.grad is not None and torch.isfinite(src.grad).all()


# -- batches --------------------------------------------------------------------------------
class TestBatch:
    @pytest.mark.parametrize("name", list(FEATURES))
    @pytest.mark.parametrize("superlevel", [False, True], ids=["sub", "super"])
    def test_batch_equals_loop(self, name, superlevel, rng):
        items = [
            random_bars(rng, 5, n_ess=1, superlevel=superlevel),
            random_bars(rng, 0, superlevel=superlevel),
            random_bars(rng, 3, superlevel=superlevel),
            random_bars(rng, 8, n_ess=2, superlevel=superlevel),
        ]
        batch = make_batch(items, superlevel=superlevel)
        got = FEATURES[name](batch, 0)
        want = torch.stack([FEATURES[name](Diagram([t], superlevel=superlevel), 0) for t in items])
        torch.testing.assert_close(got, want)

    def test_batch_of_nothing(self):
        batch = DiagramBatch([torch.zeros((0, 2))], [torch.zeros(0, dtype=torch.long)], 3)
        assert L.sum_barcode_lengths(batch, 0).tolist() == [0, 0, 0]
        assert L.top_k_barcode_lengths(batch, 0, 2).shape == (3, 2)

    def test_batch_gradients_equal_loop(self, rng):
        items = [random_bars(rng, 4, n_ess=1), random_bars(rng, 6)]
        xs = [t.clone().requires_grad_(True) for t in items]
        loss = L.barcode_feature(make_batch(xs, interleave=False), 0, 2, 0, 2).sum()
        grads = torch.autograd.grad(loss, xs)
        for x, g in zip(xs, grads, strict=True):
            (g1,) = torch.autograd.grad(L.barcode_feature(Diagram([x]), 0, 2, 0, 2), x)
            torch.testing.assert_close(g, g1)


# -- properties -----------------------------------------------------------------------------
# Lengths are 0 or at least 1e-3: a shift by c must not round a length away (1 + 1e-108 == 1),
# or the metamorphic tests would compare different diagrams.
bar_lists = st.lists(
    st.tuples(
        st.floats(-5, 5, allow_nan=False),
        st.one_of(st.just(0.0), st.floats(1e-3, 5, allow_nan=False)),
    ),
    max_size=12,
)


def _from(pairs, n_ess):
    rows = [[b, b + ln] for b, ln in pairs] + [[0.0, INF]] * n_ess
    return dg(rows)


@settings(max_examples=examples(60), deadline=None)
@given(bar_lists, st.integers(0, 2), st.integers(0, 14))
def test_special_cases_agree(pairs, n_ess, k):
    d = _from(pairs, n_ess)
    s = L.sum_barcode_lengths(d, 0)
    torch.testing.assert_close(L.barcode_feature(d, 0, 1, 0, 1), s)
    torch.testing.assert_close(L.total_persistence(d, 0, 1), s)
    torch.testing.assert_close(
        L.barcode_poly_feature(d, 0, 1.5, 1), L.barcode_feature(d, 0, 1.5, 1, 1)
    )
    kk = max(k, 1)
    torch.testing.assert_close(
        L.top_k_barcode_lengths(d, 0, kk).sum() + L.partial_sum_barcode_lengths(d, 0, kk), s
    )
    # E skips the essential bars first, then the longest finite ones
    torch.testing.assert_close(
        L.barcode_feature(d, 0, 1, 0, k + 1),
        L.partial_sum_barcode_lengths(d, 0, max(k - n_ess, 0)),
    )
    torch.testing.assert_close(L.topological_prior(d, 0, 0), s)


@settings(max_examples=examples(40), deadline=None)
@given(bar_lists, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(pairs, rnd):
    d = _from(pairs, 1)
    perm = list(range(len(d[0])))
    rnd.shuffle(perm)
    d2 = Diagram([d[0][perm]])
    for name, fn in FEATURES.items():
        torch.testing.assert_close(fn(d2, 0), fn(d, 0), msg=name)


@settings(max_examples=examples(40), deadline=None)
@given(bar_lists, st.floats(-3, 3, allow_nan=False))
def test_shift_changes_only_midpoint_features(pairs, c):
    d = _from(pairs, 1)
    shifted = Diagram([d[0] + c])
    for name in ("sum", "topk", "partial", "E_1_0_2", "total_p2", "total_inf", "entropy", "prior"):
        torch.testing.assert_close(FEATURES[name](shifted, 0), FEATURES[name](d, 0), msg=name)


# -- the reference implementation's four, re-derived in NumPy ---------------------------------
def _np_lengths(dgm, issub):
    start, end = (dgm[:, 0], dgm[:, 1]) if issub else (dgm[:, 1], dgm[:, 0])
    with np.errstate(invalid="ignore"):
        lengths = end - start
        means = (end + start) / 2
    bad = ~np.isfinite(lengths)
    lengths[bad] = 0
    means[bad] = 0
    return lengths, means


@pytest.mark.parametrize("issub", [True, False])
def test_matches_reference_semantics(issub, rng):
    for _ in range(10):
        bars = random_bars(
            rng, int(rng.integers(0, 9)), n_ess=int(rng.integers(0, 2)), superlevel=not issub
        )
        a = bars.numpy().copy()
        lengths, means = _np_lengths(a.copy(), issub)
        srt = np.sort(lengths)[::-1]
        k, skip = 4, 2
        topk = np.concatenate([srt, np.zeros(k)])[:k]
        nz = a[:, 0] != a[:, 1]
        poly = np.sum(lengths[nz] ** 2 * means[nz] ** 1)
        inp = ([bars], issub)
        np.testing.assert_allclose(L.sum_barcode_lengths(inp, 0).item(), lengths.sum(), atol=1e-12)
        np.testing.assert_allclose(L.top_k_barcode_lengths(inp, 0, k).numpy(), topk, atol=1e-12)
        np.testing.assert_allclose(
            L.partial_sum_barcode_lengths(inp, 0, skip).item(), srt[skip:].sum(), atol=1e-12
        )
        np.testing.assert_allclose(L.barcode_poly_feature(inp, 0, 2, 1).item(), poly, atol=1e-12)


def test_batch_results_take_the_batch_shape(rng):
    items = [random_bars(rng, n, n_ess=1) for n in (3, 0, 5, 2, 4, 1)]
    flat = make_batch(items)
    shaped = DiagramBatch(flat.bars, flat.batch, 6, batch_shape=(2, 3))
    for name, fn in FEATURES.items():
        a, b = fn(flat, 0), fn(shaped, 0)
        assert b.shape == (2, 3) + a.shape[1:], name
        torch.testing.assert_close(b.reshape(a.shape), a, msg=name)


def test_remove_zero_only_changes_gradients():
    x = torch.tensor([[0.5, 0.5], [0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    (g_keep,) = torch.autograd.grad(L.barcode_poly_feature(Diagram([x]), 0, 1, 0, False), x)
    (g_drop,) = torch.autograd.grad(L.barcode_poly_feature(Diagram([x]), 0, 1, 0, True), x)
    assert g_keep.tolist() == [[-1, 1], [-1, 1]]
    assert g_drop.tolist() == [[0, 0], [-1, 1]]


def test_entropy_of_an_underflowing_bar_is_finite():
    # l / L underflows to 0 for the subnormal bar: its term is the limit 0, not NaN.
    x = torch.tensor([[0.0, 2.0], [0.0, 5e-324]], dtype=torch.float64, requires_grad=True)
    h = L.persistence_entropy(Diagram([x]), 0)
    h.backward()
    assert h.item() == 0.0
    assert torch.isfinite(x.grad).all()
