"""Betti matching of predictions and targets on the same grid (Stucki et al., ICML 2023).

The matching of the bars of a prediction ``L`` with those of a target ``G`` is induced through
the comparison image ``C = min(L, G)`` (for sublevel sets ``L_t`` and ``G_t`` are contained in
``C_t``): a bar of ``L`` and a bar of ``G`` are matched when the image barcodes of the
inclusions ``L -> C`` and ``G -> C`` send both to the same bar of ``C``. The C++ core returns
the critical pixels of every bar; the values are gathered here, so the bars are differentiable
in the prediction.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .. import _core
from .._logging import logged
from .._ops import plain_eager, resolve_threads
from .._ops.segmentation import (
    CONSTRUCTIONS,
    betti_matching_kernel,
    hu_matching_kernel,
    matching_terms_kernel,
)
from .._ops.segmentation import betti_matching as _betti_matching_op
from .._ops.segmentation import hu_matching as _hu_matching_op
from .._ops.segmentation import matching_terms as _matching_terms_op
from .._validate import as_float_tensor, check_bool, check_choice

__all__ = ["betti_matching", "BettiMatching", "check_pair", "set_betti_matching_cache"]


class BettiMatching(NamedTuple):
    """The Betti matching of a batch of prediction / target pairs.

    Bars are ``(birth, death)`` rows in the values of the inputs (superlevel bars run
    downwards); every row has an ``(item, dim)`` index row, ``item`` a flat index into
    ``batch_shape``. Essential bars are left out.

    Examples
    --------
    >>> import torch
    >>> from topolayer.functional import betti_matching
    >>> pred = torch.rand(4, 2, 16, 16)
    >>> target = (torch.rand(4, 2, 16, 16) > 0.5).float()
    >>> m = betti_matching(pred, target)
    >>> m.num_matched.shape           # (batch, channel, homology dimension)
    torch.Size([4, 2, 2])
    >>> int(m.num_matched.sum()) == len(m.matched_pred) == len(m.matched_index)
    True
    """

    matched_pred: torch.Tensor  #: (m, 2) bars of the prediction matched to ...
    matched_target: torch.Tensor  #: (m, 2) ... these bars of the target, row by row
    matched_index: torch.Tensor  #: (m, 2) int64 (item, dim)
    unmatched_pred: torch.Tensor  #: (u, 2) bars of the prediction matched to nothing
    unmatched_pred_index: torch.Tensor  #: (u, 2) int64 (item, dim)
    unmatched_target: torch.Tensor  #: (v, 2) bars of the target matched to nothing
    unmatched_target_index: torch.Tensor  #: (v, 2) int64 (item, dim)
    batch_shape: tuple[int, ...]
    ndim: int

    def _counts(self, index: torch.Tensor) -> torch.Tensor:
        n_items = 1
        for s in self.batch_shape:
            n_items *= s
        flat = index[:, 0] * self.ndim + index[:, 1]
        counts = torch.bincount(flat, minlength=n_items * self.ndim)
        return counts.reshape(*self.batch_shape, self.ndim)

    @property
    def num_matched(self) -> torch.Tensor:
        """``(*batch_shape, ndim)`` int64: matched pairs per item and homology dimension."""
        return self._counts(self.matched_index)

    @property
    def num_unmatched_pred(self) -> torch.Tensor:
        """``(*batch_shape, ndim)`` int64: unmatched bars of the prediction."""
        return self._counts(self.unmatched_pred_index)

    @property
    def num_unmatched_target(self) -> torch.Tensor:
        """``(*batch_shape, ndim)`` int64: unmatched bars of the target."""
        return self._counts(self.unmatched_target_index)


def check_pair(pred, target, ndim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``pred`` as a float tensor and ``target`` as a tensor of its dtype and device, with equal
    shapes of at least ``ndim`` dimensions and a non-empty grid."""
    if isinstance(ndim, bool) or ndim not in (2, 3):
        raise ValueError(f"ndim must be 2 (images) or 3 (volumes), got {ndim!r}")
    pred = as_float_tensor(pred, "pred")
    if not isinstance(target, torch.Tensor):
        try:
            target = torch.as_tensor(target)
        except Exception as err:
            raise TypeError(
                f"target must be a tensor or array, got {type(target).__name__}"
            ) from err
    if target.is_complex():
        raise TypeError(f"target must be real (float, int or bool), got {target.dtype}")
    if tuple(target.shape) != tuple(pred.shape):
        raise ValueError(
            f"pred and target must have the same shape, got {tuple(pred.shape)} and "
            f"{tuple(target.shape)}"
        )
    if pred.dim() < ndim:
        raise ValueError(
            f"pred must have at least ndim={ndim} dimensions (the grid is the last {ndim}), "
            f"got shape {tuple(pred.shape)}"
        )
    if any(s < 1 for s in pred.shape[pred.dim() - ndim :]):
        raise ValueError(f"the grid (last {ndim} dims) must be non-empty, got {tuple(pred.shape)}")
    target = target.to(device=pred.device, dtype=pred.dtype)
    return pred, target


def filtration_values(x: torch.Tensor, superlevel: bool) -> torch.Tensor:
    """The sublevel filtration the matching runs on: ``1 - x`` for superlevel sets of ``x``
    (as Betti-Matching-3D and topolosses, so that ties and values agree with theirs)."""
    return 1 - x if superlevel else x


def _grid_rows(pred, target, ndim) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """``pred`` and ``target`` detached as ``(instances, pixels)`` rows, and the grid's shape."""
    shape = list(pred.shape[pred.dim() - ndim :])
    n = 1
    for s in shape:
        n *= s
    return pred.detach().reshape(-1, n), target.detach().reshape(-1, n), shape


def match_indices(
    pred: torch.Tensor,
    target: torch.Tensor,
    ndim: int,
    construction: str,
    n_threads: int,
    superlevel: bool,
    hu: bool = False,
    target_grad: bool = False,
) -> list[torch.Tensor]:
    """The index tensors of the Betti matching (or with ``hu``, of the W2 matching of Hu et
    al.'s loss) of the sublevel filtrations of ``pred`` and ``target``, or of ``1 - x`` with
    ``superlevel`` (taken in the op for float32/float64 inputs): matched pairs ``(m, 6)``,
    unmatched bars of each side ``(u, 4)``, and the flat indices of each side's bars ``(2, k)``
    (births, deaths; matched bars first). For a target that takes no gradient
    (``target_grad`` false), a two-valued (binary) target is not reduced on its own: the same
    values, at representative pixels."""
    rows_p, rows_t, shape = _grid_rows(pred, target, ndim)
    if rows_p.dtype not in (torch.float32, torch.float64):
        # 1 - x in the input's own precision, as the losses gather it, then widened
        rows_p = filtration_values(rows_p, superlevel).float()
        rows_t = filtration_values(rows_t, superlevel).float()
        superlevel = False
    args = (rows_p, rows_t, shape, construction, superlevel, not target_grad, n_threads)
    if hu:
        if plain_eager(rows_p):
            return hu_matching_kernel(*args)
        return list(_hu_matching_op(*args))
    if plain_eager(rows_p):
        return betti_matching_kernel(*args)
    return list(_betti_matching_op(*args))


def match_terms(
    pred: torch.Tensor,
    target: torch.Tensor,
    ndim: int,
    construction: str,
    n_threads: int,
    superlevel: bool,
    hu: bool = False,
) -> list[torch.Tensor]:
    """The loss terms of :func:`topolayer._ops.segmentation.matching_terms_kernel` for float32 or
    float64 ``pred`` and ``target`` of one dtype, a target that takes no gradient: the flat
    indices ``(2, k)`` of the prediction's bars, the fixed points ``(2, k)`` they are pulled to
    and the per-instance sums ``(B, 1)`` of the squared lengths of the target's unmatched bars."""
    rows_p, rows_t, shape = _grid_rows(pred, target, ndim)
    args = (rows_p, rows_t, shape, construction, superlevel, hu, n_threads)
    if plain_eager(rows_p):
        return matching_terms_kernel(*args)
    return list(_matching_terms_op(*args))


def set_betti_matching_cache(max_bytes: int) -> int:
    """Sets how much memory the Betti matching keeps between calls; returns the old limit.

    Each thread matches its items with a work area sized by the grid (about 3 MB for a 128²
    image, 139 MB for a 64³ volume against a binary target). Work areas of the last grid shape
    are kept for the next call, up to ``max_bytes`` in all (default 1 GiB): a fresh one costs
    page faults that, on small images, take as long as the matching itself. ``0`` frees them
    and keeps none.

    Parameters
    ----------
    max_bytes : int
        The limit in bytes, ``>= 0``.

    Returns
    -------
    int
        The previous limit.

    Raises
    ------
    TypeError
        ``max_bytes`` is not an int.
    ValueError
        ``max_bytes`` is negative.

    Examples
    --------
    >>> from topolayer.functional import set_betti_matching_cache
    >>> old = set_betti_matching_cache(0)   # free the kept work areas and keep none
    >>> set_betti_matching_cache(old)       # back to the previous limit; returns 0
    0
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int):
        raise TypeError(f"max_bytes must be an int, got {type(max_bytes).__name__}")
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
    return _core.set_matcher_cache(min(max_bytes, 2**63 - 1))


def check_options(superlevel, construction, n_threads) -> tuple[bool, str, int]:
    return (
        check_bool(superlevel, "superlevel"),
        check_choice(construction, "construction", CONSTRUCTIONS),
        resolve_threads(n_threads),
    )


class Prepared(NamedTuple):
    """Validated inputs of a segmentation call (the matching runs on them detached; values
    that take gradients are gathered from them)."""

    pred: torch.Tensor
    target: torch.Tensor
    batch_shape: tuple[int, ...]
    n_pixels: int
    construction: str
    n_threads: int
    superlevel: bool
    target_grad: bool


def prepare(pred, target, ndim, superlevel, construction, n_threads) -> Prepared:
    """The checks shared by :func:`betti_matching` and the losses."""
    pred, target = check_pair(pred, target, ndim)
    superlevel, construction, threads = check_options(superlevel, construction, n_threads)
    n = 1
    for s in pred.shape[pred.dim() - ndim :]:
        n *= s
    return Prepared(
        pred,
        target,
        tuple(pred.shape[: pred.dim() - ndim]),
        n,
        construction,
        threads,
        superlevel,
        target.requires_grad,
    )


@logged("betti_matching")
def betti_matching(
    pred,
    target,
    ndim: int = 2,
    superlevel: bool = True,
    construction: str = "V",
    n_threads: int | None = None,
) -> BettiMatching:
    """The Betti matching between the bars of predictions and targets on the same grids.

    For each item, the bars of the prediction ``L`` and of the target ``G`` (finite bars of
    nonzero length, homology dimensions ``0 .. ndim-1``) are matched through the comparison
    image ``min(L, G)`` by the induced matchings of Bauer & Lesnick, as in Stucki et al.,
    "Topologically faithful image segmentation via induced matching of persistence barcodes"
    (ICML 2023). Equal to Betti-Matching-3D's matching, ties included (cells are ordered by
    value, then by position and axis as there). A binary target that takes no gradient is not
    reduced on its own (its bars all have the same two values; the comparison image's passes
    tell which of them each prediction bar meets): the same bars and values, faster.

    Parameters
    ----------
    pred : (..., H, W) or (..., D, H, W) Tensor or array
        Prediction values (e.g. foreground probabilities); leading dimensions are a batch.
    target : Tensor or array
        Target of the same shape (float, int or bool; e.g. a binary mask).
    ndim : {2, 3}
        Grid dimension (the last ``ndim`` axes).
    superlevel : bool
        Match the superlevel filtrations (default: foreground = high values), computed as the
        sublevel filtrations of ``1 - x``.
    construction : {"V", "T"}
        ``"V"``: pixels are vertices (the default of Betti matching); ``"T"``: pixels are top
        cells.
    n_threads : int, optional
        Threads over batch items (default: every core); results do not depend on it.

    Returns
    -------
    BettiMatching
        Matched and unmatched bars (differentiable in ``pred`` and ``target``) with their
        ``(item, dim)`` rows, and per-item counts ``num_matched``, ``num_unmatched_pred``,
        ``num_unmatched_target``.

    Raises
    ------
    TypeError
        ``pred`` is not floating point, or ``target`` is complex.
    ValueError
        Shapes differ, ``ndim`` is not 2 or 3, the grid is empty, a value is not finite, or an
        option is invalid.

    Examples
    --------
    A target with two blobs and a prediction that finds the second one only faintly:

    >>> import torch
    >>> target = torch.zeros(7, 7)
    >>> target[1:3, 1:3] = 1
    >>> target[4:6, 4:6] = 1
    >>> pred = torch.full((7, 7), 0.1)
    >>> pred[1:3, 1:3] = 0.9
    >>> pred[4:6, 4:6] = 0.3
    >>> m = betti_matching(pred, target)
    >>> m.num_matched.tolist(), m.num_unmatched_target.tolist()
    ([1, 0], [0, 0])
    >>> m.matched_pred, m.matched_target     # superlevel bars run downwards
    (tensor([[0.3000, 0.1000]]), tensor([[1., 0.]]))
    """
    p = prepare(pred, target, ndim, superlevel, construction, n_threads)
    matched, up, ut, _, _ = match_indices(
        p.pred, p.target, ndim, p.construction, p.n_threads, p.superlevel, target_grad=p.target_grad
    )
    n = p.n_pixels
    xp, xt = p.pred.reshape(-1), p.target.reshape(-1)

    def values(x: torch.Tensor, rows: torch.Tensor, col: int) -> torch.Tensor:
        at = rows[:, :1] * n + rows[:, col : col + 2]
        return x[at.reshape(-1)].reshape(-1, 2)

    return BettiMatching(
        matched_pred=values(xp, matched, 2),
        matched_target=values(xt, matched, 4),
        matched_index=matched[:, :2],
        unmatched_pred=values(xp, up, 2),
        unmatched_pred_index=up[:, :2],
        unmatched_target=values(xt, ut, 2),
        unmatched_target_index=ut[:, :2],
        batch_shape=p.batch_shape,
        ndim=ndim,
    )
