"""The reference's ``topologylayer.functional.persistence``: ``SimplicialComplex`` and the
``persistenceForward*`` / ``persistenceBackward*`` entry points, over topolayer's own
:func:`~topolayer.functional.lower_star` and :func:`~topolayer.functional.filtration`.

The reference kept a filtration inside the complex (``extendFloat`` for vertex values,
``extendFlag`` for point coordinates) and read it in the next ``persistenceForward*`` call;
``persistenceBackward*`` then used what that forward left behind. These functions keep that
calling sequence working. The stateless, differentiable path is :meth:`SimplicialComplex.sublevel`
/ :meth:`SimplicialComplex.flag` (or ``SubLevelSetDiagram`` / ``FlagDiagram``), where autograd
carries the gradient and nothing is stored.
"""

from __future__ import annotations

from typing import Any

import torch

from ..._validate import as_float_tensor, check_max_dim
from ...complexes import SimplicialComplex as _SimplicialComplex
from ...functional.simplicial import filtration, lower_star

__all__ = [
    "SimplicialComplex",
    "persistenceForwardHom",
    "persistenceForwardCohom",
    "persistenceBackward",
    "persistenceBackwardFlag",
    "reference_maxdim",
    "check_alg",
    "flag_values",
]


def reference_maxdim(maxdim: Any, name: str = "maxdim") -> int:
    """``maxdim`` as the reference took it: an int, or a bool (``False`` is 0, ``True`` is 1)."""
    return check_max_dim(int(maxdim) if isinstance(maxdim, bool) else maxdim, name=name)


def check_alg(alg: Any) -> str:
    """The reference's ``alg`` names; all give the same diagram here (one algorithm)."""
    if alg not in ("hom", "hom2", "cohom"):
        raise ValueError(f"alg must be one of 'hom', 'hom2', 'cohom', got {alg!r}")
    return alg


def _vertex_values(f: Any, K: _SimplicialComplex, name: str) -> torch.Tensor:
    """Vertex values of any shape holding one value per vertex, flattened (the reference
    called ``f.view(-1)``)."""
    f = as_float_tensor(f, name)
    if f.numel() != K.n_vertices:
        raise ValueError(
            f"{name} must hold one value per vertex ({K.n_vertices}), got shape {tuple(f.shape)}"
        )
    return f.reshape(-1)


def _points(y: Any, K: _SimplicialComplex, name: str) -> torch.Tensor:
    y = as_float_tensor(y, name)
    if y.dim() != 2 or y.shape[0] != K.n_vertices:
        raise ValueError(
            f"{name} must have shape ({K.n_vertices}, D): one point per vertex, "
            f"got {tuple(y.shape)}"
        )
    if not torch.isfinite(y).all():
        raise ValueError(f"{name} must be finite")
    return y


def flag_values(y: torch.Tensor, K: _SimplicialComplex) -> torch.Tensor:
    """Per-simplex values of the flag filtration of points ``y`` on ``K``, in global simplex
    order: vertices 0, an edge its length, a higher simplex its longest edge.

    A simplex takes the max of its facets' values rather than of its own edges: the same number,
    and every simplex is then exactly no lower than its faces (the monotonicity
    :func:`~topolayer.functional.filtration` checks) in any floating-point rounding.
    """
    parts = [y.new_zeros(K.n_simplices[0])]
    if K.dim >= 1:
        e = torch.as_tensor(K.simplices(1), device=y.device)
        parts.append(torch.linalg.vector_norm(y[e[:, 0]] - y[e[:, 1]], dim=1))
    for d in range(2, K.dim + 1):
        facets = torch.as_tensor(K.facets(d), device=y.device)
        parts.append(parts[-1][facets].amax(dim=1))
    return torch.cat(parts)


class SimplicialComplex(_SimplicialComplex):
    """A complex built one simplex at a time, as in the reference implementation.

    ``append`` each simplex, then ``initialize()``. Faces are closed automatically (the
    reference required every face to be appended, exactly once) and the vertices are
    ``0..n_vertices - 1``. ``extendFloat(f)`` / ``extendFlag(y)`` set the filtration the next
    :func:`persistenceForwardCohom` / :func:`persistenceForwardHom` call reads;
    :meth:`sublevel` and :meth:`flag` compute a differentiable diagram in one call.

    Examples
    --------
    >>> import torch
    >>> s = SimplicialComplex()
    >>> for cell in ([0], [1], [2], [0, 1], [1, 2], [0, 2]):
    ...     s.append(cell)
    >>> s.initialize()
    >>> s.n_simplices
    [3, 3]
    >>> s.extendFloat(torch.tensor([0.0, 1.0, 2.0]))
    >>> [d.tolist() for d in persistenceForwardCohom(s, 1)]
    [[[1.0, 1.0], [2.0, 2.0], [0.0, inf]], [[2.0, inf]]]
    >>> s.sublevel(torch.tensor([0.0, 1.0, 2.0]), 1)[1].tolist()
    [[2.0, inf]]
    """

    _extension: tuple[str, torch.Tensor] | None = None
    _last: tuple[torch.Tensor, tuple[torch.Tensor, ...], str] | None = None

    def initialize(self) -> None:
        """Finish the complex (faces are closed automatically). Idempotent."""
        self._build()

    def extendFloat(self, f: Any) -> None:
        """Lower-star filtration of vertex values ``f`` (one per vertex, any shape), read by the
        next ``persistenceForward*`` call.

        Raises
        ------
        TypeError
            ``f`` is not floating point.
        ValueError
            ``f`` does not hold one value per vertex, or holds NaN/inf.

        Examples
        --------
        >>> import torch
        >>> s = SimplicialComplex([[0, 1]])
        >>> s.extendFloat(torch.tensor([[2.0], [1.0]]))  # a column is flattened
        >>> persistenceForwardCohom(s, 0)[0].tolist()
        [[2.0, 2.0], [1.0, inf]]
        """
        f = _vertex_values(f, self, "f")
        if not torch.isfinite(f).all():
            raise ValueError("f must be finite")
        self._extension = ("float", f.detach().clone())

    def extendFlag(self, y: Any) -> None:
        """Flag filtration of points ``y`` (``(n_vertices, D)``): vertices at 0, each simplex at
        its longest edge; read by the next ``persistenceForward*`` call.

        Raises
        ------
        TypeError
            ``y`` is not floating point.
        ValueError
            ``y`` is not ``(n_vertices, D)`` or holds NaN/inf.

        Examples
        --------
        >>> import torch
        >>> s = SimplicialComplex([[0, 1], [1, 2], [0, 2]])
        >>> s.extendFlag(torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]]))
        >>> persistenceForwardCohom(s, 1)[1].tolist()
        [[5.0, inf]]
        """
        self._extension = ("flag", _points(y, self, "y").detach().clone())

    def sublevel(self, f: Any, maxdim: Any = 1, keep_zero: bool = True) -> tuple[torch.Tensor, ...]:
        """Differentiable sublevel diagrams of vertex values ``f``: what the reference's
        ``SubLevelSetDiagram`` computed, as a tuple of ``(n_k, 2)`` tensors in ``f``'s dtype.

        ``keep_zero=True`` (the default here, as in the reference) returns every pair, so
        ``H0`` has one row per vertex on a connected complex.

        Examples
        --------
        >>> import torch
        >>> s = SimplicialComplex([[0, 1], [1, 2]])
        >>> [d.tolist() for d in s.sublevel(torch.tensor([0.0, 2.0, 1.0]), 0, keep_zero=False)]
        [[[1.0, 2.0], [0.0, inf]]]
        """
        f = _vertex_values(f, self, "f")
        return tuple(lower_star(f, self, reference_maxdim(maxdim), False, keep_zero).bars)

    def flag(self, y: Any, maxdim: Any = 1, keep_zero: bool = True) -> tuple[torch.Tensor, ...]:
        """Differentiable flag-filtration diagrams of points ``y`` on this complex: what the
        reference's ``FlagDiagram`` computed (the Rips diagram restricted to these simplices).

        Examples
        --------
        >>> import torch
        >>> s = SimplicialComplex([[0, 1], [1, 2], [0, 2]])
        >>> y = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
        >>> [d.tolist() for d in s.flag(y, 1, keep_zero=False)]
        [[[0.0, 3.0], [0.0, 4.0], [0.0, inf]], [[5.0, inf]]]
        """
        y = _points(y, self, "y")
        values = flag_values(y, self)
        return tuple(filtration(values, self, reference_maxdim(maxdim), keep_zero).bars)


def _check_complex(X: Any) -> SimplicialComplex:
    if not isinstance(X, SimplicialComplex):
        raise TypeError(f"X must be a topolayer.compat SimplicialComplex, got {type(X).__name__}")
    if X._extension is None:
        raise ValueError("X has no filtration yet: call X.extendFloat(f) or X.extendFlag(y) first")
    return X


def _forward(X: Any, maxdim: Any) -> tuple[torch.Tensor, ...]:
    X = _check_complex(X)
    assert X._extension is not None
    kind, data = X._extension
    leaf = data.detach().requires_grad_(True)
    with torch.enable_grad():
        bars = X.sublevel(leaf, maxdim) if kind == "float" else X.flag(leaf, maxdim)
    # kept for persistenceBackward*, which the reference also fed from the last forward
    X._last = (leaf, bars, kind)
    return tuple(b.detach() for b in bars)


def persistenceForwardCohom(X: SimplicialComplex, maxdim: Any) -> tuple[torch.Tensor, ...]:
    """Diagrams of the filtration last set on ``X`` (``extendFloat`` / ``extendFlag``), every
    pair included, in dimensions ``0..maxdim``.

    Rows are finite bars in the order of their death, then essential bars (death ``+inf``).
    Not differentiable; use :func:`persistenceBackward` or the differentiable
    :meth:`SimplicialComplex.sublevel` / :meth:`SimplicialComplex.flag`.

    Raises
    ------
    TypeError
        ``X`` is not a compat ``SimplicialComplex``.
    ValueError
        ``X`` has no filtration yet, or ``maxdim`` is out of range.

    Examples
    --------
    >>> import torch
    >>> s = SimplicialComplex([[0, 1], [1, 2]])
    >>> s.extendFloat(torch.tensor([0.0, 2.0, 1.0]))
    >>> persistenceForwardCohom(s, 0)[0].tolist()
    [[2.0, 2.0], [1.0, 2.0], [0.0, inf]]
    """
    return _forward(X, maxdim)


def persistenceForwardHom(
    X: SimplicialComplex, maxdim: Any, alg: int = 0
) -> tuple[torch.Tensor, ...]:
    """:func:`persistenceForwardCohom` under the reference's other name; ``alg`` (its 0/1
    reduction variant) is checked and does not change the result.

    Examples
    --------
    >>> import torch
    >>> s = SimplicialComplex([[0, 1]])
    >>> s.extendFlag(torch.tensor([[0.0], [2.0]]))
    >>> persistenceForwardHom(s, 0)[0].tolist()
    [[0.0, 2.0], [0.0, inf]]
    """
    if alg not in (0, 1) or isinstance(alg, bool):
        raise ValueError(f"alg must be 0 or 1, got {alg!r}")
    return _forward(X, maxdim)


def _backward(X: Any, grad_res: Any, kind: str) -> torch.Tensor:
    if not isinstance(X, SimplicialComplex) or X._last is None or X._last[2] != kind:
        what = "extendFloat" if kind == "float" else "extendFlag"
        raise ValueError(
            f"X: no forward to differentiate; call X.{what} and persistenceForward* first"
        )
    leaf, bars, _ = X._last
    grads = list(grad_res)
    if len(grads) != len(bars) or any(
        tuple(g.shape) != tuple(b.shape) for g, b in zip(grads, bars, strict=False)
    ):
        raise ValueError(
            "grad_res must hold one (n_k, 2) tensor per diagram of the last forward, shapes "
            f"{[tuple(b.shape) for b in bars]}"
        )
    (grad,) = torch.autograd.grad(
        bars,
        leaf,
        [g.to(b.dtype) for g, b in zip(grads, bars, strict=False)],
        retain_graph=True,
        allow_unused=True,
    )
    return torch.zeros_like(leaf) if grad is None else grad


def persistenceBackward(X: SimplicialComplex, grad_res: Any) -> torch.Tensor:
    """Gradient, on the vertex values of the last ``extendFloat``, of the diagrams of the last
    forward given their gradients ``grad_res`` (one ``(n_k, 2)`` tensor per dimension).

    Examples
    --------
    >>> import torch
    >>> s = SimplicialComplex([[0, 1], [1, 2]])
    >>> s.extendFloat(torch.tensor([0.0, 2.0, 1.0]))
    >>> h0, = persistenceForwardCohom(s, 0)
    >>> h0.tolist()
    [[2.0, 2.0], [1.0, 2.0], [0.0, inf]]
    >>> persistenceBackward(s, [torch.tensor([[0.0, 0.0], [-1.0, 1.0], [0.0, 0.0]])]).tolist()
    [0.0, 1.0, -1.0]
    """
    return _backward(X, grad_res, "float")


def persistenceBackwardFlag(X: SimplicialComplex, y: Any, grad_res: Any) -> torch.Tensor:
    """Gradient on the points of the last ``extendFlag`` (``y`` is accepted, as in the
    reference's call, and must be those points' shape).

    Examples
    --------
    >>> import torch
    >>> s = SimplicialComplex([[0, 1]])
    >>> y = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    >>> s.extendFlag(y)
    >>> h0, = persistenceForwardCohom(s, 0)
    >>> h0.tolist()
    [[0.0, 5.0], [0.0, inf]]
    >>> persistenceBackwardFlag(s, y, [torch.tensor([[0.0, 1.0], [0.0, 0.0]])]).tolist()
    [[-0.6000000238418579, -0.800000011920929], [0.6000000238418579, 0.800000011920929]]
    """
    grad = _backward(X, grad_res, "flag")
    if tuple(torch.as_tensor(y).shape) != tuple(grad.shape):
        raise ValueError(f"y must have the shape of the last extendFlag points {tuple(grad.shape)}")
    return grad
