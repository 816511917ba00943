"""nn.Module wrappers: persistence layers and diagram features."""

from .levelset import LevelSetLayer, LevelSetLayer1D, LowerStar

__all__ = ["LowerStar", "LevelSetLayer", "LevelSetLayer1D"]
