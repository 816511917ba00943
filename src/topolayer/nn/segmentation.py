"""Segmentation losses as modules, with the conventions of MONAI-style losses: ``(B, C, H, W)``
or ``(B, C, D, H, W)`` logits or probabilities, ``sigmoid=`` / ``softmax=``,
``include_background=``, ``to_onehot_y=`` for label-map targets, and an optional base loss
added to the topological term."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from .. import _cldice, _seglosses
from .._validate import check_bool, check_choice
from ..functional.segmentation import check_options

__all__ = ["BettiMatchingLoss", "HuTopoLoss", "CLDiceLoss"]


class _SegmentationLoss(torch.nn.Module):
    """The options every segmentation module shares; subclasses give ``_term``."""

    def __init__(
        self,
        sigmoid: bool,
        softmax: bool,
        include_background: bool,
        base_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None,
        alpha: float,
        reduction: str,
        to_onehot_y: bool,
    ) -> None:
        super().__init__()
        self.sigmoid = check_bool(sigmoid, "sigmoid")
        self.softmax = check_bool(softmax, "softmax")
        if self.sigmoid and self.softmax:
            raise ValueError("at most one of sigmoid and softmax may be True")
        self.include_background = check_bool(include_background, "include_background")
        self.to_onehot_y = check_bool(to_onehot_y, "to_onehot_y")
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
        self.reduction = check_choice(reduction, "reduction", _seglosses.REDUCTIONS)

    def _term(self, probs: torch.Tensor, target: torch.Tensor, ndim: int) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, input: torch.Tensor, target: Any) -> torch.Tensor:
        if not isinstance(input, torch.Tensor) or input.dim() not in (4, 5):
            shape = tuple(input.shape) if isinstance(input, torch.Tensor) else type(input).__name__
            raise ValueError(f"input must be a (B, C, H, W) or (B, C, D, H, W) tensor, got {shape}")
        try:
            target = torch.as_tensor(target, device=input.device)
        except (TypeError, RuntimeError, ValueError) as err:
            raise TypeError(
                f"target must be a tensor or array, got {type(target).__name__}"
            ) from err
        given = target  # the base loss takes the target as given
        if self.to_onehot_y:
            target = _one_hot(target, input)
        elif tuple(target.shape) != tuple(input.shape):
            raise ValueError(
                f"target must have the shape of input {tuple(input.shape)}, got "
                f"{tuple(target.shape)} (for a label map, pass to_onehot_y=True)"
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
        return self.base_loss(input, given) + self.alpha * term

    def extra_repr(self) -> str:
        return (
            f"sigmoid={self.sigmoid}, softmax={self.softmax}, "
            f"include_background={self.include_background}, to_onehot_y={self.to_onehot_y}, "
            f"alpha={self.alpha}"
        )


class _PersistenceLoss(_SegmentationLoss):
    """A loss on the persistence of the sublevel or superlevel filtrations of the grid."""

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
        to_onehot_y: bool,
    ) -> None:
        super().__init__(
            sigmoid, softmax, include_background, base_loss, alpha, reduction, to_onehot_y
        )
        check_options(superlevel, construction, n_threads)
        self.superlevel = superlevel
        self.construction = construction
        self.n_threads = n_threads

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, superlevel={self.superlevel}, "
            f"construction={self.construction!r}"
        )


def _one_hot(labels: torch.Tensor, input: torch.Tensor) -> torch.Tensor:
    """The one-hot ``(B, C, *grid)`` target, in the input's dtype, of a label map of class
    indices in ``[0, C)``, shaped ``(B, 1, *grid)`` (MONAI's) or ``(B, *grid)`` (torch's
    cross-entropy's). Under ``torch.compile`` the indices' values are not checked (a check
    would branch on data)."""
    n_classes = input.shape[1]
    if n_classes < 2:
        raise ValueError(f"to_onehot_y=True needs several channels, got {n_classes}")
    grid = (input.shape[0], *input.shape[2:])
    if tuple(labels.shape) == (input.shape[0], 1, *input.shape[2:]):
        labels = labels[:, 0]
    elif tuple(labels.shape) != grid:
        raise ValueError(
            f"target must be a label map of shape {(input.shape[0], 1, *input.shape[2:])} or "
            f"{grid} with to_onehot_y=True, got {tuple(labels.shape)}"
        )
    if labels.is_complex():
        raise TypeError("target must hold class indices, got a complex tensor")
    if not torch.compiler.is_compiling() and labels.numel():
        if labels.dtype.is_floating_point and not (
            bool(torch.isfinite(labels).all()) and torch.equal(labels, labels.round())
        ):
            raise ValueError("target must hold integer class indices with to_onehot_y=True")
        # in the labels' own dtype: a cast to int64 first would wrap huge values around
        low, high = labels.min(), labels.max()
        if low < 0 or high >= n_classes:
            raise ValueError(
                f"target's class indices must lie in [0, {n_classes}) for {n_classes} "
                f"channels, got {low.item()} to {high.item()}"
            )
    one_hot = torch.zeros(input.shape, dtype=input.dtype, device=input.device)
    return one_hot.scatter_(1, labels.long().unsqueeze(1), 1)


class BettiMatchingLoss(_PersistenceLoss):
    """The Betti-matching loss (:func:`topolayer.losses.betti_matching_loss`) as a module.

    Parameters
    ----------
    sigmoid, softmax : bool
        Turn logits into probabilities first (at most one).
    include_background : bool
        Include channel 0 (ignored for a single channel).
    base_loss : callable, optional
        ``base_loss(input, target)`` on the raw input and target as given (e.g. a Dice loss),
        added to the topological term.
    alpha : float
        Weight of the topological term.
    superlevel, construction, reduction, push_unmatched_to_1_0, weights, threshold, n_threads
        As :func:`~topolayer.losses.betti_matching_loss`.
    to_onehot_y : bool
        The target is a label map of class indices, ``(B, 1, *grid)`` or ``(B, *grid)``: the
        topological term takes its one-hot encoding over the ``C`` channels of the input.

    Examples
    --------
    >>> import torch
    >>> logits = torch.randn(2, 1, 16, 16, requires_grad=True)
    >>> target = (torch.rand(2, 1, 16, 16) > 0.5).float()
    >>> loss = BettiMatchingLoss(sigmoid=True)(logits, target)
    >>> loss.backward()
    >>> logits.grad.shape
    torch.Size([2, 1, 16, 16])

    Three classes against a label map:

    >>> logits = torch.randn(2, 3, 16, 16)
    >>> labels = torch.randint(0, 3, (2, 1, 16, 16))
    >>> loss = BettiMatchingLoss(softmax=True, to_onehot_y=True)(logits, labels)
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
        to_onehot_y: bool = False,
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
            to_onehot_y,
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


class HuTopoLoss(_PersistenceLoss):
    """Hu et al.'s topological loss (:func:`topolayer.losses.hu_topo_loss`) as a module.

    Parameters
    ----------
    sigmoid, softmax, include_background, base_loss, alpha, to_onehot_y
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
        to_onehot_y: bool = False,
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
            to_onehot_y,
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


class CLDiceLoss(_SegmentationLoss):
    """The soft clDice loss (:func:`topolayer.losses.cldice_loss`) as a module.

    Parameters
    ----------
    sigmoid, softmax, include_background, base_loss, alpha, to_onehot_y
        As :class:`BettiMatchingLoss`.
    iterations, smooth, batch, reduction
        As :func:`~topolayer.losses.cldice_loss`.

    Examples
    --------
    Dice plus clDice, the paper's combination, on logits:

    >>> import torch
    >>> from topolayer.apps.segment import soft_dice_loss
    >>> logits = torch.randn(2, 1, 32, 32, requires_grad=True)
    >>> target = (torch.rand(2, 1, 32, 32) > 0.5).float()
    >>> dice = lambda logits, target: soft_dice_loss(torch.sigmoid(logits), target)
    >>> loss = CLDiceLoss(sigmoid=True, base_loss=dice, alpha=0.5)(logits, target)
    >>> loss.backward()
    """

    def __init__(
        self,
        sigmoid: bool = False,
        softmax: bool = False,
        include_background: bool = False,
        base_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        alpha: float = 1.0,
        iterations: int = 3,
        smooth: float = 1e-5,
        batch: bool = False,
        reduction: str = "mean",
        to_onehot_y: bool = False,
    ) -> None:
        super().__init__(
            sigmoid, softmax, include_background, base_loss, alpha, reduction, to_onehot_y
        )
        self.iterations, self.smooth, self.batch = _cldice.check_options(iterations, smooth, batch)

    def _term(self, probs: torch.Tensor, target: torch.Tensor, ndim: int) -> torch.Tensor:
        return _cldice.cldice_loss(
            probs,
            target,
            ndim=ndim,
            iterations=self.iterations,
            smooth=self.smooth,
            batch=self.batch,
            reduction=self.reduction,
        )

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, iterations={self.iterations}, smooth={self.smooth}, "
            f"batch={self.batch}"
        )
