"""The student process of ``msdn grade``: loads one exercise file and calls its functions on request.

Started by :mod:`msdn_numpy.course.gradebook` as ``python -I -B -c ... FD_IN FD_OUT`` in the
temporary copy of the student's folder; its first frame on ``FD_IN`` says which file, which
exercise, the copy (read only) and its own home (read and write), its limits and the user to
become (nothing of this is on its command line or in its environment). It imports NumPy and the package, replaces the
package's implementations of the exercise's functions by stand-ins
(:func:`msdn_numpy.course.stand_ins.replace`), confines itself
(:func:`msdn_numpy.course.sandbox.confine`), then loads the student's file and answers the
grader's requests, one frame at a time (:mod:`msdn_numpy.course.wire`):

``{"op": "has", "name": N}``
    whether the file defines ``N``;
``{"op": "call", "name": N, "keep_last": bool}`` with the arguments as values
    the student's ``N(*arguments)``: its return value, the arguments it changed in place,
    the arguments its result shares memory with; ``keep_last`` keeps the last item of
    the result here (a cache) and answers with a reference to it;
``{"op": "relation_block", ...}``
    exercise 6's layer: built, given the grader's weights, run forward and backward, and
    through ``gradcheck`` (:func:`msdn_numpy.course.grading.relation_block_outputs`).

This process computes no expected value and judges nothing: whatever it answers, the
grader compares with what it computed itself on inputs drawn from a seed this process
never sees. Anything the student's code does to this process (the package, the checker
code, this loop) can only change the answers, that is make them wrong.
"""

from __future__ import annotations

import copy
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from msdn_numpy.course import allowlist, sandbox, stand_ins, wire

#: The longest description of an exception sent to the grader.
TEXT_LIMIT = 1000


def _under(filename: str | None, root: str) -> bool:
    return bool(filename) and not filename.startswith("<") and os.path.abspath(filename).startswith(root)


def describe(exc: BaseException, root: str) -> str:
    """``"raised ZeroDivisionError: division by zero (line 3 of alice.py)"`` for a frame below ``root``.

    Only frames of files below ``root`` (the student's folder) are named; a syntax error is
    placed by its own file and line, not by the frame that compiled it (``<frozen runpy>``).
    """
    try:
        if isinstance(exc, SyntaxError) and _under(exc.filename, root):
            where = f" (line {exc.lineno} of {os.path.relpath(str(exc.filename), root)})"
            return f"raised {type(exc).__name__}: {exc.msg}{where}"[:TEXT_LIMIT]
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if _under(f.filename, root)]
        where = f" (line {frames[-1].lineno} of {os.path.relpath(frames[-1].filename, root)})" if frames else ""
        if isinstance(exc, stand_ins.ReferenceUsed):
            text = f"uses the reference implementation {exc.name}{where}"
        elif isinstance(exc, SystemExit):
            text = f"called sys.exit({str(exc.code)[:100]!r}){where}"
        elif isinstance(exc, RecursionError):
            text = f"RecursionError: {exc}{where}"
        else:
            text = f"raised {type(exc).__name__}: {str(exc)[:TEXT_LIMIT]}{where}"
    except BaseException:  # an exception whose str() raises, or worse
        text = f"raised {type(exc).__name__}"
    return text[:TEXT_LIMIT]


class Worker:
    def __init__(self, fd_in: int, fd_out: int, root: str) -> None:
        self.fd_in, self.fd_out, self.root = fd_in, fd_out, root
        self.namespace: dict[str, Any] = {}
        self.kept: dict[int, Any] = {}

    def send(self, message: dict, values: dict | None = None) -> None:
        for stream in (sys.stdout, sys.stderr):  # what the student printed reaches the grader before it kills us
            try:
                stream.flush()
            except Exception:
                pass
        try:
            frame = wire.pack(message, values)
        except Exception as exc:  # an answer that cannot be encoded
            frame = wire.pack({"kind": "raised", "text": f"returned something that cannot be sent: {exc}"})
        if len(frame) > wire.MAX_FRAME:
            frame = wire.pack({"kind": "raised", "text": f"returned {len(frame)} bytes, more than {wire.MAX_FRAME}"})
        wire.write_frame(self.fd_out, frame)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, wire.Ref):
            return self.kept[value.id]
        if isinstance(value, tuple):
            return tuple(self.resolve(v) for v in value)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def run(self, fn: Any, *args: Any) -> tuple[bool, Any]:
        """``(True, result)`` or ``(False, the answer describing the exception)``."""
        try:
            return True, fn(*args)
        except stand_ins.ReferenceUsed as exc:
            return False, {"kind": "reference", "name": exc.name}
        except NotImplementedError as exc:
            return False, {"kind": "not_implemented", "message": str(exc)}
        except BaseException as exc:  # anything: the student's code raised or exited
            return False, {"kind": "raised", "text": describe(exc, self.root)}

    def call(self, msg: dict, values: dict) -> None:
        fn = self.namespace.get(msg["name"])
        if fn is None:
            return self.send({"kind": "missing"})
        arguments = {k: self.resolve(v) for k, v in values.items()}
        given = {k: copy.deepcopy(v) for k, v in arguments.items()}
        ok, out = self.run(fn, *given.values())
        if not ok:
            return self.send(out)
        changed = [k for k, v in arguments.items()
                   if isinstance(v, np.ndarray) and not np.array_equal(given[k], v, equal_nan=True)]  # fmt: skip
        is_array = isinstance(out, np.ndarray)
        shares = [k for k, v in given.items() if is_array and isinstance(v, np.ndarray) and np.shares_memory(out, v)]
        answer: dict[str, Any] = {"kind": "value", "changed": changed, "shares": shares}
        if msg.get("keep_last") and isinstance(out, (tuple, list)) and len(out) >= 2:
            answer["ref"] = len(self.kept)
            self.kept[answer["ref"]] = out[-1]
        self.send(answer, {"out": out})

    def relation_block(self, msg: dict, values: dict) -> None:
        from msdn_numpy.course.grading import relation_block_outputs

        cls = self.namespace.get("RelationBlock")
        if cls is None:
            return self.send({"kind": "missing"})
        ok, out = self.run(relation_block_outputs, cls, msg["d"], msg["c"], tuple(msg["kernel_sizes"]), msg["seed"],
                           values)  # fmt: skip
        if not ok:
            return self.send(out)
        self.send({"kind": "value", "changed": [], "shares": []}, {"out": out})

    def serve(self) -> None:
        while True:
            body = wire.read_frame_blocking(self.fd_in)
            if body is None:
                return
            msg, values = wire.unpack(body)
            op = msg.get("op")
            if op == "has":
                self.send({"kind": "value", "has": self.namespace.get(msg["name"]) is not None})
            elif op == "call":
                self.call(msg, values)
            elif op == "relation_block":
                self.relation_block(msg, values)
            else:
                return


def main(argv: list[str]) -> None:
    """``FD_IN FD_OUT``; the first frame on ``FD_IN`` is the configuration (see :class:`gradebook.StudentProcess`)."""
    fd_in, fd_out = int(argv[0]), int(argv[1])
    body = wire.read_frame_blocking(fd_in)
    if body is None:
        return
    config, _ = wire.unpack(body)
    path, key = config["file"], config["key"]
    import msdn_numpy.course.exercises as exercises  # the file's own `from ... import check`, loaded before confining

    exercises.GRADING = True  # the file's own check(...) call does nothing
    stand_ins.replace(key)
    allow = allowlist.for_student(config["work"], config["home"], stand_ins.reference_files(key), config["packages"])
    user = config.get("user")
    confined = sandbox.confine(allow, config["limits"], tuple(user) if user else None)
    here = str(Path(path).parent)
    worker = Worker(fd_in, fd_out, here + os.sep)
    sys.argv = [path]
    sys.path.append(here)  # after the standard library and NumPy: a numpy.py beside the file changes nothing
    worker.send({"event": "ready", **confined})
    try:
        worker.namespace = runpy.run_path(path, run_name="student")
    except BaseException as exc:  # anything at all: an error, sys.exit, ...
        worker.send({"event": "load_failed", "message": describe(exc, worker.root).removeprefix("raised ")})
        return
    worker.send({"event": "loaded"})
    worker.serve()
