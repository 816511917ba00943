"""nn.Module wrappers: persistence layers and diagram features."""

from .features import (
    BarcodeFeature,
    BarcodePolyFeature,
    BettiCurve,
    BottleneckDistance,
    PartialSumBarcodeLengths,
    PersistenceEntropy,
    PersistenceImage,
    PersistenceLandscape,
    SumBarcodeLengths,
    TopKBarcodeLengths,
    TopologicalPrior,
    TotalPersistence,
    WassersteinDistance,
)
from .levelset import LevelSetLayer, LevelSetLayer1D, LowerStar

__all__ = [
    "LowerStar",
    "LevelSetLayer",
    "LevelSetLayer1D",
    "SumBarcodeLengths",
    "TopKBarcodeLengths",
    "PartialSumBarcodeLengths",
    "BarcodePolyFeature",
    "BarcodeFeature",
    "TopologicalPrior",
    "TotalPersistence",
    "PersistenceEntropy",
    "BettiCurve",
    "WassersteinDistance",
    "BottleneckDistance",
    "PersistenceImage",
    "PersistenceLandscape",
]
