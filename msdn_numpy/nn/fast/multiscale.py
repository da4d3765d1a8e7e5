"""MSDN's multi-scale convolutions from one shared im2col matrix (the fast twin of the readable branches).

The readable form, what MSDN runs by default, is one branch per kernel size,
``Parallel([Sequential(Conv1D(C_in, C_out, k, padding="same"), ReLU()) for k in K], axis=1)``:
each branch builds its own im2col matrix, and the outputs are concatenated. :class:`MultiScaleConv1D`
computes the same function from the same parameters (it holds the branches themselves) with
**one** im2col matrix shared by every kernel size. docs/PERFORMANCE.md measures both.

The idea. With 'same' padding, kernel ``k`` reads the positions ``t - (k-1)//2 … t + k//2``
around output ``t``. Pad once for the widest reach on each side, ``P_left = max_k (k-1)//2``,
``P_right = max_k k//2``, and take windows of ``S = P_left + P_right + 1`` taps: every kernel's
taps are a sub-window starting at ``o_k = P_left - (k-1)//2``. The shared im2col matrix is laid
out tap-major (row ``s*C_in + c`` holds ``x_pad[n, c, t + s]``), so kernel ``k``'s sub-window is
the contiguous block of rows ``o_k*C_in … (o_k+k)*C_in``.

Two ways to do the products, chosen per batch by :meth:`MultiScaleConv1D.one_product`:

* **one product**: every ``W_k`` placed at its taps in a zero ``(C_out, S, C_in)`` block, the
  blocks stacked into ``W_all (|K| C_out, S C_in)``, biases riding along as weights on a row of
  ones; three BLAS calls in all, but ``|K| S - sum(K)`` of every ``|K| S`` taps multiply zeros;
* **per kernel**: each kernel's products on its own sub-window; no zero taps, ``|K|`` times the calls.

The zeros cost ``Z = (|K| S - sum(K)) C_in C_out N L`` multiply-adds per product; the rule takes
the per-kernel path once ``Z >= (|K| - 1) * ONE_PRODUCT_ZERO_MACS`` (the measured crossover).
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.nn.conv import Conv1D, col2im, im2col, pad1d, resolve_padding, unpad1d
from msdn_numpy.nn.layers import Module, Parallel, ReLU, Sequential, as_generator, check_input

#: The per-kernel path starts when the zero taps of the one product cost this many multiply-adds
#: per extra kernel size (docs/PERFORMANCE.md, "The fast variants").
ONE_PRODUCT_ZERO_MACS = 2**19
MULTISCALE_PATHS = ("auto", "one-product", "per-kernel")


def contiguous_rows(a: np.ndarray) -> np.ndarray:
    """``np.ascontiguousarray(a)``, copied a whole row of the last axis at a time.

    Each row is viewed as one opaque ``void`` element of ``L * itemsize`` bytes, so NumPy moves
    ``N*C`` blocks instead of ``N*C*L`` numbers (faster on MSDN's short label axes). Arrays whose
    last axis is not contiguous, or that already are C-contiguous, go to ``np.ascontiguousarray``.
    """
    if a.flags.c_contiguous or a.ndim < 2 or a.strides[-1] != a.itemsize:
        return np.ascontiguousarray(a)
    rows = a.view(np.dtype((np.void, a.shape[-1] * a.itemsize)))[..., 0]  # (...,) of whole rows
    return np.ascontiguousarray(rows).view(a.dtype).reshape(a.shape)


def is_multiscale(module: object) -> bool:
    """Whether ``module`` is a readable multi-scale block :class:`MultiScaleConv1D` can compute:
    ``Parallel`` on the channel axis of ``Sequential(Conv1D, ReLU)`` branches, each 'same'-padded,
    stride 1, dilation 1, with a bias, sharing ``C_in``, ``C_out`` and the padding mode, with
    distinct kernel sizes."""
    if type(module) is not Parallel or module.axis != 1 or not module.branches:
        return False
    convs = []
    for b in module.branches:
        if type(b) is not Sequential or len(b.layers) != 2 or type(b.layers[1]) is not ReLU:
            return False
        convs.append(b.layers[0])
    if any(type(c) is not Conv1D for c in convs):
        return False
    first = convs[0]
    return len({c.kernel_size for c in convs}) == len(convs) and all(
        (c.C_in, c.C_out, c.padding_mode, c.stride, c.dilation) == (first.C_in, first.C_out, first.padding_mode, 1, 1)
        and "b" in c.params
        and (c.pad_left, c.pad_right) == resolve_padding("same", c.kernel_size)
        for c in convs
    )


class MultiScaleConv1D(Module):
    """MSDN's multi-scale block, conv + ReLU per kernel size concatenated on the channels, computed fused.

    ``MultiScaleConv1D(C_in, C_out, kernel_sizes)`` is the same function, with the same initial
    weights from the same ``rng``, as the readable block
    ``Parallel([Sequential(Conv1D(C_in, C_out, k, padding="same"), ReLU()) for k in kernel_sizes], axis=1)``;
    :meth:`of` wraps an existing readable block instead. Either way the layer holds the readable
    branches as its children, under their names: the parameters are the branches' arrays
    (``"0.0.W"``, ``"0.0.b"``, ``"1.0.W"``, ...), so optimisers, model files and gradcheck see
    what they see with the readable block, and :meth:`readable` gives that block back.

    Shapes: ``x (N, C_in, L)`` → ``out (N, |K| C_out, L)``, ReLU applied.
    ``path``: ``"auto"`` (the rule of the module docstring), ``"one-product"`` or ``"per-kernel"``.
    """

    def __init__(
        self,
        C_in: int,
        C_out: int,
        kernel_sizes: tuple[int, ...],
        *,
        padding_mode: str = "zeros",
        path: str = "auto",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        rng = as_generator(rng)
        convs = [Conv1D(C_in, C_out, k, padding="same", padding_mode=padding_mode, rng=rng) for k in kernel_sizes]
        self._fuse(Parallel([Sequential(conv, ReLU()) for conv in convs], axis=1), path)

    @classmethod
    def of(cls, block: Parallel, path: str = "auto") -> MultiScaleConv1D:
        """The fused twin of a readable block (:func:`is_multiscale`), holding its branches."""
        fused = cls.__new__(cls)
        fused._fuse(block, path)
        return fused

    def _fuse(self, block: Parallel, path: str) -> None:
        Module.__init__(self)
        if not is_multiscale(block):
            raise ValueError(
                f"MultiScaleConv1D: {block!r} is not a Parallel of Sequential(Conv1D 'same', ReLU) branches"
            )
        if path not in MULTISCALE_PATHS:
            raise ValueError(f"MultiScaleConv1D: path must be one of {MULTISCALE_PATHS}; got {path!r}")
        self.branches = list(block.branches)
        self.convs = [b.layers[0] for b in self.branches]
        first = self.convs[0]
        self.C_in, self.C_out, self.padding_mode, self.path = first.C_in, first.C_out, first.padding_mode, path
        self.kernel_sizes = tuple(c.kernel_size for c in self.convs)
        self.pad_left = max((k - 1) // 2 for k in self.kernel_sizes)
        self.pad_right = max(k // 2 for k in self.kernel_sizes)
        self.span = self.pad_left + self.pad_right + 1  # S: taps of the shared window
        self.offsets = tuple(self.pad_left - (k - 1) // 2 for k in self.kernel_sizes)  # o_k
        self.out_channels = len(self.kernel_sizes) * self.C_out

    def children(self) -> list[tuple[str, Module]]:
        return [(str(i), b) for i, b in enumerate(self.branches)]

    def readable(self) -> Parallel:
        """The readable block, holding the same branches (and so the same parameter arrays)."""
        return Parallel(self.branches, axis=1)

    def one_product(self, N: int, L: int) -> bool:
        """Whether a batch ``(N, C_in, L)`` takes the one-product path (module docstring)."""
        if self.path != "auto":
            return self.path == "one-product"
        K = self.kernel_sizes
        zero_macs = (len(K) * self.span - sum(K)) * self.C_in * self.C_out * N * L
        return len(K) == 1 or zero_macs < (len(K) - 1) * ONE_PRODUCT_ZERO_MACS

    def combined_weight(self, dtype: np.dtype) -> np.ndarray:
        """``[W_all | b] (|K| C_out, S C_in + 1)``: every ``W_k`` at its taps (tap-major columns), then the biases."""
        taps = self.span * self.C_in
        W_aug = np.zeros((self.out_channels, taps + 1), dtype=dtype)
        W_all = W_aug[:, :taps].reshape(self.out_channels, self.span, self.C_in)  # a view into W_aug
        for i, (conv, k, o) in enumerate(zip(self.convs, self.kernel_sizes, self.offsets)):
            rows = slice(i * self.C_out, (i + 1) * self.C_out)
            W_all[rows, o : o + k] = conv.params["W"].transpose(0, 2, 1)
            W_aug[rows, taps] = conv.params["b"]
        return W_aug

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x (N, C_in, L)`` → ``ReLU(concat_k conv_k(x)) (N, |K| C_out, L)``."""
        check_input(x, "MultiScaleConv1D", N=None, C_in=self.C_in, L=None)
        x = x if np.issubdtype(x.dtype, np.floating) else x.astype(self.dtype)
        N, _, L = x.shape
        C, S = self.C_in, self.span
        taps = S * C
        one = self.one_product(N, L)
        cols = np.empty((taps + 1 if one else taps, N * L), dtype=x.dtype)  # the shared im2col matrix, tap-major
        x_pad = pad1d(x, self.pad_left, self.pad_right, self.padding_mode)
        cols[:taps].reshape(S, C, N, L)[...] = im2col(x_pad, S).transpose(1, 0, 2, 3)  # the one copy
        if one:
            W_aug = self.combined_weight(x.dtype)  # [W_all | b], against [cols; 1]
            cols[taps] = 1.0
            out = contiguous_rows((W_aug @ cols).reshape(self.out_channels, N, L).transpose(1, 0, 2))
            weights = [W_aug]
        else:
            weights = [c.params["W"].transpose(0, 2, 1).reshape(self.C_out, -1).astype(x.dtype) for c in self.convs]
            out = np.empty((N, self.out_channels, L), dtype=x.dtype)
            out2 = np.empty((self.C_out, N * L), dtype=x.dtype)  # one kernel's product, reused by each
            for i, (conv, k, o, W_k) in enumerate(zip(self.convs, self.kernel_sizes, self.offsets, weights)):
                np.matmul(W_k, cols[o * C : (o + k) * C], out=out2)  # kernel k on its sub-window
                out2 += conv.params["b"].astype(x.dtype, copy=False)[:, None]
                out[:, i * self.C_out : (i + 1) * self.C_out] = out2.reshape(self.C_out, N, L).transpose(1, 0, 2)
        mask = out > 0
        out *= mask  # the branches' ReLU
        self._cache = (cols, one, weights, x.shape, mask)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout (N, |K| C_out, L)`` → ``dx (N, C_in, L)``; assigns each branch conv's ``grads``."""
        cols, one, weights, (N, _, L), mask = self._cached()
        if np.shape(dout) != (N, self.out_channels, L):
            raise ValueError(
                f"MultiScaleConv1D.backward: dout must have the output's shape "
                f"(N, |K|*C_out={self.out_channels}, L) = {(N, self.out_channels, L)}, got {np.shape(dout)}"
            )
        dout = np.asarray(dout).astype(cols.dtype, copy=False) * mask
        dcols = self._backward_one(dout, cols, weights[0]) if one else self._backward_per_kernel(dout, cols, weights)
        C, S = self.C_in, self.span
        dx_pad = col2im(dcols.reshape(S, C, N, L).transpose(1, 0, 2, 3), L + self.pad_left + self.pad_right)
        return np.ascontiguousarray(unpad1d(dx_pad, self.pad_left, self.pad_right, L, self.padding_mode))

    def _backward_one(self, dout: np.ndarray, cols: np.ndarray, W_aug: np.ndarray) -> np.ndarray:
        """The one-product path: ``[dW_all | db] = dout2 @ [cols; 1]^T`` and ``dcols = W_all^T @ dout2``."""
        N, _, L = dout.shape
        taps = self.span * self.C_in
        dout2 = contiguous_rows(dout.transpose(1, 0, 2)).reshape(self.out_channels, N * L)
        dW_aug = dout2 @ cols.T  # (|K| C_out, taps + 1): every kernel's dW and db at once
        dW_all = dW_aug[:, :taps].reshape(self.out_channels, self.span, self.C_in)
        for i, (conv, k, o) in enumerate(zip(self.convs, self.kernel_sizes, self.offsets)):
            rows = slice(i * self.C_out, (i + 1) * self.C_out)
            conv.grads["W"] = dW_all[rows, o : o + k].transpose(0, 2, 1).astype(conv.params["W"].dtype)
            conv.grads["b"] = dW_aug[rows, taps].astype(conv.params["b"].dtype)
        return W_aug[:, :taps].T @ dout2  # the zero-filled W_all sums the kernels' input gradients

    def _backward_per_kernel(self, dout: np.ndarray, cols: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
        """The per-kernel path: each kernel's ``dW``, ``db`` and its share of ``dcols`` on its own rows."""
        N, _, L = dout.shape
        C = self.C_in
        dcols = np.empty((self.span * C, N * L), dtype=cols.dtype)
        narrower = sorted(self.kernel_sizes)[-2] if len(self.kernel_sizes) > 1 else 0
        dcols_k = np.empty((narrower * C, N * L), dtype=cols.dtype)  # work space of the narrower kernels
        dout2 = np.empty((self.C_out, N * L), dtype=cols.dtype)  # one kernel's dout block, reused by each
        widest_first = sorted(range(len(self.kernel_sizes)), key=lambda i: -self.kernel_sizes[i])
        for i in widest_first:
            conv, k, o = self.convs[i], self.kernel_sizes[i], self.offsets[i]
            sub = slice(o * C, (o + k) * C)  # kernel k's rows of the shared im2col matrix
            dout2.reshape(self.C_out, N, L)[...] = dout[:, i * self.C_out : (i + 1) * self.C_out].transpose(1, 0, 2)
            dW_k = (cols[sub] @ dout2.T).T  # the operand with more rows on the left: OpenBLAS packs it faster
            conv.grads["W"] = dW_k.reshape(self.C_out, k, C).transpose(0, 2, 1).astype(conv.params["W"].dtype)
            conv.grads["b"] = dout2.sum(axis=1).astype(conv.params["b"].dtype)
            if i == widest_first[0]:  # the widest kernel covers all S taps: its product starts dcols
                np.matmul(weights[i].T, dout2, out=dcols)
            else:
                dcols[sub] += np.matmul(weights[i].T, dout2, out=dcols_k[: k * C])
        return dcols

    def __repr__(self) -> str:
        mode = f", padding_mode={self.padding_mode!r}" if self.padding_mode != "zeros" else ""
        return f"MultiScaleConv1D({self.C_in}, {self.C_out}, kernel_sizes={self.kernel_sizes}{mode})"
