"""torch.library custom op for images and volumes: ``topolayer::cubical_pairs``.

The op takes the detached grid values and returns *integer* critical-pixel indices per bar,
so it needs no autograd formula: the differentiable part is the gather that
:func:`topolayer.functional.cubical` does afterwards. A fake kernel with data-dependent sizes
lets ``torch.compile(fullgraph=True)`` trace through it without a graph break.
"""

from __future__ import annotations

import torch

from . import _core
from ._ops import _fake_pairs, _to_device, host_array

CONSTRUCTIONS = ("freudenthal", "V", "T")


def cubical_pairs_kernel(
    x: torch.Tensor,
    shape: list[int],
    construction: str,
    max_dim: int,
    superlevel: bool,
    keep_zero: bool,
    n_threads: int,
) -> list[torch.Tensor]:
    """Per dimension ``0..max_dim`` an ``(n_k, 3)`` int64 tensor of (item, birth pixel, death
    pixel or -1) for each row of the ``(B, prod(shape))`` grid values ``x``; then per dimension
    the ``(n_k, 2)`` positions of the same bars in ``x.ravel()`` (essential deaths:
    ``x.numel()``).

    Raises ValueError if a value is NaN or infinite (the C++ core checks every pixel).
    """
    out = _core.cubical(
        host_array(x), list(shape), construction, max_dim, superlevel, keep_zero, n_threads
    )
    return _to_device(out, x.device)


# The op (what torch.compile and export see); eager callers may use the kernel directly
# (_ops.plain_eager).
cubical_pairs = torch.library.custom_op("topolayer::cubical_pairs", mutates_args=())(
    cubical_pairs_kernel
)


@cubical_pairs.register_fake
def _(x, shape, construction, max_dim, superlevel, keep_zero, n_threads):
    return _fake_pairs(x, max_dim, 3)
