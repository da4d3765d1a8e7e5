"""Speed benchmark: naive loops vs im2col vs PyTorch, the readable and fast MSDN, epochs, large label sets.

Run it with ``msdn bench [--quick] [--json FILE]`` (or ``python -m msdn_numpy bench``).
One run measures, with the contenders *interleaved* (round robin, so a burst of load
from another process hits every contender alike) and reports the *median* of the
repeats, never a single timing:

1. **Conv1D forward+backward** on MSDN-typical shapes (``N=256, C_in=16, C_out=32``,
   ``K`` in 1, 3, 5, ``L`` in 6, 14, 53, 174) and one larger shape: the naive loops
   (:class:`~msdn_numpy.nn.conv_naive.Conv1DNaive`), the im2col layer
   (:class:`~msdn_numpy.nn.conv.Conv1D`) and ``torch.nn.functional.conv1d`` with autograd.
   The naive loops would need ~40 s for one call at ``K=5, L=53``; their cost is exactly
   linear in ``N`` (the outer loop is over examples), so they are timed on a few examples
   and scaled to ``N``. The output says so on every such row.
2. **MSDN's convs** at MSDN's defaults and training batch (``N=32, C_in=16, C_out=32,
   K=(1, 3, 5)``, each with its ReLU): the readable branches, one ``Conv1D`` per kernel size
   (the default), vs their fast twin :class:`~msdn_numpy.nn.fast.MultiScaleConv1D` (one shared
   im2col; one product, or one per kernel size on long label axes: the path its rule takes
   is noted on each row), as ``L`` grows.
3. **One MSDN training epoch** on yeast (the bundled synthetic set without real data):
   this package, readable (as ``models.MSDN`` builds it, with ``Adam``) and fast (the twins
   of ``nn.fast``, ``FlatAdam``: ``TrainConfig(fast=True)``), side by side with the same
   architecture written with ``torch.nn`` (same sizes, same
   initial weights, same minibatches, Adam, float32, same thread count). Before timing,
   the torch model is checked to be the same function: equal parameter count and equal
   forward outputs (to ~1e-5 in float32) once our weights are copied into it.
4. **Large label sets**: the same epoch on random data with ``L`` = 1,000 and 4,000
   labels (delicious has 983, EUR-Lex ~4,000): time, peak memory of one epoch (resident
   memory, the same measure for NumPy and PyTorch), and the time of the default label
   order at that size.
5. **Scaling**: seconds per epoch as the number of labels ``L`` grows (6 → 1000) and as
   the number of examples ``N`` grows, on random data; the log-log slope (1 = linear)
   and a log-log figure.
6. **Memory**: the peak extra memory of an im2col forward+backward (tracemalloc sees
   NumPy's allocations) next to the size of the input.
7. **GFLOP/s** of the convolution's matrix products vs ``numpy.matmul`` on a large square
   matrix, the practical ceiling of this machine's BLAS.

No impossible numbers: sections 1, 2 and 7 interleave a square ``numpy.matmul`` (the
ceiling) with their contenders, and a row whose GFLOP/s exceed the best the ceiling did
in the same rounds is marked *unreliable* (with the reason) instead of being shown as a
result; so is a negative scaling slope (see :mod:`msdn_numpy.util.timing`).

Threads: NumPy's BLAS and PyTorch get the same count: the thread policy
(:mod:`msdn_numpy.util.threads`, one thread) unless ``threads=`` / ``msdn bench --threads N``
says otherwise; the count in force is read back from both libraries and printed, with
the load average. Progress lines (``[bench [1] conv 3/13] K=1 L=53  (2s so far, ~6s left)``) go
to stderr.

The JSON file (``--json``) is ``{"machine": {...}, "checks": {...}, "rows": [...]}`` with
one row per measurement: ``{"name", "contender", "seconds", "ratio_vs", "ratio"}`` plus
optional details (``repeats``, ``note``, ``cpu_seconds`` and ``cpu_ratio``: the same
medians in process CPU time, ``bytes``, ``gflops`` and ``ceiling_gflops``, ``axis``,
``unreliable``: why the row is not a result). ``ratio`` is this row's value divided by
that of contender ``ratio_vs`` under the same ``name`` (for GFLOP/s rows: divided by the
square-matmul ceiling); ``> 1`` means slower (or bigger). ``checks["unreliable"]`` lists
every row and slope so marked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from msdn_numpy.tools.bench.common import Row, import_torch, machine_info
from msdn_numpy.tools.bench.conv import bench_block, bench_conv
from msdn_numpy.tools.bench.epoch import bench_epoch, bench_label_sets, bench_scaling, scaling_figure
from msdn_numpy.tools.bench.memory import bench_gflops, bench_memory
from msdn_numpy.util.files import write_text
from msdn_numpy.util.threads import BLASNotFound, policy_threads, set_blas_threads


# --------------------------------------------------------------------------------------
# The whole run
# --------------------------------------------------------------------------------------
def format_table(rows: list[Row]) -> str:
    """The rows as a fixed-width text table (seconds in ms, ratios, notes).

    An unreliable row (see :func:`msdn_numpy.util.timing.mark_unreliable`) shows ``unrel.``
    instead of its ratio, and the reason instead of its GFLOP/s: it is not a result.
    """
    lines = [f"{'name':<62s} {'contender':<14s} {'ms':>11s} {'ratio':>8s} {'cpu ms':>11s} {'cpu ratio':>9s}  vs / note"]
    for r in rows:
        bad = "unreliable" in r
        ms = f"{r['seconds'] * 1e3:11.3f}" if r["seconds"] is not None else f"{'':>11s}"
        ratio = f"{'unrel.':>8s}" if bad else f"{r['ratio']:8.2f}" if r["ratio"] is not None else f"{'':>8s}"
        cpu_ms = f"{r['cpu_seconds'] * 1e3:11.3f}" if "cpu_seconds" in r else f"{'':>11s}"
        cpu_ratio = f"{'unrel.':>9s}" if bad and "cpu_ratio" in r else f"{r['cpu_ratio']:9.2f}" if "cpu_ratio" in r \
            else f"{'':>9s}"  # fmt: skip
        extra = []
        if r["ratio_vs"]:
            extra.append(f"/{r['ratio_vs']}")
        if bad:
            extra.append("UNRELIABLE: " + r["unreliable"])
        elif "gflops" in r:
            ceiling = f" (ceiling {r['ceiling_gflops']:.1f})" if "ceiling_gflops" in r else ""
            extra.append(f"{r['gflops']:.1f} GFLOP/s{ceiling}")
        if "bytes" in r:
            extra.append(f"{r['bytes'] / 2**20:.1f} MiB")
        if "note" in r:
            extra.append(r["note"])
        lines.append(f"{r['name']:<62s} {r['contender']:<14s} {ms} {ratio} {cpu_ms} {cpu_ratio}  {'; '.join(extra)}")
    return "\n".join(lines)


def _apply_threads(threads: int, torch: Any) -> tuple[int | None, int | None]:
    """Give NumPy's BLAS and torch ``threads`` threads; return their previous counts (to restore)."""
    try:
        old_blas: int | None = set_blas_threads(threads)
    except BLASNotFound:
        old_blas = None
    old_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(threads)
    return old_blas, old_torch


def run_bench(
    quick: bool = False,
    json_path: str | Path | None = None,
    data_dir: str | None = None,
    figures_dir: str | Path | None = None,
    threads: int | None = None,
    log: Callable[[str], None] = print,
) -> int:
    """Run every benchmark, print the table, write the JSON and the figure. Returns 0.

    Parameters
    ----------
    quick : bool
        Fewer repeats, fewer scaling points, smaller large shapes: seconds, for CI.
    json_path : str or Path, optional
        Write ``{"machine", "checks", "rows"}`` there.
    data_dir : str, optional
        Folder of the MULAN files (else ``$MSDN_DATA``, else the bundled ``data/mulan``);
        without yeast there, the synthetic set.
    figures_dir : str or Path, optional
        Where ``bench-scaling.png`` goes. Default: next to the JSON file when there is
        one, else ``bench_figures/`` in the current directory.
    threads : int, optional
        Threads for NumPy's BLAS *and* PyTorch. Default: the thread policy
        (:func:`msdn_numpy.util.threads.policy_threads`, one thread). Both counts are restored after.
    """
    torch = import_torch()
    threads = policy_threads(threads)
    old_blas, old_torch = _apply_threads(threads, torch)
    try:
        rows, checks, machine, scaling = _run_sections(quick, data_dir, threads, torch, log)
    finally:
        if old_blas is not None:
            set_blas_threads(old_blas)
        if torch is not None:
            torch.set_num_threads(old_torch)

    if figures_dir is not None:
        fig_path = Path(figures_dir) / "bench-scaling.png"
    elif json_path is not None:
        fig_path = Path(json_path).with_name(Path(json_path).stem + "-scaling.png")
    else:
        fig_path = Path("bench_figures") / "bench-scaling.png"
    written = scaling_figure(scaling, fig_path)
    checks["figure"] = str(written) if written else None

    log("\n" + format_table(rows))
    unreliable = checks["unreliable"]
    if unreliable:
        log(
            f"\n{len(unreliable)} measurement(s) marked UNRELIABLE (not results; see above): the machine was too busy "
            "for them. Re-run when `cat /proc/loadavg` is below the number of idle cores."
        )
    log(f"\nload average at the end {machine['load_end'][0]:.2f}; benchmark took {machine['bench_seconds']:.0f} s")
    log(f"scaling figure: {written}" if written else "scaling figure: skipped (matplotlib not installed)")
    if json_path is not None:
        write_text(json_path, json.dumps({"machine": machine, "checks": checks, "rows": rows}, indent=2) + "\n")
        log(f"results written to {json_path}")
    return 0


def _run_sections(quick: bool, data_dir: str | None, threads: int, torch: Any, log: Callable[[str], None]):
    """Every section with the threads already set: ``(rows, checks, machine, scaling)``."""
    machine = machine_info(threads, torch)
    log(
        f"msdn bench{' --quick' if quick else ''}: {machine['cpu']}, {machine['cores']} cores; threads in force "
        f"(read back): NumPy's BLAS {machine['blas_threads'] or 'not settable'} ({machine['blas']}), torch "
        f"{machine['torch_threads'] if torch is not None else '-'} "
        f"({machine['torch'] or 'not installed: its rows skipped'})"
    )
    load = machine["load_start"]
    log(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)")
    if load[0] > (machine["cores"] or 1) - threads + 0.5:
        log(
            f"warning: the machine is busy (load {load[0]:.1f} on {machine['cores']} cores) and {threads} thread(s) "
            "compete with other processes: timings are noisy"
            + ("; --threads 1 (both libraries then use 1 thread) helps" if threads > 1 else "")
        )
    start = time.perf_counter()
    rows = bench_conv(quick, torch, log)
    rows += bench_block(quick, log)
    epoch_rows, checks = bench_epoch(data_dir, quick, torch, log)
    rows += epoch_rows
    rows += bench_label_sets(quick, torch, log)
    scaling_rows, scaling = bench_scaling(quick, torch, log)
    rows += scaling_rows
    rows += bench_memory(quick, log)
    rows += bench_gflops(quick, log)
    machine["load_end"] = [round(v, 2) for v in os.getloadavg()]
    machine["bench_seconds"] = round(time.perf_counter() - start, 1)
    checks["slopes"] = scaling["slopes"]
    checks["fits"] = scaling["fits"]
    checks["unreliable"] = [
        {"name": r["name"], "contender": r["contender"], "why": r["unreliable"]} for r in rows if "unreliable" in r
    ] + [{"name": "slope " + k, "contender": "slope", "why": why} for k, why in scaling["unreliable_slopes"].items()]
    return rows, checks, machine, scaling


def main(argv: list[str] | None = None) -> int:
    """``python -m msdn_numpy.tools.bench``: the same as ``msdn bench``."""
    p = argparse.ArgumentParser(prog="python -m msdn_numpy.tools.bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small shapes, few repeats (seconds)")
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--figures", metavar="DIR", help="folder of bench-scaling.png (default: next to --json, "
                   "else bench_figures/)")  # fmt: skip
    p.add_argument("--threads", type=int, help="threads for NumPy's BLAS and torch (default: the policy, 1)")
    args = p.parse_args(argv)
    return run_bench(args.quick, args.json, args.data_dir, args.figures, args.threads)


if __name__ == "__main__":
    sys.exit(main())
