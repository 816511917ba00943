"""Diagram clean-up helpers with the reference implementation's names and semantics."""

from __future__ import annotations

import math

import torch

__all__ = ["remove_filler", "remove_zero_bars", "remove_infinite_bars"]


def remove_filler(dgm: torch.Tensor, val: float = math.inf) -> torch.Tensor:
    """Drop rows whose birth equals ``val`` (the reference's padding rows)."""
    return dgm[dgm[:, 0] != val]


def remove_zero_bars(dgm: torch.Tensor) -> torch.Tensor:
    """Drop rows with birth == death."""
    return dgm[dgm[:, 0] != dgm[:, 1]]


def remove_infinite_bars(dgm: torch.Tensor, issub: bool) -> torch.Tensor:
    """Drop essential bars: death ``+inf`` (sublevel, ``issub=True``) or ``-inf`` (superlevel)."""
    return dgm[dgm[:, 1] != (math.inf if issub else -math.inf)]
