"""Tests for msdn_numpy.dataio.preprocessing: seeded splits and the standardiser."""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy.dataio.datasets import Dataset
from msdn_numpy.dataio.preprocessing import Standardizer, train_test_split, train_val_split


def _toy(n: int = 10, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    Y = (rng.random((n, 4)) < 0.4).astype(np.uint8)
    return Dataset(X, Y, ["a", "b", "c"], ["p", "q", "r", "s"], "toy")


def test_splits_are_seeded_disjoint_and_complete():
    ds = _toy(10)
    train, val = train_val_split(ds, 0.2, seed=1)
    assert (train.n_samples, val.n_samples) == (8, 2)
    rows = {tuple(r) for r in np.vstack([train.X, val.X])}
    assert rows == {tuple(r) for r in ds.X}
    again, _ = train_val_split(ds, 0.2, seed=1)
    other, _ = train_val_split(ds, 0.2, seed=2)
    np.testing.assert_array_equal(again.X, train.X)
    assert not np.array_equal(other.X, train.X)
    tr, te = train_test_split(ds, 0.3, seed=0)
    assert (tr.n_samples, te.n_samples) == (7, 3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        train_val_split(ds, 1.5)


# ------------------------------------------------------------------ Standardizer


def test_standardizer_fits_on_train_only_and_handles_constants():
    X_train = np.array([[1.0, 5.0, 0.1], [3.0, 5.0, 0.1], [5.0, 5.0, 0.1]])
    X_test = np.array([[3.0, 7.0, 0.1]])
    scaler = Standardizer().fit(X_train)
    np.testing.assert_allclose(scaler.mean_, [3.0, 5.0, 0.1])
    np.testing.assert_allclose(scaler.scale_, [np.sqrt(8 / 3), 1.0, 1.0])
    Z = scaler.transform(X_train)
    np.testing.assert_allclose(Z[:, 0].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, 0].std(), 1.0)
    np.testing.assert_array_equal(Z[:, 1:], 0.0)  # constant columns: 0, not NaN
    np.testing.assert_allclose(scaler.transform(X_test), [[0.0, 2.0, 0.0]])  # train statistics
    np.testing.assert_allclose(Standardizer().fit_transform(X_train), Z)


def test_standardizer_errors():
    with pytest.raises(ValueError, match="before fit"):
        Standardizer().transform(np.zeros((2, 2)))
    scaler = Standardizer().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="D=3 features but fit saw D=2"):
        scaler.transform(np.zeros((1, 3)))


def test_standardizer_is_bit_identical_to_mean_and_std_and_never_overflows():
    """fit scales each column by a power of two: exact, so the usual statistics come out bit for bit."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5)) * np.array([1e-3, 1.0, 7.0, 1e5, 3e4]) + np.array([0.0, 5.0, -2.0, 1e6, 0.0])
    scaler = Standardizer().fit(X)
    assert np.array_equal(scaler.mean_, X.mean(axis=0)) and np.array_equal(scaler.scale_, X.std(axis=0))
    Z = scaler.transform(X)
    for factor in (1e300, 1e-300):  # X.std() alone overflows to inf (1e300) or underflows to 0 (1e-300)
        big = Standardizer().fit(X * factor)
        assert np.all(np.isfinite(big.scale_)) and np.all(big.scale_ > 0)
        np.testing.assert_allclose(big.transform(X * factor), Z, rtol=1e-12, atol=1e-12)


def test_standardizer_refuses_non_finite_input_and_out_of_range_results():
    scaler = Standardizer().fit(np.array([[0.0], [1.0]]))
    with pytest.raises(ValueError, match=r"X\[1, 0\] is nan; features must be finite"):
        scaler.transform(np.array([[0.5], [np.nan]]))
    with pytest.raises(ValueError, match="Standardizer.fit: X"):
        Standardizer().fit(np.array([[np.inf], [1.0]]))
    with pytest.raises(ValueError, match="row 1 is 1.7e\\+308.*beyond the float64 range"):
        scaler.transform(np.array([[1.7e308]]))  # (x - 0.5) / 0.5 overflows: refused, never inf
