"""The messages between ``msdn grade`` and a student process: JSON plus raw numeric arrays, no pickle.

A message is one frame: an 8-byte big-endian length, then a JSON header line, then the
bytes of the arrays it names, one after the other. A value is encoded as

* ``{"t": "none"}``, ``{"t": "bool", "v": ...}``, ``{"t": "int", "v": ...}``,
  ``{"t": "float", "v": ...}`` (``inf``/``nan`` as the strings ``"inf"``, ``"-inf"``, ``"nan"``),
  ``{"t": "str", "v": ...}``;
* ``{"t": "array", "dtype": "<f8", "shape": [...], "n": BYTES}`` for a NumPy array of a
  numeric or boolean dtype (any other dtype, e.g. ``object``, is refused);
* ``{"t": "tuple" | "list", "items": [...]}``, ``{"t": "dict", "keys": [...], "items": [...]}``;
* ``{"t": "object", "type": NAME}``: anything else, which the grader only sees the type of;
* ``{"t": "ref", "id": N}``: a value kept in the student process (a cache passed back).

Complex numbers travel as arrays (a complex scalar as a 0-d array), so that the grader
sees what they are; an array of another kind (strings, dates, objects) travels as an
``object`` naming its dtype.

Decoding never runs code: the grader reads what a student process sends with
:func:`decode`, which accepts nothing but the forms above and raises :class:`WireError`
(with what was wrong) on anything else: a frame over ``MAX_FRAME`` bytes, a header line
over ``MAX_HEADER``, JSON nested too deep, an array of more than ``MAX_NDIM`` axes. So what
the grader holds of one student process at a time is bounded: one frame being read and
its decoded values. The largest answer of a correct solution is about 10 kB.
"""

from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np

#: The largest frame either side accepts (a student's answers are small arrays, 10 kB at most).
MAX_FRAME = 4 * 2**20
#: The largest JSON header line of a frame.
MAX_HEADER = 256 * 2**10
#: The most axes of an array.
MAX_NDIM = 32
#: How deep tuples, lists and dicts may nest.
MAX_DEPTH = 8
#: Array dtypes that travel: booleans, integers, floats, complex numbers.
_KINDS = "biufc"


class WireError(Exception):
    """A malformed message: bad length, bad JSON, an unknown form, an array that does not add up."""


class Ref:
    """A value kept in the student process (e.g. an LSTM cache), named by its number."""

    def __init__(self, id: int) -> None:
        self.id = int(id)

    def __repr__(self) -> str:
        return f"Ref({self.id})"


class Opaque:
    """Something the student returned that is not a number, an array or a container of them."""

    def __init__(self, type_name: str) -> None:
        self.type_name = str(type_name)

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def _float(x: float) -> Any:
    return x if math.isfinite(x) else str(x)


def encode(value: Any) -> tuple[dict, list[bytes]]:
    """``value`` as a JSON-able header and the list of array buffers it refers to."""
    buffers: list[bytes] = []

    def enc(v: Any, depth: int) -> dict:
        if depth > MAX_DEPTH:
            return {"t": "object", "type": type(v).__name__}
        if v is None:
            return {"t": "none"}
        if isinstance(v, Ref):
            return {"t": "ref", "id": v.id}
        if isinstance(v, (bool, np.bool_)):
            return {"t": "bool", "v": bool(v)}
        if isinstance(v, (int, np.integer)) and abs(int(v)) < 2**63:
            return {"t": "int", "v": int(v)}
        if isinstance(v, (float, np.floating)):
            return {"t": "float", "v": _float(float(v))}
        if isinstance(v, (complex, np.complexfloating)):
            v = np.asarray(v)
        if isinstance(v, str):
            return {"t": "str", "v": v[:10000]}
        if isinstance(v, np.ndarray) and v.dtype.kind in _KINDS:
            data = np.ascontiguousarray(v).tobytes()
            buffers.append(data)
            return {"t": "array", "dtype": v.dtype.str, "shape": list(v.shape), "n": len(data)}
        if isinstance(v, np.ndarray):
            return {"t": "object", "type": f"numpy array of dtype {v.dtype}"}
        if type(v) in (tuple, list):
            return {"t": type(v).__name__, "items": [enc(x, depth + 1) for x in v]}
        if type(v) is dict and all(isinstance(k, str) for k in v):
            return {"t": "dict", "keys": list(v), "items": [enc(x, depth + 1) for x in v.values()]}
        return {"t": "object", "type": type(v).__name__}

    return enc(value, 0), buffers


def decode(header: Any, data: bytes, offset: int = 0) -> tuple[Any, int]:
    """The value of an encoded ``header`` whose arrays start at ``data[offset:]``; returns (value, next offset)."""
    pos = [offset]

    def dec(h: Any, depth: int) -> Any:
        if depth > MAX_DEPTH or not isinstance(h, dict) or not isinstance(h.get("t"), str):
            raise WireError(f"not a value: {str(h)[:80]}")
        t = h["t"]
        if t == "none":
            return None
        if t in ("bool", "int", "str"):
            v = h.get("v")
            want = {"bool": bool, "int": int, "str": str}[t]
            if type(v) is not want:
                raise WireError(f"a {t} holding {type(v).__name__}")
            return v
        if t == "float":
            v = h.get("v")
            if isinstance(v, str) and v in ("inf", "-inf", "nan"):
                return float(v)
            if type(v) not in (int, float):
                raise WireError("a float holding something else")
            return float(v)
        if t == "array":
            try:
                dtype = np.dtype(h["dtype"])
                shape = tuple(int(s) for s in h["shape"])
                n = int(h["n"])
            except (KeyError, TypeError, ValueError) as exc:
                raise WireError(f"an array with a bad description: {exc}") from None
            if dtype.kind not in _KINDS or dtype.hasobject or len(shape) > MAX_NDIM or any(s < 0 for s in shape):
                raise WireError(f"an array of dtype {dtype} or shape {shape} is not accepted")
            if n != math.prod(shape) * dtype.itemsize or pos[0] + n > len(data):
                raise WireError("an array whose size does not match its bytes")
            arr = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=pos[0]).reshape(shape).copy()
            pos[0] += n
            return arr
        if t in ("tuple", "list"):
            items = h.get("items")
            if not isinstance(items, list):
                raise WireError(f"a {t} without items")
            values = [dec(x, depth + 1) for x in items]
            return tuple(values) if t == "tuple" else values
        if t == "dict":
            keys, items = h.get("keys"), h.get("items")
            if not (isinstance(keys, list) and isinstance(items, list) and len(keys) == len(items)):
                raise WireError("a dict whose keys and items do not match")
            if not all(isinstance(k, str) for k in keys):
                raise WireError("a dict with a key that is not a string")
            return dict(zip(keys, (dec(x, depth + 1) for x in items)))
        if t == "object":
            return Opaque(str(h.get("type", "object"))[:100])
        if t == "ref":
            if type(h.get("id")) is not int:
                raise WireError("a ref without a number")
            return Ref(h["id"])
        raise WireError(f"unknown value type {t!r}")

    return dec(header, 0), pos[0]


def pack(message: dict, values: dict[str, Any] | None = None) -> bytes:
    """One frame: ``message`` (JSON-able) with ``values`` (any encodable values) under ``"values"``."""
    header = dict(message)
    buffers: list[bytes] = []
    if values is not None:
        encoded = {}
        for name, value in values.items():
            h, bufs = encode(value)
            encoded[name] = h
            buffers += bufs
        header["values"] = encoded
    head = json.dumps(header, allow_nan=False).encode() + b"\n"
    body = head + b"".join(buffers)
    return struct.pack(">Q", len(body)) + body


def unpack(body: bytes) -> tuple[dict, dict[str, Any]]:
    """The message and its decoded values from a frame's body (without the length)."""
    end = body.find(b"\n", 0, MAX_HEADER + 1)
    if end < 0:
        raise WireError(f"a frame without a header line of at most {MAX_HEADER} bytes")
    try:
        header = json.loads(body[:end].decode())
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"a header that is not JSON: {str(exc)[:100]}") from None
    if not isinstance(header, dict):
        raise WireError("a header that is not an object")
    raw = header.pop("values", {})
    if not isinstance(raw, dict):
        raise WireError("values that are not an object")
    values, offset = {}, end + 1
    for name, h in raw.items():
        try:
            values[name], offset = decode(h, body, offset)
        except (ValueError, TypeError, OverflowError, MemoryError) as exc:  # what numpy says of a bad description
            raise WireError(f"a value that cannot be decoded: {str(exc)[:100]}") from None
    if offset != len(body):
        raise WireError(f"{len(body) - offset} bytes left over after the values")
    return header, values


def write_frame(fd: int, frame: bytes) -> None:
    """Write all of ``frame`` to the file descriptor ``fd``."""
    view = memoryview(frame)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class FrameReader:
    """Frames from a file descriptor, read as bytes arrive (for a reader that polls with a deadline)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.eof = False

    def feed(self) -> None:
        """Read what is available (call when ``fd`` is readable); sets ``eof`` at the end."""
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            self.eof = True
        self.buffer += chunk

    def frame(self) -> bytes | None:
        """The next complete frame's body, or None if it has not all arrived yet."""
        if len(self.buffer) < 8:
            return None
        (n,) = struct.unpack(">Q", bytes(self.buffer[:8]))
        if n > MAX_FRAME:
            raise WireError(f"a frame of {n} bytes (more than {MAX_FRAME})")
        if len(self.buffer) < 8 + n:
            return None
        body = bytes(self.buffer[8 : 8 + n])
        del self.buffer[: 8 + n]
        return body


def read_frame_blocking(fd: int) -> bytes | None:
    """The next frame's body from ``fd``, waiting for it; None at the end of the stream."""
    reader = FrameReader(fd)
    while True:
        body = reader.frame()
        if body is not None:
            if reader.buffer:  # the grader sends one request at a time
                raise WireError("more than one frame at once")
            return body
        chunk = os.read(fd, (8 + struct.unpack(">Q", bytes(reader.buffer[:8]))[0] - len(reader.buffer))
                        if len(reader.buffer) >= 8 else 8 - len(reader.buffer))  # fmt: skip
        if not chunk:
            return None
        reader.buffer += chunk
