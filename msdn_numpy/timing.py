"""Timing on a shared machine: interleaved repeats, medians, and fits of how time grows.

What :mod:`msdn_numpy.bench` measures with. Kept apart from it because the *how* of a
measurement (interleave the contenders, take medians, fit slopes) is one idea and the
*what* (convolutions, epochs, memory) another.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np


def interleaved_medians(
    contenders: dict[str, Callable[[], Any]],
    repeats: dict[str, int],
    no_warmup: tuple[str, ...] = (),
    cpu: dict[str, float] | None = None,
) -> dict[str, float]:
    """Median seconds of each contender, the calls interleaved round robin.

    Round ``r`` calls every contender that still has repeats left, starting one
    further along the list each round, so that slow drifts in machine load (other
    processes, CPU frequency) spread over all contenders instead of favouring one.
    Every contender is called once untimed first (warm-up: caches, lazy initialisation),
    except those in ``no_warmup`` (the naive loops: seconds per call, nothing to warm).

    Returns the median wall-clock seconds. If ``cpu`` is a dict, it also receives the
    median CPU seconds of this process per call (``time.process_time``): on a busy
    machine that excludes the time other processes held the core, so with one thread
    it is the steadier measure of the work done (with several threads it adds up the
    threads, spin-waiting included).
    """
    names = list(contenders)
    times: dict[str, list[float]] = {n: [] for n in names}
    cpu_times: dict[str, list[float]] = {n: [] for n in names}
    for n in names:
        if n not in no_warmup:
            contenders[n]()
    for r in range(max(repeats.values())):
        for i in range(len(names)):
            n = names[(i + r) % len(names)]
            if len(times[n]) < repeats[n]:
                start, start_cpu = time.perf_counter(), time.process_time()
                contenders[n]()
                times[n].append(time.perf_counter() - start)
                cpu_times[n].append(time.process_time() - start_cpu)
    if cpu is not None:
        cpu.update({n: float(np.median(t)) for n, t in cpu_times.items()})
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
