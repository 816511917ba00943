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

__all__ = ["Diagram", "DiagramBatch", "as_diagram", "collate_diagrams"]


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

    def to_gudhi(self, negate: bool = False) -> list[tuple[int, tuple[float, float]]]:
        """A list of ``(dim, (birth, death))`` tuples, as ``gudhi``'s ``persistence()`` returns.

        ``negate=True`` writes ``(-birth, -death)``: a superlevel diagram of ``f`` as the
        sublevel diagram of ``-f``, above the diagonal where GUDHI and persim draw bars.
        """
        s = -1.0 if negate else 1.0
        out: list[tuple[int, tuple[float, float]]] = []
        for k, b in enumerate(self.to_ripser()):
            out.extend((k, (s * float(x), s * float(y))) for x, y in b)
        return out

    @classmethod
    def from_ripser(cls, dgms: Sequence[Any], superlevel: bool = False) -> Diagram:
        """From a list of per-dimension ``(n_k, 2)`` arrays (ripser.py, persim, giotto-ph).

        Examples
        --------
        >>> import numpy as np
        >>> from topolayer import Diagram
        >>> Diagram.from_ripser([np.array([[0.0, 1.0], [0.0, np.inf]]), np.zeros((0, 2))])
        Diagram(H0: 2, H1: 0; sublevel)
        """
        bars = [_bars_tensor(b, f"dgms[{k}]") for k, b in enumerate(dgms)]
        if not bars:
            raise ValueError("dgms is empty: give one (n, 2) array per homology dimension")
        return cls(bars, superlevel=superlevel)

    @classmethod
    def from_gudhi(
        cls,
        pairs: Sequence[Any],
        max_dim: int | None = None,
        negate: bool = False,
        superlevel: bool = False,
    ) -> Diagram:
        """From GUDHI's ``[(dim, (birth, death)), ...]`` (``persistence()``'s output).

        ``max_dim`` defaults to the highest dimension present (0 for an empty list);
        ``negate=True`` undoes :meth:`to_gudhi`'s ``negate``.

        Examples
        --------
        >>> from topolayer import Diagram
        >>> d = Diagram.from_gudhi([(1, (0.5, 2.0)), (0, (0.0, float("inf")))])
        >>> d[1]
        tensor([[0.5000, 2.0000]], dtype=torch.float64)
        """
        rows: dict[int, list[tuple[float, float]]] = {}
        for i, item in enumerate(pairs):
            if not _is_gudhi_pair(item):
                raise ValueError(
                    f"pairs[{i}] must be (dim, (birth, death)) as GUDHI writes it, got {item!r}"
                )
            rows.setdefault(int(item[0]), []).append((float(item[1][0]), float(item[1][1])))
        top = max(rows, default=0) if max_dim is None else int(max_dim)
        s = -1.0 if negate else 1.0
        bars = [
            torch.tensor(rows.get(k, []), dtype=torch.float64).reshape(-1, 2) * s
            for k in range(top + 1)
        ]
        return cls(bars, superlevel=superlevel)

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

    Examples
    --------
    >>> import torch
    >>> from topolayer import functional
    >>> batch = functional.cubical(torch.rand(3, 8, 8), max_dim=1)
    >>> batch.batch_size, len(batch[0].bars)
    (3, 2)
    >>> batch.counts(0).sum() == len(batch.bars[0])
    tensor(True)
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

    def to_gudhi(self, negate: bool = False) -> list[list[tuple[int, tuple[float, float]]]]:
        """One GUDHI-style list of ``(dim, (birth, death))`` per batch item (see
        :meth:`Diagram.to_gudhi`)."""
        return [d.to_gudhi(negate) for d in self]

    @classmethod
    def from_diagrams(
        cls, diagrams: Sequence[Any], batch_shape: tuple[int, ...] | None = None
    ) -> DiagramBatch:
        """Stack diagrams (anything :func:`as_diagram` takes) into one batch; items with fewer
        dimensions get empty ones. All must share ``superlevel``, dtype and device.

        Examples
        --------
        >>> import torch
        >>> from topolayer import Diagram, DiagramBatch
        >>> a = Diagram([torch.tensor([[0.0, 1.0]])])
        >>> b = Diagram([torch.tensor([[0.0, 2.0], [1.0, 3.0]]), torch.tensor([[1.0, 2.0]])])
        >>> DiagramBatch.from_diagrams([a, b]).counts(0)
        tensor([1, 2])
        """
        items = [as_diagram(d, name=f"diagrams[{i}]") for i, d in enumerate(diagrams)]
        if any(isinstance(d, DiagramBatch) for d in items):
            raise TypeError("diagrams must be single diagrams, not batches")
        singles = [d for d in items if isinstance(d, Diagram)]
        if not singles:
            raise ValueError("diagrams is empty: give at least one diagram")
        if len({d.superlevel for d in singles}) > 1:
            raise ValueError("diagrams mix sublevel and superlevel diagrams")
        n_dims = max(len(d.bars) for d in singles)
        like = singles[0].bars[0]
        index_lists = [d.indices for d in singles if d.indices is not None]
        bars, batch, idx = [], [], []
        for k in range(n_dims):
            parts = [d.bars[k] if k < len(d.bars) else like.new_zeros((0, 2)) for d in singles]
            bars.append(torch.cat(parts))
            batch.append(
                torch.cat(
                    [
                        torch.full((len(p),), i, dtype=torch.int64, device=like.device)
                        for i, p in enumerate(parts)
                    ]
                )
            )
            if len(index_lists) == len(singles):
                cols = [ix[k] for ix in index_lists if k < len(ix)]
                widths = {c.shape[1] for c in cols}
                if len(widths) == 1 and len(cols) == len(singles):
                    idx.append(torch.cat(cols))
        return cls(
            bars,
            batch,
            len(singles),
            idx if len(idx) == n_dims else None,
            singles[0].superlevel,
            batch_shape,
        )

    def detach(self) -> DiagramBatch:
        return DiagramBatch._trusted(
            [b.detach() for b in self.bars],
            self.batch,
            self.batch_size,
            self.indices,
            self.superlevel,
            self.batch_shape,
        )


def _bars_tensor(b: Any, name: str) -> torch.Tensor:
    """One dimension's ``(n, 2)`` bars as a floating tensor (arrays and lists as float64)."""
    if isinstance(b, torch.Tensor):
        t = b
        if not t.is_floating_point():
            raise TypeError(f"{name} must be floating point, got {t.dtype}")
    else:
        try:
            a = np.asarray(b, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be an (n, 2) array of (birth, death), got {b!r}") from err
        t = torch.from_numpy(a.reshape(0, 2) if a.size == 0 else a)
    if t.dim() != 2 or t.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2), got {tuple(t.shape)}")
    return t


def _is_gudhi_pair(item: Any) -> bool:
    return (
        isinstance(item, (tuple, list))
        and len(item) == 2
        and isinstance(item[0], (int, np.integer))
        and not isinstance(item[0], bool)
        and isinstance(item[1], (tuple, list, np.ndarray))
        and len(item[1]) == 2
    )


def _is_number_pair(item: Any) -> bool:
    return (
        isinstance(item, (tuple, list))
        and len(item) == 2
        and all(isinstance(v, (int, float, np.number)) for v in item)
    )


def as_diagram(obj: Any, dim: int | None = None, name: str = "dgm") -> Diagram | DiagramBatch:
    """The diagram that ``obj`` holds, in any of the forms users have.

    Accepted: a :class:`Diagram` or :class:`DiagramBatch` (returned as is); one ``(n, 2)``
    tensor, array or nested list of ``(birth, death)`` (one homology dimension: ``dim``,
    default 0; the other dimensions are empty); a list of per-dimension ``(n_k, 2)`` arrays
    (ripser.py, persim, giotto-ph ``dgms``); GUDHI's ``[(dim, (birth, death)), ...]``; and the
    reference implementation's ``(dgms, issublevel)``. Arrays and lists become float64 CPU
    tensors; tensors keep their dtype, device and autograd graph.

    Examples
    --------
    >>> import numpy as np
    >>> from topolayer import as_diagram
    >>> as_diagram([np.array([[0.0, 1.0]]), np.array([[0.2, 0.5]])])
    Diagram(H0: 1, H1: 1; sublevel)
    >>> as_diagram([(0, (0.0, 1.0)), (1, (0.2, 0.5))])
    Diagram(H0: 1, H1: 1; sublevel)
    >>> as_diagram(np.array([[0.2, 0.5]]), dim=1)
    Diagram(H0: 0, H1: 1; sublevel)
    """
    if isinstance(obj, (Diagram, DiagramBatch)):
        return obj
    k = 0 if dim is None else int(dim)
    if isinstance(obj, (tuple, list)) and len(obj) == 2 and isinstance(obj[1], (bool, np.bool_)):
        dgms, issublevel = obj[0], bool(obj[1])
        if isinstance(dgms, (Diagram, DiagramBatch)):
            if dgms.superlevel == issublevel:
                raise ValueError(
                    f"{name}: issublevel={issublevel} contradicts the diagram's "
                    f"superlevel={dgms.superlevel}"
                )
            return dgms
        if isinstance(dgms, (torch.Tensor, np.ndarray)) or not isinstance(dgms, Sequence):
            raise TypeError(
                f"{name}: the reference's (dgms, issublevel) needs dgms to be a sequence of "
                f"(n_k, 2) tensors, got {type(dgms).__name__}"
            )
        bars = [_bars_tensor(b, f"{name}[0][{i}]") for i, b in enumerate(dgms)]
        return Diagram._trusted(bars, None, not issublevel)
    if isinstance(obj, (torch.Tensor, np.ndarray)):
        t = _bars_tensor(obj, name)
        return Diagram._trusted([t.new_zeros((0, 2))] * k + [t], None, False)
    if isinstance(obj, (tuple, list)):
        if len(obj) == 0:
            return Diagram._trusted(
                [torch.zeros((0, 2), dtype=torch.float64)] * (k + 1), None, False
            )
        if all(_is_gudhi_pair(i) for i in obj):
            return Diagram.from_gudhi(obj)
        if all(_is_number_pair(i) for i in obj):
            t = _bars_tensor(obj, name)
            return Diagram._trusted([t.new_zeros((0, 2))] * k + [t], None, False)
        return Diagram.from_ripser(obj)
    raise TypeError(
        f"{name} must be a Diagram, a DiagramBatch, an (n, 2) tensor or array, a list of "
        "per-dimension arrays (ripser.py/persim), GUDHI's [(dim, (birth, death))] or the "
        f"reference's (dgms, issublevel), got {type(obj).__name__}"
    )


def collate_diagrams(samples: Sequence[Any]) -> Any:
    """A ``DataLoader`` ``collate_fn`` for samples holding diagrams: diagrams are stacked into
    a :class:`DiagramBatch`, tuples and dicts are collated field by field, everything else by
    ``torch.utils.data.default_collate``.

    Examples
    --------
    >>> import torch
    >>> from topolayer import Diagram, collate_diagrams
    >>> d = Diagram([torch.tensor([[0.0, 1.0]])])
    >>> batch, labels = collate_diagrams([(d, 0), (d, 1)])
    >>> batch.batch_size, labels
    (2, tensor([0, 1]))
    """
    from torch.utils.data import default_collate

    first = samples[0]
    if isinstance(first, Diagram):
        return DiagramBatch.from_diagrams(samples)
    if isinstance(first, tuple):
        return type(first)(collate_diagrams(list(f)) for f in zip(*samples, strict=True))
    if isinstance(first, dict):
        return {key: collate_diagrams([s[key] for s in samples]) for key in first}
    return default_collate(list(samples))


# torch.load(..., weights_only=True) rebuilds saved diagrams: their state is tensors, lists,
# ints, bools and tuples only.
torch.serialization.add_safe_globals([Diagram, DiagramBatch])
