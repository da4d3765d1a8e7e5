"""Measuring on a shared machine: interleaved repeats, medians, ceilings, slopes, memory peaks.

What :mod:`msdn_numpy.tools.bench` measures with. Kept apart from it because the *how* of a
measurement is one idea and the *what* (convolutions, epochs, memory) another.

Two rules keep a benchmark from printing impossible numbers when other processes share
the cores:

* **A ceiling measured with what it bounds.** A large square ``numpy.matmul`` is the
  fastest arithmetic this BLAS does; it runs *interleaved* with the contenders (same
  rounds, same load), and its best GFLOP/s bounds theirs. A row claiming more GFLOP/s
  than that ceiling was mismeasured, or its ceiling was (slowed by load the row
  escaped): either way it cannot be trusted, and :func:`mark_unreliable` marks it
  instead of letting it stand.
* **Time cannot shrink as the work grows.** A negative log-log slope of time against
  size is a measurement artefact: :func:`slope_verdicts` marks it.
"""

from __future__ import annotations

import ctypes
import gc
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def interleaved_medians(
    contenders: dict[str, Callable[[], Any]],
    repeats: dict[str, int],
    no_warmup: tuple[str, ...] = (),
    cpu: dict[str, float] | None = None,
    best: dict[str, float] | None = None,
    min_sample: float = 0.0,
) -> dict[str, float]:
    """Median seconds per call of each contender, the calls interleaved round robin.

    Round ``r`` calls every contender that still has repeats left, in an order shuffled
    afresh each round (seeded, so runs are reproducible): slow drifts in machine load
    (other processes, CPU frequency) spread over all contenders instead of favouring one,
    and no contender always runs right after the same other one. (A fixed cyclic order
    did that even when rotated: the contender after the ceiling always found cold caches,
    and the one after a contender sharing its input arrays always found them warm.)
    Every contender is called once untimed first (warm-up: caches, lazy initialisation),
    except those in ``no_warmup`` (the naive loops: seconds per call, nothing to warm).

    ``min_sample`` (seconds): a contender whose warm-up call was shorter is called
    ``ceil(min_sample / warm-up time)`` times in a row per sample, and the sample is
    divided by that number (as ``timeit`` does). Interleaving means each sample starts
    with caches that the previous contender filled (a large ceiling matmul evicts
    everything); for sub-millisecond calls that cold start would dominate, while a
    training loop calls the same layer on warm caches. Repeating the call within the
    sample amortises the cold start.

    Returns the median wall-clock seconds. If ``cpu`` is a dict, it also receives the
    median CPU seconds of this process per call (``time.process_time``): on a busy
    machine that excludes the time other processes held the core, so with one thread
    it is the steadier measure of the work done (with several threads it adds up the
    threads, spin-waiting included). If ``best`` is a dict, it receives each contender's
    fastest call (what a ceiling is made of: the machine's demonstrated peak).
    """
    names = list(contenders)
    times: dict[str, list[float]] = {n: [] for n in names}
    cpu_times: dict[str, list[float]] = {n: [] for n in names}
    number = dict.fromkeys(names, 1)
    for n in names:
        if n not in no_warmup:
            start = time.perf_counter()
            contenders[n]()
            number[n] = max(1, int(np.ceil(min_sample / max(time.perf_counter() - start, 1e-9))))
    order = np.random.default_rng(0)
    for _ in range(max(repeats.values())):
        for i in order.permutation(len(names)):
            n = names[i]
            if len(times[n]) < repeats[n]:
                start, start_cpu = time.perf_counter(), time.process_time()
                for _ in range(number[n]):
                    contenders[n]()
                times[n].append((time.perf_counter() - start) / number[n])
                cpu_times[n].append((time.process_time() - start_cpu) / number[n])
    if cpu is not None:
        cpu.update({n: float(np.median(t)) for n, t in cpu_times.items()})
    if best is not None:
        best.update({n: float(np.min(t)) for n, t in times.items()})
    return {n: float(np.median(t)) for n, t in times.items()}


def loglog_slope(x: list[float], y: list[float]) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (1 = linear growth)."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def affine_fit(x: list[float], y: list[float]) -> tuple[float, float, float]:
    """Least squares ``y = a + b x`` on *relative* errors: returns ``(a, b, max relative residual)``.

    Epoch time is *affine* in L: a fixed per-batch cost (encoder, optimiser, Python calls)
    plus a part proportional to L. A small residual shows the growth is linear even
    where the fixed part pulls the log-log slope below 1. The residuals are weighted by
    ``1/y`` so that the small-x points, which carry the intercept, count as much as the
    large ones.
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    b, a = np.polyfit(xs, ys, 1, w=1.0 / ys)
    return float(a), float(b), float(np.max(np.abs(a + b * xs - ys) / ys))


# --------------------------------------------------------------------------------------
# The ceiling, and what it rules out
# --------------------------------------------------------------------------------------
def square_matmul(n: int, seed: int = 0) -> tuple[Callable[[], Any], float]:
    """A ``(n, n) @ (n, n)`` float32 product to interleave as the ceiling, and its flop count ``2 n^3``."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)).astype(np.float32)
    B = rng.standard_normal((n, n)).astype(np.float32)
    C = np.empty((n, n), dtype=np.float32)
    return (lambda: np.matmul(A, B, out=C)), 2.0 * n**3


def mark_unreliable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark every row whose ``gflops`` exceeds the ``ceiling_gflops`` measured with it.

    Adds ``row["unreliable"] = reason`` (in place) and returns the marked rows. Rows
    without both numbers are left alone.
    """
    marked = []
    for row in rows:
        g, ceiling = row.get("gflops"), row.get("ceiling_gflops")
        if g is not None and ceiling is not None and g > ceiling:
            row["unreliable"] = (
                f"{g:.1f} GFLOP/s is above the ceiling measured with it ({ceiling:.1f} GFLOP/s, "
                f"{g / ceiling:.0%}): impossible, so the row or its ceiling was mismeasured (load)"
            )
            marked.append(row)
    return marked


def slope_verdicts(slopes: dict[str, float]) -> dict[str, str]:
    """``{name: reason}`` for every negative log-log slope (time shrinking as the size grows)."""
    return {
        name: f"negative slope {value:.2f}: time fell as the size grew, a measurement artefact (load)"
        for name, value in slopes.items()
        if value < 0
    }


# --------------------------------------------------------------------------------------
# Memory peaks that NumPy and PyTorch alike can be held to
# --------------------------------------------------------------------------------------
def _status_bytes(key: str) -> int:
    match = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    if match is None:
        raise OSError(f"no {key} in /proc/self/status")
    return int(match.group(1)) * 1024


def peak_memory(fn: Callable[[], Any]) -> int | None:
    """Peak resident memory ``fn()`` adds to this process, in bytes (Linux), else ``None``.

    Measured the same way for NumPy and PyTorch (tracemalloc only sees NumPy): hand freed
    heap memory back to the system (``malloc_trim``), reset the kernel's high-water mark
    of resident memory (``echo 5 > /proc/self/clear_refs``), run ``fn``, and read the new
    high-water mark (``VmHWM``) minus the resident memory before.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        gc.collect()
        ctypes.CDLL(None).malloc_trim(0)
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_bytes("VmRSS")
        fn()
        return max(_status_bytes("VmHWM") - before, 0)
    except (OSError, AttributeError):  # no /proc access, or a libc without malloc_trim
        return None
