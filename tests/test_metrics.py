"""Tests for topolayer.metrics: hand fixtures with known Betti numbers and overlaps, the
connectivity convention checked against the superlevel cubical persistence, and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import topolayer.functional
from topolayer.functional import cubical
from topolayer.metrics import betti_error, betti_matching_error, betti_numbers, cldice, dice


# -- fixtures drawn by hand ------------------------------------------------------------------------
def ring(n: int = 9) -> np.ndarray:
    m = np.zeros((n, n), bool)
    m[1:-1, 1:-1] = True
    m[3:-3, 3:-3] = False
    return m


def two_blobs() -> np.ndarray:
    m = np.zeros((8, 12), bool)
    m[1:4, 1:4] = True
    m[4:7, 7:11] = True
    return m


def vessel() -> np.ndarray:
    """A Y-shaped vessel, one pixel wide, 4-connected."""
    m = np.zeros((12, 12), bool)
    m[6, 0:7] = True
    m[1:6, 6] = True
    m[6, 6:12] = True
    return m


def broken_vessel() -> np.ndarray:
    m = vessel()
    m[6, 3] = False  # a gap in the trunk: one more component, no hole
    return m


def hollow_ball() -> np.ndarray:
    """A 5^3 cube with a 1-voxel cavity in the middle: b = (1, 0, 1)."""
    m = np.zeros((7, 7, 7), bool)
    m[1:6, 1:6, 1:6] = True
    m[3, 3, 3] = False
    return m


def solid_torus() -> np.ndarray:
    """A square ring extruded along the first axis: one tunnel, b = (1, 1, 0)."""
    m = np.zeros((7, 7, 7), bool)
    m[2:5, 1:6, 1:6] = True
    m[:, 3, 3] = False
    return m


@pytest.mark.parametrize(
    ("mask", "ndim", "expected"),
    [
        (ring(), 2, [1, 1]),
        (two_blobs(), 2, [2, 0]),
        (vessel(), 2, [1, 0]),
        (broken_vessel(), 2, [2, 0]),
        (np.zeros((5, 5), bool), 2, [0, 0]),
        (np.ones((5, 5), bool), 2, [1, 0]),
        (hollow_ball(), 3, [1, 0, 1]),
        (solid_torus(), 3, [1, 1, 0]),
        (np.zeros((4, 4, 4), bool), 3, [0, 0, 0]),
    ],
    ids=[
        "ring",
        "two_blobs",
        "vessel",
        "broken_vessel",
        "empty",
        "full",
        "ball",
        "torus",
        "empty3",
    ],
)
def test_betti_numbers_of_hand_fixtures(mask, ndim, expected):
    assert betti_numbers(mask, ndim=ndim).tolist() == expected
    # The same shapes are fat enough that pixels-as-cubes (T) sees the same topology.
    assert betti_numbers(mask, ndim=ndim, construction="T").tolist() == expected


def test_diagonal_contacts_follow_the_construction():
    # Two pixels touching at a corner: two components for V (4-connected foreground), one for
    # T (8-connected); a diagonal ring encloses a hole only for T.
    diag = np.eye(3, dtype=bool)
    assert betti_numbers(diag).tolist() == [3, 0]
    assert betti_numbers(diag, construction="T").tolist() == [1, 0]
    diamond = np.zeros((5, 5), bool)
    diamond[[0, 1, 1, 2, 2, 3, 3, 4], [2, 1, 3, 0, 4, 1, 3, 2]] = True
    assert betti_numbers(diamond).tolist() == [8, 0]
    assert betti_numbers(diamond, construction="T").tolist() == [1, 1]
    # 3D: voxels sharing only an edge or a corner.
    v = np.zeros((3, 3, 3), bool)
    v[0, 0, 0] = v[1, 1, 0] = v[2, 2, 1] = True
    assert betti_numbers(v, ndim=3).tolist() == [3, 0, 0]
    assert betti_numbers(v, ndim=3, construction="T").tolist() == [1, 0, 0]


@pytest.mark.parametrize("construction", ["V", "T"])
@pytest.mark.parametrize("ndim", [2, 3])
def test_betti_numbers_equal_bars_born_at_one_in_superlevel_cubical(rng, ndim, construction):
    # Superlevel persistence of a 0/1 image: the foreground's classes are the bars born at 1
    # (finite ones die at 0). The metric and the losses' filtration must agree on connectivity.
    size = 12 if ndim == 2 else 6
    masks = rng.random((40,) + (size,) * ndim) < rng.uniform(0.2, 0.8, size=(40,) + (1,) * ndim)
    got = betti_numbers(masks, ndim=ndim, construction=construction)
    dgms = cubical(
        torch.from_numpy(masks.astype(np.float64)),
        max_dim=ndim - 1,
        superlevel=True,
        construction=construction,
        ndim=ndim,
    )
    for i in range(len(masks)):
        ref = [int((dgms[i][k][:, 0] == 1).sum()) for k in range(ndim)]
        assert got[i].tolist() == ref


@pytest.mark.parametrize("construction", ["V", "T"])
def test_euler_characteristic_identity_in_2d(rng, construction):
    # b1 is counted from the background (bounded components); the Euler characteristic of the
    # cubical complex, counted cell by cell, must equal b0 - b1.
    from topolayer.metrics import _euler

    masks = rng.random((30, 10, 10)) < 0.55
    b = betti_numbers(masks, construction=construction)
    assert (_euler(masks, construction) == b[:, 0] - b[:, 1]).all()


def test_betti_numbers_batch_shapes_and_inputs():
    masks = np.stack([ring(), ring(), np.zeros((9, 9), bool)])
    b = betti_numbers(masks.reshape(3, 1, 9, 9))
    assert b.shape == (3, 1, 2) and b.dtype == np.int64
    assert b[:, 0].tolist() == [[1, 1], [1, 1], [0, 0]]
    # torch tensors (bool and float) and 0/1 integers give the same numbers
    assert (betti_numbers(torch.from_numpy(masks)) == b[:, 0]).all()
    assert (betti_numbers(torch.from_numpy(masks).to(torch.bfloat16)) == b[:, 0]).all()
    assert (betti_numbers(masks.astype(np.uint8)) == b[:, 0]).all()


def test_betti_error_of_a_broken_vessel_and_an_extra_hole():
    g = vessel()
    looped = g.copy()
    looped[2:5, 5:8] = True
    looped[3, 6] = False  # a hole next to the branch
    err = betti_error(np.stack([broken_vessel(), looped, g]), np.stack([g, g, g]))
    assert err.tolist() == [[1, 0], [0, 1], [0, 0]]
    assert betti_error(hollow_ball(), solid_torus(), ndim=3).tolist() == [0, 1, 1]


# -- overlap ---------------------------------------------------------------------------------------
def test_dice_hand_cases():
    p = np.zeros((4, 4), bool)
    g = np.zeros((4, 4), bool)
    assert float(dice(p, g)) == 1.0  # both empty
    g[1, :] = True
    assert float(dice(p, g)) == 0.0
    p[1, :2] = True
    assert float(dice(p, g)) == pytest.approx(2 * 2 / (2 + 4))
    batch = dice(np.stack([p, g]), np.stack([g, g]))
    assert batch.shape == (2,) and batch.tolist() == pytest.approx([2 / 3, 1.0])


def test_cldice_hand_cases():
    g = np.zeros((9, 20), bool)
    g[3:6, 2:18] = True  # a 3-pixel-wide vessel: its skeleton is the middle row
    assert float(cldice(g, g)) == 1.0
    assert float(cldice(np.zeros_like(g), g)) == 0.0
    assert float(cldice(np.zeros_like(g), np.zeros_like(g))) == 1.0
    # A gap cuts the target's skeleton (the middle row and the four corner pixels, 18 in all):
    # sensitivity 16/18 (two skeleton pixels fall in the gap), precision 1 (all predicted
    # pixels lie in the target).
    broken = g.copy()
    broken[:, 9:11] = False
    sens, prec = 16 / 18, 1.0
    assert float(cldice(broken, g)) == pytest.approx(2 * sens * prec / (sens + prec))
    # A prediction that is a thin line inside the vessel keeps clDice high while Dice drops:
    # clDice scores the centreline, not the width.
    line = np.zeros_like(g)
    line[4, 2:18] = True
    # (skeleton of the line: itself, inside g; 14 of g's 18 skeleton pixels lie on the line)
    assert float(cldice(line, g)) == pytest.approx(2 * (14 / 18) / (1 + 14 / 18))
    assert float(dice(line, g)) == pytest.approx(2 * 16 / (16 + 48))


def test_cldice_3d_tube():
    g = np.zeros((10, 9, 9), bool)
    g[1:9, 3:6, 3:6] = True
    assert float(cldice(g, g, ndim=3)) == 1.0
    cut = g.copy()
    cut[4:6] = False
    assert 0.5 < float(cldice(cut, g, ndim=3)) < 1.0


# -- Betti matching error --------------------------------------------------------------------------
def _need_matching():
    if not hasattr(topolayer.functional, "betti_matching"):
        pytest.skip("topolayer.functional.betti_matching is not in this build")


def test_betti_matching_error_hand_cases():
    _need_matching()
    g = vessel()
    assert betti_matching_error(g, g).tolist() == [0, 0]
    assert betti_matching_error(broken_vessel(), g).tolist() == [1, 0]
    # Two blobs against two blobs elsewhere: same Betti numbers, but the components do not
    # overlap, so the finite bars cannot be matched (Betti error 0, matching error > 0).
    blobs = two_blobs()
    moved = np.roll(blobs, 4, axis=0)
    assert betti_error(moved, blobs).tolist() == [0, 0]
    assert betti_matching_error(moved, blobs)[0] > 0
    assert betti_matching_error(hollow_ball(), hollow_ball(), ndim=3).tolist() == [0, 0, 0]


def test_betti_matching_error_is_zero_only_where_it_should_be(rng):
    _need_matching()
    masks = rng.random((6, 10, 10)) < 0.5
    err = betti_matching_error(masks, masks)
    assert err.shape == (6, 2) and (err == 0).all()
    # It is at least the Betti error: unmatched bars include the surplus of either side, and
    # an empty mask against a non-empty one leaves the essential component unmatched.
    other = rng.random((6, 10, 10)) < 0.5
    other[0] = False
    masks[1] = False
    err = betti_matching_error(other, masks)
    assert (err >= betti_error(other, masks)).all()
    assert err[0, 0] == betti_numbers(masks[0])[0] and err[1, 0] == betti_numbers(other[1])[0]
    empty = np.zeros((10, 10), bool)
    assert betti_matching_error(empty, empty).tolist() == [0, 0]


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [dice, cldice, betti_error, betti_matching_error])
def test_bad_pairs_name_the_argument(fn):
    g = np.zeros((6, 6), bool)
    with pytest.raises(ValueError, match="pred_bin and target must have the same shape"):
        fn(np.zeros((6, 5), bool), g)
    with pytest.raises(ValueError, match="pred_bin must be binary"):
        fn(np.full((6, 6), 0.7), g)
    with pytest.raises(ValueError, match="target must be binary"):
        fn(g, np.full((6, 6), np.nan))
    with pytest.raises(TypeError, match="pred_bin must be a numpy array or a torch tensor"):
        fn([[0, 1]], g)
    with pytest.raises(ValueError, match="ndim must be 2"):
        fn(g, g, ndim=4)
    with pytest.raises(ValueError, match="target must have at least ndim=3"):
        fn(np.zeros((1, 6, 6), bool), np.zeros((6, 6), bool), ndim=3)


def test_bad_binary_input_names_the_argument():
    with pytest.raises(ValueError, match="binary must be binary"):
        betti_numbers(np.array([[0.0, 0.5], [1.0, 1.0]]))
    with pytest.raises(TypeError, match="binary must hold bool, int or float values"):
        betti_numbers(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="binary has an empty grid"):
        betti_numbers(np.zeros((3, 0, 4), bool))
    with pytest.raises(ValueError, match="construction must be one of"):
        betti_numbers(np.zeros((3, 3), bool), construction="freudenthal")
    with pytest.raises(ValueError, match="ndim must be 2"):
        betti_numbers(np.zeros((3, 3), bool), ndim=True)
