"""``topologylayer.nn`` names."""

from ...nn.features import (
    BarcodePolyFeature,
    PartialSumBarcodeLengths,
    SumBarcodeLengths,
    TopKBarcodeLengths,
)
from .levelset import LevelSetLayer, LevelSetLayer1D, LevelSetLayer2D

__all__ = [
    "LevelSetLayer",
    "LevelSetLayer1D",
    "LevelSetLayer2D",
    "SumBarcodeLengths",
    "TopKBarcodeLengths",
    "PartialSumBarcodeLengths",
    "BarcodePolyFeature",
]
