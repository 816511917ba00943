"""Loss modules for topological autoencoders and summary statistics (torch-topological's
``SignatureLoss`` and ``SummaryStatisticLoss`` names)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .. import _validate
from .._signature import dims_tuple, signature_loss
from ..losses import summary_statistic_loss

__all__ = ["SignatureLoss", "SummaryStatisticLoss"]


class SignatureLoss(nn.Module):
    """The topological signature loss of Moor et al. (see
    :func:`topolayer.losses.signature_loss`): ``forward(x, z)`` compares a minibatch with its
    embedding through both Rips persistence pairings.

    Examples
    --------
    >>> import torch
    >>> from topolayer.nn import SignatureLoss
    >>> x = torch.rand(16, 4)
    >>> SignatureLoss()(x, x)
    tensor(0.)
    """

    def __init__(self, p: float = 2.0, normalise: bool = True, dims: int | Sequence[int] = 0):
        super().__init__()
        self.p = _validate.check_positive(p, "p", allow_inf=True)
        self.normalise = _validate.check_bool(normalise, "normalise")
        self.dims = dims_tuple(dims)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return signature_loss(x, z, self.dims, self.p, self.normalise)

    def extra_repr(self) -> str:
        return f"p={self.p}, normalise={self.normalise}, dims={self.dims}"


class SummaryStatisticLoss(nn.Module):
    """``|s(dgm) - s(target)|^p`` (see :func:`topolayer.losses.summary_statistic_loss`).

    Examples
    --------
    >>> import torch
    >>> from topolayer import functional
    >>> loss = SummaryStatisticLoss("total_persistence", dims=0)
    >>> x = torch.tensor([[0.0, 0.0], [3.0, 0.0]])
    >>> loss(functional.rips(x, 0), functional.rips(x[:1], 0))
    tensor(3.)
    """

    def __init__(
        self,
        statistic: str = "total_persistence",
        dims: int | Sequence[int] = (0, 1),
        p: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self.statistic = statistic
        self.dims = dims_tuple(dims)
        self.p = _validate.check_positive(p, "p")
        self.kwargs = kwargs

    def forward(self, dgm: Any, target: Any = None) -> torch.Tensor:
        return summary_statistic_loss(dgm, target, self.statistic, self.dims, self.p, **self.kwargs)
