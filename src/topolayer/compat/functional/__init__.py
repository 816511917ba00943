"""``topologylayer.functional`` names."""

from . import persistence
from .persistence import SimplicialComplex

__all__ = ["SimplicialComplex", "persistence"]
