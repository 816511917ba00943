"""The reference's ``topologylayer.nn.rips`` module path.

:class:`RipsLayer` is :class:`topolayer.nn.RipsLayer`: the same ``RipsLayer(n, maxdim=1,
alg='hom')`` call and ``(dgms, issublevel)`` output, computed by the implicit Rips algorithm
without building the clique complex that the reference built (``clique_complex`` and
``FlagDiagram`` are re-exported because that module imported them).

Examples
--------
>>> import torch
>>> from topolayer.compat.nn.rips import RipsLayer
>>> square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
>>> dgms, issublevel = RipsLayer(4, maxdim=1)(square)
>>> dgms[1], issublevel
(tensor([[1.0000, 1.4142]]), True)
"""

from ...nn.rips import RipsLayer
from ..functional.flag import FlagDiagram
from ..util.construction import clique_complex

__all__ = ["RipsLayer", "FlagDiagram", "clique_complex"]
