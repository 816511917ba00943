"""``nn.Module`` wrappers of the diagram features, losses, distances and vectorisations.

The first four keep the reference implementation's names and arguments
(``SumBarcodeLengths(dim=0)``, ``TopKBarcodeLengths(dim, k)``,
``PartialSumBarcodeLengths(dim, skip)``, ``BarcodePolyFeature(dim, p, q, remove_zero=True)``)
so scripts written for it keep working. Every module is a thin wrapper of the function of the
same name in :mod:`topolayer.losses`, :mod:`topolayer.distances` or
:mod:`topolayer.vectorize` (formulas and rules are documented there), validates its arguments
at construction, and accepts a :class:`~topolayer.diagram.Diagram` (one value), a
:class:`~topolayer.diagram.DiagramBatch` (one value per item, along the batch's
``batch_shape`` axes, written ``B``) or
the reference implementation's ``(dgms, issublevel)`` tuple (one value, as the reference).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .. import _validate, distances, losses, vectorize

__all__ = [
    "SumBarcodeLengths",
    "TopKBarcodeLengths",
    "PartialSumBarcodeLengths",
    "BarcodePolyFeature",
    "BarcodeFeature",
    "TopologicalPrior",
    "TotalPersistence",
    "PersistenceEntropy",
    "BettiCurve",
    "WassersteinDistance",
    "BottleneckDistance",
    "PersistenceImage",
    "PersistenceLandscape",
]


def _dim(dim: Any) -> int:
    return _validate.check_int(dim, "dim", 0)


class SumBarcodeLengths(nn.Module):
    """Sum of the finite bar lengths in dimension ``dim``.

    See :func:`topolayer.losses.sum_barcode_lengths`.

    Parameters
    ----------
    dim : int
        Homology dimension (default 0).

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> SumBarcodeLengths(dim=0)(Diagram([torch.tensor([[0.0, 1.0], [0.5, 3.0]])]))
    tensor(3.5000)
    """

    def __init__(self, dim: int = 0) -> None:
        super().__init__()
        self.dim = _dim(dim)

    def forward(self, dgm: Any) -> torch.Tensor:
        """``()`` or ``(B,)`` sums."""
        return losses.sum_barcode_lengths(dgm, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class TopKBarcodeLengths(nn.Module):
    """The ``k`` longest finite lengths, zero-padded.

    See :func:`topolayer.losses.top_k_barcode_lengths`.

    Parameters
    ----------
    dim : int
        Homology dimension.
    k : int
        Number of lengths, ``>= 1``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> TopKBarcodeLengths(dim=0, k=3)(Diagram([torch.tensor([[0.0, 1.0], [0.5, 3.0]])]))
    tensor([2.5000, 1.0000, 0.0000])
    """

    def __init__(self, dim: int, k: int) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.k = _validate.check_int(k, "k", 1)

    def forward(self, dgm: Any) -> torch.Tensor:
        """``(k,)`` or ``(B, k)`` lengths."""
        return losses.top_k_barcode_lengths(dgm, self.dim, self.k)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, k={self.k}"


class PartialSumBarcodeLengths(nn.Module):
    """Sum of finite lengths but the ``skip`` longest.

    See :func:`topolayer.losses.partial_sum_barcode_lengths`.

    Parameters
    ----------
    dim : int
        Homology dimension.
    skip : int
        Number of longest finite bars left out, ``>= 0``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> m = PartialSumBarcodeLengths(dim=0, skip=1)
    >>> m(Diagram([torch.tensor([[0.0, 1.0], [0.5, 3.0]])]))
    tensor(1.)
    """

    def __init__(self, dim: int, skip: int) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.skip = _validate.check_int(skip, "skip", 0)

    def forward(self, dgm: Any) -> torch.Tensor:
        """``()`` or ``(B,)`` sums."""
        return losses.partial_sum_barcode_lengths(dgm, self.dim, self.skip)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, skip={self.skip}"


class BarcodePolyFeature(nn.Module):
    """Sum of ``length**p * midpoint**q`` over finite bars.

    See :func:`topolayer.losses.barcode_poly_feature`.

    Parameters
    ----------
    dim : int
        Homology dimension.
    p : float
        Exponent of the lengths, ``> 0``.
    q : float
        Exponent of the midpoints.
    remove_zero : bool
        Drop zero-length bars first (the reference's default).

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> BarcodePolyFeature(0, 2, 1)(Diagram([torch.tensor([[0.0, 1.0], [1.0, 3.0]])]))
    tensor(8.5000)
    """

    def __init__(self, dim: int, p: float, q: float, remove_zero: bool = True) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.p = _validate.check_positive(p, "p")
        self.q = _validate.check_real(q, "q")
        self.remove_zero = bool(remove_zero)

    def forward(self, dgm: Any) -> torch.Tensor:
        """``()`` or ``(B,)`` values."""
        return losses.barcode_poly_feature(dgm, self.dim, self.p, self.q, self.remove_zero)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, p={self.p}, q={self.q}, remove_zero={self.remove_zero}"


class BarcodeFeature(nn.Module):
    """The paper's ``E(p, q, i0; PD_dim)``; see :func:`topolayer.losses.barcode_feature`.

    Parameters
    ----------
    dim : int
        Homology dimension.
    p : float
        Exponent of the lengths, ``> 0``.
    q : float
        Exponent of the midpoints.
    i0 : int
        First index summed (bars sorted by decreasing length, essential bars first), ``>= 1``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, float("inf")], [0.0, 1.0], [0.5, 3.0]])])
    >>> BarcodeFeature(dim=0, p=1, q=0, i0=2)(d)   # one component should stay
    tensor(3.5000)
    """

    def __init__(self, dim: int, p: float = 1.0, q: float = 0.0, i0: int = 1) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.p = _validate.check_positive(p, "p")
        self.q = _validate.check_real(q, "q")
        self.i0 = _validate.check_int(i0, "i0", 1)

    def forward(self, dgm: Any) -> torch.Tensor:
        """``()`` or ``(B,)`` values."""
        return losses.barcode_feature(dgm, self.dim, self.p, self.q, self.i0)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, p={self.p}, q={self.q}, i0={self.i0}"


class TopologicalPrior(nn.Module):
    """Loss for "exactly ``k`` bars (of length ``>= eps``) in dimension ``dim``".

    See :func:`topolayer.losses.topological_prior`.

    Parameters
    ----------
    dim : int
        Homology dimension (default 0).
    k : int
        Number of bars that should persist (default 1), ``>= 0``.
    eps : float, optional
        Target length of the kept bars; ``None`` rewards them without bound.
    p : float
        Exponent of the lengths, ``> 0``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> d = Diagram([torch.tensor([[0.0, float("inf")], [0.0, 1.0], [0.5, 3.0]])])
    >>> TopologicalPrior(dim=0, k=1)(d)      # the essential class is the one kept
    tensor(3.5000)
    """

    def __init__(self, dim: int = 0, k: int = 1, eps: float | None = None, p: float = 1.0) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.k = _validate.check_int(k, "k", 0)
        self.eps = None if eps is None else _validate.check_positive(eps, "eps")
        self.p = _validate.check_positive(p, "p")

    def forward(self, dgm: Any) -> torch.Tensor:
        """``()`` or ``(B,)`` losses."""
        return losses.topological_prior(dgm, self.dim, self.k, self.eps, self.p)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, k={self.k}, eps={self.eps}, p={self.p}"


class TotalPersistence(nn.Module):
    """The ``p``-norm of the finite lengths; see :func:`topolayer.losses.total_persistence`.

    Parameters
    ----------
    dim : int
        Homology dimension (default 0).
    p : float
        Order, ``> 0`` (``inf`` allowed).
    root : bool
        Take the ``1/p`` root.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> TotalPersistence(0, p=2)(Diagram([torch.tensor([[0.0, 3.0], [1.0, 5.0]])]))
    tensor(5.)
    """

    def __init__(self, dim: int = 0, p: float = 1.0, root: bool = True) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.p = _validate.check_positive(p, "p", allow_inf=True)
        self.root = bool(root)

    def forward(self, dgm: Any) -> torch.Tensor:
        """``()`` or ``(B,)`` values."""
        return losses.total_persistence(dgm, self.dim, self.p, self.root)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, p={self.p}, root={self.root}"


class PersistenceEntropy(nn.Module):
    """Persistence entropy; see :func:`topolayer.losses.persistence_entropy`.

    Parameters
    ----------
    dim : int
        Homology dimension (default 0).
    normalize : bool
        Divide by ``log n``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> PersistenceEntropy(0)(Diagram([torch.tensor([[0.0, 1.0], [2.0, 3.0]])]))
    tensor(0.6931)
    """

    def __init__(self, dim: int = 0, normalize: bool = False) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.normalize = bool(normalize)

    def forward(self, dgm: Any) -> torch.Tensor:
        """``()`` or ``(B,)`` entropies."""
        return losses.persistence_entropy(dgm, self.dim, self.normalize)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, normalize={self.normalize}"


class BettiCurve(nn.Module):
    """Betti curve on ``linspace(t_min, t_max, n_steps)``; see :func:`topolayer.losses.betti_curve`.

    Parameters
    ----------
    dim : int
        Homology dimension.
    t_min, t_max : float
        Grid ends.
    n_steps : int
        Grid points.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> BettiCurve(0, 0.0, 4.0, 5)(Diagram([torch.tensor([[0.0, 1.0], [0.5, 3.0]])]))
    tensor([1., 1., 1., 0., 0.])
    """

    def __init__(self, dim: int, t_min: float, t_max: float, n_steps: int = 100) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.t_min = _validate.check_real(t_min, "t_min")
        self.t_max = _validate.check_real(t_max, "t_max")
        if self.t_max < self.t_min:
            raise ValueError(f"t_max must be >= t_min, got t_min={t_min}, t_max={t_max}")
        self.n_steps = _validate.check_int(n_steps, "n_steps", 1)

    def forward(self, dgm: Any) -> torch.Tensor:
        """``(n_steps,)`` or ``(B, n_steps)`` counts."""
        return losses.betti_curve(dgm, self.dim, self.t_min, self.t_max, self.n_steps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, t_min={self.t_min}, t_max={self.t_max}, n_steps={self.n_steps}"


class WassersteinDistance(nn.Module):
    """``p``-Wasserstein distance between two diagrams.

    See :func:`topolayer.distances.wasserstein_distance`.

    Parameters
    ----------
    dim : int
        Homology dimension (default 0).
    p : float
        Order, ``>= 1``.
    internal_p : float
        Ground norm, ``>= 1`` (default ``inf``).
    essential : {"match", "ignore"}
        Rule for essential bars.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> a = Diagram([torch.tensor([[0.0, 1.0], [0.0, 5.0]])])
    >>> b = Diagram([torch.tensor([[0.0, 4.0]])])
    >>> WassersteinDistance(dim=0, p=1)(a, b)
    tensor(1.5000)
    """

    def __init__(
        self,
        dim: int = 0,
        p: float = 1.0,
        internal_p: float = float("inf"),
        essential: str = "match",
    ) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.p = distances._check_order(p)
        self.internal_p = distances._check_internal_p(internal_p)
        distances._check_essential(essential)
        self.essential = essential

    def forward(self, dgm1: Any, dgm2: Any) -> torch.Tensor:
        """``()`` or ``(B,)`` distances."""
        return distances.wasserstein_distance(
            dgm1, dgm2, self.dim, self.p, self.internal_p, self.essential
        )

    def extra_repr(self) -> str:
        return (
            f"dim={self.dim}, p={self.p}, internal_p={self.internal_p}, "
            f"essential={self.essential!r}"
        )


class BottleneckDistance(nn.Module):
    """Bottleneck distance between two diagrams.

    See :func:`topolayer.distances.bottleneck_distance`.

    Parameters
    ----------
    dim : int
        Homology dimension (default 0).
    internal_p : float
        Ground norm, ``>= 1`` (default ``inf``).
    essential : {"match", "ignore"}
        Rule for essential bars.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> a = Diagram([torch.tensor([[0.0, 1.0], [0.0, 5.0]])])
    >>> b = Diagram([torch.tensor([[0.0, 4.0]])])
    >>> BottleneckDistance(dim=0)(a, b)
    tensor(1.)
    """

    def __init__(
        self, dim: int = 0, internal_p: float = float("inf"), essential: str = "match"
    ) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.internal_p = distances._check_internal_p(internal_p)
        distances._check_essential(essential)
        self.essential = essential

    def forward(self, dgm1: Any, dgm2: Any) -> torch.Tensor:
        """``()`` or ``(B,)`` distances."""
        return distances.bottleneck_distance(dgm1, dgm2, self.dim, self.internal_p, self.essential)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, internal_p={self.internal_p}, essential={self.essential!r}"


class PersistenceImage(nn.Module):
    """Persistence image with a fixed shape; see :func:`topolayer.vectorize.persistence_image`.

    Parameters
    ----------
    dim : int
        Homology dimension.
    birth_range, pers_range : (float, float) or None
        Image extent; ``None``: from each call's bars. :meth:`fit` learns both from data.
    resolution : int or (int, int)
        Pixels ``(n_birth, n_pers)``.
    sigma : float
        Gaussian standard deviation.
    weight : {"persistence", "uniform"} or callable
        Weight of each bar.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> PersistenceImage(0, resolution=(8, 6))(Diagram([torch.tensor([[0.1, 0.6]])])).shape
    torch.Size([8, 6])
    >>> m = PersistenceImage(0, resolution=4).fit(Diagram([torch.tensor([[2.0, 7.0], [3.0, 4.0]])]))
    >>> m.birth_range, m.pers_range
    ((2.0, 3.0), (0.0, 5.0))
    """

    def __init__(
        self,
        dim: int,
        birth_range: tuple[float, float] | None = (0.0, 1.0),
        pers_range: tuple[float, float] | None = (0.0, 1.0),
        resolution: int | tuple[int, int] = 20,
        sigma: float = 0.1,
        weight: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "persistence",
    ) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.birth_range = (
            None if birth_range is None else vectorize._pair(birth_range, "birth_range")
        )
        self.pers_range = None if pers_range is None else vectorize._pair(pers_range, "pers_range")
        self.resolution = vectorize._resolution(resolution)
        self.sigma = _validate.check_positive(sigma, "sigma")
        if not (callable(weight) or weight in ("persistence", "uniform")):
            raise ValueError(
                f"weight must be 'persistence', 'uniform' or a callable, got {weight!r}"
            )
        self.weight = weight

    def fit(self, dgms: Any) -> PersistenceImage:
        """Set ``birth_range`` and ``pers_range`` to cover the finite bars of ``dgms`` (a
        diagram, a batch or a list of them; see :func:`topolayer.vectorize.fit_ranges`)."""
        ranges = vectorize.fit_ranges(dgms, self.dim)
        self.birth_range, self.pers_range = ranges["birth_range"], ranges["pers_range"]
        return self

    def forward(self, dgm: Any) -> torch.Tensor:
        """``(n_birth, n_pers)`` or ``(B, n_birth, n_pers)`` images."""
        return vectorize.persistence_image(
            dgm,
            self.dim,
            self.birth_range,
            self.pers_range,
            self.resolution,
            self.sigma,
            self.weight,
        )

    def extra_repr(self) -> str:
        return (
            f"dim={self.dim}, birth_range={self.birth_range}, pers_range={self.pers_range}, "
            f"resolution={self.resolution}, sigma={self.sigma}"
        )


class PersistenceLandscape(nn.Module):
    """Persistence landscape on a fixed grid; see :func:`topolayer.vectorize.persistence_landscape`.

    Parameters
    ----------
    dim : int
        Homology dimension.
    t_min, t_max : float or None
        Grid ends, ``t_min < t_max``; ``None``: from each call's bars. :meth:`fit` learns
        them from data.
    n_steps : int
        Grid points.
    n_layers : int
        Number of landscape functions.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> m = PersistenceLandscape(0, 0.0, 1.0, n_steps=50, n_layers=3)
    >>> m(Diagram([torch.tensor([[0.1, 0.6]])])).shape
    torch.Size([3, 50])
    >>> m.fit(Diagram([torch.tensor([[2.0, 7.0]])])).t_min, m.t_max
    (2.0, 7.0)
    """

    def __init__(
        self,
        dim: int,
        t_min: float | None = None,
        t_max: float | None = None,
        n_steps: int = 100,
        n_layers: int = 5,
    ) -> None:
        super().__init__()
        self.dim = _dim(dim)
        self.t_min: float | None
        self.t_max: float | None
        if t_min is not None and t_max is not None:
            self.t_min, self.t_max = vectorize._pair((t_min, t_max), "(t_min, t_max)")
        else:
            self.t_min = None if t_min is None else _validate.check_real(t_min, "t_min")
            self.t_max = None if t_max is None else _validate.check_real(t_max, "t_max")
        self.n_steps = _validate.check_int(n_steps, "n_steps", 1)
        self.n_layers = _validate.check_int(n_layers, "n_layers", 1)

    def fit(self, dgms: Any) -> PersistenceLandscape:
        """Set ``t_min`` and ``t_max`` to span the finite bars of ``dgms`` (a diagram, a batch
        or a list of them; see :func:`topolayer.vectorize.fit_ranges`)."""
        self.t_min, self.t_max = vectorize.fit_ranges(dgms, self.dim)["t_range"]
        return self

    def forward(self, dgm: Any) -> torch.Tensor:
        """``(n_layers, n_steps)`` or ``(B, n_layers, n_steps)`` landscapes."""
        return vectorize.persistence_landscape(
            dgm, self.dim, self.t_min, self.t_max, self.n_steps, self.n_layers
        )

    def extra_repr(self) -> str:
        return (
            f"dim={self.dim}, t_min={self.t_min}, t_max={self.t_max}, "
            f"n_steps={self.n_steps}, n_layers={self.n_layers}"
        )
