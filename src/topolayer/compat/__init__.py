"""Drop-in path for code written against the reference implementation (``topologylayer``).

Replace ``topologylayer`` by ``topolayer.compat`` in the imports and the script runs on topolayer:
the module tree (``nn``, ``functional``, ``util.construction``, ``util.process``) and public names
are the reference's. Differences, all deliberate: bars of zero length are not returned (the
reference padded diagrams with them; the features ignore them either way), layers are stateless
(the reference kept the last forward's state), batched inputs give a
:class:`~topolayer.DiagramBatch`, and any complex is accepted (the reference crashed on
disconnected complexes or cycles at the end of the filtration). The ``alg`` argument of the
level-set layers is accepted and ignored: there is one algorithm.
"""

from . import functional, nn, util
from .functional.persistence import SimplicialComplex

__all__ = ["SimplicialComplex", "functional", "nn", "util"]
