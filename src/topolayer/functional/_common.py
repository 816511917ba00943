"""Shared pieces of the functional layers: input validation and the differentiable gather."""

from __future__ import annotations

import torch

from ..diagram import Diagram, DiagramBatch


def as_float_tensor(x, name: str) -> torch.Tensor:
    """``x`` as a floating tensor; integer, boolean and complex inputs are a TypeError."""
    if not isinstance(x, torch.Tensor):
        try:
            x = torch.as_tensor(x)
        except Exception as err:
            raise TypeError(
                f"{name} must be a tensor or array of floats, got {type(x).__name__}"
            ) from err
    if not x.is_floating_point():
        raise TypeError(
            f"{name} must have a floating dtype (float16/bfloat16/float32/float64), got {x.dtype}; "
            f"convert with {name}.float()"
        )
    return x


def check_max_dim(max_dim, name: str = "max_dim") -> int:
    if isinstance(max_dim, bool) or not isinstance(max_dim, int):
        raise TypeError(f"{name} must be an int, got {type(max_dim).__name__}")
    if max_dim < 0:
        raise ValueError(f"{name} must be >= 0, got {max_dim}")
    return max_dim


def gather_diagram(
    values: torch.Tensor,
    pairs: list[torch.Tensor],
    superlevel: bool,
    batch_shape: tuple[int, ...] | None,
) -> Diagram | DiagramBatch:
    """Build a diagram from ``(item, birth, death)`` index rows by gathering ``values``.

    ``values`` is ``(B, n)``: row ``item`` holds the values that the indices point into. Births
    and deaths are entries of ``values`` (so gradients reach exactly the critical cells);
    essential deaths (index -1) become ``+inf`` (sublevel) or ``-inf`` (superlevel).
    ``batch_shape=None`` means a single item, returned as a :class:`Diagram`.
    """
    inf = float("-inf") if superlevel else float("inf")
    bars, batch, idx = [], [], []
    for p in pairs:
        item, b, d = p[:, 0], p[:, 1], p[:, 2]
        birth = values[item, b]
        death = torch.where(d >= 0, values[item, d.clamp(min=0)], torch.full_like(birth, inf))
        bars.append(torch.stack([birth, death], dim=1))
        batch.append(item)
        idx.append(p[:, 1:])
    if batch_shape is None:
        return Diagram(bars, idx, superlevel)
    size = 1
    for s in batch_shape:
        size *= s
    return DiagramBatch(bars, batch, size, idx, superlevel, batch_shape)
