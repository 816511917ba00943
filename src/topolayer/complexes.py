"""Simplicial complexes, built once and reused across persistence calls.

A :class:`SimplicialComplex` is closed under faces. Its vertices are ``0..n_vertices-1``;
simplices of dimension ``d`` are rows of ``d + 1`` increasing vertex ids, sorted
lexicographically. *Global simplex ids* run through the dimensions in increasing order:
``offset(d) + i`` is the ``i``-th simplex of dimension ``d`` (this is the order of the
``values`` vector that :func:`topolayer.functional.filtration` takes).
The boundary structure is computed once in C++; a persistence call only sorts and reduces.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TypeVar

import numpy as np

from . import _core, _validate
from ._ops import register_complex

# The classmethod constructors return an instance of the class they are called on.
_S = TypeVar("_S", bound="SimplicialComplex")

__all__ = ["SimplicialComplex", "MAX_VERTICES", "MAX_SIMPLEX_DIM", "MAX_SIMPLICES"]

#: Largest number of vertices (vertex ids are ``0..MAX_VERTICES - 1``).
MAX_VERTICES = 2**31
#: Highest dimension of a simplex: a ``d``-simplex brings ``2^(d + 1) - 1`` faces with it.
MAX_SIMPLEX_DIM = 20
#: Largest number of simplices the face closure may have (an upper bound is checked before
#: anything is allocated: the sum of every given simplex's face count).
MAX_SIMPLICES = 2**28


def _rows_by_dim(simplices: Iterable) -> list[np.ndarray]:
    """Group simplices (tuples, or 2D int arrays of one dimension each) by dimension."""
    groups: dict[int, list[np.ndarray]] = {}
    for s in simplices:
        a = np.asarray(s)
        if a.ndim == 0:
            a = a.reshape(1, 1)
        elif a.ndim == 1:
            a = a.reshape(1, -1)
        if a.ndim != 2:
            raise ValueError(
                f"simplices: each entry must be a tuple of vertex ids or a 2D array, got shape {a.shape}"
            )
        if a.size == 0:
            continue
        if not np.issubdtype(a.dtype, np.integer):
            raise TypeError(f"simplices: vertex ids must be integers, got dtype {a.dtype}")
        groups.setdefault(a.shape[1] - 1, []).append(a.astype(np.int64))
    if not groups:
        return []
    top = max(groups)
    if top > MAX_SIMPLEX_DIM:
        raise ValueError(
            f"simplices: a simplex of dimension {top} has {2 ** (top + 1) - 1} faces; "
            f"dimensions above MAX_SIMPLEX_DIM={MAX_SIMPLEX_DIM} are refused"
        )
    bound = sum(sum(len(a) for a in groups[d]) * (2 ** (d + 1) - 1) for d in groups)
    if bound > MAX_SIMPLICES:
        raise ValueError(
            f"simplices: the face closure may hold up to {bound} simplices, over "
            f"MAX_SIMPLICES={MAX_SIMPLICES}; give fewer or lower-dimensional simplices"
        )
    for group in groups.values():
        for rows in group:
            if rows.size and rows.min() < 0:
                raise ValueError(f"simplices: negative vertex id {int(rows.min())}")
            if rows.size and rows.max() >= MAX_VERTICES:
                raise ValueError(
                    f"simplices: vertex id {int(rows.max())} exceeds MAX_VERTICES - 1 = "
                    f"{MAX_VERTICES - 1}"
                )
    return [
        np.concatenate(groups[d]) if d in groups else np.zeros((0, d + 1), dtype=np.int64)
        for d in range(top + 1)
    ]


def _edges(edges, n_vertices: int) -> np.ndarray:
    """``edges`` as an ``(E, 2)`` int64 array of vertex ids in ``0..n_vertices - 1``."""
    a = np.asarray(edges)
    if a.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"edges must be an (E, 2) array of vertex-id pairs, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"edges must hold integer vertex ids, got dtype {a.dtype}")
    if a.min() < 0 or a.max() >= n_vertices:
        bad = int(a.min() if a.min() < 0 else a.max())
        raise ValueError(f"edges: vertex id {bad} is out of range for n_vertices={n_vertices}")
    return a.astype(np.int64)


class SimplicialComplex:
    """A finite simplicial complex, closed under faces automatically.

    Parameters
    ----------
    simplices : iterable of tuple of int, or sequence of (m_d, d+1) int arrays
        Simplices in any order; each tuple lists vertex ids. Faces need not be listed.
    n_vertices : int, optional
        Number of vertices; defaults to the largest vertex id + 1. Ids not used by any
        simplex are isolated vertices.

    Examples
    --------
    >>> from topolayer import SimplicialComplex
    >>> K = SimplicialComplex([(0, 1, 2)])
    >>> K.n_simplices
    [3, 3, 1]
    >>> K.simplices(1).tolist()
    [[0, 1], [0, 2], [1, 2]]
    """

    def __init__(self, simplices: Iterable = (), n_vertices: int | None = None) -> None:
        self._pending: list = list(simplices)
        self._n_vertices_arg = n_vertices
        self._core: _core.Complex | None = None
        self._handle: int | None = None
        if self._pending or n_vertices is not None:
            self._build()  # eagerly, so the first call inside torch.compile finds it built

    # -- building ---------------------------------------------------------------------
    def append(self, simplex: Sequence[int]) -> None:
        """Add one simplex (and, implicitly, its faces) to a complex created empty, before its
        first use (the reference implementation's way of building a complex)."""
        if self._core is not None:
            raise RuntimeError(
                "append: the complex is already built; create a new SimplicialComplex"
            )
        self._pending.append(tuple(simplex))

    def _build(self) -> _core.Complex:
        if self._core is None:
            rows = _rows_by_dim(self._pending)
            n = -1 if self._n_vertices_arg is None else int(self._n_vertices_arg)
            if self._n_vertices_arg is not None:
                n = _validate.check_int(self._n_vertices_arg, "n_vertices", 0, MAX_VERTICES)
            if not rows and n <= 0:
                raise ValueError("simplices: the complex is empty (no simplices and no n_vertices)")
            self._core = _core.Complex(rows, n)
            self._handle = register_complex(self, self._core)
            self._pending = []
            # Plain Python copies, so that torch.compile can read them without a graph break.
            self._n_vertices = int(self._core.n_vertices)
            self._n_simplices = tuple(int(c) for c in self._core.n_simplices)
        return self._core

    def __getstate__(self) -> dict:
        core = self._build()
        return {
            "simplices": [core.simplices(d) for d in range(core.top_dim + 1)],
            "n_vertices": core.n_vertices,
        }

    def __setstate__(self, state: dict) -> None:
        type(self).__init__(self, state["simplices"], state["n_vertices"])

    # -- queries ----------------------------------------------------------------------
    @property
    def n_vertices(self) -> int:
        self._build()
        return self._n_vertices

    @property
    def dim(self) -> int:
        """Top dimension of the complex."""
        self._build()
        return len(self._n_simplices) - 1

    @property
    def n_simplices(self) -> list[int]:
        """Number of simplices per dimension."""
        self._build()
        return list(self._n_simplices)

    def __len__(self) -> int:
        self._build()
        return sum(self._n_simplices)

    def offset(self, dim: int) -> int:
        """Global id of the first simplex of dimension ``dim``."""
        return int(sum(self.n_simplices[:dim]))

    def simplices(self, dim: int) -> np.ndarray:
        """``(n_dim, dim + 1)`` vertex ids of the simplices of dimension ``dim``, sorted."""
        core = self._build()
        if not 0 <= dim <= core.top_dim:
            raise ValueError(f"dim must be in [0, {core.top_dim}], got {dim}")
        return core.simplices(dim)

    def facets(self, dim: int) -> np.ndarray:
        """``(n_dim, dim + 1)`` local ids (in dimension ``dim - 1``) of each simplex's facets;
        column ``i`` is the facet without vertex ``i``."""
        core = self._build()
        if not 1 <= dim <= core.top_dim:
            raise ValueError(f"dim must be in [1, {core.top_dim}], got {dim}")
        return core.facets(dim)

    def __iter__(self):
        for d in range(self.dim + 1):
            for row in self.simplices(d):
                yield tuple(int(v) for v in row)

    def __repr__(self) -> str:
        if self._core is None and self._pending:
            return f"SimplicialComplex(<{len(self._pending)} simplices, not built yet>)"
        return f"SimplicialComplex(n_simplices={self.n_simplices})"

    # -- constructors -----------------------------------------------------------------
    @classmethod
    def path(cls: type[_S], n: int) -> _S:
        """The path graph ``0 - 1 - ... - n-1``: the complex of a 1D signal of length ``n``."""
        n = _positive_int(n, "n")
        v = np.arange(n, dtype=np.int64)
        return cls([np.stack([v[:-1], v[1:]], 1)] if n > 1 else [v[:, None]], n_vertices=n)

    line = path

    @classmethod
    def grid_2d(cls: type[_S], height: int, width: int) -> _S:
        """Freudenthal triangulation of an ``height x width`` grid of vertices.

        Vertex ``(i, j)`` has id ``i * width + j`` (row-major); each square is split along
        the diagonal from ``(i, j)`` to ``(i + 1, j + 1)``.
        """
        h, w = _positive_int(height, "height"), _positive_int(width, "width")
        ids = np.arange(h * w, dtype=np.int64).reshape(h, w)
        if h == 1 or w == 1:
            flat = ids.reshape(-1)
            if flat.size == 1:
                return cls([flat[:, None]], n_vertices=1)
            return cls([np.stack([flat[:-1], flat[1:]], 1)], n_vertices=h * w)
        a, b = ids[:-1, :-1].ravel(), ids[:-1, 1:].ravel()
        c, d = ids[1:, :-1].ravel(), ids[1:, 1:].ravel()
        tris = np.concatenate([np.stack([a, b, d], 1), np.stack([a, c, d], 1)])
        return cls([np.zeros((0, 1), np.int64), np.zeros((0, 2), np.int64), tris], n_vertices=h * w)

    @classmethod
    def triangle_mesh(cls: type[_S], faces: np.ndarray, n_vertices: int | None = None) -> _S:
        """A triangle mesh given by its ``(F, 3)`` faces (vertex ids)."""
        faces = np.asarray(faces)
        if faces.ndim != 2 or faces.shape[1] != 3:
            raise ValueError(f"faces must have shape (F, 3), got {faces.shape}")
        empty = [np.zeros((0, 1), np.int64), np.zeros((0, 2), np.int64)]
        return cls(empty + [faces], n_vertices=n_vertices)

    @classmethod
    def graph(cls: type[_S], n_vertices: int, edges: np.ndarray) -> _S:
        """A graph: ``n_vertices`` vertices and ``(E, 2)`` edges."""
        n = _validate.check_int(n_vertices, "n_vertices", 0, MAX_VERTICES)
        return cls([np.zeros((0, 1), np.int64), _edges(edges, n)], n_vertices=n)

    @classmethod
    def clique(cls: type[_S], n_vertices: int, edges: np.ndarray, max_dim: int = 2) -> _S:
        """The clique (flag) complex of a graph, up to dimension ``max_dim``."""
        max_dim = _validate.check_int(max_dim, "max_dim", 1, MAX_SIMPLEX_DIM)
        n_vertices = _validate.check_int(n_vertices, "n_vertices", 0, MAX_VERTICES)
        edges = _edges(edges, n_vertices)
        nbrs: list[set[int]] = [set() for _ in range(n_vertices)]
        for u, v in edges.tolist():
            if u != v:
                nbrs[u].add(v)
                nbrs[v].add(u)
        # Grow cliques one vertex at a time, always adding a larger id (each clique once).
        layers: list[list[tuple[int, ...]]] = [
            [(u, v) for u, v in {(min(a, b), max(a, b)) for a, b in edges.tolist() if a != b}]
        ]
        for _ in range(2, max_dim + 1):
            nxt: list[tuple[int, ...]] = []
            for s in layers[-1]:
                common = set.intersection(*(nbrs[v] for v in s))
                nxt.extend(s + (w,) for w in sorted(common) if w > s[-1])
            if not nxt:
                break
            layers.append(nxt)
        rows = [np.zeros((0, 1), np.int64)]
        rows += [
            np.asarray(layer, dtype=np.int64).reshape(-1, d + 2) for d, layer in enumerate(layers)
        ]
        return cls(rows, n_vertices=n_vertices)

    @classmethod
    def full(cls: type[_S], n_vertices: int, max_dim: int) -> _S:
        """All simplices on ``n_vertices`` vertices up to dimension ``max_dim``."""
        n = _positive_int(n_vertices, "n_vertices")
        rows = [np.arange(n, dtype=np.int64)[:, None]]
        rows += [
            np.asarray(list(itertools.combinations(range(n), d + 1)), dtype=np.int64).reshape(
                -1, d + 1
            )
            for d in range(1, int(max_dim) + 1)
        ]
        return cls(rows, n_vertices=n)


def _positive_int(x, name: str) -> int:
    try:
        v = int(x)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an integer, got {x!r}") from None
    if v < 1:
        raise ValueError(f"{name} must be >= 1, got {v}")
    return v
