"""Differentiable persistence, one module per filtration kind."""

from .levelset import filtration, lower_star

__all__ = ["lower_star", "filtration"]
