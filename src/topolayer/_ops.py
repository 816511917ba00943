"""torch.library custom ops over the C++ core.

Each op takes the detached input values and returns *integer* index tensors (critical cells
per bar), so it needs no autograd formula: the differentiable part is the gather that the
functional layer does afterwards. A fake (meta) kernel with data-dependent sizes lets
``torch.compile(fullgraph=True)`` trace through the op without a graph break.

Complexes are C++ objects that the op cannot take as an argument; each is registered here under
an integer handle (a weak registry: it disappears with its SimplicialComplex).
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np
import torch
from torch.utils._python_dispatch import _get_current_dispatch_mode

from . import _core

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
    if n_threads is None:
        return 0
    n = int(n_threads)
    if n < 1:
        raise ValueError(f"n_threads must be a positive integer or None, got {n_threads}")
    return n


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

    The op is what those see; the kernel is the same code minus ~30 us of dispatch per call,
    which is a tenth of the time of a batch of 64 small images.
    """
    return (
        type(x) is torch.Tensor
        and not torch.compiler.is_compiling()
        and _get_current_dispatch_mode() is None
        and not torch._C._functorch.is_functorch_wrapped_tensor(x)
    )


def _to_device(arrays: list[np.ndarray], device: torch.device) -> list[torch.Tensor]:
    if device.type == "cpu":
        return [torch.from_numpy(a) for a in arrays]
    return [torch.from_numpy(a).to(device) for a in arrays]


def _fake_pairs(x: torch.Tensor, max_dim: int, width: int) -> list[torch.Tensor]:
    """Fake outputs of a pairs op: per dimension an ``(n_k, width)`` row tensor, then per
    dimension the ``(n_k, 2)`` flat positions of the same bars (data-dependent ``n_k``)."""
    ctx = torch.library.get_ctx()
    sizes = [ctx.new_dynamic_size() for _ in range(max_dim + 1)]
    rows = [x.new_empty((n, width), dtype=torch.int64) for n in sizes]
    return rows + [x.new_empty((n, 2), dtype=torch.int64) for n in sizes]


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
    return _to_device(out, f.device)


@lower_star_pairs.register_fake
def _(f, handle, max_dim, superlevel, keep_zero, n_threads):
    return _fake_pairs(f, max_dim, 3)


@torch.library.custom_op("topolayer::filtration_pairs", mutates_args=())
def filtration_pairs(
    values: torch.Tensor, handle: int, max_dim: int, keep_zero: bool, n_threads: int
) -> list[torch.Tensor]:
    """Per dimension an ``(n_k, 3)`` int64 tensor of (item, birth simplex, death simplex or -1)
    for each row of the ``(B, n_simplices)`` per-simplex ``values``; then per dimension the
    ``(n_k, 2)`` positions of the same bars in ``values.ravel()`` (essential deaths:
    ``values.numel()``)."""
    out = _core.filtration(_COMPLEXES[handle], host_array(values), max_dim, keep_zero, n_threads)
    return _to_device(out, values.device)


@filtration_pairs.register_fake
def _(values, handle, max_dim, keep_zero, n_threads):
    return _fake_pairs(values, max_dim, 3)
