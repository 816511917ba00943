r"""Fixed-size, differentiable vectorisations of persistence diagrams.

- :func:`persistence_image` (Adams et al., JMLR 2017): a weighted sum of Gaussians in
  (birth, persistence) coordinates, integrated exactly over each pixel.
- :func:`persistence_landscape` (Bubenik, JMLR 2015): the ``k``-th largest tent function,
  sampled on a fixed grid.

Both take a :class:`~topolayer.diagram.Diagram`, a :class:`~topolayer.diagram.DiagramBatch`
or a ``(dgms, issublevel)`` tuple and return tensors of a shape fixed by the arguments alone
(leading ``batch_shape`` axes, written ``B``, for batches), so they can feed a standard
network. Only finite bars
enter; essential bars and padding rows are ignored. Superlevel bars (running downwards) are
used through their birth ``b`` and their length ``b - d``.

Ranges are given, learnt once from data with :func:`fit_ranges` (the ``fit`` step of the
vectorising modules and of :mod:`topolayer.sklearn`), or taken from each call's own bars
(``None``). In eager mode a call whose ranges miss every finite bar warns: its features would
be all zero.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, cast

import torch

from . import _bars, _validate
from ._ops import plain_eager
from .diagram import Diagram, DiagramBatch, as_diagram

__all__ = ["fit_ranges", "persistence_image", "persistence_landscape"]


def _pair(value: Any, name: str) -> tuple[float, float]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (low, high), got {value!r}") from None
    lo = _validate.check_real(lo, f"{name}[0]")
    hi = _validate.check_real(hi, f"{name}[1]")
    if not hi > lo:
        raise ValueError(f"{name} must have high > low, got {value!r}")
    return lo, hi


def _resolution(value: Any) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    try:
        nb, npers = value
    except (TypeError, ValueError):
        raise TypeError(f"resolution must be an int or a pair of ints, got {value!r}") from None
    return _validate.check_int(nb, "resolution[0]", 1), _validate.check_int(
        npers, "resolution[1]", 1
    )


def _masked_extreme(values: torch.Tensor, mask: torch.Tensor, largest: bool) -> torch.Tensor:
    """Detached min (or max) of ``values[mask]`` as a 0-d tensor, ``nan`` when ``mask`` is
    empty. Traceable: no ``.item()`` and no boolean indexing."""
    fill = float("-inf") if largest else float("inf")
    v = torch.where(mask, values.detach(), torch.full_like(values, fill))
    v = torch.cat([v, v.new_full((1,), fill)])
    out = v.max() if largest else v.min()
    return torch.where(torch.isfinite(out), out, torch.full_like(out, float("nan")))


def _span(
    lo: torch.Tensor, hi: torch.Tensor, n: int, default: tuple[float, float], like: torch.Tensor
) -> torch.Tensor:
    """``n`` points from ``lo`` to ``hi`` (0-d tensors); ``default`` where they are ``nan`` (no
    finite bar) and ``hi = lo + 1`` where the span is empty. Traceable under torch.compile.

    The ends are ``lo`` and ``hi`` exactly, not rounded sums: they are bar ends, where features
    have kinks, so compiled and eager code must see the same values there."""
    lo = torch.where(torch.isnan(lo), torch.full_like(lo, default[0]), lo)
    hi = torch.where(torch.isnan(hi), torch.full_like(hi, default[1]), hi)
    hi = torch.where(hi > lo, hi, lo + 1)
    if n == 1:
        return lo.reshape(1)
    grid = torch.linspace(0, 1, n, dtype=like.dtype, device=like.device)[1:-1]
    return torch.cat([lo.reshape(1), lo + (hi - lo) * grid, hi.reshape(1)])


def _warn_if_all_outside(
    inside: torch.Tensor, finite: torch.Tensor, bars: torch.Tensor, what: str, fix: str
) -> None:
    """Warn when there are finite bars of nonzero length and none is inside the ranges
    (zero-length bars give zero features anywhere). Eager mode only: the test reads data, which
    a traced graph must not branch on."""
    if not plain_eager(bars) or not len(bars):
        return
    real = finite & (bars[:, 0] != bars[:, 1])
    if bool(real.any()) and not bool((inside & real).any()):
        warnings.warn(
            f"{what}: every finite bar lies outside the ranges, so the features are all zero; "
            f"{fix}",
            UserWarning,
            stacklevel=3,
        )


def _diagrams(dgms: Any) -> list[Any]:
    """``dgms`` as a list of diagrams: a list of :class:`~topolayer.diagram.Diagram` /
    ``DiagramBatch`` objects, or of other forms when the list is not itself one diagram
    (per-dimension arrays, a GUDHI list)."""
    if not isinstance(dgms, list) or not dgms:
        return [dgms]
    if all(isinstance(d, (Diagram, DiagramBatch)) for d in dgms):
        return dgms
    try:
        return [as_diagram(dgms)]
    except (TypeError, ValueError):
        return dgms


def fit_ranges(dgms: Any, dim: int) -> dict[str, tuple[float, float]]:
    """Ranges that cover the finite bars of dimension ``dim`` in ``dgms``, for
    :func:`persistence_image` and :func:`persistence_landscape` (a ``fit`` step).

    ``birth_range`` spans the births, ``pers_range`` runs from 0 to the largest length, and
    ``(t_min, t_max)`` spans the bars' lower and upper ends. Where there is no finite bar the
    defaults ``(0, 1)`` are kept; an empty span gets width 1.

    Parameters
    ----------
    dgms : diagram or iterable of diagrams
        A :class:`~topolayer.diagram.Diagram`, a :class:`~topolayer.diagram.DiagramBatch`,
        anything :func:`~topolayer.as_diagram` takes, or a list of them.
    dim : int
        Homology dimension.

    Returns
    -------
    dict
        ``{"birth_range": (lo, hi), "pers_range": (0, hi), "t_range": (lo, hi)}`` of floats.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[2.0, 5.0], [3.0, 3.5], [0.0, float("inf")]])])
    >>> fit_ranges(d, 0)
    {'birth_range': (2.0, 3.0), 'pers_range': (0.0, 3.0), 't_range': (2.0, 5.0)}
    """
    b_lo, b_hi, l_hi, t_lo, t_hi = [], [], [], [], []
    for d in _diagrams(dgms):
        f = _bars.flatten(d, dim)
        finite, _ = _bars.classify(f.bars)
        if not bool(finite.any()):
            continue
        bars = f.bars.detach()[finite].double()
        length, _ = _bars.lengths_means(bars, f.superlevel, torch.ones_like(finite[finite]))
        b_lo.append(float(bars[:, 0].min()))
        b_hi.append(float(bars[:, 0].max()))
        l_hi.append(float(length.max()))
        t_lo.append(float(bars.min()))
        t_hi.append(float(bars.max()))

    def span(lo: list[float], hi: list[float], floor: float | None = None) -> tuple[float, float]:
        if not lo:
            return (0.0, 1.0)
        a = min(lo) if floor is None else floor
        b = max(hi)
        return (a, b) if b > a else (a, a + 1.0)

    return {
        "birth_range": span(b_lo, b_hi),
        "pers_range": span(l_hi, l_hi, 0.0),
        "t_range": span(t_lo, t_hi),
    }


def persistence_image(
    dgm: Any,
    dim: int,
    birth_range: tuple[float, float] | None = (0.0, 1.0),
    pers_range: tuple[float, float] | None = (0.0, 1.0),
    resolution: int | tuple[int, int] = 20,
    sigma: float = 0.1,
    weight: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "persistence",
) -> torch.Tensor:
    r"""Persistence image of the finite bars of dimension ``dim``.

    Each finite bar becomes the point ``(x, y) = (b, l)`` (birth, length). The image is

    .. math:: I[i, j] = \sum_{\text{bars}} w(x, y)
              \big[\Phi(\tfrac{u_{i+1} - x}{\sigma}) - \Phi(\tfrac{u_i - x}{\sigma})\big]
              \big[\Phi(\tfrac{v_{j+1} - y}{\sigma}) - \Phi(\tfrac{v_j - y}{\sigma})\big]

    the exact integral over pixel ``[u_i, u_{i+1}] x [v_j, v_{j+1}]`` of an isotropic Gaussian
    of standard deviation ``sigma`` centred at the point, with pixel edges
    ``u = linspace(*birth_range, n_birth + 1)``, ``v = linspace(*pers_range, n_pers + 1)`` and
    ``Phi`` the standard normal CDF. This is persim's ``PersistenceImager`` with its Gaussian
    kernel (covariance ``sigma**2 I``) and its default linear weight.

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension.
    birth_range, pers_range : (float, float) or None
        Image extent along birth and persistence, ``low < high``. ``None``: from this call's
        finite bars (over the whole batch: the births' span; 0 to the largest length), as
        :func:`fit_ranges` would give; use :func:`fit_ranges` on training data to keep one
        extent for every call.
    resolution : int or (int, int)
        Number of pixels ``(n_birth, n_pers)``.
    sigma : float
        Gaussian standard deviation, ``> 0``.
    weight : {"persistence", "uniform"} or callable
        ``"persistence"``: ``w = y`` (persim's default, vanishing on the diagonal);
        ``"uniform"``: ``w = 1``; a callable ``weight(x, y)`` gets the ``(P,)`` births and
        lengths and returns ``(P,)`` weights (differentiable if written in torch).

    Returns
    -------
    (n_birth, n_pers) or (B, n_birth, n_pers) Tensor
        Axis ``-2`` runs along birth, axis ``-1`` along persistence.

    Raises
    ------
    TypeError, ValueError
        On a bad diagram, ``dim``, ranges, ``resolution``, ``sigma`` or ``weight``.

    Warns
    -----
    UserWarning
        In eager mode, when there are finite bars and every one lies more than ``3 sigma``
        outside the image: the image would be all zero.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.2, 0.7], [0.5, 0.6], [0.0, float("inf")]])])
    >>> img = persistence_image(d, 0, resolution=(4, 5), sigma=0.1)
    >>> img.shape
    torch.Size([4, 5])
    """
    birth_range = None if birth_range is None else _pair(birth_range, "birth_range")
    pers_range = None if pers_range is None else _pair(pers_range, "pers_range")
    nb, npers = _resolution(resolution)
    sigma = _validate.check_positive(sigma, "sigma")
    if not (callable(weight) or weight in ("persistence", "uniform")):
        raise ValueError(f"weight must be 'persistence', 'uniform' or a callable, got {weight!r}")
    f = _bars.flatten(dgm, dim)
    _validate.check_feature_size(
        len(f.bars),
        nb * npers + nb + npers + 2,
        f.batch_size * nb * npers,
        f.bars.element_size(),
        f"persistence_image(resolution=({nb}, {npers}))",
        "lower the resolution",
    )
    finite, _ = _bars.classify(f.bars)
    length, _ = _bars.lengths_means(f.bars, f.superlevel, finite)
    zero = torch.zeros((), dtype=f.bars.dtype, device=f.bars.device)
    x = torch.where(finite, f.bars[:, 0], zero)
    y = length
    if weight == "persistence":
        w = y
    elif weight == "uniform":
        w = torch.ones_like(y)
    else:  # validated above: weight is callable here
        w = cast(Callable[[torch.Tensor, torch.Tensor], torch.Tensor], weight)(x, y)
        if not isinstance(w, torch.Tensor) or w.shape != y.shape:
            raise ValueError(f"weight(x, y) must return a tensor of shape {tuple(y.shape)}")
    w = torch.where(finite, w, zero)
    opts: dict[str, Any] = dict(dtype=f.bars.dtype, device=f.bars.device)
    if birth_range is None:
        lo, hi = _masked_extreme(x, finite, False), _masked_extreme(x, finite, True)
        u = _span(lo, hi, nb + 1, (0.0, 1.0), f.bars)
    else:
        u = torch.linspace(birth_range[0], birth_range[1], nb + 1, **opts)
    if pers_range is None:
        v = _span(zero, _masked_extreme(y, finite, True), npers + 1, (0.0, 1.0), f.bars)
    else:
        v = torch.linspace(pers_range[0], pers_range[1], npers + 1, **opts)
    if birth_range is not None or pers_range is not None:
        reach = 3 * sigma
        inside = (x >= u[0] - reach) & (x <= u[-1] + reach)
        inside &= (y >= v[0] - reach) & (y <= v[-1] + reach)
        _warn_if_all_outside(
            inside, finite, f.bars, "persistence_image", "fit the ranges with fit_ranges()"
        )
    cu = torch.special.ndtr((u.unsqueeze(0) - x.unsqueeze(1)) / sigma)  # (P, nb+1)
    cv = torch.special.ndtr((v.unsqueeze(0) - y.unsqueeze(1)) / sigma)  # (P, np+1)
    gx = cu[:, 1:] - cu[:, :-1]
    gy = (cv[:, 1:] - cv[:, :-1]) * w.unsqueeze(1)
    per_bar = gx.unsqueeze(2) * gy.unsqueeze(1)  # (P, nb, np)
    out = _bars.segment_sum(per_bar, f.batch, f.batch_size)
    return _bars.finish(out, f)


def persistence_landscape(
    dgm: Any,
    dim: int,
    t_min: float | None = None,
    t_max: float | None = None,
    n_steps: int = 100,
    n_layers: int = 5,
) -> torch.Tensor:
    r"""Persistence landscape of the finite bars of dimension ``dim``, sampled on a grid.

    With tents :math:`\Lambda_i(t) = \max(0, \min(t - \ell_i, h_i - t))` for each finite bar
    (``l_i, h_i`` its lower and upper end: ``(b, d)`` sublevel, ``(d, b)`` superlevel),

    .. math:: \lambda_k(t) = k\text{-th largest value of } \{\Lambda_i(t)\}_i
              \quad (0 \text{ if there are fewer than } k \text{ bars})

    evaluated at ``t = linspace(t_min, t_max, n_steps)`` for ``k = 1..n_layers``.

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension.
    t_min, t_max : float or None
        Grid ends, ``t_min < t_max``. ``None``: this call's lowest (highest) finite bar end,
        over the whole batch, as :func:`fit_ranges` would give.
    n_steps : int
        Grid points, ``>= 1``.
    n_layers : int
        Number of landscape functions ``K``, ``>= 1``.

    Returns
    -------
    (n_layers, n_steps) or (B, n_layers, n_steps) Tensor

    Raises
    ------
    TypeError, ValueError
        On a bad diagram, ``dim``, grid or ``n_layers``.

    Warns
    -----
    UserWarning
        In eager mode, when there are finite bars and none meets ``(t_min, t_max)``: the
        landscape would be all zero.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 2.0], [1.0, 3.0]])])
    >>> persistence_landscape(d, 0, 0.0, 3.0, n_steps=7, n_layers=2)
    tensor([[0.0000, 0.5000, 1.0000, 0.5000, 1.0000, 0.5000, 0.0000],
            [0.0000, 0.0000, 0.0000, 0.5000, 0.0000, 0.0000, 0.0000]])
    """
    if t_min is not None and t_max is not None:
        t_min, t_max = _pair((t_min, t_max), "(t_min, t_max)")
    else:
        t_min = None if t_min is None else _validate.check_real(t_min, "t_min")
        t_max = None if t_max is None else _validate.check_real(t_max, "t_max")
    n_steps = _validate.check_int(n_steps, "n_steps", 1)
    n_layers = _validate.check_int(n_layers, "n_layers", 1)
    f = _bars.flatten(dgm, dim)
    n_bars, itemsize = len(f.bars), f.bars.element_size()
    # Work arrays, per bar and in all, in units of T values: the tents and a copy, then
    # - in eager mode: a dense (B, N, T) layout by slot within the item, N the largest item
    #   (read back from the data), for one topk;
    # - under torch.compile or any other tracing (see plain_eager), one item: the tents padded
    #   with n_layers zero rows; a batch: a segment sort, with three int64 arrays.
    counts, width = None, 0
    if plain_eager(f.bars):
        counts = torch.bincount(f.batch, minlength=f.batch_size)
        width = max(int(counts.max()) if n_bars else 0, n_layers)
        per_bar, fixed = 2, f.batch_size * width
    elif f.batch_size == 1:
        per_bar, fixed = 3, n_layers
    else:
        per_bar, fixed = 2 + 3 * max(8 // itemsize, 1), f.batch_size * (n_layers + 1)
    _validate.check_feature_size(
        n_bars,
        per_bar * n_steps,
        fixed * n_steps,
        itemsize,
        f"persistence_landscape(n_steps={n_steps}, n_layers={n_layers})",
        "lower n_steps or n_layers",
    )
    finite, _ = _bars.classify(f.bars)
    zero = torch.zeros((), dtype=f.bars.dtype, device=f.bars.device)
    safe = torch.where(finite.unsqueeze(1), f.bars, zero)
    lo = torch.minimum(safe[:, 0], safe[:, 1]).unsqueeze(1)
    hi = torch.maximum(safe[:, 0], safe[:, 1]).unsqueeze(1)
    low, high = lo.squeeze(1), hi.squeeze(1)
    lo_t = _masked_extreme(low, finite, False) if t_min is None else zero + t_min
    hi_t = _masked_extreme(high, finite, True) if t_max is None else zero + t_max
    if t_min is None or t_max is None:
        default = (0.0 if t_min is None else t_min, 1.0 if t_max is None else t_max)
        t = _span(lo_t, hi_t, n_steps, default, f.bars)
    else:
        t = torch.linspace(t_min, t_max, n_steps, dtype=f.bars.dtype, device=f.bars.device)
        inside = (high > t_min) & (low < t_max)
        _warn_if_all_outside(
            inside, finite, f.bars, "persistence_landscape", "fit the grid with fit_ranges()"
        )
    # (P, T); where() rather than clamp: a tent at exactly 0 (a grid point on a bar end, as
    # data-fitted grids have at both ends) gets zero gradient in eager and compiled code alike.
    raw = torch.minimum(t - lo, hi - t)
    tents = torch.where(raw > 0, raw, zero)
    tents = torch.where(finite.unsqueeze(1), tents, zero)
    if counts is not None:
        top = _dense_top(tents, f.batch, counts, n_layers, width)
    elif f.batch_size == 1:
        # Zero rows stand in for missing bars (tents are >= 0).
        padded = torch.cat([tents, tents.new_zeros((n_layers, n_steps))])
        top = torch.topk(padded, n_layers, dim=0).values.unsqueeze(0)
    else:
        top = _segment_top(tents, f.batch, f.batch_size, n_layers)
    top = top + _bars.anchor(f.bars)
    return _bars.finish(top, f)


def _dense_top(
    values: torch.Tensor, batch: torch.Tensor, counts: torch.Tensor, k: int, width: int
) -> torch.Tensor:
    """:func:`_segment_top` through a dense ``(B, width, T)`` layout of the rows by their slot
    within the item (``counts``: rows per item, ``width``: at least the largest count) and one
    ``topk``: several times faster, but sized by the data, which tracing cannot read."""
    order = torch.sort(batch, stable=True).indices
    starts = torch.cumsum(counts, 0) - counts
    slot = torch.empty_like(order)
    slot[order] = torch.arange(len(order), device=order.device) - starts[batch[order]]
    dense = values.new_zeros((len(counts), width, values.shape[1]))
    dense = dense.index_put((batch, slot), values)
    return torch.topk(dense, k, dim=1).values


def _segment_top(
    values: torch.Tensor, batch: torch.Tensor, batch_size: int, k: int
) -> torch.Tensor:
    """``(B, k, T)``: per batch item and column, the ``k`` largest of ``values`` (``(P, T)``,
    all ``>= 0``) in decreasing order, 0 past an item's rows.

    Each column is sorted by (item, value descending), which puts every column's items in the
    order of the sorted batch vector; an item's first ``k`` rows are scattered to their layer
    and the rest to a spare layer ``k``, dropped after. Nothing is sized by the data (such as
    the largest item), so this traces under ``torch.compile(fullgraph=True)``. Values equal
    :func:`_dense_top`'s; among tied rows, the first stored one is taken first here.
    """
    n, width = values.shape
    columns = values.T.contiguous()  # (T, P): the sorts run along contiguous rows
    order = torch.sort(columns, dim=1, descending=True, stable=True).indices
    by_item = torch.sort(batch[order], dim=1, stable=True).indices
    order = order.gather(1, by_item)
    item = torch.sort(batch).values
    rank = torch.arange(n, device=values.device) - torch.searchsorted(item, item)
    layer = torch.where(rank < k, rank, k)
    step = torch.arange(width, device=values.device).unsqueeze(1)
    out = values.new_zeros((batch_size, k + 1, width))
    out = out.index_put((item, layer, step), columns.gather(1, order))
    return out[:, :k]
