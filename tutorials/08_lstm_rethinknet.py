"""Tutorial 8 — the LSTM, backpropagation through time, and RethinkNet's "rethink" loop (the paper's RNN rival).

Run:  python tutorials/08_lstm_rethinknet.py [--data-dir DIR] [--figures DIR] [--smoke]
"""

# %% [markdown]
# # 8. The LSTM, backpropagation through time, and the rethink loop
#
# MSDN is compared with RNN-based multi-label classifiers. The one this package implements
# is RethinkNet (Yang, Lin, Chu & Lin, 2019), as `msdn_numpy.models.RethinkRNN`. It does
# not read the labels one by one: it predicts the **whole label vector** `B = 3` times, and
# an LSTM carries a memory of the previous predictions into the next ("rethinking"):
#
#     u   = ReLU(X W_e + b_e)          (N, 128)       Dense(128, ReLU), computed once
#     U   = repeat(u, B)               (N, B, 128)    the same input at every step
#     H   = LSTM(U)                    (N, B, 128)    the memory
#     out = H W_o + b_o                (N, B, L)      head: Dense(L) at every step, B predictions
#
# Training compares *every* step's prediction with `Y` (the BCE averaged over the steps);
# the prediction is the last step's. This script walks through one LSTM step, the LSTM over
# a sequence, backpropagation through time (BPTT) by hand, where the gradient goes as it
# flows back through the steps, the whole RethinkRNN with its shapes, gradient checks, and
# what the steps do after training.

# %%
import common
import matplotlib.pyplot as plt
import numpy as np

from msdn_numpy import LSTM, BCEWithLogits, RethinkRNN, gradcheck, metrics, sigmoid
from msdn_numpy.dataio.preprocessing import Standardizer, train_val_split
from msdn_numpy.nn.recurrent import lstm_step_backward, lstm_step_forward
from msdn_numpy.tools import plots
from msdn_numpy.train import train_model

args = common.setup(__doc__)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. One LSTM step
#
# From the input `x_t (N, D_in)` and the previous states `h_{t-1}, c_{t-1} (N, H)`, four
# gates are computed at once, `a = x_t W_x + h_{t-1} W_h + b` of shape `(N, 4H)`, split in
# the order `i, f, g, o` (PyTorch's):
#
#     i = σ(a_i)  input gate      f = σ(a_f)  forget gate      g = tanh(a_g)  candidate      o = σ(a_o)  output gate
#     c_t = f ⊙ c_{t-1} + i ⊙ g          the cell state: a gated running sum
#     h_t = o ⊙ tanh(c_t)                the hidden state, what the next layer sees
#
# `recurrent.lstm_step_forward` is this step written out; the `LSTM` layer runs all steps
# (with the input projection of all steps in one matrix product). Both must agree.

# %%
N, T, D_in, H = 4, 5, 3, 6
lstm = LSTM(D_in, H, rng=1)
W_x, W_h, b = lstm.params["W_x"], lstm.params["W_h"], lstm.params["b"]
print(f"LSTM({D_in}, {H}): W_x {W_x.shape}, W_h {W_h.shape}, b {b.shape}: "
      f"4 (D_in H + H^2 + H) = {4 * (D_in * H + H * H + H)} = {lstm.num_parameters()} parameters")  # fmt: skip
x = rng.standard_normal((N, T, D_in))
hs_layer = lstm.forward(x)
h, c = np.zeros((N, H)), np.zeros((N, H))  # h_0 = c_0 = 0
caches = []
for t in range(T):
    h, c, cache = lstm_step_forward(x[:, t], h, c, W_x, W_h, b)
    caches.append(cache)
    if t == 0:
        print(f"step t=1: x_t {x[:, t].shape}, a (N, 4H) = {(N, 4 * H)}, h_t {h.shape}, c_t {c.shape}")
    assert np.allclose(h, hs_layer[:, t])
print(f"x {x.shape} -> LSTM -> h {hs_layer.shape}: every step's hidden state")
print("the steps one at a time == the LSTM layer: True")

# %% [markdown]
# ## 2. Backpropagation through time, by hand
#
# The same weights are used at every step, so the loss depends on `h_t` in two ways:
# directly (the upstream gradient `dout[:, t]`) and through the later steps (`h_t` feeds
# step `t+1`). The cell state `c_t` feeds step `t+1` too. So walk back from the last step:
#
#     dh_t = dout[:, t] + dh_prev of step t+1        dc_t = dc_prev of step t+1 (zero after the last step)
#
# `recurrent.lstm_step_backward(dh_t, dc_t, cache)` returns `dx_t`, `dh_prev`, `dc_prev` and
# this step's share of `dW_x, dW_h, db`, which are **summed** over the steps. (Exercise 5 in
# `tutorials/exercises/` asks you to write exactly this.)

# %%
dout = rng.standard_normal((N, T, H))
dx_layer = lstm.backward(dout)
dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
dx = np.zeros_like(x)
grads = {k: np.zeros_like(v) for k, v in lstm.params.items()}
for t in reversed(range(T)):
    dx[:, t], dh_next, dc_next, *step_grads = lstm_step_backward(dout[:, t] + dh_next, dc_next, caches[t])
    for k, g in zip(("W_x", "W_h", "b"), step_grads):
        grads[k] += g
same = np.allclose(dx, dx_layer) and all(np.allclose(grads[k], lstm.grads[k]) for k in grads)
print(f"BPTT by hand == LSTM.backward (dx and the three weight gradients): {same}")
assert same


# %% [markdown]
# ## 3. How far back does the gradient reach?
#
# Left: an LSTM over `T = 30` steps whose loss looks only at the **last** hidden state (a
# random `dout` at `t = 30`, zero elsewhere). Going back one step multiplies the gradient
# reaching `c` by the forget gate `f` (and adds what comes through `h`), so with
# `f ≈ σ(0) = 0.5` (the default initialisation) it shrinks about geometrically: the classic
# vanishing gradient. A forget-gate bias of +2 (`f ≈ 0.88`, a common initialisation trick;
# not the package's default) lets it reach much further back. <!-- smoke -->
#
# Right: RethinkRNN has only `B = 3` steps and a loss at **every** step, so each `h_t`
# receives a direct gradient from its own prediction, plus what flows back from the later
# steps; the first step's memory is trained by all three predictions.


# %%
def grad_norms_back(lstm: LSTM, x: np.ndarray, dout: np.ndarray) -> dict[str, np.ndarray]:
    """BPTT with the step functions; per step, the mean over the batch of the norm of

    ``"dh"`` all of dL/dh_t, ``"later"`` its part from the later steps (``dh_prev`` of step t+1),
    ``"dc"`` all of dL/dc_t (through c_{t+1} and through h_t = o tanh(c_t)).
    """
    n, steps, _ = x.shape
    h, c = np.zeros((n, lstm.H)), np.zeros((n, lstm.H))
    step_caches = []
    for t in range(steps):
        h, c, cache = lstm_step_forward(x[:, t], h, c, lstm.params["W_x"], lstm.params["W_h"], lstm.params["b"])
        step_caches.append(cache)
    norms = {k: np.zeros(steps) for k in ("dh", "later", "dc")}
    dh_next, dc_next = np.zeros((n, lstm.H)), np.zeros((n, lstm.H))
    for t in reversed(range(steps)):
        dh = dout[:, t] + dh_next
        *_, o, tanh_c = step_caches[t]  # the cache ends with the output gate and tanh(c_t)
        norms["dh"][t] = np.linalg.norm(dh, axis=1).mean()
        norms["later"][t] = np.linalg.norm(dh_next, axis=1).mean()
        norms["dc"][t] = np.linalg.norm(dc_next + dh * o * (1 - tanh_c**2), axis=1).mean()
        _, dh_next, dc_next, *_ = lstm_step_backward(dh, dc_next, step_caches[t])
    return norms


T_long, H_long = 30, 32
x_long = rng.standard_normal((16, T_long, 8))
dout_last = np.zeros((16, T_long, H_long))
dout_last[:, -1] = rng.standard_normal((16, H_long))
curves = {}
for label, forget_bias in (("default init (forget gate ≈ 0.5)", 0.0), ("forget-gate bias +2 (≈ 0.88)", 2.0)):
    net = LSTM(8, H_long, rng=3)
    net.params["b"][H_long : 2 * H_long] += forget_bias
    curves[label] = grad_norms_back(net, x_long, dout_last)
    print(f"{label:<36s} ||dL/dh_t|| at t=30: {curves[label]['dh'][-1]:.2e}, at t=1: {curves[label]['dh'][0]:.2e}")

# RethinkRNN on a real batch: the direct gradient of each step and what comes from later steps
train, test = common.load("emotions", args)
fit_part, _ = train_val_split(train, val_fraction=0.2, seed=0)  # as the recipe: split first, then standardise
scaler = Standardizer().fit(fit_part.X)
X_batch, Y_batch = scaler.transform(fit_part.X[:32]), fit_part.Y[:32]
rnn = RethinkRNN(train.n_features, train.n_labels, dropout=0.0, seed=0)  # no dropout: the hand computation has none
out = rnn.forward(X_batch)
loss_fn = BCEWithLogits()
loss_fn.forward(out, rnn.output_targets(Y_batch))
dH_direct = rnn.head.backward(loss_fn.backward())  # (N, B, 128): each step's own prediction
U = np.repeat(rnn.encoder.forward(X_batch)[:, None, :], rnn.steps, axis=1)
rnn_norms = grad_norms_back(rnn.lstm, U, dH_direct)
rnn_norms["direct"] = np.linalg.norm(dH_direct, axis=2).mean(axis=0)

fig, axes = plt.subplots(1, 2, figsize=(14, 5.2), layout="constrained")
steps_long = np.arange(1, T_long + 1)
for (label, norms), color in zip(curves.items(), ("C0", "C1")):
    axes[0].semilogy(steps_long, norms["dh"], "o-", color=color, markersize=4, label=f"||dL/dh_t||, {label}")
    axes[0].semilogy(steps_long, norms["dc"], "--", color=color, label=f"||dL/dc_t||, {label}")
axes[0].set_xlabel("time step t (the loss looks at t = 30 only)")
axes[0].set_ylabel("gradient norm reaching step t (mean over the batch, log scale)")
axes[0].set_title(f"LSTM({x_long.shape[2]}, {H_long}) over {T_long} steps: the gradient flowing back")
axes[0].legend(fontsize=9, loc="lower right")
axes[0].grid(alpha=0.3, which="both")
steps_rnn = np.arange(1, rnn.steps + 1)
parts = (("direct", "direct: from step t's own prediction"), ("later", "flowing back from the later steps"),
         ("dh", "all of dL/dh_t: ||direct + later|| (at most the sum of the two norms)"))  # fmt: skip
for j, (key, label) in enumerate(parts):
    bars = axes[1].bar(steps_rnn + (j - 1) * 0.27, rnn_norms[key], width=0.27, label=label)
    axes[1].bar_label(bars, fmt="%.1e", fontsize=8, padding=2)
axes[1].set_xticks(steps_rnn, [f"step {t}" for t in steps_rnn])
axes[1].set_ylabel("gradient norm (mean over the batch)")
axes[1].set_title(f"RethinkRNN (untrained), a batch of {train.name}: a loss at every step")
axes[1].set_ylim(0, rnn_norms["dh"].max() * 1.3)
axes[1].legend(loc="upper right", fontsize=9)
axes[1].grid(axis="y", alpha=0.3)
plots.save(fig, args.figures, "08_bptt_gradients.png")

# %% [markdown]
# ## 4. RethinkRNN stage by stage
#
# The same calls `RethinkRNN.forward` makes (see `msdn_numpy/models/rethink.py`). `Dense(128)` sees
# the same input at every step, so it is computed once and repeated; its backward pass
# therefore *sums* the `B` steps' gradients (a value used `B` times).

# %%
print(rnn.describe())
u = rnn.encoder.forward(X_batch)
U = np.repeat(u[:, None, :], rnn.steps, axis=1)
Hs = rnn.lstm.forward(U)
out_by_hand = rnn.head.forward(Hs)
targets = rnn.output_targets(Y_batch)
stages = [
    ("X", X_batch, "(N, D) standardised features"),
    ("u = ReLU(X W_e + b_e)", u, "(N, 128) Dense(128, ReLU), once"),
    ("U = repeat(u, B)", U, "(N, B, 128) the same input at each step"),
    ("H = LSTM(U)", Hs, "(N, B, 128) one hidden state per step"),
    ("out = H W_o + b_o", out_by_hand, "(N, B, L) head: one prediction per step"),
    ("targets = repeat(Y, B)", targets, "(N, B, L) every step is compared with Y"),
    ("logits = out[:, -1]", rnn.logits_from_output(out_by_hand), "(N, L) the last step predicts"),
]
for name, a, meaning in stages:
    print(f"{name:<26s} {str(a.shape):<14s} {meaning}")
assert np.allclose(out_by_hand, rnn.forward(X_batch))
per_step = [BCEWithLogits().forward(out_by_hand[:, t], Y_batch) for t in range(rnn.steps)]
print(f"\nBCE of each step: {np.round(per_step, 4).tolist()}; the training loss is their mean "
      f"{BCEWithLogits().forward(out_by_hand, targets):.4f} = {np.mean(per_step):.4f}")  # fmt: skip

# %% [markdown]
# ## 5. Gradient checks
#
# Finite differences (float64, relative error below `PASS_BAR = 1e-7`) on a small LSTM and
# on a whole small RethinkRNN: every parameter, the encoder through the repeat, the LSTM
# through all the steps, the head at every step. `gradcheck` also runs forward and
# backward twice, so gradients that accumulate would fail.

# %%
result = gradcheck(LSTM(3, 4, rng=0), rng.standard_normal((2, 5, 3)))
print(result)
assert result.passed
tiny = RethinkRNN(5, 4, hidden=3, steps=3, seed=1)
result = gradcheck(tiny, rng.standard_normal((3, 5)))
print(result)
assert result.passed

# %% [markdown]
# ## 6. After training: what do the steps do?
#
# We train RethinkRNN with the package's recipe (`train_model`, its defaults) and look at
# each step's prediction on the *test* split: its loss, and its example-based F1 with the
# threshold tuned on validation for the last step. If rethinking helps, later steps
# predict better than the first.

# %%
trained = train_model(train, "rnn", config=common.config(args), log=None)
net = trained.model.to(np.float64)
net.eval()
X_test = trained.standardizer.transform(test.X)
out_test = net.forward(X_test)  # (N, B, L)
step_loss = [BCEWithLogits().forward(out_test[:, t], test.Y) for t in range(net.steps)]
P_steps = [sigmoid(out_test[:, t]) for t in range(net.steps)]
step_f1 = [metrics.example_f1(test.Y, (P >= trained.thresholds).astype(np.uint8)) for P in P_steps]
for t in range(net.steps):
    print(f"step {t + 1}: test BCE {step_loss[t]:.4f}, example-F1 {step_f1[t]:.4f}")
print(f"best epoch {trained.history.best_epoch}; from step 1 to step {net.steps}: BCE "
      f"{step_loss[-1] - step_loss[0]:+.4f}, example-F1 {step_f1[-1] - step_f1[0]:+.4f}")  # fmt: skip

fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
steps_rnn = np.arange(1, net.steps + 1)
axes[0].plot(steps_rnn, step_loss, "o-")
axes[0].set_ylabel("test BCE (mean over N x L)")
axes[1].plot(steps_rnn, step_f1, "o-", color="C1")
axes[1].set_ylabel("test example-based F1")
for ax, values in zip(axes, (step_loss, step_f1)):
    ax.set_xticks(steps_rnn, [f"step {t}" for t in steps_rnn])
    ax.set_xlim(0.6, net.steps + 0.4)
    ax.set_xlabel("rethink step (the prediction is the last)")
    ax.grid(alpha=0.3)
    spread = max(values) - min(values)
    ax.set_ylim(min(values) - max(spread, 1e-3), max(values) + max(spread, 1e-3))
    for t, v in zip(steps_rnn, values):
        ax.annotate(f"{v:.4f}", (t, v), ha="center", xytext=(0, 7), textcoords="offset points")
fig.suptitle(f"RethinkRNN trained on {train.name}: each step's prediction on the test split"
             + (" (SMOKE run: 3 epochs, numbers not meaningful)" if args.smoke else ""))  # fmt: skip
plots.save(fig, args.figures, "08_rethink_steps.png")

# %% [markdown]
# What the full run shows (emotions, one seed): the later steps are *worse* on the test
# split, not better. The test BCE rises from 0.4439 at step 1 to 0.5478 at step 3, and the
# example-F1 falls from 0.6913 to 0.6637 (at the threshold tuned for the last step, which
# favours step 3). So with this recipe and this seed, rethinking does not pay off on
# emotions; one seed is not a verdict, and tutorial 7 compares the whole RethinkRNN with
# MSDN over 10 seeds. RethinkNet also re-weights its loss for a target metric; our
# reconstruction uses plain BCE for every model (see `RethinkRNN`'s notes), so that all
# models optimise the same thing. The price of the memory is the LSTM's
# `4 (128·128 + 128·128 + 128) = 131,584` parameters, the number tutorial 4 compares with
# MSDN's relation block.
