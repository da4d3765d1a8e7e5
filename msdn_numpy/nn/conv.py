"""One-dimensional convolution as one matrix product (im2col): the heart of MSDN.

MSDN slides 1-D kernels along the *label axis* of a per-example label-embedding matrix
``Z (N, C_in, L)``. The equation (cross-correlation, as in PyTorch; no kernel flip)::

    out[n, o, t] = b[o] + sum_c sum_k  W[o, c, k] * x_pad[n, c, t*stride + k*dilation]

Shapes: ``x (N, C_in, L)``, ``W (C_out, C_in, K)``, ``b (C_out,)``, ``x_pad (N, C_in, L_pad)``
with ``L_pad = pad_left + L + pad_right``, and ``out (N, C_out, L_out)``
(:func:`conv_output_length`).

:class:`Conv1D` computes it in three steps: pad, look at the input through a strided window
view (:func:`im2col`), and do the whole sum as **one matrix product**. Backward is two matrix
products plus the scatter-add :func:`col2im`. The loops that read like the equation, the
definition this file is tested against, are in :mod:`msdn_numpy.nn.conv_naive`.

Padding modes: ``"zeros"`` (the default) and ``"circular"``, which treats the labels as a
ring: the left pad copies the end of the sequence, the right pad its start.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from msdn_numpy.nn.layers import Module, as_generator, check_input

#: How the ends of the axis are padded; defined here once, imported everywhere else.
PADDING_MODES = ("zeros", "circular")
PADDING_CHOICES = "'valid', 'same', an int p >= 0, or a pair (left, right) of ints >= 0"

Padding = str | int | tuple[int, int]


def conv_output_length(L: int, kernel_size: int, stride: int, dilation: int, pad_left: int, pad_right: int) -> int:
    """Number of output positions, in integer arithmetic::

        L_out = (L + pad_left + pad_right - dilation*(K-1) - 1) // stride + 1

    A dilated kernel spans ``S = dilation*(K-1) + 1`` positions and fits at the starts
    ``0, stride, 2*stride, ...`` while it stays inside the padded input. Raises ``ValueError``
    when it does not fit at all.
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

    * ``'valid'`` → ``(0, 0)``: the output is shorter than the input.
    * ``'same'`` → ``total = dilation*(K-1)``, ``left = total // 2``, ``right = total - left``:
      with stride 1 the output has the input's length; an even kernel's extra position goes on
      the right (PyTorch's split: K=4 gives ``(1, 2)``).
    * an int ``p`` → ``(p, p)``; a pair ``(l, r)`` → ``(l, r)``.
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
    """Pad the last axis: ``(..., L)`` → ``(..., left + L + right)``; the input is never modified.

    ``"zeros"`` fills with zeros; ``"circular"`` wraps around, ``x_pad[..., p] = x[..., (p - left) mod L]``,
    even when a pad is longer than ``L`` (PyTorch refuses that case).
    """
    if mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}; got {mode!r}")
    if left == 0 and right == 0:
        return x
    if mode == "circular":
        return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(left, right)], mode="wrap")
    x_pad = np.zeros(x.shape[:-1] + (left + x.shape[-1] + right,), dtype=x.dtype)  # np.pad, without its overhead
    x_pad[..., left : left + x.shape[-1]] = x
    return x_pad


def unpad1d(dx_padded: np.ndarray, left: int, right: int, L: int, mode: str = "zeros") -> np.ndarray:
    """The backward pass of :func:`pad1d`: ``(..., left + L + right)`` → ``(..., L)``.

    Zero padding: the padded positions are constants, their gradient is dropped. Circular
    padding: each padded position is a copy of ``x[..., (p - left) mod L]``, so its gradient is
    added back onto that source. Vectorised: shift by ``(-left) mod L`` so that position ``p``
    lands at ``q`` with ``q mod L == (p - left) mod L``, zero-fill to whole periods of ``L``,
    and sum the periods.
    """
    if mode == "zeros" or (left == 0 and right == 0):
        return dx_padded[..., left : left + L]
    offset = (-left) % L
    L_pad = dx_padded.shape[-1]
    periods = -(-(offset + L_pad) // L)  # ceil division
    ring = np.zeros(dx_padded.shape[:-1] + (periods * L,), dtype=dx_padded.dtype)
    ring[..., offset : offset + L_pad] = dx_padded
    return ring.reshape(dx_padded.shape[:-1] + (periods, L)).sum(axis=-2)


def im2col(x_padded: np.ndarray, kernel_size: int, stride: int = 1, dilation: int = 1) -> np.ndarray:
    """All kernel windows of ``x_padded (N, C_in, L_pad)`` as a read-only strided *view* (no copy).

    Returns ``cols (C_in, K, N, L_out)`` with ``cols[c, k, n, t] = x_padded[n, c, t*stride + k*dilation]``.

    ``cols.reshape(C_in*K, N*L_out)`` is the im2col matrix: one row per (channel, tap), the
    column order of ``W.reshape(C_out, C_in*K)``, and one column per output position of every
    example, so the whole convolution is one product ``W2 @ cols2`` (``(C_out, N*L_out)``). That
    reshape is the one copy. The view is made from strides alone: one step along ``c`` moves one
    channel of ``x_padded``, along ``k`` ``dilation`` positions, along ``n`` one example, along
    ``t`` ``stride`` positions.
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
    """The adjoint of :func:`im2col`: scatter-add window gradients back onto the padded input.

    ``dcols (C_in, K, N, L_out)`` → ``dx_padded (N, C_in, L_pad)`` with
    ``dx_padded[n, c, p] = sum over (k, t) with t*stride + k*dilation == p of dcols[c, k, n, t]``:
    a position read by several windows receives the sum of their gradients.

    One loop over the K taps: tap ``k`` read the positions ``k*dilation, k*dilation + stride, ...``,
    one strided slice, all distinct, so a plain ``+=`` per tap is exact.
    """
    C_in, K, N, L_out = dcols.shape
    dx_padded = np.zeros((N, C_in, L_pad), dtype=dcols.dtype)
    last = stride * (L_out - 1) + 1  # extent of one tap's positions
    for k in range(K):
        start = k * dilation
        dx_padded[:, :, start : start + last : stride] += dcols[:, k].transpose(1, 0, 2)
    return dx_padded


class Conv1D(Module):
    """1-D convolution over the last axis, computed as one matrix product (im2col).

    Parameters
    ----------
    C_in, C_out : int
        Input and output channels.
    kernel_size : int
        ``K``, the number of taps.
    stride, dilation : int
        Step between output positions; gap between taps (a kernel spans ``dilation*(K-1) + 1``).
    padding : 'valid', 'same', int or (left, right)
        See :func:`resolve_padding`.
    padding_mode : {'zeros', 'circular'}
        See :func:`pad1d`.
    bias : bool
        Add a learned bias per output channel (no ``"b"`` parameter when False).
    rng : Generator or int, optional
        ``W, b ~ U(-1/sqrt(C_in*K), 1/sqrt(C_in*K))``, PyTorch's default.

    Shapes: ``x (N, C_in, L)`` → ``out (N, C_out, L_out)``; ``W (C_out, C_in, K)``, ``b (C_out,)``.
    With ``W2 = W.reshape(C_out, C_in*K)``, ``cols`` the im2col matrix ``(C_in*K, N*L_out)`` and
    ``dout2`` = ``dout`` laid out as ``(C_out, N*L_out)``::

        forward:   out2 = W2 @ cols + b
        backward:  dW = dout2 @ cols^T      db = dout2 summed over N and L_out
                   dcols = W2^T @ dout2  →  col2im  →  unpad1d  →  dx

    Forward caches ``cols`` (about K times the input) because ``dW`` needs it. Computation runs
    in the input's dtype; the gradients are stored in the parameters' dtype.
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
        rng = as_generator(rng)
        bound = 1.0 / np.sqrt(self.C_in * self.kernel_size)
        self.params["W"] = rng.uniform(-bound, bound, size=(self.C_out, self.C_in, self.kernel_size))
        if bias:
            self.params["b"] = rng.uniform(-bound, bound, size=(self.C_out,))

    def output_length(self, L: int) -> int:
        """``L_out`` for an input of length ``L`` (:func:`conv_output_length`)."""
        return conv_output_length(L, self.kernel_size, self.stride, self.dilation, self.pad_left, self.pad_right)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x (N, C_in, L)`` → ``out (N, C_out, L_out)``."""
        x = self._check_input(x)
        N, _, L = x.shape
        L_out = self.output_length(L)  # the clear error if the kernel does not fit
        x_pad = pad1d(x, self.pad_left, self.pad_right, self.padding_mode)
        cols = im2col(x_pad, self.kernel_size, self.stride, self.dilation).reshape(-1, N * L_out)  # (C_in*K, N*L_out)
        out2 = self.params["W"].reshape(self.C_out, -1).astype(x.dtype, copy=False) @ cols  # (C_out, N*L_out)
        if "b" in self.params:
            out2 += self.params["b"].astype(x.dtype, copy=False)[:, None]
        self._cache = (cols, x.shape, x_pad.shape[2], L_out)
        return np.ascontiguousarray(out2.reshape(self.C_out, N, L_out).transpose(1, 0, 2))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout (N, C_out, L_out)`` → ``dx (N, C_in, L)``; assigns ``grads["W"]`` and ``grads["b"]``."""
        cols, (N, _, L), L_pad, L_out = self._cached()
        dout = self._check_dout(dout, (N, self.C_out, L_out), cols.dtype)
        dout2 = np.ascontiguousarray(dout.transpose(1, 0, 2)).reshape(self.C_out, N * L_out)
        W = self.params["W"]
        self.grads["W"] = (dout2 @ cols.T).reshape(W.shape).astype(W.dtype, copy=False)
        if "b" in self.params:
            self.grads["b"] = dout2.sum(axis=1).astype(self.params["b"].dtype, copy=False)
        dcols = W.reshape(self.C_out, -1).astype(cols.dtype, copy=False).T @ dout2  # (C_in*K, N*L_out)
        dx_pad = col2im(dcols.reshape(self.C_in, self.kernel_size, N, L_out), L_pad, self.stride, self.dilation)
        return np.ascontiguousarray(unpad1d(dx_pad, self.pad_left, self.pad_right, L, self.padding_mode))

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        """``x (N, C_in, L)`` checked, as a floating array (an int array computes in the parameters' dtype)."""
        check_input(x, type(self).__name__, N=None, C_in=self.C_in, L=None)
        return x if np.issubdtype(x.dtype, np.floating) else x.astype(self.dtype)

    def _check_dout(self, dout: np.ndarray, out_shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        if np.shape(dout) != out_shape:
            raise ValueError(
                f"{type(self).__name__}.backward: dout must have the output's shape "
                f"(N, C_out={self.C_out}, L_out) = {out_shape}, got {np.shape(dout)}"
            )
        return np.asarray(dout).astype(dtype, copy=False)

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
