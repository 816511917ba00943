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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import torch

from . import _bars, _validate
from ._ops import plain_eager

__all__ = ["persistence_image", "persistence_landscape"]


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


def persistence_image(
    dgm: Any,
    dim: int,
    birth_range: tuple[float, float] = (0.0, 1.0),
    pers_range: tuple[float, float] = (0.0, 1.0),
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
    birth_range, pers_range : (float, float)
        Image extent along birth and persistence, ``low < high``.
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

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.2, 0.7], [0.5, 0.6], [0.0, float("inf")]])])
    >>> img = persistence_image(d, 0, resolution=(4, 5), sigma=0.1)
    >>> img.shape
    torch.Size([4, 5])
    """
    birth_range = _pair(birth_range, "birth_range")
    pers_range = _pair(pers_range, "pers_range")
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
    u = torch.linspace(birth_range[0], birth_range[1], nb + 1, **opts)
    v = torch.linspace(pers_range[0], pers_range[1], npers + 1, **opts)
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
    t_min: float,
    t_max: float,
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
    t_min, t_max : float
        Grid ends, ``t_min < t_max``.
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

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 2.0], [1.0, 3.0]])])
    >>> persistence_landscape(d, 0, 0.0, 3.0, n_steps=7, n_layers=2)
    tensor([[0.0000, 0.5000, 1.0000, 0.5000, 1.0000, 0.5000, 0.0000],
            [0.0000, 0.0000, 0.0000, 0.5000, 0.0000, 0.0000, 0.0000]])
    """
    t_min, t_max = _pair((t_min, t_max), "(t_min, t_max)")
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
    t = torch.linspace(t_min, t_max, n_steps, dtype=f.bars.dtype, device=f.bars.device)
    tents = torch.minimum(t - lo, hi - t).clamp_min(0)  # (P, T)
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
