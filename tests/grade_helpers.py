"""Helpers for the ``msdn grade`` tests: the solutions, students made from them, running the grader."""

from __future__ import annotations

import contextlib
import hashlib
import io
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
