"""Tutorial 7 — the paper's trade-off: accuracy vs parameter count for MSDN, RethinkRNN and BRMLP.

Run:  python tutorials/07_tradeoff.py [--data-dir DIR] [--figures DIR] [--smoke]
"""

# %% [markdown]
# # 7. Accuracy vs parameters
#
# The paper's central claim: MSDN is at least as accurate as RNN-based multi-label
# models with *far fewer* parameters. We train the three models of the project with the
# same recipe (package defaults, plain BCE for all, global threshold tuned on
# validation) over several seeds and put test accuracy against parameter count.
#
# * **MSDN**: our reconstruction, package defaults;
# * **MSDN, small**: `embed_dim=4, channels=8`, to see how far down the size can go;
# * **RethinkRNN**: the RethinkNet-style LSTM baseline (input repeated for 3 steps,
#   Dense(128) -> LSTM(128) -> Dense(L)); RethinkNet's cost-sensitive loss is replaced
#   by BCE, so this is the *architecture* comparison, not a reproduction of its numbers;
# * **BRMLP**: MSDN without the relation block (no label relations).
#
# We are not reproducing the paper's table: we do not have it (only its abstract), and
# our architecture is a reconstruction. What we can check is whether the *shape* of the
# claim holds here.

# %%
import time

import common
import matplotlib.pyplot as plt
import numpy as np

from msdn_numpy import plots
from msdn_numpy.cli import run_one

args = common.setup(__doc__)
train, test = common.load("emotions", args)
SEEDS = common.seeds(args, 3)
models = {
    "MSDN": ("msdn", {}),
    "MSDN, small": ("msdn", {"embed_dim": 4, "channels": 8}),
    "RethinkRNN": ("rnn", {}),
    "BRMLP": ("br", {}),
}
print(f"dataset {train.name}: {train.n_samples} train / {test.n_samples} test; seeds {SEEDS}")

# %%
records: dict[str, list[dict]] = {}
for name, (kind, kwargs) in models.items():
    start = time.perf_counter()
    records[name] = [run_one(train, test, kind, kwargs, common.config(args, seed=s))[1] for s in SEEDS]
    print(f"  {name:<12s} trained {len(SEEDS)} seed(s) in {time.perf_counter() - start:5.1f}s")

# %% [markdown]
# ## The table

# %%
COLUMNS = ("example_f1", "micro_f1", "macro_f1", "hamming_loss", "ranking_loss")
print(f"\n| model | parameters | {' | '.join(COLUMNS)} | seconds per run |")
print("|---|---:|" + "---:|" * (len(COLUMNS) + 1))
for name, rs in records.items():
    cells = []
    for m in COLUMNS:
        v = np.array([r["metrics"][m] for r in rs])
        cells.append(f"{v.mean():.4f} ± {v.std():.4f}")
    secs = np.mean([r["seconds"] for r in rs])
    print(f"| {name} | {rs[0]['params']:,} | " + " | ".join(cells) + f" | {secs:.1f} |")
print(f"\n(mean ± std over {len(SEEDS)} seed(s); hamming_loss and ranking_loss: lower is better)")
ratio = records["RethinkRNN"][0]["params"] / records["MSDN"][0]["params"]
print(f"RethinkRNN has {ratio:.1f}x the parameters of MSDN.")

# %% [markdown]
# ## The figure
#
# Left: example-based F1 (higher is better); right: Hamming loss (lower is better). The
# x axis is logarithmic. Each large marker is the mean over seeds with its standard
# deviation; small dots are single seeds.

# %%
params = {n: [r["params"] for r in rs] for n, rs in records.items()}
fig, axes = plt.subplots(1, 2, figsize=(15, 5.8), layout="constrained")
plots.tradeoff(params, {n: [r["metrics"]["example_f1"] for r in rs] for n, rs in records.items()}, ax=axes[0],
               metric="test example-based F1 (higher is better)", title="Example-F1 vs parameters")  # fmt: skip
plots.tradeoff(params, {n: [r["metrics"]["hamming_loss"] for r in rs] for n, rs in records.items()}, ax=axes[1],
               metric="test Hamming loss (lower is better)", title="Hamming loss vs parameters")  # fmt: skip
fig.suptitle(f"The paper's trade-off on {train.name}: accuracy vs model size ({len(SEEDS)} seed(s) each)", fontsize=14)
plots.save(fig, args.figures, "07_tradeoff.png")

# %% [markdown]
# ## What the numbers say
#
# The script states the comparison it measured, with the seed spread, rather than the
# one the paper reports.

# %%
f1 = {n: np.array([r["metrics"]["example_f1"] for r in rs]) for n, rs in records.items()}
diff = f1["MSDN"].mean() - f1["RethinkRNN"].mean()
spread = max(f1["MSDN"].std(), f1["RethinkRNN"].std())
verdict = "better than" if diff > spread else "worse than" if diff < -spread else "within the seed spread of"
print(f"MSDN example-F1 {f1['MSDN'].mean():.4f} vs RethinkRNN {f1['RethinkRNN'].mean():.4f}: "
      f"MSDN is {verdict} the RNN (difference {diff:+.4f}, spread {spread:.4f}) with {ratio:.0f}x fewer parameters.")
