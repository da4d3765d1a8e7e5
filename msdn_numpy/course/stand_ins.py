"""The package's reference implementations made unusable in a student process, however they are reached.

An exercise's references (``EXERCISES[key].references``: ``im2col``, ``Conv1D.forward``,
...) are the package's own answers to it. Before the student's file is loaded,
:func:`replace` changes **the function objects themselves**: each one's code becomes a
stand-in that raises :class:`ReferenceUsed`. So every way of holding one reaches the
stand-in: the module's name, a re-export (``msdn_numpy.nn.im2col``), ``from ... import``,
a bound method, an object kept in a list or found with ``gc``. The original code is no
longer referenced by anything and is gone.

What could bring it back is the module's source or bytecode, read afresh
(``importlib.reload``, ``spec_from_file_location``, ``marshal`` on the ``.pyc``, ``exec`` of
the text): :func:`reference_files` names those files, and the student process may not read
them (:mod:`msdn_numpy.course.allowlist`: Landlock, and a Python audit hook).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from msdn_numpy.course.exercises import EXERCISES


class ReferenceUsed(BaseException):
    """Raised by a stand-in: not an ``Exception``, so ``except Exception`` does not hide it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _stand_in(*args: Any, _msdn_reference: tuple, **kwargs: Any) -> Any:
    """The code every reference runs while grading (its keyword default says which reference it is)."""
    raise _msdn_reference[0](_msdn_reference[1])


def _stand_in_code(freevars: tuple[str, ...]) -> Any:
    """The code of :func:`_stand_in`, compiled with ``freevars`` (a method's ``__class__`` for ``super()``).

    A function's code may only be replaced by code with the same free variables.
    """
    if not freevars:
        return _stand_in.__code__
    source = (
        "def _outer():\n" + "".join(f"    {v} = None\n" for v in freevars)
        + "    def _stand_in(*args, _msdn_reference, **kwargs):\n"
        + f"        ({', '.join(freevars)},)\n        raise _msdn_reference[0](_msdn_reference[1])\n"
        + "    return _stand_in\n"
    )  # fmt: skip
    namespace: dict[str, Any] = {}
    exec(compile(source, __file__, "exec"), namespace)
    code = namespace["_outer"]().__code__
    if code.co_freevars != freevars:  # another order than the original's: reorder by name
        raise RuntimeError(f"cannot make a stand-in for free variables {freevars}")
    return code


def _function(obj: Any) -> Any:
    return getattr(obj, "__func__", obj)


def name_of(obj: Any) -> str:
    """``"msdn_numpy.nn.conv.im2col"``, ``"msdn_numpy.nn.conv.Conv1D.forward"``."""
    fn = _function(obj)
    return f"{fn.__module__}.{fn.__qualname__}"


def replace(key: str) -> list[str]:
    """Make exercise ``key``'s references raise :class:`ReferenceUsed` (in place); return their names."""
    names = []
    for obj in EXERCISES[key].references:
        fn = _function(obj)
        name = name_of(obj)
        fn.__code__ = _stand_in_code(fn.__code__.co_freevars)
        fn.__defaults__ = None
        fn.__kwdefaults__ = {"_msdn_reference": (ReferenceUsed, name)}
        names.append(name)
    return names


def reference_files(key: str) -> set[str]:
    """The source and bytecode files of the modules that define exercise ``key``'s references."""
    files: set[str] = set()
    for obj in EXERCISES[key].references:
        source = Path(sys.modules[_function(obj).__module__].__file__ or "").resolve()
        files.add(str(source))
        cache = source.parent / "__pycache__"
        if cache.is_dir():
            files.update(str(p.resolve()) for p in cache.glob(f"{source.stem}.*.pyc"))
    return files
