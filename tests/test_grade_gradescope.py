"""docs/COURSE.md's ``run_autograder``, run as it is, in Gradescope's layout (``submission/``, ``results/``).

The uploads: the exercise files at the top (good), nothing (empty), a folder beside the
``__MACOSX`` folder of a macOS zip, ``__MACOSX`` alone, two folders of work, and a folder holding
a link. The student reads ``results.json``'s ``output``; the instructor the script's stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from grade_helpers import SOLUTION

ROOT = Path(__file__).resolve().parent.parent
#: The script as docs/COURSE.md gives it: the bash block after its marker.
SCRIPT = (ROOT / "docs" / "COURSE.md").read_text().split("<!-- run_autograder:")[1].split("```bash\n")[1]
SCRIPT = SCRIPT.split("```")[0]


def _upload(submission: Path, kind: str) -> None:
    """Fill ``submission/`` as a student's upload of ``kind``."""
    submission.mkdir()
    if kind == "good":
        for key, text in SOLUTION.items():
            (submission / f"{key}.py").write_text(text)
    elif kind in ("macosx", "macosx_alone", "two_folders", "linked"):
        mac = submission / "__MACOSX" / "hw"
        mac.mkdir(parents=True)
        (mac / "._01_relu.py").write_bytes(b"\x00\x05\x16\x07")
        folders = {"macosx": ["hw"], "two_folders": ["hw", "hw copy"], "linked": ["hw"]}.get(kind, [])
        for name in folders:
            (submission / name).mkdir()
            for key, text in SOLUTION.items():
                (submission / name / f"{key}.py").write_text(text)
        if kind == "linked":
            (submission / "hw" / "answers").symlink_to("/etc")


def _autograde(tmp_path: Path, kind: str) -> tuple[dict, str]:
    _upload(tmp_path / "submission", kind)
    script = tmp_path / "run_autograder"
    script.write_text(SCRIPT)
    env = {**os.environ, "AUTOGRADER_ROOT": str(tmp_path), "MPLBACKEND": "Agg",
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}  # fmt: skip
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, cwd="/")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert "Traceback" not in done.stdout
    return results, done.stdout


@pytest.mark.parametrize("kind", ["good", "macosx"])
def test_an_upload_of_the_exercise_files_is_graded(tmp_path, kind) -> None:
    results, stdout = _autograde(tmp_path, kind)
    assert results["score"] == 19 and len(results["tests"]) == 19
    assert results["output"].startswith("19 of 19 points")
    assert "__MACOSX" not in stdout.split("Not graded:")[0]  # no phantom student row
    assert "grading 1 student(s)" in stdout


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("empty", "the upload holds no exercise file: upload your exercise files themselves, named 01_relu.py"),
        ("macosx_alone", "the upload holds no exercise file (only '__MACOSX' (macOS zip metadata: ignored)): upload"),
        ("two_folders", "the upload holds the work of 2 students ('hw/', 'hw copy/'), and --gradescope grades one: "
                        "upload one set of exercise files"),
    ],
)  # fmt: skip
def test_an_upload_that_cannot_be_graded_tells_the_student_why(tmp_path, kind, reason) -> None:
    results, stdout = _autograde(tmp_path, kind)
    assert results["score"] == 0
    assert results["output"].startswith(f"Your upload could not be graded: {reason}")
    assert results["output"].endswith("Fix the upload and submit again.")
    assert results["output"] in stdout  # the instructor sees the same reason
    assert "tell your instructor" not in results["output"]


def test_a_refused_upload_is_graded_zero_with_the_reason(tmp_path) -> None:
    results, stdout = _autograde(tmp_path, "linked")
    assert results["score"] == 0 and len(results["tests"]) == 19
    assert results["output"].startswith("Your upload: it could not be graded: 'answers' is a symbolic link: hand in "
                                        "only the exercise files")  # fmt: skip
    assert "'answers' is a symbolic link" in stdout
