"""What a student process may not do, set up before the student's code runs (Linux kernel features).

Every limit here is set by the process on itself, after NumPy and the package are
imported and before the student's file is loaded; none can be lifted again by the code
that runs afterwards:

* **resource limits** (``setrlimit``, soft = hard): address space (``RLIMIT_AS``), CPU
  seconds (``RLIMIT_CPU``), the size of any file written (``RLIMIT_FSIZE``), processes
  of the user (``RLIMIT_NPROC``; ignored by the kernel for root), no core dumps;
* **Landlock** (Linux 5.13+): files may be created, written, renamed or deleted only
  below the process's temporary folder (and ``/dev/null`` written); reading stays
  allowed. From Landlock ABI 4, no TCP connections or listening sockets; from ABI 6, no
  signals to processes outside the sandbox (the grader cannot be killed);
* **seccomp**: no new processes. ``fork``, ``vfork``, ``execve``, ``execveat`` and
  ``clone`` without ``CLONE_THREAD`` fail with ``EPERM`` (``clone3`` with ``ENOSYS``, so
  that threads fall back to ``clone``); this holds for root too, where ``RLIMIT_NPROC``
  does not.

:func:`confine` reports which of these are in force; the grader warns when one is
missing (an old kernel, another architecture), because then the limit is not enforced.

:func:`poison` replaces the package's own implementations of the functions under test by
stand-ins that raise :class:`ReferenceUsed`, so an answer that calls them (or simply
re-exports them) is stopped and reported as using the reference implementation.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import sys
from typing import Any

#: The package's implementations of what each exercise asks for: (module, attribute path).
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "01_relu": (("msdn_numpy.nn.layers", "ReLU.forward"), ("msdn_numpy.nn.layers", "ReLU.backward")),
    "02_bce": (("msdn_numpy.nn.losses", "BCEWithLogits.forward"), ("msdn_numpy.nn.losses", "BCEWithLogits.backward")),
    "03_im2col": (
        ("msdn_numpy.nn.conv", "im2col"),
        ("msdn_numpy.nn.conv", "Conv1D.forward"),
        ("msdn_numpy.nn.conv_naive", "conv1d_naive_forward"),
    ),
    "04_conv1d_backward": (
        ("msdn_numpy.nn.conv", "col2im"),
        ("msdn_numpy.nn.conv", "Conv1D.backward"),
        ("msdn_numpy.nn.conv_naive", "conv1d_naive_backward"),
    ),
    "05_lstm_bptt": (
        ("msdn_numpy.nn.recurrent", "lstm_step_forward"),
        ("msdn_numpy.nn.recurrent", "lstm_step_backward"),
        ("msdn_numpy.nn.recurrent", "LSTM.forward"),
        ("msdn_numpy.nn.recurrent", "LSTM.backward"),
    ),
    "06_msdn_relations": (
        ("msdn_numpy.nn.fast.multiscale", "MultiScaleConv1D.forward"),
        ("msdn_numpy.nn.fast.multiscale", "MultiScaleConv1D.backward"),
        ("msdn_numpy.nn.layers", "Parallel.forward"),
        ("msdn_numpy.nn.layers", "Parallel.backward"),
    ),
    "07_adam": (
        ("msdn_numpy.nn.optim", "Adam.step"),
        ("msdn_numpy.nn.optim", "Adam.update"),
        ("msdn_numpy.nn.fast.optim", "FlatAdam.update_flat"),
    ),
    "08_label_axis": (
        ("msdn_numpy.nn.score_embedding", "ScoreEmbedding.forward"),
        ("msdn_numpy.nn.score_embedding", "ScoreEmbedding.backward"),
    ),
}


class ReferenceUsed(BaseException):
    """Raised by a poisoned reference: not an ``Exception``, so ``except Exception`` does not hide it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _stand_in(name: str) -> Any:
    def reference_not_available(*args: Any, **kwargs: Any) -> Any:
        raise ReferenceUsed(name)

    reference_not_available.__qualname__ = reference_not_available.__name__ = name.rsplit(".", 1)[-1]
    return reference_not_available


def poison(key: str) -> list[str]:
    """Replace the references of exercise ``key`` (and every re-export of them); return their names."""
    import importlib

    names = []
    for module_name, path in REFERENCES.get(key, ()):
        module = importlib.import_module(module_name)
        owner: Any = module
        *parents, attr = path.split(".")
        for p in parents:
            owner = getattr(owner, p)
        original = getattr(owner, attr)
        name = f"{module_name}.{path}"
        fake = _stand_in(name)
        setattr(owner, attr, fake)
        if not parents:  # a module-level function: also where it was imported by name
            for other in list(sys.modules.values()):
                if getattr(other, "__name__", "").startswith("msdn_numpy") and getattr(other, attr, None) is original:
                    setattr(other, attr, fake)
        names.append(name)
    return names


# ----------------------------------------------------------------------------------------
# resource limits
# ----------------------------------------------------------------------------------------
def set_limits(memory_mb: int, cpu_seconds: int, file_mb: int, processes: int | None) -> None:
    """Soft and hard limits; ``processes=None`` leaves ``RLIMIT_NPROC`` alone."""
    limits = [
        (resource.RLIMIT_AS, memory_mb * 2**20),
        (resource.RLIMIT_CPU, cpu_seconds),
        (resource.RLIMIT_FSIZE, file_mb * 2**20),
        (resource.RLIMIT_CORE, 0),
    ]
    if processes is not None:
        limits.append((resource.RLIMIT_NPROC, processes))
    for which, value in limits:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))


# ----------------------------------------------------------------------------------------
# Landlock and seccomp, through the system calls (no library beyond ctypes)
# ----------------------------------------------------------------------------------------
_SYSCALLS = {  # machine: (landlock_create_ruleset, add_rule, restrict_self)
    "x86_64": (444, 445, 446),
    "aarch64": (444, 445, 446),
}
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]  # fmt: skip


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock(writable: str) -> int:
    """Allow writes only below ``writable`` (and to /dev/null); return the Landlock ABI in force (0: none)."""
    numbers = _SYSCALLS.get(platform.machine())
    if sys.platform != "linux" or numbers is None:
        return 0
    create, add_rule, restrict = numbers
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(ctypes.c_long(create), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return 0
    write_file, truncate = 1 << 1, (1 << 14 if abi >= 3 else 0)
    # remove dir/file, make char/dir/reg/sock/fifo/block/sym, refer (ABI 2), truncate (ABI 3)
    handled = write_file | sum(1 << b for b in range(4, 13)) | (1 << 13 if abi >= 2 else 0) | truncate
    attr = _RulesetAttr(handled, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    fd = libc.syscall(ctypes.c_long(create), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        return 0
    try:
        for path, rights in ((writable, handled), ("/dev/null", write_file | truncate)):
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneath(rights, pfd)
                if libc.syscall(ctypes.c_long(add_rule), ctypes.c_int(fd), ctypes.c_int(1), ctypes.byref(rule), 0):
                    return 0
            finally:
                os.close(pfd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return 0
        if libc.syscall(ctypes.c_long(restrict), ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
            return 0
    finally:
        os.close(fd)
    return int(abi)


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


#: machine: (audit arch, clone, clone3, the calls refused outright)
_SECCOMP = {
    "x86_64": (0xC000003E, 56, 435, (57, 58, 59, 322)),  # fork, vfork, execve, execveat
    "aarch64": (0xC00000B7, 220, 435, (221, 281)),  # execve, execveat
}


def no_new_processes() -> bool:
    """A seccomp filter refusing new processes and programs (threads stay allowed); True if installed."""
    spec = _SECCOMP.get(platform.machine())
    if sys.platform != "linux" or spec is None:
        return False
    arch, clone, clone3, refused = spec
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, JMP|JEQ|K, JMP|JGE|K, JMP|JSET|K, RET|K
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, eperm), (ld, 0, 0, 0)]  # another ABI: refused
    prog += [(jge, 0, 1, 0x40000000), (ret, 0, 0, eperm)]  # x32 system calls
    for nr in refused:
        prog += [(jeq, 0, 1, nr), (ret, 0, 0, eperm)]
    prog += [(jeq, 0, 1, clone3), (ret, 0, 0, enosys)]
    prog += [(jeq, 1, 0, clone), (ret, 0, 0, allow), (ld, 0, 0, 16), (jset, 0, 1, 0x00010000), (ret, 0, 0, allow)]
    prog += [(ret, 0, 0, eperm)]
    filters = (_SockFilter * len(prog))(*[_SockFilter(*p) for p in prog])
    fprog = _SockFprog(len(prog), filters)
    libc = _libc()
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def confine(writable: str, memory_mb: int, cpu_seconds: int, file_mb: int, processes: int | None) -> dict:
    """All of the above; returns what is in force: ``{"landlock": ABI, "seccomp": bool}``."""
    set_limits(memory_mb, cpu_seconds, file_mb, processes)
    abi = landlock(writable)
    return {"landlock": abi, "seccomp": no_new_processes()}
