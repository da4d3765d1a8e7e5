"""``msdn grade --csv`` and ``--gradescope`` on a hand-made class, with exact points.

The class: ``all`` (every solution), ``wrong4`` (db doubled in exercise 4), ``loop`` (an endless
loop in exercise 7's adam_step), ``cheat`` (exercise 3 re-exports the package's im2col).
Points: 1 per passing function (19 in all).
"""

from __future__ import annotations

import csv
import json

import pytest
from grade_helpers import SOLUTION, changed, run, student_folder

from msdn_numpy.course.exercises import EXERCISES
from msdn_numpy.course.report import max_points

FULL = {key: len(e.functions) for key, e in EXERCISES.items()}


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("exports")
    folder = root / "class"
    student_folder(folder, "all")
    student_folder(folder, "wrong4", **{"04_conv1d_backward": changed(
        "04_conv1d_backward", "return dx_pad[:, :, pad_left : pad_left + L], dW, db",
        "return dx_pad[:, :, pad_left : pad_left + L], dW, 2 * db")})  # fmt: skip
    student_folder(folder, "loop", **{"07_adam": changed(
        "07_adam", "return p - lr * m_hat", "while True:\n        pass\n    return p - lr * m_hat")})  # fmt: skip
    student_folder(
        folder, "cheat", **{"03_im2col": SOLUTION["03_im2col"] + "\nfrom msdn_numpy.nn.conv import im2col  # noqa\n"}
    )
    code, out = run(str(folder), "--timeout", "2", "--jobs", "2", "--seed", "3", "--csv", str(root / "points.csv"),
                    "--json", str(root / "grades.json"))  # fmt: skip
    assert code == 0, out
    return root, out


def test_points_scheme_is_one_per_function() -> None:
    assert max_points() == FULL and sum(FULL.values()) == 19


def test_csv_has_one_row_per_student_with_exact_points(klass) -> None:
    root, _ = klass
    rows = list(csv.reader((root / "points.csv").read_text().splitlines()))
    assert rows[0] == ["student", *EXERCISES, "total"]
    got = {r[0]: [int(x) for x in r[1:]] for r in rows[1:]}
    expected = {
        "all": {**FULL},
        "cheat": {**FULL, "03_im2col": 0},
        "loop": {**FULL, "07_adam": 0},
        "wrong4": {**FULL, "04_conv1d_backward": 1},
    }
    assert got == {s: [*p.values(), sum(p.values())] for s, p in expected.items()}
    assert [r[0] for r in rows[1:]] == ["all", "cheat", "loop", "wrong4"]


def test_json_and_table_show_the_points(klass) -> None:
    root, out = klass
    book = json.loads((root / "grades.json").read_text())
    assert book["max_points"] == 19 and book["exercises"]["05_lstm_bptt"]["max_points"] == 4
    totals = {s["student"]: s["points"] for s in book["students"]}
    assert totals == {"all": 19, "cheat": 17, "loop": 18, "wrong4": 18}
    wrong4 = book["students"][3]["exercises"]["04_conv1d_backward"]
    assert wrong4["points"] == 1 and [f["points"] for f in wrong4["functions"]] == [1, 0]
    assert "uses the reference implementation" in out
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("points "))
    points = [line.split() for line in lines[start : start + 6]]
    assert points[0][-1] == "total/19" and points[2] == ["all", *map(str, FULL.values()), "19"]
    assert points[3] == ["cheat", "2", "2", "0", "2", "4", "3", "1", "3", "17"]


#: Gradescope's autograder results.json, the part msdn grade writes (docs/COURSE.md "results.json").
SCHEMA = {
    "type": "object",
    "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number"},
        "output": {"type": "string"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "score", "max_score", "output"],
                "properties": {
                    "name": {"type": "string"},
                    "number": {"type": "string"},
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "output": {"type": "string"},
                },
            },
        },
    },
}


def _validate(value, schema) -> None:
    """A minimal JSON-schema check (type, required, properties, items): no dependency needed."""
    kinds = {"object": dict, "array": list, "string": str, "number": (int, float)}
    assert isinstance(value, kinds[schema["type"]]) and not isinstance(value, bool), (value, schema["type"])
    for key in schema.get("required", ()):
        assert key in value, key
    for key, sub in schema.get("properties", {}).items():
        if key in value:
            _validate(value[key], sub)
    if "items" in schema:
        for item in value:
            _validate(item, schema["items"])


@pytest.mark.parametrize("student, score", [("all", 19), ("wrong4", 18), ("cheat", 17)])
def test_gradescope_results_json_for_one_student(klass, student, score) -> None:
    root, _ = klass
    out = root / f"results-{student}.json"
    code, text = run(str(root / "class" / student), "--timeout", "2", "--jobs", "2", "--gradescope", str(out))
    assert code == 0, text
    results = json.loads(out.read_text())
    _validate(results, SCHEMA)
    assert results["score"] == score == sum(t["score"] for t in results["tests"])
    assert len(results["tests"]) == 19 and {t["max_score"] for t in results["tests"]} == {1}
    assert results["tests"][0]["name"] == "01_relu: relu_forward"
    if student == "wrong4":
        failed = [t for t in results["tests"] if t["score"] == 0]
        assert [t["name"] for t in failed] == ["04_conv1d_backward: conv1d_backward"]
        assert failed[0]["output"].startswith("FAIL")


def test_gradescope_refuses_a_class(klass, capsys) -> None:
    root, _ = klass
    out = root / "results.json"
    from msdn_numpy.tools.cli import main

    assert main(["grade", str(root / "class"), "--gradescope", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the upload holds the work of 4 students ('all/', 'cheat/', 'loop/', 'wrong4/'), and --gradescope" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_dash_is_standard_output_and_the_report_goes_to_stderr(tmp_path, capsys, monkeypatch) -> None:
    """``--json -`` / ``--csv -``: the export alone on stdout, no file named ``-``; two ``-`` are refused."""
    from msdn_numpy.tools.cli import main

    alice = tmp_path / "alice"
    alice.mkdir()
    (alice / "01_relu.py").write_text(SOLUTION["01_relu"])
    monkeypatch.chdir(tmp_path)
    assert main(["grade", "alice", "--csv", "-", "--jobs", "1"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("student,01_relu,") and out.splitlines()[1].startswith("alice,2,0,")
    assert "grading 1 student(s)" in err and not (tmp_path / "-").exists()
    assert main(["grade", "alice", "--json", "-", "--jobs", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["max_points"]
    assert main(["grade", "alice", "--json", "-", "--csv", "-"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "both write to standard output" in err and not (tmp_path / "-").exists()


def test_a_read_only_export_needs_force(tmp_path, capsys) -> None:
    alice = tmp_path / "alice"
    alice.mkdir()
    (alice / "01_relu.py").write_text(SOLUTION["01_relu"])
    out = tmp_path / "points.csv"
    out.write_text("old\n")
    out.chmod(0o444)
    from msdn_numpy.tools.cli import main

    assert main(["grade", str(alice), "--csv", str(out), "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "read-only" in err and "--force" in err and out.read_text() == "old\n"
    assert main(["grade", str(alice), "--csv", str(out), "--jobs", "1", "--force"]) == 0
    assert out.read_text().startswith("student,") and (out.stat().st_mode & 0o777) == 0o444
