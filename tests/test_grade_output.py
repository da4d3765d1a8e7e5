"""Honest output: forged names cannot forge rows, nothing in a class folder is left out silently, and a
complex, non-finite or wrongly typed answer FAILs naming what is wrong.

One class, graded once in a process of its own (peak memory measured): a good student; students
whose folder names hold a newline and a forged row, terminal escape sequences, a right-to-left
override, bytes that are not UTF-8; entries that are not graded (a dangling link, a link loop, a
link to a folder, a FIFO, a text file, a notebook); answers that are complex, non-finite, boolean,
integer, a complex loss, a float receptive field.
"""

from __future__ import annotations

import csv
import json
import os

import pytest
from grade_helpers import SOLUTION, assert_class_goes_on, changed, run_measured, student_folder

FORGED_ROW = "x\nalice    PASS 0.0e+00  PASS 0.0e+00"
ESCAPES = "\x1b[2J\x1b[32meve"
OVERRIDE = "\u202egnp.bob"
RELU = "return np.maximum(x, 0.0)"
ANSWERS = {
    "complex": ("01_relu", changed("01_relu", RELU, "return np.maximum(x, 0.0).astype(complex)"),
                "relu_forward: out is complex (dtype complex128), expected real numbers (an array of shape (4, 5)) "
                "(case x of shape (4, 5))"),
    "nan": ("01_relu", changed("01_relu", RELU, "return np.full_like(x, np.nan)"),
            "relu_forward: out has 20 non-finite entries (inf or nan) in case x of shape (4, 5)"),
    "boolean": ("01_relu", changed("01_relu", RELU, "return x > 0"),
                "relu_forward: out has dtype bool, expected floating point (e.g. float64) (case x of shape (4, 5))"),
    "integer": ("01_relu", changed("01_relu", RELU, "return np.maximum(x, 0.0).astype(np.int64)"),
                "relu_forward: out has dtype int64, expected floating point (e.g. float64) (case x of shape (4, 5))"),
    "complex_loss": ("02_bce", SOLUTION["02_bce"] + "\n_real = bce_forward\n"
                     "def bce_forward(*args):\n    return complex(_real(*args))\n",
                     "bce_forward: loss is complex (dtype complex128), expected real numbers (a float)"),
    "complex_block": ("06_msdn_relations", changed("06_msdn_relations", "return self.readout.forward(F)[:, 0, :]",
                                                   "return self.readout.forward(F)[:, 0, :] + 0j"),
                      "RelationBlock.forward: logits is complex (dtype complex128), expected real numbers"),
    "float_reach": ("08_label_axis", SOLUTION["08_label_axis"] + "\n_real = receptive_field\n"
                    "def receptive_field(*args):\n    return _real(*args).astype(float)\n",
                    "receptive_field: seen has dtype float64, expected bool (case L=9, kernel_sizes=(3,), p=4)"),
}  # fmt: skip


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("output")
    folder = root / "class"
    student_folder(folder, "alice")
    wrong = {"01_relu": changed("01_relu", RELU, "return x")}
    for name in (FORGED_ROW, ESCAPES, OVERRIDE):
        student_folder(folder, name, **wrong)
    os.mkdir(os.fsencode(folder) + b"/caf\xe9")  # Latin-1, not UTF-8
    (folder / "caf\udce9" / "01_relu.py").write_text(wrong["01_relu"])
    (folder / "ghost").symlink_to(root / "nowhere")
    (folder / "loop").symlink_to(folder / "loop")
    (folder / "alias").symlink_to(folder / "alice")
    os.mkfifo(folder / "pipe.py")
    (folder / "notes.txt").write_text("not graded")
    (folder / "erin.ipynb").write_text("{}")
    for name, (key, text, _) in ANSWERS.items():
        student_folder(folder, name, **{key: text})
    book, points = root / "grades.json", root / "points.csv"
    code, out, peak = run_measured(root, str(folder), "--timeout", "5", "--jobs", "2", "--json", str(book),
                                   "--csv", str(points))  # fmt: skip
    assert code == 0, out
    students = {s["student"]: s for s in json.loads(book.read_text())["students"]}
    return students, out, peak, json.loads(book.read_text()), points.read_text()


def _class_goes_on(graded) -> None:
    students, out, peak, _, _ = graded
    assert_class_goes_on(students, out, peak, good='alice')


def _table(out: str) -> list[str]:
    return out.split("\n\n")[1].splitlines()[2:]


def test_one_row_per_student_whatever_the_name(graded) -> None:
    students, out, _, _, points = graded
    rows = _table(out)
    assert len(rows) == len(students) == 4 + 1 + len(ANSWERS)
    assert sum(r.startswith("alice") for r in rows) == 1  # the forged row is part of another's name
    for shown in ("x\\nalice    PASS 0.0e+00  PASS 0.0e+00", "\\x1b[2J\\x1b[32meve", "\\u202egnp.bob", "caf\\udce9"):
        assert sum(r.startswith(shown + " ") for r in rows) == 1, shown
    assert "\x1b" not in out and "\u202e" not in out
    names = [r[0] for r in csv.reader(points.splitlines(keepends=True))][1:]
    assert sorted(names) == sorted([*ANSWERS, "alice", FORGED_ROW, ESCAPES, OVERRIDE, "caf\\udce9"])
    _class_goes_on(graded)


def test_every_entry_not_graded_is_listed_with_the_reason(graded) -> None:
    students, out, _, book, _ = graded
    listed = {os.path.basename(n["path"]): n["reason"] for n in book["not_graded"]}
    assert listed == {
        "alias": "a symbolic link to a folder: not followed; put the folder itself in the class folder",
        "erin.ipynb": "a notebook: hand in the script (.py), e.g. jupyter nbconvert --to script",
        "ghost": "a dangling symbolic link (its target does not exist): not followed",
        "loop": "a symbolic link that cannot be followed (Too many levels of symbolic links): not followed",
        "notes.txt": "not a .py file",
        "pipe.py": "a FIFO (named pipe), not a file or folder",
    }
    section = out.split("Not graded:\n")[1].split("\n\n")[0].splitlines()
    assert [line.split(": ", 1)[1] for line in section] == list(listed.values())
    assert not set(listed) & set(students)
    _class_goes_on(graded)


@pytest.mark.parametrize("student", list(ANSWERS))
def test_a_complex_nonfinite_or_wrong_kind_answer_fails_by_name(graded, student) -> None:
    students, out, _, _, _ = graded
    key, _, message = ANSWERS[student]
    results = students[student]["exercises"][key]
    assert results["status"] == "FAIL"
    assert any(f["message"].startswith(message) for f in results["functions"]), results
    assert students[student]["points"] == 18  # that one function alone
    warned = [line for line in out.splitlines() if "ComplexWarning" in line and " printed " not in line]
    assert warned == []  # the grader converts nothing complex (a student process may warn in its own output)
    _class_goes_on(graded)
