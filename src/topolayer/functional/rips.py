"""Differentiable Vietoris–Rips persistence of point clouds and distance matrices.

The C++ core (``topolayer::rips_pairs``) returns the critical edges of every bar; the bar's
birth and death are then recomputed here as those edges' lengths, ``|x_u - x_v|`` (or
``D[u, v]`` for a distance matrix), so autograd sends each bar's gradient to the two ends of its
critical edges. No clique complex is ever listed: dimensions >= 1 use implicit cohomology with
clearing and apparent pairs (Bauer 2021), H0 a minimum spanning tree.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from numbers import Real
from typing import Literal, NamedTuple, overload

import numpy as np
import torch

from .._bars import safe_norm
from .._logging import logged
from .._ops import resolve_threads
from .._ops.rips import METHODS, Method
from .._validate import as_float_tensor, check_bool, check_choice, check_max_dim, check_positive
from ..diagram import Diagram, DiagramBatch
from ._common import gather_diagram

__all__ = ["rips", "DEFAULT_MEMORY_BUDGET", "DEFAULT_TIME_BUDGET", "estimated_seconds"]

#: Bytes a single dense Rips problem may use before ``rips`` raises and suggests ``threshold``.
DEFAULT_MEMORY_BUDGET = 4 * 2**30
#: Seconds a dense Rips problem without a threshold may be *estimated* to take (one thread)
#: before ``rips`` refuses it and suggests ``threshold``; ``time_budget=None`` lifts it.
DEFAULT_TIME_BUDGET = 60.0
#: Estimated seconds above which a dense problem without a threshold warns (likely misuse).
WARN_SECONDS = 10.0


def estimated_seconds(n_points: int, max_dim: int) -> float:
    """A rough single-thread time estimate of dense Rips up to ``H_max_dim`` of ``n_points``
    in general position, fitted to ``benchmarks/bench_rips.py`` on uniform clouds: ``H1`` as
    ``0.1 (N / 1000)^2.4`` seconds; above it the enumeration of the ``(max_dim)``-simplices
    dominates, a few times ``1e-8`` s per simplex of the full complex (``C(N, max_dim + 1)``).
    It only has to tell minutes from seconds."""
    r = n_points / 1000.0
    if max_dim == 0:
        return 0.01 * r * r
    if max_dim == 1:
        return 0.1 * r**2.4
    per_simplex = 2.5e-8 if max_dim == 2 else 1e-8
    return 0.1 * r**2.4 + per_simplex * math.comb(max(n_points, 0), max_dim + 1)


_METRICS = ("euclidean", "precomputed")
Metric = Literal["euclidean", "precomputed"]


def is_cloud_list(x: object) -> bool:
    """Whether ``x`` is a list (or tuple) of clouds, tensors or arrays, one per batch item
    (a nested list of numbers is one cloud)."""
    return isinstance(x, (list, tuple)) and (
        len(x) == 0 or all(isinstance(t, (torch.Tensor, np.ndarray)) for t in x)
    )


def _prepare(x, metric: str):
    """Flatten the input: (flat data, counts, per-item sizes, batched?, dtype)."""
    precomputed = metric == "precomputed"
    if is_cloud_list(x):
        if len(x) == 0:
            raise ValueError("x is an empty list; give at least one point cloud")
        items = [as_float_tensor(t, f"x[{i}]") for i, t in enumerate(x)]
        want = 2
        for i, t in enumerate(items):
            if t.dim() != want:
                form = "(N_i, N_i) distance matrix" if precomputed else "(N_i, D) point cloud"
                raise ValueError(f"x[{i}] must be a {form}, got shape {tuple(t.shape)}")
        batched, tensors = True, items
    else:
        t = x = as_float_tensor(x, "x")
        if t.dim() == 2:
            batched, tensors = False, [t]
        elif t.dim() == 3:
            batched, tensors = True, None
        else:
            form = "(N, N) or (B, N, N)" if precomputed else "(N, D) or (B, N, D)"
            raise ValueError(f"x must have shape {form}, got {tuple(t.shape)}")
    if tensors is None:  # one (B, N, D) / (B, N, N) tensor
        t = x
        b, n = t.shape[0], t.shape[1]
        if b == 0:
            raise ValueError("x has batch size 0")
        _check_sizes(n, t.shape[2], precomputed, "x")
        flat = t.reshape(-1) if precomputed else t.reshape(b * n, t.shape[2])
        sizes = [n] * b
        return flat, sizes, True
    for i, t in enumerate(tensors):
        _check_sizes(t.shape[0], t.shape[1], precomputed, f"x[{i}]" if batched else "x")
    dims = {t.shape[1] for t in tensors} if not precomputed else set()
    if len(dims) > 1:
        raise ValueError(f"the point clouds in x must share their dimension D, got {sorted(dims)}")
    if precomputed:
        flat = (
            torch.cat([t.reshape(-1) for t in tensors])
            if len(tensors) > 1
            else tensors[0].reshape(-1)
        )
    else:
        flat = torch.cat(tensors) if len(tensors) > 1 else tensors[0]
    return flat, [t.shape[0] for t in tensors], batched


def _check_sizes(n: int, second: int, precomputed: bool, name: str) -> None:
    if n == 0:
        raise ValueError(f"{name} has no points (N = 0); give at least one")
    if precomputed and second != n:
        raise ValueError(f"{name} must be a square distance matrix, got {n} x {second}")
    if not precomputed and second == 0:
        raise ValueError(f"{name} has points of dimension D = 0")


@overload
def rips(
    x: Sequence[torch.Tensor],
    max_dim: int = ...,
    threshold: float | None = ...,
    metric: Metric = ...,
    keep_zero: bool = ...,
    n_threads: int | None = ...,
    memory_budget: float = ...,
    method: Method = ...,
    time_budget: float | None = ...,
) -> DiagramBatch: ...


@overload
def rips(
    x: torch.Tensor,
    max_dim: int = ...,
    threshold: float | None = ...,
    metric: Metric = ...,
    keep_zero: bool = ...,
    n_threads: int | None = ...,
    memory_budget: float = ...,
    method: Method = ...,
    time_budget: float | None = ...,
) -> Diagram | DiagramBatch: ...


@logged("rips")
def rips(
    x: torch.Tensor | Sequence[torch.Tensor],
    max_dim: int = 1,
    threshold: float | None = None,
    metric: Metric = "euclidean",
    keep_zero: bool = False,
    n_threads: int | None = None,
    memory_budget: float = DEFAULT_MEMORY_BUDGET,
    method: Method = "auto",
    time_budget: float | None = DEFAULT_TIME_BUDGET,
) -> Diagram | DiagramBatch:
    """Vietoris–Rips persistence diagram, differentiable in the points (or distances).

    Parameters
    ----------
    x : (N, D) Tensor, (B, N, D) Tensor, or list of (N_i, D) Tensor
        Point clouds. With ``metric="precomputed"``: an (N, N) or (B, N, N) distance matrix, or a
        list of (N_i, N_i) ones (symmetric, non-negative; the diagonal is ignored: vertices are born at 0).
    max_dim : int
        Highest homology dimension returned (0..5; dimension 2 and above get costly fast).
    threshold : float, optional
        Largest edge length in the filtration; classes alive at it are essential
        (death ``inf``). Default: none (the enclosing radius is used, which changes nothing).
    metric : {"euclidean", "precomputed"}
    keep_zero : bool
        Keep zero-length bars (slower: apparent pairs are then reduced too).
    n_threads : int, optional
        Threads for the batch (or inside one item when B = 1); default every core. Results are
        identical for every thread count.
    memory_budget : float
        Bytes a dense problem may use; beyond it ``ValueError`` suggests ``threshold``.
    method : {"auto", "dense", "delaunay", "sparse"}
        The algorithm; every one gives the same diagram where it applies. ``"delaunay"``: H0
        through the Delaunay graph (2D/3D points, ``max_dim=0``, no threshold); ``"sparse"``:
        points with a threshold (neighbours by a k-d tree); ``"dense"``: the full distance
        table. ``"auto"`` picks Delaunay for H0 of 512 points or more, sparse for a threshold
        with 1500 points or more, else dense. A method that does not apply falls back to dense.
    time_budget : float or None
        Seconds a dense problem without a threshold may be estimated to take
        (:func:`estimated_seconds`, one thread); beyond it ``ValueError`` suggests
        ``threshold`` before any work is done. ``None``: no limit.

    Returns
    -------
    Diagram or DiagramBatch
        ``Diagram`` for one cloud, ``DiagramBatch`` for a batch or a list. Bars are
        ``(n_k, 2)`` tensors in ``x``'s dtype and device; ``indices[k]`` is ``(n_k, 4)`` int64
        ``(birth_u, birth_v, death_u, death_v)``: the critical edges (``(v, v)`` for an H0
        birth, ``-1`` for an essential death).

    Raises
    ------
    TypeError
        ``x`` is not a floating tensor (or list of them).
    ValueError
        Wrong shape, no points, non-finite entries, an invalid distance matrix, a bad argument, or
        a dense problem over ``memory_budget`` or ``time_budget``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.functional.rips import rips
    >>> t = torch.linspace(0, 2 * torch.pi, 13)[:-1]
    >>> x = torch.stack([t.cos(), t.sin()], 1).requires_grad_()
    >>> dgm = rips(x, max_dim=1)
    >>> len(dgm[1])
    1
    >>> dgm[1][0, 1].backward()
    """
    o = check_options(max_dim, threshold, metric, keep_zero, n_threads, memory_budget, method)
    flat, sizes, batched = _prepare(x, o.metric)
    if time_budget is not None:
        _check_time(sizes, o, check_positive(time_budget, "time_budget", allow_inf=True))
    return _rips_diagram(
        flat,
        sizes,
        batched,
        o.max_dim,
        o.threshold,
        o.metric == "precomputed",
        o.keep_zero,
        o.n_threads,
        o.memory_budget,
        o.method,
    )


def _check_time(sizes: list[int], o: Options, budget: float) -> None:
    dense_h0 = o.max_dim == 0 and o.method != "dense"  # H0 runs on a spanning tree
    if math.isfinite(o.threshold) or dense_h0 or not sizes:
        return
    n = max(sizes)
    t = sum(estimated_seconds(s, o.max_dim) for s in sizes)
    if t > budget:
        raise ValueError(
            f"rips: dense Rips up to H{o.max_dim} of {len(sizes)} cloud(s) of up to {n} points "
            f"without a threshold is estimated to take about {t:.0f} s on one thread, over "
            f"time_budget={budget:g} s; pass threshold= (only shorter edges enter, usually far "
            "cheaper), lower max_dim, or raise time_budget (None: no limit)"
        )
    if t > WARN_SECONDS:
        warnings.warn(
            f"rips: dense Rips up to H{o.max_dim} of {len(sizes)} cloud(s) of up to {n} points "
            f"without a threshold is estimated to take about {t:.0f} s on one thread; a "
            "threshold= (only shorter edges enter) is usually far cheaper",
            UserWarning,
            stacklevel=4,  # _check_time, rips, its logging wrapper, the caller
        )


class Options(NamedTuple):
    max_dim: int
    threshold: float  # inf: none
    metric: str
    keep_zero: bool
    n_threads: int  # 0: every core
    memory_budget: float
    method: str


def check_options(
    max_dim, threshold, metric, keep_zero, n_threads, memory_budget, method
) -> Options:
    """Validated arguments of :func:`rips` (also what :class:`~topolayer.nn.VietorisRips` and
    :class:`~topolayer.nn.RipsLayer` check when they are built)."""
    if threshold is None:
        thr = math.inf
    else:
        if isinstance(threshold, bool) or not isinstance(threshold, Real):
            raise TypeError(
                f"threshold must be a real number or None, got {type(threshold).__name__}"
            )
        thr = float(threshold)
        if math.isnan(thr) or thr < 0:
            raise ValueError(f"threshold must be a non-negative number, got {threshold!r}")
    return Options(
        check_max_dim(max_dim, 5),
        thr,
        check_choice(metric, "metric", _METRICS),
        check_bool(keep_zero, "keep_zero"),
        resolve_threads(n_threads),
        check_positive(memory_budget, "memory_budget", allow_inf=True),
        check_choice(method, "method", METHODS),
    )


def _rips_diagram(
    flat, sizes, batched, max_dim, thr, precomputed, keep_zero, n_threads, budget, method
):
    counts = torch.tensor(sizes, dtype=torch.int64)
    pairs = torch.ops.topolayer.rips_pairs(
        flat.detach(), counts, max_dim, thr, precomputed, keep_zero, n_threads, budget, method
    )
    if precomputed:
        values = flat
    else:
        edges = pairs[-1]
        values = safe_norm(flat[edges[:, 0]] - flat[edges[:, 1]])
    n = counts.to(flat.device)
    indices = []
    for r in pairs[: max_dim + 1]:
        size = n[r[:, 0]]
        essential = r[:, 2] < 0
        d = r[:, 2].clamp(min=0)
        birth = torch.stack([r[:, 1] // size, r[:, 1] % size], 1)
        death = torch.where(essential[:, None], -1, torch.stack([d // size, d % size], 1))
        indices.append(torch.cat([birth, death], 1))
    return gather_diagram(values, pairs, False, (len(sizes),) if batched else None, indices)
