"""The layouts ``msdn grade`` collects, one row per student, each exercise checked against its own file.

* a class folder of student folders (files matched by exercise name, any subset);
* a class folder of single files, one per student holding every exercise;
* files and folders given one by one, and a class folder mixing folders and files.
"""

from __future__ import annotations

import json

import pytest
from grade_helpers import SOLUTION, changed, run, student_folder

from msdn_numpy.course.exercises import EXERCISES

IMPORT_IM2COL = "from msdn_numpy.nn.conv import im2col  # noqa: F401 (the package's; or paste yours from exercise 3)\n"
#: One file holding every exercise (exercise 4 uses exercise 3's im2col, not the package's).
ALL_IN_ONE = "\n\n".join(text.replace(IMPORT_IM2COL, "") for text in SOLUTION.values())
VIEW_END = "        writeable=False,  # many entries share memory: writing through the view would be a bug\n    )"
COPYING_IM2COL = changed("03_im2col", VIEW_END, "        writeable=False,\n    ).copy()")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("layouts")
    folders = root / "folders"  # a class of student folders
    student_folder(folders, "alice")
    (folders / "bob").mkdir()
    for key in ("01_relu", "03_im2col"):
        (folders / "bob" / f"{key}.py").write_text(SOLUTION[key])
    # exercise 4's file imports the package's im2col: exercise 3's own (a copy) must still FAIL
    student_folder(folders, "copier", **{"03_im2col": COPYING_IM2COL})
    files = root / "files"  # a class of single files
    files.mkdir()
    (files / "carol.py").write_text(ALL_IN_ONE)
    (files / "dave.py").write_text(SOLUTION["02_bce"])
    mixed = root / "mixed"  # a folder and a file side by side
    student_folder(mixed, "erin")
    (mixed / "frank.py").write_text(ALL_IN_ONE)
    (mixed / "notes.txt").write_text("ignored")
    books = {}
    for name, paths in {
        "folders": [folders],
        "files": [files],
        "one_by_one": [folders / "alice", files / "carol.py", files / "dave.py"],
        "mixed": [mixed],
    }.items():
        book = root / f"{name}.json"
        code, out = run(*map(str, paths), "--timeout", "5", "--jobs", "2", "--seed", "5", "--json", str(book))
        assert code == 0, out
        books[name] = {s["student"]: s for s in json.loads(book.read_text())["students"]}
    return books


def _statuses(student: dict) -> dict[str, str]:
    return {k: e["status"] for k, e in student["exercises"].items()}


ALL_PASS = dict.fromkeys(EXERCISES, "PASS")


def test_a_folder_of_student_folders(graded) -> None:
    book = graded["folders"]
    assert list(book) == ["alice", "bob", "copier"]
    assert _statuses(book["alice"]) == ALL_PASS and book["alice"]["points"] == 19
    bob = _statuses(book["bob"])
    assert bob == {k: "PASS" if k in ("01_relu", "03_im2col") else "NOT DONE" for k in EXERCISES}
    assert book["bob"]["exercises"]["02_bce"]["file"] is None


def test_a_folder_of_single_files(graded) -> None:
    book = graded["files"]
    assert list(book) == ["carol", "dave"]
    assert _statuses(book["carol"]) == ALL_PASS
    assert _statuses(book["dave"]) == {k: "PASS" if k == "02_bce" else "NOT DONE" for k in EXERCISES}


def test_paths_given_one_by_one(graded) -> None:
    book = graded["one_by_one"]
    assert list(book) == ["alice", "carol", "dave"]
    assert _statuses(book["alice"]) == _statuses(book["carol"]) == ALL_PASS


def test_a_folder_mixing_folders_and_files(graded) -> None:
    book = graded["mixed"]
    assert list(book) == ["erin", "frank"]
    assert _statuses(book["erin"]) == _statuses(book["frank"]) == ALL_PASS


def test_each_exercise_is_graded_against_its_own_file(graded) -> None:
    copier = graded["folders"]["copier"]
    im2col = {f["function"]: f for f in copier["exercises"]["03_im2col"]["functions"]}["im2col"]
    assert im2col["status"] == "FAIL" and "copy" in im2col["message"], im2col
    assert copier["exercises"]["03_im2col"]["file"].endswith("copier/03_im2col.py")
    assert copier["exercises"]["04_conv1d_backward"]["status"] == "PASS"  # its own file, the package's im2col
    assert copier["points"] == 18
