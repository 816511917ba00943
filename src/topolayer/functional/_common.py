"""Shared pieces of the functional layers: input validation and the differentiable gather."""

from __future__ import annotations

import torch

from .._validate import as_float_tensor, check_max_dim
from ..diagram import Diagram, DiagramBatch

__all__ = ["as_float_tensor", "check_max_dim", "gather_diagram"]


def gather_diagram(
    values: torch.Tensor,
    pairs: list[torch.Tensor],
    superlevel: bool,
    batch_shape: tuple[int, ...] | None,
    indices: list[torch.Tensor] | None = None,
    max_dim: int | None = None,
) -> Diagram | DiagramBatch:
    """Build a diagram from a pairs op's output (the contract of :mod:`topolayer._ops`).

    ``values`` is the value vector the positions index: the input itself for level sets,
    images, explicit filtrations and distance matrices, else the values of the op's cell table
    (lengths, radii) computed by the caller. Births and deaths are gathered for every bar of a
    dimension by one ``index_select``, so gradients reach exactly the critical cells; position
    ``len(values)`` is an essential death (``+inf``, or ``-inf`` superlevel) and
    ``len(values) + 1`` the value 0. ``indices`` defaults to the rows' (birth cell, death cell).
    ``batch_shape=None`` means a single item, returned as a :class:`Diagram`. ``max_dim``
    (when above the op's) pads the diagram with empty dimensions: the op computes only what
    its complex can carry.
    """
    inf = float("-inf") if superlevel else float("inf")
    m = len(pairs) // 2
    rows, pos = pairs[:m], pairs[m : 2 * m]
    flat = values.reshape(-1)
    ext = torch.cat([flat, flat.new_full((1,), inf), flat.new_zeros(1)])
    bars = [ext.index_select(0, p.reshape(-1)).view(-1, 2) for p in pos]
    idx = indices if indices is not None else [r[:, 1:] for r in rows]
    batch = [r[:, 0] for r in rows]
    for _ in range(m, (max_dim if max_dim is not None else m - 1) + 1):
        bars.append(flat.new_zeros((0, 2)))
        idx.append(idx[0].new_zeros((0, idx[0].shape[1])))
        batch.append(batch[0].new_zeros(0))
    if batch_shape is None:
        return Diagram._trusted(bars, idx, superlevel)
    size = 1
    for s in batch_shape:
        size *= s
    return DiagramBatch._trusted(bars, batch, size, idx, superlevel, tuple(batch_shape))
