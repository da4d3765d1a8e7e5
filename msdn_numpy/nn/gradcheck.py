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

What :func:`gradcheck` refuses, before any arithmetic (each a ``ValueError`` naming the
parameter or attribute): a sub-layer that ``children()`` does not list (its parameters
would silently go unchecked), a parameter that is not float64, a parameter that is not
C-contiguous. What it fails (``passed`` false): a relative error at or above
``PASS_BAR`` on any tensor, and a backward that *accumulates* into ``grads`` instead of
assigning them (forward + backward run twice must give the same gradients).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from msdn_numpy.nn.layers import Module

#: A gradient passes when its relative error (below) is under this bar, in float64.
PASS_BAR = 1e-7


def rel_error(a: np.ndarray, n: np.ndarray) -> float:
    """``max|a - n| / max(max(|a| + |n|), 1e-12)`` for two arrays of the same shape."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {n.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n)) / max(float(np.max(np.abs(a) + np.abs(n))), 1e-12))


def _held_modules(value: Any) -> list[tuple[str, Module]]:
    """Modules held by one attribute value: itself, or the items of a list/tuple/dict.

    Returns ``(suffix, module)`` pairs, the suffix being ``""``, ``"[i]"`` or ``"[key]"``.
    """
    if isinstance(value, Module):
        return [("", value)]
    if isinstance(value, (list, tuple)):
        return [(f"[{i}]", v) for i, v in enumerate(value) if isinstance(v, Module)]
    if isinstance(value, dict):
        return [(f"[{k!r}]", v) for k, v in value.items() if isinstance(v, Module)]
    return []


def unlisted_submodules(module: Module) -> list[str]:
    """Sub-modules held as attributes somewhere in the tree but not listed by any ``children()``.

    Walks the tree that ``children()`` describes and, in each module, looks at every
    attribute that is a :class:`Module` or a list, tuple or dict of them. A module that is
    reachable through ``children()`` from the root is fine wherever else it is referenced
    (an alias, shared weights); any other one is reported.

    Returns
    -------
    list of str
        One line per offending attribute, naming it by its path from the root and its
        holder's class, e.g. ``"Block.inner (a Linear) is not listed by Block.children()"``.
        Empty when the tree is complete.
    """
    listed = {id(m) for m in module.modules()}
    problems = []

    def walk(m: Module, path: str) -> None:
        for attr, value in vars(m).items():
            for suffix, sub in _held_modules(value):
                if id(sub) not in listed:
                    where = f"{path}.{attr}{suffix}" if path else f"{type(m).__name__}.{attr}{suffix}"
                    problems.append(f"{where} (a {type(sub).__name__}) is not listed by {type(m).__name__}.children()")
        for name, child in m.children():
            walk(child, f"{path}.{name}" if path else name)

    walk(module, "")
    return problems


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
        raise ValueError(
            f"numerical_gradient needs a C-contiguous array to perturb in place, got strides {v.strides} "
            f"for shape {v.shape}"
        )
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        grad.reshape(-1)[i] = (plus - minus) / (2.0 * h)
    return grad


class GradcheckResult(dict):
    """The relative error of every checked tensor, plus the verdict.

    A ``dict[str, float]`` (``"x"`` for the input, then each parameter by its qualified
    name), so ``max(result.values())`` and ``result["W"]`` work as for a plain dict,
    with these attributes:

    Attributes
    ----------
    passed : bool
        Every error is below ``bar`` and no problem was found.
    worst : str or None
        The tensor with the largest error (``None`` if nothing was checked).
    worst_error : float
        Its relative error.
    bar : float
        The passing bar, :data:`PASS_BAR`.
    problems : list of str
        What failed besides a plain error above the bar, in words (e.g. gradients that
        accumulate over backward calls).
    module : str
        The class name of the checked module.

    ``print(result)`` gives one line per tensor and the verdict.
    """

    def __init__(
        self, errors: dict[str, float], *, bar: float = PASS_BAR, problems: list[str] | None = None, module: str = ""
    ) -> None:
        super().__init__(errors)
        self.bar = bar
        self.problems = list(problems or [])
        self.module = module

    @property
    def worst(self) -> str | None:
        return max(self, key=self.get) if self else None

    @property
    def worst_error(self) -> float:
        return self[self.worst] if self else 0.0

    @property
    def passed(self) -> bool:
        return bool(self) and self.worst_error < self.bar and not self.problems

    def verdict(self) -> str:
        """One line: ``PASS`` or ``FAIL``, the worst tensor and its error, the bar."""
        word = "PASS" if self.passed else "FAIL"
        line = f"{word}: worst rel. error {self.worst_error:.1e} ({self.worst}), bar {self.bar:.0e}"
        return line + "".join(f"; {p}" for p in self.problems)

    def __str__(self) -> str:
        width = max([len(k) for k in self] + [6])
        lines = [f"gradcheck{' ' + self.module if self.module else ''}: {self.verdict()}"]
        for name, err in self.items():
            lines.append(f"  {name:<{width}s}  {err:.2e}  {'ok' if err < self.bar else 'FAIL'}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"GradcheckResult({dict.__repr__(self)}, passed={self.passed}, worst={self.worst!r}, "
            f"bar={self.bar:g}{f', problems={self.problems!r}' if self.problems else ''})"
        )


def _check_parameters(module: Module) -> list[tuple[str, np.ndarray]]:
    """Every parameter of the tree by qualified name, after checking it can be checked.

    Raises ``ValueError`` naming the first offending sub-layer or parameter.
    """
    unlisted = unlisted_submodules(module)
    if unlisted:
        more = f" (and {len(unlisted) - 3} more)" if len(unlisted) > 3 else ""
        raise ValueError(
            "gradcheck: " + "; ".join(unlisted[:3]) + more + ". Their parameters would be neither checked nor trained: "
            "a layer that holds sub-layers must list them all in children() "
            "(see the Module contract in msdn_numpy/nn/layers.py)"
        )
    params = []
    for name, p, _ in module.named_parameters():
        if not isinstance(p, np.ndarray):
            raise ValueError(f"gradcheck: parameter '{name}' is a {type(p).__name__}, not a NumPy array")
        if p.dtype != np.float64:
            raise ValueError(
                f"gradcheck: parameter '{name}' is {p.dtype}; gradcheck needs float64 parameters: "
                "call module.to(np.float64) first (float32 rounding error ~1e-7 would swamp the check)"
            )
        if not p.flags.c_contiguous:
            raise ValueError(
                f"gradcheck: parameter '{name}' (shape {p.shape}, strides {p.strides}) is not C-contiguous, "
                "so it cannot be perturbed in place (and an optimiser's in-place update would not reach "
                "the layer's copy); store it with np.ascontiguousarray in __init__"
            )
        params.append((name, p))
    return params


def _as_gradient(value: Any, what: str, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` as a float64 array of ``shape``, or a ``RuntimeError`` saying what is wrong."""
    if value is None:
        raise RuntimeError(f"gradcheck: {what} is None, expected an array of shape {shape}")
    arr = np.array(value, dtype=np.float64)
    if arr.shape != shape:
        raise RuntimeError(f"gradcheck: {what} has shape {arr.shape} but expected {shape}")
    return arr


def gradcheck(
    module: Module,
    x: np.ndarray,
    *args: Any,
    dout: np.ndarray | None = None,
    h: float = 1e-6,
    seed: int = 0,
    check_input: bool = True,
    verbose: bool = False,
) -> GradcheckResult:
    """Check every analytic gradient of ``module`` against central differences.

    Parameters
    ----------
    module : Module
        A layer, a loss or a whole model (float64 parameters, sub-layers listed by ``children()``).
    x : np.ndarray
        The input (copied as float64), differentiated when ``check_input`` is true.
    *args
        Extra forward arguments that are not differentiated (e.g. the targets of a loss).
    dout : np.ndarray, optional
        Upstream gradient of the output's shape; random normal (seeded by ``seed``) by default.
    h : float
        Finite-difference step, > 0.
    check_input, verbose : bool
        Also check ``dx`` (``False`` when the input is discrete); print the result.

    Returns a :class:`GradcheckResult`: the relative error per tensor (``"x"``, then each
    parameter by qualified name) and the verdict. Forward + backward run twice: a backward that
    adds to ``grads`` instead of assigning them gives other gradients the second time and fails.

    Raises ``ValueError`` for what cannot be checked (each named: an unlisted sub-layer, a float32
    or non-contiguous parameter, a bad ``h``, ``x`` or ``dout``), ``RuntimeError`` for a backward
    that leaves a gradient unset or of the wrong shape.

    >>> import numpy as np
    >>> from msdn_numpy import Conv1D, gradcheck
    >>> x = np.random.default_rng(0).standard_normal((2, 3, 7))
    >>> result = gradcheck(Conv1D(3, 4, kernel_size=3, padding="same"), x)
    >>> result.passed, sorted(result)
    (True, ['W', 'b', 'x'])
    """
    x = _check_arguments(module, x, h)
    params = _check_parameters(module)
    if not params and not check_input:
        raise ValueError("gradcheck: nothing to check (the module has no parameters and check_input=False)")
    states = _generator_states(module)
    first, dout = _analytic_gradients(module, x, args, dout, seed, check_input, states)
    second, _ = _analytic_gradients(module, x, args, dout, seed, check_input, states)

    def s() -> float:  # the scalar whose gradient backward computes
        _rewind(states)
        return float(np.sum(module.forward(x, *args) * dout))

    numeric = {"x": numerical_gradient(s, x, h)} if check_input else {}
    numeric.update((name, numerical_gradient(s, p, h)) for name, p in params)
    result = _compare(first, second, numeric, type(module).__name__)
    if verbose:
        print(result)
    return result


def _check_arguments(module: Any, x: Any, h: Any) -> np.ndarray:
    """``x`` as our own float64 copy, after checking the module, ``x`` and ``h`` (a ``ValueError`` naming each)."""
    if not isinstance(module, Module):
        raise ValueError(
            f"gradcheck: module is a {type(module).__name__}, not a msdn_numpy Module; pass a layer or model "
            "with forward and backward, e.g. gradcheck(Linear(3, 2), x)"
        )
    if isinstance(h, bool) or not isinstance(h, (int, float, np.floating, np.integer)) or not 0 < h < np.inf:
        raise ValueError(f"gradcheck: h={h!r} must be a finite step > 0 (e.g. the default 1e-6)")
    try:
        x = np.array(x, dtype=np.float64)  # our own copy: the caller's array is never touched
    except (TypeError, ValueError) as e:
        raise ValueError(f"gradcheck: x must be an array of numbers ({e})") from None
    if x.size == 0:
        raise ValueError(f"gradcheck: x is empty (shape {x.shape}); give at least one example")
    return x


def _analytic_gradients(
    module: Module, x: np.ndarray, args: tuple, dout: np.ndarray | None, seed: int, check_input: bool, states: list
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One forward + backward: ``({"x": dx, name: grad, ...}, dout)``, ``dout`` drawn if not given."""
    _rewind(states)
    out = module.forward(x, *args)
    if dout is None:
        dout = np.random.default_rng(seed).standard_normal(np.shape(out))
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != np.shape(out):
        raise ValueError(f"gradcheck: dout has shape {dout.shape} but the output has shape {np.shape(out)}")
    dx = module.backward(dout.copy())  # a copy: a backward that modifies dout cannot change ours
    grads = {"x": _as_gradient(dx, "backward() returned dx that", x.shape)} if check_input else {}
    for name, p, grad in module.named_parameters():
        if grad is None:
            raise RuntimeError(f"gradcheck: backward() did not set a gradient for parameter '{name}'")
        grads[name] = _as_gradient(grad, f"the gradient of parameter '{name}'", p.shape)
    return grads, dout


def _compare(first: dict, second: dict, numeric: dict, module: str) -> GradcheckResult:
    """The relative error of each tensor (the worse of the two backward calls) and the problems found."""
    errors, changed = {}, []
    for name in first:
        errors[name] = max(rel_error(first[name], numeric[name]), rel_error(second[name], numeric[name]))
        if rel_error(first[name], second[name]) >= PASS_BAR:
            ratio = np.sum(second[name] * first[name]) / max(np.sum(first[name] ** 2), 1e-300)
            changed.append(f"{'dx' if name == 'x' else repr(name)} (second call {ratio:.2g}x the first)")
    problems = []
    if changed:
        problems.append(
            "grads accumulate: two identical forward + backward calls gave different gradients for "
            + ", ".join(changed)
            + "; backward must assign them (=), not add to them (+=)"
        )
    return GradcheckResult(errors, problems=problems, module=module)
