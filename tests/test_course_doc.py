"""docs/COURSE.md: its points table is the exercises' own, and its links are live."""

from __future__ import annotations

import re
from pathlib import Path

from msdn_numpy.course.exercises import EXERCISES
from msdn_numpy.course.report import max_points

ROOT = Path(__file__).resolve().parent.parent
COURSE = (ROOT / "docs" / "COURSE.md").read_text()


def test_points_table_matches_the_exercise_definitions() -> None:
    table = COURSE.split("<!-- points-table:")[1].split("<!-- end points-table -->")[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines() if line.startswith("| `")]
    found = {r[0].strip("`"): (re.findall(r"`(\w+)`", r[1]), int(r[2])) for r in rows}
    assert found == {k: (list(e.functions), len(e.functions)) for k, e in EXERCISES.items()}
    total = re.search(r"\| \*\*total\*\* \| \| \*\*(\d+)\*\* \|", table)
    assert total and int(total.group(1)) == sum(max_points().values())


def test_course_doc_holds_the_handout_and_is_linked() -> None:
    assert "\n## The handout\n" in COURSE
    assert "(docs/COURSE.md" in (ROOT / "README.md").read_text()
    assert "(../docs/COURSE.md)" in (ROOT / "tutorials" / "README.md").read_text()


def test_course_doc_states_the_graders_memory_bound_the_tests_measure() -> None:
    from grade_helpers import GRADER_PEAK_MB

    assert f"**under {GRADER_PEAK_MB} MB with `--jobs 2`**" in COURSE
