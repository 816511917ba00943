"""nn.Module wrappers: persistence layers and diagram features."""

from .cubical import CubicalLayer, LevelSetLayer2D
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
from .pointcloud import Alpha, AlphaLayer, RipsLayer, VietorisRips

__all__ = [
    "LowerStar",
    "LevelSetLayer",
    "LevelSetLayer1D",
    "LevelSetLayer2D",
    "CubicalLayer",
    "RipsLayer",
    "AlphaLayer",
    "VietorisRips",
    "Alpha",
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
