"""Helpers for the ``msdn grade`` tests: the solutions, students made from them, running the grader."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

from msdn_numpy.tools.cli import main

SOLUTIONS = Path(__file__).resolve().parent.parent / "tutorials" / "exercises" / "solutions"
SOLUTION = {p.stem: p.read_text() for p in sorted(SOLUTIONS.glob("0*.py"))}


def changed(key: str, old: str, new: str) -> str:
    """Solution ``key`` with ``old`` replaced by ``new`` (which must occur)."""
    text = SOLUTION[key]
    assert old in text, (key, old)
    return text.replace(old, new)


def student_folder(parent: Path, name: str, **files: str) -> Path:
    """A student folder holding every solution, with ``files`` (exercise key -> text) instead."""
    folder = parent / name
    folder.mkdir(parents=True)
    for key, text in SOLUTION.items():
        (folder / f"{key}.py").write_text(files.get(key, text))
    return folder


def run(*args: str) -> tuple[int, str]:
    """``msdn grade ARGS`` in this process: (exit code, what it printed)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = main(["grade", *args])
    return code, buffer.getvalue()


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` (``__pycache__`` skipped), by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


#: Run in a fresh interpreter by :func:`run_measured`: ``msdn grade``, then this process's peak memory.
_MEASURED = """
import sys
from msdn_numpy.tools.cli import main
code = main(["grade", *sys.argv[2:]])
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
open(sys.argv[1], "w").write(peak)
sys.exit(code)
"""


def run_measured(tmp: Path, *args: str) -> tuple[int, str, float]:
    """``msdn grade ARGS`` in a process of its own: (exit code, what it printed, its peak resident memory in MB).

    The peak is the grader's own (``VmHWM``), not its student processes'.
    """
    peak = tmp / "peak.txt"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", _MEASURED, str(peak), *args], capture_output=True, text=True,
                          env=env, errors="replace")  # fmt: skip
    return done.returncode, done.stdout + done.stderr, int(peak.read_text()) / 1024


#: The grader's peak resident memory with --jobs 2, whatever the students do (docs/COURSE.md, "Limits").
GRADER_PEAK_MB = 200


def assert_class_goes_on(students: dict, out: str, peak: float, good: str = "good") -> None:
    """After a hostile student: the good one still has 19/19, nothing printed a traceback, the memory bound held."""
    assert students[good]["points"] == 19, students[good]
    assert "Traceback" not in out and "RecursionError" not in out, out
    assert peak < GRADER_PEAK_MB, f"the grader's peak memory was {peak:.0f} MB"
