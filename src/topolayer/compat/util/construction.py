"""Complex constructors with the reference implementation's names."""

from __future__ import annotations

import itertools

import numpy as np

from ..functional.persistence import SimplicialComplex

__all__ = ["unique_simplices", "clique_complex"]


def unique_simplices(faces, dim: int) -> SimplicialComplex:
    """The complex of all faces of dimension <= ``dim`` of the given simplices."""
    faces = [np.sort(np.asarray(f, dtype=np.int64)) for f in faces]
    cells: set[tuple[int, ...]] = set()
    for f in faces:
        for k in range(min(dim, len(f) - 1) + 1):
            cells.update(itertools.combinations(f.tolist(), k + 1))
    s = SimplicialComplex()
    for c in sorted(cells, key=lambda c: (len(c), c)):
        s.append(c)
    s.initialize()
    return s


def clique_complex(n: int, d: int) -> SimplicialComplex:
    """The ``d``-skeleton of the full simplex on ``n`` vertices."""
    return SimplicialComplex.full(n, d)
