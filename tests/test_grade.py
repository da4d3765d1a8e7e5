"""``msdn grade`` on a folder of students' files: correct, wrong, crashing, hanging, exiting, printing.

Each kind of file must be graded and reported without stopping the run; the hang time limit is
kept small (``--timeout 2``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msdn_numpy.course.exercises import EXERCISES
from msdn_numpy.tools.cli import main

SOLUTIONS = Path(__file__).resolve().parent.parent / "tutorials" / "exercises" / "solutions"
RELU = (SOLUTIONS / "01_relu.py").read_text()


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[int, str, dict]:
    folder = tmp_path_factory.mktemp("students")
    # every exercise done right: a student folder of the solutions, matched by file name
    (folder / "correct").mkdir()
    for p in sorted(SOLUTIONS.glob("0*.py")):
        (folder / "correct" / p.name).write_text(p.read_text())
    (folder / "wrong.py").write_text(RELU.replace("return dout * (x > 0)", "return dout * (x >= 0)"))
    (folder / "crashing.py").write_text('"""A student file that raises when loaded."""\n\nx = 1 / 0\n')
    (folder / "hanging.py").write_text(
        RELU.replace("return np.maximum(x, 0.0)", "while True:\n        pass")
        + '\nprint("hello from the student")\nprint("a second line")\n'
    )
    (folder / "hanging_at_load.py").write_text("import time\n\nwhile True:\n    time.sleep(0.01)\n")
    (folder / "exiting.py").write_text(RELU.replace("return np.maximum(x, 0.0)", "import os\n    os._exit(3)"))
    (folder / "notes.txt").write_text("not a Python file: ignored")
    out_json = folder.parent / "grades.json"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["grade", str(folder), "--timeout", "2", "--seed", "1", "--json", str(out_json)])
    return code, buffer.getvalue(), json.loads(out_json.read_text())


def _row(table: str, student: str) -> list[str]:
    for line in table.splitlines():
        if line.split("  ")[0].strip() == student:
            return [c.strip() for c in line.split("  ") if c.strip()][1:]
    raise AssertionError(f"no row for {student} in\n{table}")


def test_every_file_is_graded_and_the_run_completes(graded) -> None:
    code, out, book = graded
    assert code == 0, out
    assert out.startswith(f"grading 6 student(s) on {len(EXERCISES)} exercises, time limit 2 s per check")
    header = [line for line in out.splitlines() if line.startswith("student")][0].split()
    assert header == ["student", *EXERCISES]
    assert [s["student"] for s in book["students"]] == [
        "correct", "crashing", "exiting", "hanging", "hanging_at_load", "wrong",
    ]  # fmt: skip
    assert book["time_limit_seconds"] == 2.0 and list(book["exercises"]) == list(EXERCISES)


def test_correct_file_passes_everything(graded) -> None:
    _, out, book = graded
    assert all(cell.startswith("PASS ") for cell in _row(out, "correct")), _row(out, "correct")
    correct = book["students"][0]
    assert {e["status"] for e in correct["exercises"].values()} == {"PASS"}
    assert all(e["worst_error"] < 1e-7 for e in correct["exercises"].values())
    assert all(e["problem"] is None for e in correct["exercises"].values()) and correct["printed_lines"] == 0


def test_wrong_file_fails_its_exercise_and_the_rest_is_not_done(graded) -> None:
    _, out, book = graded
    assert _row(out, "wrong")[:2] == ["FAIL 6.3e-01", "NOT DONE"]
    assert "wrong / 01_relu: relu_backward: dx is wrong in case x of shape (4, 5)" in out
    relu = {f["function"]: f for f in book["students"][5]["exercises"]["01_relu"]["functions"]}
    assert relu["relu_forward"]["status"] == "PASS" and relu["relu_backward"]["status"] == "FAIL"


def test_crashing_file_is_contained(graded) -> None:
    _, out, book = graded
    assert _row(out, "crashing") == ["FAIL"] * len(EXERCISES)
    expected = "the file raised when loaded: ZeroDivisionError: division by zero (line 3 of crashing.py)"
    assert f"crashing / 01_relu: every function FAILS: {expected}" in out
    assert {e["problem"] for e in book["students"][1]["exercises"].values()} == {expected}


def test_hanging_function_times_out_and_the_rest_is_still_checked(graded) -> None:
    _, out, book = graded
    assert _row(out, "hanging")[:2] == ["FAIL", "NOT DONE"]
    assert "hanging / 01_relu: relu_forward: timed out after 2 s (an endless loop, or far too slow)" in out
    relu = {f["function"]: f for f in book["students"][3]["exercises"]["01_relu"]["functions"]}
    assert relu["relu_backward"]["status"] == "PASS"  # checked by a fresh process after the time-out
    # what it printed is reported, not mixed into the table
    # a single file holds every exercise: loaded once per exercise, and 01_relu again after the time-out,
    # 2 lines per load
    lines = 2 * (len(EXERCISES) + 1)
    per_load = len("hello from the student\na second line\n")
    printed = f"{lines} line(s) ({lines // 2 * per_load} bytes)"
    assert f"hanging: printed {printed} while being checked, first: 'hello from the student'" in out
    assert book["students"][3]["output"].startswith("hello from the student\na second line\n")


def test_file_hanging_at_load_times_out_as_a_whole(graded) -> None:
    _, out, book = graded
    assert _row(out, "hanging_at_load") == ["FAIL"] * len(EXERCISES)
    assert "hanging_at_load / 01_relu: every function FAILS: loading the file took more than 2 s" in out
    assert book["students"][4]["exercises"]["01_relu"]["problem"].startswith("loading the file took more than 2 s")


def test_exiting_process_is_reported_and_the_rest_is_still_checked(graded) -> None:
    _, out, book = graded
    assert "exiting / 01_relu: relu_forward: the process ended (exit code 3) while checking it" in out
    relu = {f["function"]: f for f in book["students"][2]["exercises"]["01_relu"]["functions"]}
    assert relu["relu_backward"]["status"] == "PASS"


def test_no_python_file_is_an_error(tmp_path, capsys) -> None:
    assert main(["grade", str(tmp_path)]) == 2
    assert "no .py files in" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "missing.py")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
