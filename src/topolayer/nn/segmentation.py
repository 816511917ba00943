"""Segmentation losses as modules, with the conventions of MONAI-style losses: ``(B, C, H, W)``
or ``(B, C, D, H, W)`` logits or probabilities, ``sigmoid=`` / ``softmax=``,
``include_background=``, and an optional base loss added to the topological term."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from .. import _seglosses
from .._validate import check_bool, check_choice
from ..functional.segmentation import check_options

__all__ = ["BettiMatchingLoss", "HuTopoLoss"]


class _SegmentationLoss(torch.nn.Module):
    def __init__(
        self,
        sigmoid: bool,
        softmax: bool,
        include_background: bool,
        base_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None,
        alpha: float,
        superlevel: bool,
        construction: str,
        reduction: str,
        n_threads: int | None,
    ) -> None:
        super().__init__()
        self.sigmoid = check_bool(sigmoid, "sigmoid")
        self.softmax = check_bool(softmax, "softmax")
        if self.sigmoid and self.softmax:
            raise ValueError("at most one of sigmoid and softmax may be True")
        self.include_background = check_bool(include_background, "include_background")
        if base_loss is not None and not callable(base_loss):
            raise TypeError(
                f"base_loss must be a callable (input, target) -> loss or None, got "
                f"{type(base_loss).__name__}"
            )
        self.base_loss = base_loss
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise TypeError(f"alpha must be a float, got {type(alpha).__name__}")
        if not 0 <= float(alpha) < float("inf"):
            raise ValueError(f"alpha must be finite and >= 0, got {alpha!r}")
        self.alpha = float(alpha)
        check_options(superlevel, construction, n_threads)
        self.superlevel = superlevel
        self.construction = construction
        self.reduction = check_choice(reduction, "reduction", _seglosses.REDUCTIONS)
        self.n_threads = n_threads

    def _term(self, probs: torch.Tensor, target: torch.Tensor, ndim: int) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, input: torch.Tensor, target: Any) -> torch.Tensor:
        if not isinstance(input, torch.Tensor) or input.dim() not in (4, 5):
            shape = tuple(input.shape) if isinstance(input, torch.Tensor) else type(input).__name__
            raise ValueError(f"input must be a (B, C, H, W) or (B, C, D, H, W) tensor, got {shape}")
        target = torch.as_tensor(target, device=input.device)
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(
                f"target must have the shape of input {tuple(input.shape)}, got "
                f"{tuple(target.shape)} (one-hot encode label maps first)"
            )
        ndim = input.dim() - 2
        probs = input
        if self.sigmoid:
            probs = torch.sigmoid(input)
        elif self.softmax:
            if input.shape[1] == 1:
                raise ValueError("softmax=True needs several channels, got one")
            probs = torch.softmax(input, 1)
        first = 0 if self.include_background or input.shape[1] == 1 else 1
        term = self._term(probs[:, first:], target[:, first:].to(probs.dtype), ndim)
        if self.base_loss is None:
            return self.alpha * term
        return self.base_loss(input, target) + self.alpha * term

    def extra_repr(self) -> str:
        return (
            f"sigmoid={self.sigmoid}, softmax={self.softmax}, "
            f"include_background={self.include_background}, alpha={self.alpha}, "
            f"superlevel={self.superlevel}, construction={self.construction!r}"
        )


class BettiMatchingLoss(_SegmentationLoss):
    """The Betti-matching loss (:func:`topolayer.losses.betti_matching_loss`) as a module.

    Parameters
    ----------
    sigmoid, softmax : bool
        Turn logits into probabilities first (at most one).
    include_background : bool
        Include channel 0 (ignored for a single channel).
    base_loss : callable, optional
        ``base_loss(input, target)`` on the raw input (e.g. a Dice loss), added to the
        topological term.
    alpha : float
        Weight of the topological term.
    superlevel, construction, reduction, push_unmatched_to_1_0, weights, threshold, n_threads
        As :func:`~topolayer.losses.betti_matching_loss`.

    Examples
    --------
    >>> import torch
    >>> logits = torch.randn(2, 1, 16, 16, requires_grad=True)
    >>> target = (torch.rand(2, 1, 16, 16) > 0.5).float()
    >>> loss = BettiMatchingLoss(sigmoid=True)(logits, target)
    >>> loss.backward()
    >>> logits.grad.shape
    torch.Size([2, 1, 16, 16])
    """

    def __init__(
        self,
        sigmoid: bool = False,
        softmax: bool = False,
        include_background: bool = False,
        base_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        alpha: float = 1.0,
        superlevel: bool = True,
        construction: str = "V",
        reduction: str = "mean",
        push_unmatched_to_1_0: bool = False,
        weights: Sequence[float] = (1.0, 1.0),
        threshold: float = 0.0,
        n_threads: int | None = None,
    ) -> None:
        super().__init__(
            sigmoid,
            softmax,
            include_background,
            base_loss,
            alpha,
            superlevel,
            construction,
            reduction,
            n_threads,
        )
        self.push_unmatched_to_1_0 = check_bool(push_unmatched_to_1_0, "push_unmatched_to_1_0")
        self.weights = _seglosses._check_weights(weights)
        self.threshold = _seglosses._check_threshold(threshold)

    def _term(self, probs: torch.Tensor, target: torch.Tensor, ndim: int) -> torch.Tensor:
        return _seglosses.betti_matching_loss(
            probs,
            target,
            ndim=ndim,
            superlevel=self.superlevel,
            construction=self.construction,
            reduction=self.reduction,
            push_unmatched_to_1_0=self.push_unmatched_to_1_0,
            weights=self.weights,
            threshold=self.threshold,
            n_threads=self.n_threads,
        )


class HuTopoLoss(_SegmentationLoss):
    """Hu et al.'s topological loss (:func:`topolayer.losses.hu_topo_loss`) as a module.

    Parameters
    ----------
    sigmoid, softmax, include_background, base_loss, alpha
        As :class:`BettiMatchingLoss`.
    superlevel, construction, reduction, n_threads
        As :func:`~topolayer.losses.hu_topo_loss`.

    Examples
    --------
    >>> import torch
    >>> probs = torch.rand(2, 1, 16, 16, requires_grad=True)
    >>> target = (torch.rand(2, 1, 16, 16) > 0.5).float()
    >>> HuTopoLoss()(probs, target).backward()
    >>> bool(probs.grad.abs().sum() > 0)
    True
    """

    def __init__(
        self,
        sigmoid: bool = False,
        softmax: bool = False,
        include_background: bool = False,
        base_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        alpha: float = 1.0,
        superlevel: bool = True,
        construction: str = "V",
        reduction: str = "mean",
        n_threads: int | None = None,
    ) -> None:
        super().__init__(
            sigmoid,
            softmax,
            include_background,
            base_loss,
            alpha,
            superlevel,
            construction,
            reduction,
            n_threads,
        )

    def _term(self, probs: torch.Tensor, target: torch.Tensor, ndim: int) -> torch.Tensor:
        return _seglosses.hu_topo_loss(
            probs,
            target,
            ndim=ndim,
            superlevel=self.superlevel,
            construction=self.construction,
            reduction=self.reduction,
            n_threads=self.n_threads,
        )
