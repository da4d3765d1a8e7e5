"""Tutorial 5 — training and evaluating: learning curves, threshold tuning, a metrics table.

Run:  python tutorials/05_train.py [--data-dir DIR] [--figures DIR] [--smoke]
"""

# %% [markdown]
# # 5. Training and evaluating
#
# The recipe (`msdn_numpy.train.train_model`, used by the CLI too):
#
# 1. hold out 20% of the *training* split for validation (the test split is never used
#    for any choice);
# 2. standardise the features with statistics of the remaining training rows;
# 3. minibatch Adam on the mean binary cross-entropy, keeping the epoch with the lowest
#    validation loss, stopping after `patience` epochs without improvement;
# 4. choose the decision threshold on the validation split;
# 5. evaluate on the test split.
#
# The paper does not specify the loss; we use plain BCE for every model (RethinkNet
# re-weights its loss for a target metric; we do not, so that all models optimise the
# same thing). We use the package defaults, `TrainConfig()`, so you see what users get.

# %%
import common
import matplotlib.pyplot as plt
import numpy as np

from msdn_numpy import metrics, plots
from msdn_numpy.preprocessing import train_val_split
from msdn_numpy.train import train_model, tune_thresholds

args = common.setup(__doc__)
train, test = common.load("emotions", args)
cfg = common.config(args)
print(f"dataset {train.name}: {train.n_samples} train / {test.n_samples} test, D={train.n_features}, "
      f"L={train.n_labels}\n{cfg}")  # fmt: skip

# %%
runs = {}
for kind, name in (("msdn", "MSDN"), ("br", "BRMLP")):
    runs[name] = train_model(train, kind, config=cfg, log=None)
    h = runs[name].history
    print(f"{name}: {len(h.rows)} epochs, best epoch {h.best_epoch} "
          f"(val loss {h.rows[h.best_epoch - 1]['val_loss']:.4f}), {h.column('seconds').sum():.1f}s")  # fmt: skip

# %% [markdown]
# ## Learning curves
#
# Training loss keeps falling; validation loss falls, flattens and rises again as the
# model starts to over-fit. Early stopping keeps the parameters of the best validation
# epoch (the dot) and waits `patience` epochs to be sure.

# %%
fig, axes = plt.subplots(1, 2, figsize=(14, 5), layout="constrained")
for name, trained in runs.items():
    plots.learning_curves(trained.history, ax=axes[0], label=name,
                          title=f"{train.name}: BCE per epoch (Adam, lr {cfg.lr}, batch {cfg.batch_size})")  # fmt: skip
    axes[1].plot(trained.history.column("epoch"), trained.history.column("val_example_f1"), label=name)
axes[1].set_xlabel("epoch")
axes[1].set_ylabel("validation example-based F1 (threshold 0.5)")
axes[1].set_title("Validation example-F1 per epoch")
axes[1].grid(alpha=0.3)
axes[1].legend()
plots.save(fig, args.figures, "05_learning_curves.png")

# %% [markdown]
# ## Threshold tuning
#
# The model outputs probabilities; a label set needs a threshold. 0.5 is not special:
# with rare labels and BCE the probabilities are often too low for F1. The paper does not
# specify how MSDN turns probabilities into label sets; we choose one global threshold
# on the validation split (the package default, `threshold="global"`), maximising
# example-based F1 over the grid 0.05, 0.10, ..., 0.95. Per-label thresholds
# (`"per-label"`) adapt to each label but have L times more chances to over-fit the
# validation split.
#
# We rebuild the same validation split the trainer used (same fraction, same seed):

# %%
fit_part, val = train_val_split(train, val_fraction=cfg.val_fraction, seed=cfg.seed)
msdn = runs["MSDN"]
P_val, P_test = msdn.predict_proba(val.X), msdn.predict_proba(test.X)
grid = np.round(np.arange(0.05, 0.951, 0.05), 2)
curves = {m: [metrics.evaluate(val.Y, P_val, t)[m] for t in grid] for m in ("example_f1", "micro_f1", "macro_f1",
                                                                              "hamming_loss")}  # fmt: skip
test_f1 = [metrics.evaluate(test.Y, P_test, t)["example_f1"] for t in grid]
chosen = tune_thresholds(P_val, val.Y, "global")[0]
assert np.isclose(chosen, msdn.thresholds[0])
print(f"validation: {val.n_samples} rows; chosen global threshold {chosen:.2f} "
      f"(the trainer chose {msdn.thresholds[0]:.2f})")

fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
for m, ys in curves.items():
    ax.plot(grid, ys, marker=".", label=f"validation {m.replace('_', ' ')}")
ax.plot(grid, test_f1, "k:", label="test example f1 (for illustration only: never used to choose)")
ax.axvline(chosen, color="k", lw=1)
ax.axvline(0.5, color="gray", lw=1, ls="--", label="0.5 (threshold mode 'fixed')")
ax.annotate(f"chosen on validation: {chosen:.2f}", (chosen, 0.05), xytext=(5, 0), textcoords="offset points")
ax.set_xlabel("decision threshold (same for every label)")
ax.set_ylabel("metric value (Hamming loss: lower is better)")
ax.set_ylim(0, 1)
ax.set_title(f"MSDN on {train.name}: metrics vs threshold")
ax.grid(alpha=0.3)
ax.legend(fontsize=9, loc="upper right")
plots.save(fig, args.figures, "05_thresholds.png")

# %% [markdown]
# ## The metrics table
#
# Test metrics for MSDN under the three threshold modes, and for BRMLP (MSDN without
# the relation block) with the default global threshold. One seed: tutorial 7 averages
# over seeds before drawing conclusions.

# %%
columns = {
    "MSDN fixed 0.5": (P_test, tune_thresholds(P_val, val.Y, "fixed")),
    "MSDN global": (P_test, msdn.thresholds),
    "MSDN per-label": (P_test, tune_thresholds(P_val, val.Y, "per-label")),
    "BRMLP global": (runs["BRMLP"].predict_proba(test.X), runs["BRMLP"].thresholds),
}
results = {name: metrics.evaluate(test.Y, P, th) for name, (P, th) in columns.items()}
assert np.isclose(results["MSDN global"]["example_f1"], msdn.evaluate(test)["example_f1"])
header = "| metric | " + " | ".join(columns) + " |"
print(header)
print("|" + "---|" * (len(columns) + 1))
for m in metrics.METRIC_NAMES:
    arrow = " (↓)" if m in metrics.LOWER_IS_BETTER else ""
    print(f"| {m}{arrow} | " + " | ".join(f"{results[c][m]:.4f}" for c in columns) + " |")
print("\n(↓: lower is better.) Ranking metrics do not depend on the threshold, hence equal across MSDN columns.")
