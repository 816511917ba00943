"""Custom ops for filtrations of explicit simplicial complexes: ``topolayer::lower_star_pairs``
(values on vertices) and ``topolayer::filtration_pairs`` (values on every simplex).

Both return the result contract of :mod:`topolayer._ops`: cells are vertex ids (lower star)
or global simplex ids (explicit filtration), and every value is an entry of the input.
"""

from __future__ import annotations

import torch

from .. import _core
from . import _COMPLEXES, fake_pairs, host_array, to_device, vmap_rows

__all__ = ["lower_star_pairs", "filtration_pairs"]


@torch.library.custom_op("topolayer::lower_star_pairs", mutates_args=())
def lower_star_pairs(
    f: torch.Tensor, handle: int, max_dim: int, superlevel: bool, keep_zero: bool, n_threads: int
) -> list[torch.Tensor]:
    """Per dimension an ``(n_k, 3)`` int64 tensor of (item, birth vertex, death vertex or -1)
    for each row of the ``(B, n_vertices)`` values ``f``; then per dimension the ``(n_k, 2)``
    positions of the same bars in ``f.ravel()`` (essential deaths: ``f.numel()``)."""
    out = _core.lower_star(
        _COMPLEXES[handle], host_array(f), max_dim, superlevel, keep_zero, n_threads
    )
    return to_device(out, f.device)


@lower_star_pairs.register_fake
def _(f, handle, max_dim, superlevel, keep_zero, n_threads):
    return fake_pairs(f, max_dim)


@torch.library.custom_op("topolayer::filtration_pairs", mutates_args=())
def filtration_pairs(
    values: torch.Tensor, handle: int, max_dim: int, keep_zero: bool, n_threads: int
) -> list[torch.Tensor]:
    """Per dimension an ``(n_k, 3)`` int64 tensor of (item, birth simplex, death simplex or -1)
    for each row of the ``(B, n_simplices)`` per-simplex ``values``; then per dimension the
    ``(n_k, 2)`` positions of the same bars in ``values.ravel()`` (essential deaths:
    ``values.numel()``)."""
    out = _core.filtration(_COMPLEXES[handle], host_array(values), max_dim, keep_zero, n_threads)
    return to_device(out, values.device)


@filtration_pairs.register_fake
def _(values, handle, max_dim, keep_zero, n_threads):
    return fake_pairs(values, max_dim)


@lower_star_pairs.register_vmap
def _(info, in_dims, f, handle, max_dim, superlevel, keep_zero, n_threads):
    args = (handle, max_dim, superlevel, keep_zero, n_threads)
    return vmap_rows(lower_star_pairs, in_dims, f, args, max_dim + 1)


@filtration_pairs.register_vmap
def _(info, in_dims, values, handle, max_dim, keep_zero, n_threads):
    args = (handle, max_dim, keep_zero, n_threads)
    return vmap_rows(filtration_pairs, in_dims, values, args, max_dim + 1)
