"""Worked solution of tutorial 8 (``python tutorials/08_exercise.py --solution`` checks it).

Try the exercise before reading this.
"""

from __future__ import annotations

import numpy as np


def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``out = max(x, 0)`` has slope 1 where ``x > 0`` and 0 elsewhere, so the gradient
    passes through where the input was positive and is blocked elsewhere.
    (At ``x == 0`` ReLU has no derivative; we use 0, like the package and PyTorch.)
    """
    return dout * (x > 0)


def conv1d_backward(
    dout: np.ndarray, x_pad: np.ndarray, W: np.ndarray, pad_left: int, L: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of ``out[n, o, t] = b[o] + sum_c sum_k W[o, c, k] x_pad[n, c, t + k]``.

    Every term ``W[o, c, k] * x_pad[n, c, t + k]`` of the forward sum receives
    ``dout[n, o, t]``, and the product rule sends it to both factors:

        dW[o, c, k]         += dout[n, o, t] * x_pad[n, c, t + k]
        dx_pad[n, c, t + k] += dout[n, o, t] * W[o, c, k]
        db[o]               += dout[n, o, t]

    For a fixed tap ``k`` the positions ``t + k`` (t = 0 .. L_out-1) are the slice
    ``k : k + L_out``, so one loop over the K taps vectorises everything else.
    An input position used by several windows collects the *sum* of their gradients.
    Finally the padding is dropped: padded zeros are constants, not inputs.
    """
    C_out, C_in, K = W.shape
    L_out = dout.shape[2]
    dW = np.zeros_like(W)
    dx_pad = np.zeros_like(x_pad)
    for k in range(K):
        window = x_pad[:, :, k : k + L_out]  # (N, C_in, L_out): what tap k saw
        dW[:, :, k] = np.einsum("not,nct->oc", dout, window)
        dx_pad[:, :, k : k + L_out] += np.einsum("not,oc->nct", dout, W[:, :, k])
    db = dout.sum(axis=(0, 2))
    dx = dx_pad[:, :, pad_left : pad_left + L]
    return dx, dW, db
