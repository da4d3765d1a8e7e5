"""Tutorial 2 — the multi-label metrics, by hand on a tiny example, then through msdn_numpy.metrics.

Run:  python tutorials/02_metrics.py [--figures DIR] [--smoke]
"""

# %% [markdown]
# # 2. Multi-label metrics
#
# A multi-label prediction can be *partly* right, so there is no single accuracy. Three
# families (Zhang & Zhou 2014):
#
# * **example-based**: score each example's predicted set `Z_i` against its true set
#   `Y_i`, then average over examples;
# * **label-based**: count TP / FP / FN per label, then *micro* (pool the counts, then
#   divide) or *macro* (divide per label, then average) precision, recall, F1;
# * **ranking-based**: use the scores themselves, before any threshold.
#
# We compute each one by hand with plain Python sets on 4 examples and 5 labels, then
# check `msdn_numpy.metrics` gives the same numbers.

# %%
import common
import matplotlib.pyplot as plt
import numpy as np

from msdn_numpy import metrics
from msdn_numpy.tools import plots

args = common.setup(__doc__)
labels = ["rock", "jazz", "calm", "happy", "sad"]
Y_true = np.array(
    [[1, 0, 1, 0, 0], [0, 1, 1, 1, 0], [1, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
)  # fmt: skip  (example 3 has no label at all)
scores = np.array([[0.9, 0.2, 0.6, 0.4, 0.1],
                   [0.45, 0.8, 0.4, 0.7, 0.2],
                   [0.6, 0.1, 0.3, 0.2, 0.5],
                   [0.2, 0.3, 0.1, 0.6, 0.4]])  # fmt: skip
Y_pred = (scores >= 0.5).astype(int)
N, L = Y_true.shape
true_sets = [{j for j in range(L) if Y_true[i, j]} for i in range(N)]
pred_sets = [{j for j in range(L) if Y_pred[i, j]} for i in range(N)]
for i in range(N):
    print(f"example {i}: true {sorted(labels[j] for j in true_sets[i])!s:<26} "
          f"predicted (score >= 0.5) {sorted(labels[j] for j in pred_sets[i])}")  # fmt: skip

# %% [markdown]
# The figure shows every decision: green = true positive, red = false positive,
# orange = false negative (missed), white = true negative; the number is the score.

# %%
kind = 2 * Y_true + Y_pred  # 0 TN, 1 FP, 2 FN, 3 TP
colors = np.array([[1, 1, 1], [0.9, 0.35, 0.3], [1.0, 0.7, 0.2], [0.3, 0.75, 0.35]])
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.imshow(colors[kind], aspect="auto")
for (i, j), s in np.ndenumerate(scores):
    ax.text(j, i, f"{s:.2f}", ha="center", va="center", fontsize=12)
ax.set_xticks(range(L), labels)
ax.set_yticks(range(N), [f"example {i}" for i in range(N)])
ax.set_xticks(np.arange(-0.5, L), minor=True)
ax.set_yticks(np.arange(-0.5, N), minor=True)
ax.grid(which="minor", color="k", lw=0.8)
ax.tick_params(which="minor", length=0)
handles = [plt.Rectangle((0, 0), 1, 1, color=colors[k], ec="k") for k in (3, 1, 2, 0)]
ax.legend(handles, ["true positive", "false positive", "false negative", "true negative"],
          loc="upper left", bbox_to_anchor=(1.01, 1))  # fmt: skip
ax.set_title("The tiny example: scores, and decisions at threshold 0.5")
ax.set_xlabel("label")
plots.save(fig, args.figures, "02_tiny_example.png")

# %% [markdown]
# ## Example-based metrics, by hand
#
# The convention for a ratio `0/0` is **0**, the value scikit-learn returns by default,
# with one exception: an example with no true and no predicted label is exactly right,
# and its Jaccard, precision, recall and F1 are **1** (`empty_score=1`, the default of
# `msdn_numpy.metrics`, as in RethinkNet's code; `empty_score=0` gives scikit-learn's
# default). Example 3 has no true label and predicts `happy`: its precision, recall, F1
# and Jaccard are 0. Had it predicted nothing, all four would be 1, and so would its
# subset accuracy.


# %%
def ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def example_ratio(a: float, b: float, i: int) -> float:
    """``ratio``, except that an example with no true and no predicted label scores 1."""
    return 1.0 if not true_sets[i] and not pred_sets[i] else ratio(a, b)


by_hand = {
    "hamming_loss": sum(len(true_sets[i] ^ pred_sets[i]) for i in range(N)) / (N * L),
    "subset_accuracy": sum(true_sets[i] == pred_sets[i] for i in range(N)) / N,
    "jaccard": sum(example_ratio(len(true_sets[i] & pred_sets[i]), len(true_sets[i] | pred_sets[i]), i)
                   for i in range(N)) / N,
    "example_precision": sum(example_ratio(len(true_sets[i] & pred_sets[i]), len(pred_sets[i]), i)
                             for i in range(N)) / N,
    "example_recall": sum(example_ratio(len(true_sets[i] & pred_sets[i]), len(true_sets[i]), i)
                          for i in range(N)) / N,
    "example_f1": sum(
        example_ratio(2 * len(true_sets[i] & pred_sets[i]), len(true_sets[i]) + len(pred_sets[i]), i)
        for i in range(N)
    ) / N,
}  # fmt: skip

# %% [markdown]
# ## Label-based metrics, by hand
#
# Per label `j`: `TP_j`, `FP_j`, `FN_j`. *Micro* pools the counts of all labels (frequent
# labels weigh more); *macro* averages the per-label scores (every label weighs the same,
# so rare labels matter as much as frequent ones).

# %%
TP = [sum(Y_true[i, j] and Y_pred[i, j] for i in range(N)) for j in range(L)]
FP = [sum((not Y_true[i, j]) and Y_pred[i, j] for i in range(N)) for j in range(L)]
FN = [sum(Y_true[i, j] and not Y_pred[i, j] for i in range(N)) for j in range(L)]
for j in range(L):
    print(f"{labels[j]:>6s}: TP {TP[j]}  FP {FP[j]}  FN {FN[j]}")
tp, fp, fn = sum(TP), sum(FP), sum(FN)
by_hand.update({
    "micro_precision": ratio(tp, tp + fp),
    "micro_recall": ratio(tp, tp + fn),
    "micro_f1": ratio(2 * tp, 2 * tp + fp + fn),
    "macro_precision": sum(ratio(TP[j], TP[j] + FP[j]) for j in range(L)) / L,
    "macro_recall": sum(ratio(TP[j], TP[j] + FN[j]) for j in range(L)) / L,
    "macro_f1": sum(ratio(2 * TP[j], 2 * TP[j] + FP[j] + FN[j]) for j in range(L)) / L,
})  # fmt: skip

# %% [markdown]
# ## Ranking metrics, by hand
#
# Rank the labels of each example by score, best first (`rank = 1` is the top). Ties
# would count against the relevant label; there are none here.
#
# * **ranking loss**: fraction of (relevant, irrelevant) pairs ranked the wrong way;
# * **one-error**: is the top-ranked label irrelevant?
# * **coverage**: how far down the ranking to go to cover all relevant labels, minus one
#   (MULAN's convention; scikit-learn's `coverage_error` is one more);
# * **average precision**: for each relevant label, the fraction of labels ranked at or
#   above it that are relevant, averaged.
#
# Example 3 has no relevant label: it has no pairs (ranking loss 0), its top label is
# necessarily wrong (one-error 1), there is nothing to cover (coverage 0), and its
# average precision is 1 by scikit-learn's convention. The docstrings of
# `msdn_numpy.metrics` state each convention.

# %%
rl, oe, cov, ap = [], [], [], []
for i in range(N):
    rank = {j: 1 + sum(scores[i, k] > scores[i, j] for k in range(L)) for j in range(L)}
    rel, irr = true_sets[i], set(range(L)) - true_sets[i]
    pairs = [(j, k) for j in rel for k in irr]
    rl.append(ratio(sum(scores[i, k] >= scores[i, j] for j, k in pairs), len(pairs)))
    top = max(range(L), key=lambda j: scores[i, j])
    oe.append(float(top not in rel))
    cov.append(max((rank[j] for j in rel), default=1) - 1)
    if rel and irr:
        ap.append(sum(sum(rank[k] <= rank[j] for k in rel) / rank[j] for j in rel) / len(rel))
    else:
        ap.append(1.0)
    print(f"example {i}: ranking {[labels[j] for j in sorted(range(L), key=rank.get)]}, "
          f"wrong pairs {rl[-1] * len(pairs):.0f}/{len(pairs)}, top '{labels[top]}', coverage {cov[-1]}")  # fmt: skip
by_hand.update({"ranking_loss": np.mean(rl), "one_error": np.mean(oe), "coverage": np.mean(cov),
                "average_precision": np.mean(ap)})  # fmt: skip

# %% [markdown]
# ## The same through `msdn_numpy.metrics`
#
# Each metric is also a function of its own (`metrics.hamming_loss(Y_true, Y_pred)`,
# `metrics.ranking_loss(Y_true, scores)`, ...); `metrics.evaluate` computes them all
# from the scores and a threshold, as the trainer does.

# %%
package = metrics.evaluate(Y_true, scores, threshold=0.5)
print(f"\n{'metric':<18s} {'by hand':>8s} {'package':>8s}")
for name in metrics.METRIC_NAMES:
    arrow = "(lower is better)" if name in metrics.LOWER_IS_BETTER else ""
    print(f"{name:<18s} {by_hand[name]:8.4f} {package[name]:8.4f}  {arrow}")
    assert np.isclose(by_hand[name], package[name]), name
assert np.isclose(metrics.example_f1(Y_true, Y_pred), by_hand["example_f1"])
assert np.isclose(metrics.coverage(Y_true, scores), by_hand["coverage"])
print("\nall 16 metrics agree with the package.")

# %% [markdown]
# ## Why the threshold matters
#
# Every set-based metric depends on the threshold; the ranking metrics do not. Lowering
# the threshold trades precision for recall. Tutorial 5 chooses it on a validation split.

# %%
for t in (0.3, 0.5, 0.7):
    m = metrics.evaluate(Y_true, scores, threshold=t)
    print(f"threshold {t}: example-F1 {m['example_f1']:.3f}  micro-P {m['micro_precision']:.3f}  "
          f"micro-R {m['micro_recall']:.3f}  ranking loss {m['ranking_loss']:.3f}")  # fmt: skip

# %% [markdown]
# At 0.7 example 3 (no true label) predicts nothing, which is right: its example-F1 is 1,
# and the mean example-F1 is 0.617. With scikit-learn's default (`empty_score=0`) it
# would be 0.367, lower than at 0.5, although the prediction improved. <!-- smoke -->

# %%
m0 = metrics.evaluate(Y_true, scores, threshold=0.7, empty_score=0)
print(f"threshold 0.7, empty_score=0 (scikit-learn's default): example-F1 {m0['example_f1']:.3f}")
