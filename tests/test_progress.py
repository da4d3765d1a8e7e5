"""msdn_numpy.util.progress: the count and the time-left estimate, with a fake clock (nothing is timed)."""

from __future__ import annotations

import io

import pytest

from msdn_numpy.util.progress import Progress, format_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0s"), (7.2, "7s"), (59.6, "1m00s"), (185, "3m05s"),
                                               (3725, "1h02m")])  # fmt: skip
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_count_and_estimate():
    clock, out = FakeClock(), io.StringIO()
    p = Progress(4, "compare", stream=out, clock=clock)
    assert p.seconds_left() is None  # nothing done: no estimate
    clock.now += 10
    assert p.update("yeast msdn seed 0") == "[compare 1/4] yeast msdn seed 0  (10s so far, ~30s left)"
    clock.now += 30  # a slower unit: the mean is now 20 s per unit
    assert p.update("seed 1") == "[compare 2/4] seed 1  (40s so far, ~40s left)"
    clock.now += 20
    p.update(units=2)  # the last two together
    assert p.seconds_left() == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1] == "[compare 4/4] (1m00s so far)"


def test_weighted_units_and_default_stream(capsys):
    clock = FakeClock()
    p = Progress(10, clock=clock)
    clock.now += 3
    p.update("section 1", units=3)  # 1 s per unit, 7 left
    assert capsys.readouterr().err == "[3/10] section 1  (3s so far, ~7s left)\n"


def test_disabled_prints_nothing(capsys):
    p = Progress(2, "x", enabled=False, clock=FakeClock())
    assert p.update("a").startswith("[x 1/2] a")
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("total", [0, -1])
def test_total_must_be_positive(total):
    with pytest.raises(ValueError, match="total"):
        Progress(total)
