"""Drop-in path for code written against the reference implementation (``topologylayer``).

Replace ``topologylayer`` by ``topolayer.compat`` in the imports and the script runs on topolayer:
the module tree (``nn``, ``nn.rips``, ``nn.features``, ``functional.sublevel``,
``functional.flag``, ``functional.persistence``, ``util.construction``, ``util.process``) and
public names are the reference's. Differences, all deliberate: the layers drop bars of zero length
(``keep_zero=True`` keeps them; the functional modules keep them, as the reference's did), layers
are stateless (the reference kept the last forward's state), batched inputs give a
:class:`~topolayer.DiagramBatch`, and any complex is accepted (the reference crashed on
disconnected complexes or several cycles at the end of the filtration). The ``alg`` argument is
accepted and checked, and changes nothing: there is one algorithm. The Dionysus-based modules are
not provided (see the migration guide for their replacements).
"""

from . import functional, nn, util
from .functional.persistence import SimplicialComplex

__all__ = ["SimplicialComplex", "functional", "nn", "util"]
