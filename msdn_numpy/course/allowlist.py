"""What a student process may read and write: one list, enforced by Landlock and by a Python audit hook.

:func:`for_student` computes it in the student process, after NumPy and the package are
imported and before the student's file is loaded:

* **read**: the interpreter's standard library and extension modules, the installed
  packages this package depends on (:func:`dependencies`: NumPy, SciPy, Matplotlib, ...,
  not a test tool or PyTorch installed beside; the site-packages folders may be listed),
  the system's libraries (``/lib``, ``/usr/lib``,
  ...), ``/etc/ld.so.cache``, ``/dev/urandom``;
* **this package**: only its Python modules, file by file (folders may be listed, not
  read), less the modules that define the exercise's references
  (:func:`msdn_numpy.course.stand_ins.reference_files`) and anything in a ``tutorials`` or
  ``solutions`` folder. A folder that holds the package on ``sys.path`` (a source checkout,
  with the tutorials and the worked solutions beside it) is not readable otherwise;
* **read**: the copy of the student's folder (the working folder), which no student process
  can change;
* **read and write**: the process's own home (``$HOME``, ``$TMPDIR``), and ``/dev/null``.
  Not another process's home, even of the same student: two exercises graded at once
  cannot pass answers through files (an exercise whose references are available, e.g. 4,
  answering for one whose are not, e.g. 3).

Nothing else: not ``/proc`` (the grader's command line and environment), not the class
folder or another student's copy, not the repository's tutorials or solutions.

:func:`sandbox.landlock <msdn_numpy.course.sandbox.landlock>` gives the list to the
kernel. :func:`install_hook` enforces it again in Python (``sys.addaudithook``, which
cannot be removed): every ``open``, listing, rename, removal and link made through Python
is checked, ``ctypes`` is refused (it could call the C library directly), and code compiled
from a reference's file is refused. Where Landlock is missing, this hook is what confines
reading; it stops Python's own file functions, not a memory-corruption bug in the
interpreter.
"""

from __future__ import annotations

import errno
import os
import site
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import msdn_numpy

#: System folders of shared libraries read by extension modules and ``ctypes``-free lazy imports.
SYSTEM = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
#: Single files any process reads.
SYSTEM_FILES = ("/etc/ld.so.cache", "/dev/urandom", "/dev/random")
#: Folders of course material never readable, wherever they are inside the package.
COURSE_MATERIAL = ("tutorials", "solutions")
#: The package's files a student process may read (its modules and their compiled forms).
_MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyi")


@dataclass
class Allowlist:
    """Paths (resolved) a student process may use; a folder's rule covers everything beneath it."""

    read_dirs: list[str] = field(default_factory=list)
    list_dirs: list[str] = field(default_factory=list)
    read_files: set[str] = field(default_factory=set)
    write_dirs: list[str] = field(default_factory=list)
    write_files: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)

    def may_read(self, path: str, listing: bool = False) -> bool:
        if path in self.refused:
            return False
        dirs = self.read_dirs + self.write_dirs + (self.list_dirs if listing else [])
        return path in self.read_files or path in self.write_files or _beneath(path, dirs)

    def may_write(self, path: str) -> bool:
        return path in self.write_files or _beneath(path, self.write_dirs)


def _beneath(path: str, folders: list[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def _beside(root: Path, inner: Path) -> tuple[list[str], list[str]]:
    """``root`` less the subtree ``inner``: the folders listable on the way down, and the siblings readable."""
    listed, readable = [], []
    here = root
    for part in inner.relative_to(root).parts:
        listed.append(str(here))
        try:
            readable += [str(p) for p in here.iterdir() if p.name != part]
        except OSError:
            pass
        here = here / part
    return listed, readable


def _package_files(package: Path, refused: set[str]) -> tuple[list[str], set[str]]:
    """The package's folders (listable) and module files (readable), course material and ``refused`` left out."""
    folders, files = [], set()
    pending = [package]
    while pending:
        folder = pending.pop()
        folders.append(str(folder))
        for p in sorted(folder.iterdir()):
            if p.is_dir() and p.name not in COURSE_MATERIAL and not p.is_symlink():
                if (p / "__init__.py").is_file() or p.name == "__pycache__":
                    pending.append(p)
            elif p.is_file() and p.suffix in _MODULE_SUFFIXES and str(p) not in refused:
                files.add(str(p))
    return folders, files


def dependencies() -> list[str] | None:
    """The installed files and folders of the package's run-time dependencies, and theirs; None if not known.

    From the installed distributions' metadata (``importlib.metadata``): every requirement
    that is not an extra, followed to the end (numpy, scipy, matplotlib, liac-arff, pillow,
    ...), and for each the top-level entries it installed (``numpy/``, ``numpy.libs/``,
    ``arff.py``, ...). None when the package is not installed as a distribution (run from a
    source tree): then every site-packages folder is readable. Computed once per run (it
    reads the installed packages' records) and given to each student process.
    """
    import importlib.metadata as metadata
    import re

    try:
        metadata.distribution("msdn_numpy")
    except metadata.PackageNotFoundError:
        return None
    seen, todo, found = {"msdn-numpy"}, ["msdn_numpy"], set()
    while todo:
        try:
            dist = metadata.distribution(todo.pop())
        except metadata.PackageNotFoundError:
            continue
        for requirement in dist.requires or []:
            name = re.match(r"[A-Za-z0-9_.\-]+", requirement)
            key = re.sub(r"[-_.]+", "-", name.group(0)).lower() if name else ""
            if key and "extra ==" not in requirement and key not in seen:
                seen.add(key)
                todo.append(key)
        if dist.metadata["Name"] and re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower() != "msdn-numpy":
            tops = {f.parts[0] for f in dist.files or [] if f.parts and f.parts[0] not in ("..", ".")}
            found |= {str(Path(dist.locate_file(top)).resolve()) for top in tops}  # not its scripts in ../../bin
    return sorted(p for p in found if os.path.exists(p) and "__pycache__" not in p)


def for_student(work: str, home: str, refused: set[str], packages: list[str] | None = None) -> Allowlist:
    """The allowlist of a student process: the copy ``work`` read, its ``home`` read and written, ``refused`` not.

    ``packages`` are the installed packages it may read (:func:`dependencies`); the
    site-packages folders themselves may be listed. None: all of site-packages.
    """
    package = Path(msdn_numpy.__file__).resolve().parent
    roots = {os.path.dirname(os.__file__), sysconfig.get_paths()["stdlib"]}
    dynload = [m for m in (sys.modules.get("_json"), sys.modules.get("math")) if getattr(m, "__file__", None)]
    roots.update(os.path.dirname(m.__file__) for m in dynload)  # lib-dynload, where the interpreter has one
    sites = set(site.getsitepackages())
    sites.update(p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages"))  # from a .pth
    roots.update(SYSTEM)
    allow = Allowlist(read_dirs=[str(Path(work).resolve())], write_dirs=[str(Path(home).resolve())],
                      write_files={os.devnull}, refused=set(refused))  # fmt: skip
    if packages is None:
        roots |= sites
    else:
        allow.list_dirs += [str(Path(d).resolve()) for d in sites if os.path.isdir(d)]
        allow.read_dirs += [p for p in packages if os.path.isdir(p)]
        allow.read_files |= {p for p in packages if not os.path.isdir(p)}
    for root in sorted({Path(r).resolve() for r in roots if os.path.isdir(r)}):
        if root == package or root in package.parents:
            listed, readable = _beside(root, package)
            allow.list_dirs += listed
            allow.read_dirs += readable
        elif package not in root.parents:
            allow.read_dirs.append(str(root))
    listed, files = _package_files(package, allow.refused)
    allow.list_dirs += listed
    allow.read_files |= files
    allow.read_files |= {str(Path(f).resolve()) for f in SYSTEM_FILES if os.path.exists(f)}
    return allow


def _path(value: object) -> str | None:
    if isinstance(value, int) or value is None:
        return None
    try:
        return os.path.realpath(os.fsdecode(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


#: Audit events that change a path (its argument positions).
_WRITES = {"os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.truncate": (0,),
           "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,), "shutil.rmtree": (0,)}  # fmt: skip
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def install_hook(allow: Allowlist) -> None:
    """Enforce ``allow`` on Python's file operations from now on, in this process (cannot be undone)."""
    refused_inodes = set()
    for f in allow.refused:
        try:
            st = os.stat(f)
            refused_inodes.add((st.st_dev, st.st_ino))
        except OSError:
            pass

    def refuse(path: object) -> None:
        raise PermissionError(errno.EACCES, "not readable or writable by a student's code while grading", path)

    def reads(path: str, listing: bool = False) -> bool:
        try:
            st = os.stat(path)
            if (st.st_dev, st.st_ino) in refused_inodes:
                return False
        except OSError:
            pass
        return allow.may_read(path, listing)

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path = _path(args[0])
            if path is None:
                return
            mode, flags = args[1] or "", args[2] or 0
            if any(c in str(mode) for c in "wax+") or flags & _WRITE_FLAGS:
                if not allow.may_write(path):
                    refuse(args[0])
            elif not reads(path) or (os.path.isdir(path) and not _beneath(path, allow.read_dirs + allow.write_dirs)):
                refuse(args[0])
        elif event in ("os.listdir", "os.scandir"):
            path = _path("." if not args or args[0] is None else args[0])
            if path is not None and not reads(path, listing=True):
                refuse(args[0] if args else ".")
        elif event in _WRITES:
            for i in _WRITES[event]:
                path = _path(args[i]) if len(args) > i else None
                if path is not None and not allow.may_write(path):
                    refuse(args[i])
        elif event in ("os.link", "os.symlink") or event.startswith("ctypes."):
            raise PermissionError(errno.EPERM, f"{event} is not allowed while grading")
        elif event == "compile" and len(args) > 1 and _path(args[1]) in allow.refused:
            refuse(args[1])
        elif event == "exec" and _path(getattr(args[0], "co_filename", None)) in allow.refused:
            refuse(args[0].co_filename)

    sys.addaudithook(hook)
