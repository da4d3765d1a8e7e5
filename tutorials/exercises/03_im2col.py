"""Exercise 3 — im2col as a strided view, and the convolution as one matrix product.

Fill in the code between the ``YOUR CODE`` markers, then run this file (or its cells in a
notebook): the last cell checks each function against the package and prints PASS, FAIL
(with what is wrong) or NOT DONE. The worked solution is ``solutions/03_im2col.py``: try first.
Run:  python tutorials/exercises/03_im2col.py
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
    raise NotImplementedError("exercise 3a: write im2col")
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
    raise NotImplementedError("exercise 3b: write conv1d_forward")
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# Compared with the package's `conv.im2col` and `Conv1D` on odd sizes, even kernels,
# stride 2 and 3, dilation 2 and 3, and uneven padding; `im2col` must return a view.

# %%
results = check("03_im2col", globals())
