"""What ``msdn grade`` grades: the students in the paths given, every entry it leaves out and why, name hints.

**Students** (:func:`collect`). Each path given on the command line (the instructor's
choice: followed if it is a link) is

* a *student folder* when it holds an exercise file, or a near miss of one (``01_relu.py``,
  ``03_im2col (1).py``): one student, named after the folder;
* a *file*: one student, named after the file, holding any or all of the exercises;
* otherwise a *class folder*: each sub-folder is a student folder and each ``.py`` file a
  student file. Nothing in it is followed: a symbolic link (to a folder, dangling, in a
  loop), a FIFO, a socket or a device is not graded, and neither is a file other than
  ``.py``, a hidden entry, ``__pycache__`` or ``__MACOSX``. Each of these is returned
  as :class:`NotGraded` with the reason, for the report. At most :data:`MAX_CLASS_ENTRIES`
  entries are read.

**Near misses** (:func:`near_misses`): a file that is probably an exercise under another
name (a browser's ``03_im2col (1).py``, ``07_Adam.py``, a notebook, a copy in a sub-folder),
named in the NOT DONE message: "did you mean 03_im2col.py? found '03_im2col (1).py'".

**Names are untrusted** (:func:`shown`): a folder's name may hold a newline or a terminal
escape sequence; wherever the grader prints one, it is escaped.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from msdn_numpy.course.copying import ignored, kind
from msdn_numpy.course.exercises import EXERCISES

#: Entries of a class folder read at most.
MAX_CLASS_ENTRIES = 10_000
#: The exercise files, by name.
EXERCISE_FILES = {f"{key}.py": key for key in EXERCISES}


def shown(text: str) -> str:
    """``text`` with every character that is not printable (and the backslash) escaped, as Python would."""
    return "".join(c if c.isprintable() and c != "\\" else repr(c)[1:-1] for c in text)


@dataclass
class Submission:
    """One student's work: a folder of exercise files, or one file holding any of the exercises."""

    student: str
    path: Path
    is_folder: bool


@dataclass
class NotGraded:
    """An entry of a class folder that is not graded, and why."""

    path: str
    reason: str


def _normal(name: str) -> str:
    """A file name reduced to compare with an exercise's: case, extensions, copy marks, separators, leading zeros."""
    s = name.lower()
    while True:
        stem, ext = os.path.splitext(s)
        if ext not in (".py", ".ipynb", ".txt", ".zip"):
            break
        s = stem
    s = re.sub(r"\(\d+\)|\bcopy\b( of)?", " ", s)
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_")
    return re.sub(r"^0+(?=\d)", "", s)


_KEYS = {_normal(key): key for key in EXERCISES}
_TOPICS = {key.split("_", 1)[1]: key for key in EXERCISES}


def _near(name: str) -> str | None:
    """The exercise that the file name ``name`` is a near miss of, if any (not its exact name)."""
    if name in EXERCISE_FILES:
        return None
    n = _normal(name)
    if n in _KEYS:
        return _KEYS[n]
    if n in _TOPICS:
        return _TOPICS[n]
    close = difflib.get_close_matches(n, list(_KEYS), n=1, cutoff=0.85)
    return _KEYS[close[0]] if close else None


def near_misses(files: list[str]) -> dict[str, list[str]]:
    """Per exercise, the files (relative paths) that look like it but are not its exact top-level name."""
    found: dict[str, list[str]] = {}
    for f in files:
        name = f.rsplit("/", 1)[-1]
        key = (EXERCISE_FILES.get(name) if "/" in f else None) or _near(name)
        if key is not None:
            found.setdefault(key, []).append(f)
    return found


def missing_message(key: str, folder: str, near: list[str]) -> str:
    """The NOT DONE message of an exercise whose file is not in the folder, with the near misses found."""
    text = f"no file {key}.py in {folder}/"
    if near:
        text += f"; did you mean {key}.py? found {', '.join(repr(n) for n in near[:3])}"
    return text


def _holds_exercises(folder: Path) -> bool:
    """Whether ``folder``'s own entries include an exercise file, or one under a near name with its number."""
    try:
        with os.scandir(folder) as entries:
            for i, entry in enumerate(entries):
                if i >= MAX_CLASS_ENTRIES:
                    break
                numbered = _normal(entry.name) in _KEYS and not entry.is_dir(follow_symlinks=False)
                if entry.name in EXERCISE_FILES or numbered:  # a student's adam.py is no near miss here
                    return True
    except OSError:
        return False
    return False


def _link_reason(path: Path) -> str:
    try:
        target = os.stat(path)
    except FileNotFoundError:
        return "a dangling symbolic link (its target does not exist): not followed"
    except OSError as exc:
        return f"a symbolic link that cannot be followed ({exc.strerror}): not followed"
    what = "folder" if stat.S_ISDIR(target.st_mode) else "file"
    return f"a symbolic link to a {what}: not followed; put the {what} itself in the class folder"


def _class_folder(folder: Path, found: list[tuple[Path, bool]], skipped: list[NotGraded]) -> None:
    with os.scandir(folder) as it:
        entries = []
        for entry in it:
            if len(entries) >= MAX_CLASS_ENTRIES:
                raise ValueError(f"{folder} holds more than {MAX_CLASS_ENTRIES} entries; grade a class folder of "
                                 "student folders or files")  # fmt: skip
            entries.append(entry)
    for entry in sorted(entries, key=lambda e: e.name):
        path = Path(entry.path)
        why = ignored(entry.name)
        mode = entry.stat(follow_symlinks=False).st_mode
        if why:
            skipped.append(NotGraded(str(path), f"{why}: ignored"))
        elif stat.S_ISLNK(mode):
            skipped.append(NotGraded(str(path), _link_reason(path)))
        elif stat.S_ISDIR(mode):
            found.append((path, True))
        elif not stat.S_ISREG(mode):
            skipped.append(NotGraded(str(path), f"{kind(mode)}, not a file or folder"))
        elif entry.name.endswith(".py"):
            found.append((path, False))
        elif entry.name.endswith(".ipynb"):
            skipped.append(NotGraded(str(path), "a notebook: hand in the script (.py), e.g. jupyter nbconvert --to "
                                                "script"))  # fmt: skip
        else:
            skipped.append(NotGraded(str(path), "not a .py file"))


def collect(paths: list[str | Path], upload: bool = False) -> tuple[list[Submission], list[NotGraded]]:
    """The students in ``paths`` (see the module's docstring), in the order given, each folder sorted.

    ``upload`` words the errors for a student who uploaded ``paths`` (``--gradescope``).

    Raises
    ------
    FileNotFoundError
        A path that does not exist, or nothing to grade at all.
    ValueError
        A path that is neither a file nor a folder, or a class folder of too many entries.
    """
    found: list[tuple[Path, bool]] = []
    skipped: list[NotGraded] = []
    for p in map(Path, paths):
        try:
            mode = os.stat(p).st_mode
        except OSError:
            raise FileNotFoundError(f"no such file or folder: {shown(str(p))}") from None
        if stat.S_ISREG(mode):
            found.append((p, False))
        elif not stat.S_ISDIR(mode):
            raise ValueError(f"{shown(str(p))} is {kind(mode)}, not a file or folder: give students' files or folders")
        elif _holds_exercises(p):
            found.append((p, True))
        else:
            _class_folder(p, found, skipped)
    if not found:
        names = f"{', '.join(EXERCISE_FILES)}"
        if upload:
            seen = "; ".join(f"{shown(Path(n.path).name)!r} ({n.reason})" for n in skipped[:5])
            raise FileNotFoundError(f"the upload holds no exercise file{f' (only {seen})' if seen else ''}: upload "
                                    f"your exercise files themselves, named {names}")
        raise FileNotFoundError(
            f"no .py files in {', '.join(shown(str(p)) for p in paths)}: give students' files, student folders "
            f"(holding {next(iter(EXERCISE_FILES))}, ...) or a class folder of either"
        )
    names = [p.name if folder else p.stem for p, folder in found]
    subs = [
        Submission(name if names.count(name) == 1 else str(p), p.resolve(), folder)
        for name, (p, folder) in zip(names, found)
    ]
    return subs, skipped
