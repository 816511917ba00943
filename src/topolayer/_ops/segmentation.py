"""Custom ops for the matchings of two images: ``topolayer::betti_matching`` (induced
matchings, Stucki et al.) and ``topolayer::hu_matching`` (the W2 matching of Hu et al.'s loss);
``topolayer::matching_terms``, what the losses need of either against a target that takes no
gradient.

Pixels are flat (row-major) indices of an item's grid. Each op takes the values of the
prediction and of the target and matches their sublevel filtrations, or with ``superlevel``
those of ``1 - x`` (computed per item on the items' threads, in the input's precision). The two
matchings return five int64 tensors:

- ``matched``, ``(m, 6)``: (item, dim, pred birth, pred death, target birth, target death);
- ``unmatched_pred`` and ``unmatched_target``, ``(u, 4)``: (item, dim, birth, death) (for
  ``hu_matching``: the bars sent to the diagonal);
- ``flat_pred`` and ``flat_target``, ``(2, k)``: the flat indices ``item * n + pixel`` of each
  side's bars, births in row 0 and deaths in row 1, the matched bars first (what the losses
  gather).

Essential bars are left out. ``matching_terms`` returns three tensors, described at its kernel.
"""

from __future__ import annotations

import torch

from .. import _core
from . import host_array, to_device

CONSTRUCTIONS = ("V", "T")


def _rows(pred: torch.Tensor, target: torch.Tensor):
    p = host_array(pred)
    return p, host_array(target).astype(p.dtype, copy=False)


def betti_matching_kernel(
    pred: torch.Tensor,
    target: torch.Tensor,
    shape: list[int],
    construction: str,
    superlevel: bool,
    binary_target: bool,
    n_threads: int,
) -> list[torch.Tensor]:
    """The op's CPU kernel on ``(B, prod(shape))`` rows (float32/float64, same dtype); with
    ``binary_target`` a two-valued target row skips its own reductions, its bars' deaths at
    representative pixels (for a target that takes no gradient)."""
    p, t = _rows(pred, target)
    out = _core.betti_matching(
        p, t, list(shape), construction, superlevel, binary_target, n_threads
    )
    return to_device(out, pred.device)


def hu_matching_kernel(
    pred: torch.Tensor,
    target: torch.Tensor,
    shape: list[int],
    construction: str,
    superlevel: bool,
    target_by_counts: bool,
    n_threads: int,
) -> list[torch.Tensor]:
    """The op's CPU kernel, as :func:`betti_matching_kernel`; with ``target_by_counts`` a
    two-valued target row has its bars counted, with representative pixels (for a target
    that takes no gradient)."""
    p, t = _rows(pred, target)
    out = _core.hu_matching(
        p, t, list(shape), construction, superlevel, target_by_counts, n_threads
    )
    return to_device(out, pred.device)


def matching_terms_kernel(
    pred: torch.Tensor,
    target: torch.Tensor,
    shape: list[int],
    construction: str,
    superlevel: bool,
    hu: bool,
    n_threads: int,
) -> list[torch.Tensor]:
    """The terms of the losses against a target that takes no gradient, from the Betti matching
    (or with ``hu`` the matching of Hu et al.'s loss) of ``(B, prod(shape))`` rows: ``flat``
    ``(2, k)`` int64, the flat indices of the prediction's finite bars (births, deaths; item by
    item); ``fixed`` ``(2, k)``, in the inputs' dtype and values, the point each bar is pulled to
    (its matched target bar, or its own midpoint on the diagonal); ``target_sq`` ``(B, 1)``, per
    row the sum of the squared lengths of the target's unmatched bars."""
    p, t = _rows(pred, target)
    out = _core.matching_terms(p, t, list(shape), construction, superlevel, hu, n_threads)
    return to_device(list(out), pred.device)


def _fake_terms(pred, target, *args):
    k = torch.library.get_ctx().new_dynamic_size()
    return [
        pred.new_empty((2, k), dtype=torch.int64),
        pred.new_empty((2, k)),
        pred.new_empty((pred.shape[0], 1)),
    ]


def _fake(pred, target, *args):
    ctx = torch.library.get_ctx()
    return [
        pred.new_empty((ctx.new_dynamic_size(), 6), dtype=torch.int64),
        pred.new_empty((ctx.new_dynamic_size(), 4), dtype=torch.int64),
        pred.new_empty((ctx.new_dynamic_size(), 4), dtype=torch.int64),
        pred.new_empty((2, ctx.new_dynamic_size()), dtype=torch.int64),
        pred.new_empty((2, ctx.new_dynamic_size()), dtype=torch.int64),
    ]


betti_matching = torch.library.custom_op("topolayer::betti_matching", mutates_args=())(
    betti_matching_kernel
)
hu_matching = torch.library.custom_op("topolayer::hu_matching", mutates_args=())(hu_matching_kernel)
betti_matching.register_fake(_fake)
hu_matching.register_fake(_fake)
matching_terms = torch.library.custom_op("topolayer::matching_terms", mutates_args=())(
    matching_terms_kernel
)
matching_terms.register_fake(_fake_terms)
