"""BCEWithLogits and the stable sigmoid: gradients, the naive formula, extreme logits, PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from msdn_numpy.nn.gradcheck import PASS_BAR, gradcheck
from msdn_numpy.nn.losses import BCEWithLogits, sigmoid


def _data(seed: int, shape: tuple[int, ...] = (4, 6), scale: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return scale * rng.standard_normal(shape), (rng.random(shape) < 0.4).astype(np.float64)


def _naive_bce(z: np.ndarray, y: np.ndarray) -> float:
    p = 1.0 / (1.0 + np.exp(-z))
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


@pytest.mark.parametrize("seed,shape", [(0, (4, 6)), (1, (1, 1)), (2, (3, 2, 5))])
def test_bce_gradcheck(seed: int, shape: tuple[int, ...]) -> None:
    logits, targets = _data(seed, shape)
    errors = gradcheck(BCEWithLogits(), logits, targets)
    assert errors["x"] < PASS_BAR, errors


def test_bce_gradcheck_soft_targets() -> None:
    logits = np.random.default_rng(0).standard_normal((3, 4))
    targets = np.random.default_rng(1).random((3, 4))
    assert gradcheck(BCEWithLogits(), logits, targets)["x"] < PASS_BAR


@pytest.mark.parametrize("seed", range(3))
def test_bce_equals_naive_formula(seed: int) -> None:
    logits, targets = _data(seed)
    assert BCEWithLogits().forward(logits, targets) == pytest.approx(_naive_bce(logits, targets), rel=1e-13)


def test_bce_hand_case() -> None:
    # z = 0 gives p = 1/2 whatever the target: loss log 2 per entry; gradient (1/2 - y)/(N L)
    loss = BCEWithLogits()
    assert loss.forward(np.zeros((2, 2)), np.array([[0.0, 1.0], [1.0, 1.0]])) == pytest.approx(np.log(2.0), abs=1e-15)
    np.testing.assert_allclose(loss.backward(), [[0.125, -0.125], [-0.125, -0.125]], rtol=0, atol=1e-16)
    np.testing.assert_allclose(loss.backward(2.0), [[0.25, -0.25], [-0.25, -0.25]], rtol=0, atol=1e-16)


def test_bce_stable_for_huge_logits() -> None:
    logits = np.array([[1e4, -1e4, 1e4, -1e4, 0.0]])
    targets = np.array([[1.0, 0.0, 0.0, 1.0, 1.0]])
    loss = BCEWithLogits()
    # Overflow, 0/0 and log(0) are errors; underflow is not: exp(-1e4) -> 0 is the correct double.
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        value = loss.forward(logits, targets)
        grad = loss.backward()
        s = sigmoid(np.array([-1e4, -800.0, 0.0, 800.0, 1e4]))
    # right answers cost 0 (exp(-1e4) underflows to 0); wrong ones cost |z|; z = 0 costs log 2
    assert np.isfinite(value)
    assert value == pytest.approx((0 + 0 + 1e4 + 1e4 + np.log(2.0)) / 5, rel=1e-15)
    np.testing.assert_allclose(grad, [[0.0, 0.0, 0.2, -0.2, -0.1]], rtol=0, atol=1e-16)
    np.testing.assert_array_equal(s, [0.0, 0.0, 0.5, 1.0, 1.0])


def test_sigmoid_keeps_float32() -> None:
    z = np.array([-10.0, 0.0, 10.0, 1e4], dtype=np.float32)
    with np.errstate(all="raise", under="ignore"):
        s = sigmoid(z)
    assert s.dtype == np.float32
    np.testing.assert_allclose(s, [1 / (1 + np.exp(10.0)), 0.5, 1 / (1 + np.exp(-10.0)), 1.0], rtol=1e-6, atol=0)


def test_bce_matches_torch(torch) -> None:
    import torch.nn.functional as F

    logits, targets = _data(5, (6, 7), scale=5.0)
    logits[0, :3] = [40.0, -40.0, 1e3]  # include saturated entries
    zt = torch.from_numpy(logits).requires_grad_(True)
    ref = F.binary_cross_entropy_with_logits(zt, torch.from_numpy(targets))
    ref.backward()
    loss = BCEWithLogits()
    assert loss.forward(logits, targets) == pytest.approx(ref.item(), rel=1e-14)
    np.testing.assert_allclose(loss.backward(), zt.grad.numpy(), rtol=0, atol=1e-15)


def test_bce_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        BCEWithLogits().forward(np.zeros((2, 3)), np.zeros((3, 2)))


def test_bce_backward_before_forward() -> None:
    with pytest.raises(RuntimeError, match="before forward"):
        BCEWithLogits().backward()


def test_sigmoid_refuses_non_real_dtypes() -> None:
    np.testing.assert_allclose(sigmoid(np.array([0, 1])), [0.5, 1 / (1 + np.exp(-1))])  # integers: float64
    for bad in (np.array([0.0, 1.0], dtype=object), np.array([1j]), np.array(["0.5"])):
        with pytest.raises(ValueError, match="sigmoid: expected a real-valued array"):
            sigmoid(bad)


@pytest.mark.parametrize("bad", [-0.5, 1.5, np.nan, 2.0])
def test_bce_refuses_targets_outside_0_1_by_name(bad: float) -> None:
    targets = np.zeros((2, 3))
    targets[1, 2] = bad
    with pytest.raises(ValueError, match=r"BCEWithLogits: targets must be in \[0, 1\]"):
        BCEWithLogits().forward(np.zeros((2, 3)), targets)
