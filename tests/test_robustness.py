"""Right at every scale: point clouds scaled from 1e-30 to 1e30 (float32) and across float64's
range, and translated far from the origin, give the diagrams of the unscaled cloud (oracle:
ripser.py), and scaling by a power of two is exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import assert_same_bars, examples, noisy_circle, oracle
from hypothesis import given, settings
from hypothesis import strategies as st

from topolayer.functional import rips

ripser = oracle("ripser")

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
