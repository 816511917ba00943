"""``topologylayer.nn`` names."""

from ...nn.features import (
    BarcodePolyFeature,
    PartialSumBarcodeLengths,
    SumBarcodeLengths,
    TopKBarcodeLengths,
)
from ...nn.pointcloud import AlphaLayer, RipsLayer
from .levelset import LevelSetLayer, LevelSetLayer1D, LevelSetLayer2D

__all__ = [
    "LevelSetLayer",
    "LevelSetLayer1D",
    "LevelSetLayer2D",
    "RipsLayer",
    "AlphaLayer",
    "SumBarcodeLengths",
    "TopKBarcodeLengths",
    "PartialSumBarcodeLengths",
    "BarcodePolyFeature",
]
