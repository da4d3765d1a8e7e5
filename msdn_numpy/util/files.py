"""Writing output files safely: never half-written, never over an input by mistake.

Every file the ``msdn`` command writes (model files, ``--json`` results, prediction
CSVs, benchmark results and figures) is written by :func:`atomic_write`:

1. the content goes to a temporary file in the *same* folder (``.NAME.<random>.tmp``);
2. the temporary file is flushed and ``fsync``-ed to the disk;
3. ``os.replace`` puts it in place of ``NAME`` in one step, or, when the file must not be
   replaced (``replace=False``: ``msdn train --save`` without ``--force``), ``os.link``
   creates ``NAME`` only if it does not exist yet, so of two runs saving to one name at
   once exactly one wins and the other is told so (:class:`OutputError`).

So an interrupt (Ctrl-C, ``kill -9``), a full disk or any error while writing leaves
the previous file byte for byte as it was, and no truncated file behind (a ``kill -9``
may leave the hidden ``.tmp`` file, never a damaged ``NAME``).

:func:`check_output` is the one rule for every output target. It runs *before* any work
is done (no training is lost to a path that cannot be written) and again just before
writing (a file may appear meanwhile). An output is

* a new path in an existing, writable folder, or an existing *regular* file, replaced
  keeping its permission bits (a mode-600 file stays 600);
* never a symbolic link, a device, a FIFO, a socket or a folder (refused: replacing them
  would destroy the link or node), except the null device (``/dev/null`` or a node with its
  device number), which is written through: the output is discarded;
* never a read-only file (no write bit), unless ``force``;
* never an empty name, ``.``, ``..`` or a name ending in ``/``;
* never one of the command's input files, and (for results) never a name with a model or
  data suffix (``.npz``, ``.arff``, ``.xml``), existing or not.

``-`` (standard output) is handled by the callers (:func:`is_stdout`).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class OutputError(ValueError):
    """An output path that cannot or must not be written; the message says why and what to do."""


#: The name meaning standard output, for the options that accept it.
STDOUT = "-"


def is_stdout(path: str | Path | None) -> bool:
    """True for ``-``, the name of standard output (``--json -``, ``predict --output -``)."""
    return path is not None and str(path) == STDOUT


def is_null_device(path: str | Path) -> bool:
    """True when ``path`` is the null device (``/dev/null`` or another node with its device number)."""
    try:
        st = os.stat(path)
        null = os.stat(os.devnull)
    except OSError:
        return False
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == null.st_rdev


def check_name(text: str | Path, option: str) -> None:
    """Refuse a name that cannot be an output file: empty, ``.``, ``..``, or ending in ``/``."""
    text = str(text)
    if not text.strip():
        example = "model.npz" if option == "--save" else "out.json" if option == "--json" else "out.csv"
        raise OutputError(f"{option}: the file name is empty; give a file name (e.g. {option} {example})")
    name = text.replace(os.sep, "/").rstrip("/").rsplit("/", 1)[-1]
    if name in ("", ".", "..") or text.endswith(("/", os.sep)):
        raise OutputError(
            f"{option} {text!r} names a folder, not a file; give a file name inside it (e.g. {option} "
            f"{text.rstrip('/' + os.sep) or '.'}/out)"
        )


def _same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` name the same file (also through links); False if either is missing."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_output(
    path: str | Path,
    option: str,
    *,
    inputs: Sequence[tuple[str, str | Path]] = (),
    replace: bool = True,
    how_to_replace: str = "",
    keep_suffixes: Sequence[str] = (".npz", ".arff", ".xml"),
    force: bool = False,
) -> Path:
    """Check that ``path`` can be written as an output file; return it as a Path.

    Parameters
    ----------
    path : str or Path
        The output file.
    option : str
        How the user gave it (``"--save"``), for the messages.
    inputs : sequence of (str, path)
        Files the command reads (or writes under another option), as ``(what, path)``:
        ``path`` must not be any of them.
    replace : bool
        Whether an existing file may be replaced. If False, an existing file is refused
        and the message ends with ``how_to_replace``.
    keep_suffixes : sequence of str
        An existing file with one of these suffixes is never replaced (by default model
        files and the data formats: a results file must not land on them), and a new name
        with one of them is refused too (``--json a/cneg.xml`` would become the label file of
        ``a/cneg.arff``). Pass ``()`` for the output that writes such files itself (``--save``).
    force : bool
        Whether a read-only existing file may be replaced (``--force``).

    Raises
    ------
    OutputError
        The folder is missing or not writable, the path is a folder, the file exists
        (``replace=False``, or a ``keep_suffixes`` file) or is one of ``inputs``.
    """
    check_name(path, option)
    path = Path(path)
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):  # a new path (a file as its folder is reported below)
        st = None
    except OSError as e:
        raise OutputError(f"{option} {path}: {e.strerror}; check the path and its permissions") from None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise OutputError(
            f"{option} {path} is a symbolic link (to {os.readlink(path)}); an output is never written over a link: "
            f"give the path it points to{', or - for standard output' if option != '--save' else ''}"
        )
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{option} {path} is a folder; give a file name, e.g. {path / 'out'}")
    if st is not None and not stat.S_ISREG(st.st_mode):
        if is_null_device(path):
            return path  # written through: the output is discarded, as the user asked
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        raise OutputError(
            f"{option} {path} is {kind}, not a regular file; outputs are written only to regular files or new paths "
            f"(it was left as it is): give a file name{', or - for standard output' if option != '--save' else ''}"
        )
    folder = path.parent
    if not folder.exists():
        raise OutputError(f"{option} {path}: folder {folder} does not exist; create it first or choose another path")
    if not folder.is_dir():
        raise OutputError(f"{option} {path}: {folder} is a file, not a folder; choose another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {path}: cannot write into folder {folder} (permission denied); choose another")
    for what, other in inputs:
        if other is not None and _same_file(path, Path(other)):
            raise OutputError(
                f"{option} {path} is {what}; writing it would destroy that file: choose another output name"
            )
    if path.suffix.lower() in keep_suffixes:
        if st is not None:
            raise OutputError(
                f"{option} {path} would replace an existing {path.suffix} file (a model or data file); "
                "choose another output name"
            )
        raise OutputError(
            f"{option} {path}: a {path.suffix} name is for model and data files, and this output is not one "
            "(a data file's loader would find it): choose another name, e.g. ending in .json or .csv"
        )
    if st is not None and not replace:
        raise OutputError(f"{option} {path} already exists and would be replaced; {how_to_replace}")
    if st is not None and not st.st_mode & 0o222 and not force:
        raise OutputError(
            f"{option} {path} is read-only (mode {stat.S_IMODE(st.st_mode):o}); pass --force to replace it "
            f"(or make it writable: chmod u+w {path}), or choose another name"
        )
    return path


@contextmanager
def atomic_write(
    path: str | Path,
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
    replace: bool = True,
    option: str = "",
) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    ``with atomic_write(path, "wb") as f: ...`` writes into ``.NAME.<random>.tmp`` in
    the folder of ``path``; when the block ends normally the data is flushed, synced
    to disk and the temporary file renamed over ``path`` (``os.replace``, atomic on
    POSIX and Windows). When the block raises (including ``KeyboardInterrupt``) the
    temporary file is deleted and ``path`` is left untouched.

    Parameters
    ----------
    path : str or Path
        The file to create or replace. Its folder must exist.
    mode : {"w", "wb"}
        Text or binary.
    encoding, newline
        As for :func:`open` (text mode only).
    replace : bool
        False: ``path`` is created only if it does not exist when the block ends, in one
        step (``os.link``, which never replaces); if it exists, :class:`OutputError` is
        raised (the message names ``option``) and ``path`` is untouched.
    option : str
        How the user gave the path, for that message (``"--save"``).

    Replacing a file keeps its permission bits. The null device is written through
    (the data is discarded); any other non-regular file is never replaced (check it
    first with :func:`check_output`).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    text = {"encoding": encoding, "newline": newline} if mode == "w" else {}
    if is_null_device(path):
        with open(os.devnull, mode, **text) as f:
            yield f
        return
    try:
        keep_mode = stat.S_IMODE(os.stat(path).st_mode) if replace and path.is_file() else None
    except OSError:
        keep_mode = None
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # O_EXCL: created new, never over a file; with the usual permissions (0o666 minus the
    # umask), or when it replaces a file, 0o600 while written (a private file's content is
    # never readable by others) and then the mode of the file it replaces
    fd = os.open(
        tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666 if keep_mode is None else 0o600
    )
    try:
        f = open(fd, "wb" if mode == "wb" else "w", **text)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if keep_mode is not None:
            os.chmod(tmp, keep_mode)
        if replace:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path, option)
    except BaseException:
        f.close()
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _link_new(tmp: Path, path: Path, option: str) -> None:
    """Give ``tmp`` the name ``path`` only if ``path`` does not exist (atomic), then drop ``tmp``."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputError(
            f"{option or 'output'} {path} was created by something else while this run worked, and was kept; "
            "nothing was written: pass --force to replace it, or choose another name"
        ) from None
    except OSError:  # a file system without hard links: claim the name exclusively, then fill it
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise OutputError(
                f"{option or 'output'} {path} was created by something else while this run worked, and was "
                "kept; nothing was written: pass --force to replace it, or choose another name"
            ) from None
        os.replace(tmp, path)
        return
    tmp.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); best effort, a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text(path: str | Path, text: str, *, replace: bool = True, option: str = "") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_write`); return the path."""
    with atomic_write(path, "w", replace=replace, option=option) as f:
        f.write(text)
    return Path(path)
