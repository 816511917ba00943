"""The soft clDice loss of Shit et al. (CVPR 2021), on 2D and 3D grids. Re-exported by
:mod:`topolayer.losses`; the module is :class:`topolayer.nn.CLDiceLoss`.

Pure torch (max-pooling), so it runs on any device and under ``torch.compile``; it needs no
persistence and complements the persistence-based losses, whose matchings it does not see.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._logging import logged
from ._validate import check_bool, check_choice, check_int, check_real
from .functional.segmentation import check_pair

__all__ = ["cldice_loss"]

REDUCTIONS = ("mean", "sum", "none")


def _max_pool(x: torch.Tensor, kernel: tuple[int, ...], padding: tuple[int, ...]) -> torch.Tensor:
    pool = F.max_pool2d if x.dim() == 4 else F.max_pool3d
    return pool(x, kernel, stride=1, padding=padding)


def _soft_erode(x: torch.Tensor, ndim: int) -> torch.Tensor:
    """The minimum over the cross-shaped neighbourhood (the pixel and its 2 * ndim face
    neighbours): per axis a min-pool of width 3 along it, then the minimum over the axes.
    Pooling pads with -inf, so nothing erodes from outside the grid."""
    out = None
    for axis in range(ndim):
        kernel = tuple(3 if a == axis else 1 for a in range(ndim))
        padding = tuple(1 if a == axis else 0 for a in range(ndim))
        e = -_max_pool(-x, kernel, padding)
        out = e if out is None else torch.minimum(out, e)
    assert out is not None
    return out


def _soft_dilate(x: torch.Tensor, ndim: int) -> torch.Tensor:
    """The maximum over the 3^ndim box around each pixel."""
    return _max_pool(x, (3,) * ndim, (1,) * ndim)


def _soft_skeleton(x: torch.Tensor, ndim: int, iterations: int) -> torch.Tensor:
    """The soft skeleton of ``(N, 1, *grid)`` maps: the union, by ``a + b - ab``, over
    ``k = 0 .. iterations`` of the k-fold erosion minus its opening (erosion, then dilation),
    each clipped at 0. Each erosion serves the opening of one level and is the next level."""
    eroded = _soft_erode(x, ndim)
    skel = F.relu(x - _soft_dilate(eroded, ndim))
    for _ in range(iterations):
        x = eroded
        eroded = _soft_erode(x, ndim)
        delta = F.relu(x - _soft_dilate(eroded, ndim))
        skel = skel + F.relu(delta - skel * delta)
    return skel


def check_options(iterations, smooth, batch) -> tuple[int, float, bool]:
    """The soft skeleton's and the ratios' options, checked (shared with the module)."""
    iterations = check_int(iterations, "iterations", 0)
    smooth = check_real(smooth, "smooth")
    if smooth < 0:
        raise ValueError(f"smooth must be >= 0, got {smooth}")
    return iterations, smooth, check_bool(batch, "batch")


@logged("cldice_loss")
def cldice_loss(
    pred,
    target,
    ndim: int = 2,
    iterations: int = 3,
    smooth: float = 1e-5,
    batch: bool = False,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""The soft clDice loss of Shit et al. (CVPR 2021), differentiable in ``pred`` (and in
    ``target`` if it requires a gradient).

    With the soft skeletons ``S_P`` and ``S_G`` of the prediction ``P`` and the target ``G``
    (iterated soft erosions, each minus its soft opening), per instance:

    .. math:: T_{prec} = \frac{\sum S_P G + s}{\sum S_P + s}, \quad
              T_{sens} = \frac{\sum S_G P + s}{\sum S_G + s}, \quad
              \mathcal{L} = 1 - \frac{2\, T_{prec} T_{sens}}{T_{prec} + T_{sens}}

    summed over the grid. Erosion is a min-pool over the cross-shaped neighbourhood, dilation a
    max-pool over the ``3^ndim`` box, as in the paper's implementation; with
    ``batch=False`` and a mean the values and gradients equal topolosses'
    ``CLDiceLoss(use_base_loss=False)`` (tests, 2D; topolosses has no 3D).
    :func:`topolayer.metrics.cldice` scores thresholded predictions with morphological
    skeletons.

    Parameters
    ----------
    pred : (..., H, W) or (..., D, H, W) Tensor
        Predicted probabilities; every leading index is one instance (e.g. ``(B, C)``).
    target : Tensor or array
        Target of the same shape (a binary mask, or probabilities).
    ndim : {2, 3}
        Grid dimension.
    iterations : int
        Erosions of the soft skeleton: about the half-width, in pixels, of the thickest
        structure it thins to a centreline (default 3).
    smooth : float
        Added to each ratio's numerator and denominator (``>= 0``; with ``0``, an empty
        skeleton gives NaN).
    batch : bool
        Sum over the first leading axis (the batch) before the ratios, as MONAI's and
        topolosses' ``batch=True``: one value per remaining leading index.
    reduction : {"mean", "sum", "none"}
        Over instances; ``"none"`` gives shape ``pred.shape[:-ndim]`` (without the first axis
        for ``batch=True``).

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``, else one value per instance; float32 for float16 and
        bfloat16 inputs (summed in float32, which a float16 sum over a large grid overflows).

    Raises
    ------
    TypeError, ValueError
        For a non-float ``pred``, shapes that differ, or a bad option.

    Examples
    --------
    A vessel predicted with a gap loses part of its centreline; a perfect prediction loses
    nothing:

    >>> import torch
    >>> target = torch.zeros(1, 1, 9, 20)
    >>> target[..., 3:6, 2:18] = 1
    >>> broken = target.clone()
    >>> broken[..., 9:11] = 0
    >>> round(cldice_loss(target, target).item(), 6)
    0.0
    >>> bool(cldice_loss(broken, target) > 0.05)
    True
    """
    pred, target = check_pair(pred, target, ndim)
    iterations, smooth, batch = check_options(iterations, smooth, batch)
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    lead = tuple(pred.shape[: pred.dim() - ndim])
    if batch and not lead:
        raise ValueError("batch=True needs a leading batch axis before the grid")
    grid = tuple(pred.shape[pred.dim() - ndim :])
    p = pred.reshape(-1, 1, *grid)
    g = target.reshape(-1, 1, *grid)
    skel_p = _soft_skeleton(p, ndim, iterations)
    skel_g = _soft_skeleton(g, ndim, iterations)
    # half-precision sums of a large grid would overflow (float16 stops at 65504); the loss
    # stays in float32, as torch's autocast computes losses
    acc = torch.float32 if pred.dtype in (torch.float16, torch.bfloat16) else pred.dtype
    sums = torch.stack(
        [t.flatten(1).sum(1, dtype=acc) for t in (skel_p * g, skel_p, skel_g * p, skel_g)]
    ).reshape(4, *lead)
    if batch:
        sums = sums.sum(1)
    tprec = (sums[0] + smooth) / (sums[1] + smooth)
    tsens = (sums[2] + smooth) / (sums[3] + smooth)
    loss = 1 - 2 * tprec * tsens / (tprec + tsens)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
