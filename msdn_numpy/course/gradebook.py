"""``msdn grade``: every exercise's checks on a class's work, one row per student, and a JSON gradebook.

**What it grades**: :mod:`msdn_numpy.course.submissions` (student folders, student files,
class folders; what is left out and why). **What it reports**: :mod:`msdn_numpy.course.report`.

**How** (:func:`grade_exercise`). Each student's folder is copied once, within limits
(:mod:`msdn_numpy.course.copying`), to a temporary folder of its own; a copy refused (a
link, a FIFO, too deep, too many files, too large) is a FAIL of that student's every
exercise, with the reason. Each exercise is then checked in a fresh process
(:mod:`msdn_numpy.course.worker`) that loads only that exercise's file from the copy (which
it reads and cannot change; it writes only in a home of its own),
confined by :mod:`msdn_numpy.course.sandbox` (as the user ``nobody`` when the grader is
root; memory, CPU time, file size, no new processes, reading and writing only what
:mod:`msdn_numpy.course.allowlist` allows). That process computes nothing but the
student's outputs on inputs sent to it; this process, which never imports the student's
code, draws the inputs from a secret seed, computes the expected outputs with the
package's layers and judges. So

* an exception, in the file or in a function, is a FAIL with the reason and the line;
* a check that takes longer than the time limit is a FAIL ``timed out``; the process is
  killed (its whole process group) and a new one checks the functions still to do;
* a process that dies or sends a malformed message is a FAIL for what it was checking;
* whatever the file prints is read in chunks and counted; the first ``OUTPUT_LIMIT``
  bytes per student are kept and reported, never mixed into the table.

**This process's memory is bounded whatever a student does**: per student process at
work, one frame of at most ``wire.MAX_FRAME`` bytes (4 MB) and its decoded values, a read
buffer of ``OUTPUT_CHUNK`` bytes, ``OUTPUT_LIMIT`` bytes of output; messages from a student
process are cut to ``MESSAGE_LIMIT`` characters; a class folder is read up to
``submissions.MAX_CLASS_ENTRIES`` entries and a student's folder up to
``copying.MAX_ENTRIES``. docs/COURSE.md states the bound this gives and the test that
measures it.

A table cell is the exercise's verdict and its worst relative error: ``PASS 3.1e-16``,
``FAIL 4.8e-02`` (a wrong value), ``FAIL`` (an exception, a shape, a time-out),
``NOT DONE`` or ``NOT DONE 1/2`` (one of two functions passes, the other is not written).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pwd
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msdn_numpy.course import wire
from msdn_numpy.course.allowlist import dependencies
from msdn_numpy.course.copying import SubmissionProblem, copy_submission
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
from msdn_numpy.course.report import (
    SCORING,
    format_not_graded,
    format_points,
    format_table,
    function_points,
    to_csv,
    to_gradescope,
    to_json,
)
from msdn_numpy.course.submissions import (
    EXERCISE_FILES,
    NotGraded,
    Submission,
    collect,
    missing_message,
    near_misses,
    shown,
)
from msdn_numpy.util.files import OutputError, check_output, is_stdout, write_text

#: Time a student process may take to start (import NumPy and the package) before the student's code runs.
STARTUP_SECONDS = 60.0
#: Bytes of a student's printed output kept (the rest is counted, not stored).
OUTPUT_LIMIT = 4000
#: Bytes of printed output read at a time.
OUTPUT_CHUNK = 64 * 2**10
#: Characters kept of any text a student process sends (an exception's message).
MESSAGE_LIMIT = 1000
#: The limits of a student process (``msdn grade --memory-mb`` etc.).
DEFAULT_LIMITS = {"memory_mb": 2048, "cpu_seconds": 120, "file_mb": 16, "processes": 0}
#: Where the package lives: appended to the student process's ``sys.path`` (after the standard library).
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent.parent)
_BOOT = (
    f"import sys; sys.path.append({_PACKAGE_PARENT!r}); from msdn_numpy.course.worker import main; main(sys.argv[1:])"
)


def student_user() -> tuple[int, int] | None:
    """The (uid, gid) student processes run as when the grader is root (``nobody``), else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


def student_files(paths: list[str | Path]) -> list[Path]:
    """The exercise files the grading reads (the inputs no output may replace)."""
    files = []
    for sub in collect(paths)[0]:
        files += [sub.path / name for name in EXERCISE_FILES] if sub.is_folder else [sub.path]
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
class Copy:
    """A student's temporary folder (``work/``: the copy, read-only to their processes; a home per process)."""

    folder: Path | None
    files: list[str]
    problem: str | None = None


@dataclass
class Run:
    timeout: float
    seed: int | None
    limits: dict[str, Any]
    folder: Path
    subs: list[Submission]
    user: tuple[int, int] | None = None
    packages: list[str] | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    live: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    warnings: set = field(default_factory=set)
    copies: dict[int, Copy] = field(default_factory=dict)
    copy_locks: dict[int, threading.Lock] = field(default_factory=dict)
    left: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.copy_locks = {i: threading.Lock() for i in range(len(self.subs))}
        self.left = dict.fromkeys(range(len(self.subs)), len(EXERCISES))

    def copy(self, i: int) -> Copy:
        """Student ``i``'s copy, made by the first of their exercises to ask."""
        with self.copy_locks[i]:
            if i not in self.copies:
                self.copies[i] = self._make_copy(self.subs[i])
            return self.copies[i]

    def done(self, i: int) -> None:
        """One exercise of student ``i`` is graded; after the last, their temporary folder is removed."""
        with self.copy_locks[i]:
            self.left[i] -= 1
            made = self.copies.get(i)
            if self.left[i] == 0 and made is not None and made.folder is not None:
                shutil.rmtree(made.folder, ignore_errors=True)

    def _make_copy(self, sub: Submission) -> Copy:
        folder = Path(tempfile.mkdtemp(dir=self.folder))  # a random name: another student cannot guess it
        folder.chmod(0o711)  # passed through, not listed
        try:
            files = copy_submission(sub.path, folder / "work", sub.is_folder)
        except SubmissionProblem as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return Copy(None, [], str(exc))
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return Copy(None, [], f"the submission could not be copied ({exc.strerror or exc})")
        return Copy(folder, files)

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


@dataclass
class Output:
    """What one student process printed: the first ``OUTPUT_LIMIT`` bytes, and how much in all."""

    kept: bytearray = field(default_factory=bytearray)
    newlines: int = 0
    bytes: int = 0
    open_line: bool = False

    @property
    def lines(self) -> int:
        return self.newlines + self.open_line


def _drain(fd: int, out: Output) -> None:
    """Read a process's output to the end in chunks, keeping a bounded prefix (no line is awaited)."""
    try:
        while chunk := os.read(fd, OUTPUT_CHUNK):
            out.newlines += chunk.count(b"\n")
            out.bytes += len(chunk)
            out.open_line = not chunk.endswith(b"\n")
            room = OUTPUT_LIMIT - len(out.kept)
            if room > 0:
                out.kept += chunk[:room]
    except OSError:
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
    """A student process for one exercise file of a student's copy, and the channel to it.

    Its command line holds the interpreter, the boot line (the package's own location, which
    ``msdn_numpy.__file__`` tells anyway) and two descriptor numbers; its environment no path
    of the grader's. The configuration is the first frame on its pipe: ``file`` (the exercise
    file in the copy), ``key``, ``work`` (the copy, read-only to it), ``home`` (its own
    folder, read and write), ``packages`` (the installed packages it may read), ``limits``
    and ``user`` (uid, gid to become, when the grader is root).
    """

    def __init__(self, run: Run, copy: Copy, file: str, key: str, output: Output) -> None:
        assert copy.folder is not None
        self.run = run
        self.home = Path(tempfile.mkdtemp(dir=copy.folder, prefix="p"))
        (self.home / "mpl").mkdir()
        if run.user is not None:
            for d in (self.home, self.home / "mpl"):
                os.chown(d, *run.user)
        work = copy.folder / "work"
        to_child, self._to = os.pipe()
        self._from, from_child = os.pipe()
        env = {
            "PATH": "/usr/bin:/bin", "HOME": str(self.home), "TMPDIR": str(self.home),
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(self.home / "mpl"), "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        }  # fmt: skip
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-c", _BOOT, str(to_child), str(from_child)], stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=work, env=env, start_new_session=True,
                pass_fds=(to_child, from_child),
            )  # fmt: skip
        finally:
            os.close(to_child)
            os.close(from_child)
        with run.lock:
            run.live.add(self.proc)
        self.reader = wire.FrameReader(self._from)
        self.drain = threading.Thread(target=_drain, args=(self.proc.stdout.fileno(), output), daemon=True)
        self.drain.start()
        self.deadline = time.monotonic() + STARTUP_SECONDS
        config = {"file": str(work / file), "key": key, "work": str(work), "home": str(self.home),
                  "packages": run.packages, "limits": run.limits,
                  "user": list(run.user) if run.user else None}  # fmt: skip
        with contextlib.suppress(OSError):  # a process that died at once is reported by receive()
            wire.write_frame(self._to, wire.pack(config))

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
        if self.proc.stdout is not None:
            self.proc.stdout.close()
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
            raise NotImplementedError(str(answer.get("message", ""))[:MESSAGE_LIMIT])
        if kind == "raised":
            raise StudentRaised(str(answer.get("text", "raised"))[:MESSAGE_LIMIT])
        if kind == "reference":
            raise Mismatch(
                f"{name}: uses the reference implementation {str(answer.get('name'))[:200]}; this exercise asks for "
                "your own (the package's is not available while grading)"
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
    refused: bool = False


def _loaded(process: StudentProcess, run: Run) -> str | None:
    """Wait for the process to be ready and the file loaded; None, or why every function fails."""
    try:
        answer, _ = process.receive()
        if answer.get("event") != "ready":
            raise Lost("malformed", "no ready message")
        if not answer.get("landlock"):
            run.warnings.add("this kernel has no Landlock: only a Python audit hook kept student code from reading "
                             "and writing files outside its folder")  # fmt: skip
        if answer.get("seccomp") is not True:
            run.warnings.add("no seccomp filter here: student code could start processes")
        if run.user is not None and answer.get("user") != run.user[0]:
            run.warnings.add("student code ran as root: the grader could not become the user nobody")
        process.deadline = time.monotonic() + run.timeout
        answer, _ = process.receive()
        if answer.get("event") == "load_failed":
            return f"the file raised when loaded: {str(answer.get('message'))[:MESSAGE_LIMIT]}"
        if answer.get("event") != "loaded":
            raise Lost("malformed", "no loaded message")
    except Lost as lost:
        if lost.reason == "interrupted":
            raise
        return {
            "timeout": f"loading the file took more than {run.timeout:g} s (top-level code that never ends?)",
            "ended": f"{lost.detail} while loading the file",
            "malformed": f"the student process sent a malformed message while loading the file ({lost.detail})",
        }[lost.reason]
    return None


def _check_functions(run: Run, copy: Copy, file: str, key: str, output: Output) -> tuple[dict, str | None]:
    """Every function of exercise ``key`` in ``file``, a fresh process after each time-out or death."""
    functions = EXERCISES[key].functions
    done: dict[str, FunctionResult] = {}
    problem = None
    while len(done) < len(functions) and problem is None:
        process = StudentProcess(run, copy, file, key, output)
        try:
            problem = _loaded(process, run)
            if problem is not None:
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
    return done, problem


def grade_exercise(run: Run, i: int, key: str, output: Output) -> ExerciseGrades:
    """Check every function of exercise ``key`` of student ``i``, each within ``run.timeout``."""
    sub = run.subs[i]
    functions = EXERCISES[key].functions
    try:
        copy = run.copy(i)
        if copy.problem is not None:
            return ExerciseGrades({fn: FunctionResult(fn, "FAIL", copy.problem) for fn in functions}, copy.problem,
                                  None, refused=True)  # fmt: skip
        file = f"{key}.py" if sub.is_folder else copy.files[0]
        if file not in copy.files:
            message = missing_message(key, sub.path.name, near_misses(copy.files).get(key, []))
            return ExerciseGrades({fn: FunctionResult(fn, "NOT DONE", message) for fn in functions})
        done, problem = _check_functions(run, copy, file, key, output)
    finally:
        run.done(i)
    results = {fn: done.get(fn) or FunctionResult(fn, "FAIL", problem or "not checked") for fn in functions}
    return ExerciseGrades(results, problem, str(sub.path / file if sub.is_folder else sub.path))


@dataclass
class StudentGrades:
    """Everything ``msdn grade`` found out about one student.

    Attributes
    ----------
    student : str
        The folder's or file's name (the path, if two share a name), as it is (shown escaped).
    source : str
        The student's folder or file.
    files : dict[str, str or None]
        Per exercise, the file checked (None: none handed in).
    functions : dict[str, dict[str, FunctionResult]]
        ``functions[exercise][function]``, for every exercise.
    problems : dict[str, str]
        Per exercise whose file could not be checked as a whole (it raised, timed out or
        exited while loading, or the submission was refused), why; its functions then fail
        with this message.
    refused : str or None
        Why the whole submission was refused (a link, a FIFO, too many files ...), if it was.
    output : str
        What the files printed while being checked (the first ``OUTPUT_LIMIT`` bytes, decoded).
    output_lines, output_bytes : int
        How many lines and bytes they printed in all.
    """

    student: str
    source: str
    files: dict[str, str | None] = field(default_factory=dict)
    functions: dict[str, dict[str, FunctionResult]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    refused: str | None = None
    output: str = ""
    output_lines: int = 0
    output_bytes: int = 0

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
    skipped: list[NotGraded] | None = None,
) -> list[StudentGrades]:
    """Grade every student in ``paths`` (``jobs`` exercise files at a time; default one per CPU core).

    ``seed`` fixes the inputs of the checks (None: the exercises' own, public ones; ``msdn
    grade`` draws a secret one per run). ``warnings``, if given, receives what the
    sandbox could not enforce here; ``skipped`` the class folders' entries not graded.
    """
    subs, not_graded = collect(paths)
    if skipped is not None:
        skipped.extend(not_graded)
    jobs = jobs or os.cpu_count() or 1
    tasks = [(i, key) for i in range(len(subs)) for key in EXERCISES]
    outputs = {t: Output() for t in tasks}
    user = student_user()
    folder = Path(tempfile.mkdtemp(prefix="msdn-grade-"))
    if user is not None:
        folder.chmod(0o711)  # the user nobody may pass through, not list: a student's folder name is secret
    run = Run(timeout, seed, {**DEFAULT_LIMITS, **(limits or {})}, folder, subs, user, dependencies())
    pool = ThreadPoolExecutor(max_workers=jobs)
    results: dict[tuple[int, str], ExerciseGrades] = {}
    try:
        futures = {pool.submit(grade_exercise, run, i, key, outputs[(i, key)]): (i, key) for i, key in tasks}
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
        kept = bytearray()
        for key in EXERCISES:
            ex = results[(i, key)]
            g.files[key], g.functions[key] = ex.file, ex.functions
            if ex.problem:
                g.problems[key] = ex.problem
            if ex.refused:
                g.refused = ex.problem
            out = outputs[(i, key)]
            kept += out.kept[: OUTPUT_LIMIT - len(kept)]
            g.output_lines += out.lines
            g.output_bytes += out.bytes
        g.output = kept.decode("utf-8", errors="replace")
        grades.append(g)
    return grades


# ----------------------------------------------------------------------------------------
# the command
# ----------------------------------------------------------------------------------------
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
    collect(paths, upload=bool(gradescope_path))  # nothing to grade: said first, in the words of the upload
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

    subs, _ = collect(paths, upload=bool(gradescope_path))
    if gradescope_path and len(subs) != 1:
        found = ", ".join(repr(shown(s.path.name) + ("/" if s.is_folder else "")) for s in subs[:4])
        raise OutputError(
            f"the upload holds the work of {len(subs)} students ({found}{', ...' if len(subs) > 4 else ''}), and "
            f"--gradescope grades one: upload one set of exercise files, {', '.join(EXERCISE_FILES)}, in one folder "
            "or none"
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
        skipped: list[NotGraded] = []
        grades = grade(paths, timeout, jobs=jobs, seed=seed, limits=limits, warnings=warnings, skipped=skipped)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    print(format_table(grades))
    print(f"\n{format_points(grades)}\n({SCORING})")
    if skipped:
        print(f"\n{format_not_graded(skipped)}")
    for w in warnings:
        print(f"\nwarning: {w}")
    if json_path:
        write(json_path, json.dumps(to_json(grades, timeout, seed, skipped), indent=2) + "\n", "grades")
    if csv_path:
        write(csv_path, to_csv(grades), "points (CSV, one row per student)")
    if gradescope_path:
        write(gradescope_path, json.dumps(to_gradescope(grades[0], timeout), indent=2) + "\n", "Gradescope results")
    return 0
