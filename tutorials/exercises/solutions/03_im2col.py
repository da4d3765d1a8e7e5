"""Exercise 3, worked solution — im2col as a strided view, and the convolution as one matrix product.

Try the exercise (``tutorials/exercises/03_im2col.py``) before reading this.
Run:  python tutorials/exercises/solutions/03_im2col.py      (prints PASS for every function)
"""

# %% [markdown]
# # Exercise 3: im2col, and Conv1D as one matrix product
#
# MSDN slides 1-D kernels along the label axis. With `x_pad (N, C_in, L_pad)` the padded
# input, `W (C_out, C_in, K)` and `b (C_out,)` (cross-correlation, as in PyTorch: no flip):
#
#     out[n, o, t] = b[o] + sum_c sum_k W[o, c, k] * x_pad[n, c, t*stride + k*dilation]
#     L_out = (L_pad - dilation*(K - 1) - 1) // stride + 1
#
# **im2col** gathers every window the kernel sees into one array
#
#     cols[c, k, n, t] = x_pad[n, c, t*stride + k*dilation]        cols (C_in, K, N, L_out)
#
# and then the whole convolution is *one* matrix product:
# `W.reshape(C_out, C_in*K) @ cols.reshape(C_in*K, N*L_out)`. Tutorial 3 draws this matrix.
#
# Build `cols` without a loop and without copying: as a *view* of `x_pad`, with
# `numpy.lib.stride_tricks.as_strided`. A view is an array whose entries live in another
# array's memory; `strides` says how many bytes to move in memory for one step along each
# axis. Moving one step along an axis of `cols` moves, in `x_pad`: `c` → one channel,
# `k` → `dilation` positions, `n` → one example, `t` → `stride` positions. Take the byte
# sizes from `x_pad.strides` (do not assume `x_pad` is C-contiguous: the check passes a
# transposed one).

# %%
import numpy as np
from numpy.lib.stride_tricks import as_strided  # noqa: F401 (for your im2col)

from msdn_numpy.course.exercises import check


# %%
def im2col(x_pad: np.ndarray, K: int, stride: int, dilation: int) -> np.ndarray:
    """Every kernel window of ``x_pad``, as a view: ``cols[c, k, n, t] = x_pad[n, c, t*stride + k*dilation]``.

    Parameters
    ----------
    x_pad : np.ndarray, shape (N, C_in, L_pad)
        The already padded input (any strides).
    K, stride, dilation : int
        Kernel size, step between windows, gap between taps.

    Returns
    -------
    cols : np.ndarray, shape (C_in, K, N, L_out)
        A view of ``x_pad`` (no copy), ``L_out = (L_pad - dilation*(K-1) - 1) // stride + 1``.
    """
    # ============================== YOUR CODE HERE ==============================
    N, C_in, L_pad = x_pad.shape
    L_out = (L_pad - dilation * (K - 1) - 1) // stride + 1  # the last window ends inside x_pad
    s_n, s_c, s_l = x_pad.strides  # bytes per step along n, c and the length axis
    return as_strided(
        x_pad,
        shape=(C_in, K, N, L_out),
        strides=(s_c, dilation * s_l, s_n, stride * s_l),
        writeable=False,  # many entries share memory: writing through the view would be a bug
    )
    # ============================== END OF YOUR CODE ============================


# %%
def conv1d_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, dilation: int, pad_left: int, pad_right: int
) -> np.ndarray:
    """Conv1D with zero padding, as one matrix product over :func:`im2col`.

    Parameters
    ----------
    x : np.ndarray, shape (N, C_in, L)
    W : np.ndarray, shape (C_out, C_in, K)
    b : np.ndarray, shape (C_out,)
    stride, dilation : int
    pad_left, pad_right : int
        Zeros added before and after ``x`` along the length axis.

    Returns
    -------
    out : np.ndarray, shape (N, C_out, L_out)
    """
    # ============================== YOUR CODE HERE ==============================
    N, C_in, L = x.shape
    C_out, _, K = W.shape
    x_pad = np.zeros((N, C_in, pad_left + L + pad_right))
    x_pad[:, :, pad_left : pad_left + L] = x
    cols = im2col(x_pad, K, stride, dilation)  # (C_in, K, N, L_out)
    L_out = cols.shape[3]
    # rows of the im2col matrix are (c, k) pairs: the same order as the columns of W.reshape(C_out, C_in*K)
    out2 = W.reshape(C_out, C_in * K) @ cols.reshape(C_in * K, N * L_out) + b[:, None]  # (C_out, N*L_out)
    return out2.reshape(C_out, N, L_out).transpose(1, 0, 2)  # (N, C_out, L_out)
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# Compared with the package's `conv.im2col` and `Conv1D` on odd sizes, even kernels,
# stride 2 and 3, dilation 2 and 3, and uneven padding; `im2col` must return a view.

# %%
results = check("03_im2col", globals())
