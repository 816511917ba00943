"""Differentiable persistence, one module per filtration kind."""

from .alpha import alpha
from .cubical import cubical
from .levelset import filtration, lower_star
from .rips import rips

__all__ = ["lower_star", "filtration", "cubical", "rips", "alpha"]
