"""Tutorial 6 — ablations: which kernel sizes, which label order, and does the relation block help?

Run:  python tutorials/06_ablations.py [--data-dir DIR] [--figures DIR] [--smoke]
"""

# %% [markdown]
# # 6. Multi-scale and label-order ablations
#
# The paper's claim has two parts: relations between labels help, and learning them at
# *several scales* helps more. We test both by taking pieces away:
#
# * **kernel sizes**: one scale at a time (`(1,)`, `(3,)`, `(5,)`) vs several
#   (`(1, 3, 5)`, the default, and `(2, 3, 4)`); and BRMLP, which is MSDN with no relation
#   block at all. With `(1,)` the convolution sees each label alone: the relation block
#   can still transform each embedding, but cannot mix labels.
# * **label order**: the paper does not specify the order of the labels along the
#   convolution axis; we compare `given` (file order), `frequency`, `cooccurrence`
#   (spectral seriation, tutorial 1; the package default, because it puts labels that
#   co-occur within reach of small kernels) and `random` (a different shuffle per
#   seed), plus circular padding (the label axis as a ring).
#
# Everything else is the package default. Each configuration is trained with several
# seeds (seed = initialisation, validation split and minibatch order); we report the
# mean and the spread on the test split. With a few hundred test examples, differences
# of 0.01 are within the noise: look at the spread before believing a ranking.

# %%
import common
import matplotlib.pyplot as plt
import numpy as np

from msdn_numpy import plots
from msdn_numpy.cli import run_one
from msdn_numpy.label_orders import LABEL_ORDERS, label_order
from msdn_numpy.models import DEFAULT_LABEL_ORDER

args = common.setup(__doc__)
train, test = common.load("emotions", args)
SEEDS = common.seeds(args, 3)
print(f"dataset {train.name}: L={train.n_labels} labels; seeds {SEEDS}")

kernel_study = {
    "BRMLP (no relation block)": ("br", {}),
    "K = (1,)": ("msdn", {"kernel_sizes": (1,)}),
    "K = (3,)": ("msdn", {"kernel_sizes": (3,)}),
    "K = (5,)": ("msdn", {"kernel_sizes": (5,)}),
    "K = (2, 3, 4)": ("msdn", {"kernel_sizes": (2, 3, 4)}),
    "K = (1, 3, 5) default": ("msdn", {}),
}
# The package's default label order is DEFAULT_LABEL_ORDER; the kernel study above used it.
order_study = {
    (f"{method} (default)" if method == DEFAULT_LABEL_ORDER else method): ("msdn", {"label_order": method})
    for method in LABEL_ORDERS
}
order_study[f"{DEFAULT_LABEL_ORDER}, circular padding"] = ("msdn", {"padding_mode": "circular"})
METRICS = ("example_f1", "micro_f1", "macro_f1", "hamming_loss")


def study(configs: dict) -> dict[str, list[dict]]:
    """Train every configuration with every seed; return the test metrics per run."""
    out = {}
    for name, (kind, kwargs) in configs.items():
        out[name] = []
        for seed in SEEDS:
            _, record = run_one(train, test, kind, kwargs, common.config(args, seed=seed))
            out[name].append(record)
        m = {k: np.mean([r["metrics"][k] for r in out[name]]) for k in METRICS}
        s = np.std([r["metrics"]["example_f1"] for r in out[name]])
        print(f"  {name:<32s} {out[name][0]['params']:7,} params  example-F1 {m['example_f1']:.4f} ± {s:.4f}  "
              f"micro-F1 {m['micro_f1']:.4f}  macro-F1 {m['macro_f1']:.4f}  "
              f"Hamming {m['hamming_loss']:.4f}")  # fmt: skip
    return out


# %%
print(f"the package's default label order: '{DEFAULT_LABEL_ORDER}'")
for method in ("given", "frequency", "cooccurrence"):
    perm, _ = label_order(train.Y, method)
    print(f"order {method:>12s}: {[train.label_names[i] for i in perm]}")

# %%
print("kernel sizes:")
kernels = study(kernel_study)
print("label orders (K = (1, 3, 5)):")
# the default order with K = (1, 3, 5) is the default configuration, already trained above: reuse those runs
default = f"{DEFAULT_LABEL_ORDER} (default)"
orders = study({k: v for k, v in order_study.items() if k != default})
orders = {default: kernels["K = (1, 3, 5) default"], **orders}

# %% [markdown]
# ## The figure
#
# One row per configuration: each seed's test example-F1 (dots), their mean ± std
# (diamond), and the BRMLP mean as a reference line.

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 5.2), layout="constrained")
br_mean = np.mean([r["metrics"]["example_f1"] for r in kernels["BRMLP (no relation block)"]])
for ax, (title, results) in zip(axes, (("Kernel sizes (scales) of the relation block", kernels),
                                       ("Label order along the convolution axis, K = (1, 3, 5)", orders))):  # fmt: skip
    names = list(results)
    scores = [np.array([r["metrics"]["example_f1"] for r in results[n]]) for n in names]
    lo, hi = min(s.min() for s in scores), max(s.max() for s in scores)
    for i, (n, sc) in enumerate(zip(names, scores)):
        color = "tab:gray" if n.startswith("BRMLP") else "tab:blue"
        ax.plot(sc, np.full(len(sc), i), "o", color="k", markersize=4, alpha=0.6,
                label="one seed" if i == 0 else None)  # fmt: skip
        ax.errorbar([sc.mean()], [i], xerr=[sc.std()], fmt="D", color=color, markersize=9, capsize=5,
                    label="mean ± std" if i == 0 else None)  # fmt: skip
        ax.text(hi + 0.012, i, f"{sc.mean():.3f}", va="center", fontsize=10)
    ax.axvline(br_mean, color="tab:gray", ls="--", lw=1, label="BRMLP mean (no relations)")
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(min(lo, br_mean) - 0.01, hi + 0.03)
    ax.set_xlabel(f"test example-based F1 ({len(SEEDS)} seed(s))")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
left = min(ax.get_xlim()[0] for ax in axes)
right = max(ax.get_xlim()[1] for ax in axes)
for ax in axes:  # the same scale in both panels, so that spreads can be compared
    ax.set_xlim(left, right)
    for text in ax.texts:
        text.set_x(right - 0.018)
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower center", ncol=3)
fig.suptitle(f"MSDN ablations on {train.name} (package defaults otherwise)", fontsize=14)
plots.save(fig, args.figures, "06_ablations.png")

# %% [markdown]
# ## Reading the result
#
# The script prints which configurations are best, and whether the best beats BRMLP by
# more than the seed-to-seed spread. Run it on several datasets (`--data-dir`) before
# drawing conclusions: on small benchmarks the ranking of close configurations changes
# from seed to seed.

# %%
def summary(results: dict) -> tuple[str, float, float]:
    means = {n: np.mean([r["metrics"]["example_f1"] for r in rs]) for n, rs in results.items()}
    best = max(means, key=means.get)
    return best, means[best], np.std([r["metrics"]["example_f1"] for r in results[best]])


best, mean, std = summary({n: r for n, r in kernels.items() if not n.startswith("BRMLP")})
br = np.mean([r["metrics"]["example_f1"] for r in kernels["BRMLP (no relation block)"]])
print(f"best kernel set: {best} ({mean:.4f} ± {std:.4f}); BRMLP {br:.4f}; "
      f"difference {mean - br:+.4f} ({'larger' if mean - br > std else 'not larger'} than the best's seed spread)")
best, mean, std = summary(orders)
print(f"best label order: {best} ({mean:.4f} ± {std:.4f})")
