"""Plots of persistence diagrams and barcodes (matplotlib, imported lazily).

Conventions follow persim's ``plot_diagrams``: birth on the x axis, death on the y axis, the
diagonal dashed, one colour per homology dimension (matplotlib's colour cycle, labelled
``H0``, ``H1``, ...), and essential classes drawn on a dashed line labelled ``∞`` just beyond
the finite values (``-∞`` below them for superlevel diagrams, whose essential deaths are
``-inf``). Both functions return the :class:`matplotlib.axes.Axes` they drew on.

Accepted inputs: a :class:`~topolayer.diagram.Diagram`, a ``(dgms, issublevel)`` tuple, a
ripser-style list of ``(n_k, 2)`` arrays or tensors (one per dimension), or a single
``(n, 2)`` array (dimension 0). matplotlib is an optional dependency (``topolayer[plot]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._optional import require
from .diagram import Diagram, DiagramBatch

__all__ = ["diagram", "barcode"]


def _to_arrays(dgm: Any) -> list[np.ndarray]:
    if isinstance(dgm, DiagramBatch):
        raise TypeError("dgm is a DiagramBatch: plot one item, e.g. plot.diagram(batch[0])")
    if isinstance(dgm, Diagram):
        return dgm.to_ripser()
    if (
        isinstance(dgm, (tuple, list))
        and len(dgm) == 2
        and isinstance(dgm[1], bool)
        and isinstance(dgm[0], (tuple, list))
    ):
        dgm = dgm[0]
    if isinstance(dgm, (np.ndarray, torch.Tensor)) and np.ndim(dgm) == 2:
        dgm = [dgm]
    if not isinstance(dgm, (tuple, list)):
        raise TypeError(
            "dgm must be a Diagram, a (dgms, issublevel) tuple, a list of (n, 2) arrays or one "
            f"(n, 2) array, got {type(dgm).__name__}"
        )
    out = []
    for k, a in enumerate(dgm):
        if isinstance(a, torch.Tensor):
            a = a.detach().cpu().numpy()
        a = np.asarray(a, dtype=np.float64)
        if a.size == 0:
            a = a.reshape(0, 2)
        if a.ndim != 2 or a.shape[1] != 2:
            raise ValueError(f"dgm[{k}] must have shape (n, 2), got {a.shape}")
        out.append(a)
    return out


def _select(arrays: list[np.ndarray], dims: Any) -> list[int]:
    if dims is None:
        return list(range(len(arrays)))
    if isinstance(dims, int):
        dims = [dims]
    dims = list(dims)
    for k in dims:
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(arrays):
            raise ValueError(f"dims must hold dimensions in 0..{len(arrays) - 1}, got {k!r}")
    return dims


def _extent(arrays: list[np.ndarray], dims: list[int]) -> tuple[float, float]:
    vals = np.concatenate([arrays[k][np.isfinite(arrays[k])] for k in dims] + [np.zeros(0)])
    vals = vals[~np.isnan(vals)]
    if len(vals) == 0:
        return 0.0, 1.0
    lo, hi = float(vals.min()), float(vals.max())
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def diagram(
    dgm: Any,
    ax: Any = None,
    dims: Any = None,
    labels: list[str] | None = None,
    size: float = 20.0,
    alpha: float = 0.8,
    diagonal: bool = True,
    legend: bool = True,
    title: str | None = None,
) -> Any:
    """Scatter plot of a persistence diagram, persim style.

    Parameters
    ----------
    dgm : Diagram, (dgms, issublevel) tuple, list of (n_k, 2) arrays/tensors or (n, 2) array
        The diagram; tensors are detached and copied to the CPU.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes by default.
    dims : int or sequence of int, optional
        Homology dimensions to draw (all by default).
    labels : list of str, optional
        Legend label per drawn dimension (default ``"$H_k$"``).
    size, alpha : float
        Marker size and transparency.
    diagonal : bool
        Draw the dashed diagonal.
    legend : bool
        Add a legend.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError, ValueError
        On an unsupported input, a bar array not ``(n, 2)`` or a bad ``dims``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> ax = diagram([np.array([[0.0, 1.0], [0.0, np.inf]]), np.array([[0.5, 0.7]])])
    >>> ax.get_xlabel()
    'Birth'
    """
    plt = require("matplotlib.pyplot", "plot", "topolayer.plot.diagram")

    arrays = _to_arrays(dgm)
    dims = _select(arrays, dims)
    if labels is not None and len(labels) != len(dims):
        raise ValueError(f"labels must have one entry per drawn dimension ({len(dims)})")
    ax = ax if ax is not None else plt.gca()
    lo, hi = _extent(arrays, dims)
    pad = 0.1 * (hi - lo)
    y_pinf, y_ninf = hi + pad, lo - pad
    has_pinf = any(np.isposinf(arrays[k][:, 1]).any() for k in dims)
    has_ninf = any(np.isneginf(arrays[k][:, 1]).any() for k in dims)
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    for n, k in enumerate(dims):
        a = arrays[k]
        ok = np.isfinite(a[:, 0]) & ~np.isnan(a[:, 1])
        a = a[ok]
        y = np.where(np.isposinf(a[:, 1]), y_pinf, np.where(np.isneginf(a[:, 1]), y_ninf, a[:, 1]))
        label = labels[n] if labels is not None else f"$H_{k}$"
        ax.scatter(a[:, 0], y, s=size, alpha=alpha, color=colors[k % len(colors)], label=label)
    x_lo, x_hi = lo - 1.5 * pad, hi + 1.5 * pad
    if diagonal:
        ax.plot([x_lo, x_hi], [x_lo, x_hi], "--", color="k", linewidth=1)
    if has_pinf:
        ax.plot([x_lo, x_hi], [y_pinf, y_pinf], "--", color="k", linewidth=0.75)
    if has_ninf:
        ax.plot([x_lo, x_hi], [y_ninf, y_ninf], "--", color="k", linewidth=0.75)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(x_lo, x_hi)
    ticks = list(ax.get_yticks())
    ticks = [
        t
        for t in ticks
        if x_lo <= t <= x_hi and abs(t - y_pinf) > pad / 3 and abs(t - y_ninf) > pad / 3
    ]
    tick_labels = [f"{t:g}" for t in ticks]
    if has_pinf:
        ticks.append(y_pinf)
        tick_labels.append("∞")
    if has_ninf:
        ticks.append(y_ninf)
        tick_labels.append("-∞")
    ax.set_yticks(ticks)
    ax.set_yticklabels(tick_labels)
    ax.set_xlabel("Birth")
    ax.set_ylabel("Death")
    ax.set_aspect("equal", adjustable="box")
    if legend and dims:
        ax.legend(loc="lower right")
    if title is not None:
        ax.set_title(title)
    return ax


def barcode(
    dgm: Any,
    ax: Any = None,
    dims: Any = None,
    labels: list[str] | None = None,
    linewidth: float = 2.0,
    legend: bool = True,
    title: str | None = None,
) -> Any:
    """Barcode of a persistence diagram: one horizontal segment per bar, grouped by dimension.

    Bars are drawn from birth to death (longest first within each dimension), one colour per
    dimension as in :func:`diagram`; essential bars run to a dashed ``∞`` line at the right
    (``-∞`` at the left for superlevel bars, which run downwards).

    Parameters
    ----------
    dgm : Diagram, (dgms, issublevel) tuple, list of (n_k, 2) arrays/tensors or (n, 2) array
        The diagram.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes by default.
    dims : int or sequence of int, optional
        Homology dimensions to draw (all by default).
    labels : list of str, optional
        Legend label per drawn dimension (default ``"$H_k$"``).
    linewidth : float
        Segment width.
    legend : bool
        Add a legend.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError, ValueError
        As :func:`diagram`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> ax = barcode([np.array([[0.0, 1.0], [0.0, np.inf]]), np.array([[0.5, 0.7]])])
    >>> len(ax.collections)
    2
    """
    plt = require("matplotlib.pyplot", "plot", "topolayer.plot.barcode")
    LineCollection = require(
        "matplotlib.collections", "plot", "topolayer.plot.barcode"
    ).LineCollection

    arrays = _to_arrays(dgm)
    dims = _select(arrays, dims)
    if labels is not None and len(labels) != len(dims):
        raise ValueError(f"labels must have one entry per drawn dimension ({len(dims)})")
    ax = ax if ax is not None else plt.gca()
    lo, hi = _extent(arrays, dims)
    pad = 0.1 * (hi - lo)
    x_pinf, x_ninf = hi + pad, lo - pad
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    row = 0
    has_pinf = has_ninf = False
    for n, k in enumerate(dims):
        a = arrays[k]
        a = a[np.isfinite(a[:, 0]) & ~np.isnan(a[:, 1])]
        has_pinf |= bool(np.isposinf(a[:, 1]).any())
        has_ninf |= bool(np.isneginf(a[:, 1]).any())
        end = np.where(
            np.isposinf(a[:, 1]), x_pinf, np.where(np.isneginf(a[:, 1]), x_ninf, a[:, 1])
        )
        order = np.argsort(-np.abs(end - a[:, 0]), kind="stable")
        ys = row + np.arange(len(a))
        segs = [[(a[i, 0], y), (end[i], y)] for i, y in zip(order, ys, strict=True)]
        label = labels[n] if labels is not None else f"$H_{k}$"
        ax.add_collection(
            LineCollection(segs, colors=colors[k % len(colors)], linewidths=linewidth, label=label)
        )
        row += len(a) + 1
    if has_pinf:
        ax.axvline(x_pinf, linestyle="--", color="k", linewidth=0.75)
    if has_ninf:
        ax.axvline(x_ninf, linestyle="--", color="k", linewidth=0.75)
    ax.set_xlim(lo - 1.5 * pad, hi + 1.5 * pad)
    ax.set_ylim(row, -1)
    ticks = [
        t
        for t in ax.get_xticks()
        if lo - 1.5 * pad <= t <= hi + 1.5 * pad
        and abs(t - x_pinf) > pad / 3
        and abs(t - x_ninf) > pad / 3
    ]
    tick_labels = [f"{t:g}" for t in ticks]
    if has_pinf:
        ticks.append(x_pinf)
        tick_labels.append("∞")
    if has_ninf:
        ticks.append(x_ninf)
        tick_labels.append("-∞")
    ax.set_xticks(ticks)
    ax.set_xticklabels(tick_labels)
    ax.set_yticks([])
    ax.set_xlabel("Filtration value")
    if legend and dims:
        ax.legend(loc="best")
    if title is not None:
        ax.set_title(title)
    return ax
