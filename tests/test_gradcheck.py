"""The gradient checker itself: it must catch wrong gradients and fail loudly on misuse."""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy.gradcheck import PASS_BAR, gradcheck, numerical_gradient, rel_error
from msdn_numpy.layers import Dropout, Linear, Module


class ScaledWrongLinear(Linear):
    """A Linear whose backward is off by a factor on dx, or on dW."""

    def __init__(self, *args, wrong: str, factor: float = 1.1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wrong, self.factor = wrong, factor

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = super().backward(dout)
        if self.wrong == "W":
            self.grads["W"] = self.grads["W"] * self.factor
            return dx
        return dx * self.factor


class Cube(Module):
    """``out = x³`` with a correct backward, no parameters."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = x
        return x**3

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return 3 * self._cached() ** 2 * dout


class NoGradLinear(Linear):
    """Forgets to set the bias gradient."""

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = super().backward(dout)
        del self.grads["b"]
        return dx


def test_correct_layer_passes() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4))
    errors = gradcheck(Linear(4, 2, rng=0), x)
    assert max(errors.values()) < PASS_BAR, errors
    assert gradcheck(Cube(), x)["x"] < PASS_BAR


@pytest.mark.parametrize("wrong", ["x", "W"])
def test_catches_a_wrong_backward(wrong: str) -> None:
    # A factor 1.1 gives rel = 0.1 / 2.1 ≈ 0.048 on the wrong tensor; the others stay tiny.
    x = np.random.default_rng(0).standard_normal((3, 4))
    errors = gradcheck(ScaledWrongLinear(4, 2, rng=0, wrong=wrong), x)
    assert errors[wrong] == pytest.approx(0.1 / 2.1, rel=1e-6)
    assert all(err < PASS_BAR for name, err in errors.items() if name != wrong)


def test_catches_a_missing_gradient() -> None:
    with pytest.raises(RuntimeError, match="'b'"):
        gradcheck(NoGradLinear(2, 2), np.ones((1, 2)))


def test_rel_error_hand_case() -> None:
    a = np.array([1.0, -2.0, 3.0])
    n = np.array([1.0, -2.5, 3.1])
    # max |a - n| = 0.5; max (|a| + |n|) = 6.1
    assert rel_error(a, n) == pytest.approx(0.5 / 6.1, rel=1e-15)
    assert rel_error(a, a) == 0.0
    assert rel_error(np.zeros(3), np.full(3, 1e-13)) == pytest.approx(1e-13 / 1e-12)  # floor at 1e-12
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros(2), np.zeros(3))


def test_numerical_gradient_of_a_known_function() -> None:
    v = np.array([[0.5, -1.0], [2.0, 0.1]])
    before = v.copy()
    grad = numerical_gradient(lambda: float(np.sum(np.sin(v))), v)
    np.testing.assert_allclose(grad, np.cos(before), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(v, before)  # restored exactly


def test_dout_of_wrong_shape() -> None:
    with pytest.raises(ValueError, match=r"dout has shape \(2, 2\).*output has shape \(3, 2\)"):
        gradcheck(Linear(4, 2), np.ones((3, 4)), dout=np.ones((2, 2)))


def test_float32_module_rejected() -> None:
    with pytest.raises(ValueError, match="float64"):
        gradcheck(Linear(4, 2).to(np.float32), np.ones((3, 4)))


def test_explicit_dout_is_used() -> None:
    # With dout = e_k, the input gradient of Linear is row k of W^T.
    layer = Linear(3, 2, rng=0)
    dout = np.array([[0.0, 1.0]])
    errors = gradcheck(layer, np.ones((1, 3)), dout=dout)
    assert max(errors.values()) < PASS_BAR
    np.testing.assert_allclose(layer.backward(dout), layer.params["W"][:, 1][None], rtol=0, atol=0)


def test_never_mutates_callers_input() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4))
    before = x.copy()
    gradcheck(Linear(4, 2), x)
    np.testing.assert_array_equal(x, before)


def test_restores_parameters() -> None:
    layer = Linear(4, 2, rng=0)
    before = {k: v.copy() for k, v in layer.params.items()}
    gradcheck(layer, np.random.default_rng(0).standard_normal((3, 4)))
    for k, v in layer.params.items():
        np.testing.assert_array_equal(v, before[k])


def test_rewinds_dropout_generator() -> None:
    # Without rewinding, every forward would draw a fresh mask and the check would fail.
    x = np.random.default_rng(0).standard_normal((5, 5))
    layer = Dropout(0.5, rng=1)
    assert gradcheck(layer, x)["x"] < PASS_BAR


def test_check_input_false_skips_x() -> None:
    errors = gradcheck(Linear(3, 2), np.ones((2, 3)), check_input=False)
    assert set(errors) == {"W", "b"}
