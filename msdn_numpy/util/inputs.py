"""Reading input files safely: regular files only, size checked before any read, every read bounded.

One rule for every file a command reads (ARFF data files, MULAN XML label files, the
input of ``msdn predict``, model files):

1. the path is opened with ``O_NONBLOCK`` (so a FIFO without a writer cannot block) and
   symlinks are followed;
2. what it names must be a *regular file* (``fstat`` of the open descriptor, so the
   file checked is the file read): a FIFO, a socket, a device (``/dev/zero``,
   ``/dev/urandom``, ``/dev/stdin`` on a terminal) or a folder is refused;
3. its size must be at most the limit stated for that kind of input, checked before
   any byte is read;
4. the read itself is bounded by the limit (a file that grows while it is read is
   refused, never read to its end).

Every refusal is an :class:`InputError` (a ``ValueError``) naming the file, the problem
and the fix; a missing file stays a ``FileNotFoundError``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO


class InputError(ValueError):
    """An input path that must not be read: not a regular file, or larger than its limit."""


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def _size_text(n: int) -> str:
    return f"{n:,} bytes" if n < 2**20 else f"{n / 2**20:,.1f} MiB"


def open_input(path: str | Path, limit: int, what: str, fix: str = "") -> BinaryIO:
    """Open ``path`` for reading in binary mode, by the rule of this module.

    Parameters
    ----------
    path : str or Path
        The input file; a symlink is followed, and what it points to is checked.
    limit : int
        The largest size accepted, in bytes.
    what : str
        What the file is, for messages (``"ARFF file"``, ``"model file"``).
    fix : str
        What to do instead, appended to the "not a regular file" message.

    Returns
    -------
    A binary file object positioned at the start; its reads block normally.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {path} not found; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a folder, not a file; {fix or 'pass a regular file'}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            target = f" (a link to {os.path.realpath(path)})" if path.is_symlink() else ""
            raise InputError(
                f"{what} {path}{target} is {_kind(info.st_mode)}, not a regular file: inputs are read only "
                f"from regular files, so a pipe or a device can neither block nor be read without end; "
                f"{fix or 'write the data to a file first and pass that file'}"
            )
        if info.st_size > limit:
            raise InputError(
                f"{what} {path} is {_size_text(info.st_size)}, more than the limit of {_size_text(limit)} "
                f"for a {what} (docs/CLI.md, 'Size limits on inputs'); check that this is the right file"
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_input(path: str | Path, limit: int, what: str, fix: str = "") -> bytes:
    """The whole content of ``path`` (:func:`open_input`), at most ``limit`` bytes."""
    with open_input(path, limit, what, fix) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise InputError(
            f"{what} {path} grew past the limit of {_size_text(limit)} while it was read; "
            "pass a file that is not being written"
        )
    return data
