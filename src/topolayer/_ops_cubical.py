"""torch.library custom op for images and volumes: ``topolayer::cubical_pairs``.

The op takes the detached grid values and returns *integer* critical-pixel indices per bar,
so it needs no autograd formula: the differentiable part is the gather that
:func:`topolayer.functional.cubical` does afterwards. A fake kernel with data-dependent sizes
lets ``torch.compile(fullgraph=True)`` trace through it without a graph break.
"""

from __future__ import annotations

import numpy as np
import torch

from . import _core

CONSTRUCTIONS = ("freudenthal", "V", "T")


def resolve_threads(n_threads: int | None) -> int:
    """``None`` means every core (0 for the C++ side); otherwise a positive count."""
    if n_threads is None:
        return 0
    if isinstance(n_threads, bool) or not isinstance(n_threads, int | np.integer):
        raise TypeError(f"n_threads must be a positive int or None, got {type(n_threads).__name__}")
    n = int(n_threads)
    if n < 1:
        raise ValueError(f"n_threads must be a positive int or None, got {n_threads}")
    return n


def _host(x: torch.Tensor) -> np.ndarray:
    x = x.detach()
    if x.dtype not in (torch.float32, torch.float64):
        x = x.to(torch.float32)  # float16/bfloat16: upcast for the core only
    return x.cpu().contiguous().numpy()


@torch.library.custom_op("topolayer::cubical_pairs", mutates_args=())
def cubical_pairs(
    x: torch.Tensor,
    shape: list[int],
    construction: str,
    max_dim: int,
    superlevel: bool,
    keep_zero: bool,
    n_threads: int,
) -> list[torch.Tensor]:
    """Per dimension ``0..max_dim`` an ``(n_k, 3)`` int64 tensor of (item, birth pixel, death
    pixel or -1) for each row of the ``(B, prod(shape))`` grid values ``x``.

    Raises ValueError if a value is NaN or infinite (the C++ core checks every pixel).
    """
    out = _core.cubical(
        _host(x), list(shape), construction, max_dim, superlevel, keep_zero, n_threads
    )
    return [torch.from_numpy(a).to(x.device) for a in out]


@cubical_pairs.register_fake
def _(x, shape, construction, max_dim, superlevel, keep_zero, n_threads):
    ctx = torch.library.get_ctx()
    return [
        x.new_empty((ctx.new_dynamic_size(), 3), dtype=torch.int64) for _ in range(max_dim + 1)
    ]
