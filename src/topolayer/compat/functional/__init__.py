"""``topologylayer.functional`` names."""

from . import flag, persistence, sublevel
from .flag import FlagDiagram
from .persistence import SimplicialComplex
from .sublevel import SubLevelSetDiagram

__all__ = [
    "FlagDiagram",
    "SimplicialComplex",
    "SubLevelSetDiagram",
    "flag",
    "persistence",
    "sublevel",
]
