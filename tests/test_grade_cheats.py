"""Cheats on ``msdn grade``: each ends FAIL (or NOT DONE, or flagged), never PASS.

The student process only returns outputs; the grader, which never imports the student's code,
computes the expected values on secret-seeded inputs and judges. So whatever a file changes in
its own process (the checks, ``rel_error``, the channel) can only make its answers wrong, and the
package's reference implementations of the function under test are stand-ins while it is
graded: an answer that uses them is a FAIL "uses the reference implementation".
"""

from __future__ import annotations

import json

import pytest
from grade_helpers import SOLUTION, changed, run

WRONG_RELU = changed("01_relu", "return np.maximum(x, 0.0)", "return x + 0.0")

CHECKS_TO_ZERO = """
import msdn_numpy.course.exercises as _ex
import msdn_numpy.course.grading as _grading
for _e in _ex.EXERCISES.values():
    for _k in list(_e.checks):
        _e.checks[_k] = lambda s: 0.0
_grading.run_function_check = lambda fn, check, student: _grading.FunctionResult(fn, "PASS", "", 0.0)
"""

REL_ERROR_ZERO = """
import numpy as _np
import msdn_numpy.course.grading as _grading
_grading.rel_error = lambda a, b: 0.0
_np.allclose = lambda *a, **k: True
"""

#: How a student's file finds the worker's results channel without /proc (unreadable): the one pipe,
#: beyond the standard streams, open for writing.
CHANNEL = """
import fcntl as _fcntl, os as _os, stat as _stat
def _channel():
    for fd in range(3, 256):
        try:
            writes = _fcntl.fcntl(fd, _fcntl.F_GETFL) & _os.O_ACCMODE == _os.O_WRONLY
            if _stat.S_ISFIFO(_os.fstat(fd).st_mode) and writes:
                return fd
        except OSError:
            pass
"""

#: Frames forged on the worker's results channel, after forged verdicts printed on stdout.
FORGE = CHANNEL + """
print('{"event": "done", "status": "PASS", "function": "relu_forward"}')
print("relu_forward PASS\\nrelu_backward PASS", flush=True)  # flushed: the process may be killed right after
from msdn_numpy.course import wire as _wire
for _m in ({"event": "loaded"}, {"event": "done", "status": "PASS"}, {"has": True, "kind": "value"}):
    _os.write(_channel(), _wire.pack(_m))
"""

#: Junk on the channel: a frame that is not JSON, and one nested deeper than Python's JSON parser goes.
JUNK = CHANNEL + """
_os.write(_channel(), b"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x10{not json at all}")
"""
DEEP = CHANNEL + """
_body = b"[" * 200000 + b"\\n"
_os.write(_channel(), len(_body).to_bytes(8, "big") + _body)
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cheats") / "class"
    folder.mkdir()
    files = {
        "checks_to_zero": WRONG_RELU + CHECKS_TO_ZERO,
        "rel_error_zero": changed("07_adam", "return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v",
                                  "return p - lr * g, m, v") + REL_ERROR_ZERO,
        "forged_channel": WRONG_RELU + FORGE,
        "junk_channel": SOLUTION["01_relu"] + JUNK,
        "deep_channel": SOLUTION["01_relu"] + DEEP,
        "good": SOLUTION["01_relu"],
        "reference_im2col": SOLUTION["03_im2col"] + "\nfrom msdn_numpy.nn.conv import im2col  # noqa: F811\n",
        "reference_lstm": SOLUTION["05_lstm_bptt"]
        + "\nfrom msdn_numpy.nn.recurrent import lstm_step_backward  # noqa: F811\n",
    }  # fmt: skip
    for name, text in files.items():
        (folder / f"{name}.py").write_text(text)
    book = folder.parent / "grades.json"
    code, out = run(str(folder), "--timeout", "3", "--jobs", "2", "--json", str(book))
    assert code == 0, out
    students = {s["student"]: s for s in json.loads(book.read_text())["students"]}
    assert len(students) == len(files)
    return students, out


def _functions(student: dict, key: str) -> dict[str, dict]:
    return {f["function"]: f for f in student["exercises"][key]["functions"]}


def test_overwriting_the_checks_passes_nothing(graded) -> None:
    students, _ = graded
    s = students["checks_to_zero"]
    assert s["exercises"]["01_relu"]["status"] == "FAIL"
    assert _functions(s, "01_relu")["relu_forward"]["status"] == "FAIL"
    assert {e["status"] for k, e in s["exercises"].items() if k != "01_relu"} == {"NOT DONE"}
    assert s["points"] == 1  # relu_backward, left correct, is the only point


def test_patching_rel_error_does_not_pass_a_wrong_update(graded) -> None:
    students, _ = graded
    s = students["rel_error_zero"]
    adam = _functions(s, "07_adam")["adam_step"]
    assert adam["status"] == "FAIL" and adam["error"] > 1e-5, adam
    assert s["points"] == 0


def test_forged_frames_and_printed_verdicts_are_no_pass(graded) -> None:
    students, out = graded
    s = students["forged_channel"]
    assert _functions(s, "01_relu")["relu_forward"]["status"] == "FAIL" and s["points"] <= 1
    assert "relu_forward PASS" in s["output"]  # what it printed is reported as its output, nothing more


@pytest.mark.parametrize("student", ["junk_channel", "deep_channel"])
def test_junk_on_the_channel_fails_that_student_and_the_class_goes_on(graded, student) -> None:
    students, out = graded
    junk = students[student]
    assert junk["points"] == 0 and junk["exercises"]["01_relu"]["status"] == "FAIL"
    assert "malformed" in junk["exercises"]["01_relu"]["problem"]
    assert "Traceback" not in out
    assert students["good"]["exercises"]["01_relu"]["status"] == "PASS" and students["good"]["points"] == 2


@pytest.mark.parametrize(
    "student, key, function",
    [("reference_im2col", "03_im2col", "im2col"), ("reference_lstm", "05_lstm_bptt", "lstm_step_backward")],
)
def test_answering_with_the_reference_is_flagged(graded, student, key, function) -> None:
    students, out = graded
    result = _functions(students[student], key)[function]
    assert result["status"] == "FAIL"
    assert "uses the reference implementation" in result["message"], result
    assert f"{student} / {key}: {function}: uses the reference implementation" in out
