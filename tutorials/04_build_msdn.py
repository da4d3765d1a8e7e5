"""Tutorial 4 — building MSDN layer by layer: receptive fields, forward and backward, gradcheck, parameter count.

Run:  python tutorials/04_build_msdn.py [--data-dir DIR] [--figures DIR] [--smoke]
"""

# %% [markdown]
# # 4. Building MSDN layer by layer
#
#     x (N, D) -> encoder -> h (N, E) -> Linear + reshape -> Z (N, d, L)
#       -> [ReLU(Conv1D_k(Z)) for k in K] -> concat F (N, |K| c, L) -> 1x1 Conv1D -> logits (N, L)
#
# Every piece is a `msdn_numpy` layer with a `forward` that caches and a `backward` that
# returns `dx` and fills `grads`. This script looks at what each kernel size can see,
# runs the backward pass through the whole model by hand, checks it with finite
# differences, and counts parameters against the RNN baseline.

# %%
import common
import matplotlib.pyplot as plt
import numpy as np

from msdn_numpy import BRMLP, MSDN, BCEWithLogits, Conv1D, RethinkRNN, gradcheck, plots
from msdn_numpy.preprocessing import Standardizer

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
# receptive fields of the whole block; stacking layers would widen them.

# %% [markdown]
# ## 2. Forward through the whole model, stage by stage

# %%
train, test = common.load("emotions", args)
X = Standardizer().fit(train.X).transform(train.X)[:8]
Y = train.Y[:8]
model = MSDN(train.n_features, train.n_labels, dropout=0.0)  # no dropout: our calls and model.forward agree
# MSDN's read-out starts at zero (the relation block is a no-op at first, so training starts
# at BR-MLP); a random one here lets every stage below carry a non-zero gradient.
model.readout.params["W"][...] = rng.standard_normal(model.readout.params["W"].shape)
loss_fn = BCEWithLogits()
h = model.encoder.forward(X)
g = model.head.forward(h)  # the label-wise head (BR-MLP's read-out)
Z = model.embed.forward(h)  # rank-r bottleneck -> d*L values -> reshape (N, d, L) -> tanh
F = model.relations.forward(Z)  # Parallel: every branch on Z, concatenated on the channel axis
s = model.readout.forward(F)
# the relation block's output goes back to the dataset's label order (identity here) and
# is added to the head: see the Notes of `MSDN` (the head is our addition)
logits = g + s[:, 0, model.inverse]
loss = loss_fn.forward(logits, Y)
for name, a in (("X", X), ("h", h), ("g", g), ("Z", Z), ("F", F), ("s", s), ("logits", logits)):
    print(f"{name:>7s} {a.shape}")
print(f"   loss {loss:.4f}  (mean BCE over N*L = {Y.size} entries; ln 2 = {np.log(2):.4f} for a coin flip)")

# %% [markdown]
# ## 3. Backward, stage by stage
#
# The same chain in reverse. Each `backward` returns the gradient with respect to its
# input, which is the upstream gradient of the stage before. Two places to notice:
#
# * the loss: `dlogits = (sigmoid(logits) - Y) / (N L)`;
# * `Parallel.backward` splits `dF` into the branches' channel blocks and **sums** the
#   branches' `dZ`: `Z` fed every branch (multivariate chain rule).

# %%
dlogits = loss_fn.backward()
ds = dlogits[:, None, model.perm]  # into the convolution's label order, as (N, 1, L)
dF = model.readout.backward(ds)
dZ = model.relations.backward(dF)
dh = model.head.backward(dlogits) + model.embed.backward(dZ)  # h fed both: the two gradients add up
dX = model.encoder.backward(dh)
for name, a in (("dlogits", dlogits), ("ds", ds), ("dF", dF), ("dZ", dZ), ("dh", dh), ("dX", dX)):
    print(f"{name:>8s} {a.shape}")
by_hand = {name: g.copy() for name, _, g in model.named_parameters()}
model.forward(X)
dX_model = model.backward(loss_fn.backward())
same = np.allclose(dX, dX_model) and all(np.allclose(by_hand[n], g) for n, _, g in model.named_parameters())
print(f"\nby hand == model.backward (dX and all {len(by_hand)} parameter gradients): {same}")
assert same
print("parameter gradients:")
for name, p, g in model.named_parameters():
    print(f"  {name:<22s} param {str(p.shape):<12s} grad {str(g.shape):<12s} |grad| max {np.abs(g).max():.2e}")

# %% [markdown]
# ## 4. Whole-model gradcheck
#
# Finite differences through every layer at once, on a tiny float64 model (every
# parameter is perturbed, so the model must be small). We switch on everything that
# could go wrong: dropout (gradcheck replays the same mask), an even kernel, circular
# padding, and a non-identity label order. The same for the two baselines.

# %%
D_t, L_t = 5, 7
Xt = rng.standard_normal((3, D_t))
tiny = {
    "MSDN": MSDN(D_t, L_t, hidden=6, embed_dim=3, channels=2, kernel_sizes=(1, 2, 3), dropout=0.3,
                 padding_mode="circular", label_perm=[3, 0, 6, 1, 5, 2, 4], seed=1),
    "BRMLP": BRMLP(D_t, L_t, hidden=6, dropout=0.3, seed=1),
    "RethinkRNN": RethinkRNN(D_t, L_t, hidden=4, steps=3, seed=1),
}  # fmt: skip
tiny["MSDN"].readout.params["W"][...] = rng.standard_normal((1, 6, 1))  # non-zero: check the block's gradients too
for name, net in tiny.items():
    errors = gradcheck(net, Xt)
    worst_name = max(errors, key=errors.get)
    print(f"{name:>10s}: {net.num_parameters():4d} parameters, {len(errors)} tensors checked, "
          f"worst rel. error {errors[worst_name]:.1e} ({worst_name})")  # fmt: skip
    assert max(errors.values()) < 1e-7
errors = gradcheck(BCEWithLogits(), rng.standard_normal((3, L_t)), rng.integers(0, 2, (3, L_t)), dout=np.array(1.7))
print(f"BCEWithLogits: rel. error {errors['x']:.1e}")

# %% [markdown]
# ## 5. Parameters: MSDN vs the RNN
#
# Where the parameters are, for each model at the size of the real benchmarks (no data
# needed: only `D` and `L`). MSDN's convolutions are shared across label positions, so
# its relation block does not grow with `L`; its label-embedding layer (`E d L`) does.
# The RNN's LSTM alone has `4 (128*128 + 128*128 + 128) = 131,584` parameters.

# %%
shapes = {"synthetic": (20, 12), "emotions": (72, 6), "yeast": (103, 14), "enron": (1001, 53), "CAL500": (68, 174)}
print(f"{'dataset':<10s} {'D':>5s} {'L':>4s} {'MSDN':>8s} {'BRMLP':>8s} {'RethinkRNN':>11s}   MSDN split")
for ds_name, (D, L) in shapes.items():
    counts = [m.num_parameters() for m in (MSDN(D, L), BRMLP(D, L), RethinkRNN(D, L))]
    split = ", ".join(f"{k} {v:,}" for k, v in MSDN(D, L).parameter_split().items())
    print(f"{ds_name:<10s} {D:5d} {L:4d} {counts[0]:8,} {counts[1]:8,} {counts[2]:11,}   {split}")

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
axes[1].set_title("Where MSDN's parameters are (D = 100):\nonly the label embedding grows with L")
axes[1].legend()
axes[1].grid(axis="y", alpha=0.3)
plots.save(fig, args.figures, "04_params_vs_labels.png")
