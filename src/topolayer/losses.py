"""Differentiable features of persistence diagrams, and the losses built from them.

Every function takes a :class:`~topolayer.diagram.Diagram`, a
:class:`~topolayer.diagram.DiagramBatch` or the reference implementation's
``(dgms, issublevel)`` tuple, plus the homology dimension ``dim`` to read. A ``Diagram`` or a
tuple gives one value (a 0-d tensor, or a fixed-size tensor for vector features); a
``DiagramBatch`` gives one value per batch item along leading axes ``batch.batch_shape``
(written ``(B,)`` in the docstrings; e.g. ``(B, C)`` for a batch of multi-channel images).
Batches are reduced with ``index_add`` and a segment sort, never with a Python loop.

Conventions shared by all features (see also :mod:`topolayer._bars`):

- A bar ``(b, d)`` has **length** ``l = d - b`` for sublevel diagrams and ``l = b - d`` for
  superlevel diagrams (their bars run downwards), and **midpoint** ``m = (b + d) / 2``.
- **Finite** bars have a finite birth and death. **Essential** bars have a finite birth and an
  infinite death (``+inf`` sublevel, ``-inf`` superlevel). Rows with a non-finite birth or a
  NaN (the reference implementation's padding) are ignored everywhere.
- The reference implementation's four features (:func:`sum_barcode_lengths`,
  :func:`top_k_barcode_lengths`, :func:`partial_sum_barcode_lengths`,
  :func:`barcode_poly_feature`) **drop essential bars**, as the reference does.
- The paper's generic feature :func:`barcode_feature` and :func:`topological_prior` **rank
  essential bars first** (they are the longest bars) and give them a **zero term**, so that
  ``i0 = 2`` on ``H0`` skips the one essential class. The two rules differ: on a diagram with
  an essential bar, ``partial_sum_barcode_lengths(dgm, 0, skip=1)`` skips the longest *finite*
  bar, while ``barcode_feature(dgm, 0, 1, 0, i0=2)`` skips the essential bar.
- Every output stays connected to the autograd graph, also on empty diagrams (the gradient is
  a zero tensor, never ``None``), so DistributedDataParallel needs no
  ``find_unused_parameters``. No ``inf``/``nan`` ever reaches the backward pass from an
  essential bar or a zero-length bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from . import _bars, _validate
from ._bars import Flat
from ._cldice import cldice_loss
from ._seglosses import betti_matching_loss, hu_topo_loss
from ._signature import dims_tuple, signature_loss

__all__ = [
    "sum_barcode_lengths",
    "top_k_barcode_lengths",
    "partial_sum_barcode_lengths",
    "barcode_poly_feature",
    "barcode_feature",
    "total_persistence",
    "persistence_entropy",
    "betti_number",
    "betti_curve",
    "topological_prior",
    "signature_loss",
    "summary_statistic_loss",
    "betti_matching_loss",
    "hu_topo_loss",
    "cldice_loss",
]


def _finite_lengths(f: Flat) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    finite, essential = _bars.classify(f.bars)
    length, mean = _bars.lengths_means(f.bars, f.superlevel, finite)
    return length, mean, finite, essential


def _rank(
    f: Flat,
    length: torch.Tensor,
    finite: torch.Tensor,
    essential: torch.Tensor,
    essential_first: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rank of every row within its item by decreasing length (``rank`` indexed like rows)."""
    inf = torch.tensor(float("inf"), dtype=length.dtype, device=length.device)
    key = torch.where(finite, length.detach(), -inf)
    if essential_first:
        key = torch.where(essential, inf, key)
    perm, rank_sorted = _bars.segment_rank(key, f.batch, f.batch_size)
    rank = torch.empty_like(rank_sorted)
    rank[perm] = rank_sorted
    return rank, key


def _poly_terms(length: torch.Tensor, mean: torch.Tensor, p: float, q: float) -> torch.Tensor:
    terms = _bars.safe_pow(length.clamp_min(0) if p < 1 else length, p)
    if q != 0:
        terms = terms * torch.pow(mean, q)
    return terms


def sum_barcode_lengths(dgm: Any, dim: int = 0) -> torch.Tensor:
    r"""Sum of the finite bar lengths in dimension ``dim`` (the reference's feature).

    .. math:: S(\mathrm{PD}_k) = \sum_{i \text{ finite}} l_i

    with ``l = d - b`` (sublevel) or ``l = b - d`` (superlevel). Essential bars and padding
    rows are ignored.

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension, ``0 <= dim <= max_dim``.

    Returns
    -------
    () or (B,) Tensor
        One sum per diagram.

    Raises
    ------
    TypeError
        If ``dgm`` is not a supported diagram type or ``dim`` is not an int.
    ValueError
        If ``dim`` is out of range or a bar tensor is not ``(n, 2)``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 1.0], [0.5, 3.0], [0.0, float("inf")]])])
    >>> sum_barcode_lengths(d, 0)
    tensor(3.5000)
    """
    f = _bars.flatten(dgm, dim)
    length = _finite_lengths(f)[0]  # 0 on essential and padding rows
    return _bars.finish(_bars.segment_sum(length, f.batch, f.batch_size), f)


def top_k_barcode_lengths(dgm: Any, dim: int, k: int) -> torch.Tensor:
    r"""The ``k`` longest finite bar lengths, in decreasing order, zero-padded to ``k``.

    .. math:: T_k(\mathrm{PD}) = (l_{(1)}, \dots, l_{(k)}), \quad l_{(1)} \ge l_{(2)} \ge \dots

    where ``l_(j) = 0`` when the diagram has fewer than ``j`` finite bars. Essential bars and
    padding rows are ignored (as in the reference implementation, where they become zeros).

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension.
    k : int
        Number of lengths, ``k >= 1``.

    Returns
    -------
    (k,) or (B, k) Tensor
        Lengths per diagram.

    Raises
    ------
    TypeError, ValueError
        On a bad diagram, ``dim`` or ``k`` (``k < 1``).

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 1.0], [0.5, 3.0], [0.0, float("inf")]])])
    >>> top_k_barcode_lengths(d, 0, 3)
    tensor([2.5000, 1.0000, 0.0000])
    """
    k = _validate.check_int(k, "k", 1)
    f = _bars.flatten(dgm, dim)
    length, _, finite, essential = _finite_lengths(f)
    rank, _ = _rank(f, length, finite, essential, essential_first=False)
    keep = finite & (rank < k)
    # Rows past the k-th go to a spare column k, dropped after: a mask would select a
    # data-dependent number of rows, which torch.compile cannot trace without a graph break.
    column = torch.where(keep, rank, k)
    out = length.new_zeros((f.batch_size, k + 1))
    out = out.index_put((f.batch, column), torch.where(keep, length, 0))[:, :k]
    # index_put with no bars is still connected to `length` through `out`.
    out = out + _bars.anchor(length)
    return _bars.finish(out, f)


def partial_sum_barcode_lengths(dgm: Any, dim: int, skip: int) -> torch.Tensor:
    r"""Sum of the finite bar lengths after skipping the ``skip`` longest (reference feature).

    .. math:: P_s(\mathrm{PD}) = \sum_{j > s} l_{(j)}

    over finite bars sorted by decreasing length. Essential bars are dropped *before* ranking,
    as in the reference implementation (compare :func:`barcode_feature`, which ranks them
    first).

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension.
    skip : int
        Number of longest finite bars left out, ``skip >= 0``.

    Returns
    -------
    () or (B,) Tensor

    Raises
    ------
    TypeError, ValueError
        On a bad diagram, ``dim`` or ``skip`` (``skip < 0``).

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 1.0], [0.5, 3.0], [0.0, float("inf")]])])
    >>> partial_sum_barcode_lengths(d, 0, skip=1)
    tensor(1.)
    """
    skip = _validate.check_int(skip, "skip", 0)
    f = _bars.flatten(dgm, dim)
    length, _, finite, essential = _finite_lengths(f)
    rank, _ = _rank(f, length, finite, essential, essential_first=False)
    vals = torch.where(finite & (rank >= skip), length, torch.zeros_like(length))
    return _bars.finish(_bars.segment_sum(vals, f.batch, f.batch_size), f)


def barcode_poly_feature(
    dgm: Any, dim: int, p: float, q: float, remove_zero: bool = True
) -> torch.Tensor:
    r"""Polynomial of lengths and midpoints over the finite bars (the reference's feature).

    .. math:: F_{p,q}(\mathrm{PD}) = \sum_{i \text{ finite}} l_i^{\,p}\, m_i^{\,q},
       \qquad m_i = (b_i + d_i)/2

    Essential bars and padding rows are ignored. With ``remove_zero=True`` bars with
    ``b == d`` are removed first. Since ``p > 0`` their term is 0 either way, so the flag only
    changes gradients: removed bars get none; kept ones get the derivative of ``l ** p`` at
    ``l = 0``, which is 0 except for ``p = 1`` (for ``p < 1`` the zero subgradient is used
    instead of ``inf``).

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension.
    p : float
        Exponent of the lengths, ``p > 0``.
    q : float
        Exponent of the midpoints (any real; a non-integer ``q`` needs non-negative midpoints,
        a negative ``q`` non-zero midpoints, as for :func:`torch.pow`).
    remove_zero : bool
        Drop zero-length bars (the reference's default).

    Returns
    -------
    () or (B,) Tensor

    Raises
    ------
    TypeError, ValueError
        On a bad diagram, ``dim``, ``p`` (``p <= 0``) or ``q`` (not finite).

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 1.0], [1.0, 3.0], [0.0, float("inf")]])])
    >>> barcode_poly_feature(d, 0, p=2, q=1)   # 1**2 * 0.5 + 2**2 * 2
    tensor(8.5000)
    """
    p = _validate.check_positive(p, "p")
    q = _validate.check_real(q, "q")
    f = _bars.flatten(dgm, dim)
    length, mean, finite, _ = _finite_lengths(f)
    keep = finite
    if remove_zero:
        keep = keep & (f.bars[:, 0] != f.bars[:, 1])
    length = torch.where(keep, length, torch.zeros_like(length))
    mean = torch.where(keep, mean, torch.ones_like(mean))
    terms = torch.where(keep, _poly_terms(length, mean, p, q), torch.zeros_like(length))
    return _bars.finish(_bars.segment_sum(terms, f.batch, f.batch_size), f)


def barcode_feature(
    dgm: Any, dim: int, p: float = 1.0, q: float = 0.0, i0: int = 1
) -> torch.Tensor:
    r"""The paper's generic feature :math:`E(p, q, i_0; \mathrm{PD}_k)`.

    .. math:: E(p, q, i_0; \mathrm{PD}_k) = \sum_{i \ge i_0} |d_i - b_i|^{p}
       \left(\frac{d_i + b_i}{2}\right)^{q}

    over the bars of dimension ``k`` sorted by decreasing length (``i = 1`` is the longest).

    **Essential bars** are the longest bars: they take the first positions of the order
    (ties among them keep the stored order) and contribute a **zero term** (their birth gets
    zero gradient). So on ``H0`` with one essential class, ``E(p, q, 1)`` and ``E(p, q, 2)``
    are both the sum over the finite bars, ``E(1, 0, 2; PD0)`` reads "one component stays,
    all others should vanish", and ``E(1, 0, 4; PD0)`` also skips the two longest finite
    bars. Ties among finite bars of equal length keep the stored order. Padding rows are
    ignored. Lengths are ``d - b`` (sublevel) or ``b - d`` (superlevel).

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension ``k``.
    p : float
        Exponent of the lengths, ``p > 0``.
    q : float
        Exponent of the midpoints (see :func:`barcode_poly_feature`).
    i0 : int
        First index summed, ``i0 >= 1``.

    Returns
    -------
    () or (B,) Tensor

    Raises
    ------
    TypeError, ValueError
        On a bad diagram, ``dim``, ``p`` (``p <= 0``), ``q`` or ``i0`` (``i0 < 1``).

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> inf = float("inf")
    >>> d = Diagram([torch.tensor([[0.0, inf], [0.0, 1.0], [0.5, 3.0], [1.0, 1.5]])])
    >>> barcode_feature(d, 0, p=1, q=0, i0=2)   # essential skipped: 1 + 2.5 + 0.5
    tensor(4.)
    >>> barcode_feature(d, 0, p=1, q=0, i0=3)   # also skips the 2.5 bar
    tensor(1.5000)
    """
    p = _validate.check_positive(p, "p")
    q = _validate.check_real(q, "q")
    i0 = _validate.check_int(i0, "i0", 1)
    f = _bars.flatten(dgm, dim)
    length, mean, finite, essential = _finite_lengths(f)
    rank, _ = _rank(f, length, finite, essential, essential_first=True)
    keep = finite & (rank >= i0 - 1)
    length = torch.where(keep, length, torch.zeros_like(length))
    mean = torch.where(keep, mean, torch.ones_like(mean))
    terms = torch.where(keep, _poly_terms(length, mean, p, q), torch.zeros_like(length))
    return _bars.finish(_bars.segment_sum(terms, f.batch, f.batch_size), f)


def total_persistence(dgm: Any, dim: int = 0, p: float = 1.0, root: bool = True) -> torch.Tensor:
    r"""Total persistence: the ``p``-norm of the finite bar lengths.

    .. math:: \mathrm{Pers}_p(\mathrm{PD}_k) = \Big(\sum_{i \text{ finite}} l_i^{\,p}\Big)^{1/p}

    (``root=False`` returns the sum without the root, the "degree-p total persistence";
    ``p = inf`` gives the longest finite length, 0 for no finite bar). Essential bars and
    padding are ignored. The root has a zero subgradient at 0 (empty diagrams give 0 with a
    zero gradient).

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension.
    p : float
        Order, ``p > 0`` (``float("inf")`` allowed).
    root : bool
        Take the ``1/p`` root (the norm); ignored for ``p = inf``.

    Returns
    -------
    () or (B,) Tensor

    Raises
    ------
    TypeError, ValueError
        On a bad diagram, ``dim`` or ``p``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 3.0], [1.0, 5.0], [0.0, float("inf")]])])
    >>> total_persistence(d, 0, p=2)
    tensor(5.)
    >>> total_persistence(d, 0, p=2, root=False)
    tensor(25.)
    """
    p = _validate.check_positive(p, "p", allow_inf=True)
    f = _bars.flatten(dgm, dim)
    length, _, finite, _ = _finite_lengths(f)
    length = torch.where(finite, length.clamp_min(0), torch.zeros_like(length))
    if p == float("inf"):
        out = length.new_zeros(f.batch_size).scatter_reduce(
            0, f.batch, length, reduce="amax", include_self=True
        )
        out = out + _bars.anchor(length)
        return _bars.finish(out, f)
    s = _bars.segment_sum(_bars.safe_pow(length, p), f.batch, f.batch_size)
    out = _bars.safe_root(s, p) if root else s
    return _bars.finish(out, f)


def persistence_entropy(dgm: Any, dim: int = 0, normalize: bool = False) -> torch.Tensor:
    r"""Persistence entropy of the finite bars (Chintakunta et al. 2015).

    .. math:: H(\mathrm{PD}_k) = -\sum_i \frac{l_i}{L} \log\frac{l_i}{L},
       \qquad L = \sum_i l_i

    over finite bars with ``l_i > 0``; ``H = 0`` when there are none. With ``normalize=True``
    the entropy is divided by ``log n`` (``n`` the number of such bars; 0 when ``n < 2``), so it
    lies in ``[0, 1]``. Essential bars and padding are ignored.

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension.
    normalize : bool
        Divide by ``log n``.

    Returns
    -------
    () or (B,) Tensor

    Raises
    ------
    TypeError, ValueError
        On a bad diagram or ``dim``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 1.0], [2.0, 3.0]])])
    >>> persistence_entropy(d, 0)   # log 2
    tensor(0.6931)
    """
    f = _bars.flatten(dgm, dim)
    length, _, finite, _ = _finite_lengths(f)
    pos = finite & (length > 0)
    length = torch.where(pos, length, torch.zeros_like(length))
    total = _bars.segment_sum(length, f.batch, f.batch_size)
    tb = _bars.segment_expand(total, f.batch, f.batch_size)
    prob = torch.where(pos, length / torch.where(pos, tb, torch.ones_like(tb)), torch.ones_like(tb))
    # A length so small that l / L underflows to 0 contributes 0 (the limit of -p log p), with a
    # zero gradient instead of 0 * inf = NaN.
    live = pos & (prob > 0)
    safe = torch.where(live, prob, torch.ones_like(prob))
    terms = torch.where(live, -safe * torch.log(safe), torch.zeros_like(prob))
    h = _bars.segment_sum(terms, f.batch, f.batch_size)
    if normalize:
        n = _bars.segment_sum(pos.to(h.dtype), f.batch, f.batch_size)
        ok = n >= 2
        h = torch.where(ok, h / torch.log(torch.where(ok, n, torch.full_like(n, 2.0))), h * 0)
    return _bars.finish(h, f)


def _alive(f: Flat, t: torch.Tensor) -> torch.Tensor:
    """``(P, T)`` float mask: bar ``i`` alive at value ``t_j``."""
    finite, essential = _bars.classify(f.bars)
    valid = (finite | essential).unsqueeze(1)
    b = f.bars[:, 0].detach().unsqueeze(1)
    d = f.bars[:, 1].detach().unsqueeze(1)
    if f.superlevel:
        alive = (t <= b) & (t > d)
    else:
        alive = (b <= t) & (t < d)
    return (alive & valid).to(f.bars.dtype)


def betti_number(dgm: Any, dim: int, t: Any) -> torch.Tensor:
    r"""Betti number :math:`\beta_k(t)`: the number of classes alive at filtration value ``t``.

    Sublevel: bar ``(b, d)`` is alive at ``t`` when ``b <= t < d``; superlevel (bars run
    downwards): when ``d < t <= b``. Essential bars are alive from their birth on. Padding is
    ignored. The value is piecewise constant, so its gradient is 0; the output nevertheless
    stays connected to the graph.

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension.
    t : float or Tensor of any shape ``S``
        Filtration value(s).

    Returns
    -------
    S or (B, \*S) Tensor
        Counts, in the bars' floating dtype.

    Raises
    ------
    TypeError, ValueError
        On a bad diagram, ``dim`` or ``t``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 1.0], [0.5, 3.0], [0.0, float("inf")]])])
    >>> betti_number(d, 0, 0.75)
    tensor(3.)
    >>> betti_number(d, 0, torch.tensor([0.0, 2.0, 5.0]))
    tensor([2., 2., 1.])
    """
    f = _bars.flatten(dgm, dim)
    if isinstance(t, torch.Tensor):
        if t.is_complex():
            raise TypeError(f"t must be a real tensor, got dtype {t.dtype}")
        tt = t.detach().to(device=f.bars.device, dtype=f.bars.dtype)
    elif isinstance(t, (int, float)) and not isinstance(t, bool):
        tt = torch.tensor(float(t), dtype=f.bars.dtype, device=f.bars.device)
    else:
        raise TypeError(f"t must be a number or a tensor, got {type(t).__name__}")
    shape = tt.shape
    flat_t = tt.reshape(1, -1)
    alive = _alive(f, flat_t)
    out = _bars.segment_sum(alive, f.batch, f.batch_size) + _bars.anchor(f.bars)
    out = out.reshape((f.batch_size,) + tuple(shape))
    return _bars.finish(out, f)


def betti_curve(dgm: Any, dim: int, t_min: float, t_max: float, n_steps: int = 100) -> torch.Tensor:
    r"""The Betti curve :math:`t \mapsto \beta_k(t)` sampled on a fixed grid.

    The grid is ``torch.linspace(t_min, t_max, n_steps)``; the value at each point follows
    :func:`betti_number`.

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension.
    t_min, t_max : float
        Grid ends, ``t_min <= t_max``.
    n_steps : int
        Number of grid points, ``>= 1``.

    Returns
    -------
    (n_steps,) or (B, n_steps) Tensor

    Raises
    ------
    TypeError, ValueError
        On a bad diagram, ``dim``, grid ends or ``n_steps``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 1.0], [0.5, 3.0]])])
    >>> betti_curve(d, 0, 0.0, 4.0, 5)
    tensor([1., 1., 1., 0., 0.])
    """
    t_min = _validate.check_real(t_min, "t_min")
    t_max = _validate.check_real(t_max, "t_max")
    if t_max < t_min:
        raise ValueError(f"t_max must be >= t_min, got t_min={t_min}, t_max={t_max}")
    n_steps = _validate.check_int(n_steps, "n_steps", 1)
    f = _bars.flatten(dgm, dim)
    _validate.check_feature_size(
        len(f.bars),
        3 * n_steps,
        f.batch_size * n_steps,
        f.bars.element_size(),
        f"betti_curve(n_steps={n_steps})",
        "lower n_steps",
    )
    grid = torch.linspace(t_min, t_max, n_steps, dtype=f.bars.dtype, device=f.bars.device)
    return betti_number(dgm, dim, grid)


def topological_prior(
    dgm: Any, dim: int = 0, k: int = 1, eps: float | None = None, p: float = 1.0
) -> torch.Tensor:
    r"""Loss for the prior "exactly ``k`` bars of length ``>= eps`` in dimension ``dim``".

    Bars are ranked by decreasing length, essential bars first (as in
    :func:`barcode_feature`). The bars beyond the ``k`` longest are penalised and the ``k``
    longest are rewarded:

    .. math:: \mathcal{L} = \sum_{i > k} l_i^{\,p} \;-\; \sum_{i \le k} l_i^{\,p}
       \qquad (\texttt{eps=None})

    .. math:: \mathcal{L} = \sum_{i > k} l_i^{\,p}
       \;+\; \sum_{i \le k} \max(\varepsilon - l_i, 0)^{p}
       \qquad (\texttt{eps} = \varepsilon)

    With ``eps`` the loss is ``>= 0`` and is 0 exactly when the ``k`` longest bars have length
    ``>= eps`` and all others length 0. An essential bar among the ``k`` longest has a zero term
    (it already persists forever). So ``topological_prior(dgm, 0, 1)`` on a diagram with one
    essential ``H0`` class equals ``E(p, 0, 2; PD0)``, the paper's prior "one connected
    component".

    Parameters
    ----------
    dgm : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagram(s).
    dim : int
        Homology dimension.
    k : int
        Number of bars that should persist, ``k >= 0``.
    eps : float, optional
        Target length of the ``k`` kept bars, ``eps > 0``; ``None`` rewards them without bound.
    p : float
        Exponent of the lengths, ``p > 0``.

    Returns
    -------
    () or (B,) Tensor

    Raises
    ------
    TypeError, ValueError
        On a bad diagram, ``dim``, ``k``, ``eps`` or ``p``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, 1.0], [0.0, 3.0], [1.0, 1.5]])])
    >>> topological_prior(d, 0, k=1)            # (1 + 0.5) - 3
    tensor(-1.5000)
    >>> topological_prior(d, 0, k=1, eps=4.0)   # (1 + 0.5) + (4 - 3)
    tensor(2.5000)
    """
    k = _validate.check_int(k, "k", 0)
    p = _validate.check_positive(p, "p")
    if eps is not None:
        eps = _validate.check_positive(eps, "eps")
    f = _bars.flatten(dgm, dim)
    length, _, finite, essential = _finite_lengths(f)
    rank, _ = _rank(f, length, finite, essential, essential_first=True)
    length = torch.where(finite, length.clamp_min(0), torch.zeros_like(length))
    top = finite & (rank < k)
    rest = finite & (rank >= k)
    zero = torch.zeros_like(length)
    penalty = torch.where(rest, _bars.safe_pow(length, p), zero)
    if eps is None:
        reward = torch.where(top, _bars.safe_pow(length, p), zero)
        terms = penalty - reward
    else:
        short = torch.where(top, (eps - length).clamp_min(0), zero)
        terms = penalty + torch.where(top, _bars.safe_pow(short, p), zero)
    return _bars.finish(_bars.segment_sum(terms, f.batch, f.batch_size), f)


_STATISTICS = ("total_persistence", "persistence_entropy", "sum_barcode_lengths")


def summary_statistic_loss(
    dgm: Any,
    target: Any = None,
    statistic: str = "total_persistence",
    dims: int | Sequence[int] = (0, 1),
    p: float = 1.0,
    **kwargs: Any,
) -> torch.Tensor:
    r"""``|s(dgm) - s(target)|^p`` for a summary statistic ``s`` summed over ``dims``.

    ``s`` is one of :func:`~topolayer.losses.total_persistence`,
    :func:`~topolayer.losses.persistence_entropy` or
    :func:`~topolayer.losses.sum_barcode_lengths` (``kwargs`` go to it); without a ``target``
    the loss is ``|s(dgm)|^p``. torch-topological's ``SummaryStatisticLoss`` computes the same
    form; note that its ``total_persistence(p=...)`` is the sum of ``length^p`` without a root
    (here: ``total_persistence(..., root=False)``).

    Examples
    --------
    >>> import torch
    >>> from topolayer import Diagram
    >>> from topolayer.losses import summary_statistic_loss
    >>> d = Diagram([torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 2.0]])])
    >>> summary_statistic_loss(d)
    tensor(3.)
    """
    if statistic not in _STATISTICS:
        raise ValueError(f"statistic must be one of {_STATISTICS}, got {statistic!r}")
    fn = globals()[statistic]
    dims = dims_tuple(dims)
    p = _validate.check_positive(p, "p")

    def s(d: Any) -> torch.Tensor:
        return torch.stack([fn(d, k, **kwargs) for k in dims]).sum(0)

    value = s(dgm) if target is None else s(dgm) - s(target)
    return value.abs().pow(p)
