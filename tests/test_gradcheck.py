"""The gradient checker itself: it must catch wrong gradients and fail loudly on misuse."""

from __future__ import annotations

import numpy as np
import pytest

import msdn_numpy
from msdn_numpy import BRMLP, LSTM, MSDN, BCEWithLogits, Conv1D, Conv1DNaive, Parallel, ReLU, Reshape, RethinkRNN
from msdn_numpy.nn.gradcheck import (
    PASS_BAR,
    GradcheckResult,
    gradcheck,
    numerical_gradient,
    rel_error,
    unlisted_submodules,
)
from msdn_numpy.nn.layers import Dropout, Linear, Module, Sequential


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


class Block(Module):
    """Two Linear layers held as attributes; ``children()`` is *not* overridden (the bug)."""

    def __init__(self, zero_dW: bool = False) -> None:
        super().__init__()
        self.first, self.second = Linear(3, 4, rng=0), Linear(4, 2, rng=1)
        self.zero_dW = zero_dW

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = True
        return self.second.forward(self.first.forward(x))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = self.first.backward(self.second.backward(dout))
        if self.zero_dW:
            self.first.grads["W"] = np.zeros_like(self.first.grads["W"])  # deliberately wrong
        return dx


class ListedBlock(Block):
    def children(self) -> list[tuple[str, Module]]:
        return [("first", self.first), ("second", self.second)]


class ListBlock(Module):
    """Sub-layers in a list, not listed either."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = [Linear(3, 3, rng=0), ReLU()]


def test_unlisted_child_is_refused_and_named() -> None:
    # The reported bug: without children(), only 'x' was checked and a zeroed dW passed.
    x = np.random.default_rng(0).standard_normal((5, 3))
    with pytest.raises(ValueError, match=r"Block\.first \(a Linear\) is not listed by Block\.children\(\)"):
        gradcheck(Block(zero_dW=True), x)
    with pytest.raises(ValueError, match=r"ListBlock\.layers\[0\] \(a Linear\)"):
        gradcheck(ListBlock(), x)
    # Listed, the same wrong dW is caught by name, and the right one passes.
    wrong = gradcheck(ListedBlock(zero_dW=True), x)
    assert not wrong.passed and wrong.worst == "first.W" and wrong["first.W"] == pytest.approx(1.0)
    assert gradcheck(ListedBlock(), x).passed


def test_unlisted_child_deep_in_the_tree() -> None:
    tree = Sequential(Linear(3, 3), Block())
    assert unlisted_submodules(tree) == [
        "1.first (a Linear) is not listed by Block.children()",
        "1.second (a Linear) is not listed by Block.children()",
    ]
    with pytest.raises(ValueError, match=r"1\.first \(a Linear\)"):
        gradcheck(tree, np.ones((2, 3)))


def test_an_alias_of_a_listed_child_is_fine() -> None:
    seq = Sequential(Linear(3, 3), ReLU())
    seq.first_layer = seq.layers[0]  # a second reference to a listed module: still checked once
    assert unlisted_submodules(seq) == []
    assert gradcheck(seq, np.random.default_rng(0).standard_normal((2, 3))).passed


def test_float32_parameter_is_named() -> None:
    # Only the bias is float32: the old guard looked at the first parameter and gave 'b: 0.0044'.
    layer = Sequential(Linear(4, 3), ReLU(), Linear(3, 2))
    layer.layers[2].params["b"] = layer.layers[2].params["b"].astype(np.float32)
    with pytest.raises(ValueError, match=r"parameter '2\.b' is float32; gradcheck needs float64"):
        gradcheck(layer, np.ones((3, 4)))


def test_non_contiguous_parameter_is_named() -> None:
    layer = Sequential(Linear(4, 3), Linear(3, 2))
    layer.layers[1].params["W"] = np.asfortranarray(layer.layers[1].params["W"])  # (3, 2) in column order
    assert not layer.layers[1].params["W"].flags.c_contiguous
    with pytest.raises(ValueError, match=r"parameter '1\.W' \(shape \(3, 2\), strides .*\) is not C-contiguous"):
        gradcheck(layer, np.ones((3, 4)))


class AccumulatingLinear(Linear):
    """``+=`` into grads: right on the first backward after construction, wrong ever after."""

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self._cached()
        self.grads.setdefault("W", np.zeros_like(self.params["W"]))
        self.grads.setdefault("b", np.zeros_like(self.params["b"]))
        self.grads["W"] += x.T @ dout
        self.grads["b"] += dout.sum(axis=0)
        return dout @ self.params["W"].T


def test_accumulating_backward_fails() -> None:
    x = np.random.default_rng(0).standard_normal((5, 4))
    result = gradcheck(AccumulatingLinear(4, 3), x)
    assert not result.passed
    assert result["x"] < PASS_BAR  # dx is assigned: fine
    assert result["W"] == pytest.approx(1 / 3)  # the second call gives 2x: |2a - a| / (2a + a)
    assert result.problems == [
        "grads accumulate: two identical forward + backward calls gave different gradients for "
        "'W' (second call 2x the first), 'b' (second call 2x the first); "
        "backward must assign them (=), not add to them (+=)"
    ]
    assert "grads accumulate" in str(result) and "FAIL" in str(result)


class AccumulatingDx(Module):
    """Keeps a running dx buffer across calls (a stateful bug in the input gradient)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = x
        return 2.0 * x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.buffer = getattr(self, "buffer", 0.0) + 2.0 * dout
        return self.buffer


def test_accumulating_dx_fails() -> None:
    result = gradcheck(AccumulatingDx(), np.ones((2, 3)))
    assert not result.passed and "dx (second call" in result.problems[0]


class WrongShapeGrad(Linear):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = super().backward(dout)
        self.grads["W"] = self.grads["W"].sum(axis=0)
        return dx


class NoneDx(Linear):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        super().backward(dout)


def test_wrong_gradient_shapes_are_named() -> None:
    with pytest.raises(RuntimeError, match=r"gradient of parameter 'W' has shape \(3,\) but expected \(4, 3\)"):
        gradcheck(WrongShapeGrad(4, 3), np.ones((2, 4)))
    with pytest.raises(RuntimeError, match=r"dx that is None, expected an array of shape \(2, 4\)"):
        gradcheck(NoneDx(4, 3), np.ones((2, 4)))


def test_nothing_to_check_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to check"):
        gradcheck(ReLU(), np.ones((2, 2)), check_input=False)


def test_result_is_a_dict_with_a_verdict() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4))
    result = gradcheck(Linear(4, 2, rng=0), x)
    assert isinstance(result, dict) and isinstance(result, GradcheckResult)
    assert list(result) == ["x", "W", "b"] and max(result.values()) < PASS_BAR
    assert result.passed and result.bar == PASS_BAR == msdn_numpy.PASS_BAR
    assert result.worst in result and result.worst_error == max(result.values())
    text = str(result)
    assert text.startswith("gradcheck Linear: PASS: worst rel. error") and text.count("ok") == 3
    assert repr(result).startswith("GradcheckResult({'x': ") and "passed=True" in repr(result)
    wrong = gradcheck(ScaledWrongLinear(4, 2, rng=0, wrong="W"), x)
    assert not wrong.passed and wrong.worst == "W" and "FAIL" in str(wrong)
    assert msdn_numpy.GradcheckResult is GradcheckResult


def test_verbose_prints_the_result(capsys) -> None:
    gradcheck(Linear(4, 2), np.ones((1, 4)), verbose=True)
    assert capsys.readouterr().out.startswith("gradcheck Linear: PASS")


def _every_layer() -> list[tuple[str, Module, tuple]]:
    rng = np.random.default_rng(3)
    x3 = rng.standard_normal((2, 3, 7))
    return [
        ("Linear", Linear(4, 3, rng=0), (rng.standard_normal((2, 5, 4)),)),
        ("ReLU", ReLU(), (rng.standard_normal((3, 4)),)),
        ("Dropout", Dropout(0.4, rng=2), (rng.standard_normal((3, 4)),)),
        ("Reshape", Reshape(3, 4), (rng.standard_normal((2, 12)),)),
        ("Sequential", Sequential(Linear(4, 3, rng=0), ReLU(), Linear(3, 2, rng=1)), (rng.standard_normal((3, 4)),)),
        ("Parallel", Parallel([Conv1D(3, 2, 1, rng=0), Conv1D(3, 2, 3, padding="same", rng=1)]), (x3,)),
        ("Conv1D", Conv1D(3, 2, 3, stride=2, dilation=2, padding=(2, 1), padding_mode="circular", rng=0), (x3,)),
        ("Conv1DNaive", Conv1DNaive(3, 2, 2, padding="same", rng=0), (x3,)),
        ("LSTM", LSTM(3, 4, rng=0), (rng.standard_normal((2, 3, 3)),)),
        ("BCEWithLogits", BCEWithLogits(), (rng.standard_normal((3, 4)), rng.integers(0, 2, (3, 4)))),
        ("MSDN", MSDN(5, 6, hidden=4, embed_dim=2, channels=2, dropout=0.2, seed=0), (rng.standard_normal((3, 5)),)),
        ("BRMLP", BRMLP(5, 6, hidden=4, seed=0), (rng.standard_normal((3, 5)),)),
        ("RethinkRNN", RethinkRNN(5, 6, hidden=3, seed=0), (rng.standard_normal((3, 5)),)),
    ]


@pytest.mark.parametrize("name, module, inputs", _every_layer(), ids=[c[0] for c in _every_layer()])
def test_every_layer_of_the_package_passes(name: str, module: Module, inputs: tuple) -> None:
    assert unlisted_submodules(module) == []
    result = gradcheck(module, *inputs)
    assert result.passed, result


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


@pytest.mark.parametrize(
    ("module", "x", "h", "match"),
    [
        (Linear(3, 2), np.ones((2, 3)), 0.0, "h=0.0 must be a finite step > 0"),
        (Linear(3, 2), np.ones((2, 3)), -1e-6, "must be a finite step > 0"),
        (Linear(3, 2), np.ones((2, 3)), float("inf"), "must be a finite step > 0"),
        (lambda x: x, np.ones((2, 3)), 1e-6, "module is a function, not a msdn_numpy Module"),
        (Linear(3, 2), np.ones((0, 3)), 1e-6, r"x is empty \(shape \(0, 3\)\)"),
        (Linear(3, 2), [["a", "b", "c"]], 1e-6, "x must be an array of numbers"),
    ],
)
def test_gradcheck_refuses_bad_arguments_by_name(module, x, h, match) -> None:
    with pytest.raises(ValueError, match=match):
        gradcheck(module, x, h=h)
