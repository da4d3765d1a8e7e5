"""Sections 6 and 7 of ``msdn bench``: peak memory, and GFLOP/s against the machine's matrix-product ceiling.

Part of :mod:`msdn_numpy.tools.bench` (its docstring describes the whole benchmark).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from msdn_numpy.nn.conv import Conv1D
from msdn_numpy.tools.bench.common import (
    CONV_C_IN,
    CONV_C_OUT,
    CONV_N,
    LARGE,
    LARGE_QUICK,
    MIN_SAMPLE,
    SQUARE,
    Row,
    make_row,
)
from msdn_numpy.tools.bench.conv import conv_name
from msdn_numpy.util.timing import (
    interleaved_medians,
    mark_unreliable,
)


# --------------------------------------------------------------------------------------
# 6. Memory, 7. GFLOP/s
# --------------------------------------------------------------------------------------
def bench_memory(quick: bool, log: Callable[[str], None]) -> list[Row]:
    """Peak memory NumPy allocates during one im2col forward and forward+backward."""
    s = LARGE_QUICK if quick else LARGE
    conv = Conv1D(s["C_in"], s["C_out"], s["K"], padding="same", rng=0).to(np.float32)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((s["N"], s["C_in"], s["L"])).astype(np.float32)
    dout = rng.standard_normal((s["N"], s["C_out"], s["L"])).astype(np.float32)
    name = "im2col memory " + conv_name(**s).removeprefix("conv1d fwd+bwd ")
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = conv.forward(x)
        peak_fwd = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]  # the cache and the output are already held
        conv.backward(dout)
        peak_bwd = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    del out
    conv._cache = None
    rows = [
        make_row(name, "input", None, bytes=x.nbytes),
        make_row(name, "forward peak", None, "input", peak_fwd / x.nbytes, bytes=peak_fwd,
             note="cached im2col matrix + padded input + output"),
        make_row(name, "backward peak", None, "input", peak_bwd / x.nbytes, bytes=peak_bwd,
             note="on top of the forward cache"),
    ]  # fmt: skip
    log(
        f"\n[6] Memory (tracemalloc) of im2col at N={s['N']} C_in={s['C_in']} C_out={s['C_out']} "
        f"K={s['K']} L={s['L']}: input {x.nbytes / 2**20:.1f} MiB; forward peak {peak_fwd / 2**20:.1f} MiB "
        f"({peak_fwd / x.nbytes:.1f}x input; the im2col matrix alone is {s['K']}x); backward peak "
        f"{peak_bwd / 2**20:.1f} MiB more ({peak_bwd / x.nbytes:.1f}x input)"
    )
    return rows


def bench_gflops(quick: bool, log: Callable[[str], None]) -> list[Row]:
    """GFLOP/s of the three conv products (exact operand layouts of Conv1D) vs a square matmul."""
    repeats = 3 if quick else 9
    n = 512 if quick else SQUARE
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n)).astype(np.float32)
    B = rng.standard_normal((n, n)).astype(np.float32)
    C = np.empty((n, n), dtype=np.float32)
    fns: dict[str, Callable[[], Any]] = {"square": lambda: np.matmul(A, B, out=C)}
    flops = {"square": 2.0 * n**3}
    msdn_shape = dict(N=CONV_N, C_in=CONV_C_IN, C_out=CONV_C_OUT, K=5, L=53)
    shapes = {"msdn": msdn_shape, "large": LARGE_QUICK if quick else LARGE}
    for key, s in shapes.items():
        conv = Conv1D(s["C_in"], s["C_out"], s["K"], padding="same", rng=0).to(np.float32)
        x = rng.standard_normal((s["N"], s["C_in"], s["L"])).astype(np.float32)
        dout = rng.standard_normal((s["N"], s["C_out"], s["L"])).astype(np.float32)
        conv.forward(x)
        cols = conv._cache[0]  # (C_in*K, N*L_out), what forward multiplies
        W2 = conv.params["W"].reshape(s["C_out"], -1)
        dout2 = np.ascontiguousarray(dout.transpose(1, 0, 2)).reshape(s["C_out"], -1)
        f = 2.0 * s["C_out"] * s["C_in"] * s["K"] * s["N"] * s["L"]  # one product's multiply-adds x2

        def products(W2=W2, cols=cols, dout2=dout2) -> None:
            W2 @ cols  # forward
            dout2 @ cols.T  # dW
            W2.T @ dout2  # dcols

        def layer(conv=conv, x=x, dout=dout) -> None:
            conv.forward(x)
            conv.backward(dout)

        fns[f"{key} products"], flops[f"{key} products"] = products, 3 * f
        fns[f"{key} layer"], flops[f"{key} layer"] = layer, 3 * f
    best: dict[str, float] = {}
    t = interleaved_medians(fns, {k: repeats for k in fns}, best=best, min_sample=MIN_SAMPLE)
    g = {k: flops[k] / t[k] / 1e9 for k in t}
    ceiling_g = flops["square"] / best["square"] / 1e9  # the best call: the machine's demonstrated peak
    names = {
        "square": f"numpy.matmul {n}x{n} float32",
        "msdn products": "conv products (3 matmuls) " + conv_name(**shapes["msdn"]).removeprefix("conv1d fwd+bwd "),
        "msdn layer": "conv layer fwd+bwd " + conv_name(**shapes["msdn"]).removeprefix("conv1d fwd+bwd "),
        "large products": "conv products (3 matmuls) " + conv_name(**shapes["large"]).removeprefix("conv1d fwd+bwd "),
        "large layer": "conv layer fwd+bwd " + conv_name(**shapes["large"]).removeprefix("conv1d fwd+bwd "),
    }
    ceiling = names["square"]
    rows = [
        make_row(names["square"], "gflops", t["square"], gflops=g["square"], best_gflops=ceiling_g, repeats=repeats)
    ]
    log(
        f"\n[7] GFLOP/s (median of {repeats}, interleaved); ceiling numpy.matmul {n}x{n} float32: "
        f"{ceiling_g:.1f} GFLOP/s (its best call; median {g['square']:.1f})"
    )
    for k in list(names)[1:]:
        row = make_row(names[k], "gflops", t[k], "gflops/" + ceiling, g[k] / ceiling_g, gflops=g[k],
                   ceiling_gflops=ceiling_g, repeats=repeats)  # fmt: skip
        mark_unreliable([row])
        rows.append(row)
        share = f"({g[k] / ceiling_g:.0%} of the ceiling)"
        shown = "UNRELIABLE: " + row["unreliable"] if "unreliable" in row else share
        log(f"    {names[k]:<78s} {g[k]:6.1f} GFLOP/s {shown}")
    return rows
