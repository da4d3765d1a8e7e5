"""A student's folder copied for grading: iteratively, within limits, regular files and folders only.

``msdn grade`` runs a student's code in a temporary copy of their folder, made once per
student (:func:`copy_submission`) and shared by the processes that check their exercises.
The folder is untrusted input, so the copy

* walks it **iteratively** (no recursion, whatever the nesting), reading each folder's
  entries lazily and stopping at the first limit reached: at most :data:`MAX_DEPTH`
  levels of sub-folders, :data:`MAX_ENTRIES` files and folders, :data:`MAX_BYTES` bytes
  in all (a file is read in chunks up to what is left of the budget, so a sparse or
  growing file stops it too);
* copies **only regular files and folders**: a symbolic link anywhere (to a classmate's
  file, to the solutions, in a loop, dangling), a FIFO, a socket or a device refuses the
  whole submission, since following or opening them could read another student's work
  or block the grader. Files are opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked
  again on the open descriptor, so nothing swapped in meanwhile is followed or blocks;
* skips what :func:`ignored` names (hidden entries, ``__pycache__``, ``__MACOSX``).

Any violation raises :class:`SubmissionProblem` with a message for the student; the
grader turns it into a FAIL of that student's every exercise, and the class goes on.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: Sub-folders below a student's folder, at most.
MAX_DEPTH = 8
#: Files and folders in a student's folder, at most (ignored entries not counted).
MAX_ENTRIES = 1000
#: Bytes in a student's folder (or file), at most.
MAX_BYTES = 64 * 2**20
#: Read and written at a time.
_CHUNK = 1 << 20
#: Entries skipped wherever they are, and why.
IGNORED = {"__MACOSX": "macOS zip metadata", "__pycache__": "Python's cache"}
_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFLNK: "a symbolic link"}  # fmt: skip
_HAND_IN = "hand in only the exercise files"


class SubmissionProblem(Exception):
    """A submission that cannot be graded as it is: the message says what and how to fix it."""


def ignored(name: str) -> str | None:
    """Why an entry named ``name`` is skipped (``"hidden"``, ...), or None if it is not."""
    if name in IGNORED:
        return IGNORED[name]
    return "hidden" if name.startswith(".") else None


def kind(mode: int) -> str:
    """``"a FIFO (named pipe)"``, ``"a symbolic link"``, ... for a mode that is not a regular file or folder."""
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file or folder")


class _Budget:
    """What is left of the limits while one submission is copied."""

    def __init__(self, what: str) -> None:
        self.what, self.entries, self.bytes = what, 0, 0

    def entry(self) -> None:
        self.entries += 1
        if self.entries > MAX_ENTRIES:
            raise SubmissionProblem(f"{self.what} holds more than {MAX_ENTRIES} files and folders: {_HAND_IN}")

    def take(self, n: int) -> None:
        self.bytes += n
        if self.bytes > MAX_BYTES:
            raise SubmissionProblem(f"{self.what} holds more than {MAX_BYTES // 2**20} MB: {_HAND_IN}")


def _copy_file(src: Path, dst: Path, shown: str, budget: _Budget) -> None:
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise SubmissionProblem(f"{shown} cannot be read ({exc.strerror}): {_HAND_IN}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise SubmissionProblem(f"{shown} is {kind(mode)}: {_HAND_IN}, as regular files")
        out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            while chunk := os.read(fd, _CHUNK):
                budget.take(len(chunk))
                os.write(out, chunk)
        finally:
            os.close(out)
    finally:
        os.close(fd)


def copy_submission(src: Path, dst: Path, is_folder: bool) -> list[str]:
    """Copy a student's folder (or one file) to the new folder ``dst``; return the files copied.

    The files are returned as paths relative to ``dst`` (``"01_relu.py"``, ``"hw/03_im2col.py"``),
    in the order found. The copy belongs to this process's user, readable by all (``0644``,
    folders ``0755``): a student process running as another user reads it and cannot
    change it.

    Raises
    ------
    SubmissionProblem
        A limit exceeded, or an entry that is not a regular file or folder.
    """
    dst.mkdir(mode=0o755)
    if not is_folder:
        _copy_file(src, dst / src.name, repr(src.name), _Budget(f"{src.name!r}"))
        return [src.name]
    budget = _Budget("the folder")
    files: list[str] = []
    pending = [("", 0)]
    while pending:
        rel, depth = pending.pop()
        try:
            entries = os.scandir(src / rel)
        except OSError as exc:
            raise SubmissionProblem(f"the folder {rel!r} cannot be read ({exc.strerror}): {_HAND_IN}") from None
        with entries:
            found = []
            for entry in entries:
                if not ignored(entry.name):
                    budget.entry()
                    found.append((entry.name, entry.stat(follow_symlinks=False).st_mode))
        for name, mode in sorted(found):  # in order, so that the message is the same on every machine
            path = f"{rel}/{name}" if rel else name
            if stat.S_ISDIR(mode):
                if depth + 1 > MAX_DEPTH:
                    raise SubmissionProblem(f"the folder nests more than {MAX_DEPTH} folders deep: {_HAND_IN}")
                (dst / path).mkdir(mode=0o755)
                pending.append((path, depth + 1))
            elif stat.S_ISREG(mode):
                _copy_file(src / path, dst / path, repr(path), budget)
                files.append(path)
            else:
                raise SubmissionProblem(f"{path!r} is {kind(mode)}: {_HAND_IN}, as regular files (no links)")
    return files
