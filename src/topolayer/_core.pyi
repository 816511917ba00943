"""topolayer's C++ core: persistence pairs as indices of critical cells."""

from collections.abc import Sequence
from typing import Annotated, overload

import numpy
from numpy.typing import NDArray

class Complex:
    """A simplicial complex closed under faces (internal)."""

    def __init__(
        self,
        simplices: Sequence[
            Annotated[
                NDArray[numpy.int64],
                dict(shape=(None, None), order="C", device="cpu", writable=False),
            ]
        ],
        n_vertices: int = -1,
    ) -> None: ...
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
def lower_star(
    complex: Complex,
    f: Annotated[
        NDArray[numpy.float32], dict(shape=(None, None), order="C", device="cpu", writable=False)
    ],
    max_dim: int,
    superlevel: bool,
    keep_zero: bool,
    n_threads: int,
) -> list[NDArray[numpy.int64]]:
    """
    Lower-star persistence pairs of each row of f: per dimension an (n_k, 3) array of (item, birth vertex, death vertex or -1).
    """

@overload
def lower_star(
    complex: Complex,
    f: Annotated[
        NDArray[numpy.float64], dict(shape=(None, None), order="C", device="cpu", writable=False)
    ],
    max_dim: int,
    superlevel: bool,
    keep_zero: bool,
    n_threads: int,
) -> list[NDArray[numpy.int64]]: ...
@overload
def filtration(
    complex: Complex,
    values: Annotated[
        NDArray[numpy.float32], dict(shape=(None, None), order="C", device="cpu", writable=False)
    ],
    max_dim: int,
    keep_zero: bool,
    n_threads: int,
) -> list[NDArray[numpy.int64]]:
    """
    Persistence pairs of explicit per-simplex values (global ids): per dimension an (n_k, 3) array of (item, birth simplex, death simplex or -1).
    """

@overload
def filtration(
    complex: Complex,
    values: Annotated[
        NDArray[numpy.float64], dict(shape=(None, None), order="C", device="cpu", writable=False)
    ],
    max_dim: int,
    keep_zero: bool,
    n_threads: int,
) -> list[NDArray[numpy.int64]]: ...
