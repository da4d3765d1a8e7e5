"""The multi-label dataset container, and a printable summary of one.

A multi-label dataset is a feature matrix ``X`` of shape ``(N, D)`` and a binary label
matrix ``Y`` of shape ``(N, L)``: ``Y[n, j] = 1`` when example ``n`` carries label ``j``.

Where datasets come from and what is done to them lives in modules of their own:

* :mod:`msdn_numpy.dataio.arff_io`        reading ARFF files (MULAN XML / MEKA ``-C n`` labels);
* :mod:`msdn_numpy.dataio.benchmarks`     the benchmark registry: data folders, checksums, splits;
* :mod:`msdn_numpy.dataio.preprocessing`  train/validation/test splits and standardisation;
* :mod:`msdn_numpy.dataio.label_orders`   orders of the label axis that MSDN convolves along.

Everything that reads or checks data reports bad data as :class:`DataError` (a
``ValueError``) with one message that names the problem and what to do about it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from msdn_numpy.util.checks import check_matrix


class DataError(ValueError):
    """A dataset file or array is malformed; the message says what and how to fix it."""


def _note(message: str) -> None:
    """Print one informational line to stderr (stdout stays free for results)."""
    print(message, file=sys.stderr)


@dataclass
class Dataset:
    """A multi-label dataset: features, binary labels and their names.

    Attributes
    ----------
    X : np.ndarray of float64, shape (N, D)
        Features, all finite.
    Y : np.ndarray of uint8, shape (N, L)
        Labels: ``Y[n, j] = 1`` when example ``n`` has label ``j``.
    feature_names : list of str, length D
    label_names : list of str, length L
        In label-axis order: the order MSDN's convolutions slide along.
    name : str
        Dataset name, e.g. ``"emotions"``.

    ``X`` and ``Y`` are converted (copied if needed) to float64 / uint8; the arrays
    passed in are never modified.
    """

    X: np.ndarray
    Y: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    name: str = "dataset"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Dataset: name={self.name!r} is not a string; pass name='mydata'")
        X = check_matrix(f"{self.name}", "X", self.X)
        Y = check_matrix(f"{self.name}", "Y", self.Y)
        if X.ndim != 2 or Y.ndim != 2:
            raise DataError(
                f"{self.name}: X must be 2-D (N, D) and Y 2-D (N, L), got X{X.shape} and "
                f"Y{Y.shape}; reshape them (one row per example)"
            )
        if X.shape[0] != Y.shape[0]:
            raise DataError(
                f"{self.name}: X has {X.shape[0]} rows but Y has {Y.shape[0]}; "
                "X and Y must hold one row per example, in the same order"
            )
        # L = 0 is allowed: features only, e.g. new data to predict (load_arff(..., labels=[]))
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise DataError(
                f"{self.name}: empty dataset (X{X.shape}, Y{Y.shape}); "
                "a dataset needs at least one example and one feature"
            )
        _check_names(self.name, "feature", self.feature_names, X.shape[1])
        _check_names(self.name, "label", self.label_names, Y.shape[1])
        if not np.isin(Y, (0, 1)).all():
            bad = sorted({float(v) for v in np.unique(Y) if v not in (0, 1)})[:3]
            raise DataError(
                f"{self.name}: Y must be binary (0/1), found values {bad}; threshold or binarise the labels first"
            )
        X = X.astype(np.float64)  # astype copies, so the caller's array is untouched
        finite = np.isfinite(X)
        if not finite.all():
            row, col = np.argwhere(~finite)[0]
            raise DataError(
                f"{self.name}: feature {self.feature_names[col]!r} (column {col}) is "
                f"{X[row, col]} in row {row}; remove or impute non-finite values first"
            )
        self.X = X
        self.Y = Y.astype(np.uint8)
        self.feature_names = [str(s) for s in self.feature_names]
        self.label_names = [str(s) for s in self.label_names]

    @property
    def n_samples(self) -> int:
        """N, the number of examples."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """D, the number of features."""
        return int(self.X.shape[1])

    @property
    def n_labels(self) -> int:
        """L, the number of labels."""
        return int(self.Y.shape[1])

    @property
    def label_cardinality(self) -> float:
        """Mean number of labels per example: ``Y.sum() / N``."""
        return float(self.Y.sum(axis=1).mean())

    @property
    def label_density(self) -> float:
        """Label cardinality divided by L: the fraction of ones in ``Y`` (0 when L = 0)."""
        return self.label_cardinality / self.n_labels if self.n_labels else 0.0


def _check_names(dataset: str, kind: str, names: list[str], expected: int) -> None:
    """Raise DataError unless ``names`` has ``expected`` distinct entries."""
    if len(names) != expected:
        raise DataError(
            f"{dataset}: {len(names)} {kind} names for {expected} {kind} columns; give exactly one name per {kind}"
        )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"{dataset}: {kind} name {name!r} appears twice; {kind} names must be unique")
        seen.add(name)


def first_difference(a: list[str], b: list[str]) -> tuple[int, str, str]:
    """Where two name lists first differ: ``(index, repr in a, repr in b)``.

    An entry past the end of a list shows as ``nothing``; for equal lists the index is
    ``len(a)`` and both sides are ``nothing``. Used by the messages that refuse data whose
    attributes differ from another split's or from a model's.
    """
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return i, repr(a[i]) if i < len(a) else "nothing", repr(b[i]) if i < len(b) else "nothing"


# --------------------------------------------------------------------------------------
# A printable summary (``msdn info``)
# --------------------------------------------------------------------------------------


#: Pairs counted one by one (memory linear in this number) before the blocked product is used.
_MAX_LISTED_PAIRS = 4_000_000
#: Cells of one block of the co-occurrence product (labels x labels), so memory stays linear in L.
_BLOCK_CELLS = 4_000_000


def top_cooccurring_pairs(Y: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The ``k`` label pairs that occur together most often.

    Returns a list of ``(i, j, count)`` with ``i < j``, count ``= sum_n Y[n,i] Y[n,j]``,
    sorted by count (descending), ties by ``(i, j)``; pairs with count 0 are left out.

    Memory is linear in L (no L x L matrix): the pairs of each row are listed when there
    are few in all, else the product ``Y^T Y`` is formed a block of label rows at a time,
    over the labels that occur at all, keeping the best ``k`` of each block.
    """
    Y = np.asarray(Y) != 0
    L = Y.shape[1]
    active = np.flatnonzero(Y.any(axis=0))  # labels that never occur are in no pair
    if len(active) < 2 or k <= 0:
        return []
    Ya = Y[:, active]
    per_row = Ya.sum(axis=1).astype(np.int64)
    candidates: list[tuple[int, int, int]] = []
    if int((per_row * (per_row - 1) // 2).sum()) <= _MAX_LISTED_PAIRS:
        codes = []
        for row in Ya:
            on = active[np.flatnonzero(row)]
            if len(on) >= 2:
                a, b = np.triu_indices(len(on), k=1)
                codes.append(on[a].astype(np.int64) * L + on[b])
        if not codes:
            return []
        pairs, counts = np.unique(np.concatenate(codes), return_counts=True)
        candidates = [(int(c // L), int(c % L), int(n)) for c, n in zip(pairs, counts)]
    else:
        Yf = Ya.astype(np.float64)  # exact for counts below 2**53
        block = max(1, _BLOCK_CELLS // len(active))
        for start in range(0, len(active), block):
            C = Yf[:, start : start + block].T @ Yf  # (block, A)
            rows, cols = np.nonzero(np.triu(np.ones_like(C, dtype=bool), k=start + 1) & (C > 0))
            if len(rows) == 0:
                continue
            counts = C[rows, cols].astype(np.int64)
            i, j = active[rows + start], active[cols]
            best = np.lexsort((j, i, -counts))[:k]
            candidates += [(int(i[o]), int(j[o]), int(counts[o])) for o in best]
    candidates.sort(key=lambda t: (-t[2], t[0], t[1]))
    return candidates[:k]


def summary_table(train: Dataset, test: Dataset | None = None) -> str:
    """A plain-text description of a dataset, for ``msdn info``.

    Shows N (train / test), D, L, label cardinality and density, the number of distinct
    label sets and the 5 most co-occurring label pairs. Label statistics are computed
    over train and test together when a test set is given.
    """
    Y = train.Y if test is None else np.vstack([train.Y, test.Y])
    both = "train+test" if test is not None else "train"
    n_text = f"{train.n_samples}" if test is None else f"{train.n_samples} / {test.n_samples}"
    rows = [
        ("dataset", train.name),
        ("N (train / test)" if test is not None else "N (train)", n_text),
        ("D features", str(train.n_features)),
        ("L labels", str(train.n_labels)),
        (f"label cardinality ({both})", f"{Y.sum(axis=1).mean():.2f}"),
        (f"label density ({both})", f"{Y.mean():.3f}"),
        ("distinct label sets", str(len(np.unique(Y, axis=0)))),
    ]
    width = max(len(key) for key, _ in rows)
    lines = [f"{key:<{width}}  {value}" for key, value in rows]
    pairs = top_cooccurring_pairs(Y, 5)
    lines.append("most co-occurring label pairs:" if pairs else "most co-occurring label pairs: none")
    if pairs:
        names = [f"{train.label_names[i]} + {train.label_names[j]}" for i, j, _ in pairs]
        name_width = max(len(s) for s in names)
        lines += [f"  {s:<{name_width}}  {c:>6}" for s, (_, _, c) in zip(names, pairs)]
    return "\n".join(lines)
