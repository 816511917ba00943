"""The reference's ``SimplicialComplex``: built by ``append`` calls, then ``initialize()``."""

from __future__ import annotations

from ...complexes import SimplicialComplex as _SimplicialComplex

__all__ = ["SimplicialComplex"]


class SimplicialComplex(_SimplicialComplex):
    """A complex built one simplex at a time, as in the reference implementation.

    >>> s = SimplicialComplex()
    >>> for cell in ([0], [1], [0, 1]):
    ...     s.append(cell)
    >>> s.initialize()
    >>> s.n_simplices
    [2, 1]

    Examples
    --------
    >>> from topolayer.compat.functional import SimplicialComplex
    >>> K = SimplicialComplex([[0, 1], [1, 2], [0, 2]])
    >>> len(K)
    6
    """

    def initialize(self) -> None:
        """Finish the complex (faces are closed automatically). Idempotent."""
        self._build()
