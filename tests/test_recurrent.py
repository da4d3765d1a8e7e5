"""LSTM: gradient checks over seeded configurations, a hand-computed step, PyTorch parity."""

from __future__ import annotations

import re

import numpy as np
import pytest

from msdn_numpy.nn.gradcheck import PASS_BAR, gradcheck
from msdn_numpy.nn.recurrent import LSTM, lstm_step_backward, lstm_step_forward

# (N, T, D_in, H): odd sizes, T = 1 (no recurrence) up to 5, H = 1 up to 5.
CONFIGS = [(1, 1, 1, 1), (2, 3, 4, 5), (3, 5, 6, 2), (1, 4, 3, 3), (2, 2, 1, 4), (3, 5, 2, 1)]


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("seed,config", list(enumerate(CONFIGS)))
def test_lstm_gradcheck(seed: int, config: tuple[int, int, int, int]) -> None:
    N, T, D, H = config
    x = np.random.default_rng(seed).standard_normal((N, T, D))
    errors = gradcheck(LSTM(D, H, rng=seed), x, seed=seed)
    assert set(errors) == {"x", "W_x", "W_h", "b"}
    assert max(errors.values()) < PASS_BAR, errors


def test_lstm_gradcheck_large_weights_saturating_gates() -> None:
    # Weights ×3 push the gates towards saturation, where σ' and tanh' are tiny.
    lstm = LSTM(3, 4, rng=7)
    for p in lstm.params.values():
        p *= 3.0
    x = np.random.default_rng(7).standard_normal((2, 4, 3))
    errors = gradcheck(lstm, x)
    assert max(errors.values()) < PASS_BAR, errors


def test_lstm_hand_computed_two_steps() -> None:
    # D_in = H = 1: every matrix is a row of four numbers [i, f, g, o].
    lstm = LSTM(1, 1)
    lstm.params["W_x"][...] = [[0.5, -0.3, 0.8, 0.1]]
    lstm.params["W_h"][...] = [[0.2, 0.4, -0.6, 0.7]]
    lstm.params["b"][...] = [0.1, 0.2, -0.1, 0.0]
    x = np.array([[[1.0], [-2.0]]])
    h = lstm.forward(x)

    c, hp = 0.0, 0.0
    expected = []
    for xt in (1.0, -2.0):
        i = _sigmoid(0.5 * xt + 0.2 * hp + 0.1)
        f = _sigmoid(-0.3 * xt + 0.4 * hp + 0.2)
        g = np.tanh(0.8 * xt - 0.6 * hp - 0.1)
        o = _sigmoid(0.1 * xt + 0.7 * hp + 0.0)
        c = f * c + i * g
        hp = o * np.tanh(c)
        expected.append(hp)
    assert h.shape == (1, 2, 1)
    np.testing.assert_allclose(h.ravel(), expected, rtol=0, atol=1e-15)
    # first step by hand: i = σ(0.6), g = tanh(0.7), o = σ(0.1), c = i g, h = o tanh(c)
    assert h[0, 0, 0] == pytest.approx(_sigmoid(0.1) * np.tanh(_sigmoid(0.6) * np.tanh(0.7)), abs=1e-15)


def test_lstm_zero_input_zero_params_gives_zero() -> None:
    lstm = LSTM(3, 2)
    for p in lstm.params.values():
        p[...] = 0.0
    # all gates 1/2, g = 0 → c stays 0 → h stays 0
    np.testing.assert_array_equal(lstm.forward(np.ones((2, 4, 3))), np.zeros((2, 4, 2)))


def test_lstm_is_causal() -> None:
    # Changing x at step 3 must leave h at steps 0..2 untouched.
    lstm = LSTM(2, 3, rng=1)
    x = np.random.default_rng(1).standard_normal((2, 5, 2))
    h1 = lstm.forward(x)
    x2 = x.copy()
    x2[:, 3] += 1.0
    h2 = lstm.forward(x2)
    np.testing.assert_array_equal(h1[:, :3], h2[:, :3])
    assert not np.allclose(h1[:, 3:], h2[:, 3:])


def test_lstm_parameter_count_and_init_bound() -> None:
    D, H = 7, 5
    lstm = LSTM(D, H, rng=0)
    assert lstm.num_parameters() == 4 * (D * H + H * H + H)
    assert lstm.params["W_x"].shape == (D, 4 * H)
    assert lstm.params["W_h"].shape == (H, 4 * H)
    assert lstm.params["b"].shape == (4 * H,)
    for p in lstm.params.values():
        assert np.abs(p).max() <= 1.0 / np.sqrt(H)
    # seeded: the same seed gives the same weights
    np.testing.assert_array_equal(LSTM(D, H, rng=3).params["W_h"], LSTM(D, H, rng=3).params["W_h"])


def test_lstm_keeps_float32() -> None:
    lstm = LSTM(3, 4, rng=0).to(np.float32)
    x = np.random.default_rng(0).standard_normal((2, 3, 3)).astype(np.float32)
    h = lstm.forward(x)
    dx = lstm.backward(np.ones_like(h))
    assert h.dtype == np.float32 and dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in lstm.grads.values())


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 5), (2, 3, 4, 1)])
def test_lstm_bad_input_names_shapes(shape: tuple[int, ...]) -> None:
    lstm = LSTM(4, 2)
    with pytest.raises(ValueError, match=r"\(N, T, D_in=4\).*" + re.escape(str(shape))):
        lstm.forward(np.zeros(shape))


def test_lstm_bad_dout_shape() -> None:
    lstm = LSTM(4, 2)
    lstm.forward(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"\(2, 3, 2\).*\(2, 3, 3\)"):
        lstm.backward(np.zeros((2, 3, 3)))


def test_lstm_backward_before_forward() -> None:
    with pytest.raises(RuntimeError, match="before forward"):
        LSTM(2, 3).backward(np.zeros((1, 1, 3)))


@pytest.mark.parametrize("N,T,D,H", [(1, 1, 1, 1), (3, 5, 4, 6), (2, 7, 3, 2)])
def test_lstm_matches_torch(N: int, T: int, D: int, H: int, torch) -> None:
    lstm = LSTM(D, H, rng=N + T)
    rng = np.random.default_rng(T)
    x = rng.standard_normal((N, T, D))
    dout = rng.standard_normal((N, T, H))

    ref = torch.nn.LSTM(D, H, batch_first=True).double()
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.from_numpy(lstm.params["W_x"].T))
        ref.weight_hh_l0.copy_(torch.from_numpy(lstm.params["W_h"].T))
        ref.bias_ih_l0.copy_(torch.from_numpy(lstm.params["b"]))
        ref.bias_hh_l0.zero_()
    xt = torch.from_numpy(x).requires_grad_(True)
    ht, _ = ref(xt)  # h0 = c0 = 0 by default
    ht.backward(torch.from_numpy(dout))

    h = lstm.forward(x)
    dx = lstm.backward(dout)
    tol = dict(rtol=0, atol=1e-10)
    np.testing.assert_allclose(h, ht.detach().numpy(), **tol)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol)
    np.testing.assert_allclose(lstm.grads["W_x"], ref.weight_ih_l0.grad.numpy().T, **tol)
    np.testing.assert_allclose(lstm.grads["W_h"], ref.weight_hh_l0.grad.numpy().T, **tol)
    # one bias here, two in PyTorch: both of theirs get the same gradient, equal to ours
    np.testing.assert_allclose(lstm.grads["b"], ref.bias_ih_l0.grad.numpy(), **tol)
    np.testing.assert_allclose(lstm.grads["b"], ref.bias_hh_l0.grad.numpy(), **tol)


def _steps_forward(lstm: LSTM, x: np.ndarray) -> tuple[np.ndarray, list]:
    """The sequence walked one :func:`lstm_step_forward` at a time."""
    N, T, _ = x.shape
    h = c = np.zeros((N, lstm.H))
    hs, caches = [], []
    for t in range(T):
        h, c, cache = lstm_step_forward(x[:, t], h, c, lstm.params["W_x"], lstm.params["W_h"], lstm.params["b"])
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), caches


@pytest.mark.parametrize("config", CONFIGS)
def test_step_functions_chained_are_the_layer(config: tuple[int, int, int, int]) -> None:
    N, T, D, H = config
    rng = np.random.default_rng(sum(config))
    lstm = LSTM(D, H, rng=1)
    x, dout = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    hs, caches = _steps_forward(lstm, x)
    np.testing.assert_allclose(hs, lstm.forward(x), rtol=1e-13, atol=1e-14)
    dx_layer = lstm.backward(dout)
    # BPTT, one step at a time: h_t gets its own dout plus dh_prev of step t+1; c_t gets dc_prev of step t+1.
    dx = np.zeros_like(x)
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    grads = {k: np.zeros_like(v) for k, v in lstm.params.items()}
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, dW_x, dW_h, db = lstm_step_backward(dout[:, t] + dh_next, dc_next, caches[t])
        for k, g in zip(("W_x", "W_h", "b"), (dW_x, dW_h, db)):
            grads[k] += g
    np.testing.assert_allclose(dx, dx_layer, rtol=1e-12, atol=1e-14)
    for k, g in grads.items():
        np.testing.assert_allclose(g, lstm.grads[k], rtol=1e-12, atol=1e-14)


def test_step_backward_against_finite_differences() -> None:
    """Every output of lstm_step_backward, including dh_prev and dc_prev, by central differences."""
    from msdn_numpy.nn.gradcheck import numerical_gradient, rel_error

    rng = np.random.default_rng(5)
    N, D, H = 3, 4, 2
    args = [rng.standard_normal(s) for s in ((N, D), (N, H), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,))]
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))

    def s() -> float:
        h, c, _ = lstm_step_forward(*args)
        return float(np.sum(h * dh) + np.sum(c * dc))

    analytic = lstm_step_backward(dh, dc, lstm_step_forward(*args)[2])
    names = ("dx", "dh_prev", "dc_prev", "dW_x", "dW_h", "db")  # in the order of the arguments x .. b
    for name, grad, arg in zip(names, analytic, args):
        assert rel_error(grad, numerical_gradient(s, arg)) < PASS_BAR, name
