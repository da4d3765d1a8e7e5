"""MultiScaleConv1D: MSDN's convolutions of several kernel sizes, computed from one im2col.

The readable form is ``Parallel([Conv1D(..., k, padding="same") for k in kernel_sizes], axis=1)``
with :class:`~msdn_numpy.nn.conv.Conv1D` (the definition, im2col and col2im live in
:mod:`msdn_numpy.nn.conv`); this module computes the same function from **one** shared
im2col matrix. See the class docstring for the idea and the crossover to per-kernel products.
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.nn.conv import PADDING_MODES, Conv1D, col2im, contiguous_rows, im2col, pad1d, resolve_padding, unpad1d
from msdn_numpy.nn.layers import Module, as_generator, check_input

MULTISCALE_PATHS = ("auto", "one-product", "per-kernel")
#: MultiScaleConv1D takes its per-kernel path once the zero taps of the one product cost this
#: many multiply-adds per extra kernel size (the measured crossover; see the class docstring)
ONE_PRODUCT_ZERO_MACS = 2**19


class MultiScaleConv1D(Module):
    """The 'same'-padded convolutions of several kernel sizes, concatenated on the channels.

    The same function as the readable version
    ``Parallel([Conv1D(C_in, C_out, k, padding="same", padding_mode=...) for k in kernel_sizes], axis=1)``
    (MSDN's relation block before its ReLU), computed from **one** im2col matrix shared by
    every kernel size instead of one per kernel size.

    The idea: with 'same' padding, kernel ``k`` reads the ``k`` input positions
    ``t - (k-1)//2 … t + k//2`` around output ``t`` (PyTorch's split: the extra tap of an even
    kernel on the right). Pad the input once for the widest reach on each side,
    ``P_left = max_k (k-1)//2`` and ``P_right = max_k k//2``, and take windows of
    ``S = P_left + P_right + 1`` taps (the widest kernel's size): every kernel's taps are a
    sub-window, starting at offset ``o_k = P_left - (k-1)//2``::

        out[n, i*C_out + o, t] = b_k[o] + sum_c sum_{j<k} W_k[o, c, j] * x_pad[n, c, t + o_k + j],  k = kernel_sizes[i]

    with ``x_pad`` the input padded by ``(P_left, P_right)`` (zeros or circular).

    The shared im2col matrix is laid out **tap-major**: row ``s*C_in + c`` holds
    ``x_pad[n, c, t + s]`` for every column ``(n, t)``, so kernel ``k``'s sub-window is the
    contiguous block of rows ``o_k*C_in … (o_k+k)*C_in``, a matrix BLAS can use as it is.

    Parameters
    ----------
    C_in, C_out : int
        Input channels; output channels *per kernel size* (the output has ``|K|*C_out``).
    kernel_sizes : sequence of distinct positive ints
        The scales ``K``, in the order of the output's channel blocks.
    padding_mode : {'zeros', 'circular'}
        As in :class:`Conv1D`.
    path : {'auto', 'one-product', 'per-kernel'}
        How the products are done (below). ``'auto'`` (the default) chooses per batch by
        :meth:`one_product`; the other two force a path (tests, benchmarks, tutorials).
        Both paths compute the same function from the same parameters.
    rng : Generator or int, optional
        Initialisation, drawn exactly as the separate branches would draw it from the same
        generator: for each ``k`` in order, ``W_k`` then ``b_k``, both
        ``~ U(-1/sqrt(C_in*k), 1/sqrt(C_in*k))``. So swapping this layer for the
        ``Parallel`` of ``Conv1D`` branches built from the same generator gives the same
        weights.

    Shapes: ``x (N, C_in, L)`` → ``out (N, |K|*C_out, L)``. Parameters, one pair per kernel
    size, with the names of the size: ``params[f"W{k}"] (C_out, C_in, k)`` and
    ``params[f"b{k}"] (C_out,)`` — the separate branches' shapes, so the parameter count is
    exact (the zero blocks of ``W_all`` below are built on each forward, never trained or counted).

    **The one-product path.** Put each ``W_k`` at its taps inside a zero ``(C_out, S, C_in)``
    block and stack the blocks of all kernel sizes: one weight matrix
    ``W_all (|K|*C_out, S*C_in)`` (:meth:`combined_weight`) does every convolution in one
    product. The biases ride in it as weights on a constant input (a row of ones under the
    im2col matrix, a column ``b`` beside ``W_all``)::

        out2 = [W_all | b] @ [cols; 1]                         (|K|*C_out, N*L)
        [dW_all | db] = dout2 @ [cols; 1]^T  →  dW_k = kernel k's rows, taps o_k … o_k+k-1
        dcols = W_all^T @ dout2  →  col2im  →  unpad1d  →  dx

    with ``dout2`` = ``dout`` laid out as ``(|K|*C_out, N*L)``. ``dcols`` uses the zero-filled
    ``W_all``, so the product itself *sums* the kernels' input gradients (what
    ``Parallel.backward`` adds up). Three BLAS calls in all, but each multiplies
    ``|K|*S`` taps per channel pair where the kernels have ``sum(K)`` (15 vs 9 for
    K = 1, 3, 5: 40% of the work multiplies zeros).

    **The per-kernel path.** Each kernel's products on its own sub-window of the same
    matrix, ``cols_k`` = rows ``o_k*C_in … (o_k+k)*C_in``: no zero taps, ``3*|K|`` BLAS calls::

        out2_k = W_k @ cols_k + b_k                             (C_out, N*L), W_k tap-major (C_out, k*C_in)
        dW_k = dout2_k @ cols_k^T     db_k = dout2_k summed over N*L
        dcols = sum over k of W_k^T @ dout2_k, each added into its rows  →  col2im  →  unpad1d  →  dx

    (the widest kernel covers all ``S`` taps, so its product starts ``dcols``). Against the
    separate branches it still saves ``|K| - 1`` im2col copies, the concatenation of the
    outputs and ``|K| - 1`` col2im passes.

    **Which path** (:meth:`one_product`). The zero taps cost
    ``Z = (|K|*S - sum(K)) * C_in * C_out * N * L`` multiply-adds per product; the per-kernel
    path saves them at the price of ``|K| - 1`` more calls per product (and per pass over
    the output). Measured at one thread over 42 shapes (N 32-256, C_in 4-16, C_out 16-64,
    K = (1,3), (1,3,5), (3,5,7), (1,2,3,4,5), L 1-174; fused block forward+backward,
    docs/PERFORMANCE.md), the per-kernel path became the faster one once
    ``Z / (|K| - 1)`` passed 0.3-0.6 million in every family; the rule takes the middle,
    ``2**19``::

        per-kernel  if  Z >= (|K| - 1) * ONE_PRODUCT_ZERO_MACS        (2**19 = 524,288)

    MSDN's training batch on yeast (N = 32, C_in = 8, C_out = 32, K = (1, 3, 5), L = 14:
    ``Z / 2`` = 0.34 million) takes the one product; from L = 22 at that batch (and any
    evaluation batch of a few hundred rows) the per-kernel path. A single kernel size has no
    zero taps and always takes the one product. Forward alone (evaluation), the measured
    crossover sits about twice as high (0.7-1.5 million); the rule follows training, where
    both passes run, and costs a forward-only batch near the crossover up to ~8%.
    """

    def __init__(
        self,
        C_in: int,
        C_out: int,
        kernel_sizes: tuple[int, ...] | list[int],
        *,
        padding_mode: str = "zeros",
        path: str = "auto",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        if path not in MULTISCALE_PATHS:
            raise ValueError(f"MultiScaleConv1D: path must be one of {MULTISCALE_PATHS}; got {path!r}")
        self.path = path
        for name, value in {"C_in": C_in, "C_out": C_out}.items():
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"MultiScaleConv1D: {name} must be a positive int, got {value!r}")
        ks = tuple(kernel_sizes)
        if not ks or any(not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1 for k in ks):
            raise ValueError(f"MultiScaleConv1D: kernel_sizes must be positive ints, got {kernel_sizes!r}")
        if len(set(ks)) != len(ks):
            raise ValueError(f"MultiScaleConv1D: kernel_sizes must be distinct (parameters are named by size), "
                             f"got {kernel_sizes!r}")  # fmt: skip
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"MultiScaleConv1D: padding_mode must be one of {PADDING_MODES}; got {padding_mode!r}")
        self.C_in, self.C_out, self.padding_mode = int(C_in), int(C_out), padding_mode
        self.kernel_sizes = tuple(int(k) for k in ks)
        self.pad_left = max((k - 1) // 2 for k in self.kernel_sizes)
        self.pad_right = max(k // 2 for k in self.kernel_sizes)
        self.span = self.pad_left + self.pad_right + 1  # S: taps of the shared window
        self.offsets = tuple(self.pad_left - (k - 1) // 2 for k in self.kernel_sizes)  # o_k

        rng = as_generator(rng)
        for k in self.kernel_sizes:  # the order and bounds of Conv1D's own initialisation
            bound = 1.0 / np.sqrt(self.C_in * k)
            self.params[f"W{k}"] = rng.uniform(-bound, bound, size=(self.C_out, self.C_in, k))
            self.params[f"b{k}"] = rng.uniform(-bound, bound, size=(self.C_out,))

    @property
    def out_channels(self) -> int:
        """``|K| * C_out``: channels of the output."""
        return len(self.kernel_sizes) * self.C_out

    def combined_weight(self, dtype: np.dtype) -> np.ndarray:
        """``[W_all | b] (|K|*C_out, S*C_in + 1)``: the one-product path's weight matrix.

        ``W_all`` has tap-major columns ``s*C_in + c`` (the rows of the im2col matrix), each
        ``W_k`` at taps ``o_k … o_k+k-1`` and zeros elsewhere; the last column holds the biases.
        """
        taps = self.span * self.C_in
        W_aug = np.zeros((self.out_channels, taps + 1), dtype=dtype)
        W_all = W_aug[:, :taps].reshape(self.out_channels, self.span, self.C_in)  # a view: writes land in W_aug
        for i, (k, o) in enumerate(zip(self.kernel_sizes, self.offsets)):
            rows = slice(i * self.C_out, (i + 1) * self.C_out)
            W_all[rows, o : o + k] = self.params[f"W{k}"].transpose(0, 2, 1)
            W_aug[rows, taps] = self.params[f"b{k}"]
        return W_aug

    def kernel_weight(self, k: int, dtype: np.dtype) -> np.ndarray:
        """``W_k`` tap-major, ``(C_out, k*C_in)``: the weight matrix of kernel ``k`` alone."""
        return self.params[f"W{k}"].transpose(0, 2, 1).reshape(self.C_out, k * self.C_in).astype(dtype)

    def one_product(self, N: int, L: int) -> bool:
        """Whether a batch ``(N, C_in, L)`` takes the one-product path (class docstring, "Which path").

        ``path='auto'``: one product unless its zero taps, ``Z = (|K|*S - sum(K)) * C_in *
        C_out * N * L`` multiply-adds, reach ``(|K| - 1) * ONE_PRODUCT_ZERO_MACS``.
        """
        if self.path != "auto":
            return self.path == "one-product"
        K = self.kernel_sizes
        zero_macs = (len(K) * self.span - sum(K)) * self.C_in * self.C_out * N * L
        return zero_macs < (len(K) - 1) * ONE_PRODUCT_ZERO_MACS or len(K) == 1

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x (N, C_in, L)`` → ``out (N, |K|*C_out, L)``."""
        check_input(x, "MultiScaleConv1D", 3, f"(N, C_in={self.C_in}, L)", axis1=self.C_in)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(self.dtype)
        N, _, L = x.shape
        C, S = self.C_in, self.span
        taps = S * C
        one = self.one_product(N, L)
        # the im2col matrix of the widest window, tap-major: rows s*C_in + c hold x_pad[n, c, t + s];
        # kernel k's taps are then the contiguous block of rows o_k*C_in … (o_k+k)*C_in
        cols = np.empty((taps + 1 if one else taps, N * L), dtype=x.dtype)
        x_pad = pad1d(x, self.pad_left, self.pad_right, self.padding_mode)
        cols[:taps].reshape(S, C, N, L)[...] = im2col(x_pad, S).transpose(1, 0, 2, 3)  # the one copy
        if one:
            # The biases ride along in the product as weights on a constant input: a last row
            # of ones under the im2col matrix and a last column b beside W_all. Then one product
            # adds them (forward) and dW's last column is db (backward), with no extra pass.
            W_aug = self.combined_weight(x.dtype)  # [W_all | b]
            cols[taps] = 1.0
            out2 = W_aug @ cols  # (|K|*C_out, N*L): every kernel size and its bias at once
            out = contiguous_rows(out2.reshape(self.out_channels, N, L).transpose(1, 0, 2))
            weights = [W_aug]
        else:
            weights = [self.kernel_weight(k, x.dtype) for k in self.kernel_sizes]  # each (C_out, k*C_in)
            out = np.empty((N, self.out_channels, L), dtype=x.dtype)
            out2 = np.empty((self.C_out, N * L), dtype=x.dtype)  # one kernel's product, reused by each
            for i, (k, o, W_k) in enumerate(zip(self.kernel_sizes, self.offsets, weights)):
                rows = slice(i * self.C_out, (i + 1) * self.C_out)
                np.matmul(W_k, cols[o * C : (o + k) * C], out=out2)  # (C_out, N*L): kernel k on its sub-window
                out2 += self.params[f"b{k}"].astype(x.dtype, copy=False)[:, None]
                out[:, rows] = out2.reshape(self.C_out, N, L).transpose(1, 0, 2)  # into its channel block
        self._cache = (cols, one, weights, x.shape)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout (N, |K|*C_out, L)`` → ``dx (N, C_in, L)``; assigns ``grads["W<k>"]``, ``grads["b<k>"]``."""
        cols, one, weights, (N, _, L) = self._cached()
        if np.shape(dout) != (N, self.out_channels, L):
            raise ValueError(
                f"MultiScaleConv1D.backward: dout must have the output's shape "
                f"(N, |K|*C_out={self.out_channels}, L) = {(N, self.out_channels, L)}, got {np.shape(dout)}"
            )
        C, S = self.C_in, self.span
        taps = S * C
        dout = np.asarray(dout).astype(cols.dtype, copy=False)
        if one:
            (W_aug,) = weights
            dout2 = contiguous_rows(dout.transpose(1, 0, 2)).reshape(self.out_channels, N * L)  # one copy
            dW_aug = dout2 @ cols.T  # (|K|*C_out, taps + 1): [dW_all | db], one product for every k
            dW_all = dW_aug[:, :taps].reshape(self.out_channels, S, C)
            for i, (k, o) in enumerate(zip(self.kernel_sizes, self.offsets)):
                rows = slice(i * self.C_out, (i + 1) * self.C_out)
                self.grads[f"W{k}"] = dW_all[rows, o : o + k].transpose(0, 2, 1).astype(self.params[f"W{k}"].dtype)
                self.grads[f"b{k}"] = dW_aug[rows, taps].astype(self.params[f"b{k}"].dtype)
            # dcols = W_all^T @ dout2 (the ones row needs no gradient): the zero-filled W_all
            # makes the product itself sum the kernels' input gradients
            dcols = W_aug[:, :taps].T @ dout2  # (S*C_in, N*L), tap-major rows
        else:
            dcols = np.empty((taps, N * L), dtype=cols.dtype)
            narrower = sorted(self.kernel_sizes)[-2] if len(self.kernel_sizes) > 1 else 0
            dcols_k = np.empty((narrower * C, N * L), dtype=cols.dtype)  # work space of the narrower kernels
            dout2 = np.empty((self.C_out, N * L), dtype=cols.dtype)  # one kernel's dout block, reused by each
            widest_first = sorted(range(len(self.kernel_sizes)), key=lambda i: -self.kernel_sizes[i])
            for i in widest_first:
                k, o = self.kernel_sizes[i], self.offsets[i]
                rows = slice(i * self.C_out, (i + 1) * self.C_out)
                sub = slice(o * C, (o + k) * C)  # kernel k's rows of the shared im2col matrix
                dout2.reshape(self.C_out, N, L)[...] = dout[:, rows].transpose(1, 0, 2)  # laid out (C_out, N*L)
                # dW_k = dout2 @ cols[sub]^T, (C_out, k*C_in) tap-major; as in Conv1D.backward, the
                # operand with more rows goes on the left (OpenBLAS packs it faster)
                dW_k = (cols[sub] @ dout2.T).T if k * C > self.C_out else dout2 @ cols[sub].T
                dW_k = dW_k.reshape(self.C_out, k, C).transpose(0, 2, 1)  # back to (C_out, C_in, k)
                self.grads[f"W{k}"] = dW_k.astype(self.params[f"W{k}"].dtype)
                self.grads[f"b{k}"] = dout2.sum(axis=1).astype(self.params[f"b{k}"].dtype)
                if i == widest_first[0]:  # the widest kernel covers all S taps: its product starts dcols
                    np.matmul(weights[i].T, dout2, out=dcols)
                else:
                    dcols[sub] += np.matmul(weights[i].T, dout2, out=dcols_k[: k * C])  # (k*C_in, N*L)
        # col2im wants (C_in, S, N, L); the tap-major rows give it each tap's block contiguous
        dx_pad = col2im(dcols.reshape(S, C, N, L).transpose(1, 0, 2, 3), L + self.pad_left + self.pad_right)
        return np.ascontiguousarray(unpad1d(dx_pad, self.pad_left, self.pad_right, L, self.padding_mode))

    # -- to and from the readable version --------------------------------------------
    @classmethod
    def from_branches(cls, branches: list[Conv1D]) -> MultiScaleConv1D:
        """A fused layer with copies of the weights of separate 'same'-padded ``Conv1D`` branches.

        The branches must share ``C_in``, ``C_out`` and ``padding_mode``, have stride 1,
        dilation 1, a bias, and distinct kernel sizes; their order is the channel order.
        """
        first = branches[0]
        for b in branches:
            same = (b.C_in, b.C_out, b.padding_mode) == (first.C_in, first.C_out, first.padding_mode)
            plain = b.stride == 1 and b.dilation == 1 and "b" in b.params
            if not same or not plain or (b.pad_left, b.pad_right) != resolve_padding("same", b.kernel_size):
                raise ValueError(f"MultiScaleConv1D.from_branches: {b!r} is not a 'same'-padded, stride-1, "
                                 f"biased branch like {first!r}")  # fmt: skip
        fused = cls(first.C_in, first.C_out, [b.kernel_size for b in branches], padding_mode=first.padding_mode)
        fused.load_branches(branches)
        return fused

    def load_branches(self, branches: list[Conv1D]) -> None:
        """Copy the weights of ``branches`` (one ``Conv1D`` per kernel size, in order) into this layer."""
        if [b.kernel_size for b in branches] != list(self.kernel_sizes):
            raise ValueError(f"MultiScaleConv1D.load_branches: expected branches of kernel sizes "
                             f"{self.kernel_sizes}, got {[b.kernel_size for b in branches]}")  # fmt: skip
        for k, b in zip(self.kernel_sizes, branches):
            self.params[f"W{k}"] = b.params["W"].copy()
            self.params[f"b{k}"] = b.params["b"].copy()

    def to_branches(self) -> list[Conv1D]:
        """The readable version: one ``Conv1D(padding="same")`` per kernel size, with copies of the weights."""
        out = []
        for k in self.kernel_sizes:
            conv = Conv1D(self.C_in, self.C_out, k, padding="same", padding_mode=self.padding_mode)
            conv.params = {"W": self.params[f"W{k}"].copy(), "b": self.params[f"b{k}"].copy()}
            out.append(conv)
        return out

    def __repr__(self) -> str:
        mode = f", padding_mode={self.padding_mode!r}" if self.padding_mode != "zeros" else ""
        return f"MultiScaleConv1D({self.C_in}, {self.C_out}, kernel_sizes={self.kernel_sizes}{mode})"
