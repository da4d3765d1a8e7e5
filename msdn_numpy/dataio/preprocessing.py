"""Preprocessing: seeded train/validation/test splits and feature standardisation.

The rule every function here follows: statistics and choices come from the training
rows only; validation and test rows are transformed, never looked at.
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.dataio.datasets import Dataset

#: Fraction of rows held out as test for datasets shipped without a split (CAL500).
DEFAULT_TEST_FRACTION = 0.3


def subset(ds: Dataset, rows: np.ndarray) -> Dataset:
    """The rows ``rows`` of ``ds`` as a new Dataset (arrays copied by fancy indexing)."""
    return Dataset(ds.X[rows], ds.Y[rows], list(ds.feature_names), list(ds.label_names), ds.name)


def _split(ds: Dataset, fraction: float, seed: int, what: str) -> tuple[Dataset, Dataset]:
    """Seeded random split: ``round(fraction * N)`` rows go to the second part."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"{what}={fraction} must be strictly between 0 and 1, e.g. 0.2")
    n_held = int(round(fraction * ds.n_samples))
    if not 0 < n_held < ds.n_samples:
        raise ValueError(
            f"{ds.name}: {ds.n_samples} row(s) are too few to hold out {what}={fraction} of them (one part "
            f"would be empty); add rows to the data (from Python you can also pass another {what})"
        )
    perm = np.random.default_rng(seed).permutation(ds.n_samples)
    # Sorting keeps each part in file order, which makes the parts easy to inspect.
    return subset(ds, np.sort(perm[n_held:])), subset(ds, np.sort(perm[:n_held]))


def train_val_split(ds: Dataset, val_fraction: float = 0.2, seed: int = 0) -> tuple[Dataset, Dataset]:
    """Hold out a seeded random ``val_fraction`` of the rows for validation.

    Returns ``(train, val)`` with ``round(val_fraction * N)`` rows in ``val``.
    Use it on the training set only: the test set is never used for tuning.
    """
    return _split(ds, val_fraction, seed, "val_fraction")


def train_test_split(
    ds: Dataset, test_fraction: float = DEFAULT_TEST_FRACTION, seed: int = 0
) -> tuple[Dataset, Dataset]:
    """Split a dataset shipped without a split: ``(train, test)``, seeded.

    ``round(test_fraction * N)`` rows (chosen by ``default_rng(seed).permutation``)
    go to ``test``; both parts keep the file's row order.
    """
    return _split(ds, test_fraction, seed, "test_fraction")


class Standardizer:
    """Feature standardisation ``(X - mean_) / scale_``, fitted on training rows only.

    Attributes
    ----------
    mean_ : np.ndarray, shape (D,)
        Column means of the fitted X.
    scale_ : np.ndarray, shape (D,)
        Column standard deviations; 1 for constant columns, which therefore map to 0
        instead of NaN.

    Notes
    -----
    ``fit`` divides each column by a power of two near its largest ``|x|`` before
    computing the mean and the standard deviation, and multiplies the results back.
    Scaling by a power of two is exact, so the results are bit for bit those of
    ``X.mean(0)`` and ``X.std(0)``, but the squared deviations can no longer overflow
    (features near 1e300) or underflow (near 1e-300) and give a wrong scale.
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, X: np.ndarray) -> Standardizer:
        """Learn ``mean_`` and ``scale_`` from finite X of shape (N, D); returns self."""
        X = _as_matrix(X, "Standardizer.fit")
        constant = X.max(axis=0) == X.min(axis=0)
        _, e = np.frexp(np.abs(X).max(axis=0))  # max |x| = f 2^e with f in [0.5, 1): X / 2^e is in (-1, 1)
        X_scaled = np.ldexp(X, -e)
        # Exact test for constant columns: their float std may be 1e-17 instead of 0.
        self.mean_ = np.where(constant, X[0], np.ldexp(X_scaled.mean(axis=0), e))
        self.scale_ = np.where(constant, 1.0, np.ldexp(X_scaled.std(axis=0), e))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return ``(X - mean_) / scale_``, shape (N, D); X is not modified.

        Raises ValueError for non-finite X, or when a standardised value is beyond the
        float64 range (a feature astronomically far from the training data).
        """
        if self.mean_ is None or self.scale_ is None:
            raise ValueError("Standardizer.transform called before fit; call fit(X_train) first")
        X = _as_matrix(X, "Standardizer.transform")
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(
                f"Standardizer.transform: X has D={X.shape[1]} features but fit saw "
                f"D={self.mean_.shape[0]}; transform data with the same features as the training set"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            Z = (X - self.mean_) / self.scale_
        finite = np.isfinite(Z)
        if not finite.all():
            row, col = np.argwhere(~finite)[0]
            raise ValueError(
                f"Standardizer.transform: feature column {col} of row {row + 1} is {X[row, col]:.6g}, "
                f"which standardises to {Z[row, col]} (training mean {self.mean_[col]:.6g}, scale "
                f"{self.scale_[col]:.6g}): beyond the float64 range; check the units of that feature"
            )
        return Z

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``; shape (N, D)."""
        return self.fit(X).transform(X)


def _as_matrix(X: np.ndarray, where: str) -> np.ndarray:
    """X as a finite float64 (N, D) array with N >= 1, or a clear error."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{where}: X must have shape (N, D) with N >= 1, got {X.shape}")
    finite = np.isfinite(X)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise ValueError(
            f"{where}: X[{row}, {col}] is {X[row, col]}; features must be finite: remove or impute "
            "missing and non-finite values first"
        )
    return X
