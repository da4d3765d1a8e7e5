"""Shared by every section of ``msdn bench``: the shapes it times, the machine it runs on, a row of its table.

Part of :mod:`msdn_numpy.tools.bench` (its docstring describes the whole benchmark).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

from msdn_numpy.util.threads import BLASNotFound, get_blas_threads, openblas_libraries

# MSDN-typical convolution shapes: the relation block at batch 256 (d=16 embedding
# channels in, c=32 channels out) for label counts of emotions (6), yeast (14),
# enron (53) and CAL500 (174).
CONV_N, CONV_C_IN, CONV_C_OUT = 256, 16, 32
CONV_KS = (1, 3, 5)
CONV_LS = (6, 14, 53, 174)
# the larger shape: more channels and a long label axis (im2col matrix ~82 MB in float32)
LARGE = dict(N=256, C_in=32, C_out=64, K=5, L=500)
LARGE_QUICK = dict(N=64, C_in=32, C_out=64, K=5, L=200)
SQUARE = 2048  # the GFLOP/s section's ceiling: (SQUARE, SQUARE) @ (SQUARE, SQUARE) in float32
# the ceiling interleaved with the conv and block timings: smaller, as it runs once per round
# (at one thread a 512-square product already reaches the 2048 one's GFLOP/s on this machine)
CEILING_N, CEILING_N_QUICK = 1024, 512
# sub-millisecond contenders are repeated within a sample to last this long (seconds), so
# that the cold caches left by the contender before them do not dominate (timing.py)
MIN_SAMPLE = 0.005
# the label counts of the large-label epochs (delicious ~1,000, EUR-Lex ~4,000), on N examples
LABEL_SETS, LABEL_SETS_N = (1000, 4000), 512
LABEL_SETS_QUICK, LABEL_SETS_N_QUICK = (1000,), 64

Row = dict[str, Any]


# --------------------------------------------------------------------------------------
# Machine, threads, timing
# --------------------------------------------------------------------------------------
def _blas_name() -> str:
    """NumPy's BLAS as its build reports it, and the library file whose threads we set."""
    try:
        info = np.__config__.CONFIG["Build Dependencies"]["blas"]
        name = f"{info['name']} {info['version']}"
    except (AttributeError, KeyError, TypeError):
        name = "unknown"
    libs = openblas_libraries()
    return f"{name} ({Path(libs[0].path).name})" if libs else name


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(threads: int, torch: Any) -> dict[str, Any]:
    """What the numbers depend on: CPU, cores, threads (as read back from each library), libraries, load."""
    try:
        blas_threads: int | None = get_blas_threads()
    except BLASNotFound:
        blas_threads = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "threads": threads,
        "blas_threads": blas_threads,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "blas": _blas_name(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "platform": platform.platform(),
        "load_start": [round(v, 2) for v in os.getloadavg()],
    }


def make_row(name: str, contender: str, seconds: float | None, ratio_vs: str | None = None,
         ratio: float | None = None, **extra: Any) -> Row:  # fmt: skip
    return {"name": name, "contender": contender, "seconds": seconds, "ratio_vs": ratio_vs, "ratio": ratio, **extra}


def timed_row(name: str, contender: str, t: dict[str, float], c: dict[str, float], ratio_vs: str | None = None,
               **extra: Any) -> Row:  # fmt: skip
    """A row with wall and CPU medians, and both ratios against contender ``ratio_vs``."""
    if ratio_vs is None:
        return make_row(name, contender, t[contender], cpu_seconds=c[contender], **extra)
    return make_row(name, contender, t[contender], ratio_vs, t[contender] / t[ratio_vs], cpu_seconds=c[contender],
                cpu_ratio=c[contender] / c[ratio_vs], **extra)  # fmt: skip


def import_torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch
