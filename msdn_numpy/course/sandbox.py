"""What a student process may not do, set up before the student's code runs (Linux kernel features).

Every limit here is set by the process on itself, after NumPy and the package are
imported and before the student's file is loaded; none can be lifted again by the code
that runs afterwards. In this order (:func:`confine`):

* **privileges** (when the grader runs as root): the process becomes the unprivileged
  user ``nobody`` (:func:`drop_privileges`), no supplementary groups, not dumpable (no
  other process of that user can read its memory or ``/proc`` entries). Where Landlock
  is in force it keeps one capability, ``CAP_DAC_READ_SEARCH`` (reading past file modes,
  e.g. an interpreter under ``/root``): Landlock then decides what is read. Without
  Landlock it keeps none;
* **resource limits** (``setrlimit``, soft = hard): address space (``RLIMIT_AS``), CPU
  seconds (``RLIMIT_CPU``), the size of any file written (``RLIMIT_FSIZE``), processes
  and threads of the user (``RLIMIT_NPROC``; ignored by the kernel for root), no core dumps;
* **Landlock** (Linux 5.13+), from :mod:`msdn_numpy.course.allowlist`: files may be read
  only where the allowlist says (the interpreter, the installed packages, the package's
  modules less the exercise's references, the copy of the student's folder, its own
  home), created, written, renamed or deleted only in its own home (and ``/dev/null``
  written). From Landlock ABI 4, no TCP connections or listening sockets; from ABI 6, no
  signals to processes outside the sandbox and no abstract UNIX sockets. Landlock also
  forbids ``ptrace`` of any process outside the sandbox;
* **seccomp**: no new processes. ``fork``, ``vfork``, ``execve``, ``execveat`` and
  ``clone`` without ``CLONE_THREAD`` fail with ``EPERM`` (``clone3`` with ``ENOSYS``, so
  that threads fall back to ``clone``); ``kill``, ``tgkill`` and ``prlimit64`` only on
  the process itself; ``ptrace``, ``process_vm_readv``/``writev``, ``open_by_handle_at``,
  ``pidfd_*``, queued signals, sockets, System V IPC, message queues, key rings and
  ``io_uring`` not at all. This holds for root too;
* **the grader's death** kills it (``PR_SET_PDEATHSIG``), even a ``kill -9`` of the grader;
* the **audit hook** of the allowlist (:func:`msdn_numpy.course.allowlist.install_hook`).

:func:`confine` reports which of these are in force; the grader warns when one is
missing (an old kernel, another architecture, no root), because then the limit is not
enforced by the kernel.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import stat
import sys
from typing import Any

from msdn_numpy.course.allowlist import Allowlist, install_hook


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


#: Landlock access rights (the kernel's numbering).
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FILE_RIGHTS = _EXECUTE | _WRITE_FILE | _READ_FILE | (1 << 14) | (1 << 15)  # and truncate, ioctl on devices


def landlock_abi() -> int:
    """The Landlock ABI this kernel offers (0: none, or not Linux on x86-64/aarch64)."""
    numbers = _SYSCALLS.get(platform.machine())
    if sys.platform != "linux" or numbers is None:
        return 0
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    return max(int(libc.syscall(ctypes.c_long(numbers[0]), None, ctypes.c_size_t(0), ctypes.c_uint32(1))), 0)


def landlock(allow: Allowlist) -> int:
    """Restrict reads and writes to ``allow``; return the Landlock ABI in force (0: none)."""
    abi = landlock_abi()
    if abi < 1:
        return 0
    create, add_rule, restrict = _SYSCALLS[platform.machine()]
    libc = _libc()
    truncate = 1 << 14 if abi >= 3 else 0
    # remove dir/file, make char/dir/reg/sock/fifo/block/sym, refer (ABI 2), truncate (ABI 3)
    changes = _WRITE_FILE | sum(1 << b for b in range(4, 13)) | (1 << 13 if abi >= 2 else 0) | truncate
    reads = _READ_FILE | _READ_DIR
    handled = changes | reads | _EXECUTE
    attr = _RulesetAttr(handled, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    fd = libc.syscall(ctypes.c_long(create), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        return 0
    rules = [(d, reads) for d in allow.read_dirs] + [(d, _READ_DIR) for d in allow.list_dirs]
    rules += [(f, _READ_FILE) for f in sorted(allow.read_files)]
    rules += [(d, changes | reads) for d in allow.write_dirs]
    rules += [(f, _READ_FILE | _WRITE_FILE | truncate) for f in sorted(allow.write_files)]
    try:
        for path, rights in rules:
            try:
                pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # gone meanwhile: nothing to allow
            try:
                if not stat.S_ISDIR(os.fstat(pfd).st_mode):
                    rights &= _FILE_RIGHTS  # a file's rule holds only what applies to a file
                rule = _PathBeneath(rights, pfd)
                libc.syscall(ctypes.c_long(add_rule), ctypes.c_int(fd), ctypes.c_int(1), ctypes.byref(rule), 0)
            finally:
                os.close(pfd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return 0
        if libc.syscall(ctypes.c_long(restrict), ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
            return 0
    finally:
        os.close(fd)
    return abi


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


#: The calls refused outright, by name: new processes and programs; reaching into other processes; channels
#: to other processes that no file rule covers (sockets, System V IPC, POSIX message queues, key rings, io_uring).
_REFUSED = ("fork", "vfork", "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
            "name_to_handle_at", "open_by_handle_at", "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
            "pidfd_send_signal", "pidfd_open", "pidfd_getfd", "socket", "shmget", "shmat", "shmctl", "semget",
            "semop", "semtimedop", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink",
            "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr", "add_key", "request_key", "keyctl",
            "io_uring_setup")  # fmt: skip
#: The calls allowed only on the process itself (their first argument a pid).
_SELF_ONLY = ("kill", "tgkill", "prlimit64")
#: machine: (audit arch, the system call numbers by name; fork and vfork do not exist on aarch64)
_SECCOMP = {
    "x86_64": (0xC000003E, dict(
        clone=56, clone3=435, fork=57, vfork=58, execve=59, execveat=322, ptrace=101, process_vm_readv=310,
        process_vm_writev=311, name_to_handle_at=303, open_by_handle_at=304, tkill=200, rt_sigqueueinfo=129,
        rt_tgsigqueueinfo=297, pidfd_send_signal=424, pidfd_open=434, pidfd_getfd=438, socket=41, shmget=29,
        shmat=30, shmctl=31, semget=64, semop=65, semtimedop=220, semctl=66, msgget=68, msgsnd=69, msgrcv=70,
        msgctl=71, mq_open=240, mq_unlink=241, mq_timedsend=242, mq_timedreceive=243, mq_notify=244,
        mq_getsetattr=245, add_key=248, request_key=249, keyctl=250, io_uring_setup=425, kill=62, tgkill=234,
        prlimit64=302)),
    "aarch64": (0xC00000B7, dict(
        clone=220, clone3=435, execve=221, execveat=281, ptrace=117, process_vm_readv=270, process_vm_writev=271,
        name_to_handle_at=264, open_by_handle_at=265, tkill=130, rt_sigqueueinfo=138, rt_tgsigqueueinfo=240,
        pidfd_send_signal=424, pidfd_open=434, pidfd_getfd=438, socket=198, shmget=194, shmat=196, shmctl=195,
        semget=190, semop=193, semtimedop=192, semctl=191, msgget=186, msgsnd=189, msgrcv=188, msgctl=187,
        mq_open=180, mq_unlink=181, mq_timedsend=182, mq_timedreceive=183, mq_notify=184, mq_getsetattr=185,
        add_key=217, request_key=218, keyctl=219, io_uring_setup=425, kill=129, tgkill=131, prlimit64=261)),
}  # fmt: skip


def no_new_processes() -> bool:
    """A seccomp filter refusing new processes and programs (threads stay allowed); True if installed.

    It also keeps the process to itself: it may signal and set limits only on itself, not
    trace or read another process, and open no socket, System V IPC, message queue, key
    ring or io_uring, through which two student processes could talk.
    """
    spec = _SECCOMP.get(platform.machine())
    if sys.platform != "linux" or spec is None:
        return False
    arch, numbers = spec
    clone, clone3 = numbers["clone"], numbers["clone3"]
    refused = [numbers[name] for name in _REFUSED if name in numbers]
    self_only = [numbers[name] for name in _SELF_ONLY]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, JMP|JEQ|K, JMP|JGE|K, JMP|JSET|K, RET|K
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    pid = os.getpid()
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, eperm), (ld, 0, 0, 0)]  # another ABI: refused
    prog += [(jge, 0, 1, 0x40000000), (ret, 0, 0, eperm)]  # x32 system calls
    for nr in refused:
        prog += [(jeq, 0, 1, nr), (ret, 0, 0, eperm)]
    for nr in self_only:  # the first argument (a pid, as a 32-bit int) must be 0, this process or its group
        prog += [(jeq, 0, 6, nr), (ld, 0, 0, 16), (jeq, 3, 0, pid), (jeq, 2, 0, 0), (jeq, 1, 0, -pid & 0xFFFFFFFF),
                 (ret, 0, 0, eperm), (ret, 0, 0, allow)]  # fmt: skip
    prog += [(jeq, 0, 1, clone3), (ret, 0, 0, enosys)]
    prog += [(jeq, 1, 0, clone), (ret, 0, 0, allow), (ld, 0, 0, 16), (jset, 0, 1, 0x00010000), (ret, 0, 0, allow)]
    prog += [(ret, 0, 0, eperm)]
    filters = (_SockFilter * len(prog))(*[_SockFilter(*p) for p in prog])
    fprog = _SockFprog(len(prog), filters)
    libc = _libc()
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


# ----------------------------------------------------------------------------------------
# privileges
# ----------------------------------------------------------------------------------------
_PR_SET_KEEPCAPS, _PR_SET_DUMPABLE, _PR_SET_PDEATHSIG, _CAP_DAC_READ_SEARCH, _CAP_VERSION_3 = 8, 4, 1, 2, 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges(uid: int, gid: int, keep_reading: bool) -> bool:
    """Become ``uid``/``gid`` for good, with no groups; ``keep_reading`` keeps ``CAP_DAC_READ_SEARCH``.

    Returns whether it worked (False: still the user it was).
    """
    libc = _libc()
    try:
        if keep_reading and libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0:
            keep_reading = False
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    except OSError:
        return False
    if keep_reading:
        data = (_CapData * 2)()
        data[0].effective = data[0].permitted = 1 << _CAP_DAC_READ_SEARCH
        libc.capset(ctypes.byref(_CapHeader(_CAP_VERSION_3, 0)), data)
    libc.prctl(_PR_SET_KEEPCAPS, 0, 0, 0, 0)
    libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    return os.getuid() == uid and os.geteuid() == uid


def confine(allow: Allowlist, limits: dict, user: tuple[int, int] | None) -> dict:
    """All of the above, in order; returns what is in force: ``{"landlock": ABI, "seccomp": bool, "user": uid}``.

    ``user`` is the (uid, gid) to become when running as root (None: stay).
    """
    dropped = drop_privileges(*user, keep_reading=landlock_abi() > 0) if user is not None else False
    _libc().prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)  # SIGKILL when the grader dies (set after the user changes)
    set_limits(**limits)
    abi = landlock(allow)
    seccomp = no_new_processes()
    install_hook(allow)
    return {"landlock": abi, "seccomp": seccomp, "user": os.geteuid(), "dropped": dropped}
