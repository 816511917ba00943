"""torch.library custom ops over the C++ core, one module per filtration kind.

Each op takes the detached input values and returns *integer* index tensors (critical cells
per bar), so it needs no autograd formula: the differentiable part is the gather that the
functional layer does afterwards. A fake (meta) kernel with data-dependent sizes lets
``torch.compile(fullgraph=True)`` trace through the op without a graph break.

The result contract, shared by every pairs op (``topolayer::<kind>_pairs``), for
``max_dim = m``:

- ``out[k]``, ``k = 0..m``: ``(n_k, 3)`` int64 rows ``(item, birth cell, death cell or -1)``;
  cells are item-local ids in the kind's own numbering (vertex, pixel, simplex, or for Rips the
  edge ``u * N + v`` of the item's distance matrix; an H0 birth is the vertex ``v * N + v``).
- ``out[m + 1 + k]``: ``(n_k, 2)`` int64 positions of each bar's birth and death value in a
  value vector ``v``: the input itself where values are input entries (level sets, images,
  explicit filtrations, distance matrices), else the values of ``cells`` below. Position
  ``len(v)`` is an essential death (``+inf``, or ``-inf`` superlevel), ``len(v) + 1`` the
  value 0 (a Rips vertex's birth).
- ``out[2m + 2]`` (geometric kinds only: Rips of points, alpha): an ``(C, w)`` int64 table of
  the critical cells' vertices (global point ids, ``-1`` padded) whose values, computed in
  torch from the points (lengths, circumradii), form ``v``.

:func:`topolayer.functional._common.gather_diagram` turns any such output into a
:class:`~topolayer.Diagram` or :class:`~topolayer.DiagramBatch`.

Complexes are C++ objects that the op cannot take as an argument; each is registered here under
an integer handle (a weak registry: it disappears with its SimplicialComplex). Importing this
package registers every op.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import numpy as np
import torch
from torch.utils._python_dispatch import _get_current_dispatch_mode

from .. import _core
from .._validate import check_threads

_COMPLEXES: dict[int, _core.Complex] = {}
_next_handle = itertools.count(1)


def register_complex(owner: object, core: _core.Complex) -> int:
    """Register ``core`` and return its handle; it is dropped when ``owner`` is collected."""
    handle = next(_next_handle)
    _COMPLEXES[handle] = core
    weakref.finalize(owner, _COMPLEXES.pop, handle, None)
    return handle


def resolve_threads(n_threads: int | None) -> int:
    """``None`` means every core (0 for the C++ side); otherwise a positive count."""
    return check_threads(n_threads)


def host_array(x: torch.Tensor) -> np.ndarray:
    """A C-contiguous float32/float64 NumPy view (or copy) of ``x`` on the CPU: the one host copy
    of a call. Finiteness is checked by the C++ core, which names the first offending entry."""
    x = x.detach()
    if x.dtype not in (torch.float32, torch.float64):
        x = x.to(torch.float32)  # float16/bfloat16: upcast for the core only
    if x.device.type != "cpu":
        x = x.cpu()
    if not x.is_contiguous():
        x = x.contiguous()
    return x.numpy()  # the common case (a contiguous CPU tensor) makes no copy and no op


def plain_eager(x: torch.Tensor) -> bool:
    """Whether a pairs op may call its kernel directly for ``x``: a plain tensor in eager mode,
    with no tracing (``torch.compile``, export), dispatch mode or functorch transform active.

    The op is what those see; the kernel is the same code without the dispatcher's fixed cost
    per call, which is noticeable next to a batch of small images.
    """
    return (
        type(x) is torch.Tensor
        and not torch.compiler.is_compiling()
        and _get_current_dispatch_mode() is None
        and not torch._C._functorch.is_functorch_wrapped_tensor(x)
    )


def to_device(arrays: list[np.ndarray], device: torch.device) -> list[torch.Tensor]:
    if device.type == "cpu":
        return [torch.from_numpy(a) for a in arrays]
    return [torch.from_numpy(a).to(device) for a in arrays]


def fake_pairs(x: torch.Tensor, max_dim: int, cell_width: int = 0) -> list[torch.Tensor]:
    """Fake outputs of a pairs op (the contract above, data-dependent ``n_k``): per dimension an
    ``(n_k, 3)`` row tensor, then the ``(n_k, 2)`` positions of the same bars, then, when
    ``cell_width`` is positive, a ``(C, cell_width)`` cell table."""
    ctx = torch.library.get_ctx()
    sizes = [ctx.new_dynamic_size() for _ in range(max_dim + 1)]
    out = [x.new_empty((n, 3), dtype=torch.int64) for n in sizes]
    out += [x.new_empty((n, 2), dtype=torch.int64) for n in sizes]
    if cell_width:
        out.append(x.new_empty((ctx.new_dynamic_size(), cell_width), dtype=torch.int64))
    return out


def split_vmapped(
    out: list[torch.Tensor],
    n_dims: int,
    n_maps: int,
    items: int,
    values_per_slice: int,
    points_per_slice: int = 0,
) -> list[torch.Tensor]:
    """A pairs op's output on ``n_maps * items`` items, as ``torch.func.vmap`` sees it: each
    output gets a leading axis of ``n_maps`` (one slice per mapped call, each the result of
    ``items`` items), padded to equal sizes.

    Rows keep their order; items, positions and the cell table become the slice's own.
    Padding bars have both positions at the essential slot, so their births are ``+/-inf``:
    filler rows, which every feature ignores. Without a cell table a slice's value vector has
    ``values_per_slice`` entries; with one, a slice's cells are the table rows its bars
    use, in order (point ids made the slice's own: minus ``points_per_slice`` per slice),
    padded with copies of its first row.
    """
    rows, pos = out[:n_dims], out[n_dims : 2 * n_dims]
    table = out[2 * n_dims] if len(out) > 2 * n_dims else None
    total = values_per_slice * n_maps if table is None else len(table)
    picks = [[(r[:, 0] // items) == v for r in rows] for v in range(n_maps)]
    own_pos = [[pos[k][picks[v][k]] for k in range(n_dims)] for v in range(n_maps)]
    if table is None:
        width = values_per_slice
        for v, ps in enumerate(own_pos):
            own_pos[v] = [torch.where(q >= total, q - total + width, q - v * width) for q in ps]
        cells = None
    else:
        used = []
        for ps in own_pos:
            flat = torch.cat([q.reshape(-1) for q in ps])
            used.append(flat[flat < total])
        width = max(len(u) for u in used)
        for v, ps in enumerate(own_pos):
            renumbered, start = [], 0
            for q in ps:
                real = q < total
                n_real = int(real.sum())
                ids = torch.zeros_like(q)
                ids[real] = torch.arange(start, start + n_real, device=q.device)
                renumbered.append(torch.where(real, ids, q - total + width))
                start += n_real
            own_pos[v] = renumbered
        own_cells = []
        for v, u in enumerate(used):
            c = table[u]
            c = torch.where(c >= 0, c - v * points_per_slice, c)
            pad = c[:1] if len(c) else table.new_zeros((1, table.shape[1]))
            own_cells.append(torch.cat([c, pad.expand(width - len(c), -1)]))
        cells = torch.stack(own_cells)
    result = []
    for k in range(n_dims):
        own = []
        for v in range(n_maps):
            r = rows[k][picks[v][k]].clone()
            r[:, 0] -= v * items
            own.append(r)
        size = max(len(r) for r in own)
        pad = torch.tensor([0, -1, -1], dtype=torch.int64)  # item 0: features add no filler
        result.append(
            torch.stack([torch.cat([r, pad.to(r.device).expand(size - len(r), 3)]) for r in own])
        )
    for k in range(n_dims):
        own = [own_pos[v][k] for v in range(n_maps)]
        size = max(len(q) for q in own)
        result.append(
            torch.stack([torch.cat([q, q.new_full((size - len(q), 2), width)]) for q in own])
        )
    if cells is not None:
        result.append(cells)
    return result


def vmap_rows(
    op: Any, in_dims: tuple, x: torch.Tensor, args: tuple, n_dims: int
) -> tuple[list[torch.Tensor], list[int | None]]:
    """A vmap rule for ops whose first argument is a ``(B, n)`` batch of rows: the mapped
    calls become one call on ``n_maps * B`` rows, split back by :func:`split_vmapped`."""
    if in_dims[0] is None:
        out = op(x, *args)
        return out, [None] * len(out)
    x = x.movedim(in_dims[0], 0)
    n_maps, items, n = x.shape
    out = op(x.reshape(n_maps * items, n), *args)
    res = split_vmapped(out, n_dims, n_maps, items, items * n)
    return res, [0] * len(res)


def vmap_clouds(
    op: Any, in_dims: tuple, data: torch.Tensor, counts: torch.Tensor, args: tuple, n_dims: int
) -> tuple[list[torch.Tensor], list[int | None]]:
    """A vmap rule for ops on a flat batch of clouds ``data`` split by ``counts``: every mapped
    call holds the same ``counts``."""
    if in_dims[1] is not None:
        raise ValueError("vmap over the point counts of a batch is not supported")
    if in_dims[0] is None:
        out = op(data, counts, *args)
        return out, [None] * len(out)
    data = data.movedim(in_dims[0], 0)
    n_maps = data.shape[0]
    per_slice = data[0].numel()
    flat = data.reshape(n_maps * data.shape[1], *data.shape[2:])
    out = op(flat, counts.repeat(n_maps), *args)
    res = split_vmapped(out, n_dims, n_maps, len(counts), per_slice, data.shape[1])
    return res, [0] * len(res)


# Importing the op modules registers their ops (topolayer::<kind>_pairs).
from . import alpha, cubical, distances, rips, segmentation, simplicial  # noqa: E402

__all__ = [
    "alpha",
    "cubical",
    "distances",
    "rips",
    "segmentation",
    "simplicial",
    "register_complex",
    "resolve_threads",
    "host_array",
    "plain_eager",
    "to_device",
    "fake_pairs",
    "split_vmapped",
    "vmap_rows",
    "vmap_clouds",
]
