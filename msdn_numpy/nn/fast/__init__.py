"""The fast variants: the same functions as the readable layers, computed with fewer, larger operations.

Nothing here runs by default. The readable layers of :mod:`msdn_numpy.nn` are what MSDN is
built from and what a student reads; these twins compute the same numbers (tested equal, to
float rounding; the optimisers bit for bit) and are switched on with ``TrainConfig(fast=True)``,
``MSDNClassifier(fast=True)`` or ``msdn train --fast``. docs/PERFORMANCE.md measures what they buy.

``multiscale``  :class:`MultiScaleConv1D`: every kernel size of MSDN's block from one shared im2col
``pointwise``   :class:`PointwiseConv1D`: a 1×1 convolution to one channel as a weighted sum
``optim``       :class:`FlatSGD`, :class:`FlatAdam`: the optimisers' updates on flat vectors

:func:`accelerate` swaps the fast twins into a model in place, :func:`readable` swaps them
back; both keep every parameter array, so training can switch at any time.
"""

from __future__ import annotations

from msdn_numpy.nn.fast.multiscale import MultiScaleConv1D, contiguous_rows, is_multiscale
from msdn_numpy.nn.fast.optim import FlatAdam, FlatSGD
from msdn_numpy.nn.fast.pointwise import PointwiseConv1D, is_pointwise
from msdn_numpy.nn.layers import Module

__all__ = ["FlatAdam", "FlatSGD", "MultiScaleConv1D", "PointwiseConv1D", "accelerate", "contiguous_rows", "readable"]


def _swap(module: Module, twin_of) -> Module:
    """Replace, in place, every attribute of every module in the tree for which ``twin_of`` gives a twin."""
    for m in list(module.modules()):
        for attr, value in list(vars(m).items()):
            twin = twin_of(value)
            if twin is not None:
                setattr(m, attr, twin)
    return module


def accelerate(module: Module) -> Module:
    """Swap in the fast twin of every readable layer that has one (in place); returns ``module``."""

    def twin(value):
        if is_multiscale(value):
            return MultiScaleConv1D.of(value)
        return PointwiseConv1D.of(value) if is_pointwise(value) else None

    return _swap(module, twin)


def readable(module: Module) -> Module:
    """Undo :func:`accelerate` (in place): the readable layers, holding the same parameter arrays."""
    return _swap(module, lambda v: v.readable() if isinstance(v, (MultiScaleConv1D, PointwiseConv1D)) else None)
