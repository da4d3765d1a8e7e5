"""A small synthetic multi-label dataset with known label dependencies at three scales.

MSDN slides 1-D convolutions along the label axis: a kernel of size k relates each
label to its neighbours in the label order, with weights that are *shared* by every
position. On top of the per-label embeddings, that is a second nonlinear layer which
every label uses. A binary-relevance MLP (BRMLP) has one hidden layer and a separate
linear read-out per label. This module builds data where MSDN's extra, shared, local
layer is exactly what is needed:

* **Drivers** (7 labels) are "is a hidden score above its threshold?": easy for any
  model (a linear threshold of 3 features).
* **Disagreement labels** (5 labels) say that two drivers near them in the label order
  *disagree*: ``y_j = y_a XOR y_b``. XOR is not linearly separable in its parents,
  so BRMLP must build its own hidden units for each of the 5 labels from the training
  rows alone; MSDN's convolution can learn "my two neighbours at distance s disagree"
  once and reuse it at every position.

The generating process for one row (all constants below are fixed; only the random
draws depend on the seed):

1. ``x ~ N(0, I_20)``, rounded to 4 decimals (the precision written to the file).
2. Seven driver scores ``s_k = (x[2k] + x[2k+1] + x[2k+2]) / sqrt(3)``, k = 0..6
   (neighbouring drivers share one feature; features 15..19 feed no label).
3. If any ``|s_k - 0.7| < MARGIN`` (0.3) the row is discarded and a new one drawn, so
   every label is decided with a clear margin (a clean, noise-free rule).
4. Driver label: ``y = 1[s_k > THRESHOLD]`` (THRESHOLD = 0.7).
5. Disagreement label: the XOR of its two parent drivers, which sit at the same
   distance s (1 or 2) on either side of it in the file order. Optionally each one
   is then flipped with probability ``flip_rate`` (0 for the bundled files).

The file order IS the dependency order: every rule only reads labels 1 or 2 positions
away. :data:`RULES` lists every label's rule as data (``(label_index, rule_name,
parents)``; a driver's parents are feature indices, a rule's parents label indices):

====  ========  ===========  ==========  ==================================
 j    rule      parents      distance    MSDN kernel that sees both parents
====  ========  ===========  ==========  ==================================
 0    driver    x0, x1, x2   0           kernel 1
 1    driver    x2, x3, x4   0           kernel 1
 2    xor       y00, y04     2           kernel 5
 3    xor       y01, y05     2           kernel 5
 4    driver    x4, x5, x6   0           kernel 1
 5    driver    x6, x7, x8   0           kernel 1
 6    xor       y05, y07     1           kernel 3
 7    driver    x8, x9, x10  0           kernel 1
 8    xor       y07, y09     1           kernel 3
 9    driver    x10..x12     0           kernel 1
 10   xor       y09, y11     1           kernel 3
 11   driver    x12..x14     0           kernel 1
====  ========  ===========  ==========  ==================================

So each of MSDN's default kernel sizes (1, 3, 5) has a scale to cover (though a
label's own embedding can also carry its parents' evidence: see data/README.md for
the kernel ablation). data/README.md gives what the models reach on it, and the command.

Run ``python -m msdn_numpy.dataio.synthetic`` to regenerate ``data/synthetic-train.arff``,
``data/synthetic-test.arff`` and ``data/synthetic.xml`` byte for byte.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from msdn_numpy.dataio.benchmarks import DATA_DIR
from msdn_numpy.dataio.datasets import Dataset

#: D, the number of features.
N_FEATURES = 20
#: Every driver's threshold on its score (a score is N(0, 1) before the margin).
THRESHOLD = 0.7
#: Rows where some driver score is closer than this to THRESHOLD are redrawn.
MARGIN = 0.3
#: Probability that a rule label is flipped after its rule (0: the rules hold exactly).
FLIP_RATE = 0.0
#: Rows drawn at a time by the rejection step; fixed, so that the first n rows of
#: ``generate(m, seed)`` are ``generate(n, seed)`` for any m >= n.
BATCH = 1000
#: Rows in the bundled files (the first N_TRAIN generated rows are train, the rest test).
N_TRAIN, N_TEST = 1000, 500

#: Every label's rule, in file order: (label index j, rule name, parents).
#: Drivers' parents are feature indices; every other rule's parents are label indices
#: (drivers) at the same distance 1 or 2 on either side of j.
RULES: list[tuple[int, str, tuple[int, ...]]] = [
    (0, "driver", (0, 1, 2)),
    (1, "driver", (2, 3, 4)),
    (2, "xor", (0, 4)),
    (3, "xor", (1, 5)),
    (4, "driver", (4, 5, 6)),
    (5, "driver", (6, 7, 8)),
    (6, "xor", (5, 7)),
    (7, "driver", (8, 9, 10)),
    (8, "xor", (7, 9)),
    (9, "driver", (10, 11, 12)),
    (10, "xor", (9, 11)),
    (11, "driver", (12, 13, 14)),
]

_W = 1.0 / np.sqrt(3.0)
#: Drivers: label index -> (weights on its 3 features, threshold). Unit-norm weights,
#: so a driver's score is N(0, 1) before the margin step.
DRIVERS: dict[int, tuple[tuple[float, float, float], float]] = {
    j: ((_W, _W, _W), THRESHOLD) for j, rule, _ in RULES if rule == "driver"
}

#: The logical rules, on 0/1 parent columns of shape (N,) (only "xor" is used by RULES).
RULE_FUNCTIONS = {
    "and": lambda p: np.logical_and.reduce(p),
    "or": lambda p: np.logical_or.reduce(p),
    "xor": lambda p: np.logical_xor.reduce(p),
    "majority": lambda p: np.sum(p, axis=0) * 2 > len(p),
}


def label_names() -> list[str]:
    """Label names ``y00 .. y11``, in file (label-axis) order."""
    return [f"y{j:02d}" for j, _, _ in RULES]


def feature_names() -> list[str]:
    """Feature names ``x00 .. x19``."""
    return [f"x{i:02d}" for i in range(N_FEATURES)]


def apply_rule(rule: str, parents: np.ndarray) -> np.ndarray:
    """Evaluate a logical rule.

    Parameters
    ----------
    rule : {"and", "or", "xor", "majority"}
    parents : np.ndarray, shape (P, N)
        The parent labels' 0/1 columns.

    Returns
    -------
    np.ndarray of uint8, shape (N,)
    """
    if rule not in RULE_FUNCTIONS:
        raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(RULE_FUNCTIONS)}")
    return RULE_FUNCTIONS[rule](np.asarray(parents, dtype=bool)).astype(np.uint8)


def driver_scores(X: np.ndarray) -> np.ndarray:
    """Every driver's score ``w . x[features]``, shape ``(N, number of drivers)``, in file order."""
    X = np.asarray(X, dtype=np.float64)
    return np.stack([X[:, list(p)] @ np.array(DRIVERS[j][0]) for j, rule, p in RULES if rule == "driver"], axis=1)


def generate(n_samples: int, seed: int = 0, flip_rate: float = FLIP_RATE, margin: float = MARGIN) -> Dataset:
    """Draw ``n_samples`` examples of the synthetic dataset.

    Parameters
    ----------
    n_samples : int
        N.
    seed : int
        Seed of the ``np.random.Generator``; the same seed gives the same data.
    flip_rate : float
        Probability that each rule (xor) label is flipped after its rule (default 0:
        the rules hold exactly).
    margin : float
        Rows with a driver score closer than ``margin`` to its threshold are redrawn
        (0 keeps every row: plain Gaussian features).

    Returns
    -------
    Dataset
        ``X`` (N, 20), standard normal rounded to 4 decimals, conditioned on the
        margin; ``Y`` (N, 12) built by :data:`RULES`.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples={n_samples} must be at least 1")
    if not 0.0 <= flip_rate < 0.5:
        raise ValueError(f"flip_rate={flip_rate} must be in [0, 0.5)")
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin={margin} must be in [0, 1)")
    rng = np.random.default_rng(seed)
    thresholds = np.array([DRIVERS[j][1] for j, rule, _ in RULES if rule == "driver"])
    parts, have = [], 0
    while have < n_samples:  # rejection step, BATCH rows at a time
        X = np.round(rng.standard_normal((BATCH, N_FEATURES)), 4)
        keep = np.all(np.abs(driver_scores(X) - thresholds) >= margin, axis=1)
        parts.append(X[keep])
        have += int(keep.sum())
    X = np.concatenate(parts)[:n_samples]
    scores = driver_scores(X)
    Y = np.zeros((n_samples, len(RULES)), dtype=np.uint8)
    k = 0
    for j, rule, _ in RULES:  # drivers first: every rule reads drivers only
        if rule == "driver":
            Y[:, j] = scores[:, k] > thresholds[k]
            k += 1
    flips = rng.random((n_samples, len(RULES))) < flip_rate  # drawn even when 0: same X for any rate
    for j, rule, parents in RULES:
        if rule != "driver":
            Y[:, j] = apply_rule(rule, Y[:, list(parents)].T) ^ flips[:, j]
    return Dataset(X, Y, feature_names(), label_names(), "synthetic")


# --------------------------------------------------------------------------------------
# synthetic-scales: relations at distances 1, 2 and 4, and few training rows
# --------------------------------------------------------------------------------------
#: synthetic-scales: rows in the bundled files (few train rows, so that a model has to
#: share what it learns across labels; many test rows, so that accuracy is measured well).
SCALES_N_TRAIN, SCALES_N_TEST = 400, 1000
#: synthetic-scales: a driver's feature is drawn as ``±(SCALES_MARGIN + |z|)``, z ~ N(0, 1).
SCALES_MARGIN = 0.5
#: synthetic-scales: the rule labels, label index -> its two parent drivers, at distance s on
#: either side: s = 1 (labels 1, 3, 5, 7), s = 2 (11, 12, 15, 16) and s = 4 (23). Every
#: other label of the 28 is a driver.
SCALES_XOR: dict[int, tuple[int, int]] = {
    1: (0, 2), 3: (2, 4), 5: (4, 6), 7: (6, 8),
    11: (9, 13), 12: (10, 14), 15: (13, 17), 16: (14, 18),
    23: (19, 27),
}  # fmt: skip
SCALES_LABELS = 28
#: synthetic-scales: every label's rule, in file order, as in :data:`RULES`: a driver's
#: parent is its one feature (drivers take features 0..18 in order), a rule's parents are
#: label indices.
SCALES_RULES: list[tuple[int, str, tuple[int, ...]]] = []
for _j in range(SCALES_LABELS):
    if _j in SCALES_XOR:
        SCALES_RULES.append((_j, "xor", SCALES_XOR[_j]))
    else:
        SCALES_RULES.append((_j, "driver", (sum(1 for _, r, _ in SCALES_RULES if r == "driver"),)))
del _j
#: synthetic-scales: features, one per driver (19), then 9 features that feed no label.
SCALES_FEATURES = 28


def scales_distance(j: int) -> int:
    """The distance s of label j's rule in synthetic-scales (0 for a driver)."""
    _, rule, parents = SCALES_RULES[j]
    return 0 if rule == "driver" else (parents[1] - parents[0]) // 2


def generate_scales(n_samples: int, seed: int = 0) -> Dataset:
    """Draw ``n_samples`` rows of synthetic-scales (see data/README.md for the table).

    1. ``x ~ N(0, I_28)``; each of the 19 driver features is then moved away from 0,
       ``x_f = sign(z) (SCALES_MARGIN + |z|)``; features 19..27 feed no label. Rounded
       to 4 decimals.
    2. Driver label: ``y = 1[x_f > 0]`` (one feature each: easy for every model).
    3. Rule label: the XOR of its two parent drivers, at the same distance s in {1, 2, 4}
       on either side of it in the file order. XOR has no linear signal in any feature,
       so a model that learns it from x must find the pair among 28 features from 400
       rows; through the parents' own scores it is a 2-input XOR.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples={n_samples} must be at least 1")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, SCALES_FEATURES))
    drivers = [(j, p[0]) for j, rule, p in SCALES_RULES if rule == "driver"]
    cols = [f for _, f in drivers]
    X[:, cols] = np.sign(X[:, cols]) * (SCALES_MARGIN + np.abs(X[:, cols]))
    X = np.round(X, 4)
    Y = np.zeros((n_samples, len(SCALES_RULES)), dtype=np.uint8)
    for j, f in drivers:
        Y[:, j] = X[:, f] > 0
    for j, rule, parents in SCALES_RULES:
        if rule != "driver":
            Y[:, j] = apply_rule(rule, Y[:, list(parents)].T)
    names = [f"y{j:02d}" for j in range(len(SCALES_RULES))]
    return Dataset(X, Y, [f"x{i:02d}" for i in range(SCALES_FEATURES)], names, "synthetic-scales")


def write_scales_files(out: str | Path = DATA_DIR, seed: int = 0) -> list[Path]:
    """Write ``synthetic-scales-train.arff``, ``-test.arff`` and ``synthetic-scales.xml``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ds = generate_scales(SCALES_N_TRAIN + SCALES_N_TEST, seed)
    comments = [
        "Synthetic multi-label data of msdn_numpy with label rules at distances 1, 2 and 4: see data/README.md.",
        f"Regenerate: python -m msdn_numpy.dataio.synthetic --seed {seed}",
        f"Labels y00..y{ds.n_labels - 1:02d} are the last {ds.n_labels} attributes.",
    ]
    parts = {"train": np.arange(SCALES_N_TRAIN), "test": np.arange(SCALES_N_TRAIN, SCALES_N_TRAIN + SCALES_N_TEST)}
    paths = []
    for part, rows in parts.items():
        subset = Dataset(ds.X[rows], ds.Y[rows], ds.feature_names, ds.label_names, ds.name)
        paths.append(out / f"synthetic-scales-{part}.arff")
        write_arff(subset, paths[-1], f"synthetic-scales-{part}", comments)
    paths.append(out / "synthetic-scales.xml")
    write_xml(ds.label_names, paths[-1])
    return paths


def _format_number(value: float) -> str:
    """Fixed 4-decimal text, with '-0.0000' written as '0.0000'."""
    text = f"{value:.4f}"
    return "0.0000" if text == "-0.0000" else text


def arff_text(ds: Dataset, relation: str, comments: list[str] | None = None) -> str:
    """The dense ARFF text of a Dataset: features (numeric) then labels (``{0,1}``).

    The relation gets a MEKA ``-C -L`` option (labels are the last L attributes), which
    agrees with the XML written by :func:`xml_text`.
    """
    lines = [f"% {c}" for c in comments or []]
    lines.append(f"@relation '{relation}: -C -{ds.n_labels}'")
    lines.append("")
    lines += [f"@attribute {name} numeric" for name in ds.feature_names]
    lines += [f"@attribute {name} {{0,1}}" for name in ds.label_names]
    lines += ["", "@data"]
    for x, y in zip(ds.X, ds.Y):
        lines.append(",".join([_format_number(v) for v in x] + [str(int(v)) for v in y]))
    return "\n".join(lines) + "\n"


def xml_text(label_names: list[str]) -> str:
    """A MULAN label file listing ``label_names`` in order."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<labels xmlns="http://mulan.sourceforge.net/labels">']
    lines += [f"<label name={quoteattr(name)}></label>" for name in label_names]
    lines.append("</labels>")
    return "\n".join(lines) + "\n"


def write_arff(ds: Dataset, path: str | Path, relation: str, comments: list[str] | None = None) -> None:
    """Write ``ds`` as a dense ARFF file (``\\n`` line endings, 4-decimal features)."""
    Path(path).write_text(arff_text(ds, relation, comments), encoding="utf-8", newline="\n")


def write_xml(label_names: list[str], path: str | Path) -> None:
    """Write a MULAN XML label file."""
    Path(path).write_text(xml_text(label_names), encoding="utf-8", newline="\n")


def write_files(out: str | Path = DATA_DIR, seed: int = 0) -> list[Path]:
    """Generate N_TRAIN + N_TEST rows and write the three files into ``out``.

    The first N_TRAIN rows of ``generate(N_TRAIN + N_TEST, seed)`` are the train set,
    the rest the test set. Returns the paths written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ds = generate(N_TRAIN + N_TEST, seed)
    comments = [
        "Synthetic multi-label data of msdn_numpy, with known label rules: see data/README.md.",
        f"Regenerate: python -m msdn_numpy.dataio.synthetic --seed {seed}",
        "Labels y00..y11 are the last 12 attributes; each rule reads labels 1 or 2 positions away.",
    ]
    parts = {"train": np.arange(N_TRAIN), "test": np.arange(N_TRAIN, N_TRAIN + N_TEST)}
    paths = []
    for part, rows in parts.items():
        subset = Dataset(ds.X[rows], ds.Y[rows], ds.feature_names, ds.label_names, ds.name)
        paths.append(out / f"synthetic-{part}.arff")
        write_arff(subset, paths[-1], f"synthetic-{part}", comments)
    paths.append(out / "synthetic.xml")
    write_xml(ds.label_names, paths[-1])
    return paths


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m msdn_numpy.dataio.synthetic [--out DIR] [--seed S]``."""
    parser = argparse.ArgumentParser(description="Regenerate the bundled synthetic dataset.")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help=f"output folder (default: {DATA_DIR})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0, the bundled files)")
    args = parser.parse_args(argv)
    for path in write_files(args.out, args.seed) + write_scales_files(args.out, args.seed):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
