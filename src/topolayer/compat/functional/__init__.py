"""``topologylayer.functional`` names: the modules ``sublevel`` (``SubLevelSetDiagram``),
``flag`` (``FlagDiagram``) and ``persistence`` (``SimplicialComplex`` and the
``persistenceForward*`` / ``persistenceBackward*`` functions), at the reference's paths."""

from . import flag, persistence, sublevel
from .persistence import SimplicialComplex

__all__ = ["SimplicialComplex", "flag", "persistence", "sublevel"]
