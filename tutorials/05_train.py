"""Tutorial 5 — training and evaluating: learning curves, threshold tuning, a metrics table, the estimator.

Run:  python tutorials/05_train.py [--data-dir DIR] [--figures DIR] [--smoke]
"""

# %% [markdown]
# # 5. Training and evaluating
#
# The recipe (`msdn_numpy.train.train_model`, used by the CLI too; tutorial 9 writes every
# step out and checks it against the package):
#
# 1. hold out 20% of the *training* split for validation (the test split is never used
#    for any choice), then standardise the features with statistics of the remaining
#    training rows only; <!-- smoke -->
# 2. minibatch Adam on the mean binary cross-entropy (BCE); after every epoch, the
#    validation micro-F1 at the best global threshold of the grid 0.05, …, 0.95; keep the
#    parameters of the epoch where it is highest (ties: the lower validation loss), stop
#    after `patience` (30) epochs without a better one, and restore the kept epoch;
#   <!-- smoke: 0.05, 0.95 -->
# 3. choose the decision threshold on the validation split;
# 4. evaluate on the test split.
#
# The paper does not specify the loss or the recipe; we use plain BCE and this recipe for
# every model (RethinkNet re-weights its loss for a target metric; we do not, so that all
# models optimise the same thing). We use the package defaults, `TrainConfig()`, so you
# see what users get.

# %%
import common
import matplotlib.pyplot as plt
import numpy as np

from msdn_numpy import metrics
from msdn_numpy.dataio.preprocessing import train_val_split
from msdn_numpy.tools import plots
from msdn_numpy.train import THRESHOLD_GRID, train_model, tune_thresholds

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
    vl = h.column("val_loss")
    low = int(np.argmin(vl)) + 1
    print(f"{name}: {len(h.rows)} epochs in {h.column('seconds').sum():.1f}s; selected epoch {h.best_epoch} "
          f"(validation micro-F1 {h.rows[h.best_epoch - 1]['val_micro_f1']:.4f}); validation loss lowest at "
          f"epoch {low} ({vl[low - 1]:.4f}), {vl[-1]:.4f} at the last epoch")  # fmt: skip

# %% [markdown]
# ## Learning curves
#
# Left, the BCE per epoch; right, the validation micro-F1 that selection watches. The
# epoch axis is logarithmic, because most of the change happens in the first epochs. The dot
# and the dotted line mark the selected epoch of each model (named in the legend); each
# run ends 30 epochs after it (the patience).
#
# What the full run shows on emotions: the training loss keeps falling. MSDN's
# validation loss is lowest at epoch 15 (0.3987) and rises after it (0.6583 at epoch 67,
# where training stops), the model becoming over-confident; its validation micro-F1
# peaks later, at epoch 37, which is the epoch kept. BR-MLP learns more slowly: its validation
# micro-F1 peaks at epoch 29, its validation loss is lowest at epoch 35, and it stops at
# epoch 59. Selection on validation micro-F1 keeps an epoch well after MSDN's lowest
# validation loss; tutorial 9 compares the two rules.

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 5.5), layout="constrained")
for (name, trained), color in zip(runs.items(), ("tab:blue", "tab:orange")):
    plots.learning_curves(trained.history, ax=axes[0], label=name, color=color,
                          title=f"{train.name}: BCE per epoch (Adam, lr {cfg.lr}, batch {cfg.batch_size})")  # fmt: skip
    plots.validation_curve(trained.history, ax=axes[1], label=name, color=color,
                           title="validation micro-F1, best global threshold (what selection watches)")  # fmt: skip
plots.save(fig, args.figures, "05_learning_curves.png")

# %% [markdown]
# ## Threshold tuning
#
# The model outputs probabilities; a label set needs a threshold. 0.5 is not special:
# with rare labels and BCE the probabilities are often too low for F1. The paper does not
# specify how MSDN turns probabilities into label sets; the package default
# (`threshold="global"`, `train.tune_thresholds`) is one threshold for every label, chosen
# on the validation split: among the grid values 0.05, 0.10, …, 0.95 whose validation
# micro-F1 is within 0.01 of the best, the one closest to 0.5. A lower threshold predicts
# more labels (recall up, precision down); the tolerance keeps 0.5 unless validation
# clearly prefers another value, since the validation split is small. Per-label
# thresholds (`"per-label"`) adapt to each label but have L times more chances to fit
# the noise of the validation split. <!-- smoke: 0.05, 0.10, 0.95, 0.01 -->
#
# We rebuild the same validation split the trainer used (same fraction, same seed):

# %%
fit_part, val = train_val_split(train, val_fraction=cfg.val_fraction, seed=cfg.seed)
msdn = runs["MSDN"]
P_val, P_test = msdn.predict_proba(val.X), msdn.predict_proba(test.X)
grid = THRESHOLD_GRID
print(f"threshold grid: {', '.join(f'{t:.2f}' for t in grid)}")
on_val = {t: metrics.evaluate(val.Y, P_val, t) for t in grid}
on_test = {t: metrics.evaluate(test.Y, P_test, t) for t in grid}
micro = np.array([on_val[t]["micro_f1"] for t in grid])
band = grid[micro >= micro.max() - 0.01]
chosen = tune_thresholds(P_val, val.Y, "global")[0]
assert np.isclose(chosen, msdn.thresholds[0])
print(f"validation: {val.n_samples} rows; best validation micro-F1 {micro.max():.4f} at "
      f"{grid[int(np.argmax(micro))]:.2f}; within 0.01 of it: {band.tolist()}; chosen (closest to 0.5): "
      f"{chosen:.2f}; the trainer chose {msdn.thresholds[0]:.2f}")  # fmt: skip
test_micro = np.array([on_test[t]["micro_f1"] for t in grid])
print(f"(test, never used to choose: micro-F1 {test_micro[list(grid).index(chosen)]:.4f} at the chosen "
      f"{chosen:.2f}, highest {test_micro.max():.4f} at {grid[int(np.argmax(test_micro))]:.2f})")  # fmt: skip
for m in ("example_f1", "macro_f1", "hamming_loss"):  # the right panel of the figure below
    values = np.array([on_val[t][m] for t in grid])
    lower = m in metrics.LOWER_IS_BETTER
    best = values.min() if lower else values.max()
    at = ", ".join(f"{t:.2f}" for t in grid[np.isclose(values, best, rtol=0, atol=1e-12)])
    at_each = ", ".join(f"{values[grid == t][0]:.4f} at {t:.2f}" for t in sorted({chosen, 0.45, 0.5}))
    print(f"validation {m}: {'lowest' if lower else 'highest'} {best:.4f} at {at}; {at_each}")

fig, axes = plt.subplots(1, 2, figsize=(15, 6), layout="constrained")
ax = axes[0]
for m, style in (("micro_precision", "-"), ("micro_recall", "-"), ("micro_f1", "-")):
    ax.plot(grid, [on_val[t][m] for t in grid], style, marker=".", lw=2 if m == "micro_f1" else 1.3,
            label=f"validation {m.replace('_', ' ')}")  # fmt: skip
ax.plot(grid, [on_test[t]["micro_f1"] for t in grid], "k:", label="test micro f1 (for illustration only: never used)")
for i, t in enumerate(band):  # every grid value within 0.01 of the best (not always one interval)
    ax.axvspan(t - 0.025, t + 0.025, color="tab:green", alpha=0.15,
               label="within 0.01 of the best validation micro-F1" if i == 0 else None)  # fmt: skip
ax.axvline(chosen, color="k", lw=1.2, label=f"chosen: {chosen:.2f} (closest to 0.5 in the band)")
ax.axvline(0.5, color="gray", lw=1, ls="--", label="0.5 (threshold mode 'fixed')")
ax.set_title(f"MSDN on {train.name}: the trade-off that sets the threshold")
ax.set_ylabel("validation metric")
ax = axes[1]
for m in ("example_f1", "macro_f1", "hamming_loss"):
    ax.plot(grid, [on_val[t][m] for t in grid], marker=".", label=f"validation {m.replace('_', ' ')}")
ax.axvline(chosen, color="k", lw=1.2)
ax.axvline(0.5, color="gray", lw=1, ls="--")
ax.set_title("other metrics at the same thresholds (Hamming loss: lower is better)")
ax.set_ylabel("validation metric")
for ax in axes:
    ax.set_xlabel("decision threshold (the same for every label)")
    ax.set_ylim(0, 1)
    ax.set_xticks(np.round(np.arange(0.1, 0.91, 0.1), 1))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
plots.save(fig, args.figures, "05_thresholds.png")

# %% [markdown]
# What the full run shows: lowering the threshold trades micro precision for micro
# recall (left); on the 78 validation rows micro-F1 is highest at 0.35 (0.7148), and only
# 0.30 comes within 0.01 of it; of the two, the trainer takes the one closest to 0.5, 0.35.
# The test curve, drawn only for illustration, peaks lower (0.25): the validation split is
# small, and the choice is close to but not exactly what test would have picked. Right:
# example-F1 and macro-F1 are highest at 0.30 on validation, next to the chosen 0.35, and
# the Hamming loss is lowest at 0.50 (0.1816) and higher at 0.35 and 0.45 (0.1859 at both):
# a lower threshold predicts more labels, which F1 rewards and the Hamming loss does not.

# %% [markdown]
# ## The metrics table
#
# Test metrics for MSDN under the three threshold modes, and for BRMLP (MSDN without
# the relation block) with the default global threshold. In the full run, the tuned
# global threshold (0.40) buys recall and F1 over the fixed 0.5 at a little Hamming loss,
# and per-label thresholds push recall further at a larger Hamming-loss cost. This is one
# seed and one split: differences of 0.01 here are within the seed-to-seed spread, so no
# verdict between models or modes rests on this table (tutorials 6 and 7 compare over
# seeds with paired statistics).

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

# %% [markdown]
# ## The same recipe as a scikit-learn-style estimator
#
# With arrays instead of a `Dataset`, `MSDNClassifier` (and `RethinkRNNClassifier`,
# `BRMLPClassifier`) is this recipe behind scikit-learn's interface: its parameters are the
# fields of `TrainConfig` and the model's own (`seed` is `random_state`), `fit(X, Y)` calls
# `train_model`, `predict` applies the thresholds tuned on validation, and `score` is
# subset accuracy, as for scikit-learn's multi-label classifiers. It works in scikit-learn's
# pipelines and grid searches, and needs no scikit-learn itself. Fitted with the settings
# used above, it is the MSDN trained above, probability for probability:

# %%
from msdn_numpy import MSDNClassifier

clf = MSDNClassifier(epochs=cfg.epochs, patience=cfg.patience, random_state=cfg.seed).fit(train.X, train.Y)
same = np.array_equal(clf.predict_proba(test.X), P_test) and np.array_equal(clf.thresholds_, msdn.thresholds)
assert same and clf.score(test.X, test.Y) == results["MSDN global"]["subset_accuracy"]
print(f"MSDNClassifier: best epoch {clf.history_.best_epoch}, threshold {clf.thresholds_[0]:.2f}, "
      f"test subset accuracy {clf.score(test.X, test.Y):.4f}; the same test probabilities as train_model's "
      f"MSDN: {same}")  # fmt: skip
