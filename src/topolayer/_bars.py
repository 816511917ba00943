"""Shared plumbing for the diagram features: input normalisation and segment operations.

Every feature in :mod:`topolayer.losses`, :mod:`topolayer.distances` and
:mod:`topolayer.vectorize` first turns its input (a :class:`~topolayer.Diagram`, a
:class:`~topolayer.DiagramBatch` or the reference implementation's ``(dgms, issublevel)``
tuple) into one flat view of a single homology dimension: ``(P, 2)`` bars, a ``(P,)`` batch
vector and the batch size. Features then reduce with ``index_add``/``scatter`` and a segment
sort, never with a Python loop over batch items.

Bar classification, shared by every feature:

- *finite* bar: birth and death both finite;
- *essential* bar: birth finite, death infinite (``+inf`` sublevel, ``-inf`` superlevel);
- *filler* row: anything else (a non-finite birth or a NaN), e.g. the reference
  implementation's padding rows; filler rows are ignored by every feature.

Lengths follow the reference implementation: ``death - birth`` for sublevel diagrams and
``birth - death`` for superlevel ones (bars run downwards), both ``>= 0`` on valid diagrams.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch

from .diagram import Diagram, DiagramBatch, as_diagram


class Flat(NamedTuple):
    """One homology dimension of a diagram input, flattened over the batch."""

    bars: torch.Tensor  # (P, 2) floating
    batch: torch.Tensor  # (P,) int64
    batch_size: int
    superlevel: bool
    single: bool  # True for a Diagram / tuple input: results lose their batch axis
    batch_shape: tuple[int, ...] = ()  # leading shape of batch results (DiagramBatch.batch_shape)


def _is_tuple_input(dgm: Any) -> bool:
    return (
        isinstance(dgm, (tuple, list))
        and len(dgm) == 2
        and isinstance(dgm[1], bool)
        and isinstance(dgm[0], (tuple, list))
    )


def _check_bars(b: Any, name: str, k: int) -> torch.Tensor:
    if not isinstance(b, torch.Tensor):
        raise TypeError(f"{name}[{k}] must be a torch.Tensor, got {type(b).__name__}")
    if not b.is_floating_point():
        raise TypeError(f"{name}[{k}] must be a floating-point tensor, got dtype {b.dtype}")
    if b.dim() != 2 or b.shape[1] != 2:
        raise ValueError(f"{name}[{k}] must have shape (n, 2), got {tuple(b.shape)}")
    return b


def _check_dim(dim: Any, n_dims: int, name: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if not 0 <= dim < n_dims:
        raise ValueError(
            f"dim={dim} is out of range: {name} holds homology dimensions 0..{n_dims - 1}"
        )
    return dim


def _unwrap(dgm: Any, name: str) -> Any:
    """``(Diagram | DiagramBatch, issublevel)`` (a batched reference-style output) -> the object."""
    if (
        isinstance(dgm, (tuple, list))
        and len(dgm) == 2
        and isinstance(dgm[1], bool)
        and isinstance(dgm[0], (Diagram, DiagramBatch))
    ):
        if dgm[0].superlevel == dgm[1]:
            raise ValueError(
                f"{name}: issublevel={dgm[1]} contradicts the diagram's "
                f"superlevel={dgm[0].superlevel}"
            )
        return dgm[0]
    return dgm


def flatten(dgm: Any, dim: int, name: str = "dgm") -> Flat:
    """Return dimension ``dim`` of ``dgm`` (anything :func:`~topolayer.as_diagram` takes) as a
    :class:`Flat` view (validated)."""
    dgm = _unwrap(dgm, name)
    if not (isinstance(dgm, (Diagram, DiagramBatch)) or _is_tuple_input(dgm)):
        dgm = as_diagram(dgm, _check_dim(dim, dim + 1 if isinstance(dim, int) else 1, name), name)
    if isinstance(dgm, DiagramBatch):
        _check_dim(dim, len(dgm.bars), name)
        bars = _check_bars(dgm.bars[dim], name, dim)
        batch = dgm.batch[dim]
        if batch.shape != (bars.shape[0],):
            raise ValueError(
                f"{name}.batch[{dim}] must have shape ({bars.shape[0]},), got {tuple(batch.shape)}"
            )
        shape = tuple(dgm.batch_shape)
        if math.prod(shape) != dgm.batch_size:
            shape = (dgm.batch_size,)
        return Flat(
            bars, batch.to(bars.device, torch.long), dgm.batch_size, dgm.superlevel, False, shape
        )
    if isinstance(dgm, Diagram):
        _check_dim(dim, len(dgm.bars), name)
        bars = _check_bars(dgm.bars[dim], name, dim)
        superlevel = dgm.superlevel
    elif _is_tuple_input(dgm):
        dgms, issublevel = dgm
        _check_dim(dim, len(dgms), name)
        bars = _check_bars(dgms[dim], name, dim)
        superlevel = not issublevel
    else:
        raise TypeError(f"{name} must be a diagram, got {type(dgm).__name__}")
    batch = torch.zeros(bars.shape[0], dtype=torch.long, device=bars.device)
    return Flat(bars, batch, 1, superlevel, True)


def classify(bars: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(finite, essential)`` boolean masks, each ``(P,)``; the rest are filler rows."""
    birth_ok = torch.isfinite(bars[:, 0])
    death = bars[:, 1]
    finite = birth_ok & torch.isfinite(death)
    essential = birth_ok & torch.isinf(death)
    return finite, essential


def lengths_means(
    bars: torch.Tensor, superlevel: bool, finite: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Signed lengths and midpoints of the finite bars; 0 (with zero gradient) elsewhere.

    Non-finite rows are replaced *before* any arithmetic so that no ``inf``/``nan`` reaches
    the backward pass (the double-``where`` idiom).
    """
    safe = torch.where(
        finite.unsqueeze(1), bars, torch.zeros((), dtype=bars.dtype, device=bars.device)
    )
    b, d = safe[:, 0], safe[:, 1]
    length = b - d if superlevel else d - b
    mean = (b + d) / 2
    return length, mean


def safe_pow(x: torch.Tensor, p: float) -> torch.Tensor:
    """``x ** p`` for ``x >= 0`` whose gradient at ``x == 0`` is 0 rather than ``inf``/``nan``.

    For ``p >= 1`` the plain power already has a finite derivative at 0 and is used as is.
    """
    if p >= 1:
        return torch.pow(x, p)
    pos = x > 0
    one = torch.ones((), dtype=x.dtype, device=x.device)
    y = torch.pow(torch.where(pos, x, one), p)
    return torch.where(pos, y, torch.zeros((), dtype=x.dtype, device=x.device))


def safe_root(x: torch.Tensor, p: float) -> torch.Tensor:
    """``x ** (1 / p)`` for ``x >= 0`` with a zero (sub)gradient at ``x == 0``."""
    if p == 1:
        return x
    return safe_pow(x, 1.0 / p)


def safe_norm(diff: torch.Tensor) -> torch.Tensor:
    """Euclidean norms of the rows of ``diff`` (last axis), with a zero (sub)gradient at 0 and
    neither overflow nor underflow at any scale of the input's dtype.

    Rows whose largest entry lies outside a safe window are scaled by a power of two before
    squaring and scaled back after the root; both scalings are exact, and rows inside the
    window (almost all) are not touched, so their norms are bit for bit the plain formula's.
    float16/bfloat16 rows are computed in float32 and returned in their dtype.
    """
    if diff.dtype in (torch.float16, torch.bfloat16):
        return safe_norm(diff.float()).to(diff.dtype)
    # Squares stay finite below 2^big; the smaller components of a row keep their precision in
    # the sum while the largest stays above 2^-small (their squares then stay normal).
    big, small = (60, 40) if diff.dtype == torch.float32 else (500, 450)
    m = diff.detach().abs().amax(-1) if diff.shape[-1] else diff.new_zeros(diff.shape[:-1])
    e = torch.frexp(m).exponent
    e = torch.where((e > big) | ((e < -small) & (m > 0)), e, torch.zeros_like(e)).to(diff.dtype)
    # 2^e in two factors: one alone would overflow for the smallest subnormal rows.
    h = torch.exp2(torch.floor(e / 2))
    g = torch.exp2(e - torch.floor(e / 2))
    scaled = diff / h[..., None] / g[..., None]
    return safe_root((scaled * scaled).sum(-1), 2) * h * g


def segment_sum(values: torch.Tensor, batch: torch.Tensor, batch_size: int) -> torch.Tensor:
    """``(B, ...)`` sums of ``values`` (``(P, ...)``) per batch item; differentiable.

    The output is always connected to ``values`` in the autograd graph, also when ``P == 0``.
    A single item is a plain ``sum``: Inductor cannot generate code for an ``index_add`` of a
    data-dependent number of rows onto one row.
    """
    if batch_size == 1:
        return values.sum(0, keepdim=True)
    out = values.new_zeros((batch_size,) + tuple(values.shape[1:]))
    return out.index_add(0, batch, values)


def segment_expand(values: torch.Tensor, batch: torch.Tensor, batch_size: int) -> torch.Tensor:
    """``(P, ...)``: each row's value of its item, from ``(B, ...)`` ``values``.

    A single item is broadcast rather than indexed: the backward of the indexing would be an
    ``index_add`` onto one row, which Inductor cannot generate code for (see
    :func:`segment_sum`).
    """
    if batch_size == 1:
        return values.expand((batch.shape[0],) + tuple(values.shape[1:]))
    return values[batch]


def segment_rank(
    key: torch.Tensor, batch: torch.Tensor, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sort ``key`` decreasingly within each batch item.

    Returns ``(perm, rank)``: ``perm`` (P,) orders the rows by (item, key descending, stored
    position), ``rank`` (P,) is the 0-based position of row ``perm[i]`` within its item. Ties
    keep the stored order (stable sorts), so the result is deterministic. No size is read
    back from the data (an item's first row is found by a search in the sorted items), so the
    ranking traces under ``torch.compile(fullgraph=True)``.
    """
    perm = torch.sort(key, descending=True, stable=True).indices
    position = torch.arange(key.shape[0], device=key.device)
    if batch_size == 1:
        return perm, position
    perm = perm[torch.sort(batch[perm], stable=True).indices]
    sorted_batch = batch[perm]
    return perm, position - torch.searchsorted(sorted_batch, sorted_batch)


def anchor(bars: torch.Tensor) -> torch.Tensor:
    """A scalar 0 that depends on ``bars`` (zero gradient), for piecewise-constant features.

    Keeps outputs connected to the graph so that DistributedDataParallel sees every parameter.
    """
    safe = torch.where(
        torch.isfinite(bars), bars, torch.zeros((), dtype=bars.dtype, device=bars.device)
    )
    return safe.sum() * 0


def finish(out: torch.Tensor, f: Flat) -> torch.Tensor:
    """Shape a ``(B, ...)`` result: no batch axis for a single diagram, else ``batch_shape``.

    A batch of images ``(B, C, H, W)`` thus gives ``(B, C, ...)`` feature values.
    """
    if f.single:
        return out[0]
    return out.reshape(f.batch_shape + tuple(out.shape[1:]))
