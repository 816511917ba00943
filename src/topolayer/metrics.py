"""Segmentation metrics: overlap (Dice, clDice) and topology (Betti numbers, Betti error,
Betti-matching error) of binary predictions against binary targets, in 2D and 3D.

Every function takes NumPy arrays or torch tensors (any device; they are read on the CPU,
without gradients) shaped ``(*grid)`` for one image or ``(*batch, *grid)`` for many: the last
``ndim`` axes are the grid, every leading axis is a batch axis, and the result has the leading
shape (plus a last axis over homology dimensions for the topological metrics).

*Connectivity.* The topological metrics use the cubical complex of the V construction, the one
:func:`topolayer.functional.cubical` and the segmentation losses
(:func:`~topolayer.losses.betti_matching_loss`, :func:`~topolayer.losses.hu_topo_loss`) use with
``superlevel=True``: pixels are vertices, and a cube is in the foreground when all its corner
pixels are. So the foreground is **4-connected in 2D and 6-connected in 3D**, and the background
(holes, cavities) 8- / 26-connected; two foreground pixels that touch only at a corner are two
components. ``construction="T"`` (pixels as top cells, GUDHI's default) swaps the two:
foreground 8 / 26, background 4 / 6.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

__all__ = ["dice", "cldice", "betti_numbers", "betti_error", "betti_matching_error"]

_CONSTRUCTIONS = ("V", "T")


# -- input handling --------------------------------------------------------------------------------
def _to_numpy(x: Any, name: str) -> np.ndarray:
    import torch

    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        # NumPy has no bfloat16; every other torch dtype converts as it is.
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy()
    raise TypeError(f"{name} must be a numpy array or a torch tensor, got {type(x).__name__}")


def _check_ndim(ndim: Any) -> int:
    if isinstance(ndim, bool) or not isinstance(ndim, (int, np.integer)) or ndim not in (2, 3):
        raise ValueError(f"ndim must be 2 (images) or 3 (volumes), got {ndim!r}")
    return int(ndim)


def _binary(x: Any, name: str, ndim: int) -> np.ndarray:
    """``x`` as a bool array of shape ``(*batch, *grid)``; it must hold only 0 and 1."""
    a = _to_numpy(x, name)
    if a.dtype == bool:
        pass
    elif a.dtype.kind in "iuf":
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise ValueError(f"{name} must be binary (0/1), got NaN or inf")
        if a.size and not np.isin(a, (0, 1)).all():
            raise ValueError(
                f"{name} must be binary (only 0 and 1); threshold a probability map first, "
                f"e.g. {name} >= 0.5"
            )
        a = a.astype(bool)
    else:
        raise TypeError(f"{name} must hold bool, int or float values, got dtype {a.dtype}")
    if a.ndim < ndim:
        raise ValueError(
            f"{name} must have at least ndim={ndim} dimensions (the grid is the last {ndim}), "
            f"got shape {a.shape}"
        )
    if any(s == 0 for s in a.shape[a.ndim - ndim :]):
        raise ValueError(f"{name} has an empty grid, shape {a.shape}")
    return a


def _pair(pred: Any, target: Any, ndim: int) -> tuple[np.ndarray, np.ndarray]:
    p = _binary(pred, "pred_bin", ndim)
    t = _binary(target, "target", ndim)
    if p.shape != t.shape:
        raise ValueError(
            f"pred_bin and target must have the same shape, got {p.shape} and {t.shape}"
        )
    return p, t


def _ratio(num: np.ndarray, den: np.ndarray, empty: float) -> np.ndarray:
    """``num / den`` with ``empty`` where ``den == 0``."""
    out = np.full(num.shape, empty, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


# -- overlap -----------------------------------------------------------------------------------------
def dice(pred_bin: Any, target: Any, ndim: int = 2) -> np.ndarray:
    """Dice coefficient ``2 |P ∩ G| / (|P| + |G|)`` of binary masks, per item.

    Parameters
    ----------
    pred_bin : array or Tensor, shape ``(*batch, *grid)``
        Binary prediction (bool, or numbers that are all 0 or 1).
    target : array or Tensor, shape ``(*batch, *grid)``
        Binary ground truth, same shape.
    ndim : {2, 3}
        Number of trailing grid axes.

    Returns
    -------
    float64 ndarray, shape ``(*batch)``
        In [0, 1]; 1 where both masks are empty (a 0-d array for a single image).

    Raises
    ------
    TypeError
        An input is neither an array nor a tensor, or has a non-numeric dtype.
    ValueError
        Non-binary values, mismatched shapes, fewer than ``ndim`` axes, or ``ndim`` not 2/3.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros((4, 4), bool); p[1, :] = True
    >>> g = np.zeros((4, 4), bool); g[1, :2] = True
    >>> float(dice(p, g))  # 2 * 2 / (4 + 2)
    0.6666666666666666
    """
    nd = _check_ndim(ndim)
    p, t = _pair(pred_bin, target, nd)
    axes = tuple(range(p.ndim - nd, p.ndim))
    inter = (p & t).sum(axis=axes)
    total = p.sum(axis=axes) + t.sum(axis=axes)
    return _ratio(2.0 * inter, total, 1.0)


def _skeleton(mask: np.ndarray, ndim: int) -> np.ndarray:
    """Morphological skeleton (Lantuéjoul): the union over k of the k-fold erosion minus its
    opening, with the cross-shaped element, over every k until the erosion is empty; it needs
    no scikit-image. The binary form of the soft skeleton of
    :func:`topolayer.losses.cldice_loss` differs in three details: that one opens with a box
    dilation after the cross erosion, does not erode from outside the grid, and stops after
    its ``iterations``."""
    from scipy import ndimage  # on first use: ``import topolayer`` stays light

    element = ndimage.generate_binary_structure(ndim, 1)
    skel = np.zeros_like(mask)
    eroded = mask
    while eroded.any():
        opened = ndimage.binary_opening(eroded, structure=element)
        skel |= eroded & ~opened
        eroded = ndimage.binary_erosion(eroded, structure=element)
    return skel


def _per_item(a: np.ndarray, ndim: int) -> np.ndarray:
    return a.reshape((-1,) + a.shape[a.ndim - ndim :])


def cldice(pred_bin: Any, target: Any, ndim: int = 2) -> np.ndarray:
    """centerline Dice (clDice, Shit et al., CVPR 2021) of binary masks, per item.

    With ``S_P``, ``S_G`` the skeletons of the prediction ``P`` and target ``G``, topology
    precision is ``|S_P ∩ G| / |S_P|``, topology sensitivity ``|S_G ∩ P| / |S_G|``, and clDice
    their harmonic mean. A missing skeleton makes its ratio 1 (nothing to be wrong about), so an
    empty prediction of a non-empty target scores 0 and two empty masks score 1. Skeletons are
    morphological (Lantuéjoul) skeletons with the cross-shaped element, computed with SciPy.

    Parameters
    ----------
    pred_bin : array or Tensor, shape ``(*batch, *grid)``
        Binary prediction.
    target : array or Tensor, shape ``(*batch, *grid)``
        Binary ground truth, same shape.
    ndim : {2, 3}
        Number of trailing grid axes.

    Returns
    -------
    float64 ndarray, shape ``(*batch)``
        In [0, 1].

    Raises
    ------
    TypeError, ValueError
        As :func:`dice`.

    Examples
    --------
    A vessel predicted with a gap keeps most of its centreline; a blob over it does not:

    >>> import numpy as np
    >>> g = np.zeros((9, 20), bool); g[3:6, 2:18] = True
    >>> broken = g.copy(); broken[:, 9:11] = False
    >>> blob = np.zeros_like(g); blob[1:8, 1:19] = True
    >>> bool(cldice(broken, g) > 0.8), float(cldice(g, g))
    (True, 1.0)
    >>> bool(cldice(broken, g) > cldice(blob, g))
    True
    """
    nd = _check_ndim(ndim)
    p, t = _pair(pred_bin, target, nd)
    pp, tt = _per_item(p, nd), _per_item(t, nd)
    sp = np.stack([_skeleton(m, nd) for m in pp])
    st = np.stack([_skeleton(m, nd) for m in tt])
    axes = tuple(range(1, nd + 1))
    tprec = _ratio((sp & tt).sum(axis=axes), sp.sum(axis=axes), 1.0)
    tsens = _ratio((st & pp).sum(axis=axes), st.sum(axis=axes), 1.0)
    score = _ratio(2.0 * tprec * tsens, tprec + tsens, 0.0)
    return score.reshape(p.shape[: p.ndim - nd])


# -- topology ----------------------------------------------------------------------------------------
def _check_construction(construction: Any) -> str:
    if construction not in _CONSTRUCTIONS:
        raise ValueError(
            f"construction must be one of {list(_CONSTRUCTIONS)}, got {construction!r}"
        )
    return str(construction)


def _euler(mask: np.ndarray, construction: str) -> np.ndarray:
    """Euler characteristic of the cubical complex of a batch of masks ``(N, *grid)``.

    Cells are indexed by which axes they span (``e``); a cell with ``|e|`` spanned axes counts
    ``(-1)^|e|``. V: a cell is present when all pixels at its corners are (AND along the spanned
    axes). T: the pixels are unit cubes, and a cell is present when any cube containing it is
    (OR of two neighbours along every axis it does not span, on the zero-padded grid).
    """
    nd = mask.ndim - 1
    chi = np.zeros(mask.shape[0], dtype=np.int64)
    base = mask if construction == "V" else np.pad(mask, [(0, 0)] + [(1, 1)] * nd)
    for spans in itertools.product((0, 1), repeat=nd):
        cells = base
        for axis, spanned in enumerate(spans, start=1):
            lo = [slice(None)] * (nd + 1)
            hi = [slice(None)] * (nd + 1)
            lo[axis], hi[axis] = slice(None, -1), slice(1, None)
            if construction == "V" and spanned:
                cells = cells[tuple(lo)] & cells[tuple(hi)]
            elif construction == "T" and not spanned:
                cells = cells[tuple(lo)] | cells[tuple(hi)]
            elif construction == "T":
                cells = cells[tuple(hi)][tuple(lo)]  # the interior: drop the padding
        chi += (-1) ** sum(spans) * cells.reshape(mask.shape[0], -1).sum(axis=1)
    return chi


def _betti(mask: np.ndarray, ndim: int, construction: str) -> np.ndarray:
    """Betti numbers ``(N, ndim)`` of a batch of bool masks ``(N, *grid)``."""
    from scipy import ndimage

    fg_conn, bg_conn = (1, ndim) if construction == "V" else (ndim, 1)
    fg = ndimage.generate_binary_structure(ndim, fg_conn)
    bg = ndimage.generate_binary_structure(ndim, bg_conn)
    out = np.zeros((mask.shape[0], ndim), dtype=np.int64)
    for i, m in enumerate(mask):
        out[i, 0] = ndimage.label(m, structure=fg)[1]
        # Holes (2D) / cavities (3D): background components that do not reach the border. The
        # one-pixel frame joins every component that does into one, which is then not counted.
        framed = np.pad(~m, 1, constant_values=True)
        out[i, ndim - 1] = ndimage.label(framed, structure=bg)[1] - 1
    if ndim == 3:  # tunnels from the Euler characteristic: chi = b0 - b1 + b2
        out[:, 1] = out[:, 0] + out[:, 2] - _euler(mask, construction)
    return out


def betti_numbers(binary: Any, ndim: int = 2, construction: str = "V") -> np.ndarray:
    """Betti numbers of the foreground of binary images or volumes.

    ``b0`` counts connected components, ``b1`` holes (2D) or tunnels/loops (3D), ``b2``
    cavities (3D), in the cubical complex of ``construction`` (see the module notes: with the
    default ``"V"``, as the superlevel losses use, the foreground is 4-connected in 2D and
    6-connected in 3D, the background 8- / 26-connected). For a probability map ``x`` these are
    the Betti numbers of its superlevel set ``{x >= t}``: pass ``x >= t``.

    Parameters
    ----------
    binary : array or Tensor, shape ``(*batch, *grid)``
        Binary masks (bool, or numbers that are all 0 or 1).
    ndim : {2, 3}
        Number of trailing grid axes.
    construction : {"V", "T"}
        Pixels as vertices (default) or as top cells.

    Returns
    -------
    int64 ndarray, shape ``(*batch, ndim)``
        ``(b0, b1)`` in 2D, ``(b0, b1, b2)`` in 3D.

    Raises
    ------
    TypeError
        ``binary`` is neither an array nor a tensor, or has a non-numeric dtype.
    ValueError
        Non-binary values, fewer than ``ndim`` axes, an empty grid, ``ndim`` not 2/3 or an
        unknown ``construction``.

    Examples
    --------
    A ring, and two pixels that touch only at a corner:

    >>> import numpy as np
    >>> ring = np.ones((5, 5), bool); ring[2, 2] = False
    >>> betti_numbers(ring).tolist()
    [1, 1]
    >>> diag = np.eye(2, dtype=bool)
    >>> betti_numbers(diag).tolist(), betti_numbers(diag, construction="T").tolist()
    ([2, 0], [1, 0])
    """
    nd = _check_ndim(ndim)
    c = _check_construction(construction)
    m = _binary(binary, "binary", nd)
    return _betti(_per_item(m, nd), nd, c).reshape(m.shape[: m.ndim - nd] + (nd,))


def betti_error(pred_bin: Any, target: Any, ndim: int = 2, construction: str = "V") -> np.ndarray:
    """Betti error ``|b_k(pred) - b_k(target)|`` per item and homology dimension.

    Parameters
    ----------
    pred_bin : array or Tensor, shape ``(*batch, *grid)``
        Binary prediction.
    target : array or Tensor, shape ``(*batch, *grid)``
        Binary ground truth, same shape.
    ndim : {2, 3}
        Number of trailing grid axes.
    construction : {"V", "T"}
        As :func:`betti_numbers`.

    Returns
    -------
    int64 ndarray, shape ``(*batch, ndim)``
        Sum over the last axis for the total Betti error.

    Raises
    ------
    TypeError, ValueError
        As :func:`betti_numbers`; also on mismatched shapes.

    Examples
    --------
    A vessel broken in two, and one with an extra loop:

    >>> import numpy as np
    >>> g = np.zeros((7, 12), bool); g[3, 1:11] = True
    >>> broken = g.copy(); broken[3, 6] = False
    >>> looped = g.copy(); looped[1:6, 3:8] = True; looped[3, 5] = False
    >>> betti_error(np.stack([broken, looped]), np.stack([g, g])).tolist()
    [[1, 0], [0, 1]]
    """
    nd = _check_ndim(ndim)
    c = _check_construction(construction)
    p, t = _pair(pred_bin, target, nd)
    shape = p.shape[: p.ndim - nd] + (nd,)
    bp = _betti(_per_item(p, nd), nd, c)
    bt = _betti(_per_item(t, nd), nd, c)
    return np.abs(bp - bt).reshape(shape)


def betti_matching_error(
    pred_bin: Any, target: Any, ndim: int = 2, construction: str = "V"
) -> np.ndarray:
    """Betti-matching error (Stucki et al., ICML 2023): unmatched bars per homology dimension.

    The superlevel barcodes of the prediction and the target are matched through the image
    barcodes of their inclusions into the comparison image
    (:func:`topolayer.functional.betti_matching`); the error counts the prediction's and the
    target's bars left unmatched. Unlike the Betti error it notices a feature that is present
    in both but in the wrong place. The matching pairs finite bars; the one essential bar (the
    last component of a non-empty foreground) counts as unmatched when exactly one of the two
    masks is empty, so the error is never below the :func:`betti_error`.

    Parameters
    ----------
    pred_bin : array or Tensor, shape ``(*batch, *grid)``
        Binary prediction.
    target : array or Tensor, shape ``(*batch, *grid)``
        Binary ground truth, same shape.
    ndim : {2, 3}
        Number of trailing grid axes.
    construction : {"V", "T"}
        Cubical construction of the matching.

    Returns
    -------
    int64 ndarray, shape ``(*batch, ndim)``
        Unmatched prediction bars plus unmatched target bars, per dimension.

    Raises
    ------
    TypeError, ValueError
        As :func:`betti_error`.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.zeros((7, 12), bool); g[3, 1:11] = True
    >>> broken = g.copy(); broken[3, 6] = False
    >>> betti_matching_error(broken, g).tolist()  # the extra component is unmatched
    [1, 0]
    >>> betti_matching_error(g, g).tolist()
    [0, 0]
    """
    import torch

    nd = _check_ndim(ndim)
    c = _check_construction(construction)
    p, t = _pair(pred_bin, target, nd)
    from .functional import betti_matching

    shape = p.shape[: p.ndim - nd] + (nd,)
    if p.ndim == nd:  # one image: give the matching its batch axis
        p, t = p[None], t[None]
    res = betti_matching(
        torch.from_numpy(p.astype(np.float64)),
        torch.from_numpy(t.astype(np.float64)),
        ndim=nd,
        superlevel=True,
        construction=c,
    )
    unmatched = np.asarray(
        (res.num_unmatched_pred + res.num_unmatched_target).cpu().numpy(), dtype=np.int64
    ).reshape((-1, nd))
    # The matching covers the finite bars; the essential H0 bar of a non-empty mask is its
    # foreground's last component, matched when both masks are non-empty and left over when
    # exactly one is.
    flat_p, flat_t = p.reshape(len(unmatched), -1), t.reshape(len(unmatched), -1)
    unmatched[:, 0] += flat_p.any(axis=1) != flat_t.any(axis=1)
    return unmatched.reshape(shape)
