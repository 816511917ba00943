r"""Wasserstein, bottleneck and sliced Wasserstein distances between persistence diagrams,
differentiable.

The optimal matching is combinatorial, so it is solved exactly on detached CPU copies, and the
distance is then **recomputed in torch from the matched entries**, so autograd differentiates it
with respect to both diagrams (the matching being locally constant for generic diagrams):

- Wasserstein: the C++ solvers of ``topolayer/wasserstein.hpp``, the items of a batch on
  threads: a dense rectangular assignment (shortest augmenting paths) when one diagram is much
  smaller than the other, as a target's few bars against a prediction's many, or both are small
  (``n + m <= 128``); otherwise successive shortest paths of a min-cost flow over the implicit
  complete graph (k-d tree searches, memory linear in ``n + m``). Both are exact; on diagrams
  with ties they may pick different optimal matchings, of equal cost.
- bottleneck: the C++ solver of ``topolayer/bottleneck.hpp`` (Hopcroft–Karp decisions over k-d
  trees, Efrat–Itai–Katz and Kerber–Morozov–Nigmetov), exact: the distance is the cost of one
  edge, which it returns.
- sliced Wasserstein: pure torch (projections and sorts), no matching at all.

Ground metric and diagonal. Points ``x = (b, d)`` are compared with the ``L_r`` norm
(``r = internal_p``, default ``inf`` as in persim and GUDHI):

.. math:: c(x, y) = \|x - y\|_r, \qquad
          c(x, \Delta) = \min_t \|x - (t, t)\|_r = 2^{1/r - 1}\,|d - b|

(``|d - b| / 2`` for ``r = inf``). A finite point is matched either to a finite point of the
other diagram or to the diagonal.

Essential bars (finite birth, infinite death) are matched among themselves, by sorting their
births (optimal on the line for every ``p >= 1``), at cost ``|b - b'|`` — GUDHI's
``keep_essential_parts=True`` rule. If the two diagrams hold different numbers of essential
bars in the dimension, the distance is ``inf``. ``essential="ignore"`` drops them instead.
Padding rows (non-finite birth) are ignored.

Batches: two :class:`~topolayer.diagram.DiagramBatch` of the same size give one distance per
item (shaped by the first batch's ``batch_shape``, written ``(B,)``); a batch against a single
diagram compares every item with that diagram. The C++ solvers run the items of a batch on
``n_threads`` threads (``None``: every core).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from . import _bars, _validate
from ._bars import Flat
from ._logging import logged
from ._ops import distances as _match

__all__ = [
    "wasserstein_distance",
    "bottleneck_distance",
    "wasserstein_matching",
    "sliced_wasserstein_distance",
]

#: Largest ``n + m`` for which Wasserstein matchings use scipy's Hungarian algorithm on the
#: dense augmented matrix; others go to the C++ solvers in one threaded call. Those are faster at
#: every size (benchmarks/bench_distances.py times both), so scipy serves only as a test oracle.
_DENSE_MAX = 0


# -- costs, in torch --------------------------------------------------------------------------
def _diag_factor(r: float) -> float:
    return 0.5 if r == float("inf") else 2.0 ** (1.0 / r - 1.0)


def _t_pair_cost(x: torch.Tensor, y: torch.Tensor, r: float) -> torch.Tensor:
    diff = (x - y).abs()
    if r == float("inf"):
        return diff.amax(dim=1)
    return _bars.safe_root(_bars.safe_pow(diff, r).sum(dim=1), r)


def _t_diag_cost(x: torch.Tensor, r: float) -> torch.Tensor:
    return (x[:, 1] - x[:, 0]).abs() * _diag_factor(r)


# -- input handling ---------------------------------------------------------------------------
def _pair_inputs(dgm1: Any, dgm2: Any, dim: int) -> tuple[Flat, Flat, int]:
    f1 = _bars.flatten(dgm1, dim, "dgm1")
    f2 = _bars.flatten(dgm2, dim, "dgm2")
    if f1.superlevel != f2.superlevel:
        raise ValueError("dgm1 and dgm2 must both be sublevel or both superlevel diagrams")
    if f1.bars.device != f2.bars.device:
        raise ValueError(
            f"dgm1 and dgm2 are on different devices: {f1.bars.device}, {f2.bars.device}"
        )
    if not f1.single and not f2.single and f1.batch_size != f2.batch_size:
        raise ValueError(
            f"dgm1 and dgm2 have different batch sizes: {f1.batch_size} and {f2.batch_size}"
        )
    batch_size = f2.batch_size if f1.single else f1.batch_size
    return f1, f2, batch_size


def _op_inputs(f1: Flat, f2: Flat, batch_size: int) -> tuple[Any, ...]:
    """The leading arguments of the matching ops: detached bars, batch vectors, item counts."""
    return (
        f1.bars.detach(),
        f1.batch,
        f2.bars.detach(),
        f2.batch,
        batch_size,
        f1.single,
        f2.single,
    )


def _check_essential(essential: str) -> bool:
    if essential not in ("match", "ignore"):
        raise ValueError(f"essential must be 'match' or 'ignore', got {essential!r}")
    return essential == "match"


def _check_internal_p(internal_p: Any) -> float:
    r = _validate.check_positive(internal_p, "internal_p", allow_inf=True)
    if r < 1:
        raise ValueError(f"internal_p must be >= 1, got {internal_p}")
    return r


def _check_order(p: Any) -> float:
    p = _validate.check_positive(p, "p")
    if p < 1:
        raise ValueError(f"p must be >= 1 for a Wasserstein distance, got {p}")
    return p


def _with_mismatch(out: torch.Tensor, mismatch: torch.Tensor) -> torch.Tensor:
    """``inf`` for the items whose essential bars cannot be matched (different counts)."""
    return out + torch.where(mismatch, math.inf, 0.0).to(out.dtype)


# -- Wasserstein ------------------------------------------------------------------------------
def wasserstein_matching(
    dgm1: Any,
    dgm2: Any,
    dim: int = 0,
    p: float = 1.0,
    internal_p: float = float("inf"),
    n_threads: int | None = None,
    *,
    _dense_max: int = _DENSE_MAX,
) -> list[dict[str, Any]]:
    """The optimal matchings behind :func:`wasserstein_distance`, for inspection.

    Parameters
    ----------
    dgm1, dgm2 : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagrams (as for :func:`wasserstein_distance`).
    dim : int
        Homology dimension.
    p : float
        Order, ``p >= 1``.
    internal_p : float
        Ground norm, ``>= 1`` (``inf`` allowed).
    n_threads : int, optional
        Threads for the batch items that go to the C++ solver (``None``: every core).

    Returns
    -------
    list of dict
        One dict per batch item with int arrays ``pairs`` (K, 2) (rows of ``dgm1[dim]`` and
        ``dgm2[dim]`` matched together, finite and essential), ``diag1`` and ``diag2`` (rows
        sent to the diagonal). Row numbers index the flat bars of the dimension.

    Raises
    ------
    TypeError, ValueError
        As :func:`wasserstein_distance`.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> a = Diagram([torch.tensor([[0.0, 1.0], [0.0, 5.0]])])
    >>> b = Diagram([torch.tensor([[0.0, 4.0]])])
    >>> m = wasserstein_matching(a, b, 0)[0]
    >>> m["pairs"].tolist(), m["diag1"].tolist(), m["diag2"].tolist()
    ([[1, 0]], [0], [])
    """
    p = _check_order(p)
    r = _check_internal_p(internal_p)
    threads = _validate.check_threads(n_threads)
    f1, f2, batch_size = _pair_inputs(dgm1, dgm2, dim)
    pairs, dx, dy, ess, _ = (
        t.cpu().numpy()
        for t in _match.wasserstein_match(
            *_op_inputs(f1, f2, batch_size), p, r, threads, _dense_max
        )
    )
    out = []
    for b in range(batch_size):
        both = [pairs[pairs[:, 0] == b, 1:], ess[ess[:, 0] == b, 1:]]
        out.append(
            {
                "pairs": np.concatenate(both).astype(np.int64),
                "diag1": dx[dx[:, 0] == b, 1],
                "diag2": dy[dy[:, 0] == b, 1],
            }
        )
    return out


@logged("wasserstein_distance")
def wasserstein_distance(
    dgm1: Any,
    dgm2: Any,
    dim: int = 0,
    p: float = 1.0,
    internal_p: float = float("inf"),
    essential: str = "match",
    n_threads: int | None = None,
    *,
    _dense_max: int = _DENSE_MAX,
) -> torch.Tensor:
    r"""The ``p``-Wasserstein distance between two persistence diagrams, differentiable.

    .. math:: W_p(X, Y) = \Big(\min_{\gamma} \sum_{x \in X} c(x, \gamma(x))^p
              + \sum_{\text{essential}} |b - b'|^p\Big)^{1/p}

    over partial matchings ``gamma`` of the finite points, unmatched points going to the
    diagonal (module docstring for ``c`` and the essential rule). The matching is exact (a
    dense rectangular assignment for lopsided or small pairs, a min-cost flow otherwise); the
    value is recomputed in torch from the matched entries, so it is differentiable with respect
    to both diagrams. The ``1/p`` root has a zero subgradient at 0.

    Parameters
    ----------
    dgm1, dgm2 : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagrams; both sublevel or both superlevel. Two batches must have equal sizes; a
        single diagram against a batch is compared with every item.
    dim : int
        Homology dimension.
    p : float
        Order, ``p >= 1``.
    internal_p : float
        Ground norm ``r >= 1`` (``inf``: the max norm, persim's and GUDHI's default).
    essential : {"match", "ignore"}
        Match essential bars by birth (different counts give ``inf``), or drop them.
    n_threads : int, optional
        Threads for the batch items that go to the C++ solver (``None``: every core).

    Returns
    -------
    () or (B,) Tensor
        Distances, in the bars' dtype and on their device.

    Raises
    ------
    TypeError, ValueError
        On bad diagrams, ``dim``, ``p`` (``p < 1``), ``internal_p`` (``< 1``), ``essential``,
        mismatched batch sizes, sub/superlevel mixed, or devices differing.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> a = Diagram([torch.tensor([[0.0, 1.0], [0.0, 5.0]])])
    >>> b = Diagram([torch.tensor([[0.0, 4.0]])])
    >>> wasserstein_distance(a, b, 0, p=1)    # |5 - 4| + diagonal cost 1/2
    tensor(1.5000)
    >>> wasserstein_distance(a, b, 0, p=2)    # sqrt(1 + 1/4)
    tensor(1.1180)
    """
    p = _check_order(p)
    r = _check_internal_p(internal_p)
    keep_essential = _check_essential(essential)
    threads = _validate.check_threads(n_threads)
    f1, f2, batch_size = _pair_inputs(dgm1, dgm2, dim)
    pairs, dx, dy, ess, mismatch = _match.wasserstein_match(
        *_op_inputs(f1, f2, batch_size), p, r, threads, _dense_max
    )
    x, y = f1.bars, f2.bars
    total = _bars.anchor(x) + _bars.anchor(y) + x.new_zeros(batch_size)
    terms = [
        (_t_pair_cost(x[pairs[:, 1]], y[pairs[:, 2]], r) ** p, pairs[:, 0]),
        (_t_diag_cost(x[dx[:, 1]], r) ** p, dx[:, 0]),
        (_t_diag_cost(y[dy[:, 1]], r) ** p, dy[:, 0]),
    ]
    if keep_essential:
        terms.append(((x[ess[:, 1], 0] - y[ess[:, 2], 0]).abs() ** p, ess[:, 0]))
    for vals, items in terms:
        total = total + _bars.segment_sum(vals, items, batch_size)
    if keep_essential:
        total = _with_mismatch(total, mismatch)
    return _bars.finish(_bars.safe_root(total, p), f2 if f1.single else f1)


# -- bottleneck -------------------------------------------------------------------------------
def _padded(bars: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """``bars[rows]`` where row ``-1`` reads an appended zero row: every edge of the solver
    reads finite values, so unused branches of its cost carry no ``inf`` into the backward."""
    safe = torch.cat([bars, bars.new_zeros((1, 2))])
    return safe[torch.where(rows < 0, len(bars), rows)]


@logged("bottleneck_distance")
def bottleneck_distance(
    dgm1: Any,
    dgm2: Any,
    dim: int = 0,
    internal_p: float = float("inf"),
    essential: str = "match",
    n_threads: int | None = None,
) -> torch.Tensor:
    r"""The bottleneck distance between two persistence diagrams, differentiable.

    .. math:: W_\infty(X, Y) = \max\Big(\min_{\gamma} \max_{x} c(x, \gamma(x)),\;
              \max_{\text{essential}} |b - b'|\Big)

    with unmatched finite points going to the diagonal (module docstring). The optimal
    threshold is found exactly (a search over the candidate costs, each step a Hopcroft–Karp
    matching over k-d trees); the value is then the torch cost of the one edge that realises it
    (or of the worst essential pair), so the gradient flows to the two points (or the one point
    and the diagonal) of that edge.

    Parameters
    ----------
    dgm1, dgm2 : Diagram, DiagramBatch or (dgms, issublevel) tuple
        As for :func:`wasserstein_distance`.
    dim : int
        Homology dimension.
    internal_p : float
        Ground norm ``r >= 1`` (``inf``, the default, is GUDHI's and persim's).
    essential : {"match", "ignore"}
        Match essential bars by birth (different counts give ``inf``), or drop them.
    n_threads : int, optional
        Threads over the batch items (``None``: every core).

    Returns
    -------
    () or (B,) Tensor

    Raises
    ------
    TypeError, ValueError
        As :func:`wasserstein_distance`.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> a = Diagram([torch.tensor([[0.0, 1.0], [0.0, 5.0]])])
    >>> b = Diagram([torch.tensor([[0.0, 4.0]])])
    >>> bottleneck_distance(a, b, 0)
    tensor(1.)
    """
    r = _check_internal_p(internal_p)
    keep_essential = _check_essential(essential)
    threads = _validate.check_threads(n_threads)
    f1, f2, batch_size = _pair_inputs(dgm1, dgm2, dim)
    edges, ess, mismatch = _match.bottleneck_match(*_op_inputs(f1, f2, batch_size), r, threads)
    x, y = f1.bars, f2.bars
    xe, ye = _padded(x, edges[:, 1]), _padded(y, edges[:, 2])
    kind = edges[:, 0]
    zero = x.new_zeros(batch_size)
    edge = torch.where(
        kind == _match.EDGE_KINDS.index("pair"),
        _t_pair_cost(xe, ye, r),
        torch.where(
            kind == _match.EDGE_KINDS.index("x"),
            _t_diag_cost(xe, r),
            torch.where(kind == _match.EDGE_KINDS.index("y"), _t_diag_cost(ye, r), zero),
        ),
    )
    out = _bars.anchor(x) + _bars.anchor(y) + edge
    if keep_essential:
        gap = (x[ess[:, 1], 0] - y[ess[:, 2], 0]).abs()
        if batch_size == 1:  # no scatter onto one row: Inductor cannot generate it
            out = torch.cat([out, gap]).amax(0, keepdim=True)
        else:
            out = out.scatter_reduce(0, ess[:, 0], gap, reduce="amax", include_self=True)
        out = _with_mismatch(out, mismatch)
    return _bars.finish(out, f2 if f1.single else f1)


# -- sliced Wasserstein ---------------------------------------------------------------------------
def _angles(
    directions: Any, n_directions: Any, seed: Any, dtype: torch.dtype, device: Any
) -> torch.Tensor:
    """The ``(K,)`` angles of the projection lines, in ``[-pi/2, pi/2)`` for the named rules."""
    if isinstance(directions, str):
        _validate.check_choice(directions, "directions", ("random", "uniform"))
        k = _validate.check_int(n_directions, "n_directions", 1)
        if directions == "uniform":
            theta = -math.pi / 2 + math.pi * torch.arange(k, dtype=torch.float64) / k
        else:
            if seed is None or isinstance(seed, torch.Generator):
                gen = seed
            else:
                gen = torch.Generator().manual_seed(_validate.check_int(seed, "seed", 0))
            theta = math.pi * (torch.rand(k, dtype=torch.float64, generator=gen) - 0.5)
    else:
        theta = _validate.as_float_tensor(directions, "directions").detach()
        if theta.dim() != 1 or len(theta) == 0 or not torch.isfinite(theta).all():
            raise ValueError(
                "directions must be 'random', 'uniform' or a non-empty 1-D tensor of finite angles"
            )
    return theta.to(device=device, dtype=dtype)


def _spread(f: Flat, mask: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows ``mask`` of ``f`` and their items; a single diagram is repeated for every item."""
    bars, batch = f.bars[mask], f.batch[mask]
    if f.single and batch_size > 1:
        batch = torch.arange(batch_size, device=bars.device).repeat_interleave(len(bars))
        bars = bars.repeat(batch_size, 1)
    return bars, batch


def _sort_in_items(values: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
    """Each column of ``values`` (P, K) sorted within the items, items in increasing order."""
    vals, order = torch.sort(values, dim=0, stable=True)
    by_item = torch.sort(batch[order], dim=0, stable=True).indices
    return vals.gather(0, by_item)


def sliced_wasserstein_distance(
    dgm1: Any,
    dgm2: Any,
    dim: int = 0,
    n_directions: int = 50,
    directions: Any = "random",
    seed: int | torch.Generator | None = None,
    essential: str = "match",
) -> torch.Tensor:
    r"""The sliced Wasserstein distance between two persistence diagrams, differentiable.

    Carrière, Cuturi and Oudot (2017): each diagram is completed with the diagonal projections
    ``((b + d)/2, (b + d)/2)`` of the other's points, both point sets are projected on lines at
    angles ``theta``, and the projections are compared on each line by sorting:

    .. math:: SW(X, Y) = \frac{1}{K} \sum_{k=1}^{K} \sum_i
              \big|\,\pi_{\theta_k}(X \cup \Delta_Y)_{(i)} - \pi_{\theta_k}(Y \cup \Delta_X)_{(i)}\big|

    where ``pi_theta(x) = b cos(theta) + d sin(theta)`` and ``(i)`` is the ``i``-th smallest.
    With evenly spaced angles this is a quadrature of ``(1/pi) \int_{-pi/2}^{pi/2}``, with random
    ones an unbiased estimate of it. Pure torch (no matching): the gradient flows through the
    sorts to every point. Essential bars: with ``essential="match"`` the sum ``\sum |b - b'|``
    over births matched in sorted order (the ``W_1`` rule of :func:`wasserstein_distance`) is
    added, and different counts give ``inf``; ``"ignore"`` drops them.

    Parameters
    ----------
    dgm1, dgm2 : Diagram, DiagramBatch or (dgms, issublevel) tuple
        As for :func:`wasserstein_distance`.
    dim : int
        Homology dimension.
    n_directions : int
        Number of lines ``K`` (for ``directions="random"`` or ``"uniform"``).
    directions : {"random", "uniform"} or (K,) Tensor
        ``"random"``: angles drawn uniformly in ``[-pi/2, pi/2)`` (the same for every batch item);
        ``"uniform"``: ``theta_k = -pi/2 + k pi / K``, ``k = 0..K-1``; or the angles themselves.
    seed : int or torch.Generator, optional
        Source of the random angles (``None``: torch's global generator).
    essential : {"match", "ignore"}
        Match essential bars by birth (different counts give ``inf``), or drop them.

    Returns
    -------
    () or (B,) Tensor
        Distances, in the bars' dtype and on their device.

    Raises
    ------
    TypeError, ValueError
        On bad diagrams, ``dim``, ``n_directions``, ``directions``, ``seed``, ``essential``,
        mismatched batch sizes, sub/superlevel mixed, or devices differing.

    Notes
    -----
    GUDHI's ``SlicedWassersteinDistance(num_directions=K)`` (3.13) uses the first ``K - 1`` of
    the ``K`` uniform angles above; pass those angles as ``directions`` to reproduce it.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> a = Diagram([torch.tensor([[0.0, 2.0]])])
    >>> b = Diagram([torch.zeros((0, 2))])
    >>> sliced_wasserstein_distance(a, b, 0, n_directions=2, directions="uniform")
    tensor(1.)
    """
    keep_essential = _check_essential(essential)
    f1, f2, batch_size = _pair_inputs(dgm1, dgm2, dim)
    x_all, y_all = f1.bars, f2.bars
    dtype, dev = x_all.dtype, x_all.device
    theta = _angles(directions, n_directions, seed, dtype, dev)
    lines = torch.stack([torch.cos(theta), torch.sin(theta)])  # (2, K)
    fin1, ess1 = _bars.classify(x_all)
    fin2, ess2 = _bars.classify(y_all)
    x, bx = _spread(f1, fin1, batch_size)
    y, by = _spread(f2, fin2, batch_size)
    mid_x = x.sum(1, keepdim=True).expand(-1, 2) / 2
    mid_y = y.sum(1, keepdim=True).expand(-1, 2) / 2
    a = _sort_in_items(torch.cat([x, mid_y]) @ lines, torch.cat([bx, by]))
    b = _sort_in_items(torch.cat([y, mid_x]) @ lines, torch.cat([by, bx]))
    # Both sides hold n_b + m_b rows per item, grouped by item in the same order: rows align.
    rows = torch.sort(torch.cat([bx, by]), stable=True).values
    per_line = _bars.segment_sum((a - b).abs(), rows, batch_size)  # (B, K)
    total = per_line.mean(1) + _bars.anchor(x_all) + _bars.anchor(y_all)
    if keep_essential:
        e1, eb1 = _spread(f1, ess1, batch_size)
        e2, eb2 = _spread(f2, ess2, batch_size)
        c1 = torch.bincount(eb1, minlength=batch_size)
        c2 = torch.bincount(eb2, minlength=batch_size)
        ok = c1 == c2
        k1, k2 = ok[eb1], ok[eb2]
        s1 = _sort_in_items(e1[k1, :1], eb1[k1])
        s2 = _sort_in_items(e2[k2, :1], eb2[k2])
        ess_rows = torch.sort(eb1[k1], stable=True).values
        total = total + _bars.segment_sum((s1 - s2).abs()[:, 0], ess_rows, batch_size)
        total = torch.where(ok, total, torch.full_like(total, math.inf))
    return _bars.finish(total, f2 if f1.single else f1)
