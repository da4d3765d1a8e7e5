"""A small synthetic multi-label dataset whose label dependencies are known, at three scales.

MSDN slides 1-D convolutions along the label axis, so a kernel of size k relates each
label to its neighbours in the label order. This module builds data where that is the
right idea: labels are generated *one after another in file order*, and every label
that is not a "driver" is a logical rule over labels 1, 2 or 4 positions before it.

The generating process for one example (all constants below are fixed; only the
random draws depend on the seed):

1. ``x ~ N(0, I_20)``, rounded to 4 decimals (the precision written to the file).
2. A *driver* label thresholds a noisy linear function of 3 features:
   ``y_j = 1[w . x[feats] + eps > t]`` with ``eps ~ N(0, DRIVER_NOISE^2)``.
   Features 15..19 feed no label (distractors).
3. A *rule* label applies its rule (and / or / xor / majority) to labels that are
   already final (its parents are earlier in the file), then is flipped with
   probability ``FLIP_RATE``: so each rule holds in about 98% of rows.

The file order IS the dependency order; :data:`RULES` lists every label's rule as data
(``(label_index, rule_name, parents)``) so tests and tutorials can check them:

====  ========  =========  ========================================
 j    rule      parents    distances
====  ========  =========  ========================================
 0    driver    x0..x2     -
 1    driver    x3..x5     -
 2    and       1, 0       1, 2
 3    driver    x6..x8     -
 4    xor       3, 0       1, 4
 5    and       4, 3       1, 2
 6    driver    x9..x11    -
 7    or        6, 5       1, 2
 8    xor       6, 4       2, 4
 9    driver    x12..x14   -
 10   majority  9, 8, 6    1, 2, 4   (at least 2 of the 3)
 11   and       10, 7      1, 4
====  ========  =========  ========================================

Kernels of size 3 and 5 ('same' padding) see the distance-1 and distance-2 parents;
distance 4 lies beyond a size-5 kernel's reach (it needs k >= 9 or a dilated kernel),
which a tutorial can use as an ablation.

Run ``python -m msdn_numpy.synthetic`` to regenerate ``data/synthetic-train.arff``,
``data/synthetic-test.arff`` and ``data/synthetic.xml`` byte for byte.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from msdn_numpy.datasets import DATA_DIR, Dataset

#: D, the number of features.
N_FEATURES = 20
#: Standard deviation of the hidden noise added to a driver's linear score.
DRIVER_NOISE = 0.1
#: Probability that a rule label is flipped after its rule is applied.
FLIP_RATE = 0.02
#: Rows in the bundled files (the first N_TRAIN generated rows are train, the rest test).
N_TRAIN, N_TEST = 1000, 500

#: Every label's rule, in file order: (label index j, rule name, parents).
#: Drivers' parents are feature indices; every other rule's parents are label indices < j.
RULES: list[tuple[int, str, tuple[int, ...]]] = [
    (0, "driver", (0, 1, 2)),
    (1, "driver", (3, 4, 5)),
    (2, "and", (1, 0)),
    (3, "driver", (6, 7, 8)),
    (4, "xor", (3, 0)),
    (5, "and", (4, 3)),
    (6, "driver", (9, 10, 11)),
    (7, "or", (6, 5)),
    (8, "xor", (6, 4)),
    (9, "driver", (12, 13, 14)),
    (10, "majority", (9, 8, 6)),
    (11, "and", (10, 7)),
]

#: Drivers: label index -> (weights on its 3 features, threshold t).
#: Weights have unit norm, so the score w . x is N(0, 1) before noise; t sets the
#: driver's frequency (t = 0.3 gives about 0.38, t = 0.5 about 0.31).
DRIVERS: dict[int, tuple[tuple[float, float, float], float]] = {
    0: ((0.6, -0.48, 0.64), 0.4),
    1: ((0.8, 0.36, -0.48), 0.3),
    3: ((-0.36, 0.48, 0.8), 0.4),
    6: ((0.48, 0.6, -0.64), 0.5),
    9: ((0.48, -0.8, 0.36), 0.5),
}

#: The logical rules, on 0/1 parent columns of shape (N,).
RULE_FUNCTIONS = {
    "and": lambda p: np.logical_and.reduce(p),
    "or": lambda p: np.logical_or.reduce(p),
    "xor": lambda p: np.logical_xor.reduce(p),
    "majority": lambda p: np.sum(p, axis=0) * 2 > len(p),
}


def label_names() -> list[str]:
    """Label names ``y00 .. y11``, in file (dependency) order."""
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


def generate(n_samples: int, seed: int = 0, flip_rate: float = FLIP_RATE) -> Dataset:
    """Draw ``n_samples`` examples of the synthetic dataset.

    Parameters
    ----------
    n_samples : int
        N.
    seed : int
        Seed of the ``np.random.Generator``; the same seed gives the same data.
    flip_rate : float
        Probability that each rule label is flipped after its rule (0 gives rules
        that hold exactly).

    Returns
    -------
    Dataset
        ``X`` (N, 20) standard normal, rounded to 4 decimals; ``Y`` (N, 12) built by
        :data:`RULES` in file order.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples={n_samples} must be at least 1")
    if not 0.0 <= flip_rate < 0.5:
        raise ValueError(f"flip_rate={flip_rate} must be in [0, 0.5)")
    rng = np.random.default_rng(seed)
    X = np.round(rng.standard_normal((n_samples, N_FEATURES)), 4)
    Y = np.zeros((n_samples, len(RULES)), dtype=np.uint8)
    for j, rule, parents in RULES:  # in file order, so parents are already final
        if rule == "driver":
            weights, threshold = DRIVERS[j]
            score = X[:, list(parents)] @ np.array(weights)
            Y[:, j] = score + DRIVER_NOISE * rng.standard_normal(n_samples) > threshold
        else:
            flip = rng.random(n_samples) < flip_rate
            Y[:, j] = apply_rule(rule, Y[:, list(parents)].T) ^ flip
    return Dataset(X, Y, feature_names(), label_names(), "synthetic")


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
        f"Regenerate: python -m msdn_numpy.synthetic --seed {seed}",
        "Labels y00..y11 are the last 12 attributes, in dependency order.",
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
    """Command line: ``python -m msdn_numpy.synthetic [--out DIR] [--seed S]``."""
    parser = argparse.ArgumentParser(description="Regenerate the bundled synthetic dataset.")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help=f"output folder (default: {DATA_DIR})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0, the bundled files)")
    args = parser.parse_args(argv)
    for path in write_files(args.out, args.seed):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
