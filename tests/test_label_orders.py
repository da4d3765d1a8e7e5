"""Tests for msdn_numpy.label_orders: permutations of the label axis."""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy.label_orders import LABEL_ORDERS, label_order

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
