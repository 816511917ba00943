"""A slow, obviously-correct persistence reduction in NumPy: the in-repo oracle.

The standard column algorithm over Z2 on the full boundary matrix (Edelsbrunner, Letscher &
Zomorodian 2002), with no optimisation at all: O(n^3) time and O(n^2) memory, for tests only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["persistence_pairs", "diagram", "lower_star_values"]


def lower_star_values(simplices: Sequence[tuple[int, ...]], f: np.ndarray) -> np.ndarray:
    """Each simplex's value: the max of ``f`` over its vertices."""
    return np.array([max(f[v] for v in s) for s in simplices], dtype=np.float64)


def persistence_pairs(
    simplices: Sequence[tuple[int, ...]], values: Sequence[float]
) -> list[tuple[int, int, int]]:
    """All pairs ``(dim, birth, death)`` (indices into ``simplices``; ``death = -1`` if essential),
    zero-length ones included, for the filtration ordered by (value, dimension, index).
    ``simplices`` must be closed under faces."""
    n = len(simplices)
    keys = [tuple(sorted(s)) for s in simplices]
    where = {s: i for i, s in enumerate(keys)}
    order = sorted(range(n), key=lambda i: (values[i], len(keys[i]), i))
    pos = {g: p for p, g in enumerate(order)}
    boundary = np.zeros((n, n), dtype=bool)
    for j, g in enumerate(order):
        s = keys[g]
        if len(s) > 1:
            for t in range(len(s)):
                boundary[pos[where[s[:t] + s[t + 1 :]]], j] = True
    low_owner: dict[int, int] = {}
    lows = np.full(n, -1)
    for j in range(n):
        col = boundary[:, j]
        while col.any():
            low = int(np.flatnonzero(col)[-1])
            if low not in low_owner:
                break
            col ^= boundary[:, low_owner[low]]
        if col.any():
            low = int(np.flatnonzero(col)[-1])
            low_owner[low] = j
            lows[j] = low
    killed = set(low_owner)
    pairs = []
    for j in range(n):
        if lows[j] >= 0:
            b = order[lows[j]]
            pairs.append((len(keys[b]) - 1, b, order[j]))
        elif j not in killed:
            g = order[j]
            pairs.append((len(keys[g]) - 1, g, -1))
    return pairs


def diagram(
    simplices: Sequence[tuple[int, ...]],
    values: Sequence[float],
    max_dim: int,
    keep_zero: bool = False,
) -> list[np.ndarray]:
    """Per dimension ``0..max_dim`` the ``(n_k, 2)`` (birth, death) values, rows sorted."""
    out: list[list[tuple[float, float]]] = [[] for _ in range(max_dim + 1)]
    for d, b, k in persistence_pairs(simplices, values):
        if d > max_dim:
            continue
        death = np.inf if k < 0 else values[k]
        if not keep_zero and death == values[b]:
            continue
        out[d].append((values[b], death))
    return [np.array(sorted(o), dtype=np.float64).reshape(-1, 2) for o in out]
