"""The usual mess of a class's uploads: macOS zip metadata, hidden files and caches, near-miss file names,
syntax errors; and ``msdn grade --help``.

One class, graded once in a process of its own (peak memory measured): a good student; a
``__MACOSX`` folder and a ``.DS_Store`` beside the students; a student whose folder also holds
``._`` files, ``.ipynb_checkpoints`` and ``__pycache__``; one whose files are near misses
(``03_im2col (1).py``, ``07_Adam.py``, ``hw/05_lstm_bptt.py``, ``08_label_axis.ipynb``); one whose
file does not compile.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grade_helpers import SOLUTION, assert_class_goes_on, changed, run, run_measured, student_folder

NEAR = {"03_im2col": "03_im2col (1).py", "07_adam": "07_Adam.py", "05_lstm_bptt": "hw/05_lstm_bptt.py",
        "08_label_axis": "08_label_axis.ipynb"}  # fmt: skip


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("mess")
    folder = root / "class"
    student_folder(folder, "good")
    mac = folder / "__MACOSX" / "good"
    mac.mkdir(parents=True)
    (mac / "._01_relu.py").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    tidy = student_folder(folder, "tidy")
    (tidy / "._01_relu.py").write_bytes(b"\x00\x05\x16\x07")
    (tidy / ".ipynb_checkpoints").mkdir()
    (tidy / ".ipynb_checkpoints" / "01_relu-checkpoint.py").write_text("raise SystemExit('not me')")
    (tidy / "__pycache__").mkdir()
    (tidy / "__pycache__" / "01_relu.cpython-311.pyc").write_bytes(b"junk")
    near = student_folder(folder, "near")
    (near / "hw").mkdir()
    for key, name in NEAR.items():
        (near / name).write_text(SOLUTION[key])
        (near / f"{key}.py").unlink()
    student_folder(folder, "syntax", **{"02_bce": changed("02_bce", "def bce_backward(", "def bce_backward(:")})
    book = root / "grades.json"
    code, out, peak = run_measured(root, str(folder), "--timeout", "5", "--jobs", "2", "--json", str(book))
    assert code == 0, out
    grades = json.loads(book.read_text())
    return {s["student"]: s for s in grades["students"]}, out, peak, grades


def _class_goes_on(graded) -> None:
    students, out, peak, _ = graded
    assert_class_goes_on(students, out, peak)


def test_macos_metadata_hidden_files_and_caches_are_ignored(graded) -> None:
    students, out, _, book = graded
    assert list(students) == ["good", "near", "syntax", "tidy"]  # no __MACOSX row
    assert students["tidy"]["points"] == 19
    listed = {n["path"].rsplit("/", 1)[1]: n["reason"] for n in book["not_graded"]}
    assert listed == {".DS_Store": "hidden: ignored", "__MACOSX": "macOS zip metadata: ignored"}
    _class_goes_on(graded)


@pytest.mark.parametrize("key", list(NEAR))
def test_a_near_miss_file_name_is_hinted(graded, key) -> None:
    students, out, _, _ = graded
    exercise = students["near"]["exercises"][key]
    message = f"no file {key}.py in near/; did you mean {key}.py? found {NEAR[key]!r}"
    assert exercise["status"] == "NOT DONE" and exercise["file"] is None
    assert {f["message"] for f in exercise["functions"]} == {message}
    assert students["near"]["points"] == 19 - 2 - 1 - 4 - 3
    _class_goes_on(graded)


def test_a_syntax_error_names_the_students_line_not_runpy(graded) -> None:
    students, out, _, _ = graded
    problem = students["syntax"]["exercises"]["02_bce"]["problem"]
    line = SOLUTION["02_bce"][: SOLUTION["02_bce"].index("def bce_backward(")].count("\n") + 1
    assert problem == f"the file raised when loaded: SyntaxError: invalid syntax (line {line} of 02_bce.py)"
    assert "runpy" not in out and students["syntax"]["points"] == 17
    _class_goes_on(graded)


def test_help_points_at_the_course_document() -> None:
    code, text = run("--help")
    assert code == 0 and "(docs/COURSE.md)" in text and "README 'Grading'" not in text
    assert (Path(__file__).resolve().parent.parent / "docs" / "COURSE.md").is_file()
