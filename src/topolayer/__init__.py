"""topolayer: persistent homology as a differentiable layer for PyTorch.

The C++ core computes persistence pairs as indices of critical cells; the layers gather the
input's values at those indices, so autograd differentiates through topology exactly.
"""

from . import _ops  # registers the torch.library custom ops  # noqa: F401
from . import functional, nn
from .complexes import SimplicialComplex
from .diagram import Diagram, DiagramBatch

__version__ = "0.1.0"

__all__ = ["Diagram", "DiagramBatch", "SimplicialComplex", "functional", "nn", "__version__"]
