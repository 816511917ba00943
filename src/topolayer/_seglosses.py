"""Topological losses for segmentation: Betti matching (Stucki et al.) and Hu et al.'s
Wasserstein loss. Re-exported by :mod:`topolayer.losses`; the modules are in
:mod:`topolayer.nn`.

Both take ``(..., *grid)`` predictions and targets, treat every leading index (batch item,
channel) as one instance and compute on the sublevel filtration ``f`` of each (``1 - x`` for
the default superlevel sets, ``x`` for sublevel sets), as topolosses does, so that values
equal its ``BettiMatchingLoss`` / ``HutopoLoss`` with ``use_base_loss=False``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._logging import logged
from ._validate import check_choice
from .functional.segmentation import filtration_values, match_indices, match_terms, prepare

__all__ = ["betti_matching_loss", "hu_topo_loss"]

REDUCTIONS = ("mean", "sum", "none")
_mse_loss = torch.ops.aten.mse_loss.default
_REDUCTION_SUM = 2  # at::Reduction::Sum


def _reduce(
    costs: torch.Tensor,
    item_rows: list[torch.Tensor],
    batch_shape: tuple[int, ...],
    n_items: int,
    reduction: str,
) -> torch.Tensor:
    """The costs of every bar, reduced over the instances; ``item_rows``: each group's index
    rows, whose column 0 is the instance of the bar. Per-instance sums only for ``"none"``."""
    if reduction != "none":
        total = costs.sum()
        return total / n_items if reduction == "mean" else total
    items = torch.cat([r[:, 0] for r in item_rows])
    return costs.new_zeros(n_items).index_add(0, items, costs).reshape(batch_shape)


def _cost_dtype(values: torch.Tensor) -> torch.Tensor:
    """Gathered half-precision values in float32, where the costs are summed: a float16 sum over
    many bars overflows (65504 is its largest value), and torch's autocast computes losses in
    float32 too. The gradient flows back through the cast."""
    if values.dtype in (torch.float16, torch.bfloat16):
        return values.float()
    return values


def _mean_scale(n_items: int) -> float:
    """1 / n_items; NaN for no instances, as torch's mean of nothing."""
    return 1 / n_items if n_items else float("nan")


def _gather(p, matched, up, ut, flat_p, flat_t):
    """The birth and death values, in the sublevel filtration ``f``, of matched pairs
    (prediction, target) and of the unmatched bars of each side. One gather per input (one
    scatter in the backward pass) at the flat indices the op returns (births, then deaths,
    matched bars first); ``1 - x`` for superlevel sets is taken of the gathered values only,
    not of the whole input."""
    nm, nu, ng = matched.shape[0], up.shape[0], ut.shape[0]
    idx_p, idx_t = flat_p.reshape(-1), flat_t.reshape(-1)
    # index_select, not indexing: its backward is an index_add, where indexing's backward
    # (index_put with accumulation) sorts the indices
    vp = _cost_dtype(p.pred.reshape(-1).index_select(0, idx_p))
    vt = _cost_dtype(p.target.reshape(-1).index_select(0, idx_t))
    if p.superlevel:
        vp, vt = filtration_values(vp, True), filtration_values(vt, True)
    pb, ub, pd, ud = vp.split([nm, nu, nm, nu])
    tb, gb, td, gd = vt.split([nm, ng, nm, ng])
    return (pb, pd, tb, td), (ub, ud), (gb, gd)


# the costs of a target's unmatched bars (b, d)
def _to_diagonal(b, d):
    return (b - d) ** 2


def _half_to_diagonal(b, d):
    return (b - d) ** 2 / 2


def _to_1_0(b, d):
    return 2 * ((b - 1) ** 2 + d**2)


def _fixed_target_loss(
    p, out, reduction, *, w_matched, w_unmatched, target_cost, keep=None, push=False
):
    """The loss when the target takes no gradient, with one short graph on the prediction.

    Every prediction term is ``w ((b - B)^2 + (d - D)^2)`` for the bar's ``(b, d)`` and a
    point ``(B, D)`` fixed in the backward pass: the target's point for a matched bar, (1, 0)
    for an unmatched bar pushed there, else the bar's own midpoint ``m = (b + d) / 2``,
    detached: ``(b - m)^2 + (d - m)^2 = (b - d)^2 / 2`` in value, and in gradient too, as ``m``
    minimises it. ``w_unmatched`` is the weight of that form; ``keep(b, d)`` (or None) masks
    unmatched bars; ``target_cost(gb, gd)`` gives the target's unmatched bars' costs. ``out``:
    the five tensors of :func:`match_indices`."""
    matched, up, ut, flat_p, flat_t = out
    nm, nu, ng = matched.shape[0], up.shape[0], ut.shape[0]
    if torch.compiler.is_compiling():
        # what the op guarantees, for torch.compile, to which the sizes of its outputs are
        # unknowns (only then: torch._check imports sympy on its first call)
        torch._check(flat_p.shape[1] == nm + nu)
        torch._check(flat_t.shape[1] == nm + ng)
    # Every term is a squared difference of two values, which 1 - x keeps: superlevel values
    # are mapped only for the point (1, 0), which lies in the filtration's values.
    mapped = p.superlevel and push
    vp = _cost_dtype(p.pred.reshape(-1).index_select(0, flat_p.reshape(-1)).view(2, nm + nu))
    vp = filtration_values(vp, mapped)  # births, deaths; matched bars first
    with torch.no_grad():
        vt = _cost_dtype(p.target.reshape(-1).index_select(0, flat_t.reshape(-1)).view(2, nm + ng))
        vt = filtration_values(vt, mapped)
        if push:
            fixed = vp.new_tensor([[1.0], [0.0]]).expand(2, nu)
        else:
            fixed = vp[:, nm:].mean(0).expand(2, nu)
        ref = torch.cat([vt[:, :nm], fixed], 1)
        weight = None
        if w_matched != w_unmatched or keep is not None:
            weight = vp.new_full((nm + nu,), w_unmatched)
            weight[:nm] = w_matched
            if keep is not None:
                weight[nm:] *= keep(vp[0, nm:], vp[1, nm:])
        cost_t = target_cost(vt[0, nm:], vt[1, nm:])
    n_items = p.pred.numel() // p.n_pixels
    if reduction != "none":
        # few tensor operations: each costs more than its arithmetic on these sizes
        scale = _mean_scale(n_items) if reduction == "mean" else 1.0
        if weight is None:
            total = torch.nn.functional.mse_loss(vp, ref, reduction="sum")
            if w_matched * scale != 1.0:
                total = total * (w_matched * scale)
        else:
            total = (weight * (vp - ref) ** 2).sum() * scale
        return torch.add(total, cost_t.sum(), alpha=scale)
    costs = ((vp - ref) ** 2).sum(0)
    costs = costs * (w_matched if weight is None else weight)
    return _reduce(torch.cat([costs, cost_t]), [matched, up, ut], p.batch_shape, n_items, reduction)


def _fixed_point_loss(p, ndim, reduction, *, hu, weight, target_weight):
    """:func:`_fixed_target_loss` in its common case (the same weight for every prediction term,
    a mean or sum, float32/float64 inputs) with the fixed points and the target's constant
    terms from the op: ``weight * sum |v - fixed|^2 + target_weight * sum (b - d)^2`` over the
    target's unmatched bars, then reduced. One gather and one squared distance on the graph."""
    flat, fixed, target_sq = match_terms(
        p.pred, p.target, ndim, p.construction, p.n_threads, p.superlevel, hu=hu
    )
    values = p.pred.reshape(-1).index_select(0, flat.reshape(-1))
    # the aten op, not F.mse_loss: this runs right after the op, with cold caches, where the
    # wrapper's Python checks cost more than the arithmetic
    total = _mse_loss(values, fixed.reshape(-1), _REDUCTION_SUM)
    n_items = p.pred.numel() // p.n_pixels
    scale = _mean_scale(n_items) if reduction == "mean" else 1.0
    const = target_sq.sum() * (target_weight * scale)  # takes no gradient
    return torch.add(const, total, alpha=weight * scale)


def _fixed_points_apply(p, reduction) -> bool:
    """Whether the op's fixed points serve this call: a target without gradient, a reduced
    loss, float32/float64 values (the op's precision is the gather's)."""
    return (
        not p.target_grad and reduction != "none" and p.pred.dtype in (torch.float32, torch.float64)
    )


def _check_weights(weights) -> tuple[float, float]:
    try:
        w = tuple(float(v) for v in weights)
    except TypeError as err:
        raise TypeError(
            f"weights must be a pair of floats (matched, unmatched), got {weights!r}"
        ) from err
    if len(w) != 2 or not all(v >= 0 and v == v and v != float("inf") for v in w):
        raise ValueError(
            f"weights must be two finite non-negative floats (matched, unmatched), got {weights!r}"
        )
    return w[0], w[1]


def _check_threshold(threshold) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise TypeError(f"threshold must be a float, got {type(threshold).__name__}")
    t = float(threshold)
    if not t >= 0 or t == float("inf"):
        raise ValueError(f"threshold must be finite and >= 0, got {threshold!r}")
    return t


@logged("betti_matching_loss")
def betti_matching_loss(
    pred,
    target,
    ndim: int = 2,
    superlevel: bool = True,
    construction: str = "V",
    reduction: str = "mean",
    push_unmatched_to_1_0: bool = False,
    weights: Sequence[float] = (1.0, 1.0),
    threshold: float = 0.0,
    n_threads: int | None = None,
) -> torch.Tensor:
    r"""The Betti-matching loss of Stucki et al. (ICML 2023), differentiable in ``pred``.

    Per instance, in the sublevel filtration values ``f`` (``1 - x`` superlevel):

    .. math:: \sum_{(p, q)\ \mathrm{matched}} 2 w_m \lVert p - q \rVert^2
              + \sum_{p\ \mathrm{unmatched}} w_u (b_p - d_p)^2
              + \sum_{q\ \mathrm{unmatched}} (b_q - d_q)^2

    over the bars ``p`` of the prediction and ``q`` of the target of every homology
    dimension (:func:`topolayer.functional.betti_matching`): twice the squared distance of
    matched (birth, death) points, and the squared distance of an unmatched bar to the
    diagonal (twice the squared distance to its nearest diagonal point, as in the paper).

    Parameters
    ----------
    pred : (..., H, W) or (..., D, H, W) Tensor
        Predicted probabilities; every leading index is one instance (e.g. ``(B, C)``).
    target : Tensor or array
        Target of the same shape (a binary mask, or probabilities).
    ndim : {2, 3}
        Grid dimension.
    superlevel : bool
        Foreground = high values (default), as a sublevel filtration of ``1 - x``.
    construction : {"V", "T"}
        Pixels as vertices (default, as Betti matching) or as top cells.
    reduction : {"mean", "sum", "none"}
        Over instances; ``"none"`` gives shape ``pred.shape[:-ndim]``.
    push_unmatched_to_1_0 : bool
        Unmatched bars cost ``2 ((b - 1)^2 + d^2)`` in ``f`` (pushed to (1, 0) instead of to
        the diagonal).
    weights : (float, float)
        ``(w_m, w_u)``: weights of the matched pairs and of the prediction's unmatched bars.
    threshold : float
        Unmatched prediction bars of length ``<= threshold`` are not penalised.
    n_threads : int, optional
        Threads over instances (default: every core).

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``, else one value per instance; float32 for float16 and
        bfloat16 inputs (summed in float32, which a float16 sum over many bars overflows).

    Raises
    ------
    TypeError, ValueError
        As :func:`topolayer.functional.betti_matching`, or for a bad ``reduction``,
        ``weights`` or ``threshold``.

    Examples
    --------
    A prediction that breaks a bar of the target in two (one extra component):

    >>> import torch
    >>> target = torch.zeros(1, 1, 5, 9)
    >>> target[..., 2, 1:8] = 1
    >>> pred = 0.8 * target
    >>> pred[..., 2, 4] = 0.2
    >>> pred.requires_grad_(True)
    tensor(...)
    >>> loss = betti_matching_loss(pred, target)
    >>> round(loss.item(), 4)       # the extra bar (0.8, 0.2) is unmatched: 0.6^2
    0.36
    >>> loss.backward()
    >>> pred.grad[0, 0, 2, 4] < 0   # raise the gap pixel
    tensor(True)
    """
    p = prepare(pred, target, ndim, superlevel, construction, n_threads)
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    if not isinstance(push_unmatched_to_1_0, bool):
        raise TypeError(
            f"push_unmatched_to_1_0 must be a bool, got {type(push_unmatched_to_1_0).__name__}"
        )
    w_matched, w_unmatched = _check_weights(weights)
    threshold = _check_threshold(threshold)
    if (
        _fixed_points_apply(p, reduction)
        and not push_unmatched_to_1_0
        and w_matched == w_unmatched
        and threshold == 0
    ):
        return _fixed_point_loss(
            p, ndim, reduction, hu=False, weight=2 * w_matched, target_weight=1.0
        )
    out = match_indices(
        p.pred, p.target, ndim, p.construction, p.n_threads, p.superlevel, target_grad=p.target_grad
    )
    if not p.target_grad:
        target_cost = _to_1_0 if push_unmatched_to_1_0 else _to_diagonal
        keep = (lambda b, d: ((b - d).abs() > threshold).to(b.dtype)) if threshold > 0 else None
        return _fixed_target_loss(
            p,
            out,
            reduction,
            w_matched=2 * w_matched,
            w_unmatched=2 * w_unmatched,  # (b - d)^2 = 2 ((b - m)^2 + (d - m)^2)
            target_cost=target_cost,
            keep=keep,
            push=push_unmatched_to_1_0,
        )
    matched, up, ut, flat_p, flat_t = out
    (pb, pd, tb, td), (ub, ud), (gb, gd) = _gather(p, matched, up, ut, flat_p, flat_t)
    cost_m = 2 * w_matched * ((pb - tb) ** 2 + (pd - td) ** 2)
    keep = (ub - ud).abs() > threshold
    if push_unmatched_to_1_0:
        cost_p = 2 * ((ub - 1) ** 2 + ud**2)
    else:
        cost_p = (ub - ud) ** 2
    cost_p = w_unmatched * torch.where(keep, cost_p, 0 * cost_p)
    cost_t = 2 * ((gb - 1) ** 2 + gd**2) if push_unmatched_to_1_0 else (gb - gd) ** 2
    costs = torch.cat([cost_m, cost_p, cost_t.to(cost_m.dtype)])
    n_items = p.pred.numel() // p.n_pixels
    return _reduce(costs, [matched, up, ut], p.batch_shape, n_items, reduction)


@logged("hu_topo_loss")
def hu_topo_loss(
    pred,
    target,
    ndim: int = 2,
    superlevel: bool = True,
    construction: str = "V",
    reduction: str = "mean",
    n_threads: int | None = None,
) -> torch.Tensor:
    r"""The topological loss of Hu et al. (NeurIPS 2019), differentiable in ``pred``.

    Per instance and homology dimension, the squared 2-Wasserstein distance with the
    Euclidean ground norm between the finite bars of the prediction and of the target:
    ``|p - q|^2`` for a matched pair, ``(b - d)^2 / 2`` for a bar sent to the diagonal; summed
    over the dimensions ``0 .. ndim-1``. The matching is exact, the one
    :func:`topolayer.distances.wasserstein_distance` finds on the two cubical diagrams; each
    instance runs persistence and matching in one C++ call, the batch across threads. Where several matchings are optimal
    (equal bars, e.g. of saturated probabilities) the gradient follows one of them; the value
    does not depend on which.

    Parameters
    ----------
    pred, target, ndim, superlevel, construction, reduction, n_threads
        As :func:`betti_matching_loss`.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``, else one value per instance; float32 for float16 and
        bfloat16 inputs (summed in float32, which a float16 sum over many bars overflows).

    Raises
    ------
    TypeError, ValueError
        As :func:`betti_matching_loss`.

    Examples
    --------
    >>> import torch
    >>> target = torch.zeros(1, 1, 5, 9)
    >>> target[..., 2, 1:8] = 1
    >>> pred = 0.8 * target
    >>> pred[..., 2, 4] = 0.2
    >>> round(hu_topo_loss(pred, target).item(), 4)   # the extra bar to the diagonal: 0.6^2 / 2
    0.18
    """
    p = prepare(pred, target, ndim, superlevel, construction, n_threads)
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    if _fixed_points_apply(p, reduction):
        return _fixed_point_loss(p, ndim, reduction, hu=True, weight=1.0, target_weight=0.5)
    out = match_indices(
        p.pred,
        p.target,
        ndim,
        p.construction,
        p.n_threads,
        p.superlevel,
        hu=True,
        target_grad=p.target_grad,
    )
    if not p.target_grad:
        return _fixed_target_loss(
            p, out, reduction, w_matched=1.0, w_unmatched=1.0, target_cost=_half_to_diagonal
        )
    matched, up, ut, flat_p, flat_t = out
    (pb, pd, tb, td), (ub, ud), (gb, gd) = _gather(p, matched, up, ut, flat_p, flat_t)
    costs = torch.cat(
        [(pb - tb) ** 2 + (pd - td) ** 2, (ub - ud) ** 2 / 2, ((gb - gd) ** 2 / 2).to(pb.dtype)]
    )
    n_items = p.pred.numel() // p.n_pixels
    return _reduce(costs, [matched, up, ut], p.batch_shape, n_items, reduction)
