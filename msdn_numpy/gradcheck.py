"""Gradient checking: compare a layer's analytic gradients with finite differences.

For any module ``f`` with a forward and a backward pass, pick a random upstream
gradient ``dout`` and define the scalar ``s(x, θ) = sum(f(x; θ) * dout)``. Then
``∂s/∂x`` is exactly what ``f.backward(dout)`` must return, and ``∂s/∂θ`` is what
it must store in ``f.grads``. Each entry is also estimated by central differences

    ∂s/∂v_i  ≈  (s(v_i + h) - s(v_i - h)) / (2 h),        h = 1e-6,

whose error is O(h²) from truncation plus O(ε/h) from rounding (ε ≈ 1e-16 in float64),
so about 1e-10 relative: far below the 1e-7 passing bar. In float32 (ε ≈ 1e-7) the
rounding term alone would be ~0.1, which is why checks run in float64.

The relative error of one tensor is

    rel = max_i |a_i - n_i| / max( max_i (|a_i| + |n_i|), 1e-12 )

(``a`` analytic, ``n`` numeric): it is scale-free, and normalising by the largest
entry rather than entry by entry keeps near-zero entries from dominating.

A random ``dout`` (never all ones) is used so that errors cannot cancel out in a sum.
Layers that draw random numbers (Dropout) get their generators rewound before every
forward pass, so each evaluation sees the same mask.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .layers import Module

PASS_BAR = 1e-7


def rel_error(a: np.ndarray, n: np.ndarray) -> float:
    """``max|a - n| / max(max(|a| + |n|), 1e-12)`` for two arrays of the same shape."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {n.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n)) / max(float(np.max(np.abs(a) + np.abs(n))), 1e-12))


def _generator_states(module: Module) -> list[tuple[np.random.Generator, dict]]:
    """Snapshot every ``np.random.Generator`` held by the module tree."""
    states = []
    for m in module.modules():
        for value in vars(m).values():
            if isinstance(value, np.random.Generator):
                states.append((value, copy.deepcopy(value.bit_generator.state)))
    return states


def _rewind(states: list[tuple[np.random.Generator, dict]]) -> None:
    for gen, state in states:
        gen.bit_generator.state = copy.deepcopy(state)


def numerical_gradient(f: Any, v: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f()`` w.r.t. array ``v``.

    ``v`` is perturbed in place, one entry at a time, and restored exactly.
    Returns an array of ``v``'s shape.
    """
    grad = np.zeros(v.shape, dtype=np.float64)
    flat = v.reshape(-1)  # a view: writing to it perturbs v
    if not np.shares_memory(flat, v):
        raise ValueError("numerical_gradient needs a contiguous array to perturb in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        grad.reshape(-1)[i] = (plus - minus) / (2.0 * h)
    return grad


def gradcheck(
    module: Module,
    x: np.ndarray,
    *args: Any,
    dout: np.ndarray | None = None,
    h: float = 1e-6,
    seed: int = 0,
    check_input: bool = True,
    verbose: bool = False,
) -> dict[str, float]:
    """Check every analytic gradient of ``module`` against central differences.

    Parameters
    ----------
    module : Module
        A layer, a container, a loss or a whole model. Its parameters must be float64.
    x : np.ndarray
        The input (float64), differentiated when ``check_input`` is true.
    *args
        Extra forward arguments that are not differentiated (e.g. the targets of a loss).
    dout : np.ndarray, optional
        Upstream gradient with the output's shape; random normal (seeded) by default.
    h : float
        Finite-difference step.
    seed : int
        Seed for the random ``dout``.
    check_input : bool
        Also check ``dx`` (set ``False`` when the input is discrete).
    verbose : bool
        Print one line per tensor.

    Returns
    -------
    dict[str, float]
        Relative error per tensor: ``"x"`` for the input, then each parameter by its
        qualified name (``"0.W"``, ``"encoder.0.b"``, ...). Every value should be
        below ``PASS_BAR = 1e-7``.

    Examples
    --------
    >>> import numpy as np
    >>> from msdn_numpy import Conv1D, gradcheck
    >>> x = np.random.default_rng(0).standard_normal((2, 3, 7))
    >>> errors = gradcheck(Conv1D(3, 4, kernel_size=3, padding="same"), x)
    >>> max(errors.values()) < 1e-7
    True
    """
    x = np.array(x, dtype=np.float64)  # our own copy: the caller's array is never touched
    if module.dtype != np.float64:
        raise ValueError(
            f"gradcheck needs float64 parameters, got {module.dtype}: call module.to(np.float64) first "
            "(float32 rounding error ~1e-7 would swamp the check)"
        )
    states = _generator_states(module)

    # 1. the analytic gradients from one forward + backward
    _rewind(states)
    out = module.forward(x, *args)
    if dout is None:
        dout = np.random.default_rng(seed).standard_normal(np.shape(out))
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != np.shape(out):
        raise ValueError(f"gradcheck: dout has shape {dout.shape} but the output has shape {np.shape(out)}")
    dx = module.backward(dout)
    analytic = {"x": np.array(dx, dtype=np.float64)} if check_input else {}
    params = list(module.named_parameters())
    for name, _, grad in params:
        if grad is None:
            raise RuntimeError(f"gradcheck: backward() did not set a gradient for parameter '{name}'")
        analytic[name] = np.array(grad, dtype=np.float64)

    # 2. the numerical ones, perturbing one entry at a time
    def s() -> float:
        _rewind(states)
        return float(np.sum(module.forward(x, *args) * dout))

    numeric = {}
    if check_input:
        numeric["x"] = numerical_gradient(s, x, h)
    for name, p, _ in params:
        numeric[name] = numerical_gradient(s, p, h)

    errors = {name: rel_error(analytic[name], numeric[name]) for name in analytic}
    if verbose:
        for name, err in errors.items():
            verdict = "ok" if err < PASS_BAR else "FAIL"
            print(f"{type(module).__name__:>14s} {name:<24s} rel. error {err:.2e}  {verdict}")
    return errors
