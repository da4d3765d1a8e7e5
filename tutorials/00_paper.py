"""Tutorial 0 — the MSDN paper in one page, and one batch walked through the model.

Run:  python tutorials/00_paper.py [--data-dir DIR] [--figures DIR] [--smoke]
"""

# %% [markdown]
# # 0. The paper in one page
#
# **Multi-label classification.** Each example `x` (a vector of `D` features) carries a
# *set* of labels out of `L` possible ones: a song can be both *happy* and *relaxing*, a
# gene can have several functions. We write the targets as a binary matrix `Y (N, L)`.
#
# **Label dependence.** Labels are not independent: *amazed* and *happy* co-occur,
# *quiet* and *angry* rarely do. "Binary relevance" (one independent yes/no classifier
# per label) ignores this. Models that exploit it can correct one label's prediction
# with the evidence for the others.
#
# **Why RNNs.** Recent models use an RNN's memory to carry "what I predicted so far" into
# the next prediction. CNN-RNN predicts the labels one at a time, as a sequence;
# RethinkNet, the rival this package implements (`RethinkRNN`, tutorial 8), re-predicts the
# *whole* label vector 3 times, each pass seeing the memory of the previous ones. The
# price: an LSTM layer has `4 (D_in H + H^2 + H)` parameters, easily 100k+, on datasets of
# a few hundred examples, a recipe for over-fitting.
#
# **The MSDN idea** (Kim, Park & Hong, 2021). Give every label its own small embedding,
# conditioned on the example: a matrix `Z (d, L)`, one column per label. Then slide 1-D
# convolutions *along the label axis*. A kernel of size `k` mixes each label with its
# `k - 1` neighbours: label relations at one *scale*. Several kernel sizes in parallel
# give several scales. Convolution weights are shared across label positions, so the
# relation block is tiny compared with an LSTM.
#
# **What we do not know.** We have the abstract and summary only (see
# `docs/DESIGN.md`), so this package is a *reconstruction*. Every choice the paper does
# not pin down is listed at the end of this script and in the docstrings.

# %%
import common
import numpy as np

from msdn_numpy import MSDN, plots
from msdn_numpy.losses import sigmoid
from msdn_numpy.models import DEFAULT_LABEL_ORDER
from msdn_numpy.preprocessing import Standardizer

args = common.setup(__doc__)
train, test = common.load("emotions", args)
print(f"\ndataset '{train.name}': N={train.n_samples} train examples, D={train.n_features} features, "
      f"L={train.n_labels} labels")  # fmt: skip
print("labels:", ", ".join(train.label_names))

# %% [markdown]
# ## The model with the package defaults
#
# `describe()` lists every layer with its output shape and parameter count.

# %%
model = MSDN(train.n_features, train.n_labels)  # the package defaults
print(model.describe())

# %% [markdown]
# ## One batch, every intermediate shape
#
# We take a batch of `N = 4` standardised examples and call each stage of the model by
# hand: the same calls `MSDN.forward` makes (see `msdn_numpy/models.py`).

# %%
X = Standardizer().fit(train.X).transform(train.X)[:4]
E, d, r, c, K = model.hidden, model.embed_dim, model.rank, model.channels, model.kernel_sizes
model.eval()  # dropout off, so that our calls and model.forward see the same h


def show(name: str, array: np.ndarray, meaning: str) -> None:
    print(f"{name:<28s} {str(array.shape):<14s} {meaning}")


show("x", X, "(N, D) standardised features")
h = model.encoder.forward(X)
show("h = ReLU(x W1 + b1)", h, "(N, E) encoder")
g = model.head.forward(h)
show("g = h W_g + b_g", g, "(N, L) label-wise head: BR-MLP's read-out")
bottleneck = model.embed.layers[0].forward(h)
show("h A + a", bottleneck, "(N, r) the rank-r bottleneck")
flat = model.embed.layers[1].forward(bottleneck)
show("(h A + a) B + c", flat, "(N, d*L) all label embeddings at once")
Z = model.embed.layers[3].forward(model.embed.layers[2].forward(flat))
show("Z = tanh(reshape(...))", Z, "(N, d, L) one d-dim embedding per label, in (-1, 1)")
# The model computes every kernel size at once (MultiScaleConv1D: one shared im2col matrix);
# its readable version is one Conv1D per kernel size, with the same weights:
maps = []
for k, conv in zip(K, model.relations.layers[0].to_branches()):
    F_k = np.maximum(conv.forward(Z), 0)
    maps.append(F_k)
    pads = (conv.pad_left, conv.pad_right)
    show(f"F_{k} = ReLU(Conv1D_{k}(Z))", F_k, f"(N, c, L) kernel {k}, pad (left, right) = {pads}")
F = np.concatenate(maps, axis=1)
show("F = concat_k F_k", F, "(N, |K| c, L) all scales stacked on the channel axis")
assert np.allclose(F, model.relations.forward(Z))  # the fused layer gives the same
s = model.readout.forward(F)
show("s = Conv1D_1(F)", s, "(N, 1, L) the same 1x1 read-out at every label (all 0 at first)")
logits = g + s[:, 0, model.inverse]
show("logits = g + s[:, 0, :]", logits, "(N, L) head + relation block, in the dataset's label order")
P = sigmoid(logits)
show("P = sigmoid(logits)", P, "(N, L) label probabilities")
same = np.allclose(logits, model.forward(X))
print(f"\nby hand == model.forward(X): {same}  (built without label_perm: the file order, perm = identity)")
print(f"the relation block's output s is exactly 0 before training: {not s.any()} (its read-out starts at zero)")
assert same

print("\nprobabilities of the untrained model (rows: examples, columns: labels):")
print(np.array2string(P, precision=2, suppress_small=True))

# %% [markdown]
# ## A picture of one example, after training
#
# The untrained model outputs about 0.5 everywhere. We train it with the package's
# recipe (`train_model`, defaults; tutorial 5 looks at training in detail) and look at
# one *test* example. Top: the label-embedding matrix `Z` and the predicted probabilities
# next to the true labels. Bottom: the feature maps of each kernel size. The label axis
# is horizontal everywhere. `train_model` orders the labels along the convolution axis
# (its default label order) and the model maps the logits back to the dataset's order,
# so `Z` and the feature maps show the labels in the convolution's order, the
# probabilities in the file's order.

# %%
import matplotlib.pyplot as plt

from msdn_numpy.train import train_model

trained = train_model(train, "msdn", config=common.config(args), log=None)
net = trained.model.to(np.float64)
x0 = trained.standardizer.transform(test.X[:1])
net.eval()
Z0 = net.embed.forward(net.encoder.forward(x0))
F0 = net.relations.forward(Z0)  # (1, |K| c, L): the scales' channel blocks, in the order of K
maps0 = np.split(F0, len(K), axis=1)
p0 = trained.predict_proba(test.X[:1])[0]
y0 = test.Y[0]
print(f"test example 0: true labels {[n for n, y in zip(test.label_names, y0) if y]}")
print(f"                P = {np.round(p0, 2).tolist()}, threshold {trained.thresholds[0]:.2f}")

short = [n[:16] for n in train.label_names]  # dataset order: the output probabilities
conv_axis = [short[i] for i in net.perm]  # the order along Z's label axis (train_model's label order)
print(f"label order along the convolution axis ('{net.config['label_order']}'): {conv_axis}")
names = "".join(chr(ord("A") + i) for i in range(len(K)))
top = "Z" * (2 * len(K) - 2) + "PP"  # with K = (1, 3, 5): "ZZZZPP" over "AABBCC"
bottom = "".join(ch * 2 for ch in names)
fig, axes = plt.subplot_mosaic([list(top), list(bottom)], figsize=(4.5 * len(K), 8.5), layout="constrained")
plots.heatmap(Z0[0], [f"d{i}" for i in range(d)], conv_axis, ax=axes["Z"], cmap="coolwarm",
              title=f"Z: one {d}-dim embedding per label  ({d} x {train.n_labels})",
              xlabel=f"label, in the '{net.config['label_order']}' order (convolution axis)",
              ylabel="embedding channel")  # fmt: skip
ax = axes["P"]
colors = ["tab:green" if y else "tab:gray" for y in y0]
ax.bar(range(len(p0)), p0, color=colors)
ax.axhline(trained.thresholds[0], color="k", ls="--", lw=1, label=f"threshold {trained.thresholds[0]:.2f}")
ax.set_xticks(range(len(p0)), short, rotation=90)
ax.set_ylim(0, 1)
ax.set_ylabel("predicted probability")
ax.set_title("sigmoid(logits); green = true label")
ax.set_xlabel("label (file order)")
ax.legend(loc="upper right")
for ch, k, F_k in zip(names, K, maps0):
    plots.heatmap(F_k[0], None, conv_axis, ax=axes[ch], title=f"F_{k} = ReLU(Conv1D_{k}(Z)), kernel size {k}",
                  xlabel="label (convolution axis)", ylabel=f"output channel (0..{c - 1})")  # fmt: skip
fig.suptitle(f"One {train.name} test example through a trained MSDN", fontsize=14)
plots.save(fig, args.figures, "00_one_example.png")

# %% [markdown]
# ## Where the reconstruction chose
#
# Each line: *the paper does not specify X; we use Y because Z*.

# %%
choices = [
    ("how the per-label embeddings Z are produced",
     f"the encoder output through a rank-{r} bottleneck to d*L values, reshaped to (d, L), then tanh",
     "it gives every label its own example-conditioned vector at r*d*L parameters instead of E*d*L"),
    ("whether the relation block stands alone",
     "a label-wise linear head beside it, logits = head + relation block, the block's read-out starting at 0",
     "MSDN then starts as BR-MLP and can only add to it; alone, it fell far below BR-MLP on rare labels"),
    ("the widths E, d, c and the kernel sizes",
     f"E={E}, d={d}, c={c}, K={K}, the package defaults",
     "the abstract only says 'multiple kernel sizes'; small widths keep the model far smaller than an LSTM"),
    ("how 'same' padding is split for even kernels",
     "left (k-1)//2, right k//2 (PyTorch's split)",
     "output position j then stays as centred on label j as possible"),
    ("the read-out",
     "a shared 1x1 convolution over the concatenated scales",
     "it reads every label the same way, with |K| c + 1 parameters whatever L is"),
    ("the label order along the convolution axis",
     f"'{DEFAULT_LABEL_ORDER}' by default (train_model); given / frequency / cooccurrence / random available",
     "a convolution needs *some* order, and co-occurring labels should be within a kernel's reach; "
     "tutorial 6 measures how much it matters"),
    ("the loss",
     "mean binary cross-entropy for every model",
     "RethinkNet's cost-sensitive re-weighting would favour one metric; BCE is neutral"),
    ("the decision thresholds",
     "one global threshold tuned on a validation split held out from train",
     "common practice; the test split is never used for tuning (tutorial 5)"),
]  # fmt: skip
for what, ours, why in choices:
    print(f"- The paper does not specify {what};\n    we use {ours}\n    because {why}.")
