"""Differentiable persistence, one module per filtration kind."""

from .alpha import alpha
from .cubical import cubical
from .rips import rips
from .segmentation import BettiMatching, betti_matching, set_betti_matching_cache
from .simplicial import filtration, lower_star

__all__ = [
    "lower_star",
    "filtration",
    "cubical",
    "rips",
    "alpha",
    "betti_matching",
    "BettiMatching",
    "set_betti_matching_cache",
]
