"""``msdn grade``: every exercise's checks on a class's work, one row per student, and a JSON gradebook.

**What it grades** (:func:`collect`). Each path given is

* a *student folder* when it holds a file named like an exercise (``01_relu.py`` ...
  ``08_label_axis.py``): one student, named after the folder, each exercise checked against its
  own file (a missing file is NOT DONE);
* a *file*: one student, named after the file, holding any or all of the exercises;
* otherwise a *class folder*: each sub-folder is a student folder and each ``.py`` file a
  student file (hidden entries and ``__pycache__`` are skipped).

**How** (:func:`grade_exercise`). Each exercise of each student is checked in a fresh
process (:mod:`msdn_numpy.course.worker`) that loads only that exercise's file, in a
temporary copy of the student's folder, confined by :mod:`msdn_numpy.course.sandbox`
(memory, CPU time, file size, no new processes, writes only in its temporary folder).
That process computes nothing but the student's outputs on inputs sent to it; this
process, which never imports the student's code, draws the inputs from a secret seed,
computes the expected outputs with the package's layers and judges. So

* an exception, in the file or in a function, is a FAIL with the reason and the line;
* a check that takes longer than the time limit is a FAIL ``timed out``; the process is
  killed (its whole process group) and a new one checks the functions still to do;
* a process that dies or sends a malformed message is a FAIL for what it was checking;
* whatever the file prints is captured, kept out of the table, and reported.

A table cell is the exercise's verdict and its worst relative error: ``PASS 3.1e-16``,
``FAIL 4.8e-02`` (a wrong value), ``FAIL`` (an exception, a shape, a time-out),
``NOT DONE`` or ``NOT DONE 1/2`` (one of two functions passes, the other is not written).

**Points** (:data:`SCORING`). One point per checked function that PASSes, none for a FAIL
or NOT DONE; an exercise's points are the sum over its functions, a student's total the
sum over the exercises (the maxima: :func:`max_points`). They are printed under the table
and written by ``--json``, ``--csv FILE`` (one row per student) and ``--gradescope FILE``
(Gradescope's ``results.json``, one student).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from msdn_numpy.course import wire
from msdn_numpy.course.exercises import EXERCISES
from msdn_numpy.course.grading import (
    FunctionResult,
    Mismatch,
    NotDone,
    StudentRaised,
    changed_in_place,
    exercise_status,
    run_function_check,
    worst_error,
)
from msdn_numpy.util.files import OutputError, check_output, is_stdout, write_text

#: Time a student process may take to start (import NumPy and the package) before the student's code runs.
STARTUP_SECONDS = 60.0
#: Captured output kept per student (the rest is counted, not stored).
OUTPUT_LIMIT = 4000
#: The largest student folder copied for grading.
FOLDER_LIMIT_MB = 64
#: The limits of a student process (``msdn grade --memory-mb`` etc.).
DEFAULT_LIMITS = {"memory_mb": 2048, "cpu_seconds": 120, "file_mb": 16, "processes": 0}
#: Where the package lives: appended to the student process's ``sys.path`` (after the standard library).
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent.parent)
_BOOT = (
    f"import sys; sys.path.append({_PACKAGE_PARENT!r}); from msdn_numpy.course.worker import main; main(sys.argv[1:])"
)


# ----------------------------------------------------------------------------------------
# what to grade
# ----------------------------------------------------------------------------------------
@dataclass
class Submission:
    """One student's work: a folder of exercise files, or one file holding any of the exercises."""

    student: str
    path: Path
    is_folder: bool

    def file_for(self, key: str) -> Path | None:
        if not self.is_folder:
            return self.path
        f = self.path / f"{key}.py"
        return f if f.is_file() else None


def _holds_exercises(folder: Path) -> bool:
    return any((folder / f"{key}.py").is_file() for key in EXERCISES)


def _skipped(p: Path) -> bool:
    return p.name.startswith(".") or p.name == "__pycache__"


def collect(paths: list[str | Path]) -> list[Submission]:
    """The students in ``paths`` (see the module's docstring), in the order given, each folder sorted.

    Raises
    ------
    FileNotFoundError
        A path that does not exist, or nothing to grade at all.
    """
    found: list[tuple[Path, bool]] = []
    for p in map(Path, paths):
        if p.is_file():
            found.append((p, False))
        elif p.is_dir():
            if _holds_exercises(p):
                found.append((p, True))
                continue
            for child in sorted(p.iterdir()):
                if _skipped(child):
                    continue
                if child.is_dir():
                    found.append((child, True))
                elif child.is_file() and child.suffix == ".py":
                    found.append((child, False))
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    if not found:
        raise FileNotFoundError(
            f"no .py files in {', '.join(map(str, paths))}: give students' files, student folders (holding "
            f"{next(iter(EXERCISES))}.py, ...) or a class folder of either"
        )
    names = [p.name if folder else p.stem for p, folder in found]
    return [
        Submission(name if names.count(name) == 1 else str(p), p.resolve(), folder)
        for name, (p, folder) in zip(names, found)
    ]


def student_files(paths: list[str | Path]) -> list[Path]:
    """Every file the grading reads (the inputs no output may replace)."""
    files = []
    for sub in collect(paths):
        files += [f for f in (sub.file_for(k) for k in EXERCISES) if f is not None] if sub.is_folder else [sub.path]
    return sorted(set(files))


# ----------------------------------------------------------------------------------------
# one run: its temporary folder, its processes, its seed; stopped at once by Ctrl-C or SIGTERM
# ----------------------------------------------------------------------------------------
class Lost(BaseException):
    """The student process is gone for this check: ``reason`` is timeout, ended, malformed or interrupted."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail


@dataclass
class Run:
    timeout: float
    seed: int | None
    limits: dict[str, Any]
    folder: Path
    stop: threading.Event = field(default_factory=threading.Event)
    live: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    warnings: set = field(default_factory=set)
    count: int = 0

    def next_folder(self) -> Path:
        with self.lock:
            self.count += 1
            n = self.count
        d = self.folder / f"w{n}"
        d.mkdir()
        return d

    def kill_all(self) -> None:
        with self.lock:
            procs = list(self.live)
        for proc in procs:
            _kill(proc)


def _kill(proc: subprocess.Popen) -> None:
    """Kill the student process and everything in its process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass


def _drain(stream: IO[str], kept: list[str], counts: list[int]) -> None:
    """Read a process's output to the end, keeping the first ``OUTPUT_LIMIT`` characters."""
    try:
        for line in stream:
            counts[0] += 1
            if sum(map(len, kept)) < OUTPUT_LIMIT:
                kept.append(line)
    except (OSError, ValueError):
        pass


def _ended(code: int | None) -> str:
    if code is None:
        return "the process ended"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        why = {"SIGXCPU": " (the CPU time limit)", "SIGXFSZ": " (the file size limit)", "SIGKILL": ""}.get(name, "")
        return f"the process was killed by {name}{why}"
    return f"the process ended (exit code {code})"


class StudentProcess:
    """A student process for one exercise file, and the channel to it."""

    def __init__(self, run: Run, sub: Submission, file: Path, key: str, output: tuple) -> None:
        self.run = run
        self.home = run.next_folder()
        work = self.home / "work"
        if sub.is_folder:
            size = sum(f.stat().st_size for f in sub.path.rglob("*") if f.is_file() and not f.is_symlink())
            if size > FOLDER_LIMIT_MB * 2**20:
                raise Lost("load", f"the folder holds {size / 2**20:.0f} MB, more than {FOLDER_LIMIT_MB} MB: "
                           "hand in only the exercise files")  # fmt: skip
            shutil.copytree(sub.path, work, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", ".*"))
        else:
            work.mkdir()
            shutil.copy2(file, work / file.name)
        (self.home / "mpl").mkdir()
        to_child, self._to = os.pipe()
        self._from, from_child = os.pipe()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home), "TMPDIR": str(self.home),
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(self.home / "mpl"), "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        }  # fmt: skip
        args = [str(work / file.name), key, str(self.home), str(to_child), str(from_child), json.dumps(run.limits)]
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-c", _BOOT, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, errors="replace", cwd=work, env=env, start_new_session=True,
                pass_fds=(to_child, from_child),
            )  # fmt: skip
        finally:
            os.close(to_child)
            os.close(from_child)
        with run.lock:
            run.live.add(self.proc)
        self.reader = wire.FrameReader(self._from)
        self.drain = threading.Thread(target=_drain, args=(self.proc.stdout, *output), daemon=True)
        self.drain.start()
        self.deadline = time.monotonic() + STARTUP_SECONDS

    def receive(self) -> tuple[dict, dict]:
        """The next message, by ``self.deadline``; :class:`Lost` if it does not come or is malformed."""
        while True:
            try:
                body = self.reader.frame()
                if body is not None:
                    return wire.unpack(body)
            except wire.WireError as exc:
                raise Lost("malformed", str(exc)) from None
            if self.run.stop.is_set():
                raise Lost("interrupted")
            if self.reader.eof:
                try:
                    self.proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
                raise Lost("ended", _ended(self.proc.poll()))
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise Lost("timeout")
            ready, _, _ = select.select([self._from], [], [], min(left, 0.1))
            if ready:
                self.reader.feed()

    def request(self, message: dict, values: dict | None = None) -> tuple[dict, dict]:
        try:
            wire.write_frame(self._to, wire.pack(message, values))
        except (BrokenPipeError, OSError):
            raise Lost("ended", _ended(self.proc.poll())) from None
        return self.receive()

    def close(self) -> None:
        _kill(self.proc)
        self.proc.wait()
        with self.run.lock:
            self.run.live.discard(self.proc)
        for fd in (self._to, self._from):
            try:
                os.close(fd)
            except OSError:
                pass
        self.drain.join(timeout=2)
        shutil.rmtree(self.home, ignore_errors=True)


class RemoteStudent:
    """The :class:`msdn_numpy.course.grading.Student` interface, answered by a student process."""

    def __init__(self, process: StudentProcess, seed: int | None) -> None:
        self.process = process
        self.seed = seed
        self._shares: list[str] = []

    def rng(self, k: int) -> Any:
        import numpy as np

        return np.random.default_rng(k if self.seed is None else [self.seed, k])

    def require(self, name: str) -> None:
        answer, _ = self.process.request({"op": "has", "name": name})
        if answer.get("has") is not True:
            raise NotDone(f"{name} is not defined")

    def _answer(self, name: str, answer: dict, values: dict, arguments: dict) -> Any:
        kind = answer.get("kind")
        if kind == "missing":
            raise NotDone(f"{name} is not defined")
        if kind == "not_implemented":
            raise NotImplementedError(str(answer.get("message", "")))
        if kind == "raised":
            raise StudentRaised(str(answer.get("text", "raised")))
        if kind == "reference":
            raise Mismatch(
                f"{name}: uses the reference implementation {answer.get('name')}; this exercise asks for your own "
                "(the package's is not available while grading)"
            )
        if kind != "value" or "out" not in values:
            raise Lost("malformed", f"an answer of kind {kind!r}")
        changed, shares = answer.get("changed"), answer.get("shares")
        if not isinstance(changed, list) or not isinstance(shares, list):
            raise Lost("malformed", "an answer without its lists")
        for k in arguments:
            if k in changed:
                raise changed_in_place(name, k)
        self._shares = [s for s in shares if isinstance(s, str)]
        return values["out"]

    def call(self, name: str, **arguments: Any) -> Any:
        answer, values = self.process.request({"op": "call", "name": name}, arguments)
        return self._answer(name, answer, values, arguments)

    def call_keeping_last(self, name: str, **arguments: Any) -> tuple[Any, Any]:
        answer, values = self.process.request({"op": "call", "name": name, "keep_last": True}, arguments)
        out = self._answer(name, answer, values, arguments)
        ref = answer.get("ref")
        return out, (wire.Ref(ref) if type(ref) is int else None)

    def shares_memory(self, argument: str) -> bool:
        return argument in self._shares

    def relation_block(self, d: int, c: int, kernel_sizes: tuple[int, ...], seed: int, **arrays: Any) -> Any:
        message = {"op": "relation_block", "d": d, "c": c, "kernel_sizes": list(kernel_sizes), "seed": seed}
        answer, values = self.process.request(message, arrays)
        return self._answer("RelationBlock", answer, values, {})


# ----------------------------------------------------------------------------------------
# grading: one exercise of one student
# ----------------------------------------------------------------------------------------
@dataclass
class ExerciseGrades:
    functions: dict[str, FunctionResult]
    problem: str | None = None
    file: str | None = None


def grade_exercise(run: Run, sub: Submission, key: str, output: tuple) -> ExerciseGrades:
    """Check every function of exercise ``key`` in the student's file for it, each within ``run.timeout``."""
    functions = EXERCISES[key].functions
    file = sub.file_for(key)
    if file is None:
        message = f"no file {key}.py in {sub.path.name}/"
        return ExerciseGrades({fn: FunctionResult(fn, "NOT DONE", message) for fn in functions})
    done: dict[str, FunctionResult] = {}
    problem = None
    while len(done) < len(functions) and problem is None:
        try:
            process = StudentProcess(run, sub, file, key, output)
        except Lost as lost:
            problem = lost.detail
            break
        try:
            try:
                answer, _ = process.receive()
                if answer.get("event") != "ready":
                    raise Lost("malformed", "no ready message")
                if not answer.get("landlock"):
                    run.warnings.add("this kernel has no Landlock: student code could write outside its folder")
                if answer.get("seccomp") is not True:
                    run.warnings.add("no seccomp filter here: student code could start processes")
                process.deadline = time.monotonic() + run.timeout
                answer, _ = process.receive()
                if answer.get("event") == "load_failed":
                    problem = f"the file raised when loaded: {answer.get('message')}"
                    break
                if answer.get("event") != "loaded":
                    raise Lost("malformed", "no loaded message")
            except Lost as lost:
                if lost.reason == "interrupted":
                    raise
                problem = {
                    "timeout": f"loading the file took more than {run.timeout:g} s (top-level code that never ends?)",
                    "ended": f"{lost.detail} while loading the file",
                    "malformed": f"the student process sent a malformed message while loading the file ({lost.detail})",
                }[lost.reason]
                break
            student = RemoteStudent(process, run.seed)
            for fn in functions:
                if fn in done:
                    continue
                process.deadline = time.monotonic() + run.timeout
                try:
                    done[fn] = run_function_check(fn, EXERCISES[key].checks[fn], student)
                except Lost as lost:
                    if lost.reason == "interrupted":
                        raise
                    done[fn] = FunctionResult(fn, "FAIL", {
                        "timeout": f"{fn}: timed out after {run.timeout:g} s (an endless loop, or far too slow)",
                        "ended": f"{fn}: {lost.detail} while checking it",
                        "malformed": f"{fn}: the student process sent a malformed answer ({lost.detail})",
                    }[lost.reason])  # fmt: skip
                    break  # a fresh process for the rest
        finally:
            process.close()
    results = {fn: done.get(fn) or FunctionResult(fn, "FAIL", problem or "not checked") for fn in functions}
    return ExerciseGrades(results, problem, str(file))


@dataclass
class StudentGrades:
    """Everything ``msdn grade`` found out about one student.

    Attributes
    ----------
    student : str
        The folder's or file's name (the path, if two share a name).
    source : str
        The student's folder or file.
    files : dict[str, str or None]
        Per exercise, the file checked (None: none handed in).
    functions : dict[str, dict[str, FunctionResult]]
        ``functions[exercise][function]``, for every exercise.
    problems : dict[str, str]
        Per exercise whose file could not be checked as a whole (it raised, timed out or
        exited while loading), why; its functions then fail with this message.
    output : str
        What the files printed while being checked (the first ``OUTPUT_LIMIT`` characters).
    output_lines : int
        How many lines they printed in all.
    """

    student: str
    source: str
    files: dict[str, str | None] = field(default_factory=dict)
    functions: dict[str, dict[str, FunctionResult]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    output: str = ""
    output_lines: int = 0

    def status(self, key: str) -> str:
        return exercise_status(list(self.functions[key].values()))

    def points(self, key: str) -> int:
        """Exercise ``key``'s points: one per function that passes (:data:`SCORING`)."""
        return sum(function_points(r) for r in self.functions[key].values())

    @property
    def total(self) -> int:
        return sum(self.points(k) for k in self.functions)

    def cell(self, key: str) -> str:
        """The table cell of exercise ``key``."""
        results = list(self.functions[key].values())
        status, err = exercise_status(results), worst_error(results)
        if status == "NOT DONE":
            passed = sum(r.status == "PASS" for r in results)
            return f"NOT DONE {passed}/{len(results)}" if passed else "NOT DONE"
        return f"{status} {err:.1e}" if err is not None and math.isfinite(err) else status


def grade(
    paths: list[str | Path],
    timeout: float = 10.0,
    jobs: int | None = None,
    seed: int | None = None,
    limits: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
) -> list[StudentGrades]:
    """Grade every student in ``paths`` (``jobs`` exercise files at a time; default one per CPU core).

    ``seed`` fixes the inputs of the checks (None: the exercises' own, public ones; ``msdn
    grade`` draws a secret one per run). ``warnings``, if given, receives what the
    sandbox could not enforce here.
    """
    subs = collect(paths)
    jobs = jobs or os.cpu_count() or 1
    tasks = [(i, key) for i in range(len(subs)) for key in EXERCISES]
    outputs = {t: ([], [0]) for t in tasks}
    run = Run(timeout, seed, {**DEFAULT_LIMITS, **(limits or {})}, Path(tempfile.mkdtemp(prefix="msdn-grade-")))
    pool = ThreadPoolExecutor(max_workers=jobs)
    results: dict[tuple[int, str], ExerciseGrades] = {}
    try:
        futures = {pool.submit(grade_exercise, run, subs[i], key, outputs[(i, key)]): (i, key) for i, key in tasks}
        pending = set(futures)
        while pending:  # short waits: Ctrl-C and SIGTERM are seen at once
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_EXCEPTION)
            for f in finished:
                results[futures[f]] = f.result()
    except BaseException:
        run.stop.set()
        run.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        shutil.rmtree(run.folder, ignore_errors=True)
    if warnings is not None:
        warnings.extend(sorted(run.warnings))
    grades = []
    for i, sub in enumerate(subs):
        g = StudentGrades(sub.student, str(sub.path))
        for key in EXERCISES:
            ex = results[(i, key)]
            g.files[key], g.functions[key] = ex.file, ex.functions
            if ex.problem:
                g.problems[key] = ex.problem
            kept, counts = outputs[(i, key)]
            g.output += "".join(kept)
            g.output_lines += counts[0]
        g.output = g.output[:OUTPUT_LIMIT]
        grades.append(g)
    return grades


# ----------------------------------------------------------------------------------------
# points
# ----------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------
# reports
# ----------------------------------------------------------------------------------------
def format_points(grades: list[StudentGrades]) -> str:
    """Points per student and exercise, and the total (the maxima in the header)."""
    most = max_points()
    keys = list(EXERCISES)
    header = ["points", *(f"{k[:2]}/{most[k]}" for k in keys), f"total/{sum(most.values())}"]
    rows = [header] + [[g.student, *(str(g.points(k)) for k in keys), str(g.total)] for g in grades]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in rows]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_table(grades: list[StudentGrades]) -> str:
    """The student × exercise table, then the details of every failure and of captured output."""
    keys = list(EXERCISES)
    rows = [["student", *keys]] + [[g.student, *(g.cell(k) for k in keys)] for g in grades]
    widths = [max(len(r[i]) for r in rows) for i in range(len(keys) + 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    details = []
    for g in grades:
        for key in keys:
            problem = g.problems.get(key)
            if problem:
                details.append(f"{g.student} / {key}: every function FAILS: {problem}")
            for r in g.functions[key].values():
                if r.status == "FAIL" and r.message != problem:
                    details.append(f"{g.student} / {key}: {r.message}")
        if g.output_lines:
            first = g.output.splitlines()[0] if g.output else ""
            details.append(f"{g.student}: printed {g.output_lines} line(s) while being checked, first: {first[:100]!r}")
    if details:
        lines += ["", "Details:"] + [f"  {d}" for d in details]
    return "\n".join(lines)


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def to_json(grades: list[StudentGrades], timeout: float, seed: int | None = None) -> dict[str, Any]:
    """The gradebook: per student, per exercise the verdict, the worst error and every function's result.

    Non-finite errors (a function that returned inf or nan) are written as ``null``.
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
    }


def to_csv(grades: list[StudentGrades]) -> str:
    """One row per student: ``student``, the points of every exercise, ``total`` (header first)."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["student", *EXERCISES, "total"])
    for g in grades:
        out.writerow([g.student, *(g.points(k) for k in EXERCISES), g.total])
    return buffer.getvalue()


def to_gradescope(g: StudentGrades, timeout: float) -> dict[str, Any]:
    """Gradescope's autograder ``results.json`` for one student: one test per checked function.

    ``score`` is the total; every test has ``name`` (``"01_relu: relu_forward"``),
    ``score`` (1 or 0), ``max_score`` (1), ``output`` (PASS, or why not) and ``number``.
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
    if g.output_lines:
        summary += f"; your files printed {g.output_lines} line(s) while being checked"
    return {"score": g.total, "output": summary, "tests": tests}


def check_outputs(paths: list[str], outputs: dict[str, str | None], force: bool = False) -> None:
    """No output may be an input, lie inside a student's folder, or be another output.

    ``-`` is standard output, for one of the outputs at most. ``force`` allows replacing a
    read-only file (never an input).

    Raises
    ------
    OutputError
        With the option, the reason and the fix.
    """
    inputs = [("a student's file", f) for f in student_files(paths)]
    inputs += [("a folder being graded", Path(p)) for p in paths if Path(p).is_dir()]
    folders = [Path(p).resolve() for p in paths if Path(p).is_dir()]
    seen: dict[Path, str] = {}
    to_stdout = [option for option, path in outputs.items() if is_stdout(path)]
    if len(to_stdout) > 1:
        raise OutputError(f"{' and '.join(to_stdout)} both write to standard output (-); give all but one a file")
    for option, path in outputs.items():
        if not path or is_stdout(path):
            continue
        check_output(path, option, inputs=inputs, keep_suffixes=(".npz", ".arff", ".xml", ".py", ".ipynb"), force=force)
        where = Path(path).resolve()
        for folder in folders:
            if where.is_relative_to(folder):
                raise OutputError(f"{option} {path} is inside {folder}, which is being graded; write it elsewhere")
        if where in seen:
            raise OutputError(f"{option} {path} is also {seen[where]}; give each output its own file")
        seen[where] = option


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_grade(
    paths: list[str],
    timeout: float = 10.0,
    json_path: str | None = None,
    jobs: int | None = None,
    seed: int | None = None,
    limits: dict[str, Any] | None = None,
    csv_path: str | None = None,
    gradescope_path: str | None = None,
    force: bool = False,
) -> int:
    """``msdn grade``: grade, print the table and the points, write the exports. Returns the exit code (0).

    ``seed=None`` draws a secret seed for this run (written to the JSON, for the record).
    SIGTERM ends the run like Ctrl-C: every student process killed, the temporary folder removed.
    Every output is checked before grading starts (:func:`check_outputs`) and written atomically;
    an output named ``-`` goes to standard output, and the report then to stderr.

    Raises
    ------
    OutputError
        An output that would replace an input, or ``--gradescope`` for more than one student.
    """
    if timeout <= 0:
        raise ValueError(f"--timeout must be positive, got {timeout}")
    outputs = {"--json": json_path, "--csv": csv_path, "--gradescope": gradescope_path}
    check_outputs(paths, outputs, force=force)
    if any(is_stdout(p) for p in outputs.values()):
        stdout = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):
            return _run_grade(paths, timeout, json_path, jobs, seed, limits, csv_path, gradescope_path, stdout)
    return _run_grade(paths, timeout, json_path, jobs, seed, limits, csv_path, gradescope_path, sys.stdout)


def _run_grade(
    paths: list[str],
    timeout: float,
    json_path: str | None,
    jobs: int | None,
    seed: int | None,
    limits: dict[str, Any] | None,
    csv_path: str | None,
    gradescope_path: str | None,
    stdout: Any,
) -> int:
    """The body of :func:`run_grade`, its outputs checked; ``stdout`` receives an output named ``-``."""

    def write(path: str, text: str, what: str) -> None:
        if is_stdout(path):
            stdout.write(text)
            stdout.flush()
        else:
            write_text(path, text)  # atomic
            print(f"\n{what} written to {path}")

    subs = collect(paths)
    if gradescope_path and len(subs) != 1:
        raise OutputError(
            f"--gradescope writes one student's results.json, but {len(subs)} students were given; "
            "grade one student's folder or file at a time (use --csv for a class)"
        )
    seed = secrets.randbits(63) if seed is None else seed
    print(
        f"grading {len(subs)} student(s) on {len(EXERCISES)} exercises, time limit {timeout:g} s per check\n",
        flush=True,
    )
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        warnings: list[str] = []
        grades = grade(paths, timeout, jobs=jobs, seed=seed, limits=limits, warnings=warnings)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    print(format_table(grades))
    print(f"\n{format_points(grades)}\n({SCORING})")
    for w in warnings:
        print(f"\nwarning: {w}")
    if json_path:
        write(json_path, json.dumps(to_json(grades, timeout, seed), indent=2) + "\n", "grades")
    if csv_path:
        write(csv_path, to_csv(grades), "points (CSV, one row per student)")
    if gradescope_path:
        write(gradescope_path, json.dumps(to_gradescope(grades[0], timeout), indent=2) + "\n", "Gradescope results")
    return 0
