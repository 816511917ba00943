"""``topologylayer.nn`` names."""

from ...nn.features import (
    BarcodePolyFeature,
    PartialSumBarcodeLengths,
    SumBarcodeLengths,
    TopKBarcodeLengths,
)
from .alpha import AlphaLayer
from .levelset import LevelSetLayer, LevelSetLayer1D, LevelSetLayer2D
from .rips import RipsLayer

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
