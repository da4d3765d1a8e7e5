"""Sections 1 and 2 of ``msdn bench``: Conv1D (naive vs im2col vs PyTorch) and MSDN's convs (readable vs fast).

Part of :mod:`msdn_numpy.tools.bench` (its docstring describes the whole benchmark).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from msdn_numpy.models import MSDN
from msdn_numpy.nn.conv import Conv1D
from msdn_numpy.nn.conv_naive import Conv1DNaive
from msdn_numpy.nn.fast import MultiScaleConv1D
from msdn_numpy.tools.bench.common import (
    CEILING_N,
    CEILING_N_QUICK,
    CONV_C_IN,
    CONV_C_OUT,
    CONV_KS,
    CONV_LS,
    CONV_N,
    LARGE,
    LARGE_QUICK,
    MIN_SAMPLE,
    Row,
    timed_row,
)
from msdn_numpy.train import TrainConfig
from msdn_numpy.util.progress import Progress
from msdn_numpy.util.timing import (
    interleaved_medians,
    mark_unreliable,
    square_matmul,
)


# --------------------------------------------------------------------------------------
# 1. Conv1D forward+backward
# --------------------------------------------------------------------------------------
def conv_name(N: int, C_in: int, C_out: int, K: int, L: int) -> str:
    return f"conv1d fwd+bwd N={N} C_in={C_in} C_out={C_out} K={K} L={L}"


def _conv_contenders(N: int, C_in: int, C_out: int, K: int, L: int, n_naive: int, torch: Any):
    """Closures doing one forward+backward each, on the same float32 data and weights."""
    rng = np.random.default_rng(0)
    conv = Conv1D(C_in, C_out, K, padding="same", rng=1).to(np.float32)
    naive = Conv1DNaive(C_in, C_out, K, padding="same", rng=1).to(np.float32)
    x = rng.standard_normal((N, C_in, L)).astype(np.float32)
    dout = rng.standard_normal((N, C_out, L)).astype(np.float32)

    def im2col_step() -> None:
        conv.forward(x)
        conv.backward(dout)

    def naive_step() -> None:  # on the first n_naive examples only
        naive.forward(x[:n_naive])
        naive.backward(dout[:n_naive])

    out = {"im2col": im2col_step}
    if n_naive:
        out["naive"] = naive_step
    if torch is not None:
        F = torch.nn.functional
        xt = torch.from_numpy(x).requires_grad_()
        Wt = torch.from_numpy(conv.params["W"].copy()).requires_grad_()
        bt = torch.from_numpy(conv.params["b"].copy()).requires_grad_()
        dt = torch.from_numpy(dout)
        left, right = (K - 1) // 2, K // 2

        def torch_step() -> None:
            xt.grad = Wt.grad = bt.grad = None  # what optimizer.zero_grad() does
            xp = xt if left == right else F.pad(xt, (left, right))  # 'same' like ours for even K
            F.conv1d(xp, Wt, bt, padding=left if left == right else 0).backward(dt)

        out["torch"] = torch_step
    return out


def conv_flops(N: int, C_in: int, C_out: int, K: int, L: int) -> float:
    """Floating-point operations of one 'same' Conv1D forward+backward: three products of
    ``C_out x C_in*K x N*L`` multiply-adds (forward, dW, dcols), two flops each."""
    return 3 * 2.0 * C_out * C_in * K * N * L


def _with_ceiling(fns: dict[str, Callable[[], Any]], quick: bool) -> float:
    """Add the ceiling contender to ``fns``; return its flop count."""
    fns["ceiling"], flops = square_matmul(CEILING_N_QUICK if quick else CEILING_N)
    return flops


def _gflops_fields(flops: float, seconds: float, ceiling_flops: float, best: dict[str, float]) -> dict[str, float]:
    """``gflops`` of a row and the ``ceiling_gflops`` measured in the same rounds (the ceiling's best call)."""
    return {"gflops": flops / seconds / 1e9, "ceiling_gflops": ceiling_flops / best["ceiling"] / 1e9}


def bench_conv(quick: bool, torch: Any, log: Callable[[str], None]) -> list[Row]:
    """Rows for every MSDN-typical shape and the larger one (see the module docstring)."""
    rows: list[Row] = []
    n_naive = 1 if quick else 2
    fast_repeats = 3 if quick else 15
    naive_repeats = 1 if quick else 3
    large = LARGE_QUICK if quick else LARGE
    shapes = [dict(N=CONV_N, C_in=CONV_C_IN, C_out=CONV_C_OUT, K=k, L=L) for k in CONV_KS for L in CONV_LS]
    shapes.append(large)
    n_ceiling = CEILING_N_QUICK if quick else CEILING_N
    log(
        f"\n[1] Conv1D forward+backward, float32, median of {fast_repeats} (im2col, torch) / "
        f"{naive_repeats} (naive) interleaved repeats.\n    naive: timed on {n_naive} example(s) and scaled "
        f"by N/{n_naive} (its cost is linear in N); not timed on the larger shape (minutes).\n"
        f"    GFLOP/s bounded by a {n_ceiling}x{n_ceiling} numpy.matmul interleaved with each shape (its best call)."
    )
    progress = Progress(len(shapes), "bench [1] conv")
    for s in shapes:
        name = conv_name(**s)
        is_large = s is large
        fns = _conv_contenders(**s, n_naive=0 if is_large else n_naive, torch=torch)
        ceiling_flops = _with_ceiling(fns, quick)
        reps = {"im2col": fast_repeats, "naive": naive_repeats, "torch": fast_repeats, "ceiling": fast_repeats}
        c: dict[str, float] = {}
        best: dict[str, float] = {}
        t = interleaved_medians(fns, {k: reps[k] for k in fns}, no_warmup=("naive",), cpu=c, best=best,
                                min_sample=MIN_SAMPLE)  # fmt: skip
        if "naive" in t:
            t["naive"] *= s["N"] / n_naive
            c["naive"] *= s["N"] / n_naive
        flops = conv_flops(**s)
        g = {k: _gflops_fields(flops, t[k], ceiling_flops, best) for k in ("im2col", "torch") if k in t}
        shape_rows = [timed_row(name, "im2col", t, c, "torch" if "torch" in t else None, repeats=fast_repeats,
                                 **g["im2col"])]  # fmt: skip
        if "naive" in t:
            note = f"timed on {n_naive} of {s['N']} examples, scaled x{s['N'] // n_naive}"
            shape_rows.append(timed_row(name, "naive", t, c, "im2col", repeats=naive_repeats, note=note))
        if "torch" in t:
            shape_rows.append(timed_row(name, "torch", t, c, repeats=fast_repeats, **g["torch"]))
        mark_unreliable(shape_rows)
        rows += shape_rows
        log(_conv_line(s, t, c, shape_rows))
        progress.update(f"K={s['K']} L={s['L']}")
    return rows


def _conv_line(s: dict, t: dict[str, float], c: dict[str, float], rows: list[Row]) -> str:
    parts = [f"    K={s['K']} L={s['L']:<4d}" if s["N"] == CONV_N and s["C_in"] == CONV_C_IN else
             f"    large N={s['N']} C_in={s['C_in']} C_out={s['C_out']} K={s['K']} L={s['L']}"]  # fmt: skip
    for k in ("naive", "im2col", "torch"):
        if k in t:
            parts.append(f"{k} {t[k] * 1e3:9.2f} ms")
    if "naive" in t:
        parts.append(f"naive/im2col {t['naive'] / t['im2col']:7.0f}x")
    bad = [r["contender"] for r in rows if "unreliable" in r]
    if "torch" in t and not bad:
        parts.append(f"im2col/torch {t['im2col'] / t['torch']:5.2f} (cpu time {c['im2col'] / c['torch']:5.2f})")
    if "gflops" in rows[0] and not bad:
        parts.append(f"im2col {rows[0]['gflops']:5.1f} of {rows[0]['ceiling_gflops']:5.1f} GFLOP/s")
    if bad:
        parts.append(f"UNRELIABLE ({', '.join(bad)} above the ceiling measured with them; see the table)")
    return "  ".join(parts)


# --------------------------------------------------------------------------------------
# 2. The multi-scale convolutions: readable branches vs the fast fused layer
# --------------------------------------------------------------------------------------
def msdn_block_shape() -> dict[str, Any]:
    """The relation block of ``MSDN``'s defaults at the default training batch:
    ``N`` = batch size, ``C_in`` = the channels the kernels read (label_dim, or embed_dim
    for ``embedding="free"``), ``C_out`` = channels, the kernel sizes."""
    opts = MSDN(1, 2).options
    return dict(N=TrainConfig().batch_size, C_in=opts.kernel_channels, C_out=opts.channels,
                kernel_sizes=tuple(opts.kernel_sizes))  # fmt: skip


def block_name(N: int, C_in: int, C_out: int, kernel_sizes: tuple[int, ...], L: int) -> str:
    """The row name of a relation-block measurement."""
    return f"relation block N={N} C_in={C_in} C_out={C_out} K={kernel_sizes} L={L}"


def _block_contenders(N: int, C_in: int, C_out: int, kernel_sizes: tuple[int, ...], L: int):
    """readable: the ``Parallel`` of ``Sequential(Conv1D, ReLU)`` branches as ``models.MSDN`` builds it;
    fast: its fused twin ``nn.fast.MultiScaleConv1D`` (the same parameter arrays); forward+backward."""
    readable = MultiScaleConv1D(C_in, C_out, kernel_sizes, rng=0).to(np.float32).readable()
    fast = MultiScaleConv1D.of(readable)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C_in, L)).astype(np.float32)
    dout = rng.standard_normal((N, len(kernel_sizes) * C_out, L)).astype(np.float32)

    def step(block: Any) -> Callable[[], None]:
        return lambda: (block.forward(x), block.backward(dout))

    return {"fast": step(fast), "readable": step(readable)}


def bench_block(quick: bool, log: Callable[[str], None]) -> list[Row]:
    """The readable multi-scale convolutions vs the fast fused layer at MSDN's defaults, as L grows."""
    shape = msdn_block_shape()
    Ls = (14,) if quick else CONV_LS + (1000,)
    repeats = 5 if quick else 51
    log(
        f"\n[2] MSDN's convs (conv + ReLU per kernel size, forward+backward) at MSDN's defaults, N={shape['N']} "
        f"C_in={shape['C_in']} C_out={shape['C_out']} K={shape['kernel_sizes']}, float32, median of {repeats}:"
        f"\n    readable = one Conv1D per kernel size (the default); fast = nn.fast.MultiScaleConv1D (one shared"
        f"\n    im2col; its path, one product or one per kernel, by its rule)."
    )
    rows: list[Row] = []
    progress = Progress(len(Ls), "bench [2] block")
    for L in Ls:
        fns = _block_contenders(**shape, L=L)
        ceiling_flops = _with_ceiling(fns, quick)
        c: dict[str, float] = {}
        best: dict[str, float] = {}
        t = interleaved_medians(fns, {k: repeats for k in fns}, cpu=c, best=best, min_sample=MIN_SAMPLE)
        # the useful work, the same for both (the one-product path also multiplies zeros)
        flops = sum(conv_flops(shape["N"], shape["C_in"], shape["C_out"], k, L) for k in shape["kernel_sizes"])
        name = block_name(**shape, L=L)
        one = MultiScaleConv1D(shape["C_in"], shape["C_out"], shape["kernel_sizes"]).one_product(shape["N"], L)
        path = "one-product" if one else "per-kernel"
        block_rows = [
            timed_row(name, "fast", t, c, "readable", repeats=repeats, note=f"path: {path}",
                       **_gflops_fields(flops, t["fast"], ceiling_flops, best)),
            timed_row(name, "readable", t, c, repeats=repeats, **_gflops_fields(flops, t["readable"],
                       ceiling_flops, best)),
        ]  # fmt: skip
        mark_unreliable(block_rows)
        rows += block_rows
        verdict = "UNRELIABLE (above the ceiling; see the table)" if any("unreliable" in r for r in block_rows) else (
            f"fast/readable {t['fast'] / t['readable']:.2f} (cpu time {c['fast'] / c['readable']:.2f})")  # fmt: skip
        log(
            f"    L={L:<5d} fast {t['fast'] * 1e3:8.3f} ms ({path:<11s})  readable {t['readable'] * 1e3:8.3f} ms  "
            f"{verdict}"
        )
        progress.update(f"L={L}")
    return rows
