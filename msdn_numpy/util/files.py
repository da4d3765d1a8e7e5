"""Writing output files safely: never half-written, never over an input by mistake.

Every file the ``msdn`` command writes (model files, ``--json`` results, prediction
CSVs, benchmark results and figures) is written by :func:`atomic_write`:

1. the content goes to a temporary file in the *same* folder (``.NAME.<random>.tmp``);
2. the temporary file is flushed and ``fsync``-ed to the disk;
3. ``os.replace`` puts it in place of ``NAME`` in one step.

So an interrupt (Ctrl-C, ``kill -9``), a full disk or any error while writing leaves
the previous file byte for byte as it was, and no truncated file behind (a ``kill -9``
may leave the hidden ``.tmp`` file, never a damaged ``NAME``).

:func:`check_output` checks an output path *before* any work is done (no training is
lost to a path that cannot be written), and refuses a path that is one of the
command's input files.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class OutputError(ValueError):
    """An output path that cannot or must not be written; the message says why and what to do."""


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
        files and the data formats: a results file must not land on them). Pass ``()``
        for the output that writes such files itself (``--save``).

    Raises
    ------
    OutputError
        The folder is missing or not writable, the path is a folder, the file exists
        (``replace=False``, or a ``keep_suffixes`` file) or is one of ``inputs``.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{option} {path} is a folder; give a file name, e.g. {path / 'out'}")
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
    if path.exists() and path.suffix.lower() in keep_suffixes:
        raise OutputError(
            f"{option} {path} would replace an existing {path.suffix} file (a model or data file); "
            "choose another output name"
        )
    if path.exists() and not replace:
        raise OutputError(f"{option} {path} already exists and would be replaced; {how_to_replace}")
    return path


@contextmanager
def atomic_write(
    path: str | Path, mode: str = "w", *, encoding: str | None = "utf-8", newline: str | None = None
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
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # "x": created new with the usual permissions (0o666 minus the umask), never over a file
    text = {"encoding": encoding, "newline": newline} if mode == "w" else {}
    f = open(tmp, mode.replace("w", "x"), **text)
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        f.close()
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


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


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_write`); return the path."""
    with atomic_write(path, "w") as f:
        f.write(text)
    return Path(path)
