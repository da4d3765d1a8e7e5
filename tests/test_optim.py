"""SGD and Adam: single steps against the written-out formulas, PyTorch, and a least-squares fit.

Every test runs twice, on the readable optimisers (``nn.optim``) and on their flat-vector twins
(``nn.fast.optim``): the fast ones must give the same numbers, to the last bit.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from msdn_numpy.nn.fast.optim import FlatAdam, FlatSGD
from msdn_numpy.nn.layers import Module
from msdn_numpy.nn.optim import SGD, Adam

IMPLEMENTATIONS = {"readable": SimpleNamespace(SGD=SGD, Adam=Adam), "fast": SimpleNamespace(SGD=FlatSGD, Adam=FlatAdam)}


@pytest.fixture(params=list(IMPLEMENTATIONS))
def o(request) -> SimpleNamespace:
    """The optimiser classes under test: ``o.SGD``, ``o.Adam`` (readable, then fast)."""
    return IMPLEMENTATIONS[request.param]


class Params(Module):
    """A bare module holding given parameters, whose gradients the test sets by hand."""

    def __init__(self, **params: np.ndarray) -> None:
        super().__init__()
        self.params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}


class LinearModel(Module):
    """``out = A θ`` for a fixed matrix ``A (M, P)``; ``θ (P,)`` is the only parameter."""

    def __init__(self, P: int) -> None:
        super().__init__()
        self.params["theta"] = np.zeros(P)

    def forward(self, A: np.ndarray) -> np.ndarray:
        self._cache = A
        return A @ self.params["theta"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        A = self._cached()
        self.grads["theta"] = A.T @ dout
        return np.outer(dout, self.params["theta"])


THETA0 = np.array([1.0, -2.0, 0.5])
GRADS = [np.array([0.5, 0.25, -1.0]), np.array([-0.3, 0.2, 0.1]), np.array([0.05, -0.4, 0.7])]


# -- one or two steps against the formula ---------------------------------------


def test_sgd_plain_step(o) -> None:
    m = Params(theta=THETA0)
    m.grads["theta"] = GRADS[0].copy()
    o.SGD(m, lr=0.1).step()
    np.testing.assert_allclose(m.params["theta"], THETA0 - 0.1 * GRADS[0], rtol=0, atol=1e-15)


def test_sgd_momentum_and_weight_decay_two_steps(o) -> None:
    lr, mu, wd = 0.1, 0.9, 0.01
    m = Params(theta=THETA0)
    opt = o.SGD(m, lr=lr, momentum=mu, weight_decay=wd)
    theta, v = THETA0.copy(), np.zeros(3)
    for g in GRADS[:2]:
        m.grads["theta"] = g.copy()
        opt.step()
        v = mu * v + (g + wd * theta)  # v ← μ v + (g + λ θ)
        theta = theta - lr * v
        np.testing.assert_allclose(m.params["theta"], theta, rtol=0, atol=1e-15)
    # the first step has no history: exactly θ0 - lr (g + λ θ0)
    first = THETA0 - lr * (GRADS[0] + wd * THETA0)
    v1 = GRADS[0] + wd * THETA0
    np.testing.assert_allclose(first - lr * (mu * v1 + GRADS[1] + wd * first), theta, rtol=0, atol=1e-15)


def test_sgd_updates_in_place(o) -> None:
    m = Params(theta=THETA0)
    before = m.params["theta"]
    m.grads["theta"] = GRADS[0].copy()
    o.SGD(m, lr=0.1).step()
    assert m.params["theta"] is before  # layers keep referencing the same array


def test_adam_first_step_is_sign_step(o) -> None:
    # After one step m̂ = g and v̂ = g² exactly (bias correction), so θ moves by lr g / (|g| + ε).
    lr, eps, wd = 0.01, 1e-8, 0.1
    m = Params(theta=THETA0)
    m.grads["theta"] = GRADS[0].copy()
    o.Adam(m, lr=lr, eps=eps, weight_decay=wd).step()
    g = GRADS[0] + wd * THETA0
    np.testing.assert_allclose(m.params["theta"], THETA0 - lr * g / (np.abs(g) + eps), rtol=0, atol=1e-15)


def test_adam_three_steps_formula(o) -> None:
    lr, (b1, b2), eps, wd = 0.05, (0.8, 0.95), 1e-6, 0.02
    m = Params(theta=THETA0)
    opt = o.Adam(m, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    theta, mom, vel = THETA0.copy(), np.zeros(3), np.zeros(3)
    for t, grad in enumerate(GRADS, start=1):
        m.grads["theta"] = grad.copy()
        opt.step()
        g = grad + wd * theta
        mom = b1 * mom + (1 - b1) * g
        vel = b2 * vel + (1 - b2) * g * g
        m_hat, v_hat = mom / (1 - b1**t), vel / (1 - b2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(m.params["theta"], theta, rtol=0, atol=1e-14)
    assert opt.t == 3


def test_state_kept_per_parameter_name(o) -> None:
    m = Params(a=[1.0], b=[1.0, 2.0])
    m.grads = {"a": np.array([1.0]), "b": np.array([0.0, 0.0])}
    opt = o.SGD(m, lr=1.0, momentum=0.5)
    opt.step()
    opt.step()
    # a: v1 = 1, v2 = 1.5 → 1 - 1 - 1.5; b never moves
    np.testing.assert_allclose(m.params["a"], [-1.5], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(m.params["b"], [1.0, 2.0])
    assert set(opt.state) == {"a", "b"}


# -- bit for bit the equations, parameter by parameter (the fast ones on flat vectors too) --


def _adam_by_parameter(params: dict, grads: list[dict], lr, b1, b2, eps, wd) -> dict:
    """Adam written out per parameter, in ``nn.optim.Adam``'s order of operations (the reference)."""
    params = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    for t, step_grads in enumerate(grads, start=1):
        for k, p in params.items():
            if k not in step_grads:
                continue
            g = step_grads[k] + wd * p if wd else step_grads[k]
            m[k] = b1 * m[k] + (1.0 - b1) * g
            v[k] = b2 * v[k] + (1.0 - b2) * g * g
            params[k] = p - (lr / (1.0 - b1**t)) * m[k] / (np.sqrt(v[k] / (1.0 - b2**t)) + eps)
    return params


@pytest.mark.parametrize("wd", [0.0, 0.01])
def test_adam_bitwise_equal_to_the_per_parameter_equations(o, wd: float) -> None:
    """Several shapes and both float dtypes in one module: the flat vectors must not mix them up."""
    rng = np.random.default_rng(3)
    shapes = {"W": (4, 3), "b": (3,), "c": (2, 1, 5), "s": (1,)}
    start = {k: rng.standard_normal(sh) for k, sh in shapes.items()}
    start["b"] = start["b"].astype(np.float32)  # two dtypes: one set of flat vectors each
    start["s"] = start["s"].astype(np.float32)
    grads = [{k: (3 * rng.standard_normal(p.shape)).astype(p.dtype) for k, p in start.items()} for _ in range(5)]
    m = Params()
    m.params = {k: v.copy() for k, v in start.items()}
    opt = o.Adam(m, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=wd)
    for g in grads:
        m.grads = {k: v.copy() for k, v in g.items()}
        opt.step()
    expected = _adam_by_parameter(start, grads, 0.01, 0.8, 0.99, 1e-6, wd)
    for k in start:
        assert m.params[k].dtype == start[k].dtype
        np.testing.assert_array_equal(m.params[k], expected[k].astype(start[k].dtype))
        assert opt.state[k]["m"].shape == start[k].shape


def test_sgd_bitwise_equal_to_the_per_parameter_equations(o) -> None:
    rng = np.random.default_rng(4)
    start = {"W": rng.standard_normal((3, 2)).astype(np.float32), "b": rng.standard_normal(2).astype(np.float32)}
    m = Params()
    m.params = {k: v.copy() for k, v in start.items()}
    opt = o.SGD(m, lr=0.1, momentum=0.9, weight_decay=0.01)
    theta = {k: v.copy() for k, v in start.items()}
    vel = {k: np.zeros_like(v) for k, v in start.items()}
    for _ in range(4):
        m.grads = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in start.items()}
        opt.step()
        for k in theta:
            vel[k] = 0.9 * vel[k] + (m.grads[k] + 0.01 * theta[k])
            theta[k] = theta[k] - 0.1 * vel[k]
            np.testing.assert_array_equal(m.params[k], theta[k])


def test_adam_updates_in_place_and_follows_replaced_arrays(o) -> None:
    m = Params(theta=THETA0)
    opt = o.Adam(m, lr=0.1)
    m.grads["theta"] = GRADS[0].copy()
    before = m.params["theta"]
    opt.step()
    assert m.params["theta"] is before  # in place
    m.params["theta"] = before.copy()  # e.g. restored from a copy: the new array is the one updated
    replaced = m.params["theta"]
    m.grads["theta"] = GRADS[1].copy()
    opt.step()
    assert m.params["theta"] is replaced and not np.array_equal(replaced, before)


def test_parameters_added_later_start_from_zero_state(o) -> None:
    """A parameter that appears after some steps gets zero moments; the others keep theirs."""
    m = Params(a=[1.0, 2.0])
    opt = o.Adam(m, lr=0.1)
    for g in GRADS[:2]:
        m.grads = {"a": g[:2].copy()}
        opt.step()
    m_a = opt.state["a"]["m"].copy()
    m.params["b"] = np.array([5.0])
    m.grads = {"a": GRADS[2][:2].copy(), "b": np.array([0.5])}
    opt.step()
    np.testing.assert_allclose(opt.state["a"]["m"], 0.9 * m_a + 0.1 * GRADS[2][:2], rtol=0, atol=1e-15)
    np.testing.assert_allclose(opt.state["b"]["m"], [0.1 * 0.5], rtol=0, atol=1e-15)  # from zero
    assert opt.state["b"]["v"].shape == (1,)


def test_state_set_by_hand_is_used(o) -> None:
    """``opt.state[name] = {...}`` before a step (as exercise 7's checker does) is the state that step uses."""
    m = Params(theta=THETA0)
    opt = o.Adam(m, lr=0.1, betas=(0.5, 0.5), eps=0.0)
    opt.state["theta"] = {"m": np.full(3, 2.0), "v": np.full(3, 4.0)}
    opt.t = 1
    m.grads["theta"] = np.zeros(3)
    opt.step()  # t = 2: m = 1, v = 2, m̂ = 4/3, v̂ = 8/3
    np.testing.assert_allclose(opt.state["theta"]["m"], 1.0)
    np.testing.assert_allclose(m.params["theta"], THETA0 - 0.1 * (4 / 3) / np.sqrt(8 / 3), rtol=0, atol=1e-15)
    opt.state["theta"] = {"m": np.zeros(3), "v": np.ones(3)}  # replaced again after a step
    opt.step()  # t = 3: m = 0 → no move
    np.testing.assert_array_equal(opt.state["theta"]["m"], 0.0)


# -- PyTorch as oracle -------------------------------------------------------------------


def _torch_run(torch, opt_cls, steps: int, **kwargs) -> np.ndarray:
    p = torch.nn.Parameter(torch.from_numpy(THETA0.copy()))
    opt = opt_cls([p], **kwargs)
    for g in GRADS[:steps]:
        p.grad = torch.from_numpy(g.copy())
        opt.step()
    return p.detach().numpy()


@pytest.mark.parametrize("steps", [2, 3])
@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_adam_matches_torch(o, steps: int, wd: float, torch) -> None:
    kwargs = dict(lr=0.03, betas=(0.85, 0.99), eps=1e-7, weight_decay=wd)
    expected = _torch_run(torch, torch.optim.Adam, steps, **kwargs)
    m = Params(theta=THETA0)
    opt = o.Adam(m, **kwargs)
    for g in GRADS[:steps]:
        m.grads["theta"] = g.copy()
        opt.step()
    np.testing.assert_allclose(m.params["theta"], expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize("wd", [0.0, 0.05])
def test_sgd_momentum_matches_torch(o, wd: float, torch) -> None:
    kwargs = dict(lr=0.2, momentum=0.9, weight_decay=wd)
    expected = _torch_run(torch, torch.optim.SGD, 3, **kwargs)
    m = Params(theta=THETA0)
    opt = o.SGD(m, **kwargs)
    for g in GRADS:
        m.grads["theta"] = g.copy()
        opt.step()
    np.testing.assert_allclose(m.params["theta"], expected, rtol=0, atol=1e-14)


# -- convergence on 0.5 ||A θ - y||² ------------------------------------------------------


def _least_squares_problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((12, 4))
    y = rng.standard_normal(12)
    return A, y, np.linalg.lstsq(A, y, rcond=None)[0]


@pytest.mark.parametrize(
    "make_opt,steps",
    [
        (lambda o, m, L: o.SGD(m, lr=1.0 / L), 2000),
        (lambda o, m, L: o.SGD(m, lr=0.5 / L, momentum=0.9), 500),
        (lambda o, m, L: o.Adam(m, lr=0.01), 3000),
    ],
    ids=["sgd", "sgd-momentum", "adam"],
)
def test_optimisers_reach_least_squares_solution(o, make_opt, steps: int) -> None:
    A, y, theta_star = _least_squares_problem()
    model = LinearModel(A.shape[1])
    L = np.linalg.eigvalsh(A.T @ A).max()  # Lipschitz constant of the gradient
    opt = make_opt(o, model, L)
    for _ in range(steps):
        r = model.forward(A) - y  # d/d(out) of 0.5 ||out - y||²
        model.backward(r)
        opt.step()
    np.testing.assert_allclose(model.params["theta"], theta_star, rtol=0, atol=1e-8)
    assert np.abs(theta_star).max() > 0.1  # started at 0, so it really moved


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("opt_cls", [SGD, Adam, FlatSGD, FlatAdam])
@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan")])
def test_invalid_lr_raises(opt_cls, lr: float) -> None:
    with pytest.raises(ValueError, match="learning rate"):
        opt_cls(Params(theta=THETA0), lr=lr)


def test_invalid_momentum_and_weight_decay_raise(o) -> None:
    with pytest.raises(ValueError, match="momentum"):
        o.SGD(Params(theta=THETA0), lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        o.Adam(Params(theta=THETA0), weight_decay=-1.0)


def test_step_without_gradient_raises(o) -> None:
    with pytest.raises(RuntimeError, match="no gradient"):
        o.Adam(Params(theta=THETA0)).step()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\)"),
        (dict(betas=(0.9, -0.1)), r"betas\[1\] must be in \[0, 1\)"),
        (dict(betas=(0.9,)), "a pair"),
        (dict(eps=-1e-8), "eps"),
    ],
)
def test_adam_refuses_bad_betas_and_eps_by_name(o, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        o.Adam(Params(theta=THETA0), **kwargs)


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5])
def test_sgd_refuses_momentum_outside_0_1(o, momentum) -> None:
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        o.SGD(Params(theta=THETA0), lr=0.1, momentum=momentum)


def test_an_optimiser_needs_a_module(o) -> None:
    with pytest.raises(TypeError, match="not a msdn_numpy Module"):
        o.Adam([np.zeros(3)])
