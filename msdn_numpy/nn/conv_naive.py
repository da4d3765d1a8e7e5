"""Conv1D written as loops that read like its equation: the definition, for reading and testing.

::

    out[n, o, t] = b[o] + sum_c sum_k  W[o, c, k] * x_pad[n, c, t*stride + k*dilation]

:class:`~msdn_numpy.nn.conv.Conv1D` computes the same thing with one matrix product (im2col);
the tests check it against these loops, and ``msdn bench`` times both. Thousands of times
slower than im2col: use it on tiny inputs only (tutorial 3 does).
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.nn.conv import Conv1D, conv_output_length, pad1d


def conv1d_naive_forward(
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None,
    stride: int = 1,
    dilation: int = 1,
    pad_left: int = 0,
    pad_right: int = 0,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """Reference convolution with explicit loops (slow; for reading and testing).

    ``out[n, o, t] = b[o] + sum_c sum_k W[o, c, k] * x_pad[n, c, t*stride + k*dilation]``

    Parameters
    ----------
    x : np.ndarray, shape (N, C_in, L)
    W : np.ndarray, shape (C_out, C_in, K)
    b : np.ndarray of shape (C_out,), or None for no bias
    stride, dilation, pad_left, pad_right : int
    padding_mode : {"zeros", "circular"}

    Returns
    -------
    out : np.ndarray, shape (N, C_out, L_out)
    """
    N, C_in, L = x.shape
    C_out, _, K = W.shape
    x_pad = pad1d(x, pad_left, pad_right, padding_mode)
    L_out = conv_output_length(L, K, stride, dilation, pad_left, pad_right)
    out = np.zeros((N, C_out, L_out), dtype=np.result_type(x, W))
    for n in range(N):
        for o in range(C_out):
            for t in range(L_out):
                total = b[o] if b is not None else 0.0
                for c in range(C_in):
                    for k in range(K):
                        total += W[o, c, k] * x_pad[n, c, t * stride + k * dilation]
                out[n, o, t] = total
    return out


def conv1d_naive_backward(
    dout: np.ndarray,
    x: np.ndarray,
    W: np.ndarray,
    stride: int = 1,
    dilation: int = 1,
    pad_left: int = 0,
    pad_right: int = 0,
    padding_mode: str = "zeros",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference backward pass with explicit loops.

    Each term ``W[o, c, k] * x_pad[n, c, p]`` (``p = t*stride + k*dilation``) of the
    forward sum sends ``dout[n, o, t]`` to both factors' gradients::

        dW[o, c, k]     += dout[n, o, t] * x_pad[n, c, p]
        dx_pad[n, c, p] += dout[n, o, t] * W[o, c, k]
        db[o]           += dout[n, o, t]

    Then the padding is undone: a zero-padded position has no source, a circular one
    adds its gradient to the position it copied, ``(p - pad_left) mod L``.

    Parameters
    ----------
    dout : np.ndarray, shape (N, C_out, L_out)
    x : np.ndarray, shape (N, C_in, L)
    W : np.ndarray, shape (C_out, C_in, K)
    stride, dilation, pad_left, pad_right, padding_mode
        As in :func:`conv1d_naive_forward`.

    Returns
    -------
    dx : (N, C_in, L), dW : (C_out, C_in, K), db : (C_out,)
    """
    N, C_in, L = x.shape
    C_out, _, K = W.shape
    L_out = dout.shape[2]
    x_pad = pad1d(x, pad_left, pad_right, padding_mode)
    dtype = np.result_type(dout, x, W)
    dx_pad = np.zeros(x_pad.shape, dtype=dtype)
    dW = np.zeros(W.shape, dtype=dtype)
    db = np.zeros(C_out, dtype=dtype)
    for n in range(N):
        for o in range(C_out):
            for t in range(L_out):
                g = dout[n, o, t]
                db[o] += g
                for c in range(C_in):
                    for k in range(K):
                        p = t * stride + k * dilation
                        dW[o, c, k] += g * x_pad[n, c, p]
                        dx_pad[n, c, p] += g * W[o, c, k]
    dx = np.zeros(x.shape, dtype=dtype)
    for p in range(x_pad.shape[2]):
        if padding_mode == "circular":
            dx[:, :, (p - pad_left) % L] += dx_pad[:, :, p]
        elif pad_left <= p < pad_left + L:
            dx[:, :, p - pad_left] += dx_pad[:, :, p]
    return dx, dW, db



class Conv1DNaive(Conv1D):
    """:class:`~msdn_numpy.nn.conv.Conv1D` computed with the loops above (same parameters, same init)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        self.output_length(x.shape[2])  # the clear error before any loop runs
        W = self.params["W"].astype(x.dtype, copy=False)
        b = self.params["b"].astype(x.dtype, copy=False) if "b" in self.params else None
        self._cache = x
        return conv1d_naive_forward(
            x, W, b, self.stride, self.dilation, self.pad_left, self.pad_right, self.padding_mode
        )

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self._cached()
        out_shape = (x.shape[0], self.C_out, self.output_length(x.shape[2]))
        dout = self._check_dout(dout, out_shape, x.dtype)
        W = self.params["W"].astype(x.dtype, copy=False)
        dx, dW, db = conv1d_naive_backward(
            dout, x, W, self.stride, self.dilation, self.pad_left, self.pad_right, self.padding_mode
        )
        self.grads["W"] = dW.astype(self.params["W"].dtype, copy=False)
        if "b" in self.params:
            self.grads["b"] = db.astype(self.params["b"].dtype, copy=False)
        return dx
