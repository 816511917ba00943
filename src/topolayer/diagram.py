"""Persistence diagrams as tensors that carry gradients.

A :class:`Diagram` holds, per homology dimension ``k``, an ``(n_k, 2)`` tensor of
``(birth, death)`` rows whose entries are gathered from the layer's input, so autograd flows
through them. Essential classes (that never die) have ``death = +inf`` for sublevel
filtrations and ``-inf`` for superlevel ones. The critical-cell indices that produced each
row are kept on the diagram (``indices[k]``, ``-1`` marking an essential death).

A :class:`DiagramBatch` holds many diagrams flat: per dimension one ``(P, 2)`` tensor of bars
and a ``(P,)`` vector saying which batch item each bar belongs to, so features reduce over a
batch with ``index_add``/``scatter`` instead of a Python loop.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from numbers import Integral
from typing import Any

import numpy as np
import torch

__all__ = ["Diagram", "DiagramBatch"]


def _as_list(x: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    return [t for t in x]


def _check_parts(
    name: str, bars: Any, indices: Any, batch: Any = None
) -> tuple[list[torch.Tensor], list[torch.Tensor] | None, list[torch.Tensor] | None]:
    """Validate the per-dimension parts of a diagram built by hand (the layers' own outputs
    skip this: they are right by construction)."""
    if isinstance(bars, torch.Tensor) or not isinstance(bars, Sequence):
        raise TypeError(
            f"{name}: bars must be a sequence of (n_k, 2) tensors, one per homology dimension, "
            f"got {type(bars).__name__}"
        )
    out = []
    for k, b in enumerate(bars):
        if not isinstance(b, torch.Tensor):
            raise TypeError(f"{name}: bars[{k}] must be a torch.Tensor, got {type(b).__name__}")
        if not b.is_floating_point():
            raise TypeError(f"{name}: bars[{k}] must be floating point, got {b.dtype}")
        if b.dim() != 2 or b.shape[1] != 2:
            raise ValueError(f"{name}: bars[{k}] must have shape (n, 2), got {tuple(b.shape)}")
        out.append(b)
    parts: list[list[torch.Tensor] | None] = []
    for what, seq, width in (("indices", indices, None), ("batch", batch, 0)):
        if seq is None:
            parts.append(None)
            continue
        if isinstance(seq, torch.Tensor) or not isinstance(seq, Sequence) or len(seq) != len(out):
            raise ValueError(
                f"{name}: {what} must be a sequence of {len(out)} tensors (one per dimension)"
            )
        for k, (t, b) in enumerate(zip(seq, out, strict=True)):
            if not isinstance(t, torch.Tensor) or t.dtype != torch.int64:
                raise TypeError(f"{name}: {what}[{k}] must be an int64 tensor")
            if (width == 0 and t.shape != (len(b),)) or (
                width is None and (t.dim() != 2 or len(t) != len(b))
            ):
                want = f"({len(b)},)" if width == 0 else f"({len(b)}, m)"
                raise ValueError(
                    f"{name}: {what}[{k}] must have shape {want} (one row per bar), "
                    f"got {tuple(t.shape)}"
                )
        parts.append(list(seq))
    return out, parts[0], parts[1]


def _dim(k: Any, n_dims: int, allow_negative: bool = False) -> int:
    """A homology dimension held by a diagram of ``n_dims`` dimensions."""
    if isinstance(k, bool) or not isinstance(k, Integral):
        raise TypeError(f"homology dimension must be an int, got {type(k).__name__}")
    k = int(k)
    lo = -n_dims if allow_negative else 0
    if not lo <= k < n_dims:
        raise IndexError(
            f"homology dimension {k} is out of range: the diagram holds H0..H{n_dims - 1}"
        )
    return k % n_dims


class Diagram:
    """A persistence diagram: ``dgm[k]`` is the ``(n_k, 2)`` tensor of (birth, death) in dim k.

    Parameters
    ----------
    bars : sequence of (n_k, 2) Tensor
        One tensor per homology dimension ``0..max_dim``.
    indices : sequence of (n_k, m) int64 Tensor, optional
        The critical cells whose values are the births and deaths; ``-1`` for the death of an
        essential class. ``m = 2`` (birth, death) for level sets, images and explicit
        filtrations (vertex, pixel or simplex ids); ``m = 4`` for Rips (the two vertices of the
        birth edge, then of the death edge); ``m = 2 (D + 1)`` for alpha in dimension ``D`` (the
        vertices of the critical birth and death simplices, padded with ``-1``).
    superlevel : bool
        True when the diagram comes from a superlevel filtration: bars then run downwards
        (birth >= death) and essential deaths are ``-inf``.

    Examples
    --------
    >>> import torch, topolayer
    >>> d = topolayer.Diagram([torch.tensor([[0.0, 1.0], [0.0, float("inf")]])])
    >>> d.max_dim, len(d[0])
    (0, 2)
    """

    bars: list[torch.Tensor]
    indices: list[torch.Tensor] | None
    superlevel: bool

    def __init__(
        self,
        bars: Sequence[torch.Tensor],
        indices: Sequence[torch.Tensor] | None = None,
        superlevel: bool = False,
    ) -> None:
        b, idx, _ = _check_parts("Diagram", bars, indices)
        self.bars = b
        self.indices = idx
        self.superlevel = bool(superlevel)

    @classmethod
    def _trusted(
        cls, bars: list[torch.Tensor], indices: list[torch.Tensor] | None, superlevel: bool
    ) -> Diagram:
        """A diagram from parts that are right by construction (no validation)."""
        d = cls.__new__(cls)
        d.bars, d.indices, d.superlevel = bars, indices, superlevel
        return d

    # -- container protocol ---------------------------------------------------------------
    @property
    def max_dim(self) -> int:
        """Highest homology dimension held."""
        return len(self.bars) - 1

    def __getitem__(self, k: int) -> torch.Tensor:
        return self.bars[_dim(k, len(self.bars), allow_negative=True)]

    def __len__(self) -> int:
        return len(self.bars)

    def __iter__(self) -> Iterator[torch.Tensor]:
        return iter(self.bars)

    def __repr__(self) -> str:
        counts = ", ".join(f"H{k}: {len(b)}" for k, b in enumerate(self.bars))
        kind = "superlevel" if self.superlevel else "sublevel"
        return f"Diagram({counts}; {kind})"

    # -- views ----------------------------------------------------------------------------
    def essential_mask(self, k: int) -> torch.Tensor:
        """Boolean ``(n_k,)`` mask of the essential (infinite) bars in dimension ``k``."""
        return torch.isinf(self[k][:, 1])

    def finite(self, k: int) -> torch.Tensor:
        """The ``(m, 2)`` finite bars of dimension ``k``."""
        b = self[k]
        return b[torch.isfinite(b[:, 1])]

    def lengths(self, k: int) -> torch.Tensor:
        """``|death - birth|`` per bar of dimension ``k`` (``inf`` for essential bars)."""
        b = self[k]
        return (b[:, 1] - b[:, 0]).abs()

    def detach(self) -> Diagram:
        """The same diagram with values detached from the autograd graph."""
        return Diagram._trusted([b.detach() for b in self.bars], self.indices, self.superlevel)

    # -- conversions ----------------------------------------------------------------------
    def to_ripser(self) -> list[np.ndarray]:
        """A list of ``(n_k, 2)`` NumPy arrays, one per dimension, as ripser.py/persim expect."""
        return [b.detach().cpu().numpy().astype(np.float64, copy=True) for b in self.bars]

    def to_gudhi(self) -> list[tuple[int, tuple[float, float]]]:
        """A list of ``(dim, (birth, death))`` tuples, as ``gudhi``'s ``persistence()`` returns."""
        out: list[tuple[int, tuple[float, float]]] = []
        for k, b in enumerate(self.to_ripser()):
            out.extend((k, (float(x), float(y))) for x, y in b)
        return out

    def to(self, *args, **kwargs) -> Diagram:
        """Move or cast the bars (``Tensor.to`` semantics); indices move with them."""
        bars = [b.to(*args, **kwargs) for b in self.bars]
        device = bars[0].device if bars else None
        idx = None if self.indices is None else [i.to(device) for i in self.indices]
        return Diagram._trusted(bars, idx, self.superlevel)


class DiagramBatch:
    """Diagrams of a batch, stored flat per dimension.

    Parameters
    ----------
    bars : sequence of (P_k, 2) Tensor
        All bars of dimension ``k`` of every item, grouped by item in batch order.
    batch : sequence of (P_k,) int64 Tensor
        The batch item of each bar.
    batch_size : int
        Number of items ``B`` (items may have no bars).
    indices : sequence of (P_k, 2) int64 Tensor, optional
        Critical cells within each item (``-1`` for essential deaths).
    superlevel : bool
        As for :class:`Diagram`.
    batch_shape : tuple of int, optional
        The leading shape the items came in (e.g. ``(B, C)`` for images); defaults to ``(B,)``.
    """

    bars: list[torch.Tensor]
    batch: list[torch.Tensor]
    batch_size: int
    indices: list[torch.Tensor] | None
    superlevel: bool
    batch_shape: tuple[int, ...]

    def __init__(
        self,
        bars: Sequence[torch.Tensor],
        batch: Sequence[torch.Tensor],
        batch_size: int,
        indices: Sequence[torch.Tensor] | None = None,
        superlevel: bool = False,
        batch_shape: tuple[int, ...] | None = None,
    ) -> None:
        b, idx, bt = _check_parts("DiagramBatch", bars, indices, batch)
        if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 0:
            raise ValueError(f"DiagramBatch: batch_size must be an int >= 0, got {batch_size!r}")
        for k, t in enumerate(bt or []):
            if len(t) and (int(t.min()) < 0 or int(t.max()) >= batch_size):
                raise ValueError(
                    f"DiagramBatch: batch[{k}] holds item ids outside 0..{int(batch_size) - 1}"
                )
        shape = tuple(int(s) for s in batch_shape) if batch_shape is not None else None
        if shape is not None and math.prod(shape) != batch_size:
            raise ValueError(
                f"DiagramBatch: batch_shape {shape} does not hold batch_size={batch_size} items"
            )
        self.bars = b
        self.batch = bt if bt is not None else []
        self.batch_size = int(batch_size)
        self.indices = idx
        self.superlevel = bool(superlevel)
        self.batch_shape = shape if shape is not None else (self.batch_size,)

    @classmethod
    def _trusted(
        cls,
        bars: list[torch.Tensor],
        batch: list[torch.Tensor],
        batch_size: int,
        indices: list[torch.Tensor] | None,
        superlevel: bool,
        batch_shape: tuple[int, ...] | None,
    ) -> DiagramBatch:
        """A batch from parts that are right by construction (no validation)."""
        d = cls.__new__(cls)
        d.bars, d.batch, d.batch_size, d.indices = bars, batch, batch_size, indices
        d.superlevel = superlevel
        d.batch_shape = batch_shape if batch_shape is not None else (batch_size,)
        return d

    @property
    def max_dim(self) -> int:
        return len(self.bars) - 1

    def __len__(self) -> int:
        return self.batch_size

    def __repr__(self) -> str:
        counts = ", ".join(f"H{k}: {len(b)}" for k, b in enumerate(self.bars))
        kind = "superlevel" if self.superlevel else "sublevel"
        return f"DiagramBatch(batch_size={self.batch_size}; {counts}; {kind})"

    def __getitem__(self, i: int) -> Diagram:
        if isinstance(i, bool) or not isinstance(i, Integral):
            raise TypeError(f"batch index must be an int, got {type(i).__name__}")
        if not -self.batch_size <= i < self.batch_size:
            raise IndexError(f"batch index {i} out of range for batch_size={self.batch_size}")
        i = i % self.batch_size
        bars, idx = [], []
        for k, b in enumerate(self.bars):
            sel = self.batch[k] == i
            bars.append(b[sel])
            if self.indices is not None:
                idx.append(self.indices[k][sel])
        return Diagram._trusted(bars, idx if self.indices is not None else None, self.superlevel)

    def __iter__(self) -> Iterator[Diagram]:
        return (self[i] for i in range(self.batch_size))

    def counts(self, k: int) -> torch.Tensor:
        """``(B,)`` number of bars of dimension ``k`` per item."""
        return torch.bincount(self.batch[_dim(k, len(self.bars))], minlength=self.batch_size)

    def to_padded(
        self, k: int, n: int | None = None, fill: float = 0.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Dimension ``k`` as a dense ``(B, n, 2)`` tensor plus a ``(B, n)`` boolean mask.

        ``n`` defaults to the largest number of bars of any item; items with more than ``n``
        bars keep their first ``n`` (in stored order). Padding rows hold ``fill``.
        """
        k = _dim(k, len(self.bars))
        if n is not None and (isinstance(n, bool) or not isinstance(n, Integral) or n < 0):
            raise ValueError(f"to_padded: n must be an int >= 0 or None, got {n!r}")
        bars, batch = self.bars[k], self.batch[k]
        counts = self.counts(k)
        if n is None:
            n = int(counts.max().item()) if self.batch_size > 0 and len(batch) else 0
        starts = torch.cumsum(counts, 0) - counts
        slot = torch.arange(len(batch), device=bars.device) - starts[batch]
        keep = slot < n
        out = bars.new_full((self.batch_size, n, 2), fill)
        mask = torch.zeros((self.batch_size, n), dtype=torch.bool, device=bars.device)
        out = out.index_put((batch[keep], slot[keep]), bars[keep])
        mask[batch[keep], slot[keep]] = True
        return out, mask

    def to_ripser(self) -> list[list[np.ndarray]]:
        """One ripser-style list of arrays per batch item."""
        return [d.to_ripser() for d in self]

    def detach(self) -> DiagramBatch:
        return DiagramBatch._trusted(
            [b.detach() for b in self.bars],
            self.batch,
            self.batch_size,
            self.indices,
            self.superlevel,
            self.batch_shape,
        )
