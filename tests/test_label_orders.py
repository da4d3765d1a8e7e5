"""Tests for msdn_numpy.dataio.label_orders: permutations of the label axis."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.sparse.csgraph
import scipy.sparse.linalg

from msdn_numpy.dataio import label_orders
from msdn_numpy.dataio.label_orders import LABEL_ORDERS, label_order

# ------------------------------------------------------------------ label orders


@pytest.mark.parametrize("method", LABEL_ORDERS)
def test_label_order_round_trip(method):
    Y = (np.random.default_rng(0).random((50, 9)) < 0.3).astype(np.uint8)
    perm, inverse = label_order(Y, method, seed=3)
    assert sorted(perm.tolist()) == list(range(9))
    np.testing.assert_array_equal(Y[:, perm][:, inverse], Y)


def test_frequency_order_hand_case():
    # counts: 1, 3, 0, 3, 2 -> most frequent first, ties (labels 1 and 3) in file order
    Y = np.array([[1, 1, 0, 1, 1], [0, 1, 0, 1, 1], [0, 1, 0, 1, 0]])
    perm, _ = label_order(Y, "frequency")
    np.testing.assert_array_equal(perm, [1, 3, 4, 0, 2])
    np.testing.assert_array_equal(label_order(Y, "given")[0], np.arange(5))


def test_cooccurrence_groups_labels_that_occur_together():
    rng = np.random.default_rng(0)
    n = 400
    # Two blocks, {0, 3, 6} and {1, 4, 7}, whose labels switch on together; labels 2
    # and 5 are independent noise, label 8 never occurs.
    a, b = rng.random(n) < 0.4, rng.random(n) < 0.4
    Y = np.zeros((n, 9), dtype=np.uint8)
    for j in (0, 3, 6):
        Y[:, j] = a & (rng.random(n) < 0.95)
    for j in (1, 4, 7):
        Y[:, j] = b & (rng.random(n) < 0.95)
    Y[:, 2], Y[:, 5] = rng.random(n) < 0.3, rng.random(n) < 0.3
    perm, _ = label_order(Y, "cooccurrence")
    position = {label: i for i, label in enumerate(perm)}

    def span(block):
        return max(position[j] for j in block) - min(position[j] for j in block)

    assert span((0, 3, 6)) == 2 and span((1, 4, 7)) == 2  # each block contiguous
    assert perm[-1] == 8  # the never-occurring label goes last
    np.testing.assert_array_equal(label_order(Y, "cooccurrence")[0], perm)  # deterministic


def test_cooccurrence_disconnected_components():
    # {0, 2} always together, {1, 3} always together, 4 alone: no edge between blocks.
    Y = np.array([[1, 0, 1, 0, 0], [0, 1, 0, 1, 0], [0, 0, 0, 0, 1], [0, 1, 0, 1, 0]])
    perm, _ = label_order(Y, "cooccurrence")
    np.testing.assert_array_equal(perm, [0, 2, 1, 3, 4])


def test_random_order_is_seeded():
    Y = np.zeros((3, 20), dtype=np.uint8)
    a, _ = label_order(Y, "random", seed=1)
    b, _ = label_order(Y, "random", seed=1)
    c, _ = label_order(Y, "random", seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, np.arange(20))


def test_unknown_label_order():
    with pytest.raises(ValueError, match="given, frequency, cooccurrence, random"):
        label_order(np.zeros((2, 3)), "alphabetical")


# ------------------------------------------------------------------ large label sets


def test_cooccurrence_graph_hand_case():
    # counts 2, 3, 1; labels 0 and 1 together twice, 1 and 2 once, 0 and 2 never
    Y = np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1], [0, 0, 0]])
    S = label_orders.cooccurrence_graph(Y)
    assert S.nnz == 4  # only pairs that occur together are stored (and no diagonal)
    expected = np.array([[0, 2 / np.sqrt(6), 0], [2 / np.sqrt(6), 0, 1 / np.sqrt(3)], [0, 1 / np.sqrt(3), 0]])
    np.testing.assert_allclose(S.toarray(), expected, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(label_orders.cooccurrence_similarity(Y), S.toarray())


def _chain_labels(n_labels: int, n_rows: int, seed: int) -> np.ndarray:
    """Labels on a hidden line: each row switches on a run of 2-4 consecutive labels (a shuffled file order)."""
    rng = np.random.default_rng(seed)
    Y = np.zeros((n_rows, n_labels), dtype=np.uint8)
    starts = rng.integers(0, n_labels - 4, size=n_rows)
    for r, (s, w) in enumerate(zip(starts, rng.integers(2, 5, size=n_rows))):
        Y[r, s : s + w] = 1
    return Y[:, rng.permutation(n_labels)]


def test_lanczos_path_gives_the_dense_order(monkeypatch):
    """Above DENSE_EIGH_MAX the sparse eigensolver is used; on the same graph it gives the same order."""
    Y = _chain_labels(60, 600, seed=1)
    dense = label_order(Y, "cooccurrence")[0]
    monkeypatch.setattr(label_orders, "DENSE_EIGH_MAX", 10)
    sparse = label_order(Y, "cooccurrence")[0]
    np.testing.assert_array_equal(sparse, dense)
    S = label_orders.cooccurrence_graph(Y)
    occur = np.flatnonzero(Y.any(axis=0))  # a label that never occurs is a component of its own
    S = S[occur][:, occur]
    assert scipy.sparse.csgraph.connected_components(S)[0] == 1
    monkeypatch.setattr(label_orders, "DENSE_EIGH_MAX", 1000)
    f_dense = label_orders._fiedler_vector(S)
    monkeypatch.setattr(label_orders, "DENSE_EIGH_MAX", 10)
    f_sparse = label_orders._fiedler_vector(S)
    np.testing.assert_allclose(f_sparse * np.sign(f_sparse @ f_dense), f_dense, rtol=0, atol=1e-9)


def test_lanczos_failure_falls_back_to_dense(monkeypatch):
    Y = _chain_labels(30, 300, seed=2)
    dense = label_order(Y, "cooccurrence")[0]

    def no_convergence(*args, **kwargs):
        raise scipy.sparse.linalg.ArpackNoConvergence("test", np.empty(0), np.empty((0, 0)))

    monkeypatch.setattr(label_orders, "DENSE_EIGH_MAX", 5)
    monkeypatch.setattr(scipy.sparse.linalg, "eigsh", no_convergence)
    np.testing.assert_array_equal(label_order(Y, "cooccurrence")[0], dense)


def test_many_labels_without_quadratic_memory():
    """20,000 labels: a dense (L, L) float64 matrix alone would be 3.2 GB; the sparse path stays small.

    Memory (traced NumPy allocations) is deterministic, unlike time, so it can be asserted.
    """
    n_labels = 20_000
    Y = _chain_labels(n_labels, 3_000, seed=3)
    tracemalloc.start()
    try:
        perm, inverse = label_order(Y, "cooccurrence")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sorted(perm.tolist()) == list(range(n_labels))
    assert peak < 200 * 2**20, f"{peak / 2**20:.0f} MiB"
