"""Custom op for images and volumes: ``topolayer::cubical_pairs``.

It returns the result contract of :mod:`topolayer._ops`: cells are flat (row-major) pixel
indices of the item's grid, and every value is a pixel of the input.
"""

from __future__ import annotations

import torch

from .. import _core
from . import fake_pairs, host_array, to_device, vmap_rows

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
    return to_device(out, x.device)


# The op (what torch.compile and export see); eager callers may use the kernel directly
# (topolayer._ops.plain_eager).
cubical_pairs = torch.library.custom_op("topolayer::cubical_pairs", mutates_args=())(
    cubical_pairs_kernel
)


@cubical_pairs.register_fake
def _(x, shape, construction, max_dim, superlevel, keep_zero, n_threads):
    return fake_pairs(x, max_dim)


@cubical_pairs.register_vmap
def _(info, in_dims, x, shape, construction, max_dim, superlevel, keep_zero, n_threads):
    args = (shape, construction, max_dim, superlevel, keep_zero, n_threads)
    return vmap_rows(cubical_pairs, in_dims, x, args, max_dim + 1)
