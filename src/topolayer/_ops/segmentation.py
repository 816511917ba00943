"""Custom op for the Betti matching of two images: ``topolayer::betti_matching``.

Pixels are flat (row-major) indices of an item's grid. The op takes the *sublevel* filtration
values of the prediction and of the target (the caller turns superlevel into sublevel) and
returns three int64 tensors:

- ``matched``, ``(m, 6)``: (item, dim, pred birth, pred death, target birth, target death);
- ``unmatched_pred`` and ``unmatched_target``, ``(u, 4)``: (item, dim, birth, death).

Essential bars are left out.
"""

from __future__ import annotations

import torch

from .. import _core
from . import host_array, to_device

CONSTRUCTIONS = ("V", "T")


def betti_matching_kernel(
    pred: torch.Tensor, target: torch.Tensor, shape: list[int], construction: str, n_threads: int
) -> list[torch.Tensor]:
    """The op's CPU kernel on ``(B, prod(shape))`` rows (float32 or float64, same dtype)."""
    p = host_array(pred)
    t = host_array(target).astype(p.dtype, copy=False)
    out = _core.betti_matching(p, t, list(shape), construction, n_threads)
    return to_device(out, pred.device)


betti_matching = torch.library.custom_op("topolayer::betti_matching", mutates_args=())(
    betti_matching_kernel
)


@betti_matching.register_fake
def _(pred, target, shape, construction, n_threads):
    ctx = torch.library.get_ctx()
    return [
        pred.new_empty((ctx.new_dynamic_size(), 6), dtype=torch.int64),
        pred.new_empty((ctx.new_dynamic_size(), 4), dtype=torch.int64),
        pred.new_empty((ctx.new_dynamic_size(), 4), dtype=torch.int64),
    ]
