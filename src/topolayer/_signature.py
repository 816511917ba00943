"""The signature loss: two spaces compared through persistence pairings (topological
autoencoders); public as :func:`topolayer.losses.signature_loss`.

The signature loss of Moor, Horn, Rieck & Borgwardt, "Topological Autoencoders" (ICML 2020):
the Vietoris–Rips persistence pairing of a minibatch in input space ``X`` selects the edges that
matter to its topology (H0: the edges that merge components; higher dimensions: birth and death
edges); the loss asks the latent minibatch ``Z`` to have the same lengths on those edges, and
symmetrically with ``Z``'s pairing. The pairings come from :func:`topolayer.functional.rips`
(critical edges); the lengths are read from the two distance matrices, so gradients reach both
spaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import torch

from . import _validate
from .diagram import DiagramBatch
from .functional.rips import rips

__all__ = ["signature_loss", "dims_tuple"]


def dims_tuple(dims: int | Sequence[int]) -> tuple[int, ...]:
    out = (dims,) if isinstance(dims, int) else tuple(dims)
    if not out:
        raise ValueError("dims must name at least one homology dimension")
    return tuple(_validate.check_max_dim(d, name="dims") for d in out)


def _selected(d: torch.Tensor, pairing: DiagramBatch, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The signature of the ``(B, N, N)`` distances ``d`` on dimension ``k`` of ``pairing``:
    per finite bar, the length of its death edge (H0) or ``|death edge - birth edge|``; and the
    bar's batch item."""
    idx = pairing.indices[k]  # type: ignore[index]
    item = pairing.batch[k]
    finite = idx[:, 2] >= 0
    idx, item = idx[finite], item[finite]
    death = d[item, idx[:, 2], idx[:, 3]]
    if k == 0:
        return death, item
    return (death - d[item, idx[:, 0], idx[:, 1]]).abs(), item


def signature_loss(
    x: torch.Tensor,
    z: torch.Tensor,
    dims: int | Sequence[int] = 0,
    p: float = 2.0,
    normalise: bool = True,
) -> torch.Tensor:
    r"""The topological signature loss between a minibatch ``x`` and its embedding ``z``.

    With :math:`A^X, A^Z` the distance matrices (the ``p``-norm between points, each divided
    by its largest entry when ``normalise``), :math:`\pi^X, \pi^Z` the Rips persistence pairings
    of the two point clouds in dimensions ``dims`` (Euclidean), and :math:`A[\pi]` the lengths
    of the pairing's edges (H0: the merging edges; above: ``|death - birth|`` edges):

    .. math:: L = \sum_{k \in dims} \tfrac12 \|A^X[\pi^X_k] - A^Z[\pi^X_k]\|_p
                + \tfrac12 \|A^Z[\pi^Z_k] - A^X[\pi^Z_k]\|_p

    as torch-topological's ``SignatureLoss(p, normalise, dimensions)`` computes it.

    Parameters
    ----------
    x : (N, D) or (B, N, D) Tensor
        Points in input space (a batch of minibatches gives one loss per item).
    z : (N, d) or (B, N, d) Tensor
        The same points in latent space.
    dims : int or sequence of int
        Homology dimensions whose pairings are compared (Moor et al. use 0).
    p : float
        Norm of the distance matrices and of the signature differences.
    normalise : bool
        Divide each distance matrix by its largest entry (scale-free across spaces).

    Returns
    -------
    () or (B,) Tensor

    Examples
    --------
    >>> import torch
    >>> from topolayer.losses import signature_loss
    >>> x = torch.rand(32, 5)
    >>> z = x[:, :2].clone().requires_grad_()
    >>> loss = signature_loss(x, z)
    >>> loss.backward()
    >>> float(signature_loss(x, x)) == 0.0
    True
    """
    dims = dims_tuple(dims)
    p = _validate.check_positive(p, "p", allow_inf=True)
    normalise = _validate.check_bool(normalise, "normalise")
    x = _validate.as_float_tensor(x, "x")
    z = _validate.as_float_tensor(z, "z")
    single = x.dim() == 2
    xs, zs = (x[None], z[None]) if single else (x, z)
    if xs.dim() != 3 or zs.dim() != 3 or xs.shape[:2] != zs.shape[:2]:
        raise ValueError(
            f"x and z must be (N, D) / (N, d) or (B, N, D) / (B, N, d) with the same B and N, "
            f"got {tuple(x.shape)} and {tuple(z.shape)}"
        )
    top = max(dims)
    pairs_x = cast(DiagramBatch, rips(xs.detach(), top))  # (B, N, D) input: a batch
    pairs_z = cast(DiagramBatch, rips(zs.detach(), top))
    dx = torch.cdist(xs, xs, p)
    dz = torch.cdist(zs, zs, p)
    if normalise:
        dx = dx / dx.amax((1, 2), keepdim=True)
        dz = dz / dz.amax((1, 2), keepdim=True)
    b = xs.shape[0]
    loss = xs.new_zeros(b)
    for k in dims:
        for own, other, pairing in ((dx, dz, pairs_x), (dz, dx, pairs_z)):
            a, item = _selected(own, pairing, k)
            c, _ = _selected(other, pairing, k)
            diff = (a - c).abs()
            if p == float("inf"):
                part = loss.new_zeros(b).index_reduce(0, item, diff, "amax", include_self=True)
            else:
                part = loss.new_zeros(b).index_add(0, item, diff.pow(p)).pow(1 / p)
            loss = loss + 0.5 * part
    return loss[0] if single else loss
