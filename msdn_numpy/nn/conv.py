"""One-dimensional convolution: the heart of MSDN.

MSDN slides 1-D kernels of several sizes along the *label axis* of a per-example
label-embedding matrix ``Z (N, C_in, L)``. This file computes that convolution twice
(all kernel sizes at once, MSDN's relation block, is :mod:`msdn_numpy.nn.multiscale`):

* a deliberately naive version (:func:`conv1d_naive_forward`,
  :func:`conv1d_naive_backward`, :class:`Conv1DNaive`): explicit Python loops that
  read like the equation below. It is the *definition*; everything else is tested
  against it.
* a fast version (:class:`Conv1D`): pad, look at the input through a strided window
  view (:func:`im2col`), and do the whole convolution as **one matrix product**.
  Backward is two matrix products plus the scatter-add :func:`col2im`.

The equation (cross-correlation, as in PyTorch; no kernel flip)::

    out[n, o, t] = b[o] + sum_c sum_k  W[o, c, k] * x_pad[n, c, t*stride + k*dilation]

Shapes: ``x (N, C_in, L)``, ``W (C_out, C_in, K)``, ``b (C_out,)``,
``x_pad (N, C_in, L_pad)`` with ``L_pad = pad_left + L + pad_right``, and
``out (N, C_out, L_out)`` with ``L_out`` from :func:`conv_output_length`.

Padding modes: ``"zeros"`` (the default) and ``"circular"``, which treats the labels as
a ring: the left pad copies the end of the sequence, the right pad its start.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from msdn_numpy.nn.layers import Module, as_generator

PADDING_MODES = ("zeros", "circular")
PADDING_CHOICES = "'valid', 'same', an int p >= 0, or a pair (left, right) of ints >= 0"

Padding = str | int | tuple[int, int]


# --------------------------------------------------------------------------------------
# Shape arithmetic and padding
# --------------------------------------------------------------------------------------
def conv_output_length(L: int, kernel_size: int, stride: int, dilation: int, pad_left: int, pad_right: int) -> int:
    """Number of output positions of a 1-D convolution (integer arithmetic only).

    A dilated kernel spans ``S = dilation * (K - 1) + 1`` input positions. It fits at
    the start positions ``0, stride, 2*stride, ...`` as long as it stays inside the
    padded input of length ``P = L + pad_left + pad_right``, so::

        L_out = (P - S) // stride + 1 = (L + pad_left + pad_right - dilation*(K-1) - 1) // stride + 1

    Parameters
    ----------
    L : int
        Input length.
    kernel_size : int
        ``K``.
    stride, dilation : int
        Step between output positions; gap between kernel taps.
    pad_left, pad_right : int
        Padding added on each side.

    Returns
    -------
    int
        ``L_out >= 1``.

    Raises
    ------
    ValueError
        When the dilated kernel does not fit in the padded input (``P < S``).
    """
    padded = L + pad_left + pad_right
    span = dilation * (kernel_size - 1) + 1
    if padded < span:
        raise ValueError(
            f"kernel of size {kernel_size} (dilation {dilation}, spans {span} positions) is larger than "
            f"the padded input of length {padded}; use padding='same' or a smaller kernel"
        )
    return (padded - span) // stride + 1


def resolve_padding(padding: Padding, kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """Turn a padding specification into ``(left, right)`` amounts.

    * ``'valid'`` → ``(0, 0)``: no padding, the output is shorter than the input.
    * ``'same'`` → ``total = dilation * (K - 1)``, ``left = total // 2``,
      ``right = total - left``: with stride 1 the output has the input's length.
      For an even kernel the extra position goes on the right (PyTorch's split; K=4,
      d=1 gives ``(1, 2)``), so output ``t`` is centred on input ``t`` as far as it can be.
    * an int ``p`` → ``(p, p)``; a pair ``(l, r)`` → ``(l, r)``.

    Raises
    ------
    ValueError
        For an unknown string, a negative amount or anything else, listing the choices.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding == "same":
            total = dilation * (kernel_size - 1)
            return total // 2, total - total // 2
    elif isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        if padding >= 0:
            return int(padding), int(padding)
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        left, right = padding
        if all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= 0 for p in (left, right)):
            return int(left), int(right)
    raise ValueError(f"padding must be {PADDING_CHOICES}; got {padding!r}")


def pad1d(x: np.ndarray, left: int, right: int, mode: str = "zeros") -> np.ndarray:
    """Pad the last axis: ``(..., L)`` → ``(..., left + L + right)``.

    ``mode="zeros"`` fills with zeros. ``mode="circular"`` wraps around::

        x_pad[..., p] = x[..., (p - left) mod L]

    which holds even when a pad is longer than ``L`` (the sequence is then repeated;
    PyTorch's circular pad refuses that case). Returns ``x`` itself, not a copy, when
    there is nothing to pad; the input is never modified.
    """
    if mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}; got {mode!r}")
    if left == 0 and right == 0:
        return x
    if mode == "zeros":
        # The same as np.pad(mode="constant"), written as a zero buffer and one slice
        # copy: np.pad spends tens of microseconds on Python bookkeeping per call, far
        # more than the copy at MSDN's sizes (measured at a yeast batch (32, 8, 14):
        # 49 us for np.pad, 2 us for this; there are 3 such calls per batch).
        x_pad = np.zeros(x.shape[:-1] + (left + x.shape[-1] + right,), dtype=x.dtype)
        x_pad[..., left : left + x.shape[-1]] = x
        return x_pad
    widths = [(0, 0)] * (x.ndim - 1) + [(left, right)]
    return np.pad(x, widths, mode="wrap")


def unpad1d(dx_padded: np.ndarray, left: int, right: int, L: int, mode: str = "zeros") -> np.ndarray:
    """The backward pass of :func:`pad1d`: ``(..., left + L + right)`` → ``(..., L)``.

    With zero padding the padded positions are constants, so their gradient is simply
    dropped: ``dx = dx_padded[..., left:left + L]``.

    With circular padding each padded position is a *copy* of ``x[..., (p - left) mod L]``,
    so its gradient is added back onto that source::

        dx[..., j] = sum over p with (p - left) mod L == j of dx_padded[..., p]

    Vectorised by shifting the padded positions by ``o = (-left) mod L`` (so that
    position ``p`` lands at ``q = p + o`` with ``q mod L == (p - left) mod L``),
    zero-filling up to a whole number ``M`` of periods, and summing the ``M`` periods:
    one reshape ``(..., M, L)`` and one sum, whatever the number of wraps.
    """
    if mode == "zeros" or (left == 0 and right == 0):
        return dx_padded[..., left : left + L]
    offset = (-left) % L
    L_pad = dx_padded.shape[-1]
    periods = -(-(offset + L_pad) // L)  # ceil division
    ring = np.zeros(dx_padded.shape[:-1] + (periods * L,), dtype=dx_padded.dtype)
    ring[..., offset : offset + L_pad] = dx_padded
    return ring.reshape(dx_padded.shape[:-1] + (periods, L)).sum(axis=-2)


def contiguous_rows(a: np.ndarray) -> np.ndarray:
    """``np.ascontiguousarray(a)``, copied a whole row of the last axis at a time.

    The layers lay ``(N, C, L)`` out as ``(C, N*L)`` for each matrix product and back
    (``a.transpose(1, 0, 2)``, then a copy). NumPy copies such a view number by number, in
    rows of only ``L`` values. Here each row is first viewed as one opaque element of
    ``L * itemsize`` bytes (a ``void`` dtype; allowed because the last axis is contiguous),
    so the copy moves ``N*C`` blocks instead. Same values, same shape, C-contiguous; ~2x
    faster at MSDN's short label axes ((32, 96, 14): 11 -> 6.5 us), equal from L ~ 1,000.
    Arrays whose last axis is not contiguous, or that already are C-contiguous, go to
    ``np.ascontiguousarray`` unchanged.
    """
    if a.flags.c_contiguous or a.ndim < 2 or a.strides[-1] != a.itemsize:
        return np.ascontiguousarray(a)
    rows = a.view(np.dtype((np.void, a.shape[-1] * a.itemsize)))[..., 0]  # (..., ) of whole rows
    return np.ascontiguousarray(rows).view(a.dtype).reshape(a.shape)


# --------------------------------------------------------------------------------------
# im2col / col2im
# --------------------------------------------------------------------------------------
def im2col(x_padded: np.ndarray, kernel_size: int, stride: int = 1, dilation: int = 1) -> np.ndarray:
    """All kernel windows of ``x_padded`` as a strided *view* (no data is copied).

    Parameters
    ----------
    x_padded : np.ndarray, shape (N, C_in, L_pad)
        The already padded input.
    kernel_size, stride, dilation : int
        ``K``, the step between windows, the gap between taps.

    Returns
    -------
    cols : np.ndarray, shape (C_in, K, N, L_out), read-only view of ``x_padded``
        ``cols[c, k, n, t] = x_padded[n, c, t*stride + k*dilation]``.

    Notes
    -----
    Layout, and why. ``cols.reshape(C_in*K, N*L_out)`` is the im2col matrix: one row per
    (input channel, tap) pair, i.e. exactly the column order of ``W.reshape(C_out, C_in*K)``,
    and one column per output position of every example. The whole convolution is then a
    single 2-D matrix product::

        out2 = W.reshape(C_out, C_in*K) @ cols.reshape(C_in*K, N*L_out)     # (C_out, N*L_out)

    That reshape is the one copy the method makes (the view is not contiguous). We
    measured the alternatives at N=256, C_in=16, C_out=32, K=5, L=53: ``(N*L_out, C_in*K)``
    rows and a batched ``(N, C_in*K, L_out)`` product were 1.5-2x slower than this
    layout, which hands BLAS one large, wide product (the big dimension ``N*L_out`` last)
    in forward *and* in both backward products.

    No loop: the view is built from strides. Moving one step along an axis of ``cols``
    moves in memory by::

        c -> one channel of x_padded     k -> dilation positions
        n -> one example                 t -> stride positions
    """
    N, C_in, L_pad = x_padded.shape
    L_out = conv_output_length(L_pad, kernel_size, stride, dilation, 0, 0)
    s_n, s_c, s_l = x_padded.strides
    return as_strided(
        x_padded,
        shape=(C_in, kernel_size, N, L_out),
        strides=(s_c, dilation * s_l, s_n, stride * s_l),
        writeable=False,  # many entries alias the same memory: writing would be a bug
    )


def col2im(dcols: np.ndarray, L_pad: int, stride: int = 1, dilation: int = 1) -> np.ndarray:
    """The adjoint of :func:`im2col`: scatter-add window gradients back onto the input.

    Parameters
    ----------
    dcols : np.ndarray, shape (C_in, K, N, L_out)
        Gradient with respect to each window entry (``im2col``'s layout).
    L_pad : int
        Length of the padded input that ``im2col`` was given.
    stride, dilation : int
        As in ``im2col``.

    Returns
    -------
    dx_padded : np.ndarray, shape (N, C_in, L_pad)
        ``dx_padded[n, c, p] = sum over (k, t) with t*stride + k*dilation == p of dcols[c, k, n, t]``.
        An input position that appears in several windows receives the sum of their
        gradients: that is the chain rule for a value used several times.

    Notes
    -----
    One loop over the ``K`` taps (small: MSDN uses K <= 7). Tap ``k`` touched the input
    positions ``k*dilation, k*dilation + stride, ...``: one strided slice, so each
    step is a single vectorised add over all channels, examples and positions.
    Within one tap the positions are distinct, so a plain ``+=`` is exact
    (no ``np.add.at`` needed). The buffer is kept as ``(C_in, N, L_pad)`` to match the
    layout of ``dcols`` and returned as a transposed view.
    """
    C_in, K, N, L_out = dcols.shape
    dx_padded = np.zeros((C_in, N, L_pad), dtype=dcols.dtype)
    last = stride * (L_out - 1) + 1  # extent of one tap's positions
    for k in range(K):
        start = k * dilation
        dx_padded[:, :, start : start + last : stride] += dcols[:, k]
    return dx_padded.transpose(1, 0, 2)


# --------------------------------------------------------------------------------------
# The naive reference: loops that mirror the equation
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# The layers
# --------------------------------------------------------------------------------------
class Conv1D(Module):
    """1-D convolution over the last axis, computed as one matrix product (im2col).

    ``out[n, o, t] = b[o] + sum_c sum_k W[o, c, k] * x_pad[n, c, t*stride + k*dilation]``

    Parameters
    ----------
    C_in, C_out : int
        Input and output channels.
    kernel_size : int
        ``K``, the number of taps.
    stride : int
        Step between output positions.
    padding : 'valid', 'same', int or (left, right)
        See :func:`resolve_padding`. ``'same'`` with ``stride > 1`` is allowed here (it
        uses the same padding amounts, so ``L_out = ceil(L / stride)``); PyTorch refuses
        that combination.
    dilation : int
        Gap between taps: the kernel spans ``dilation*(K-1) + 1`` positions.
    padding_mode : {'zeros', 'circular'}
        ``'circular'`` treats the sequence as a ring (see :func:`pad1d`).
    bias : bool
        Add a learned bias ``b`` per output channel (no ``"b"`` parameter when False).
    rng : Generator or int, optional
        Initialisation: ``W, b ~ U(-1/sqrt(C_in*K), 1/sqrt(C_in*K))``, PyTorch's default.

    Shapes: ``x (N, C_in, L)`` → ``out (N, C_out, L_out)``; ``params["W"] (C_out, C_in, K)``,
    ``params["b"] (C_out,)``.

    Forward: pad → :func:`im2col` view → one matrix product ``W2 @ cols`` with
    ``W2 = W.reshape(C_out, C_in*K)`` → add ``b``.
    Backward, with ``dout2 = dout`` laid out as ``(C_out, N*L_out)``::

        dW = dout2 @ cols^T            db = dout2.sum(over N and L_out)
        dcols = W2^T @ dout2  →  col2im  →  unpad1d  →  dx

    Computation runs in the input's dtype (float32 in, float32 out); the parameter
    gradients are stored in the parameters' dtype.

    Memory trade-off: forward caches the contiguous im2col matrix ``(C_in*K, N*L_out)``,
    about ``K/stride`` times the size of the input, because ``dW`` needs it. Caching only
    the padded input would save that memory at the price of rebuilding the matrix (one
    more copy) in backward; for MSDN's small label axis speed wins.

    One shortcut: a 1x1 convolution to a single channel (``K = 1``, ``C_out = 1``, stride 1,
    no padding; MSDN's read-out) is a weighted sum of the channels at every position,
    ``out[n, 0, t] = b + sum_c W[0, c, 0] x[n, c, t]``, so it skips im2col (a full copy of
    the input) and col2im::

        out = W[:, :, 0] @ x (per example)        dW[0, c, 0] = sum_{n,t} dout[n, 0, t] x[n, c, t]
        dx[n, c, t] = W[0, c, 0] dout[n, 0, t]    (a broadcast product)

    Same results; measured 3-5x faster than the im2col path at MSDN's read-out with
    1,000-4,000 labels (docs/PERFORMANCE.md).
    """

    def __init__(
        self,
        C_in: int,
        C_out: int,
        kernel_size: int,
        *,
        stride: int = 1,
        padding: Padding = "valid",
        dilation: int = 1,
        padding_mode: str = "zeros",
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        sizes = {"C_in": C_in, "C_out": C_out, "kernel_size": kernel_size, "stride": stride, "dilation": dilation}
        for name, value in sizes.items():
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive int, got {value!r}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"{type(self).__name__}: padding_mode must be one of {PADDING_MODES}; got {padding_mode!r}"
            )
        self.C_in, self.C_out, self.kernel_size = int(C_in), int(C_out), int(kernel_size)
        self.stride, self.dilation = int(stride), int(dilation)
        self.padding, self.padding_mode = padding, padding_mode
        self.pad_left, self.pad_right = resolve_padding(padding, self.kernel_size, self.dilation)
        # the read-out shortcut (see the class docstring); Conv1DNaive never takes it
        shape = (self.kernel_size, self.C_out, self.stride, self.pad_left, self.pad_right)
        self._weighted_sum = shape == (1, 1, 1, 0, 0)

        rng = as_generator(rng)
        bound = 1.0 / np.sqrt(self.C_in * self.kernel_size)
        self.params["W"] = rng.uniform(-bound, bound, size=(self.C_out, self.C_in, self.kernel_size))
        if bias:
            self.params["b"] = rng.uniform(-bound, bound, size=(self.C_out,))

    # -- helpers shared with Conv1DNaive ---------------------------------------------
    def _check_input(self, x: np.ndarray) -> np.ndarray:
        """Validate ``x (N, C_in, L)``; return it as a floating array."""
        name = type(self).__name__
        expected = f"(N, C_in={self.C_in}, L)"
        if not isinstance(x, np.ndarray):
            raise ValueError(f"{name}: expected a NumPy array of shape {expected}, got {type(x).__name__}")
        if x.ndim != 3 or x.shape[1] != self.C_in:
            raise ValueError(f"{name}: expected input of shape {expected}, got {x.shape}")
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(self.dtype)  # e.g. an int array: compute in the parameters' dtype
        return x

    def _check_dout(self, dout: np.ndarray, out_shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        if np.shape(dout) != out_shape:
            raise ValueError(
                f"{type(self).__name__}.backward: dout must have the output's shape "
                f"(N, C_out={self.C_out}, L_out) = {out_shape}, got {np.shape(dout)}"
            )
        return np.asarray(dout).astype(dtype, copy=False)

    def output_length(self, L: int) -> int:
        """``L_out`` for an input of length ``L`` (see :func:`conv_output_length`)."""
        return conv_output_length(L, self.kernel_size, self.stride, self.dilation, self.pad_left, self.pad_right)

    # -- the two passes -------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x (N, C_in, L)`` → ``out (N, C_out, L_out)``."""
        x = self._check_input(x)
        N, _, L = x.shape
        L_out = self.output_length(L)  # raises the clear error if the kernel does not fit
        W2 = self.params["W"].reshape(self.C_out, -1).astype(x.dtype, copy=False)  # (C_out, C_in*K)
        if self._weighted_sum:
            out = np.matmul(W2, x)  # (1, C_in) @ (N, C_in, L) -> (N, 1, L)
            if "b" in self.params:
                out += self.params["b"].astype(x.dtype, copy=False)[:, None]
            self._cache = x
            return out

        x_pad = pad1d(x, self.pad_left, self.pad_right, self.padding_mode)
        cols = im2col(x_pad, self.kernel_size, self.stride, self.dilation)
        cols = cols.reshape(self.C_in * self.kernel_size, N * L_out)  # the one copy: (C_in*K, N*L_out)

        out2 = W2 @ cols  # (C_out, N*L_out): the whole convolution
        if "b" in self.params:
            out2 += self.params["b"].astype(x.dtype, copy=False)[:, None]
        self._cache = (cols, x.shape, x_pad.shape[2], L_out)
        # (C_out, N, L_out) → (N, C_out, L_out); made contiguous so the next layer gets
        # an ordinary array (costs one pass over the output, small next to the product).
        return contiguous_rows(out2.reshape(self.C_out, N, L_out).transpose(1, 0, 2))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout (N, C_out, L_out)`` → ``dx (N, C_in, L)``; assigns ``grads["W"]``, ``grads["b"]``."""
        if self._weighted_sum:
            return self._weighted_sum_backward(dout)
        cols, (N, _, L), L_pad, L_out = self._cached()
        dout = self._check_dout(dout, (N, self.C_out, L_out), cols.dtype)
        dout2 = contiguous_rows(dout.transpose(1, 0, 2)).reshape(self.C_out, N * L_out)  # (C_out, N*L_out), one copy

        # dW2 = dout2 @ cols^T, shape (C_out, C_in*K). OpenBLAS runs this product 15-30%
        # faster with the operand that has more rows on the left (measured at MSDN's shapes),
        # so when C_in*K > C_out we compute its transpose (cols @ dout2^T)^T: the same sums.
        dW2 = (cols @ dout2.T).T if cols.shape[0] > self.C_out else dout2 @ cols.T
        self.grads["W"] = dW2.reshape(self.params["W"].shape).astype(self.params["W"].dtype, copy=False)
        if "b" in self.params:
            self.grads["b"] = dout2.sum(axis=1).astype(self.params["b"].dtype, copy=False)

        # dcols = W2^T @ dout2, computed with the rows in tap-major order (k, c) and viewed
        # back as col2im's (C_in, K, N, L_out): each tap's block is then contiguous in memory,
        # so col2im's per-tap adds read it in one sweep (measured: up to 10% of the whole
        # layer at MSDN's short label axes, one thread; no change at long ones).
        W2_taps = self.params["W"].transpose(0, 2, 1).reshape(self.C_out, -1).astype(cols.dtype)  # (C_out, K*C_in)
        dcols = (W2_taps.T @ dout2).reshape(self.kernel_size, self.C_in, N, L_out).transpose(1, 0, 2, 3)
        dx_pad = col2im(dcols, L_pad, self.stride, self.dilation)  # (N, C_in, L_pad)
        dx = unpad1d(dx_pad, self.pad_left, self.pad_right, L, self.padding_mode)
        return np.ascontiguousarray(dx)

    def _weighted_sum_backward(self, dout: np.ndarray) -> np.ndarray:
        """The read-out shortcut's backward (class docstring): no im2col matrix, no col2im."""
        x = self._cached()
        dout = self._check_dout(dout, (x.shape[0], 1, x.shape[2]), x.dtype)
        W = self.params["W"]
        # dW[0, c, 0] = sum_n (dout[n] @ x[n]^T)[0, c]: one small product per example, then the sum
        self.grads["W"] = np.matmul(dout, x.transpose(0, 2, 1)).sum(axis=0)[:, :, None].astype(W.dtype, copy=False)
        if "b" in self.params:
            self.grads["b"] = dout.sum(axis=(0, 2)).astype(self.params["b"].dtype, copy=False)
        # (N, C_in, L), laid out C-contiguous whatever dout's layout (a broadcast result would
        # otherwise follow dout's strides, and every later layer would read it strided)
        return np.multiply(W[0, :, 0].astype(x.dtype, copy=False)[None, :, None], dout, order="C")

    def __repr__(self) -> str:
        args = [str(self.C_in), str(self.C_out), f"kernel_size={self.kernel_size}"]
        if self.stride != 1:
            args.append(f"stride={self.stride}")
        if self.padding != "valid":
            args.append(f"padding={self.padding!r}")
        if self.dilation != 1:
            args.append(f"dilation={self.dilation}")
        if self.padding_mode != "zeros":
            args.append(f"padding_mode={self.padding_mode!r}")
        if "b" not in self.params:
            args.append("bias=False")
        return f"{type(self).__name__}({', '.join(args)})"


class Conv1DNaive(Conv1D):
    """:class:`Conv1D` computed with the loop reference (same parameters, same init).

    For tutorials and benchmarks only: it is orders of magnitude slower.
    """

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


# --------------------------------------------------------------------------------------
# Several kernel sizes at once: MSDN's relation block from one shared im2col matrix
# --------------------------------------------------------------------------------------
