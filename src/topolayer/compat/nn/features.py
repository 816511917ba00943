"""The reference implementation's ``topologylayer.nn.features`` helpers and feature modules."""

from __future__ import annotations

import torch

from ...nn.features import (
    BarcodePolyFeature,
    PartialSumBarcodeLengths,
    SumBarcodeLengths,
    TopKBarcodeLengths,
)
from ..util.process import remove_zero_bars

__all__ = [
    "get_start_end",
    "get_raw_barcode_lengths",
    "get_barcode_lengths",
    "get_barcode_lengths_means",
    "pad_k",
    "remove_zero_bars",
    "SumBarcodeLengths",
    "TopKBarcodeLengths",
    "PartialSumBarcodeLengths",
    "BarcodePolyFeature",
]


def get_start_end(dgm: torch.Tensor, issublevel: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Start and end of each bar: ``(birth, death)`` for sublevel diagrams, swapped for
    superlevel ones (their bars run downwards).

    Examples
    --------
    >>> import torch
    >>> get_start_end(torch.tensor([[3.0, 1.0]]), False)
    (tensor([1.]), tensor([3.]))
    """
    if issublevel:
        return dgm[:, 0], dgm[:, 1]
    return dgm[:, 1], dgm[:, 0]


def get_raw_barcode_lengths(dgm: torch.Tensor, issublevel: bool) -> torch.Tensor:
    """``end - start`` of every bar, infinite ones included.

    Examples
    --------
    >>> import torch
    >>> get_raw_barcode_lengths(torch.tensor([[0.0, 2.0], [1.0, float("inf")]]), True)
    tensor([2., inf])
    """
    start, end = get_start_end(dgm, issublevel)
    return end - start


def get_barcode_lengths(dgm: torch.Tensor, issublevel: bool) -> torch.Tensor:
    """Bar lengths with infinite and NaN lengths set to zero (out of place).

    Examples
    --------
    >>> import torch
    >>> get_barcode_lengths(torch.tensor([[0.0, 2.0], [1.0, float("inf")]]), True)
    tensor([2., 0.])
    """
    lengths = get_raw_barcode_lengths(dgm, issublevel)
    return torch.where(torch.isfinite(lengths), lengths, torch.zeros_like(lengths))


def get_barcode_lengths_means(
    dgm: torch.Tensor, issublevel: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Lengths and midpoints of the bars; both zero where the length is infinite or NaN.

    Examples
    --------
    >>> import torch
    >>> get_barcode_lengths_means(torch.tensor([[0.0, 2.0]]), True)
    (tensor([2.]), tensor([1.]))
    """
    start, end = get_start_end(dgm, issublevel)
    lengths = end - start
    ok = torch.isfinite(lengths)
    zero = torch.zeros_like(lengths)
    return torch.where(ok, lengths, zero), torch.where(ok, (end + start) / 2, zero)


def pad_k(t: torch.Tensor, k: int, pad: float = 0.0) -> torch.Tensor:
    """``t`` cut or padded with ``pad`` to length ``k``.

    Examples
    --------
    >>> import torch
    >>> pad_k(torch.tensor([3.0]), 3)
    tensor([3., 0., 0.])
    """
    if len(t) >= k:
        return t[:k]
    return torch.cat((t, torch.full((k - len(t),), pad, dtype=t.dtype, device=t.device)))
