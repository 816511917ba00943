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
def rips_sparse_batch(x: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], max_dim: int, threshold: float, keep_zero: bool, n_threads: int, memory_budget: float) -> list[NDArray[numpy.int64]]:
    """
    Sparse (thresholded) Vietoris-Rips persistence of point clouds x (sum N_i, D) split by counts (B,): the edges no longer than threshold are found by a k-d tree, which raises ValueError when they would need more than memory_budget bytes. Output as rips_points.
    """

@overload
def rips_sparse_batch(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], max_dim: int, threshold: float, keep_zero: bool, n_threads: int, memory_budget: float) -> list[NDArray[numpy.int64]]: ...

@overload
def graph_h0_batch(x: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], edges: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], edge_offsets: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], dense: Annotated[NDArray[numpy.bool_], dict(shape=(None,), order='C', device='cpu', writable=False)], keep_zero: bool, n_threads: int, memory_budget: float) -> NDArray[numpy.int64]:
    """
    H0 of point clouds x (sum N_i, D) split by counts (B,), each through its graph with Euclidean edge lengths (Kruskal, elder rule): item i's edges are rows edge_offsets[i]..edge_offsets[i + 1] of edges (E, 2) in item-local ids; an item with dense[i] set takes the dense H0 (memory_budget applies). An (n_0, 5) array of (item, v, v, death_u, death_v).
    """

@overload
def graph_h0_batch(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], edges: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], edge_offsets: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], dense: Annotated[NDArray[numpy.bool_], dict(shape=(None,), order='C', device='cpu', writable=False)], keep_zero: bool, n_threads: int, memory_budget: float) -> NDArray[numpy.int64]: ...

@overload
def alpha_pairs(x: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], sizes: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], top: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], neighbors: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], extra: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], coords: Annotated[NDArray[numpy.float64], dict(shape=(None,), order='C', device='cpu', writable=False)], max_dim: int, weak: bool, keep_zero: bool, n_threads: int) -> list[NDArray[numpy.int64]]:
    """
    Alpha (or weak-alpha) persistence of a batch of 2D/3D clouds x (sum N_i, D) with their Delaunay triangulations packed flat: sizes (B, 4) holds per item (points, rank, top simplices, extra edges); top the top simplices' vertex ids (item-local, rank + 1 per simplex) one item after another; neighbors Qhull's neighbours in the same layout, or empty; extra (E, 2) the extra edges; coords the (N_i, rank) coordinates of the items of rank 2 in 3D, flattened. Returns per dimension (n_k, 3) rows (item, birth cell, death cell or -1), per dimension (n_k, 2) positions (essential death: C), and the (C, D + 1) cell table of global point ids (-1 padded).
    """

@overload
def alpha_pairs(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], sizes: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], top: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], neighbors: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], extra: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], coords: Annotated[NDArray[numpy.float64], dict(shape=(None,), order='C', device='cpu', writable=False)], max_dim: int, weak: bool, keep_zero: bool, n_threads: int) -> list[NDArray[numpy.int64]]: ...

@overload
def alpha_filtration(x: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], sizes: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], top: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], neighbors: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], extra: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], coords: Annotated[NDArray[numpy.float64], dict(shape=(None,), order='C', device='cpu', writable=False)], weak: bool) -> tuple[list[NDArray[numpy.int64]], list[NDArray[numpy.int64]], NDArray[numpy.float64], NDArray[numpy.int64]]:
    """
    The filtered complex of one cloud (arguments as alpha_pairs, B = 1): per dimension its simplices (n_d, d + 1) and facets (n_d, d + 1; facet j omits vertex j; dimension 0: empty), the value of every simplex by global id (squared radius, or length for weak) and the global id of its source simplex.
    """

@overload
def alpha_filtration(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], sizes: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], top: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], neighbors: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], extra: Annotated[NDArray[numpy.int64], dict(shape=(None, None), order='C', device='cpu', writable=False)], coords: Annotated[NDArray[numpy.float64], dict(shape=(None,), order='C', device='cpu', writable=False)], weak: bool) -> tuple[list[NDArray[numpy.int64]], list[NDArray[numpy.int64]], NDArray[numpy.float64], NDArray[numpy.int64]]: ...

def bottleneck_matchings(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], x_counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], y: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], y_counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], internal_p: float, n_threads: int) -> NDArray[numpy.int64]:
    """
    Bottleneck matchings of batches of finite diagram points x (sum n_b, 2) and y (sum m_b, 2), float64, split by x_counts and y_counts (B,). Returns (B, 3) int64 rows (kind, i, j): the edge realising the distance, kind 1 for x_i with y_j, 2 for x_i with the diagonal, 3 for y_j with the diagonal, 0 for no point; i and j count within the item, -1 where absent.
    """

def wasserstein_matchings(x: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], x_counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], y: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], y_counts: Annotated[NDArray[numpy.int64], dict(shape=(None,), order='C', device='cpu', writable=False)], p: float, internal_p: float, n_threads: int) -> list[NDArray[numpy.int64]]:
    """
    Optimal W_p matchings of batches as for bottleneck_matchings. Returns [pairs (K, 3) of (item, i, j), diag_x (K1, 2) of (item, i), diag_y (K2, 2) of (item, j)], indices within the item.
    """

@overload
def betti_matching(pred: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], target: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], shape: Sequence[int], construction: str, superlevel: bool, binary_target: bool, n_threads: int) -> list[NDArray[numpy.int64]]:
    """
    Betti matching of each row of pred with the same row of target (flattened 2D or 3D grids of the given shape; sublevel filtrations, of 1 - x with superlevel): a (m, 6) array of (item, dim, pred birth, pred death, target birth, target death) pixels per matched pair, and (u, 4) arrays of (item, dim, birth, death) for the unmatched bars of pred and of target, then the flat indices (item * n + pixel) of pred's bars as a (2, k) array, births and deaths, matched bars first, and of target's likewise. Essential bars are left out. With binary_target, a target row of two values lo < hi (pred >= lo, and > lo where the target is hi) has only its bars' births and values computed, without its own reductions: its bars' death pixels are representative ones at hi.
    """

@overload
def betti_matching(pred: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], target: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], shape: Sequence[int], construction: str, superlevel: bool, binary_target: bool, n_threads: int) -> list[NDArray[numpy.int64]]: ...

def set_matcher_cache(max_bytes: int) -> int:
    """
    Sets how many bytes of idle Betti matchers (their buffers) stay kept between calls, for the last grid shape, freeing those beyond it; returns the previous limit.
    """

@overload
def hu_matching(pred: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], target: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], shape: Sequence[int], construction: str, superlevel: bool, target_by_counts: bool, n_threads: int) -> list[NDArray[numpy.int64]]:
    """
    The matching of Hu et al.'s loss for each row of pred with the same row of target (sublevel filtrations of 2D or 3D grids, of 1 - x with superlevel): per dimension an optimal W2 matching (Euclidean ground norm) of the finite bars, as betti_matching's five arrays (matched pairs, the bars of pred and of target sent to the diagonal, the flat indices). With target_by_counts, a target row of at most two values has its bars counted (Betti numbers) instead of reduced, with representative pixels.
    """

@overload
def hu_matching(pred: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], target: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], shape: Sequence[int], construction: str, superlevel: bool, target_by_counts: bool, n_threads: int) -> list[NDArray[numpy.int64]]: ...

@overload
def matching_terms(pred: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], target: Annotated[NDArray[numpy.float32], dict(shape=(None, None), order='C', device='cpu', writable=False)], shape: Sequence[int], construction: str, superlevel: bool, hu: bool, n_threads: int) -> tuple:
    """
    The terms of the Betti-matching loss (hu: of Hu et al.'s loss) of each row of pred against the same row of target, a target that takes no gradient: the flat indices (item * n + pixel) of pred's finite bars as a (2, k) int64 array (births, deaths; item by item), the (2, k) points in the inputs' values each bar is pulled to (the matched target bar, or the bar's own midpoint on the diagonal), and an (items, 1) array of the sums of the squared lengths of each target's unmatched bars.
    """

@overload
def matching_terms(pred: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], target: Annotated[NDArray[numpy.float64], dict(shape=(None, None), order='C', device='cpu', writable=False)], shape: Sequence[int], construction: str, superlevel: bool, hu: bool, n_threads: int) -> tuple: ...

def set_openmp(allowed: bool) -> None:
    """
    Allow or forbid OpenMP teams for batches in this process (forbidden in a child process).
    """

def build_info() -> dict:
    """How this extension was compiled (compiler, C++ standard, flags)."""
