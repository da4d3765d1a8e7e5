"""Argument checks shared by the library's entry points (models, ``TrainConfig``, ``train_model``, ``Dataset``).

Each check raises a ``TypeError`` (wrong kind of value) or a ``ValueError`` (right kind,
wrong value) whose message names the argument, what it got and what to pass instead,
so a mistake is reported where it is made rather than deep inside training.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def check_int(where: str, name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as an int: an integer type (not bool, not a float such as 2.5 or 2.0) within ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name}={_shown(value)} is not an integer; pass a whole number such as {lo or 1}")
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"from {lo} to {hi}"
        raise ValueError(f"{where}: {name} must be an integer {bounds}, got {name}={value}")
    return value


def check_real(where: str, name: str, value: Any) -> float:
    """``value`` as a finite float (an int or float type, not bool, not complex)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name}={_shown(value)} is not a real number; pass a float")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be a finite number, got {name}={value}")
    return value


def check_int_sequence(where: str, name: str, value: Any, lo: int = 1) -> tuple[int, ...]:
    """A non-empty sequence of integers ``>= lo`` (``(2.7,)`` is refused, never truncated to ``(2,)``)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{where}: {name}={_shown(value)} is not a sequence of integers; pass e.g. (1, 3, 5)")
    items = list(value)
    if not items:
        raise ValueError(f"{where}: {name} is empty; pass at least one integer, e.g. (1, 3, 5)")
    for k in items:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(
                f"{where}: {name}={_shown(value)} holds {_shown(k)}, which is not an integer; pass whole numbers "
                "such as (1, 3, 5)"
            )
        if k < lo:
            raise ValueError(f"{where}: {name}={_shown(value)} holds {int(k)}; every entry must be >= {lo}")
    return tuple(int(k) for k in items)


def check_matrix(where: str, name: str, value: Any) -> np.ndarray:
    """A real-valued array: masked, complex, object (``None`` cells) and string arrays are refused."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{where}: {name} is a masked array, and its masked cells would be used as data; fill them first "
            f"({name} = np.ma.filled({name}, value)) or drop those rows"
        )
    array = np.asarray(value)
    if array.dtype.kind == "c":
        raise TypeError(
            f"{where}: {name} is complex ({array.dtype}); its imaginary part would be lost: pass real numbers "
            f"({name}.real if the imaginary part is 0)"
        )
    if array.dtype.kind == "O":
        flat = array.ravel()
        missing = [i for i, v in enumerate(flat) if v is None]
        if missing:
            raise ValueError(
                f"{where}: {name} contains None (first at flat position {missing[0]}); replace the missing "
                "values (labels must be 0 or 1, features numbers) or drop those rows"
            )
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{where}: {name} holds values that are not numbers; pass a numeric array") from None
    elif array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {name} has dtype {array.dtype}, not numbers; pass a numeric array")
    return array
