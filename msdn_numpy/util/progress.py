"""Progress lines for long commands: a count and an estimate of the time left.

::

    progress = Progress(45, "compare")
    for run in runs:
        ...                                   # one unit of work
        progress.update(f"yeast msdn seed {seed}")

prints, on standard error, one line per update::

    [compare 3/45] yeast msdn seed 2  (12s so far, ~2m58s left)

The estimate is the simplest honest one: the mean time per unit so far times the units
left, ``left = elapsed / done * (total - done)``. When the units cost different amounts
(the bench's sections do), give each update its own ``units`` so that ``total`` counts
work, not steps. The estimate is only printed once a unit has finished.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def format_seconds(seconds: float) -> str:
    """``7.2 → "7s"``, ``185 → "3m05s"``, ``3725 → "1h02m"`` (rounded to whole seconds)."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class Progress:
    """Count finished units of work and print ``[label k/n] what (elapsed, ~left)`` lines.

    Parameters
    ----------
    total : int or float
        Units of work in all (runs, repeats, or any cost measure).
    label : str
        Printed before the count, e.g. ``"compare"``.
    stream : text stream, optional
        Where lines go (default: ``sys.stderr`` at the time of each update, so that
        pytest's capture and redirections see them). ``None`` and ``enabled=False``
        print nothing; :meth:`update` still returns the line.
    clock : callable
        Seconds since some origin (``time.perf_counter``); tests pass a fake one.
    """

    def __init__(
        self,
        total: float,
        label: str = "",
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if total <= 0:
            raise ValueError(f"Progress: total must be > 0, got {total}")
        self.total, self.label, self.done = total, label, 0.0
        self._stream, self.enabled, self._clock = stream, enabled, clock
        self.start = clock()

    def elapsed(self) -> float:
        """Seconds since the progress was created."""
        return self._clock() - self.start

    def seconds_left(self) -> float | None:
        """``elapsed / done * (total - done)``, or ``None`` before the first unit is done."""
        if self.done <= 0:
            return None
        return self.elapsed() / self.done * max(self.total - self.done, 0.0)

    def update(self, what: str = "", units: float = 1) -> str:
        """Mark ``units`` more as done; print and return the progress line."""
        self.done += units
        count = f"{self.done:g}/{self.total:g}"
        head = f"[{self.label} {count}]" if self.label else f"[{count}]"
        left = self.seconds_left()
        timing = f"{format_seconds(self.elapsed())} so far" + (f", ~{format_seconds(left)} left" if left else "")
        line = f"{head} {what}  ({timing})" if what else f"{head} ({timing})"
        if self.enabled:
            print(line, file=self._stream or sys.stderr, flush=True)
        return line
