"""A 1×1 convolution to one channel as a weighted sum of the channels (the fast twin of MSDN's ``combine``).

``Conv1D(C_in, 1, kernel_size=1)`` with stride 1 and no padding computes, at every position,
``out[n, 0, t] = b + sum_c W[0, c, 0] x[n, c, t]``: a weighted sum of the channels. The
readable :class:`~msdn_numpy.nn.conv.Conv1D` builds an im2col matrix for it (a copy of the
input) and scatters its gradient back with col2im; a weighted sum needs neither::

    out = W[:, :, 0] @ x                      (one small product per example)
    dW[0, c, 0] = sum_{n,t} dout[n, 0, t] x[n, c, t]        dx = W[0, :, 0] ⊗ dout
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.nn.conv import Conv1D


def is_pointwise(module: object) -> bool:
    """Whether ``module`` is a readable ``Conv1D(C_in, 1, 1)``: stride 1, no padding (dilation is then moot)."""
    return type(module) is Conv1D and (module.kernel_size, module.C_out, module.stride) == (1, 1, 1) and (
        module.pad_left,
        module.pad_right,
    ) == (0, 0)


class PointwiseConv1D(Conv1D):
    """``Conv1D(C_in, 1, kernel_size=1)`` as a weighted sum; made from a readable one by :meth:`of`."""

    @classmethod
    def of(cls, conv: Conv1D) -> PointwiseConv1D:
        """A twin of ``conv`` that shares its ``params`` and ``grads`` dicts (the same arrays)."""
        if not is_pointwise(conv):
            raise ValueError(f"PointwiseConv1D.of: {conv!r} is not a 1x1 convolution to one channel")
        twin = cls.__new__(cls)
        twin.__dict__.update(conv.__dict__)  # the same params and grads dicts, the same settings
        twin._cache = None
        return twin

    def readable(self) -> Conv1D:
        """The readable Conv1D, sharing this layer's parameters."""
        conv = Conv1D.__new__(Conv1D)
        conv.__dict__.update(self.__dict__)
        conv._cache = None
        return conv

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x (N, C_in, L)`` → ``out (N, 1, L)``."""
        x = self._check_input(x)
        out = np.matmul(self.params["W"][:, :, 0].astype(x.dtype, copy=False), x)  # (1, C_in) @ (N, C_in, L)
        if "b" in self.params:
            out += self.params["b"].astype(x.dtype, copy=False)[:, None]
        self._cache = x
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout (N, 1, L)`` → ``dx (N, C_in, L)``; assigns ``grads["W"]`` and ``grads["b"]``."""
        x = self._cached()
        dout = self._check_dout(dout, (x.shape[0], 1, x.shape[2]), x.dtype)
        W = self.params["W"]
        self.grads["W"] = np.matmul(dout, x.transpose(0, 2, 1)).sum(axis=0)[:, :, None].astype(W.dtype, copy=False)
        if "b" in self.params:
            self.grads["b"] = dout.sum(axis=(0, 2)).astype(self.params["b"].dtype, copy=False)
        # laid out C-contiguous whatever dout's strides, so the next layer reads an ordinary array
        return np.multiply(W[0, :, 0].astype(x.dtype, copy=False)[None, :, None], dout, order="C")
