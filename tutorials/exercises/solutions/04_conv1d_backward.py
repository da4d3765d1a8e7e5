"""Exercise 4, worked solution — col2im and the backward pass of Conv1D.

Try the exercise (``tutorials/exercises/04_conv1d_backward.py``) before reading this.
Run:  python tutorials/exercises/solutions/04_conv1d_backward.py      (prints PASS for every function)
"""

# %% [markdown]
# # Exercise 4: the backward pass of Conv1D, with col2im
#
# The forward pass of exercise 3, with `cols2 = cols.reshape(C_in*K, N*L_out)` and
# `W2 = W.reshape(C_out, C_in*K)`, was
#
#     out2 = W2 @ cols2 + b[:, None]                       (C_out, N*L_out)
#
# so, with `dout2` the upstream gradient laid out the same way, the matrix-product rule gives
#
#     dW2 = dout2 @ cols2.T          db = dout2 summed over N and L_out          dcols2 = W2.T @ dout2
#
# `dcols` is the gradient of every *window entry*; but a position of `x_pad` appears in
# several windows (one per tap that reads it), so its gradient is the **sum** over those
# entries. That scatter-add is **col2im**, the adjoint of im2col:
#
#     dx_pad[n, c, p] = sum over (k, t) with t*stride + k*dilation == p of dcols[c, k, n, t]
#
# Finally `dx` is `dx_pad` without the padded positions (they were constants, not inputs).
# Loop over the `K` taps only: for one tap `k` the positions it read are a strided slice.

# %%
import numpy as np

from msdn_numpy.course.exercises import check
from msdn_numpy.nn.conv import im2col  # noqa: F401 (the package's; or paste yours from exercise 3)


# %%
def col2im(dcols: np.ndarray, L_pad: int, stride: int, dilation: int) -> np.ndarray:
    """Scatter-add window gradients back onto the padded input (the adjoint of im2col).

    Parameters
    ----------
    dcols : np.ndarray, shape (C_in, K, N, L_out)
        Gradient of every window entry, in im2col's layout.
    L_pad : int
        Length of the padded input.
    stride, dilation : int

    Returns
    -------
    dx_pad : np.ndarray, shape (N, C_in, L_pad)
    """
    # ============================== YOUR CODE HERE ==============================
    C_in, K, N, L_out = dcols.shape
    dx_pad = np.zeros((N, C_in, L_pad))
    stop = stride * (L_out - 1) + 1  # extent of the positions one tap touched
    for k in range(K):
        start = k * dilation
        # tap k read x_pad[:, :, start + t*stride] for t = 0..L_out-1; += because windows overlap
        dx_pad[:, :, start : start + stop : stride] += dcols[:, k].transpose(1, 0, 2)
    return dx_pad
    # ============================== END OF YOUR CODE ============================


# %%
def conv1d_backward(
    dout: np.ndarray, x_pad: np.ndarray, W: np.ndarray, stride: int, dilation: int, pad_left: int, L: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of ``out[n, o, t] = b[o] + sum_c sum_k W[o, c, k] x_pad[n, c, t*stride + k*dilation]``.

    Parameters
    ----------
    dout : np.ndarray, shape (N, C_out, L_out)
    x_pad : np.ndarray, shape (N, C_in, L_pad)
        The zero-padded input the forward pass saw.
    W : np.ndarray, shape (C_out, C_in, K)
    stride, dilation : int
    pad_left : int
        Zeros added on the left (so ``x = x_pad[:, :, pad_left:pad_left + L]``).
    L : int
        Length of the unpadded input.

    Returns
    -------
    dx : (N, C_in, L), dW : (C_out, C_in, K), db : (C_out,)
    """
    # ============================== YOUR CODE HERE ==============================
    N, C_in, L_pad = x_pad.shape
    C_out, _, K = W.shape
    L_out = dout.shape[2]
    cols2 = im2col(x_pad, K, stride, dilation).reshape(C_in * K, N * L_out)
    dout2 = dout.transpose(1, 0, 2).reshape(C_out, N * L_out)  # the forward's (C_out, N*L_out) layout
    dW = (dout2 @ cols2.T).reshape(C_out, C_in, K)
    db = dout2.sum(axis=1)  # the bias was added at every position of every example
    dcols = (W.reshape(C_out, C_in * K).T @ dout2).reshape(C_in, K, N, L_out)
    dx_pad = col2im(dcols, L_pad, stride, dilation)
    return dx_pad[:, :, pad_left : pad_left + L], dW, db
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# Compared with the package's `conv.col2im` and `Conv1D.backward` (which `gradcheck`
# checks against finite differences) on odd sizes, stride, dilation and uneven padding.

# %%
results = check("04_conv1d_backward", globals())
