"""How many threads NumPy's BLAS uses, read and set at run time, and the policy we apply.

Why this matters. Every matrix product in this package goes to NumPy's BLAS (OpenBLAS in
the pip wheels). OpenBLAS starts one worker per core and, after each call, lets its
workers *spin* for a while waiting for the next one. MSDN's products are small (at a yeast
batch the convolution multiplies ``(32, 40) @ (40, 448)``), so a second thread has little
to split and much to wait for: a second thread costs CPU time for little wall time, and
once another process holds a core, two threads are slower than one (their spinning
threads fight for the cores). docs/PERFORMANCE.md, "Threads", has the measurements.

The policy. :data:`DEFAULT_THREADS` = 1 thread, unless the caller asks for a count
(``msdn --threads N``, ``apply_policy(N)``); it is also what lets several trainings share a
machine.

How, without a new dependency. OpenBLAS exports ``openblas_get_num_threads`` and
``openblas_set_num_threads``; the copies bundled in the NumPy and SciPy wheels carry a
prefix and a suffix (``scipy_openblas_set_num_threads64_``). We find the OpenBLAS
libraries already loaded into this process (``/proc/self/maps`` on Linux, else the
folders where the wheels keep them), open them with :mod:`ctypes` (the library is already
loaded, so this returns the same copy NumPy uses) and call those functions. Setting
changes every OpenBLAS loaded (NumPy's and SciPy's); reading reports NumPy's.

When NumPy's BLAS is not an OpenBLAS (e.g. Apple's Accelerate in the macOS arm64 wheels)
there is nothing to call: :func:`get_blas_threads` raises :class:`BLASNotFound` and
:func:`apply_policy` leaves the library alone and returns 0.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np

#: Threads the ``msdn`` command, the tutorials and the bench use unless told otherwise.
DEFAULT_THREADS = 1

# The names OpenBLAS builds export: plain, and the scipy-openblas wheels' renamed copies
# (prefix "scipy_", suffix "64_" or "_64_" for the 64-bit integer build NumPy uses).
_AFFIXES = [("", ""), ("scipy_", ""), ("scipy_", "64_"), ("scipy_", "_64_"), ("", "64_"), ("", "_64_")]


class BLASNotFound(RuntimeError):
    """NumPy's BLAS is not an OpenBLAS this module can find, so its threads cannot be set."""


class _OpenBLAS:
    """One loaded OpenBLAS: its path and its get/set functions."""

    def __init__(self, path: str, lib: ctypes.CDLL, get: str, set_: str) -> None:
        self.path = path
        self._get = getattr(lib, get)
        self._get.restype = ctypes.c_int
        self._get.argtypes = []
        self._set = getattr(lib, set_)
        self._set.restype = None
        self._set.argtypes = [ctypes.c_int]

    def get(self) -> int:
        return int(self._get())

    def set(self, n: int) -> None:
        self._set(int(n))


def _loaded_paths() -> list[str]:
    """Paths of the shared objects loaded into this process whose path names OpenBLAS."""
    maps = Path("/proc/self/maps")
    if maps.exists():  # Linux: every mapped file, in load order
        paths = []
        for line in maps.read_text().splitlines():
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and "openblas" in parts[5].lower() and parts[5] not in paths:
                paths.append(parts[5].strip())
        return paths
    # elsewhere: where the NumPy and SciPy wheels keep their copy (delocate/delvewheel folders)
    found: list[str] = []
    for package in ("numpy", "scipy"):
        module = sys.modules.get(package)
        if module is None or module.__file__ is None:
            continue
        root = Path(module.__file__).parent
        for folder in (root / ".dylibs", root.parent / f"{package}.libs"):
            if folder.is_dir():
                found += sorted(str(p) for p in folder.iterdir() if "openblas" in p.name.lower())
    return found


def _open(path: str) -> _OpenBLAS | None:
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    for prefix, suffix in _AFFIXES:
        get, set_ = f"{prefix}openblas_get_num_threads{suffix}", f"{prefix}openblas_set_num_threads{suffix}"
        if hasattr(lib, get) and hasattr(lib, set_):
            return _OpenBLAS(path, lib, get, set_)
    return None


@cache
def _libraries(paths: tuple[str, ...]) -> tuple[_OpenBLAS, ...]:
    return tuple(lib for lib in map(_open, paths) if lib is not None)


def openblas_libraries() -> list[_OpenBLAS]:
    """The OpenBLAS copies loaded now, NumPy's first (SciPy may load its own)."""
    numpy_root = str(Path(np.__file__).parent)  # ".../site-packages/numpy"
    libs = list(_libraries(tuple(_loaded_paths())))
    # NumPy's copy lives in numpy/ or in the wheel's numpy.libs/ folder beside it
    return sorted(libs, key=lambda lib: not lib.path.startswith(numpy_root))


def _numpy_openblas() -> _OpenBLAS:
    libs = openblas_libraries()
    if not libs:
        raise BLASNotFound(
            "no OpenBLAS is loaded in this process (NumPy's BLAS is "
            f"{_numpy_blas_name()}): its thread count cannot be read or set from here; "
            "set OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / VECLIB_MAXIMUM_THREADS before starting Python instead"
        )
    return libs[0]


def _numpy_blas_name() -> str:
    try:
        return str(np.__config__.CONFIG["Build Dependencies"]["blas"]["name"])
    except (AttributeError, KeyError, TypeError):
        return "unknown"


def get_blas_threads() -> int:
    """The number of threads NumPy's OpenBLAS uses now, read back from the library.

    Raises
    ------
    BLASNotFound
        When no OpenBLAS is loaded (NumPy built against another BLAS).
    """
    return _numpy_openblas().get()


def set_blas_threads(n: int) -> int:
    """Make every loaded OpenBLAS use ``n`` threads; return NumPy's previous count.

    Raises
    ------
    ValueError
        For ``n < 1``.
    BLASNotFound
        When no OpenBLAS is loaded.
    """
    n = _check_count(n)
    previous = get_blas_threads()
    for lib in openblas_libraries():
        lib.set(n)
    return previous


@contextmanager
def blas_threads(n: int) -> Iterator[int]:
    """``with blas_threads(1): ...`` runs the block with ``n`` BLAS threads, then restores the count."""
    previous = set_blas_threads(n)
    try:
        yield n
    finally:
        set_blas_threads(previous)


def _check_count(n: int) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"the number of BLAS threads must be an int >= 1, got {n!r}")
    return int(n)


def policy_threads(threads: int | None = None) -> int:
    """The thread count the policy chooses: ``threads`` if given, else :data:`DEFAULT_THREADS`."""
    return DEFAULT_THREADS if threads is None else _check_count(threads)


def apply_policy(threads: int | None = None) -> int:
    """Set NumPy's BLAS to the policy's thread count; return the count now in force.

    ``threads=None`` applies :data:`DEFAULT_THREADS`; an int overrides it (``msdn
    --threads N``). The returned count is read back from the library, so it is what the
    matrix products will really use. Returns 0, changing nothing, when NumPy's BLAS is not
    an OpenBLAS this module can reach (see the module docstring).
    """
    n = policy_threads(threads)
    try:
        set_blas_threads(n)
        return get_blas_threads()
    except BLASNotFound:
        return 0


def describe_threads(in_force: int, requested: int | None = None) -> str:
    """One line for verbose output: the count in force (as :func:`apply_policy` returned it).

    ``requested`` is what the user asked for (``--threads``), ``None`` for the policy default.
    """
    if in_force == 0:
        return f"BLAS threads: not set (NumPy's BLAS, {_numpy_blas_name()}, is not an OpenBLAS loaded here)"
    origin = "the default policy" if requested is None else f"--threads {requested}"
    return f"BLAS threads: {in_force} of {os.cpu_count() or 1} cores ({origin}; NumPy's OpenBLAS)"
