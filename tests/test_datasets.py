"""Tests for msdn_numpy.dataio.datasets: the Dataset container and its summary."""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy.dataio.benchmarks import load_benchmark
from msdn_numpy.dataio.datasets import DataError, Dataset, summary_table

# ------------------------------------------------------------------ Dataset and splits


def _toy(n: int = 10, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    Y = (rng.random((n, 4)) < 0.4).astype(np.uint8)
    return Dataset(X, Y, ["a", "b", "c"], ["p", "q", "r", "s"], "toy")


def test_dataset_properties():
    Y = np.array([[1, 0, 1, 0], [0, 0, 0, 1], [1, 1, 1, 1]])
    ds = Dataset(np.zeros((3, 2)), Y, ["a", "b"], ["p", "q", "r", "s"], "t")
    assert (ds.n_samples, ds.n_features, ds.n_labels) == (3, 2, 4)
    assert ds.label_cardinality == pytest.approx(7 / 3)
    assert ds.label_density == pytest.approx(7 / 12)


@pytest.mark.parametrize(
    "X, Y, fnames, lnames, message",
    [
        (np.zeros((3, 2)), np.zeros((2, 1)), ["a", "b"], ["p"], "3 rows but Y has 2"),
        (np.zeros((2, 2)), np.zeros((2, 1)), ["a"], ["p"], "1 feature names for 2"),
        (np.zeros((2, 2)), np.full((2, 1), 2), ["a", "b"], ["p"], "binary"),
        (np.array([[0.0, np.inf], [0, 0]]), np.zeros((2, 1)), ["a", "b"], ["p"], "'b' \\(column 1\\)"),
        (np.zeros((2, 2)), np.zeros((2, 2)), ["a", "b"], ["p", "p"], "'p' appears twice"),
    ],
)
def test_dataset_validation(X, Y, fnames, lnames, message):
    with pytest.raises(DataError, match=message):
        Dataset(X, Y, fnames, lnames, "t")


def test_dataset_does_not_modify_its_inputs():
    X = np.arange(6).reshape(3, 2)  # int
    ds = Dataset(X, np.ones((3, 1), dtype=np.int64), ["a", "b"], ["p"])
    ds.X[0, 0] = 99.0
    assert X[0, 0] == 0


# ------------------------------------------------------------------ summary


def test_summary_table():
    Y = np.array([[1, 1, 0], [1, 1, 1], [0, 0, 1]])
    train = Dataset(np.zeros((3, 2)), Y, ["a", "b"], ["p", "q", "r"], "toy")
    test = Dataset(np.zeros((1, 2)), [[1, 1, 0]], ["a", "b"], ["p", "q", "r"], "toy")
    text = summary_table(train, test)
    lines = text.splitlines()
    assert lines[0].split() == ["dataset", "toy"]
    assert "N (train / test)" in text and "3 / 1" in text
    assert any(line.startswith("D features") and line.endswith(" 2") for line in lines)
    assert any(line.startswith("L labels") and line.endswith(" 3") for line in lines)
    assert any("label cardinality" in line and line.endswith("2.00") for line in lines)
    assert any(line.startswith("distinct label sets") and line.endswith(" 3") for line in lines)
    assert lines[-3].split() == ["p", "+", "q", "3"]  # the most co-occurring pair first
    assert "N (train)" in summary_table(train)


def test_summary_table_of_a_benchmark(data_dir):
    train, test = load_benchmark("emotions", data_dir)
    text = summary_table(train, test)
    assert "391 / 202" in text and "72" in text and "1.87" in text
