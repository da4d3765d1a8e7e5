"""The checkers' hints: the right values in the wrong places, and the LSTM gate whose gradient is wrong.

Each hint is checked three ways: on the comparison itself, on a wrong answer checked by the
exercise's own ``check`` (in the student's process), and through ``msdn grade``, where the
comparison happens in the grader, outside the process that runs the student's code.
"""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

from msdn_numpy.course import exercises
from msdn_numpy.course.exercises import gate_hint, run_exercise
from msdn_numpy.course.grading import Mismatch, arrangement_hint, expect_array, wrong_blocks
from msdn_numpy.tools.cli import main

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "tutorials" / "exercises" / "solutions"
TRANSPOSED = "your values are the expected ones transposed"
ANOTHER_ORDER = "your values are the expected ones in another order"
F_GATE = "the f-gate block of db, dW_x and dW_h is wrong, the other gates' blocks are right"


def _message(value, expected) -> str:
    with pytest.raises(Mismatch) as info:
        expect_array("fn", "out", value, expected, "case 0")
    return info.value.message


def test_transposed_values_are_named() -> None:
    rng = np.random.default_rng(0)
    square = rng.standard_normal((4, 4))
    assert _message(square.T, square).endswith("; " + TRANSPOSED)  # same shape: only the values tell
    wide = rng.standard_normal((3, 5))
    text = _message(wide.T, wide)
    assert text.startswith("fn: out has shape (5, 3) but expected (3, 5) (case case 0)") and text.endswith(TRANSPOSED)
    cube = rng.standard_normal((4, 3, 3))
    assert arrangement_hint(cube.transpose(0, 2, 1), cube).endswith("yours.transpose(0, 2, 1) is right")
    assert arrangement_hint(cube.transpose(2, 0, 1), cube).endswith("yours.transpose(1, 2, 0) is right")


def test_values_in_another_order_or_shape_are_named() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 5))
    assert ANOTHER_ORDER in _message(x.transpose(1, 0, 2).reshape(x.shape), x)  # a reshape for a transpose
    assert ANOTHER_ORDER in _message(x[:, ::-1], x)
    assert "your values are right, in shape (8, 5): reshape to (2, 4, 5)" in _message(x.reshape(8, 5), x)


def test_no_hint_for_other_values() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 4))
    for wrong in (x.T * 1.001, x + 1e-3, -x, np.sort(x, axis=None)[::-1].reshape(4, 4) + 1e-3, x[:3]):
        assert arrangement_hint(wrong, x) == ""
        assert "your values" not in _message(wrong, x)
    assert arrangement_hint(np.ones(1), np.zeros(1)) == ""  # one number has no order
    with_nan = x.T.copy()
    with_nan[0, 0] = np.nan
    assert arrangement_hint(with_nan, x) == ""


def test_wrong_gate_blocks() -> None:
    rng = np.random.default_rng(3)
    H = 3
    db, dW = rng.standard_normal(4 * H), rng.standard_normal((2, 4 * H))
    bad_db = db.copy()
    bad_db[H : 2 * H] *= -1
    assert wrong_blocks(bad_db, db, 4) == [1]
    assert wrong_blocks(db, db, 4) == []
    assert wrong_blocks(bad_db[:-1], db, 4) is None
    tiny = 1e-15 * rng.standard_normal(4 * H)
    # blocks of tiny values differing by half are right at the scale of the whole tensor (as rel_error)
    assert wrong_blocks(np.r_[db[:H] + 1.0, 1.5 * tiny[: 3 * H]], np.r_[db[:H], tiny[: 3 * H]], 4) == [0]
    assert gate_hint({"db": bad_db, "dW_x": dW}, {"db": db, "dW_x": dW}).startswith(
        "the f-gate block of db is wrong, the other gates' blocks are right (gate order i, f, g, o along the last "
        "axis; with H = 3, f is columns 3:6)"
    )
    bad_dW = dW.copy()
    bad_dW[:, 3 * H :] = 0.0
    text = gate_hint({"db": bad_db, "dW_x": bad_dW}, {"db": db, "dW_x": dW})
    assert text.startswith("the f-gate block of db and the o-gate block of dW_x are wrong"), text
    everything = -db
    assert gate_hint({"db": everything}, {"db": db}) == ""  # every block wrong: no gate to name
    assert gate_hint({"db": db}, {"db": db}) == ""


def _solution_with(key: str, old: str, new: str) -> str:
    text = (SOLUTIONS / f"{key}.py").read_text()
    assert text.count(old) == 1, old
    return text.replace(old, new)


#: The forget gate's gradient with the wrong sign, and ReLU with its output
#: transposed and its gradient's rows reversed.
WRONG_FILES = {
    "05_lstm_bptt": ("di, df, dg = dc_total * g, dc_total * c_prev", "di, df, dg = dc_total * g, -dc_total * c_prev"),
    "01_relu": ("return np.maximum(x, 0.0)", "return np.maximum(x, 0.0).T"),
}


def _wrong_file(folder: Path, key: str) -> Path:
    text = _solution_with(key, *WRONG_FILES[key])
    if key == "01_relu":
        text = text.replace("return dout * (x > 0)", "return (dout * (x > 0))[::-1]")
    path = folder / f"{key}.py"
    path.write_text(text)
    return path


def test_hints_in_the_exercises_own_check(tmp_path) -> None:
    for key in WRONG_FILES:
        exercises.GRADING = True
        try:
            namespace = runpy.run_path(str(_wrong_file(tmp_path, key)), run_name="student")
        finally:
            exercises.GRADING = False
        results = {r.function: r for r in run_exercise(key, namespace)}
        if key == "05_lstm_bptt":
            r = results["lstm_step_backward"]
            assert r.status == "FAIL" and r.message.startswith("lstm_step_backward: " + F_GATE), r.message
            assert "f is columns 5:10); the first wrong tensor: dx is wrong in case x (2, 3), H=5" in r.message
            assert results["lstm_step_forward"].status == results["lstm_forward"].status == "PASS"
        else:
            assert results["relu_forward"].message.endswith(TRANSPOSED), results["relu_forward"].message
            assert ANOTHER_ORDER in results["relu_backward"].message, results["relu_backward"].message


def test_hints_through_the_grader(tmp_path, capsys) -> None:
    """``msdn grade`` compares in the grader's process: the same hints reach the gradebook."""
    student = tmp_path / "class" / "carol"
    student.mkdir(parents=True)
    for key in WRONG_FILES:
        _wrong_file(student, key)
    out = tmp_path / "grades.json"
    assert main(["grade", str(student), "--seed", "7", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    (carol,) = json.loads(out.read_text())["students"]
    messages = {f["function"]: f["message"] for e in carol["exercises"].values() for f in e["functions"]}
    assert messages["lstm_step_backward"].startswith("lstm_step_backward: " + F_GATE)
    assert re.search(r"f is columns \d+:\d+\); the first wrong tensor: dx is wrong", messages["lstm_step_backward"])
    assert messages["relu_forward"].endswith(TRANSPOSED)
    assert ANOTHER_ORDER in messages["relu_backward"]
    assert F_GATE in printed and TRANSPOSED in printed
