"""Checking a student's function against the package: verdicts and messages that say what is wrong.

An exercise (see :mod:`msdn_numpy.course.exercises`) asks for a few functions. Each function is
checked on several seeded cases against a reference computed by the package's own
layers, and gets one verdict:

``PASS``      every output has the expected shape and a relative error below ``PASS_BAR``
              (the same ``rel_error`` and bar as :func:`msdn_numpy.nn.gradcheck.gradcheck`);
``FAIL``      with a message naming the function, the tensor and, for a shape, both shapes::

                  conv1d_backward: dW has shape (4, 3) but expected (4, 3, 5)
                  relu_forward: returned None, expected an array of shape (4, 5)

``NOT DONE``  the function is missing or still raises ``NotImplementedError`` (the
              template's ``YOUR CODE`` block).

A FAIL whose numbers are right but in the wrong places says so
(:func:`arrangement_hint`): "your values are the expected ones transposed", "... in
another order", or the reshape or axis permutation that would make them right. The
LSTM checks name the gate block of the gradients that is wrong (:func:`wrong_blocks`,
``exercises.gate_hint``). Every comparison runs where the expected values are computed:
in ``msdn grade``, the grader's process, never the student's.

Besides the values, a check fails a function that modifies its inputs in place (the
caller's arrays would change under it) or that returns something different when called
twice with the same inputs (state kept between calls, e.g. gradients accumulated).
"""

from __future__ import annotations

import copy
import itertools
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from msdn_numpy.course.wire import Opaque
from msdn_numpy.nn.gradcheck import PASS_BAR, rel_error

STATUSES = ("PASS", "FAIL", "NOT DONE")


@dataclass
class FunctionResult:
    """The verdict on one function of an exercise.

    Attributes
    ----------
    function : str
        The function's name.
    status : str
        ``"PASS"``, ``"FAIL"`` or ``"NOT DONE"``.
    message : str
        Why it failed, or why it counts as not done (empty for a pass).
    error : float or None
        The worst relative error over the cases that were compared, ``None`` if none was.
    """

    function: str
    status: str
    message: str = ""
    error: float | None = None


class Mismatch(Exception):
    """A wrong answer: ``message`` names the tensor; ``error`` is its relative error, if measured."""

    def __init__(self, message: str, error: float | None = None) -> None:
        super().__init__(message)
        self.message, self.error = message, error


class NotDone(Exception):
    """The function (or one it needs) is not written yet."""


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(tuple(int(s) for s in shape))


def _describe_type(value: Any) -> str:
    if value is None:
        return "None"
    return f"a {value.type_name if isinstance(value, Opaque) else type(value).__name__}"


def changed_in_place(name: str, argument: str) -> Mismatch:
    return Mismatch(
        f"{name}: changed its input {argument} in place; compute new arrays and leave the inputs unchanged "
        "(the caller still needs them)"
    )


class StudentRaised(Exception):
    """The student's code raised (or exited) in the student process: ``text`` says what and where."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Student:
    """The functions of one student's namespace, called in this process (the exercise's own ``check``).

    The checks see a student only through this interface, which
    :class:`msdn_numpy.course.gradebook.RemoteStudent` provides for a student process:

    ``require(name)``
        :class:`NotDone` if ``name`` is not defined;
    ``call(name, **arguments)``
        ``namespace[name]`` called with copies of the arguments (positionally, in the given
        order); a call that changed any of them fails;
    ``call_keeping_last(name, **arguments)``
        the same, and a handle on the last item of the result (a cache) to pass back;
    ``shares_memory(argument)``
        whether the last call's result shares memory with its copy of ``argument``;
    ``relation_block(...)``
        exercise 6's layer run by :func:`relation_block_outputs`;
    ``rng(k)``
        the generator of the check's ``k``-th stream: ``default_rng(k)`` when ``seed`` is
        None (the exercises' own checks), else ``default_rng([seed, k])`` (``msdn grade``:
        a seed the student's code never sees, so no answer can be prepared in advance).
    """

    def __init__(self, namespace: dict[str, Any], seed: int | None = None) -> None:
        self.namespace = namespace
        self.seed = seed
        self.last_arguments: dict[str, Any] = {}
        self._last_out: Any = None

    def rng(self, k: int) -> np.random.Generator:
        return np.random.default_rng(k if self.seed is None else [self.seed, k])

    def get(self, name: str) -> Any:
        """The student's object ``name``, or :class:`NotDone` if it is not defined."""
        obj = self.namespace.get(name)
        if obj is None:
            raise NotDone(f"{name} is not defined")
        return obj

    def require(self, name: str) -> None:
        self.get(name)

    def call(self, name: str, **arguments: Any) -> Any:
        fn = self.get(name)
        given = {k: copy.deepcopy(v) for k, v in arguments.items()}  # an array keeps its memory layout
        self.last_arguments = given
        out = fn(*given.values())
        self._last_out = out
        for k, v in arguments.items():
            if isinstance(v, np.ndarray) and not np.array_equal(given[k], v, equal_nan=True):
                raise changed_in_place(name, k)
        return out

    def call_keeping_last(self, name: str, **arguments: Any) -> tuple[Any, Any]:
        out = self.call(name, **arguments)
        return out, (out[-1] if isinstance(out, (tuple, list)) and len(out) >= 2 else None)

    def shares_memory(self, argument: str) -> bool:
        out = self._last_out
        return isinstance(out, np.ndarray) and np.shares_memory(out, self.last_arguments[argument])

    def relation_block(self, d: int, c: int, kernel_sizes: tuple[int, ...], seed: int, **arrays: Any) -> dict:
        return relation_block_outputs(self.get("RelationBlock"), d, c, kernel_sizes, seed, arrays)


def relation_block_outputs(
    cls: Any, d: int, c: int, kernel_sizes: tuple[int, ...], seed: int, arrays: dict[str, Any]
) -> dict[str, Any]:
    """Exercise 6's layer ``cls(d, c, kernel_sizes, rng=seed)`` given the grader's weights, run once and gradchecked.

    ``arrays`` holds ``Z``, ``dlogits``, the weights ``Ws``, ``bs`` (one per kernel size) and
    ``W_r``, ``b_r`` (the read-out). Returns ``{"problem": text}`` when the layer's structure
    does not fit (the template's ``__init__`` changed), else the forward output ``out``, ``dZ``
    and every layer's gradients from one ``backward(dlogits)``, and ``gradcheck``: the
    result of :func:`msdn_numpy.nn.gradcheck.gradcheck` on the whole block (or its error).
    This runs in the student's process; the grader judges the outputs itself.
    """
    from msdn_numpy.nn.gradcheck import gradcheck

    block = cls(d, c, kernel_sizes, rng=seed)
    for attr in ("convs", "readout"):
        if not hasattr(block, attr):
            return {"problem": f"RelationBlock: has no attribute '{attr}'; keep the __init__ of the template"}
    convs = list(block.convs)
    if len(convs) != len(arrays["Ws"]):
        return {"problem": f"RelationBlock: has {len(convs)} convs for {len(kernel_sizes)} kernel sizes; keep the "
                "__init__ of the template"}  # fmt: skip
    targets = [(f"convs[{i}]", conv, W, b) for i, (conv, W, b) in enumerate(zip(convs, arrays["Ws"], arrays["bs"]))]
    for where, layer, W, b in targets + [("readout", block.readout, arrays["W_r"], arrays["b_r"])]:
        for name, value in (("W", W), ("b", b)):
            have = np.shape(layer.params.get(name))
            if have != value.shape:
                return {"problem": f"RelationBlock: {where}.params['{name}'] has shape {_shape_text(have)} but "
                        f"expected {_shape_text(value.shape)}; keep the __init__ of the template"}  # fmt: skip
            layer.params[name] = np.array(value, dtype=np.float64)
    out = np.array(block.forward(np.array(arrays["Z"])))  # as they are: the grader judges their kind (no complex)
    dZ = np.array(block.backward(np.array(arrays["dlogits"])))
    grads = [[np.array(layer.grads.get(k)) for k in ("W", "b")] for layer in [*convs, block.readout]]
    try:
        result = gradcheck(block, np.array(arrays["Z"]))
        checked: dict[str, Any] = {"passed": bool(result.passed), "worst": str(result.worst),
                                   "worst_error": float(result.worst_error),
                                   "problems": [str(p) for p in result.problems]}  # fmt: skip
    except (ValueError, RuntimeError) as exc:
        if not str(exc).startswith("gradcheck:"):
            raise
        checked = {"error": str(exc)}
    return {"out": out, "dZ": dZ, "grads": grads, "gradcheck": checked}


#: What each dtype kind is called in a message.
_KIND_NAMES = {"f": "floating point (e.g. float64)", "b": "bool", "i": "integer", "u": "unsigned integer",
               "c": "complex"}  # fmt: skip


def real_array(fn: str, tensor: str, value: Any, want: str, kinds: str = "f", case: str = "") -> np.ndarray:
    """``value`` as an array of one of the dtype ``kinds`` (``"f"``: floating point), or :class:`Mismatch` naming why.

    A complex answer is refused (its imaginary part would be dropped silently by a
    conversion), as is one of another kind (integers or booleans for floats, floats for
    booleans) or something that is not an array of numbers at all.
    """
    try:
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (TypeError, ValueError):
        raise Mismatch(f"{fn}: {tensor} is {_describe_type(value)}, expected {want}") from None
    kind = arr.dtype.kind
    if kind not in _KIND_NAMES or isinstance(value, Opaque):
        raise Mismatch(f"{fn}: {tensor} is {_describe_type(value)}, expected {want}")
    if kind == "c" and "c" not in kinds:
        raise Mismatch(f"{fn}: {tensor} is complex (dtype {arr.dtype}), expected real numbers ({want})"
                       + (f" (case {case})" if case else "") + "; a real computation never makes an imaginary part")
    if kind not in kinds:
        expected = " or ".join(_KIND_NAMES[k] for k in kinds)
        where = f" (case {case})" if case else ""
        raise Mismatch(f"{fn}: {tensor} has dtype {arr.dtype}, expected {expected}{where}")
    return arr


def expect_array(
    fn: str, tensor: str, value: Any, expected: np.ndarray, case: str, whole: bool = True, kinds: str = "f"
) -> float:
    """Compare one returned tensor with the expected one; return the relative error.

    ``whole`` says that ``value`` is the function's whole return value (so a ``None``
    reads "returned None") rather than one element of a returned tuple; ``kinds`` are the
    dtype kinds accepted (:func:`real_array`).

    Raises
    ------
    Mismatch
        ``None`` or a non-array, a complex array or one of another dtype kind, a wrong shape
        (both shapes named), non-finite entries where finite ones are expected, or a
        relative error at or above ``PASS_BAR`` (with the position and both values of the
        largest difference).
    """
    expected = np.asarray(expected, dtype=np.float64)
    want = f"an array of shape {_shape_text(expected.shape)}"
    if value is None:
        lead = "returned None" if whole else f"{tensor} is None"
        raise Mismatch(f"{fn}: {lead}, expected {want}" + (" (is a return statement missing?)" if whole else ""))
    arr = real_array(fn, tensor, value, want, kinds, case)
    if arr.shape != expected.shape:
        hint = arrangement_hint(arr, expected) if arr.size == expected.size else ""
        raise Mismatch(
            f"{fn}: {tensor} has shape {_shape_text(arr.shape)} but expected {_shape_text(expected.shape)}"
            f" (case {case})" + (f"; {hint}" if hint else "")
        )
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr) & np.isfinite(expected)
    if bad.any():
        if arr.ndim == 0:
            raise Mismatch(f"{fn}: {tensor} is {arr} in case {case}; expected {_number(expected)}", float("inf"))
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        count = int(bad.sum())
        raise Mismatch(
            f"{fn}: {tensor} has {count} non-finite {'entry' if count == 1 else 'entries'} (inf or nan) in case "
            f"{case}, e.g. {_at(tensor, where)} = {arr[where]}; expected {_number(expected[where])}",
            float("inf"),
        )
    err = rel_error(arr, expected)
    if err >= PASS_BAR:
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(arr - expected))), arr.shape))
        hint = arrangement_hint(arr, expected)
        raise Mismatch(
            f"{fn}: {tensor} is wrong in case {case}: relative error {err:.1e} (bar {PASS_BAR:.0e}); largest "
            f"difference at {_at(tensor, where)}: yours {_number(arr[where])}, expected {_number(expected[where])}"
            + (f"; {hint}" if hint else ""),
            err,
        )
    return err


def _matches(value: np.ndarray, expected: np.ndarray) -> bool:
    return value.shape == expected.shape and rel_error(value, expected) < PASS_BAR


def arrangement_hint(value: np.ndarray, expected: np.ndarray) -> str:
    """What a wrong answer holding the right numbers in the wrong places did, or ``""``.

    Tried in turn, on finite arrays of the same number of entries (at least 2), each to the
    pass bar:

    * ``value`` with its axes permuted equals ``expected``: "your values are the expected
      ones transposed" (two axes), or with the permutation that makes them right;
    * ``value`` reshaped (C order) to the expected shape equals it: the right values in the
      wrong shape;
    * the sorted values are equal: "your values are the expected ones in another order".
    """
    value, expected = np.asarray(value).astype(np.float64), np.asarray(expected, dtype=np.float64)
    if value.size != expected.size or value.size < 2 or not (np.isfinite(value).all() and np.isfinite(expected).all()):
        return ""
    if value.ndim == expected.ndim and 2 <= value.ndim <= 4:
        identity = tuple(range(value.ndim))
        for perm in itertools.permutations(identity):
            if perm != identity and _matches(value.transpose(perm), expected):
                if value.ndim == 2:
                    return "your values are the expected ones transposed"
                return (
                    f"your values are the expected ones with the axes in another order: yours.transpose{perm} is right"
                )
    if value.shape != expected.shape and _matches(value.reshape(expected.shape), expected):
        return f"your values are right, in shape {_shape_text(value.shape)}: reshape to {_shape_text(expected.shape)}"
    if _matches(np.sort(value, axis=None), np.sort(expected, axis=None)):
        return "your values are the expected ones in another order (the right numbers in the wrong places)"
    return ""


def wrong_blocks(value: Any, expected: np.ndarray, n_blocks: int) -> list[int] | None:
    """The blocks (equal parts of the last axis) in which ``value`` differs from ``expected``.

    A block is wrong when its largest difference, over the whole tensor's scale (as in
    :func:`rel_error`), reaches ``PASS_BAR``; so a tensor that fails has at least one.
    ``None`` when they cannot be compared block by block (another shape, a last axis that
    does not split in ``n_blocks``, non-finite entries). Used to name the LSTM gate whose
    gradient is wrong.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if arr.dtype.kind not in "fiub":
        return None
    arr, expected = arr.astype(np.float64), np.asarray(expected, dtype=np.float64)
    if arr.shape != expected.shape or arr.ndim == 0 or arr.shape[-1] % n_blocks or not np.isfinite(arr).all():
        return None
    width = arr.shape[-1] // n_blocks
    scale = max(float(np.max(np.abs(arr) + np.abs(expected))), 1e-12)  # the whole tensor's, as rel_error's
    diff = np.abs(arr - expected).reshape(-1, n_blocks, width)
    return [k for k in range(n_blocks) if float(diff[:, k].max()) / scale >= PASS_BAR]


def _number(value: Any) -> str:
    """Enough digits to see a difference of one part in 1e7; ``-0`` printed as ``0``."""
    return f"{float(value) + 0.0:.10g}"


def _at(tensor: str, where: tuple[int, ...]) -> str:
    """``dx[0, 3]``, or ``index (0, 3) of the update p_new - p`` for a name that is not an identifier."""
    if not where:
        return tensor
    index = ", ".join(map(str, where))
    return f"{tensor}[{index}]" if tensor.isidentifier() else f"index ({index}) of {tensor}"


def expect_scalar(fn: str, tensor: str, value: Any, expected: float, case: str) -> float:
    """Like :func:`expect_array` for a function that returns one number (a loss)."""
    if value is None:
        raise Mismatch(f"{fn}: returned None, expected a float (is a return statement missing?)")
    arr = real_array(fn, tensor, value, "a float", case=case)
    if arr.size != 1:
        raise Mismatch(
            f"{fn}: {tensor} has shape {_shape_text(arr.shape)} but expected a single number (shape ()) in case {case}"
        )
    return expect_array(fn, tensor, arr.reshape(()), np.asarray(expected), case)


def expect_tuple(fn: str, value: Any, names: Sequence[str]) -> tuple:
    """Check that ``value`` is a tuple (or list) of ``len(names)`` items; return it as a tuple."""
    want = f"a tuple ({', '.join(names)})"
    if value is None:
        raise Mismatch(f"{fn}: returned None, expected {want} (is a return statement missing?)")
    if not isinstance(value, (tuple, list)):
        raise Mismatch(f"{fn}: returned {_describe_type(value)}, expected {want}")
    if len(value) != len(names):
        raise Mismatch(f"{fn}: returned {len(value)} values, expected {len(names)}: {want}")
    return tuple(value)


def expect_same_twice(fn: str, first: Any, second: Any, names: Sequence[str]) -> None:
    """Two calls with the same inputs must return the same values (no state kept between calls)."""
    firsts = first if isinstance(first, tuple) else (first,)
    seconds = second if isinstance(second, tuple) else (second,)
    for name, a, b in zip(names, firsts, seconds):
        b = real_array(fn, f"{name} of the second call", b, "the first call's values", kinds="fb")
        a, b = np.asarray(a).astype(np.float64), b.astype(np.float64)
        if a.shape == b.shape and np.isfinite(a).all() and rel_error(a, b) >= PASS_BAR:
            raise Mismatch(
                f"{fn}: two calls with the same inputs returned different {name} (relative difference "
                f"{rel_error(a, b):.1e}): it keeps state between calls, e.g. it accumulates into a buffer; "
                "compute each result afresh (assign with =, do not add with +=)",
                rel_error(a, b),
            )


#: Frames in these folders are the checker's or NumPy's, not the student's.
_NOT_STUDENT = (str(Path(__file__).resolve().parent.parent), str(Path(np.__file__).resolve().parent))


def _student_line(exc: BaseException) -> str:
    """``" (line N of FILE)"`` for the deepest frame of the traceback in the student's code, if any."""
    frames = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in frames if not str(Path(f.filename).resolve()).startswith(_NOT_STUDENT)]
    if not frames:
        return ""
    return f" (line {frames[-1].lineno} of {frames[-1].filename})"


def run_function_check(function: str, check: Callable[[Student], float], student: Any) -> FunctionResult:
    """Run one function's check on a student (a namespace, or a :class:`Student`) and turn the outcome into a verdict.

    ``check(student)`` returns the worst relative error over its cases, or raises
    :class:`Mismatch` (FAIL), :class:`NotDone` or ``NotImplementedError`` (NOT DONE).
    Any other exception raised by the student's code is a FAIL that names the exception
    and the line of the student's file it came from.
    """
    if isinstance(student, dict):
        student = Student(student)
    try:
        with np.errstate(all="ignore"):  # overflow in a naive formula is reported as inf/nan, not warned
            error = check(student)
    except NotDone as exc:
        return FunctionResult(function, "NOT DONE", str(exc))
    except NotImplementedError as exc:
        return FunctionResult(function, "NOT DONE", f"raises NotImplementedError({str(exc)!r})")
    except Mismatch as exc:
        return FunctionResult(function, "FAIL", exc.message, exc.error)
    except StudentRaised as exc:  # in the student process: what and where, as that process saw it
        return FunctionResult(function, "FAIL", f"{function}: {exc.text}")
    except RecursionError as exc:
        return FunctionResult(function, "FAIL", f"{function}: RecursionError: {exc}")
    except SystemExit as exc:  # sys.exit() or exit() in the student's code: not the end of the checking
        return FunctionResult(function, "FAIL", f"{function}: called sys.exit({exc.code!r}){_student_line(exc)}")
    except Exception as exc:  # the student's code raised: a failure, with the reason and where
        where = _student_line(exc)
        return FunctionResult(function, "FAIL", f"{function}: raised {type(exc).__name__}: {exc}{where}")
    return FunctionResult(function, "PASS", "", error)


def exercise_status(results: Sequence[FunctionResult]) -> str:
    """One verdict for an exercise: FAIL if any function fails, PASS if all pass, else NOT DONE."""
    statuses = {r.status for r in results}
    if "FAIL" in statuses:
        return "FAIL"
    if statuses == {"PASS"}:
        return "PASS"
    return "NOT DONE"


def worst_error(results: Sequence[FunctionResult]) -> float | None:
    """The largest measured relative error: among the failing functions if any fail, else among all.

    ``None`` when none was measured (e.g. the only failure is an exception or a wrong shape).
    """
    failing = [r for r in results if r.status == "FAIL"]
    errors = [r.error for r in (failing or results) if r.error is not None]
    return max(errors) if errors else None
