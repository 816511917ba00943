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


def empty_pairs(max_dim: int, device: torch.device) -> list[torch.Tensor]:
    """Rows and positions of a result without bars (contract above, no cell table)."""
    z = torch.zeros
    return [z((0, 3), dtype=torch.int64, device=device) for _ in range(max_dim + 1)] + [
        z((0, 2), dtype=torch.int64, device=device) for _ in range(max_dim + 1)
    ]


# Importing the op modules registers their ops (topolayer::<kind>_pairs).
from . import alpha, cubical, rips, simplicial  # noqa: E402

__all__ = [
    "alpha",
    "cubical",
    "rips",
    "simplicial",
    "register_complex",
    "resolve_threads",
    "host_array",
    "plain_eager",
    "to_device",
    "fake_pairs",
]
