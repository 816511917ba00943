"""topolayer: persistent homology as a differentiable layer for PyTorch.

The C++ core computes persistence pairs as indices of critical cells; the layers gather the
input's values at those indices, so autograd differentiates through topology exactly.
"""

try:
    import torch as _torch  # noqa: F401
except ImportError as _err:  # pragma: no cover - exercised in a venv without torch
    raise ImportError(
        "topolayer needs PyTorch (torch >= 2.4), which is not installed. Install the build you "
        "want first, e.g. the CPU build: pip install torch --index-url "
        "https://download.pytorch.org/whl/cpu (or a CUDA build: https://pytorch.org/get-started), "
        "then import topolayer again."
    ) from _err

import multiprocessing as _mp

from . import (
    _core,
    _ops,  # registers the torch.library custom ops  # noqa: F401
    distances,
    functional,
    losses,
    metrics,
    nn,
    plot,
    vectorize,
)
from .complexes import SimplicialComplex
from .diagram import Diagram, DiagramBatch, as_diagram, collate_diagrams
from .distances import bottleneck_distance, sliced_wasserstein_distance, wasserstein_distance
from .vectorize import persistence_image, persistence_landscape

# Batches run on the OpenMP runtime's threads (torch's, once torch has loaded it). A child
# process made by fork() cannot use a pool its parent used (libgomp waits for threads that are
# not there), so in any child of multiprocessing the C++ core uses threads of its own.
if _mp.parent_process() is not None:
    _core.set_openmp(False)

__version__ = "0.1.0"

__all__ = [
    "Diagram",
    "DiagramBatch",
    "SimplicialComplex",
    "as_diagram",
    "collate_diagrams",
    "bottleneck_distance",
    "distances",
    "functional",
    "losses",
    "metrics",
    "nn",
    "persistence_image",
    "persistence_landscape",
    "plot",
    "sliced_wasserstein_distance",
    "vectorize",
    "wasserstein_distance",
    "__version__",
]
