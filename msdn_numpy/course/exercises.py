"""The course's exercises and their checks, with reference answers from the package's own layers.

Each exercise is a ``# %%`` script in ``tutorials/exercises/`` (a worked solution of each
is in ``tutorials/exercises/solutions/``). The student fills in the ``YOUR CODE`` blocks;
the script's last cell calls :func:`check`, which prints PASS / FAIL / NOT DONE for every
function. ``msdn grade FILE...`` (:mod:`msdn_numpy.course.gradebook`) runs the same checks on
many students' files at once.

==========================  =================================================  ===============================
exercise                    functions                                          reference
==========================  =================================================  ===============================
``01_relu``                 ``relu_forward``, ``relu_backward``                ``ReLU``
``02_bce``                  ``bce_forward``, ``bce_backward``                  ``BCEWithLogits``
``03_im2col``               ``im2col``, ``conv1d_forward``                     ``conv.im2col``, ``Conv1D``
``04_conv1d_backward``      ``col2im``, ``conv1d_backward``                    ``conv.col2im``, ``Conv1D``
``05_lstm_bptt``            ``lstm_step_forward``, ``lstm_step_backward``,     ``recurrent.lstm_step_*``,
                            ``lstm_forward``, ``lstm_backward``                ``LSTM``
``06_msdn_relations``       ``multiscale_forward``, ``readout_forward``,       ``Conv1D``, ``ReLU``,
                            ``RelationBlock`` (whole-block ``gradcheck``)      ``Parallel``, ``gradcheck``
``07_adam``                 ``adam_step``                                      ``Adam``
``08_label_axis``           ``score_embedding_forward``,                       ``ScoreEmbedding``,
                            ``score_embedding_backward``, ``receptive_field``  ``Conv1D`` (measured reach)
==========================  =================================================  ===============================

Every check runs a few seeded cases (odd sizes; stride, dilation and uneven padding for
the convolutions; saturated gates for the LSTM; logits of ±1000 for the loss) and fails,
besides wrong values, a function that changes its inputs in place or returns something
different when called twice with the same inputs.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from msdn_numpy.course.grading import (
    FunctionResult,
    Mismatch,
    NotDone,
    Student,
    exercise_status,
    expect_array,
    expect_same_twice,
    expect_scalar,
    expect_tuple,
    run_function_check,
    worst_error,
    wrong_blocks,
)
from msdn_numpy.nn.conv import Conv1D, col2im, im2col
from msdn_numpy.nn.conv_naive import conv1d_naive_backward, conv1d_naive_forward
from msdn_numpy.nn.fast.multiscale import MultiScaleConv1D
from msdn_numpy.nn.fast.optim import FlatAdam
from msdn_numpy.nn.gradcheck import PASS_BAR
from msdn_numpy.nn.layers import Module, Parallel, ReLU, Sequential
from msdn_numpy.nn.losses import BCEWithLogits
from msdn_numpy.nn.optim import Adam
from msdn_numpy.nn.recurrent import LSTM, lstm_step_backward, lstm_step_forward
from msdn_numpy.nn.score_embedding import ScoreEmbedding

#: Set by ``msdn grade`` while it loads a student's file, so that the file's own
#: ``check(...)`` call at the bottom does nothing (the grader runs the checks itself).
GRADING = False


@dataclass(frozen=True)
class Exercise:
    """One exercise: its key (the file name without ``.py``), title, a check per function, and its references.

    ``references`` are the package's own implementations of what the exercise asks for
    (functions and methods): while ``msdn grade`` grades the exercise, the student process
    makes them unusable (:mod:`msdn_numpy.course.stand_ins`) and unreadable, so an answer
    that calls, re-exports, reloads or re-reads one FAILs. This table is the one place that
    names them.
    """

    key: str
    title: str
    checks: dict[str, Callable[[Student], float]]
    references: tuple[Callable[..., Any], ...] = ()

    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(self.checks)


def _twice(s: Student, fn: str, names: tuple[str, ...], compare: Callable[[Any], float], **arguments: Any) -> float:
    """Call ``fn`` twice with the same arguments: the first result is compared, the second must equal it."""
    first = copy.deepcopy(s.call(fn, **arguments))
    error = compare(first)
    second = s.call(fn, **arguments)
    expect_same_twice(fn, first, second, names)
    return error


def _array(fn: str, tensor: str, expected: np.ndarray, case: str) -> Callable[[Any], float]:
    """The comparison of a function that returns one array."""
    return lambda value: expect_array(fn, tensor, value, expected, case)


def _arrays(fn: str, returns: tuple[str, ...], expected: tuple, case: str) -> Callable[[Any], float]:
    """The comparison of a function that returns the tuple ``returns``; its first ``len(expected)`` are compared."""

    def compare(value: Any) -> float:
        got = expect_tuple(fn, value, returns)
        return max(expect_array(fn, n, g, e, case, whole=False) for n, g, e in zip(returns, got, expected))

    return compare


#: The LSTM's gates, in the order of the blocks of ``a = x W_x + h_prev W_h + b`` (N, 4H).
GATES = ("i", "f", "g", "o")
#: The gradients whose last axis is the 4H gate blocks, in the order they are named.
_GATED = ("db", "dW_x", "dW_h")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def gate_hint(got: dict[str, Any], expected: dict[str, np.ndarray]) -> str:
    """``"the f-gate block of db, dW_x and dW_h is wrong (...)"`` when some gates' blocks are right, else ``""``.

    ``got`` and ``expected`` map gradient names to arrays; those in :data:`_GATED` end in
    the 4H axis of the gates, ``[i | f | g | o]``. Named only when at least one block is
    wrong and at least one is right in every compared gradient.
    """
    wrong: dict[str, list[int]] = {}
    for name in _GATED:
        if name in got and name in expected:
            blocks = wrong_blocks(got[name], expected[name], len(GATES))
            if blocks is None or len(blocks) == len(GATES):
                return ""  # not comparable block by block, or every block is wrong: no gate to name
            if blocks:
                wrong[name] = blocks
    if not wrong:
        return ""
    parts = []
    for blocks in sorted({tuple(b) for b in wrong.values()}):
        tensors = [n for n in _GATED if tuple(wrong.get(n, ())) == blocks]
        gates = [f"{GATES[k]}-" for k in blocks]
        gates[-1] += "gate block" + ("s" if len(blocks) > 1 else "")
        parts.append(f"the {_and(gates)} of {_and(tensors)}")
    H = np.shape(expected["db"])[-1] // len(GATES)
    columns = [f"{GATES[k]} is columns {k * H}:{(k + 1) * H}" for k in sorted({k for b in wrong.values() for k in b})]
    verb = "is" if len(parts) == 1 and len(next(iter(wrong.values()))) == 1 else "are"
    return (
        f"{_and(parts)} {verb} wrong, the other gates' blocks are right (gate order {', '.join(GATES)} along "
        f"the last axis; with H = {H}, {_and(columns)})"
    )


def _lstm_gradients(fn: str, returns: tuple[str, ...], expected: tuple, case: str) -> Callable[[Any], float]:
    """Like :func:`_arrays`, and when a gradient is wrong, the gate block(s) of ``db``/``dW_x``/``dW_h`` at fault."""

    def compare(value: Any) -> float:
        got = expect_tuple(fn, value, returns)
        errors, first = [], None
        for n, g, e in zip(returns, got, expected):
            try:
                errors.append(expect_array(fn, n, g, e, case, whole=False))
            except Mismatch as exc:
                first = first or exc
        if first is not None:
            hint = gate_hint(dict(zip(returns, got)), dict(zip(returns, expected)))
            if hint:
                raise Mismatch(f"{fn}: {hint}; the first wrong tensor: {first.message.removeprefix(fn + ': ')}",
                               first.error)  # fmt: skip
            raise first
        return max(errors)

    return compare


def _set_params(layer: Module, **params: np.ndarray) -> Module:
    for k, v in params.items():
        layer.params[k] = np.array(v, dtype=np.float64)
    return layer


# ----------------------------------------------------------------------------------------
# 01 ReLU
# ----------------------------------------------------------------------------------------
def _relu_cases(s: Student) -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = s.rng(1)
    cases = []
    for shape in ((4, 5), (2, 3, 7), (1,)):
        x = rng.standard_normal(shape)
        x.flat[::3] = 0.0  # exact zeros: ReLU has no slope there; the convention (ours, PyTorch's) is 0
        cases.append((f"x of shape {shape}", x, rng.standard_normal(shape)))
    return cases


def _check_relu_forward(s: Student) -> float:
    worst = 0.0
    for case, x, _ in _relu_cases(s):
        expected = ReLU().forward(x)
        worst = max(worst, _twice(s, "relu_forward", ("out",), _array("relu_forward", "out", expected, case), x=x))
    return worst


def _check_relu_backward(s: Student) -> float:
    worst = 0.0
    for case, x, dout in _relu_cases(s):
        layer = ReLU()
        layer.forward(x)
        expected = layer.backward(dout)
        compare = _array("relu_backward", "dx", expected, case)
        worst = max(worst, _twice(s, "relu_backward", ("dx",), compare, dout=dout, x=x))
    return worst


# ----------------------------------------------------------------------------------------
# 02 BCE with logits
# ----------------------------------------------------------------------------------------
def _bce_cases(s: Student) -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = s.rng(2)
    large = np.array([[1000.0, -1000.0, 50.0, -3.0], [-800.0, 800.0, 0.5, 710.0]])
    return [
        ("logits (3, 4)", 3.0 * rng.standard_normal((3, 4)), rng.integers(0, 2, (3, 4))),
        ("logits (5, 1)", rng.standard_normal((5, 1)), rng.integers(0, 2, (5, 1))),
        ("logits of ±1000 (2, 4)", large, np.array([[0, 1, 1, 0], [1, 0, 0, 1]])),
    ]


def _check_bce_forward(s: Student) -> float:
    worst = 0.0
    for case, z, y in _bce_cases(s):
        expected = BCEWithLogits().forward(z, y)
        compare = partial(expect_scalar, "bce_forward", "loss", expected=expected, case=case)
        worst = max(worst, _twice(s, "bce_forward", ("loss",), compare, logits=z, targets=y))
    return worst


def _check_bce_backward(s: Student) -> float:
    worst = 0.0
    for case, z, y in _bce_cases(s):
        loss = BCEWithLogits()
        loss.forward(z, y)
        expected = loss.backward(1.0)
        compare = _array("bce_backward", "dlogits", expected, case)
        worst = max(worst, _twice(s, "bce_backward", ("dlogits",), compare, logits=z, targets=y))
    return worst


# ----------------------------------------------------------------------------------------
# 03 im2col and the forward convolution
# ----------------------------------------------------------------------------------------
#: (N, C_in, L_pad, K, stride, dilation)
_IM2COL_CASES = [(2, 3, 9, 3, 1, 1), (1, 2, 8, 1, 1, 1), (3, 2, 10, 4, 2, 1), (2, 1, 11, 3, 1, 2), (2, 2, 13, 2, 3, 3)]


def _check_im2col(s: Student) -> float:
    rng = s.rng(3)
    worst = 0.0
    for i, (N, C, L_pad, K, stride, dilation) in enumerate(_IM2COL_CASES + [(2, 3, 9, 3, 1, 1)]):
        x_pad = rng.standard_normal((N, C, L_pad))
        case = f"x_pad {x_pad.shape}, K={K}, stride={stride}, dilation={dilation}"
        if i == len(_IM2COL_CASES):  # the same numbers laid out (N, L_pad, C): a view whose strides are not C order
            x_pad = np.ascontiguousarray(x_pad.transpose(0, 2, 1)).transpose(0, 2, 1)
            case += " (a transposed, non-contiguous x_pad: use x_pad.strides)"
        expected = im2col(x_pad, K, stride, dilation)
        compare = _array("im2col", "cols", expected, case)
        worst = max(worst, _twice(s, "im2col", ("cols",), compare, x_pad=x_pad, K=K, stride=stride, dilation=dilation))
        s.call("im2col", x_pad=x_pad, K=K, stride=stride, dilation=dilation)
        if not s.shares_memory("x_pad"):
            raise Mismatch(
                "im2col: cols is a copy of x_pad, not a view of it: build it with "
                "numpy.lib.stride_tricks.as_strided from x_pad.strides (no loop, no copy)"
            )
    return worst


#: (N, C_in, C_out, L, K, stride, dilation, pad_left, pad_right)
_CONV_CASES = [
    (2, 3, 4, 9, 3, 1, 1, 1, 1),
    (1, 2, 3, 8, 4, 1, 1, 1, 2),
    (3, 2, 2, 10, 3, 2, 1, 0, 0),
    (2, 1, 3, 11, 3, 1, 2, 2, 2),
    (2, 3, 1, 7, 1, 1, 1, 0, 0),
    (1, 2, 2, 9, 2, 3, 2, 3, 1),
]


def _conv_case(rng: np.random.Generator, cfg: tuple[int, ...]) -> tuple[str, Conv1D, np.ndarray]:
    N, C_in, C_out, L, K, stride, dilation, pl, pr = cfg
    layer = Conv1D(C_in, C_out, K, stride=stride, dilation=dilation, padding=(pl, pr), rng=rng)
    x = rng.standard_normal((N, C_in, L))
    case = f"x {x.shape}, W {layer.params['W'].shape}, stride={stride}, dilation={dilation}, pad=({pl}, {pr})"
    return case, layer, x


def _check_conv1d_forward(s: Student) -> float:
    rng = s.rng(4)
    worst = 0.0
    for cfg in _CONV_CASES:
        case, layer, x = _conv_case(rng, cfg)
        expected = layer.forward(x)
        args = dict(x=x, W=layer.params["W"], b=layer.params["b"], stride=layer.stride, dilation=layer.dilation,
                    pad_left=layer.pad_left, pad_right=layer.pad_right)  # fmt: skip
        compare = _array("conv1d_forward", "out", expected, case)
        worst = max(worst, _twice(s, "conv1d_forward", ("out",), compare, **args))
    return worst


# ----------------------------------------------------------------------------------------
# 04 col2im and the backward convolution
# ----------------------------------------------------------------------------------------
def _check_col2im(s: Student) -> float:
    rng = s.rng(5)
    worst = 0.0
    for N, C, L_pad, K, stride, dilation in _IM2COL_CASES:
        L_out = (L_pad - dilation * (K - 1) - 1) // stride + 1
        dcols = rng.standard_normal((C, K, N, L_out))
        case = f"dcols {dcols.shape}, L_pad={L_pad}, stride={stride}, dilation={dilation}"
        expected = col2im(dcols, L_pad, stride, dilation)
        compare = _array("col2im", "dx_pad", expected, case)
        args = dict(dcols=dcols, L_pad=L_pad, stride=stride, dilation=dilation)
        worst = max(worst, _twice(s, "col2im", ("dx_pad",), compare, **args))
    return worst


def _check_conv1d_backward(s: Student) -> float:
    rng = s.rng(6)
    worst = 0.0
    names = ("dx", "dW", "db")
    for cfg in _CONV_CASES:
        case, layer, x = _conv_case(rng, cfg)
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        expected = (layer.backward(dout), layer.grads["W"], layer.grads["b"])
        x_pad = np.pad(x, ((0, 0), (0, 0), (layer.pad_left, layer.pad_right)))
        compare = _arrays("conv1d_backward", names, expected, case)
        args = dict(dout=dout, x_pad=x_pad, W=layer.params["W"], stride=layer.stride, dilation=layer.dilation,
                    pad_left=layer.pad_left, L=x.shape[2])  # fmt: skip
        worst = max(worst, _twice(s, "conv1d_backward", names, compare, **args))
    return worst


# ----------------------------------------------------------------------------------------
# 05 LSTM and backpropagation through time
# ----------------------------------------------------------------------------------------
#: (N, T, D_in, H, weight scale): a scale of 3 saturates the gates
_LSTM_CASES = [(2, 4, 3, 5, 1.0), (1, 1, 1, 1, 1.0), (3, 5, 4, 2, 3.0), (2, 3, 2, 3, 1.0)]


def _lstm_weights(rng: np.random.Generator, D: int, H: int, scale: float) -> dict[str, np.ndarray]:
    lstm = LSTM(D, H, rng=rng)
    return {k: scale * v for k, v in lstm.params.items()}


def _check_lstm_step_forward(s: Student) -> float:
    rng = s.rng(7)
    worst = 0.0
    for N, _, D, H, scale in _LSTM_CASES:
        w = _lstm_weights(rng, D, H, scale)
        args = dict(x=rng.standard_normal((N, D)), h_prev=rng.standard_normal((N, H)),
                    c_prev=rng.standard_normal((N, H)), **w)  # fmt: skip
        h, c, _ = lstm_step_forward(*args.values())
        case = f"x ({N}, {D}), H={H}" + (", saturated gates" if scale > 1 else "")
        compare = _arrays("lstm_step_forward", ("h", "c", "cache"), (h, c), case)
        worst = max(worst, _twice(s, "lstm_step_forward", ("h", "c"), compare, **args))
    return worst


def _students_cache(s: Student, fn: str, needs: str, **arguments: Any) -> Any:
    """The cache returned by the student's forward function, which their backward consumes."""
    try:
        value, cache = s.call_keeping_last(needs, **arguments)
    except (NotImplementedError, NotDone):
        raise NotDone(f"{fn} needs {needs} first (its cache is {fn}'s input)") from None
    if not isinstance(value, (tuple, list)) or len(value) < 2 or cache is None:
        raise Mismatch(f"{fn}: cannot be checked: {needs} must return a tuple whose last item is the cache")
    return cache


def _check_lstm_step_backward(s: Student) -> float:
    s.require("lstm_step_backward")  # NOT DONE first of all if it is missing
    rng = s.rng(8)
    worst = 0.0
    names = ("dx", "dh_prev", "dc_prev", "dW_x", "dW_h", "db")
    for N, _, D, H, scale in _LSTM_CASES:
        w = _lstm_weights(rng, D, H, scale)
        args = dict(x=rng.standard_normal((N, D)), h_prev=rng.standard_normal((N, H)),
                    c_prev=rng.standard_normal((N, H)), **w)  # fmt: skip
        dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        expected = lstm_step_backward(dh, dc, lstm_step_forward(*args.values())[2])
        cache = _students_cache(s, "lstm_step_backward", "lstm_step_forward", **args)
        case = f"x ({N}, {D}), H={H}" + (", saturated gates" if scale > 1 else "")
        compare = _lstm_gradients("lstm_step_backward", names, expected, case)
        worst = max(worst, _twice(s, "lstm_step_backward", names, compare, dh=dh, dc=dc, cache=cache))
    return worst


def _check_lstm_forward(s: Student) -> float:
    rng = s.rng(9)
    worst = 0.0
    for N, T, D, H, scale in _LSTM_CASES:
        lstm = _set_params(LSTM(D, H), **_lstm_weights(rng, D, H, scale))
        x = rng.standard_normal((N, T, D))
        expected = lstm.forward(x)
        case = f"x ({N}, {T}, {D}), H={H}" + (", saturated gates" if scale > 1 else "")
        compare = _arrays("lstm_forward", ("hs", "caches"), (expected,), case)
        worst = max(worst, _twice(s, "lstm_forward", ("hs",), compare, x=x, **lstm.params))
    return worst


def _check_lstm_backward(s: Student) -> float:
    s.require("lstm_backward")
    rng = s.rng(10)
    worst = 0.0
    names = ("dx", "dW_x", "dW_h", "db")
    for N, T, D, H, scale in _LSTM_CASES:
        lstm = _set_params(LSTM(D, H), **_lstm_weights(rng, D, H, scale))
        x = rng.standard_normal((N, T, D))
        dhs = rng.standard_normal((N, T, H))
        lstm.forward(x)
        expected = (lstm.backward(dhs), lstm.grads["W_x"], lstm.grads["W_h"], lstm.grads["b"])
        caches = _students_cache(s, "lstm_backward", "lstm_forward", x=x, **lstm.params)
        case = f"x ({N}, {T}, {D}), H={H}" + (", saturated gates" if scale > 1 else "")
        compare = _lstm_gradients("lstm_backward", names, expected, case)
        worst = max(worst, _twice(s, "lstm_backward", names, compare, dhs=dhs, caches=caches))
    return worst


# ----------------------------------------------------------------------------------------
# 06 MSDN's relation block: multi-scale convolutions, concatenation, read-out
# ----------------------------------------------------------------------------------------
#: (N, d, c, L, kernel sizes)
_MSDN_CASES = [(2, 3, 4, 7, (1, 3, 5)), (1, 2, 2, 5, (2, 4)), (3, 1, 3, 6, (3,)), (2, 2, 1, 9, (1, 2, 3, 7))]


def _branches(d: int, c: int, ks: tuple[int, ...], rng: np.random.Generator) -> Parallel:
    """The reference: one 'same'-padded Conv1D + ReLU per kernel size, concatenated on the channels."""
    return Parallel([Sequential(Conv1D(d, c, k, padding="same", rng=rng), ReLU()) for k in ks], axis=1)


def _check_multiscale_forward(s: Student) -> float:
    rng = s.rng(11)
    worst = 0.0
    for N, d, c, L, ks in _MSDN_CASES:
        ref = _branches(d, c, ks, rng)
        Z = rng.standard_normal((N, d, L))
        expected = ref.forward(Z)
        Ws = [b.layers[0].params["W"] for b in ref.branches]
        bs = [b.layers[0].params["b"] for b in ref.branches]
        case = f"Z {Z.shape}, kernel sizes {ks}, c={c}"
        compare = _array("multiscale_forward", "F", expected, case)
        worst = max(worst, _twice(s, "multiscale_forward", ("F",), compare, Z=Z, Ws=Ws, bs=bs))
    return worst


def _check_readout_forward(s: Student) -> float:
    rng = s.rng(12)
    worst = 0.0
    for N, _, c, L, ks in _MSDN_CASES:
        readout = Conv1D(c * len(ks), 1, 1, rng=rng)
        F = rng.standard_normal((N, c * len(ks), L))
        expected = readout.forward(F)[:, 0, :]
        case = f"F {F.shape}"
        compare = _array("readout_forward", "logits", expected, case)
        args = dict(F=F, W_r=readout.params["W"], b_r=readout.params["b"])
        worst = max(worst, _twice(s, "readout_forward", ("logits",), compare, **args))
    return worst


def _check_relation_block(s: Student) -> float:
    """The student's block with the grader's weights: its forward, the whole-block gradcheck, then its gradients.

    The expected forward output and gradients come from the reference layers given the same
    weights, here; the block itself runs where the student's code runs.
    """
    s.require("RelationBlock")
    rng = s.rng(13)
    worst = 0.0
    for seed, (N, d, c, L, ks) in enumerate(_MSDN_CASES):
        ref = _branches(d, c, ks, rng)
        readout = Conv1D(c * len(ks), 1, 1, rng=rng)
        Z = rng.standard_normal((N, d, L))
        dlogits = rng.standard_normal((N, L))
        convs = [b.layers[0] for b in ref.branches]
        arrays = dict(Z=Z, dlogits=dlogits, Ws=[cv.params["W"] for cv in convs], bs=[cv.params["b"] for cv in convs],
                      W_r=readout.params["W"], b_r=readout.params["b"])  # fmt: skip
        case = f"Z {Z.shape}, kernel sizes {ks}, c={c}"
        got = s.relation_block(d, c, ks, seed, **arrays)
        if not isinstance(got, dict):
            raise Mismatch("RelationBlock: the student process sent no result")
        if isinstance(got.get("problem"), str):
            raise Mismatch(got["problem"])
        expected = readout.forward(ref.forward(Z))[:, 0, :]
        dF = readout.backward(dlogits[:, None, :])
        expected_dZ = ref.backward(dF)
        worst = max(worst, expect_array("RelationBlock.forward", "logits", got.get("out"), expected, case))
        checked = got.get("gradcheck")
        if not isinstance(checked, dict):
            raise Mismatch("RelationBlock: the student process sent no gradcheck result")
        if isinstance(checked.get("error"), str):
            raise Mismatch(f"RelationBlock: {checked['error']}")
        if checked.get("passed") is not True:
            name = checked.get("worst")
            worst_name = "dZ" if name == "x" else f"the gradient of '{name}'"
            error = checked.get("worst_error")
            error = float(error) if isinstance(error, float) else float("nan")
            problems = [p for p in checked.get("problems") or [] if isinstance(p, str)]
            raise Mismatch(
                f"RelationBlock.backward: whole-block gradcheck fails in case {case}: {worst_name} has relative "
                f"error {error:.1e} (bar {PASS_BAR:.0e})" + "".join(f"; {p}" for p in problems),
                error,
            )
        worst = max(worst, expect_array("RelationBlock.backward", "dZ", got.get("dZ"), expected_dZ, case, False))
        grads = got.get("grads")
        layers = [*(f"convs[{i}]" for i in range(len(ks))), "readout"]
        if not isinstance(grads, list) or len(grads) != len(layers):
            raise Mismatch(f"RelationBlock.backward: expected the gradients of {len(layers)} layers")
        for where, layer, pair in zip(layers, [*convs, readout], grads):
            if not isinstance(pair, list) or len(pair) != 2:
                raise Mismatch(f"RelationBlock.backward: no gradients of {where}")
            for k, value in zip(("W", "b"), pair):
                tensor = f"{where}.grads['{k}']"
                worst = max(worst, expect_array("RelationBlock.backward", tensor, value, layer.grads[k], case, False))
    return worst


# ----------------------------------------------------------------------------------------
# 07 Adam
# ----------------------------------------------------------------------------------------
def _adam_reference(p, g, m, v, t, lr, beta1, beta2, eps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of the package's ``Adam`` from the state ``(m, v)`` after ``t - 1`` steps."""
    holder = Module()
    holder.params["p"], holder.grads["p"] = p.copy(), g.copy()
    opt = Adam(holder, lr=lr, betas=(beta1, beta2), eps=eps)
    opt.t = t - 1
    opt.state["p"] = {"m": m.copy(), "v": v.copy()}
    opt.step()
    return holder.params["p"], opt.state["p"]["m"], opt.state["p"]["v"]


def _check_adam_step(s: Student) -> float:
    rng = s.rng(14)
    names = ("p", "m", "v")
    worst = 0.0
    # (shape, lr, beta1, beta2, eps, gradient scale, steps): the small gradients with eps = 1e-6
    # make eps matter, so that eps inside the square root shows
    configs = [((3, 4), 1e-3, 0.9, 0.999, 1e-8, 1.0, 6), ((5,), 1e-2, 0.8, 0.99, 1e-6, 1e-3, 4),
               ((2, 3, 2), 3e-2, 0.5, 0.9, 1e-8, 10.0, 3)]  # fmt: skip
    for shape, lr, beta1, beta2, eps, scale, steps in configs:
        p = rng.standard_normal(shape)
        m, v = np.zeros(shape), np.zeros(shape)
        for t in range(1, steps + 1):
            g = scale * rng.standard_normal(shape)
            expected = _adam_reference(p, g, m, v, t, lr, beta1, beta2, eps)
            case = f"p {shape}, step t={t}, lr={lr}, betas=({beta1}, {beta2}), eps={eps}"
            args = dict(p=p, g=g, m=m, v=v, t=t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)

            def compare(value: Any, expected: tuple = expected, case: str = case, p: np.ndarray = p) -> float:
                got = expect_tuple("adam_step", value, names)
                errs = [expect_array("adam_step", n, x, e, case, whole=False) for n, x, e in zip(names, got, expected)]
                # the update itself, so that errors far below |p| still show
                update = np.asarray(got[0], dtype=np.float64) - p
                errs.append(expect_array("adam_step", "the update p_new - p", update, expected[0] - p, case, False))
                return max(errs)

            worst = max(worst, _twice(s, "adam_step", names, compare, **args))
            p, m, v = (np.array(x, dtype=np.float64) for x in s.call("adam_step", **args))  # continue from theirs
    return worst


# ----------------------------------------------------------------------------------------
# 08 the label axis: the per-label score embedding, and the reach of a kernel
# ----------------------------------------------------------------------------------------
def _embedding_cases(s: Student) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    rng = s.rng(16)
    cases = []
    for N, d, L in ((3, 4, 7), (1, 2, 5), (5, 3, 1)):
        g = 2.0 * rng.standard_normal((N, L))  # scores of a few units: some channels saturate
        u, e = rng.standard_normal((d, L)), rng.standard_normal((d, L))
        cases.append((f"g ({N}, {L}), u and e ({d}, {L})", g, u, e, rng.standard_normal((N, d, L))))
    return cases


def _score_embedding(u: np.ndarray, e: np.ndarray) -> ScoreEmbedding:
    d, L = u.shape
    return _set_params(ScoreEmbedding(L, d, rng=0), u=u, e=e)


def _check_score_embedding_forward(s: Student) -> float:
    worst = 0.0
    for case, g, u, e, _ in _embedding_cases(s):
        expected = _score_embedding(u, e).forward(g)
        compare = _array("score_embedding_forward", "Z", expected, case)
        worst = max(worst, _twice(s, "score_embedding_forward", ("Z",), compare, g=g, u=u, e=e))
    return worst


def _check_score_embedding_backward(s: Student) -> float:
    worst = 0.0
    names = ("dg", "du", "de")
    for case, g, u, e, dZ in _embedding_cases(s):
        layer = _score_embedding(u, e)
        layer.forward(g)
        dg = layer.backward(dZ)
        compare = _arrays("score_embedding_backward", names, (dg, layer.grads["u"], layer.grads["e"]), case)
        worst = max(worst, _twice(s, "score_embedding_backward", names, compare, dZ=dZ, g=g, u=u, e=e))
    return worst


def _reach(L: int, kernel_sizes: tuple[int, ...], p: int) -> np.ndarray:
    """The positions whose input changes the output at ``p``, measured on the package's convolutions.

    One ``"same"``-padded ``Conv1D`` per kernel size with random weights: the input at
    position ``q`` is changed, and the output at ``p`` compared (its pre-activation, so that
    no ReLU can hide a change).
    """
    rng = np.random.default_rng(0)
    seen = np.zeros(L, dtype=bool)
    x = rng.standard_normal((1, 2, L))
    for k in kernel_sizes:
        conv = Conv1D(2, 3, k, padding="same", rng=rng)
        base = conv.forward(x)[:, :, p]
        for q in range(L):
            x2 = x.copy()
            x2[:, :, q] += 1.0
            seen[q] |= not np.allclose(conv.forward(x2)[:, :, p], base, rtol=0, atol=1e-12)
    return seen


#: (L, kernel sizes, p): odd and even sizes, both ends, a kernel longer than the axis
_REACH_CASES = [(9, (3,), 4), (9, (1, 3, 5), 0), (9, (1, 3, 5), 8), (8, (2,), 3), (8, (4,), 7), (6, (1, 9), 2),
                (12, (1, 3, 5, 9), 6), (5, (1,), 2)]  # fmt: skip


def _check_receptive_field(s: Student) -> float:
    worst = 0.0
    for L, ks, p in _REACH_CASES:
        expected = _reach(L, ks, p).astype(np.float64)
        case = f"L={L}, kernel_sizes={ks}, p={p}"

        def compare(value: Any, expected: np.ndarray = expected, case: str = case) -> float:
            return expect_array("receptive_field", "seen", value, expected, case, kinds="b")

        worst = max(worst, _twice(s, "receptive_field", ("seen",), compare, L=L, kernel_sizes=ks, p=p))
    return worst


# ----------------------------------------------------------------------------------------
# the registry, and the check that ends every exercise file
# ----------------------------------------------------------------------------------------
EXERCISES: dict[str, Exercise] = {
    e.key: e
    for e in (
        Exercise("01_relu", "ReLU forward and backward (warm-up)",
                 {"relu_forward": _check_relu_forward, "relu_backward": _check_relu_backward},
                 (ReLU.forward, ReLU.backward)),
        Exercise("02_bce", "binary cross-entropy with logits, stable forward and backward",
                 {"bce_forward": _check_bce_forward, "bce_backward": _check_bce_backward},
                 (BCEWithLogits.forward, BCEWithLogits.backward)),
        Exercise("03_im2col", "im2col as a strided view, and the convolution as one matrix product",
                 {"im2col": _check_im2col, "conv1d_forward": _check_conv1d_forward},
                 (im2col, Conv1D.forward, conv1d_naive_forward)),
        Exercise("04_conv1d_backward", "col2im and the backward pass of Conv1D",
                 {"col2im": _check_col2im, "conv1d_backward": _check_conv1d_backward},
                 (col2im, Conv1D.backward, conv1d_naive_backward)),
        Exercise("05_lstm_bptt", "an LSTM step, forward and backward, and backpropagation through time",
                 {"lstm_step_forward": _check_lstm_step_forward, "lstm_step_backward": _check_lstm_step_backward,
                  "lstm_forward": _check_lstm_forward, "lstm_backward": _check_lstm_backward},
                 (lstm_step_forward, lstm_step_backward, LSTM.forward, LSTM.backward)),
        Exercise("06_msdn_relations", "MSDN's relation block: multi-scale Conv1D + ReLU, concat, 1x1 read-out",
                 {"multiscale_forward": _check_multiscale_forward, "readout_forward": _check_readout_forward,
                  "RelationBlock": _check_relation_block},
                 (MultiScaleConv1D.forward, MultiScaleConv1D.backward, Parallel.forward, Parallel.backward)),
        Exercise("07_adam", "one step of Adam with bias correction", {"adam_step": _check_adam_step},
                 (Adam.step, Adam.update, FlatAdam.step, FlatAdam.update_flat)),
        Exercise("08_label_axis", "the label axis: a per-label score embedding and the reach of a kernel",
                 {"score_embedding_forward": _check_score_embedding_forward,
                  "score_embedding_backward": _check_score_embedding_backward,
                  "receptive_field": _check_receptive_field},
                 (ScoreEmbedding.forward, ScoreEmbedding.backward, _reach)),
    )
}  # fmt: skip


def run_exercise(key: str, namespace: dict[str, Any]) -> list[FunctionResult]:
    """Check every function of exercise ``key`` in ``namespace`` (a module's globals)."""
    if key not in EXERCISES:
        raise ValueError(f"unknown exercise {key!r}: choose one of {', '.join(EXERCISES)}")
    return [run_function_check(fn, chk, namespace) for fn, chk in EXERCISES[key].checks.items()]


def _in_notebook() -> bool:
    return "ipykernel" in sys.modules


def check(key: str, namespace: dict[str, Any]) -> list[FunctionResult]:
    """Check and print the verdict on every function of exercise ``key``; the last cell of each exercise.

    Call it as ``check("03_im2col", globals())``. Prints one line per function
    (PASS / FAIL / NOT DONE, with the reason) and the exercise's verdict. Run as a script,
    it exits with status 1 when a function fails (not in a notebook, where that would
    only show as an error). Does nothing while ``msdn grade`` loads the file.

    Returns
    -------
    list of FunctionResult
        One per function (empty while grading).
    """
    if GRADING:
        return []
    results = run_exercise(key, namespace)
    exercise = EXERCISES[key]
    width = max(len(r.function) for r in results)
    print(f"\nExercise {key}: {exercise.title}")
    for r in results:
        detail = f"worst rel. error {r.error:.1e}" if r.status == "PASS" else r.message
        print(f"  {r.function:<{width}s}  {r.status:<8s}  {detail}")
    status = exercise_status(results)
    err = worst_error(results)
    print(f"verdict: {status}" + (f" (worst rel. error {err:.1e}, bar {PASS_BAR:.0e})" if err is not None else ""))
    if status == "NOT DONE":
        print("Fill in the functions still marked YOUR CODE HERE, then run this again.")
    if status == "FAIL" and not _in_notebook():
        raise SystemExit(1)
    return results
