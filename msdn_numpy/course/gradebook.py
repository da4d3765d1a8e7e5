"""``msdn grade FILE...``: every exercise's checks on students' files, as a table and a JSON gradebook.

Each student file is loaded and checked in a process of its own (``python -m
msdn_numpy.course.gradebook --worker ...``), so nothing a student's code does can stop the run:

* an exception (when the file is loaded, or in a function) is a FAIL with the reason;
* a function whose check takes longer than the time limit (an endless loop) is a FAIL
  ``timed out``; the process is killed and a new one checks the functions still to do;
  top-level code that never ends times out the whole file;
* a process that dies (``os._exit``, a crash) is a FAIL for what it was checking;
* whatever the file prints is captured, kept out of the table, and reported.

The worker writes one JSON line per event to a results file (``ready``, ``loaded``,
``start`` and ``done`` of each function); the parent watches that file, which is how it
knows what was running when the time ran out.

A table cell is the exercise's verdict and its worst relative error: ``PASS 3.1e-16``,
``FAIL 4.8e-02`` (a wrong value), ``FAIL`` (an exception, a shape, a time-out),
``NOT DONE`` or ``NOT DONE 1/2`` (one of two functions passes, the other is not written).
"""

from __future__ import annotations

import json
import math
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from msdn_numpy.course.exercises import EXERCISES
from msdn_numpy.course.grading import FunctionResult, exercise_status, run_function_check, worst_error
from msdn_numpy.util.files import write_text

#: Time a worker may take to start (import NumPy and the package) before the student's code runs.
STARTUP_SECONDS = 60.0
#: Captured output kept per student (the rest is counted, not stored).
OUTPUT_LIMIT = 4000


@dataclass
class StudentGrades:
    """Everything ``msdn grade`` found out about one student's file.

    Attributes
    ----------
    student : str
        The file name without ``.py`` (the path, if two files share a name).
    file : str
    functions : dict[str, dict[str, FunctionResult]]
        ``functions[exercise][function]``, for every exercise.
    problem : str or None
        Why the file as a whole could not be checked (it raised, timed out or exited while
        loading); every function then fails with this message.
    output : str
        What the file printed while being checked (the first ``OUTPUT_LIMIT`` characters).
    output_lines : int
        How many lines it printed in all.
    """

    student: str
    file: str
    functions: dict[str, dict[str, FunctionResult]] = field(default_factory=dict)
    problem: str | None = None
    output: str = ""
    output_lines: int = 0

    def status(self, key: str) -> str:
        return exercise_status(list(self.functions[key].values()))

    def cell(self, key: str) -> str:
        """The table cell of exercise ``key``."""
        results = list(self.functions[key].values())
        status, err = exercise_status(results), worst_error(results)
        if status == "NOT DONE":
            passed = sum(r.status == "PASS" for r in results)
            return f"NOT DONE {passed}/{len(results)}" if passed else "NOT DONE"
        return f"{status} {err:.1e}" if err is not None and math.isfinite(err) else status


# ----------------------------------------------------------------------------------------
# the worker: one process, one student file, the functions it is told to check
# ----------------------------------------------------------------------------------------
def _describe(exc: BaseException, path: str) -> str:
    """``"ZeroDivisionError: division by zero (line 3 of alice.py)"``, or ``"called sys.exit(1)"``."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).name == Path(path).name]
    where = f" (line {frames[-1].lineno} of {Path(path).name})" if frames else ""
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r}){where}"
    return f"{type(exc).__name__}: {exc}{where}"


def _worker(path: str, results_path: str, units: list[str]) -> None:
    """Load ``path`` and check each ``"exercise:function"`` unit, writing one JSON line per event."""
    import msdn_numpy.course.exercises as exercises

    with open(results_path, "a", buffering=1, encoding="utf-8") as out:

        def emit(**record: Any) -> None:
            out.write(json.dumps(record) + "\n")
            out.flush()

        exercises.GRADING = True  # the file's own check(...) call does nothing
        sys.argv = [path]
        sys.path.insert(0, str(Path(path).resolve().parent))
        emit(event="ready")
        try:
            namespace = runpy.run_path(path, run_name="student")
        except BaseException as exc:  # anything at all: an error, sys.exit, ...
            emit(event="load_failed", message=_describe(exc, path))
            return
        emit(event="loaded")
        for unit in units:
            key, function = unit.split(":")
            emit(event="start", unit=unit)
            result = run_function_check(function, EXERCISES[key].checks[function], namespace)
            emit(event="done", unit=unit, result=asdict(result))


# ----------------------------------------------------------------------------------------
# the parent: run workers, watch them, kill what runs too long
# ----------------------------------------------------------------------------------------
def _drain(stream: IO[str], kept: list[str], counts: list[int]) -> None:
    """Read a worker's output to the end, keeping the first ``OUTPUT_LIMIT`` characters."""
    for line in stream:
        counts[0] += 1
        if sum(map(len, kept)) < OUTPUT_LIMIT:
            kept.append(line)


def _kill(proc: subprocess.Popen) -> None:
    """Kill the worker and anything it started (its own process group, where there are groups)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # Windows: no process groups; the worker alone
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _run_worker(path: Path, units: list[str], timeout: float, tmp: Path, attempt: int, output: tuple) -> dict:
    """One worker over ``units``; returns what happened (events seen, how it ended)."""
    results_path = tmp / f"results-{attempt}.jsonl"
    results_path.touch()
    env = dict(os.environ, MPLBACKEND="Agg")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "msdn_numpy.course.gradebook", "--worker", str(path), str(results_path), *units],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        errors="replace", cwd=path.parent, env=env, start_new_session=True,
    )  # fmt: skip
    reader = threading.Thread(target=_drain, args=(proc.stdout, *output), daemon=True)
    reader.start()
    events: list[dict] = []
    offset, pending = 0, ""
    deadline = time.monotonic() + STARTUP_SECONDS
    timed_out = False
    while True:
        finished = proc.poll() is not None
        with open(results_path, encoding="utf-8") as f:
            f.seek(offset)
            chunk = f.read()
            offset = f.tell()
        pending += chunk
        *lines, pending = pending.split("\n")
        for line in lines:
            events.append(json.loads(line))
            deadline = time.monotonic() + timeout  # the time limit restarts at every event
        if finished:
            break
        if time.monotonic() > deadline:
            timed_out = True
            _kill(proc)
            break
        time.sleep(0.02)
    proc.wait()
    reader.join(timeout=5)
    return {"events": events, "timed_out": timed_out, "returncode": proc.returncode}


def grade_file(path: Path, student: str, timeout: float) -> StudentGrades:
    """Check every function of every exercise in ``path``, each within ``timeout`` seconds."""
    units = [f"{key}:{fn}" for key, ex in EXERCISES.items() for fn in ex.functions]
    done: dict[str, FunctionResult] = {}
    kept: list[str] = []
    counts = [0]
    problem = None
    with tempfile.TemporaryDirectory(prefix="msdn-grade-") as tmp:
        attempt = 0
        while len(done) < len(units) and problem is None:
            todo = [u for u in units if u not in done]
            run = _run_worker(path, todo, timeout, Path(tmp), attempt, (kept, counts))
            attempt += 1
            current, loaded = None, False
            for event in run["events"]:
                if event["event"] == "load_failed":
                    problem = f"the file raised when loaded: {event['message']}"
                elif event["event"] == "loaded":
                    loaded = True
                elif event["event"] == "start":
                    current = event["unit"]
                elif event["event"] == "done":
                    done[event["unit"]] = FunctionResult(**event["result"])
                    current = None
            if problem is not None or (loaded and current is None and len(done) == len(units)):
                continue
            if not loaded:  # died or hung before the functions could be looked at
                if run["timed_out"]:
                    problem = f"loading the file took more than {timeout:g} s (top-level code that never ends?)"
                else:
                    problem = f"the process ended (exit code {run['returncode']}) while loading the file"
                continue
            if current is None:  # between two functions: should not happen; do not loop forever
                problem = f"the checking process ended unexpectedly (exit code {run['returncode']})"
                continue
            function = current.split(":")[1]
            if run["timed_out"]:
                message = f"{function}: timed out after {timeout:g} s (an endless loop, or far too slow)"
            else:
                message = f"{function}: the process ended (exit code {run['returncode']}) while checking it"
            done[current] = FunctionResult(function, "FAIL", message)
    functions: dict[str, dict[str, FunctionResult]] = {}
    for unit in units:
        key, fn = unit.split(":")
        result = done.get(unit) or FunctionResult(fn, "FAIL", problem or "not checked")
        functions.setdefault(key, {})[fn] = result
    output = "".join(kept)
    return StudentGrades(student, str(path), functions, problem, output[:OUTPUT_LIMIT], counts[0])


def student_files(paths: list[str | Path]) -> list[Path]:
    """The ``.py`` files to grade: files as given, folders expanded to their ``*.py`` (sorted).

    Raises
    ------
    FileNotFoundError
        A path that does not exist, or no ``.py`` file at all.
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(q for q in p.glob("*.py") if q.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    if not files:
        raise FileNotFoundError(f"no .py files in {', '.join(map(str, paths))}")
    return files


def _names(files: list[Path]) -> list[str]:
    stems = [f.stem for f in files]
    return [f.stem if stems.count(f.stem) == 1 else str(f) for f in files]


def grade(paths: list[str | Path], timeout: float = 10.0, jobs: int | None = None) -> list[StudentGrades]:
    """Grade every student file (``jobs`` at a time; default: one per CPU core)."""
    files = student_files(paths)
    jobs = jobs or min(len(files), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda a: grade_file(a[0].resolve(), a[1], timeout), zip(files, _names(files))))


# ----------------------------------------------------------------------------------------
# reports
# ----------------------------------------------------------------------------------------
def format_table(grades: list[StudentGrades]) -> str:
    """The student × exercise table, then the details of every failure and of captured output."""
    keys = list(EXERCISES)
    rows = [["student", *keys]] + [[g.student, *(g.cell(k) for k in keys)] for g in grades]
    widths = [max(len(r[i]) for r in rows) for i in range(len(keys) + 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    details = []
    for g in grades:
        if g.problem:
            details.append(f"{g.student}: every function FAILS: {g.problem}")
        for key in keys:
            for r in g.functions[key].values():
                if r.status == "FAIL" and r.message != g.problem:
                    details.append(f"{g.student} / {key}: {r.message}")
        if g.output_lines:
            first = g.output.splitlines()[0] if g.output else ""
            details.append(f"{g.student}: printed {g.output_lines} line(s) while being checked, first: {first[:100]!r}")
    if details:
        lines += ["", "Details:"] + [f"  {d}" for d in details]
    return "\n".join(lines)


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def to_json(grades: list[StudentGrades], timeout: float) -> dict[str, Any]:
    """The gradebook: per student, per exercise the verdict, the worst error and every function's result.

    Non-finite errors (a function that returned inf or nan) are written as ``null``.
    """
    return {
        "time_limit_seconds": timeout,
        "exercises": {k: {"title": e.title, "functions": list(e.functions)} for k, e in EXERCISES.items()},
        "students": [
            {
                "student": g.student,
                "file": g.file,
                "problem": g.problem,
                "printed_lines": g.output_lines,
                "output": g.output,
                "exercises": {
                    key: {
                        "status": g.status(key),
                        "worst_error": _finite(worst_error(list(fns.values()))),
                        "functions": [{**asdict(r), "error": _finite(r.error)} for r in fns.values()],
                    }
                    for key, fns in g.functions.items()
                },
            }
            for g in grades
        ],
    }


def run_grade(paths: list[str], timeout: float = 10.0, json_path: str | None = None) -> int:
    """``msdn grade``: grade, print the table, write the JSON. Returns the exit code (0)."""
    if timeout <= 0:
        raise ValueError(f"--timeout must be positive, got {timeout}")
    files = student_files(paths)
    print(f"grading {len(files)} file(s) on {len(EXERCISES)} exercises, time limit {timeout:g} s per check\n")
    grades = grade(paths, timeout)
    print(format_table(grades))
    if json_path:
        write_text(json_path, json.dumps(to_json(grades, timeout), indent=2) + "\n")  # atomic
        print(f"\ngrades written to {json_path}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        print("usage: msdn grade FILE... (this module's own command line is the grading worker)", file=sys.stderr)
        sys.exit(2)
