"""Tutorial 4 — building MSDN layer by layer: receptive fields, forward and backward, gradcheck, parameter count.

Run:  python tutorials/04_build_msdn.py [--data-dir DIR] [--figures DIR] [--smoke]
"""

# %% [markdown]
# # 4. Building MSDN layer by layer
#
#     x (N, D) -> encoder -> h (N, E) -> head: g = h W_g + b_g                      (N, L)       dataset order
#     g -> embed: Z[:, :, p] = tanh(u_p g[:, perm[p]] + e_p)                        (N, d_s, L)  convolution order
#       -> convs: F = concat_k ReLU(Conv1D_k(Z))                                    (N, |K| C, L)
#     h -> free_embed: V = tanh(reshape((h A + a) B + c))                           (N, d, L)
#       -> free_conv: G = ReLU(Conv1D_1(V)), kernel size 1                          (N, C_f, L)
#     combine: s = Conv1D_1(concat(G, F)), starts at zero                           (N, 1, L)
#     logits = g + s[:, 0, inverse]                                                 (N, L)       dataset order
#
# `convs` and `combine` together are the relation block; the kernels read `Z`, a code of
# each label's own head score, so a kernel relates only the labels inside its window. The
# free branch (`free_embed`, `free_conv`) gives each label capacity of its own and, with
# kernel size 1, relates none (tutorial 0 and docs/DESIGN.md §2a say why both). Every piece is a `msdn_numpy`
# layer with a `forward` that caches and a `backward` that returns `dx` and fills
# `grads`. `perm` and `inverse` are the label order of tutorial 0: `Z[:, :, p]` is label
# `perm[p]`, and `inverse = argsort(perm)` brings an array in the convolution's order
# back to the dataset's order. This script looks at what each kernel size can see, runs
# the convolutions branch by branch (and checks the fast twin that `fast=True` swaps
# in), runs forward and backward through the whole model by hand, shows what the
# zero-initialised `combine` does to the first gradients, checks everything with finite
# differences, and counts parameters against the RNN baseline.

# %%
import common
import matplotlib.pyplot as plt
import numpy as np

from msdn_numpy import BRMLP, MSDN, Adam, BCEWithLogits, Conv1D, RethinkRNN, gradcheck
from msdn_numpy.dataio.label_orders import label_order
from msdn_numpy.dataio.preprocessing import Standardizer, train_val_split
from msdn_numpy.models import DEFAULT_LABEL_ORDER
from msdn_numpy.nn.fast import MultiScaleConv1D
from msdn_numpy.tools import plots

args = common.setup(__doc__)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The receptive field of each kernel size over the label axis
#
# Which labels does output position `j` of a 'same'-padded Conv1D depend on? Ask the
# backward pass: send a gradient of 1 into output `j` only, and see which input positions
# receive a non-zero gradient. That row of the Jacobian *is* the receptive field:
# labels `j - (k-1)//2 ... j + k//2`, cut at the ends by the zero padding, or wrapped
# around with `padding_mode="circular"` (the labels as a ring).

# %%
L_demo, d_demo = 12, 4
cases = [(1, "zeros"), (2, "zeros"), (3, "zeros"), (4, "zeros"), (5, "zeros"), (5, "circular")]
fig, axes = plt.subplots(2, 3, figsize=(14, 9.5), layout="constrained")
for ax, (k, mode) in zip(axes.flat, cases):
    conv = Conv1D(d_demo, 1, k, padding="same", padding_mode=mode, rng=k)
    x = rng.standard_normal((1, d_demo, L_demo))
    conv.forward(x)
    reach = np.zeros((L_demo, L_demo))
    for j in range(L_demo):
        dout = np.zeros((1, 1, L_demo))
        dout[0, 0, j] = 1.0
        reach[j] = np.abs(conv.backward(dout)[0]).sum(axis=0) > 0  # which input labels feed output j
    ax.imshow(reach, cmap="Blues", vmin=0, vmax=1.4)
    for j in range(L_demo):
        ax.plot(j, j, "k.", markersize=5)
    ax.set_xticks(range(L_demo))
    ax.set_yticks(range(L_demo))
    ax.set_xlabel("input label position p (in Z)")
    ax.set_ylabel("output label position j")
    pad = (conv.pad_left, conv.pad_right)
    lo, hi = (k - 1) // 2, k // 2
    seen = "j only" if k == 1 else f"j-{lo} ... j+{hi}" if lo else f"j ... j+{hi}"
    ax.set_title(f"kernel size {k}, {mode} padding (left, right) = {pad}\noutput j sees labels {seen}")
fig.suptitle("Receptive field of one Conv1D over the label axis (blue = output j depends on input p; dot = p = j)",
             fontsize=13)  # fmt: skip
plots.save(fig, args.figures, "04_receptive_fields.png")

# %% [markdown]
# Even kernels are lopsided: with `k = 4` output `j` sees one label before and two after.
# The paper does not specify how 'same' padding is split; we use PyTorch's split
# (extra zero on the right), so the default kernel sizes (1, 3, 5) are all symmetric.
# The relation block has a *single* convolution per scale, so these are also the
# receptive fields of the whole block (stacking layers would widen them). With the
# default `K = (1, 3, 5)`, output `j` of the block sees labels `j - 2 … j + 2` of the
# label order: on emotions (6 labels) that is nearly all of them, on CAL500 (174) a
# small neighbourhood. <!-- smoke -->

# %% [markdown]
# ## 2. The convolutions: one Conv1D + ReLU per kernel size
#
# `model.convs` is one 'same'-padded `Conv1D` + ReLU per kernel size,
# `Parallel([Sequential(Conv1D(d, C, k, padding="same"), ReLU()) for k in K], axis=1)`: every
# branch is applied to `Z` and their outputs are concatenated on the channel axis.
# Backward, `Parallel` splits the upstream gradient into the branches' channel blocks and
# *sums* the branches' input gradients (`Z` fed every branch: the multivariate chain rule).
#
# `TrainConfig(fast=True)` (or `msdn train --fast`) swaps in a fast twin,
# `msdn_numpy.nn.fast.MultiScaleConv1D`: pad once for the widest kernel, one im2col shared
# by every kernel size (tutorial 3; docs/PERFORMANCE.md measures what it buys). It holds the
# same branches, so the same parameter arrays, and must give the same forward and backward
# to float rounding.

# %%
train, test = common.load("emotions", args)
perm, _ = label_order(train.Y, DEFAULT_LABEL_ORDER)  # the label order train_model uses (tutorial 0)
inverse = np.argsort(perm)
model = MSDN(train.n_features, train.n_labels, label_perm=perm.tolist(), label_order=DEFAULT_LABEL_ORDER,
             dropout=0.0)  # no dropout: our calls and model.forward agree  # fmt: skip
branches = model.convs.branches
for branch in branches:
    print("branch:", " -> ".join(repr(layer) for layer in branch.layers))
Z_demo = rng.standard_normal((5, model.options.label_dim, train.n_labels))  # the kernels read d_s channels
out = model.convs.forward(Z_demo)
out_branches = np.concatenate([b.forward(Z_demo) for b in branches], axis=1)
dout = rng.standard_normal(out.shape)
blocks = np.split(dout, len(branches), axis=1)  # each branch's channel block of the upstream gradient
dZ_branches = sum(b.backward(block) for b, block in zip(branches, blocks))
dZ = model.convs.backward(dout)
same = np.array_equal(out, out_branches) and np.array_equal(dZ, dZ_branches)
print(f"model.convs: forward == the branches concatenated, backward == the sum of the branches' dZ: {same}")
assert same
readable_grads = {name: grad.copy() for name, _, grad in model.convs.named_parameters()}
fast = MultiScaleConv1D.of(model.convs)  # the same branches: its backward fills the same grads
out_fast, dZ_fast = fast.forward(Z_demo), fast.backward(dout)
grad_diff = max(np.abs(grad - readable_grads[name]).max() for name, _, grad in fast.named_parameters())
print(f"the fast twin {fast!r}, parameters {[name for name, _, _ in fast.named_parameters()]}")
print(f"forward {out.shape}: largest |fast - readable| {np.abs(out_fast - out).max():.1e}")
print(f"backward: dZ {np.abs(dZ_fast - dZ).max():.1e}, dW_k and db_k {grad_diff:.1e}")
assert np.allclose(out_fast, out) and np.allclose(dZ_fast, dZ) and grad_diff < 1e-10

# %% [markdown]
# ## 3. Forward through the whole model, stage by stage
#
# The features are standardised as the recipe does it (split off validation first, then
# fit the standardiser on the rest). MSDN's `combine` starts at zero (section 5); here we
# give it random weights so that every stage below carries a non-zero gradient.

# %%
fit_part, _ = train_val_split(train, val_fraction=0.2, seed=0)
X = Standardizer().fit(fit_part.X).transform(fit_part.X)[:8]
Y = fit_part.Y[:8]
model.combine.params["W"][...] = rng.standard_normal(model.combine.params["W"].shape)
loss_fn = BCEWithLogits()
h = model.encoder.forward(X)
g = model.head.forward(h)  # the label-wise head (as BR-MLP's), dataset order
Z = model.embed.forward(g[:, perm])  # (N, d_s, L): Z[:, :, p] = tanh(u_p g[:, perm[p]] + e_p), label perm[p]'s score
F = model.convs.forward(Z)  # Conv1D + ReLU per kernel size, concatenated on the channel axis
V = model.free_embed.forward(h)  # rank-r bottleneck -> d*L values -> reshape (N, d, L) -> tanh
G = model.free_conv.forward(V)  # kernel size 1: position p sees only V[:, :, p]
s = model.combine.forward(np.concatenate([G, F], axis=1))  # (N, 1, L), convolution order
logits = g + s[:, 0, inverse]  # back to the dataset's order, added to the head
loss = loss_fn.forward(logits, Y)
for name, a in (("X", X), ("h", h), ("g", g), ("Z", Z), ("F", F), ("V", V), ("G", G), ("s", s), ("logits", logits)):
    print(f"{name:>7s} {a.shape}")
print(f"   loss {loss:.4f}  (mean BCE over N*L = {Y.size} entries; ln 2 = {np.log(2):.4f} for a coin flip)")
assert np.array_equal(logits, model.forward(X))

# %% [markdown]
# ## 4. Backward, stage by stage
#
# The same chain in reverse. Each `backward` returns the gradient with respect to its
# input, which is the upstream gradient of the stage before. Three places to notice:
#
# * the loss: `dlogits = (sigmoid(logits) - Y) / (N L)`;
# * the label order: the relation block's output was read as `s[:, 0, inverse]`, so its
#   gradient is `dlogits[:, perm]`, in the convolution's order (an index array's gradient
#   is the inverse index array);
# * `combine` read the free branch's `C_f` channels first, then `F`: its input gradient is
#   split the same way;
# * a tensor used twice gets the **sum** of both gradients: `g` fed the logits and the score
#   code (read as `g[:, perm]`, so its gradient comes back with `inverse`), and `h` fed the
#   head and the free embedding.

# %%
dlogits = loss_fn.backward()
# the forward read s back as s[:, 0, inverse], so position p of s made logit perm[p]: ds[:, 0, p] = dlogits[:, perm[p]]
ds = dlogits[:, None, perm]  # (N, 1, L) in the convolution's order
dGF = model.combine.backward(ds)  # (N, C_f + |K| C, L)
C_f = model.options.free_channels
dG, dF = dGF[:, :C_f], dGF[:, C_f:]  # the free branch's channels came first
dV = model.free_conv.backward(dG)
dZ = model.convs.backward(dF)
dg = dlogits + model.embed.backward(dZ)[:, inverse]  # g fed the logits and (as g[:, perm]) the score code
dh = model.head.backward(dg) + model.free_embed.backward(dV)  # h fed the head and the free embedding
dX = model.encoder.backward(dh)
for name, a in (("dlogits", dlogits), ("ds", ds), ("dG", dG), ("dF", dF), ("dV", dV), ("dZ", dZ), ("dg", dg),
                ("dh", dh), ("dX", dX)):  # fmt: skip
    print(f"{name:>8s} {a.shape}")
by_hand = {name: grad.copy() for name, _, grad in model.named_parameters()}
model.forward(X)
dX_model = model.backward(loss_fn.backward())
same = np.allclose(dX, dX_model) and all(np.allclose(by_hand[n], grad) for n, _, grad in model.named_parameters())
print(f"\nby hand == model.backward (dX and all {len(by_hand)} parameter gradients): {same}")
assert same
print("parameter gradients:")
for name, param, grad in model.named_parameters():
    sizes = f"param {str(param.shape):<12s} grad {str(grad.shape):<12s}"
    print(f"  {name:<22s} {sizes} |grad| max {np.abs(grad).max():.2e}")

# %% [markdown]
# ## 5. The zero-initialised `combine`: MSDN starts as BR-MLP
#
# A fresh MSDN has its `combine` at zero, so `s = 0` and `logits = g`: the same function as
# BR-MLP with the same seed (its encoder and head are drawn exactly as BR-MLP's). What does
# that do to learning? The gradient of `combine`'s own weights is `dW = sum ds * F`, not
# zero; but the gradient it passes back, `dF = W^T ds`, is zero, so at the first step
# `convs`, the score code and the free branch get **no** gradient at all. After the first Adam step
# `combine` is no longer zero, and the gradient reaches the whole block.

# %%
fresh = MSDN(train.n_features, train.n_labels, label_perm=perm.tolist(), label_order=DEFAULT_LABEL_ORDER)
br = BRMLP(train.n_features, train.n_labels)
fresh.train(), br.train()  # dropout on: both draw the same masks from the same seed
same_start = np.array_equal(fresh.forward(X), br.forward(X))
print(f"MSDN(seed=0) == BRMLP(seed=0) at initialisation, training mode (dropout masks and all): {same_start}")
assert same_start
opt = Adam(fresh, lr=1e-3)


def gradient_norms(net: MSDN) -> dict[str, float]:
    out = {}
    for name, _, grad in net.named_parameters():
        part = name.split(".")[0]
        out[part] = out.get(part, 0.0) + float((grad**2).sum())
    return {part: np.sqrt(v) for part, v in out.items()}


for step in (1, 2):
    loss_fn.forward(fresh.forward(X), Y)
    fresh.backward(loss_fn.backward())
    print(f"step {step}: gradient norm by part: "
          + ", ".join(f"{part} {v:.2e}" for part, v in gradient_norms(fresh).items()))  # fmt: skip
    if step == 1:
        assert all(gradient_norms(fresh)[part] == 0 for part in ("embed", "convs", "free_embed", "free_conv"))
    opt.step()

# %% [markdown]
# ## 6. Whole-model gradcheck
#
# Finite differences through every layer at once, on a tiny float64 model (every
# parameter is perturbed, so the model must be small). We switch on everything that
# could go wrong: dropout (gradcheck replays the same mask), an even kernel, circular
# padding, a non-identity label order, and a non-zero `combine` (at zero, the block's
# gradients would be zero and checked trivially). The same for the two baselines.

# %%
D_t, L_t = 5, 7
Xt = rng.standard_normal((3, D_t))
tiny = {
    "MSDN": MSDN(D_t, L_t, hidden=6, rank=3, embed_dim=3, label_dim=3, free_channels=4, channels=2,
                 kernel_sizes=(1, 2, 3), dropout=0.3, padding_mode="circular", label_perm=[3, 0, 6, 1, 5, 2, 4],
                 seed=1),
    "BRMLP": BRMLP(D_t, L_t, hidden=6, dropout=0.3, seed=1),
    "RethinkRNN": RethinkRNN(D_t, L_t, hidden=4, steps=3, seed=1),
}  # fmt: skip
tiny["MSDN"].combine.params["W"][...] = rng.standard_normal(tiny["MSDN"].combine.params["W"].shape)
tiny["MSDN"].combine.params["b"][...] = 0.3
for name, net in tiny.items():
    result = gradcheck(net, Xt)
    print(f"{name:>10s}: {net.num_parameters():4d} parameters, {len(result)} tensors checked, "
          f"worst rel. error {result.worst_error:.1e} ({result.worst}), passed: {result.passed}")  # fmt: skip
    assert result.passed and result.worst_error < 1e-7
errors = gradcheck(BCEWithLogits(), rng.standard_normal((3, L_t)), rng.integers(0, 2, (3, L_t)), dout=np.array(1.7))
print(f"BCEWithLogits: rel. error {errors['x']:.1e}")
assert errors["x"] < 1e-7

# %% [markdown]
# ## 7. Parameters: MSDN vs the RNN
#
# Where the parameters are, for each model at the size of the real benchmarks (no data
# needed: only `D` and `L`). MSDN's convolutions are shared across label positions, so
# its relation block (`convs`, `combine`) and `free_conv` do not grow with `L`; its label-wise head
# (`E L + L`), the score code (`2 d_s L`) and the free embedding (`E r + r + r d L + d L`, through the
# rank-r bottleneck) do. The RNN's LSTM
# alone has `4 (128*128 + 128*128 + 128) = 131,584` parameters, whatever `L` is: an LSTM
# has `4 (D_in H + H^2 + H)`, its hidden state is H = 128 wide, and its input is too,
# because RethinkRNN puts a Dense(128, ReLU) layer (its `encoder`, the first rows below)
# before the LSTM, so D_in = 128 whatever the number of features D. The paper claims a
# "drastically smaller" model; the last column of the table says how much smaller ours is.

# %%
shapes = {"synthetic": (20, 12), "emotions": (72, 6), "yeast": (103, 14), "enron": (1001, 53), "CAL500": (68, 174)}
print(RethinkRNN(*shapes["emotions"]).describe())  # encoder Linear(D, 128) + ReLU: the LSTM's input is 128 wide
columns = f"{'MSDN':>8s} {'BRMLP':>8s} {'RethinkRNN':>11s} {'MSDN/RNN':>9s}"
print(f"{'dataset':<10s} {'D':>5s} {'L':>4s} {columns}   MSDN split")
for ds_name, (D, L) in shapes.items():
    counts = [m.num_parameters() for m in (MSDN(D, L), BRMLP(D, L), RethinkRNN(D, L))]
    split = ", ".join(f"{k} {v:,}" for k, v in MSDN(D, L).parameter_split().items())
    ratio = counts[0] / counts[2]
    print(f"{ds_name:<10s} {D:5d} {L:4d} {counts[0]:8,} {counts[1]:8,} {counts[2]:11,} {ratio:9.3f}   {split}")


# %% [markdown]
# MSDN has 0.091 of the RNN's parameters on emotions, 0.114 on yeast, 0.312 on enron and
# 0.318 on CAL500 (the ratios above do not depend on any training run). Where its size
# goes depends on the data: on enron (1001 features) most of MSDN is the encoder (64,128
# of 83,278); on CAL500 (174 labels) the free embedding (24,704) and the head. The relation
# block is the same everywhere: `convs` 4,704 and `combine` 193 parameters, and `free_conv`
# 864. The figure shows how
# each model grows with `L`. <!-- smoke -->

# %%
Ls = np.array([2, 5, 10, 20, 50, 100, 200])
D_fix = 100
fig, axes = plt.subplots(1, 2, figsize=(14, 5.2), layout="constrained")
for cls, marker in ((MSDN, "o"), (BRMLP, "s"), (RethinkRNN, "D")):
    axes[0].plot(Ls, [cls(D_fix, L).num_parameters() for L in Ls], marker=marker, label=cls.__name__)
axes[0].set_xscale("log")
axes[0].set_yscale("log")
axes[0].set_xlabel("number of labels L (log scale)")
axes[0].set_ylabel("trainable parameters (log scale)")
axes[0].set_title(f"Parameter count vs number of labels\n(D = {D_fix}, package defaults)")
axes[0].set_xticks(Ls, [str(L) for L in Ls])
axes[0].minorticks_off()
axes[0].grid(alpha=0.3, which="both")
axes[0].legend()
parts = {}
for L in Ls:
    for part, n in MSDN(D_fix, L).parameter_split().items():
        parts.setdefault(part, []).append(n)
bottom = np.zeros(len(Ls))
for part, ns in parts.items():
    axes[1].bar([str(L) for L in Ls], ns, bottom=bottom, label=part)
    bottom += ns
axes[1].set_xlabel("number of labels L")
axes[1].set_ylabel("trainable parameters")
axes[1].set_title(
    "Where MSDN's parameters are (D = 100): head, embed and free_embed\ngrow with L; the other parts do not"
)
axes[1].legend()
axes[1].grid(axis="y", alpha=0.3)
plots.save(fig, args.figures, "04_params_vs_labels.png")
