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
from ._ops import _fake_pairs, _to_device

CONSTRUCTIONS = ("freudenthal", "V", "T")


def _host(x: torch.Tensor) -> np.ndarray:
    """A C-contiguous float32/float64 host copy (or view) of ``x``; finiteness is checked by the
    C++ core, which names the first offending pixel."""
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
    return _to_device(out, x.device)


@cubical_pairs.register_fake
def _(x, shape, construction, max_dim, superlevel, keep_zero, n_threads):
    return _fake_pairs(x, max_dim, 3)
