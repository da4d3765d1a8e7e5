"""One student cannot sink the class or the grader: every read of a student's folder or output is bounded.

A class of real hostile folders, graded once in a process of its own whose peak memory is
measured (``VmHWM``): an endless line of output, 1,100 nested folders, a FIFO, 30,000 files,
a sparse 1 GB file, an answer of 8 MB, a forged frame length. Each is a FAIL for that student
with a message; the good student beside them gets 19/19; nothing prints a traceback; the
grader's peak memory stays under :data:`GRADER_PEAK_MB` (docs/COURSE.md, "Limits").
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from grade_helpers import SOLUTION, assert_class_goes_on, changed, run, run_measured, student_folder

from msdn_numpy.course.copying import MAX_BYTES, MAX_DEPTH, MAX_ENTRIES

ENDLESS_LINE = changed("01_relu", "return np.maximum(x, 0.0)",
                       "import sys\n    while True:\n        sys.stdout.write('x' * 65536)")  # fmt: skip
HUGE_ANSWER = changed("01_relu", "return np.maximum(x, 0.0)", "return np.zeros(1_000_000)")
FORGED_LENGTH = SOLUTION["01_relu"].replace("import numpy as np", "import numpy as np\nimport fcntl, os, stat", 1) + """
for _fd in range(3, 256):
    try:
        if stat.S_ISFIFO(os.fstat(_fd).st_mode) and fcntl.fcntl(_fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
            os.write(_fd, (2**62).to_bytes(8, "big") + b"x" * 65536)
    except OSError:
        pass
"""


def _deep(folder: Path, levels: int) -> list[Path]:
    """``levels`` nested folders below ``folder``, made without recursion; returns them, outermost first."""
    made, here = [], folder
    for _ in range(levels):
        here = here / "d"
        here.mkdir()
        made.append(here)
    return made


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("bounds")
    folder = root / "class"
    student_folder(folder, "good")
    student_folder(folder, "endless_line", **{"01_relu": ENDLESS_LINE})
    deep = _deep(student_folder(folder, "deep"), 1100)
    os.mkfifo(student_folder(folder, "fifo") / "notes")
    many = student_folder(folder, "many") / "cache"
    many.mkdir()
    for i in range(30_000):
        (many / f"{i}.npy").touch()
    with open(student_folder(folder, "sparse") / "data.bin", "wb") as f:
        f.truncate(2**30)
    student_folder(folder, "huge_answer", **{"01_relu": HUGE_ANSWER})
    student_folder(folder, "forged_length", **{"01_relu": FORGED_LENGTH})
    book = root / "grades.json"
    code, out, peak = run_measured(root, str(folder), "--timeout", "3", "--jobs", "2", "--json", str(book))
    for d in reversed(deep):  # without recursion: pytest's clean-up would recurse 1,100 deep
        d.rmdir()
    assert code == 0, out
    students = {s["student"]: s for s in json.loads(book.read_text())["students"]}
    return students, out, peak


def _refused(student: dict) -> set[str]:
    """The problems of a student whose every exercise FAILs for one reason."""
    assert {e["status"] for e in student["exercises"].values()} == {"FAIL"}, student
    assert student["points"] == 0
    return {e["problem"] for e in student["exercises"].values()}


def _class_goes_on(graded) -> None:
    students, out, peak = graded
    assert_class_goes_on(students, out, peak)


def test_an_endless_line_of_output_is_read_in_bounded_chunks(graded) -> None:
    students, out, _ = graded
    s = students["endless_line"]
    relu = {f["function"]: f for f in s["exercises"]["01_relu"]["functions"]}
    assert relu["relu_forward"]["status"] == "FAIL" and "timed out after 3 s" in relu["relu_forward"]["message"]
    assert relu["relu_backward"]["status"] == "PASS" and s["points"] == 18
    assert s["printed_bytes"] > 10 * 2**20 and s["printed_lines"] == 1, s["printed_bytes"]
    assert s["output"] == "x" * 4000
    _class_goes_on(graded)


@pytest.mark.parametrize(
    "student, problem",
    [
        ("deep", f"the folder nests more than {MAX_DEPTH} folders deep"),  # 1,100 deep, walked without recursion
        ("fifo", "'notes' is a FIFO (named pipe)"),  # never opened: it would block the grader
        ("many", f"the folder holds more than {MAX_ENTRIES} files and folders"),  # 30,000: the walk stops early
        ("sparse", f"the folder holds more than {MAX_BYTES // 2**20} MB"),  # 1 GB: the copy stops at the limit
    ],
)
def test_a_folder_beyond_a_limit_fails_that_student_alone(graded, student, problem) -> None:
    students, _, _ = graded
    tail = ", as regular files (no links)" if student == "fifo" else ""
    assert _refused(students[student]) == {f"{problem}: hand in only the exercise files{tail}"}
    _class_goes_on(graded)


def test_a_huge_answer_never_reaches_the_grader(graded) -> None:
    students, _, _ = graded
    relu = {f["function"]: f for f in students["huge_answer"]["exercises"]["01_relu"]["functions"]}
    assert relu["relu_forward"]["status"] == "FAIL" and "more than 4194304" in relu["relu_forward"]["message"]
    assert students["huge_answer"]["points"] == 18
    _class_goes_on(graded)


def test_a_forged_frame_length_is_a_malformed_answer(graded) -> None:
    students, _, _ = graded
    relu = students["forged_length"]["exercises"]["01_relu"]
    assert relu["status"] == "FAIL" and "malformed" in relu["problem"] and "more than 4194304" in relu["problem"]
    assert students["forged_length"]["points"] == 17
    _class_goes_on(graded)


def test_a_students_folder_is_copied_once_for_all_exercises(tmp_path, monkeypatch) -> None:
    """Two students, eight exercises each, two at a time: two copies, not sixteen."""
    import msdn_numpy.course.gradebook as gradebook

    copies = []
    real = gradebook.copy_submission
    monkeypatch.setattr(gradebook, "copy_submission", lambda *args: copies.append(args[0]) or real(*args))
    folder = tmp_path / "class"
    student_folder(folder, "alice")
    (folder / "bob.py").write_text(SOLUTION["01_relu"])
    code, out = run(str(folder), "--timeout", "5", "--jobs", "2")
    assert code == 0, out
    assert sorted(p.name for p in copies) == ["alice", "bob.py"]
