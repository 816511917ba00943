"""Right at every scale: point clouds scaled from 1e-30 to 1e30 (float32) and across float64's
range, and translated far from the origin, give the diagrams of the unscaled cloud (oracles:
ripser.py for Rips, GUDHI's AlphaComplex for alpha), and scaling by a power of two is exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import assert_same_bars, examples, noisy_circle, oracle
from hypothesis import given, settings
from hypothesis import strategies as st

from topolayer.functional import alpha, rips

ripser = oracle("ripser")
gudhi = oracle("gudhi")

SCALES_32 = [1e-30, 1e-20, 1e-10, 1e10, 1e20, 1e30]
SCALES_64 = [1e-300, 1e-150, 1e-50, 1e50, 1e150, 1e300]


def ripser_dgms(p, max_dim):
    return ripser.ripser(np.asarray(p, dtype=np.float64), maxdim=max_dim)["dgms"]


def _cloud(rng):
    return np.concatenate([noisy_circle(rng, 40, 0.05), rng.random((10, 2)) * 0.3])


@pytest.mark.parametrize(
    "dtype, scale",
    [(torch.float32, s) for s in SCALES_32] + [(torch.float64, s) for s in SCALES_64],
)
def test_rips_of_a_scaled_cloud_is_the_scaled_diagram(rng, dtype, scale):
    p = _cloud(rng)
    ref = ripser_dgms(p, 1)
    d = rips(torch.tensor(p * scale, dtype=dtype), max_dim=1)
    for k in range(2):
        got = d[k].double().numpy() / scale
        assert_same_bars(got, ref[k], rtol=1e-5, atol=1e-6)
    assert len(d[1]) >= 1  # the circle's loop survives at every scale


@pytest.mark.parametrize("shift", [1e3, 1e6, 1e8])
def test_rips_of_a_translated_cloud_is_unchanged(rng, shift):
    p = _cloud(rng)
    ref = ripser_dgms(p, 1)
    d = rips(torch.tensor(p + shift), max_dim=1)
    for k in range(2):
        # float64 coordinates near 1e8 keep about 8 significant digits of the unit-size cloud.
        assert_same_bars(d[k].numpy(), ref[k], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "method, threshold", [("dense", None), ("sparse", 0.4), ("delaunay", None)]
)
def test_every_rips_method_is_scale_free(rng, method, threshold):
    p = rng.random((60, 2))
    max_dim = 0 if method == "delaunay" else 1
    base = rips(torch.tensor(p), max_dim, threshold, method=method)
    for s in (2.0**-110, 2.0**100):
        thr = None if threshold is None else threshold * s
        d = rips(torch.tensor(p * s), max_dim, thr, method=method)
        for k in range(max_dim + 1):
            assert torch.equal(d.indices[k], base.indices[k])
            assert torch.equal(d[k] / s, base[k])


def test_half_precision_rips_is_computed_in_float32(rng):
    p = rng.random((30, 2)) * 100
    for dtype in (torch.float16, torch.bfloat16):
        x = torch.tensor(p, dtype=dtype, requires_grad=True)
        d = rips(x, max_dim=1)
        ref = rips(x.detach().float(), max_dim=1)
        assert d[0].dtype == dtype
        for k in range(2):
            assert torch.equal(d[k].detach(), ref[k].to(dtype))
        d[0][:-1, 1].sum().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all()


@settings(max_examples=examples(25), deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(3, 30),
    e=st.integers(-90, 90),  # keeps float32 coordinates normal (subnormals round)
    dtype=st.sampled_from([torch.float32, torch.float64]),
)
def test_scaling_by_a_power_of_two_is_exact(seed, n, e, dtype):
    p = torch.tensor(np.random.default_rng(seed).random((n, 3)), dtype=dtype)
    base = rips(p, max_dim=1)
    d = rips(p * 2.0**e, max_dim=1)
    for k in range(2):
        assert torch.equal(d.indices[k], base.indices[k])
        assert torch.equal(d[k], base[k] * 2.0**e)


def gudhi_alpha(p, max_dim):
    st = gudhi.AlphaComplex(points=p).create_simplex_tree()
    st.compute_persistence(homology_coeff_field=2)
    return [np.sqrt(st.persistence_intervals_in_dimension(k)) for k in range(max_dim + 1)]


def _alpha_cloud(rng, d):
    if d == 2:
        return noisy_circle(rng, 40, 0.05)
    v = rng.standard_normal((40, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True) + 0.02 * rng.standard_normal((40, 3))


def _long(bars, scale):
    """Bars longer than 1e-9 of the cloud's scale (both sides drop rounding-length bars of
    nearly cospherical points differently)."""
    b = np.asarray(bars, dtype=np.float64).reshape(-1, 2)
    return b[b[:, 1] - b[:, 0] > 1e-9 * scale]


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize(
    "dtype, scale",
    [(torch.float32, s) for s in SCALES_32] + [(torch.float64, s) for s in SCALES_64[1:-1]],
)
def test_alpha_of_a_scaled_cloud_is_the_scaled_diagram(rng, d, dtype, scale):
    p = _alpha_cloud(rng, d)
    ref = gudhi_alpha(p, d - 1)
    got = alpha(torch.tensor(p * scale, dtype=dtype), max_dim=d - 1)
    for k in range(d):
        a = _long(got[k].double().numpy(), scale) / scale
        assert_same_bars(a, _long(ref[k], 1.0), rtol=1e-4, atol=1e-6)
    assert len(_long(got[d - 1].double().numpy(), scale)) >= 1  # the loop / the void


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("shift", [1e3, 1e6, 1e8])
def test_alpha_of_a_translated_cloud_is_unchanged(rng, d, shift):
    p = _alpha_cloud(rng, d)
    ref = gudhi_alpha(p, d - 1)
    got = alpha(torch.tensor(p + shift), max_dim=d - 1)
    for k in range(d):
        assert_same_bars(_long(got[k].numpy(), 1.0), _long(ref[k], 1.0), rtol=1e-5, atol=1e-6)


def test_alpha_at_the_ends_of_float64_raises_no_qhull_error(rng):
    p = _alpha_cloud(rng, 3)
    for scale in (1e160, 1e-160):
        d = alpha(torch.tensor(p * scale), max_dim=2)
        assert len(_long(d[2].numpy(), scale)) == 1


def test_half_precision_alpha_is_computed_in_float32(rng):
    p = _alpha_cloud(rng, 2) * 50
    for dtype in (torch.float16, torch.bfloat16):
        x = torch.tensor(p, dtype=dtype)
        d = alpha(x, max_dim=1)
        ref = alpha(x.float(), max_dim=1)
        for k in range(2):
            assert d[k].dtype == dtype
            assert torch.equal(d[k], ref[k].to(dtype))
