"""Layers: gradient checks, tiny hand-computed cases, the Module contract, PyTorch parity."""

from __future__ import annotations

import re

import numpy as np
import pytest

from msdn_numpy.nn.gradcheck import PASS_BAR, gradcheck
from msdn_numpy.nn.layers import Dropout, Linear, Parallel, ReLU, Reshape, Sequential, Tanh


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random signs times |x| in [0.1, 2), so a step h = 1e-6 never crosses ReLU's kink at 0."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


# -- gradient checks ----------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (4, 3), (2, 5, 3), (3, 2, 3)])
def test_linear_gradcheck(shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    errors = gradcheck(Linear(shape[-1], 4, rng=1), x)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < PASS_BAR, errors


def test_relu_gradcheck() -> None:
    x = _away_from_zero(np.random.default_rng(0), (3, 4, 5))
    assert np.abs(x).min() >= 0.1
    errors = gradcheck(ReLU(), x)
    assert errors["x"] < PASS_BAR, errors


def test_tanh_gradcheck_and_hand_values() -> None:
    x = 3.0 * np.random.default_rng(1).standard_normal((3, 4, 5))  # well into the saturating range too
    errors = gradcheck(Tanh(), x)
    assert errors["x"] < PASS_BAR, errors
    layer = Tanh()
    out = layer.forward(np.array([0.0, np.log(3.0)]))  # tanh(ln 3) = (9 - 1) / (9 + 1) = 0.8
    np.testing.assert_allclose(out, [0.0, 0.8], atol=1e-15)
    np.testing.assert_allclose(layer.backward(np.array([2.0, 1.0])), [2.0, 1 - 0.64], atol=1e-15)


def test_dropout_gradcheck_training() -> None:
    layer = Dropout(0.4, rng=3)
    x = np.random.default_rng(0).standard_normal((4, 6))
    errors = gradcheck(layer, x)
    assert errors["x"] < PASS_BAR, errors


def test_dropout_gradcheck_eval() -> None:
    layer = Dropout(0.4, rng=3).eval()
    x = np.random.default_rng(0).standard_normal((4, 6))
    assert gradcheck(layer, x)["x"] < PASS_BAR
    np.testing.assert_array_equal(layer.backward(np.arange(24.0).reshape(4, 6)), np.arange(24.0).reshape(4, 6))


def test_reshape_gradcheck() -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    layer = Reshape(4, 3)
    assert layer.forward(x).shape == (2, 4, 3)
    assert gradcheck(layer, x)["x"] < PASS_BAR


def test_sequential_gradcheck() -> None:
    model = Sequential(Linear(5, 7, rng=0), ReLU(), Linear(7, 3, rng=1))
    x = np.random.default_rng(2).standard_normal((4, 5))
    errors = gradcheck(model, x)
    assert set(errors) == {"x", "0.W", "0.b", "2.W", "2.b"}
    assert max(errors.values()) < PASS_BAR, errors


def test_parallel_gradcheck() -> None:
    model = Parallel([Linear(4, 3, rng=0), Linear(4, 2, rng=1)], axis=-1)
    x = np.random.default_rng(2).standard_normal((5, 4))
    assert model.forward(x).shape == (5, 5)
    errors = gradcheck(model, x)
    assert set(errors) == {"x", "0.W", "0.b", "1.W", "1.b"}
    assert max(errors.values()) < PASS_BAR, errors


# -- tiny hand-computed forward (and backward) cases --------------------------------


def test_linear_hand_case() -> None:
    layer = Linear(2, 2)
    layer.params["W"][...] = [[1.0, 2.0], [3.0, 4.0]]
    layer.params["b"][...] = [0.5, -1.0]
    x = np.array([[1.0, -1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(layer.forward(x), [[-1.5, -3.0], [2.5, 3.0]])
    dx = layer.backward(np.array([[1.0, 0.0], [0.0, 2.0]]))
    np.testing.assert_array_equal(dx, [[1.0, 3.0], [4.0, 8.0]])  # dout W^T
    np.testing.assert_array_equal(layer.grads["W"], [[1.0, 4.0], [-1.0, 0.0]])  # x^T dout
    np.testing.assert_array_equal(layer.grads["b"], [1.0, 2.0])


def test_relu_hand_case() -> None:
    layer = ReLU()
    np.testing.assert_array_equal(layer.forward(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(layer.backward(np.array([5.0, 6.0, 7.0])), [0.0, 0.0, 7.0])


def test_parallel_hand_case_sums_input_gradients() -> None:
    a, b = Linear(1, 1), Linear(1, 1)
    a.params["W"][...], a.params["b"][...] = 2.0, 0.0
    b.params["W"][...], b.params["b"][...] = -3.0, 1.0
    model = Parallel([a, b], axis=1)
    np.testing.assert_array_equal(model.forward(np.array([[1.0]])), [[2.0, -2.0]])
    # dx = 1 * 2 + 10 * (-3)
    np.testing.assert_array_equal(model.backward(np.array([[1.0, 10.0]])), [[-28.0]])


# -- Dropout --------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_preserves_mean(p: float) -> None:
    n = 200_000
    out = Dropout(p, rng=0).forward(np.ones(n))
    # each entry is 0 or 1/(1-p); its standard deviation is sqrt(p/(1-p))
    std_of_mean = np.sqrt(p / (1.0 - p) / n)
    assert abs(out.mean() - 1.0) < 5 * std_of_mean
    assert set(np.unique(out)) == {0.0, 1.0 / (1.0 - p)}
    assert abs((out == 0).mean() - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_dropout_eval_is_identity() -> None:
    layer = Dropout(0.5, rng=0)
    layer.eval()
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(layer.forward(x), x)


def test_dropout_seeded_reproducible() -> None:
    x = np.ones((10, 10))
    np.testing.assert_array_equal(Dropout(0.5, rng=4).forward(x), Dropout(0.5, rng=4).forward(x))
    assert not np.array_equal(Dropout(0.5, rng=4).forward(x), Dropout(0.5, rng=5).forward(x))


def test_dropout_backward_uses_forward_mask() -> None:
    layer = Dropout(0.5, rng=1)
    out = layer.forward(np.ones((6, 6)))
    np.testing.assert_array_equal(layer.backward(np.ones((6, 6))), out)


def test_dropout_rejects_bad_p() -> None:
    with pytest.raises(ValueError, match="p must be"):
        Dropout(1.0)


# -- the Module contract -----------------------------------------------------------------


def test_num_parameters_and_names() -> None:
    model = Sequential(Linear(5, 7), ReLU(), Dropout(0.5), Linear(7, 3))
    assert model.num_parameters() == (5 * 7 + 7) + (7 * 3 + 3)
    names = [name for name, _, _ in model.named_parameters()]
    assert names == ["0.W", "0.b", "3.W", "3.b"]
    assert all(g is None for _, _, g in model.named_parameters())  # no backward yet
    nested = Sequential(Parallel([Linear(2, 2), Linear(2, 1)]), Linear(3, 1))
    assert [n for n, _, _ in nested.named_parameters()] == ["0.0.W", "0.0.b", "0.1.W", "0.1.b", "1.W", "1.b"]
    assert nested.num_parameters() == 6 + 3 + 4


def test_to_float32() -> None:
    model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    assert model.dtype == np.float64
    model.to(np.float32)
    assert model.dtype == np.float32
    assert all(p.dtype == np.float32 for _, p, _ in model.named_parameters())
    x = np.ones((2, 3), dtype=np.float32)
    out = model.forward(x)
    assert out.dtype == np.float32
    assert model.backward(np.ones_like(out)).dtype == np.float32


def test_train_eval_propagate() -> None:
    model = Sequential(Linear(3, 3), Sequential(Dropout(0.5), ReLU()))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


@pytest.mark.parametrize("shape", [(2, 4), (4,), (2, 5, 2)])
def test_linear_bad_shape(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"D_in=3.*" + re.escape(str(shape))):
        Linear(3, 2).forward(np.zeros(shape))


@pytest.mark.parametrize("layer", [Linear(2, 2), ReLU(), Dropout(0.5), Reshape(2), Sequential(Linear(2, 2))])
def test_backward_before_forward(layer) -> None:
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 2)))


def test_grads_are_assigned_not_accumulated() -> None:
    layer = Linear(2, 3, rng=0)
    x = np.ones((4, 2))
    for _ in range(2):
        layer.forward(x)
        layer.backward(np.ones((4, 3)))
    np.testing.assert_array_equal(layer.grads["W"], np.full((2, 3), 4.0))


def test_linear_matches_torch(torch) -> None:
    layer = Linear(5, 3, rng=0)
    rng = np.random.default_rng(1)
    x, dout = rng.standard_normal((2, 4, 5)), rng.standard_normal((2, 4, 3))
    ref = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.params["W"].T))
        ref.bias.copy_(torch.from_numpy(layer.params["b"]))
    xt = torch.from_numpy(x).requires_grad_(True)
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(dout))
    out = layer.forward(x)
    dx = layer.backward(dout)
    tol = dict(rtol=0, atol=1e-12)
    np.testing.assert_allclose(out, out_t.detach().numpy(), **tol)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol)
    np.testing.assert_allclose(layer.grads["W"], ref.weight.grad.numpy().T, **tol)
    np.testing.assert_allclose(layer.grads["b"], ref.bias.grad.numpy(), **tol)
