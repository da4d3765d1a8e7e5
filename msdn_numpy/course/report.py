"""What ``msdn grade`` reports: points, the terminal table, and the JSON, CSV and Gradescope exports.

**Points** (:data:`SCORING`). One point per checked function that PASSes, none for a FAIL
or NOT DONE; an exercise's points are the sum over its functions, a student's total the
sum over the exercises (the maxima: :func:`max_points`).

**The terminal is not trusted with names.** A student's name is a folder's or file's name,
and a student's messages quote their code's exceptions: both may hold newlines or escape
sequences. Every one printed goes through :func:`msdn_numpy.course.submissions.shown`, so
each student is one row and nothing a student wrote reaches the terminal raw. The exports
keep the names as they are (JSON and CSV quote them).

**Nothing is left out silently.** Every entry of a class folder that was not graded is
listed under the table with the reason (:func:`format_not_graded`) and in the JSON.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from msdn_numpy.course.exercises import EXERCISES
from msdn_numpy.course.grading import FunctionResult, worst_error
from msdn_numpy.course.submissions import NotGraded, shown

if TYPE_CHECKING:
    from msdn_numpy.course.gradebook import StudentGrades

#: The scoring scheme, as written into every export.
SCORING = (
    "1 point per checked function that passes (PASS), 0 for FAIL or NOT DONE; an exercise's points are the sum "
    "over its functions; the total is the sum over the exercises"
)


def function_points(result: FunctionResult) -> int:
    """1 for a PASS, else 0."""
    return 1 if result.status == "PASS" else 0


def max_points() -> dict[str, int]:
    """The most points per exercise: its number of checked functions (from :data:`EXERCISES`)."""
    return {key: len(e.functions) for key, e in EXERCISES.items()}


def _columns(rows: list[list[str]], right: bool) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.rjust(w) if right and i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in rows]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def format_points(grades: list[StudentGrades]) -> str:
    """Points per student and exercise, and the total (the maxima in the header)."""
    most = max_points()
    keys = list(EXERCISES)
    header = ["points", *(f"{k[:2]}/{most[k]}" for k in keys), f"total/{sum(most.values())}"]
    rows = [header] + [[shown(g.student), *(str(g.points(k)) for k in keys), str(g.total)] for g in grades]
    return "\n".join(_columns(rows, right=True))


def format_table(grades: list[StudentGrades]) -> str:
    """The student × exercise table, then the details of every failure and of captured output."""
    keys = list(EXERCISES)
    lines = _columns([["student", *keys]] + [[shown(g.student), *(g.cell(k) for k in keys)] for g in grades], False)
    details = []
    for g in grades:
        if g.refused:
            details.append(f"{g.student}: every exercise FAILS: {g.refused}")
        for key in keys if not g.refused else ():
            problem = g.problems.get(key)
            if problem:
                details.append(f"{g.student} / {key}: every function FAILS: {problem}")
            for r in g.functions[key].values():
                if r.status == "FAIL" and r.message != problem:
                    details.append(f"{g.student} / {key}: {r.message}")
        if g.output_bytes:
            first = g.output.splitlines()[0] if g.output else ""
            details.append(f"{g.student}: printed {g.output_lines} line(s) ({g.output_bytes} bytes) while being "
                           f"checked, first: {first[:100]!r}")  # fmt: skip
    if details:
        lines += ["", "Details:"] + [f"  {shown(d)}" for d in details]
    return "\n".join(lines)


def format_not_graded(skipped: list[NotGraded]) -> str:
    """The class folders' entries that were not graded, one per line, with the reason ("" if none)."""
    if not skipped:
        return ""
    return "\n".join(["Not graded:"] + [f"  {shown(n.path)}: {n.reason}" for n in skipped])


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def to_json(
    grades: list[StudentGrades], timeout: float, seed: int | None = None, skipped: list[NotGraded] | None = None
) -> dict[str, Any]:
    """The gradebook: per student, per exercise the verdict, the worst error and every function's result.

    Non-finite errors (a function that returned inf or nan) are written as ``null``;
    ``not_graded`` lists the class folders' entries that were not graded, with the reason.
    """
    most = max_points()
    return {
        "time_limit_seconds": timeout,
        "seed": seed,
        "scoring": SCORING,
        "max_points": sum(most.values()),
        "exercises": {
            k: {"title": e.title, "functions": list(e.functions), "max_points": most[k]} for k, e in EXERCISES.items()
        },
        "students": [
            {
                "student": g.student,
                "source": g.source,
                "points": g.total,
                "printed_lines": g.output_lines,
                "printed_bytes": g.output_bytes,
                "output": g.output,
                "exercises": {
                    key: {
                        "file": g.files[key],
                        "status": g.status(key),
                        "points": g.points(key),
                        "problem": g.problems.get(key),
                        "worst_error": _finite(worst_error(list(fns.values()))),
                        "functions": [
                            {**asdict(r), "error": _finite(r.error), "points": function_points(r)} for r in fns.values()
                        ],
                    }
                    for key, fns in g.functions.items()
                },
            }
            for g in grades
        ],
        "not_graded": [asdict(n) for n in skipped or []],
    }


def to_csv(grades: list[StudentGrades]) -> str:
    """One row per student: ``student``, the points of every exercise, ``total`` (header first).

    The names are as they are, quoted where needed (a comma, a quote, a newline); bytes of
    a file name that are not UTF-8 are written as Python escapes (``\\udcff``).
    """
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["student", *EXERCISES, "total"])
    for g in grades:
        name = g.student.encode("utf-8", "backslashreplace").decode()  # bytes that are no UTF-8: \udcff
        out.writerow([name, *(g.points(k) for k in EXERCISES), g.total])
    return buffer.getvalue()


def upload_notes(g: StudentGrades) -> list[str]:
    """What was wrong with a student's upload: a problem with the whole of it, or the exercise files not found."""
    if g.refused:
        return [f"it could not be graded: {g.refused}"]
    missing = [k for k in EXERCISES if g.files[k] is None]
    if len(missing) == len(EXERCISES):
        return [f"none of the exercise files was found: upload {', '.join(f'{k}.py' for k in EXERCISES)}, "
                "each under its name, not in a folder"]  # fmt: skip
    return [next(iter(g.functions[k].values())).message for k in missing if "did you mean" in
            next(iter(g.functions[k].values())).message]  # fmt: skip


def to_gradescope(g: StudentGrades, timeout: float) -> dict[str, Any]:
    """Gradescope's autograder ``results.json`` for one student: one test per checked function.

    ``score`` is the total; every test has ``name`` (``"01_relu: relu_forward"``),
    ``score`` (1 or 0), ``max_score`` (1), ``output`` (PASS, or why not) and ``number``.
    ``output`` says what was wrong with the upload first, if anything (:func:`upload_notes`).
    """
    tests = []
    for i, (key, fns) in enumerate(g.functions.items(), start=1):
        for j, r in enumerate(fns.values(), start=1):
            err = _finite(r.error)
            output = r.status + (f" (worst relative error {err:.1e})" if err is not None else "")
            if r.message:
                output += f": {r.message}"
            tests.append({
                "name": f"{key}: {r.function}", "number": f"{i}.{j}", "score": function_points(r), "max_score": 1,
                "output": output,
            })  # fmt: skip
    summary = f"{g.total} of {sum(max_points().values())} points ({SCORING}); time limit {timeout:g} s per check"
    notes = upload_notes(g)
    if notes:
        summary = "Your upload: " + "; ".join(notes) + ".\n" + summary
    if g.output_lines:
        summary += f"; your files printed {g.output_lines} line(s) while being checked"
    return {"score": g.total, "output": summary, "tests": tests}
