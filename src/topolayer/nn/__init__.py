"""nn.Module wrappers: persistence layers and diagram features."""

from .alpha import Alpha, AlphaLayer
from .autoencoder import SignatureLoss, SummaryStatisticLoss
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
from .rips import RipsLayer, VietorisRips
from .segmentation import BettiMatchingLoss, CLDiceLoss, HuTopoLoss
from .simplicial import LevelSetLayer, LevelSetLayer1D, LowerStar

__all__ = [
    "BettiMatchingLoss",
    "HuTopoLoss",
    "CLDiceLoss",
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
    "SignatureLoss",
    "SummaryStatisticLoss",
]
