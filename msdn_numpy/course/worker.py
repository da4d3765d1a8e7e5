"""The student process of ``msdn grade``: loads one exercise file and calls its functions on request.

Started by :mod:`msdn_numpy.course.gradebook` as ``python -I -B -c ...`` in a temporary copy
of the student's folder. It imports NumPy and the package, replaces the package's
implementations of the exercise's functions by stand-ins (:func:`sandbox.poison`),
confines itself (:func:`sandbox.confine`), then loads the student's file and answers the
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
import json
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from msdn_numpy.course import sandbox, wire


def describe(exc: BaseException, root: str) -> str:
    """``"ZeroDivisionError: division by zero (line 3 of alice.py)"`` for a frame below ``root``."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename).startswith(root)]
    where = f" (line {frames[-1].lineno} of {os.path.relpath(frames[-1].filename, root)})" if frames else ""
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r}){where}"
    if isinstance(exc, RecursionError):
        return f"RecursionError: {exc}{where}"
    return f"raised {type(exc).__name__}: {exc}{where}"


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
        except sandbox.ReferenceUsed as exc:
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
    """``FILE KEY WRITABLE FD_IN FD_OUT LIMITS_JSON``."""
    path, key, writable, fd_in, fd_out, limits = argv[0], argv[1], argv[2], int(argv[3]), int(argv[4]), argv[5]
    import msdn_numpy.course.exercises as exercises  # the file's own `from ... import check`, loaded before confining

    exercises.GRADING = True  # the file's own check(...) call does nothing
    sandbox.poison(key)
    confined = sandbox.confine(writable, **json.loads(limits))
    folder = str(Path(path).parent)
    worker = Worker(fd_in, fd_out, folder + os.sep)
    sys.argv = [path]
    sys.path.append(folder)  # after the standard library and NumPy: a numpy.py beside the file changes nothing
    worker.send({"event": "ready", **confined})
    try:
        worker.namespace = runpy.run_path(path, run_name="student")
    except BaseException as exc:  # anything at all: an error, sys.exit, ...
        text = describe(exc, worker.root).removeprefix("raised ")
        worker.send({"event": "load_failed", "message": text})
        return
    worker.send({"event": "loaded"})
    worker.serve()
