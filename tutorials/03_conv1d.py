"""Tutorial 3 — Conv1D from scratch: loops, im2col, one matrix product, the backward pass, gradcheck, timings,
several kernel sizes side by side.

Run:  python tutorials/03_conv1d.py [--figures DIR] [--smoke]
"""

# %% [markdown]
# # 3. Conv1D from scratch
#
# MSDN's relation block is a 1-D convolution along the label axis. For an input
# `x (N, C_in, L)`, weights `W (C_out, C_in, K)` and bias `b (C_out,)`
# (cross-correlation, as in PyTorch, no kernel flip):
#
#     out[n, o, t] = b[o] + sum_c sum_k W[o, c, k] * x_pad[n, c, t*stride + k*dilation]
#
# We write it as loops, then as *one matrix product* (im2col), derive the backward pass,
# check it with finite differences, and time both.

# %%
import time

import common
import matplotlib.pyplot as plt
import numpy as np

from msdn_numpy import Conv1D, Conv1DNaive, Parallel, ReLU, Sequential, gradcheck
from msdn_numpy.nn.conv import col2im, im2col, pad1d, resolve_padding
from msdn_numpy.nn.conv_naive import conv1d_naive_backward, conv1d_naive_forward
from msdn_numpy.nn.fast import MultiScaleConv1D
from msdn_numpy.nn.gradcheck import PASS_BAR
from msdn_numpy.tools import plots

args = common.setup(__doc__)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The loops: the definition
#
# Written here from scratch for stride 1, 'same' zero padding. For a kernel of size K,
# 'same' padding adds `(K-1)//2` zeros on the left and `K//2` on the right, so the output
# has the input's length (the paper does not specify the split for even K; we use
# PyTorch's, with the extra zero on the right).


# %%
def my_conv1d(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x (N, C_in, L), W (C_out, C_in, K), b (C_out,) -> out (N, C_out, L); 'same' zero padding."""
    N, C_in, L = x.shape
    C_out, _, K = W.shape
    left, right = (K - 1) // 2, K // 2
    x_pad = np.zeros((N, C_in, left + L + right))
    x_pad[:, :, left : left + L] = x
    out = np.zeros((N, C_out, L))
    for n in range(N):
        for o in range(C_out):
            for t in range(L):
                out[n, o, t] = b[o] + sum(W[o, c, k] * x_pad[n, c, t + k] for c in range(C_in) for k in range(K))
    return out


N, C_in, C_out, L, K = 2, 3, 4, 6, 3
x = rng.standard_normal((N, C_in, L))
conv = Conv1D(C_in, C_out, K, padding="same", rng=1)
W, b = conv.params["W"], conv.params["b"]
ours = my_conv1d(x, W, b)
left, right = resolve_padding("same", K)
print(f"'same' padding for K={K}: (left, right) = {(left, right)}; for K=4: {resolve_padding('same', 4)}")
print("ours == conv1d_naive_forward:", np.allclose(ours, conv1d_naive_forward(x, W, b, 1, 1, left, right)))
print("ours == Conv1D (im2col):      ", np.allclose(ours, conv.forward(x)))
assert np.allclose(ours, conv.forward(x))

# %% [markdown]
# ## 2. im2col: every window as a column
#
# Look at the sum again: for a fixed output position `(n, t)` it is a dot product between
# the flattened kernel `W[o].reshape(C_in*K)` and the flattened window
# `x_pad[n, :, t:t+K]`. Stack all windows as the columns of one matrix
#
#     cols[(c, k), (n, t)] = x_pad[n, c, t + k]          shape (C_in*K, N*L_out)
#
# and the whole convolution is one matrix product `W.reshape(C_out, C_in*K) @ cols`.
# `msdn_numpy.nn.conv.im2col` builds `cols` as a strided *view* of `x_pad` (no loop, no
# copy until the reshape).

# %%
x_small = np.arange(1, 2 * 1 * 5 + 1, dtype=float).reshape(2, 1, 5) / 10  # N=2, C_in=1, L=5: values 0.1 .. 1.0
x_small = np.concatenate([x_small, -x_small], axis=1)  # C_in=2: the second channel is the negative
Ks = 3
lp, rp = resolve_padding("same", Ks)
xp = pad1d(x_small, lp, rp)
cols = im2col(xp, Ks).reshape(2 * Ks, -1)  # (C_in*K, N*L_out)
print(f"x_small {x_small.shape} -> padded {xp.shape} -> cols {cols.shape}")
print(cols)

fig, axes = plt.subplots(1, 2, figsize=(14, 4.6), layout="constrained", gridspec_kw={"width_ratios": [1, 1.6]})
plots.heatmap(xp.reshape(-1, xp.shape[2]), [f"n={n}, c={c}" for n in range(2) for c in range(2)],
              [f"p={p}" for p in range(xp.shape[2])], ax=axes[0], cmap="coolwarm", annotate="{:.1f}", vmin=-1, vmax=1,
              title=f"padded input x_pad (N=2, C_in=2, L_pad={xp.shape[2]})\n"
                    "zeros at p=0 and p=6 are the 'same' padding",
              xlabel="padded position p", ylabel="(example, channel)")  # fmt: skip
plots.heatmap(cols, [f"c={c}, k={k}" for c in range(2) for k in range(Ks)],
              [f"n={n}, t={t}" for n in range(2) for t in range(5)], ax=axes[1], cmap="coolwarm", annotate="{:.1f}",
              vmin=-1, vmax=1, title="im2col matrix cols (C_in*K, N*L_out): column (n, t) = the window of output t",
              xlabel="output position (example n, position t)", ylabel="(channel c, tap k)")  # fmt: skip
axes[1].axvline(4.5, color="k", lw=2)
fig.suptitle("im2col turns a convolution into one matrix product: out2 = W.reshape(C_out, C_in*K) @ cols", fontsize=13)
plots.save(fig, args.figures, "03_im2col.png")

# %% [markdown]
# The product, and the reshape back to `(N, C_out, L_out)`:

# %%
c2 = Conv1D(2, 3, Ks, padding="same", rng=2)
W2 = c2.params["W"].reshape(3, 2 * Ks)  # (C_out, C_in*K): the column order matches cols' rows
out2 = W2 @ cols + c2.params["b"][:, None]  # (C_out, N*L_out)
by_matmul = out2.reshape(3, 2, 5).transpose(1, 0, 2)  # (N, C_out, L_out)
print("one matrix product == Conv1D.forward:", np.allclose(by_matmul, c2.forward(x_small)))
assert np.allclose(by_matmul, c2.forward(x_small))

# %% [markdown]
# ## 3. The backward pass, step by step
#
# Let `dout (N, C_out, L_out)` be the gradient of the loss with respect to the output,
# laid out as `dout2 (C_out, N*L_out)` like `out2`. The forward pass is
# `out2 = W2 @ cols + b`, a matrix product, so its gradients are those of any matrix
# product:
#
# 1. `dW2 = dout2 @ cols^T` : each weight is multiplied by the window entries it saw;
# 2. `db = dout2.sum(axis=1)` : the bias is added at every position of every example;
# 3. `dcols = W2^T @ dout2` : the gradient of every *window entry*;
# 4. `col2im`: an input position appears in up to K windows, so it receives the **sum**
#    of its windows' gradients (the chain rule for a value used several times): a
#    scatter-add, the adjoint of im2col;
# 5. unpad: a zero pad is a constant, its gradient is dropped (with circular padding it
#    would be added back onto the position it copies).

# %%
dout = rng.standard_normal(c2.forward(x_small).shape)
dout2 = dout.transpose(1, 0, 2).reshape(3, -1)
dW = (dout2 @ cols.T).reshape(c2.params["W"].shape)  # step 1
db = dout2.sum(axis=1)  # step 2
dcols = (W2.T @ dout2).reshape(2, Ks, 2, 5)  # step 3: (C_in, K, N, L_out)
dx_pad = col2im(dcols, xp.shape[2])  # step 4: (N, C_in, L_pad)
dx = dx_pad[:, :, lp : lp + 5]  # step 5
dx_ref, dW_ref, db_ref = conv1d_naive_backward(dout, x_small, c2.params["W"], 1, 1, lp, rp)
dx_layer = c2.backward(dout)
for name, ours_, ref, layer in (("dx", dx, dx_ref, dx_layer), ("dW", dW, dW_ref, c2.grads["W"]),
                                ("db", db, db_ref, c2.grads["b"])):  # fmt: skip
    print(
        f"{name}: step by step == naive loops: {np.allclose(ours_, ref)}, "
        f"== Conv1D.backward: {np.allclose(ours_, layer)}"
    )
    assert np.allclose(ours_, ref) and np.allclose(ours_, layer)

# %% [markdown]
# ## 4. gradcheck: the finite-difference referee
#
# `gradcheck(layer, x)` picks a random upstream `dout`, defines `s = sum(layer(x) * dout)`
# and compares every analytic gradient (`dx` and each parameter) with central
# differences `(s(v + h) - s(v - h)) / 2h` in float64. The relative error
# `max|a - n| / max(|a| + |n|)` must be below 1e-7. We check the options MSDN does not
# even use: stride, dilation, circular padding, even kernels. <!-- smoke -->

# %%
configs = [
    dict(kernel_size=3, padding="same"),
    dict(kernel_size=4, padding="same"),
    dict(kernel_size=3, padding="same", padding_mode="circular"),
    dict(kernel_size=3, padding=2, stride=2),
    dict(kernel_size=2, padding="valid", dilation=3),
    dict(kernel_size=5, padding=(1, 3), bias=False),
]
print(f"the bar: relative error below {PASS_BAR:g} (gradcheck.PASS_BAR)")
for cfg in configs:
    layer = Conv1D(3, 4, rng=3, **cfg)
    errors = gradcheck(layer, rng.standard_normal((2, 3, 9)))
    worst = max(errors.values())
    print(f"{str(cfg):<70s} worst rel. error {worst:.1e}  {'ok' if worst < PASS_BAR else 'FAIL'}")
    assert worst < PASS_BAR

# %% [markdown]
# ## 5. Timings: loops vs im2col
#
# The same convolution, forward + backward, at an MSDN-like size: a batch of 32, the
# label-embedding channels `d = 8` in, `c = 32` out, `L = 14` labels (yeast), kernel 5.

# %%
shape = (8, 8, 8, 6, 3) if args.smoke else (32, 8, 32, 14, 5)  # N, C_in, C_out, L, K
Nt, Ci, Co, Lt, Kt = shape
xt = rng.standard_normal((Nt, Ci, Lt))
fast, naive = Conv1D(Ci, Co, Kt, padding="same", rng=4), Conv1DNaive(Ci, Co, Kt, padding="same", rng=4)
dt = rng.standard_normal((Nt, Co, Lt))


def best_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


timings = {
    "my_conv1d (loops, forward only)": best_time(lambda: my_conv1d(xt, fast.params["W"], fast.params["b"]), 1),
    "Conv1DNaive forward + backward": best_time(lambda: (naive.forward(xt), naive.backward(dt)), 1),
    "Conv1D (im2col) forward + backward": best_time(lambda: (fast.forward(xt), fast.backward(dt)), 20),
}
assert np.allclose(naive.forward(xt), fast.forward(xt))
print(f"N={Nt}, C_in={Ci}, C_out={Co}, L={Lt}, K={Kt}, {args.blas_threads} BLAS thread(s) (common.setup):")
base = timings["Conv1D (im2col) forward + backward"]
for name, sec in timings.items():
    print(f"  {name:<36s} {sec * 1e3:10.2f} ms" + (f"   ({sec / base:,.0f}x slower)" if sec > base else ""))

fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
names = list(timings)
ax.barh(names, [timings[n] * 1e3 for n in names], color=["tab:gray", "tab:orange", "tab:blue"])
ax.set_xscale("log")
ax.invert_yaxis()
for i, n in enumerate(names):
    ax.text(timings[n] * 1e3 * 1.1, i, f"{timings[n] * 1e3:.2f} ms", va="center")
ax.set_xlim(right=max(timings.values()) * 1e3 * 8)
ax.set_xlabel("time per call, milliseconds (log scale)")
ax.set_title(f"Conv1D timings: loops vs one matrix product\nN={Nt}, C_in={Ci}, C_out={Co}, L={Lt}, K={Kt}, float64")
ax.grid(axis="x", alpha=0.3, which="both")
plots.save(fig, args.figures, "03_timings.png")

# %% [markdown]
# ## 6. Several kernel sizes side by side
#
# MSDN runs kernels of sizes 1, 3 and 5 side by side on the same input, each followed by a
# ReLU, and concatenates their outputs on the channel axis. This is how MSDN builds its
# `convs`: one `Sequential(Conv1D_k, ReLU)` branch per kernel size in a `Parallel`, each
# branch with its own im2col matrix.
#
# `TrainConfig(fast=True)` (or `msdn train --fast`) swaps in a fast twin,
# `msdn_numpy.nn.fast.MultiScaleConv1D`: it builds the im2col matrix of the widest window
# once and takes every kernel's taps from it. It holds the same branches (the same
# weights) and computes the same function to float rounding; tutorial 4 checks its
# backward pass too.

# %%
Nm, Lm = (4, 6) if args.smoke else (32, 14)
zm = rng.standard_normal((Nm, 8, Lm))
gen = np.random.default_rng(5)
block = Parallel([Sequential(Conv1D(8, 32, k, padding="same", rng=gen), ReLU()) for k in (1, 3, 5)], axis=1)
F = block.forward(zm)
by_branch = np.concatenate([np.maximum(b.layers[0].forward(zm), 0) for b in block.branches], axis=1)
print(f"z {zm.shape} -> block -> F {F.shape}; F == concat_k ReLU(Conv1D_k(z)): {np.array_equal(F, by_branch)}")
assert np.array_equal(F, by_branch)
fast = MultiScaleConv1D.of(block)
print(f"the fast twin {fast!r}: largest |fast - readable| {np.abs(fast.forward(zm) - F).max():.1e}")
