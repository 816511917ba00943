"""topolayer's C++ core: persistence pairs as indices of critical cells."""

from collections.abc import Sequence
from typing import Annotated, overload

import numpy
from numpy.typing import NDArray


class Complex:
    """A simplicial complex closed under faces (internal)."""

    def __init__(self, simplices: Sequence[Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)]], n_vertices: int = -1) -> None: ...

    @property
    def n_vertices(self) -> int: ...

    @property
    def top_dim(self) -> int: ...

    @property
    def n_simplices(self) -> list[int]: ...

    @property
    def total(self) -> int: ...

    def simplices(self, dim: int) -> NDArray[numpy.int64]: ...

    def facets(self, dim: int) -> NDArray[numpy.int64]: ...

@overload
def lower_star(complex: Complex, f: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], max_dim: int, superlevel: bool, keep_zero: bool, n_threads: int) -> list[NDArray[numpy.int64]]:
    """
    Lower-star persistence pairs of each row of f: per dimension an (n_k, 3) array of (item, birth vertex, death vertex or -1), then per dimension an (n_k, 2) array of the same bars as positions in f.ravel() (essential deaths: f.size).
    """

@overload
def lower_star(complex: Complex, f: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], max_dim: int, superlevel: bool, keep_zero: bool, n_threads: int) -> list[NDArray[numpy.int64]]: ...

@overload
def filtration(complex: Complex, values: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], max_dim: int, keep_zero: bool, n_threads: int) -> list[NDArray[numpy.int64]]:
    """
    Persistence pairs of explicit per-simplex values (global ids): per dimension an (n_k, 3) array of (item, birth simplex, death simplex or -1), then per dimension an (n_k, 2) array of the same bars as positions in values.ravel() (essential deaths: values.size).
    """

@overload
def filtration(complex: Complex, values: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], max_dim: int, keep_zero: bool, n_threads: int) -> list[NDArray[numpy.int64]]: ...

@overload
def cubical(x: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], shape: Sequence[int], construction: str, max_dim: int, superlevel: bool, keep_zero: bool, n_threads: int) -> list[NDArray[numpy.int64]]:
    """
    Level-set persistence pairs of each row of x (a flattened 2D or 3D grid of the given shape): per dimension an (n_k, 3) array of (item, birth pixel, death pixel or -1), then per dimension an (n_k, 2) array of the same bars as positions in x.ravel() (essential deaths: x.size).
    """

@overload
def cubical(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], shape: Sequence[int], construction: str, max_dim: int, superlevel: bool, keep_zero: bool, n_threads: int) -> list[NDArray[numpy.int64]]: ...

def planar_pairs(n_vertices: int, edges: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], tri_edges: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], values: Annotated[NDArray[numpy.float64], dict(shape=(None,), order='C', device='cpu', writable=False)], max_dim: int, keep_zero: bool) -> list[NDArray[numpy.int64]]:
    """
    H0/H1 of a filtered planar triangulation by union-find and dual union-find: per dimension an (n_k, 3) array of (0, birth id, death id or -1); ids run over vertices, edges, triangles.
    """

@overload
def rips_points(x: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], max_dim: int, threshold: float, keep_zero: bool, n_threads: int, memory_budget: float) -> list[NDArray[numpy.int64]]:
    """
    Vietoris-Rips persistence of point clouds x (sum N_i, D) split by counts (B,), Euclidean. Returns per dimension an (n_k, 5) int64 array of (item, birth_u, birth_v, death_u, death_v); H0 births are (v, v); essential deaths are -1. threshold is in distance units (inf: none).
    """

@overload
def rips_points(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], max_dim: int, threshold: float, keep_zero: bool, n_threads: int, memory_budget: float) -> list[NDArray[numpy.int64]]: ...

@overload
def rips_matrices(d: Annotated[NDArray[numpy.float32], dict(shape=(None,), order='C', device='cpu', writable=False)], counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], max_dim: int, threshold: float, keep_zero: bool, n_threads: int, memory_budget: float) -> list[NDArray[numpy.int64]]:
    """
    Vietoris-Rips persistence of distance matrices, flattened row-major and concatenated (sum N_i^2,), with counts (B,) holding each N_i. Output as rips_points.
    """

@overload
def rips_matrices(d: Annotated[NDArray[numpy.float64], dict(shape=(None,), order='C', device='cpu', writable=False)], counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], max_dim: int, threshold: float, keep_zero: bool, n_threads: int, memory_budget: float) -> list[NDArray[numpy.int64]]: ...

@overload
def rips_sparse(x: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], edges: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], max_dim: int, threshold: float, keep_zero: bool, n_threads: int, memory_budget: float) -> list[NDArray[numpy.int64]]:
    """
    Sparse (thresholded) Vietoris-Rips persistence of one cloud x (N, D): only candidate edges (E, 2) no longer than threshold enter. Output as rips_points (item column 0).
    """

@overload
def rips_sparse(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], edges: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], max_dim: int, threshold: float, keep_zero: bool, n_threads: int, memory_budget: float) -> list[NDArray[numpy.int64]]: ...

@overload
def graph_h0(x: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], edges: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], keep_zero: bool) -> NDArray[numpy.int64]:
    """
    H0 of the graph `edges` (E, 2) on points x (N, D) with Euclidean edge lengths (Kruskal, elder rule): an (n_0, 5) array of (0, v, v, death_u, death_v).
    """

@overload
def graph_h0(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], edges: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], keep_zero: bool) -> NDArray[numpy.int64]: ...

def bottleneck_matchings(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], x_counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], y: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], y_counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], internal_p: float, n_threads: int) -> NDArray[numpy.int64]:
    """
    Bottleneck matchings of batches of finite diagram points x (sum n_b, 2) and y (sum m_b, 2), float64, split by x_counts and y_counts (B,). Returns (B, 3) int64 rows (kind, i, j): the edge realising the distance, kind 1 for x_i with y_j, 2 for x_i with the diagonal, 3 for y_j with the diagonal, 0 for no point; i and j count within the item, -1 where absent.
    """

def wasserstein_matchings(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], x_counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], y: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], y_counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], p: float, internal_p: float, n_threads: int) -> list[NDArray[numpy.int64]]:
    """
    Optimal W_p matchings of batches as for bottleneck_matchings. Returns [pairs (K, 3) of (item, i, j), diag_x (K1, 2) of (item, i), diag_y (K2, 2) of (item, j)], indices within the item.
    """
