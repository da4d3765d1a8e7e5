"""Speed benchmark: naive loops vs im2col vs PyTorch, the fused block, epochs, large label sets.

Run it with ``msdn bench [--quick] [--json FILE]`` (or ``python -m msdn_numpy bench``).
One run measures, with the contenders *interleaved* (round robin, so a burst of load
from another process hits every contender alike) and reports the *median* of the
repeats, never a single timing:

1. **Conv1D forward+backward** on MSDN-typical shapes (``N=256, C_in=16, C_out=32``,
   ``K`` in 1, 3, 5, ``L`` in 6, 14, 53, 174) and one larger shape: the naive loops
   (:class:`~msdn_numpy.nn.conv.Conv1DNaive`), the im2col layer
   (:class:`~msdn_numpy.nn.conv.Conv1D`) and ``torch.nn.functional.conv1d`` with autograd.
   The naive loops would need ~40 s for one call at ``K=5, L=53``; their cost is exactly
   linear in ``N`` (the outer loop is over examples), so they are timed on a few examples
   and scaled to ``N``. The output says so on every such row.
2. **The relation block** at MSDN's defaults and training batch (``N=32, C_in=8,
   C_out=32, K=(1, 3, 5)``, then ReLU): :class:`~msdn_numpy.nn.multiscale.MultiScaleConv1D` (one
   shared im2col; one product, or one per kernel size on long label axes: the path its
   rule takes is noted on each row) vs the separate ``Conv1D`` branches, as ``L`` grows.
3. **One MSDN training epoch** on yeast (the bundled synthetic set without real data):
   this package (as ``models.MSDN`` builds it, and with its relation block swapped for
   the fused layer) vs the same architecture written with ``torch.nn`` (same sizes, same
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
import copy
import json
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from msdn_numpy.dataio.benchmarks import load_dataset
from msdn_numpy.dataio.label_orders import label_order
from msdn_numpy.dataio.preprocessing import Standardizer, train_val_split
from msdn_numpy.models import MSDN
from msdn_numpy.nn.conv import Conv1D, Conv1DNaive
from msdn_numpy.nn.layers import Parallel, ReLU, Sequential
from msdn_numpy.nn.losses import BCEWithLogits
from msdn_numpy.nn.multiscale import MultiScaleConv1D
from msdn_numpy.nn.optim import Adam
from msdn_numpy.train import TrainConfig
from msdn_numpy.util.files import atomic_write, write_text
from msdn_numpy.util.progress import Progress
from msdn_numpy.util.threads import BLASNotFound, get_blas_threads, openblas_libraries, policy_threads, set_blas_threads
from msdn_numpy.util.timing import (
    affine_fit,
    interleaved_medians,
    loglog_slope,
    mark_unreliable,
    peak_memory,
    slope_verdicts,
    square_matmul,
)

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


def _row(name: str, contender: str, seconds: float | None, ratio_vs: str | None = None,
         ratio: float | None = None, **extra: Any) -> Row:  # fmt: skip
    return {"name": name, "contender": contender, "seconds": seconds, "ratio_vs": ratio_vs, "ratio": ratio, **extra}


def _timed_row(name: str, contender: str, t: dict[str, float], c: dict[str, float], ratio_vs: str | None = None,
               **extra: Any) -> Row:  # fmt: skip
    """A row with wall and CPU medians, and both ratios against contender ``ratio_vs``."""
    if ratio_vs is None:
        return _row(name, contender, t[contender], cpu_seconds=c[contender], **extra)
    return _row(name, contender, t[contender], ratio_vs, t[contender] / t[ratio_vs], cpu_seconds=c[contender],
                cpu_ratio=c[contender] / c[ratio_vs], **extra)  # fmt: skip


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


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
        shape_rows = [_timed_row(name, "im2col", t, c, "torch" if "torch" in t else None, repeats=fast_repeats,
                                 **g["im2col"])]  # fmt: skip
        if "naive" in t:
            note = f"timed on {n_naive} of {s['N']} examples, scaled x{s['N'] // n_naive}"
            shape_rows.append(_timed_row(name, "naive", t, c, "im2col", repeats=naive_repeats, note=note))
        if "torch" in t:
            shape_rows.append(_timed_row(name, "torch", t, c, repeats=fast_repeats, **g["torch"]))
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
# 2. The relation block: fused (one shared im2col) vs the separate branches
# --------------------------------------------------------------------------------------
def msdn_block_shape() -> dict[str, Any]:
    """The relation block of ``MSDN``'s defaults at the default training batch:
    ``N`` = batch size, ``C_in`` = embed_dim, ``C_out`` = channels, the kernel sizes."""
    model = MSDN(1, 2)
    return dict(N=TrainConfig().batch_size, C_in=model.embed_dim, C_out=model.channels,
                kernel_sizes=tuple(model.kernel_sizes))  # fmt: skip


def block_name(N: int, C_in: int, C_out: int, kernel_sizes: tuple[int, ...], L: int) -> str:
    """The row name of a relation-block measurement."""
    return f"relation block N={N} C_in={C_in} C_out={C_out} K={kernel_sizes} L={L}"


def _block_contenders(N: int, C_in: int, C_out: int, kernel_sizes: tuple[int, ...], L: int):
    """fused: ``Sequential(MultiScaleConv1D, ReLU)``; separate: the ``Parallel`` of
    ``Sequential(Conv1D, ReLU)`` branches as ``models.MSDN`` builds it; same weights, forward+backward."""
    fused = MultiScaleConv1D(C_in, C_out, kernel_sizes, rng=0)
    fused_block = Sequential(fused, ReLU()).to(np.float32)
    separate = Parallel([Sequential(conv, ReLU()) for conv in fused.to_branches()], axis=1).to(np.float32)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C_in, L)).astype(np.float32)
    dout = rng.standard_normal((N, len(kernel_sizes) * C_out, L)).astype(np.float32)

    def step(block: Any) -> Callable[[], None]:
        return lambda: (block.forward(x), block.backward(dout))

    return {"fused": step(fused_block), "separate": step(separate)}


def bench_block(quick: bool, log: Callable[[str], None]) -> list[Row]:
    """Fused vs separate relation block at MSDN's defaults, as the label axis grows."""
    shape = msdn_block_shape()
    Ls = (14,) if quick else CONV_LS + (1000,)
    repeats = 5 if quick else 51
    log(
        f"\n[2] The relation block (conv + ReLU, forward+backward) at MSDN's defaults, N={shape['N']} "
        f"C_in={shape['C_in']} C_out={shape['C_out']} K={shape['kernel_sizes']}, float32, median of {repeats}:"
        f"\n    fused = MultiScaleConv1D (one shared im2col; its path, one product or one per kernel, by its rule);"
        f"\n    separate = one Conv1D per kernel size."
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
            _timed_row(name, "fused", t, c, "separate", repeats=repeats, note=f"path: {path}",
                       **_gflops_fields(flops, t["fused"], ceiling_flops, best)),
            _timed_row(name, "separate", t, c, repeats=repeats, **_gflops_fields(flops, t["separate"],
                       ceiling_flops, best)),
        ]  # fmt: skip
        mark_unreliable(block_rows)
        rows += block_rows
        verdict = "UNRELIABLE (above the ceiling; see the table)" if any("unreliable" in r for r in block_rows) else (
            f"fused/separate {t['fused'] / t['separate']:.2f} (cpu time {c['fused'] / c['separate']:.2f})")  # fmt: skip
        log(
            f"    L={L:<5d} fused {t['fused'] * 1e3:8.3f} ms ({path:<11s})  separate {t['separate'] * 1e3:8.3f} ms  "
            f"{verdict}"
        )
        progress.update(f"L={L}")
    return rows


# --------------------------------------------------------------------------------------
# 3. One MSDN training epoch: NumPy vs the same network in torch.nn
# --------------------------------------------------------------------------------------
def relation_weights(model: MSDN) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(W (c, d, k), b (c,))`` of each kernel size of MSDN's relation block, in order, whether
    the block is the ``Parallel`` of ``Sequential(Conv1D, ReLU)`` branches or
    ``Sequential(MultiScaleConv1D, ReLU)``."""
    relations = model.relations
    if isinstance(relations, Parallel):
        return [(b.layers[0].params["W"], b.layers[0].params["b"]) for b in relations.branches]
    fused = relations.layers[0]
    return [(fused.params[f"W{k}"], fused.params[f"b{k}"]) for k in fused.kernel_sizes]


def build_torch_msdn(model: MSDN, torch: Any) -> Any:
    """The same architecture as ``model`` in ``torch.nn``, with ``model``'s weights copied in.

    Linear → ReLU (→ Dropout) = ``h``; the label-wise head Linear(h); the embedding
    Linear → Linear → reshape ``(N, d, L)`` → tanh; one Conv1d per kernel size with our
    'same' padding (left ``(k-1)//2``, right ``k//2``: Conv1d's own symmetric zero padding
    for odd ``k``, an explicit ``F.pad`` for even ``k`` or circular padding) → ReLU →
    concat → 1×1 Conv1d → ``s[:, 0, inverse]`` (back to the dataset's label order, as
    :meth:`MSDN.forward` does) added to the head. PyTorch stores a Linear's weight as
    ``(D_out, D_in)``, the transpose of our ``W``.
    """
    nn, F = torch.nn, torch.nn.functional
    d, L = model.embed_dim, model.L
    ks = model.kernel_sizes
    dropout = model.config["dropout"]
    circular = model.config["padding_mode"] == "circular"

    def pad(z: Any, k: int) -> Any:  # our 'same' split; Conv1d pads odd zero cases itself
        if not circular and k % 2:
            return z
        return F.pad(z, ((k - 1) // 2, k // 2), mode="circular" if circular else "constant")

    class TorchMSDN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            enc: list[Any] = [nn.Linear(model.D, model.hidden), nn.ReLU()]
            if dropout > 0:
                enc.append(nn.Dropout(dropout))
            self.encoder = nn.Sequential(*enc)
            self.head = nn.Linear(model.hidden, L)
            self.embed = nn.Sequential(nn.Linear(model.hidden, model.rank), nn.Linear(model.rank, d * L))
            self.branches = nn.ModuleList(
                nn.Conv1d(d, model.channels, k, padding=(k - 1) // 2 if k % 2 and not circular else 0) for k in ks
            )
            self.readout = nn.Conv1d(model.channels * len(ks), 1, 1)
            self.register_buffer("inverse", torch.as_tensor(model.inverse))

        def forward(self, x: Any) -> Any:
            h = self.encoder(x)
            z = torch.tanh(self.embed(h).reshape(-1, d, L))
            feats = [F.relu(conv(pad(z, k))) for k, conv in zip(ks, self.branches)]
            return self.head(h) + self.readout(torch.cat(feats, dim=1))[:, 0, self.inverse]

    tm = TorchMSDN()
    ours = dict((name, p) for name, p, _ in model.named_parameters())
    pairs = [(tm.encoder[0], "encoder.0"), (tm.head, "head"), (tm.embed[0], "embed.0"), (tm.embed[1], "embed.1")]
    pairs = [(layer, ours[f"{name}.W"], ours[f"{name}.b"]) for layer, name in pairs]
    pairs += [(tm.readout, ours["readout.W"], ours["readout.b"])]
    pairs += [(conv, W, b) for conv, (W, b) in zip(tm.branches, relation_weights(model))]
    dtype = getattr(torch, np.dtype(model.dtype).name)
    with torch.no_grad():
        for layer, W, b in pairs:
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T if W.ndim == 2 else W)))
            layer.bias.copy_(torch.from_numpy(b))
    return tm.to(dtype)


def check_torch_msdn(model: MSDN, tm: Any, X: np.ndarray, torch: Any) -> dict[str, Any]:
    """Parameter counts and the largest forward difference (evaluation mode)."""
    was = model.training
    model.eval()
    tm.eval()
    with torch.no_grad():
        ref = tm(torch.from_numpy(X)).numpy()
    ours = model.forward(X)
    model.train(was)
    tm.train(was)
    return {
        "numpy_params": model.num_parameters(),
        "torch_params": int(sum(p.numel() for p in tm.parameters())),
        "forward_max_abs_diff": float(np.max(np.abs(ours - ref))),
        "forward_max_abs_output": float(np.max(np.abs(ref))),
    }


def numpy_epoch(model: MSDN, opt: Adam, loss: BCEWithLogits, X: np.ndarray, T: np.ndarray,
                order: np.ndarray, batch_size: int) -> float:  # fmt: skip
    """One pass over ``X`` in minibatches: exactly the inner loop of :func:`msdn_numpy.train.fit`."""
    total = 0.0
    for i in range(0, len(X), batch_size):
        idx = order[i : i + batch_size]
        out = model.forward(X[idx])
        total += loss.forward(out, T[idx]) * len(idx)
        model.backward(loss.backward())
        opt.step()
    return total / len(X)


def torch_epoch(tm: Any, opt: Any, X: Any, T: Any, order: Any, batch_size: int, torch: Any) -> float:
    """The same loop in PyTorch eager: zero_grad, forward, BCE-with-logits (mean), backward, step."""
    F = torch.nn.functional
    total = 0.0
    for i in range(0, len(X), batch_size):
        idx = order[i : i + batch_size]
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(tm(X[idx]), T[idx])
        total += loss.item() * len(idx)  # fit() turns each batch loss into a Python float too
        loss.backward()
        opt.step()
    return total / len(X)


def branches_msdn(model: MSDN) -> MSDN | None:
    """A copy of ``model`` whose relation block is the readable version: the ``Parallel`` of
    ``Sequential(Conv1D, ReLU)`` branches, with the same weights as its fused layer.

    The same function (tests: to 1e-12 in float64), so the epoch can be timed both ways.
    ``None`` when the model's relation block is not ``Sequential(MultiScaleConv1D, ReLU)``.
    """
    relations = getattr(model, "relations", None)
    if not isinstance(relations, Sequential) or not isinstance(relations.layers[0], MultiScaleConv1D):
        return None
    twin = copy.deepcopy(model)
    convs = [conv.to(model.dtype) for conv in twin.relations.layers[0].to_branches()]
    twin.relations = Parallel([Sequential(conv, ReLU()) for conv in convs], axis=1)
    return twin


def _epoch_contenders(X: np.ndarray, Y: np.ndarray, torch: Any, seed: int = 0, branches: bool = False):
    """Closures each running one epoch of MSDN (defaults) on ``X, Y``: ``numpy`` (``models.MSDN``
    as built, with the fused relation block), ``numpy branches`` (its relation block swapped
    for the readable separate branches; only when ``branches``) and ``torch``. Same initial
    weights and minibatches for all.

    Returns the closures and the torch-equivalence checks (empty without torch).
    """
    config = TrainConfig()
    X = X.astype(np.float32)
    T = Y.astype(np.float32)
    model = MSDN(X.shape[1], Y.shape[1], seed=seed).to(np.float32)
    twin = branches_msdn(model) if branches else None
    loss = BCEWithLogits()
    order = np.random.default_rng(seed + 1).permutation(len(X))
    fns: dict[str, Callable[[], Any]] = {}
    for key, m in (("numpy", model), ("numpy branches", twin)):
        if m is not None:
            opt = Adam(m, lr=config.lr, weight_decay=config.weight_decay)
            fns[key] = lambda m=m, opt=opt: numpy_epoch(m, opt, loss, X, T, order, config.batch_size)
    checks: dict[str, Any] = {}
    if torch is not None:
        tm = build_torch_msdn(model, torch)
        checks = check_torch_msdn(model, tm, X[: config.batch_size * 4], torch)
        topt = torch.optim.Adam(tm.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        Xt, Tt, ot = torch.from_numpy(X), torch.from_numpy(T), torch.from_numpy(order)
        fns["torch"] = lambda: torch_epoch(tm, topt, Xt, Tt, ot, config.batch_size, torch)
    return fns, checks


def epoch_data(data_dir: str | None) -> tuple[str, np.ndarray, np.ndarray, str]:
    """yeast's training part as :func:`~msdn_numpy.train.train_model` sees it, else the synthetic set.

    Returns the dataset name, standardised ``X (N, D)``, ``Y (N, L)`` and why yeast was
    not used (``""`` when it was).
    """
    why = ""
    try:
        train, _ = load_dataset("yeast", data_dir)
    except (FileNotFoundError, ValueError) as e:  # DataError is a ValueError
        why = f"yeast not available ({e}); using the bundled synthetic set"
        train, _ = load_dataset("synthetic")
    fit_part, _ = train_val_split(train, val_fraction=TrainConfig().val_fraction, seed=0)
    return train.name, Standardizer().fit(fit_part.X).transform(fit_part.X), fit_part.Y, why


def _epoch_rows(name: str, t: dict[str, float], c: dict[str, float], repeats: int,
                memory: dict[str, int | None] | None = None) -> tuple[list[Row], str]:  # fmt: skip
    """Rows (every NumPy contender's ratio against torch) and a one-line summary of one epoch measurement."""
    rows, parts = [], []
    for k in ("numpy", "numpy branches", "torch"):
        if k not in t:
            continue
        extra: dict[str, Any] = {"repeats": repeats}
        if memory is not None and memory.get(k) is not None:
            extra["bytes"] = memory[k]
            extra["note"] = "bytes: peak resident memory of one epoch"
        rows.append(_timed_row(name, k, t, c, "torch" if k != "torch" and "torch" in t else None, **extra))
        mem = f", peak {memory[k] / 2**20:.0f} MiB" if memory is not None and memory.get(k) is not None else ""
        parts.append(f"{k} {t[k]:.3f} s{mem}")
    for k in ("numpy", "numpy branches"):
        if k in t and "torch" in t:
            parts.append(f"{k}/torch {t[k] / t['torch']:.2f} (cpu time {c[k] / c['torch']:.2f})")
    if "numpy branches" in t:
        parts.append(f"fused/branches {t['numpy'] / t['numpy branches']:.2f}")
    return rows, "    " + "  ".join(parts)


def bench_epoch(data_dir: str | None, quick: bool, torch: Any, log: Callable[[str], None]):
    """Rows for one training epoch, and the torch-equivalence checks."""
    name_ds, X, Y, why = epoch_data(data_dir)
    repeats = 3 if quick else 9
    fns, checks = _epoch_contenders(X, Y, torch, branches=True)
    cfg = TrainConfig()
    log(
        f"\n[3] One MSDN training epoch on {name_ds}: {len(X)} examples, D={X.shape[1]}, L={Y.shape[1]}, "
        f"batch {cfg.batch_size}, Adam, float32, MSDN defaults; median of {repeats} interleaved epochs."
        + (f"\n    {why}" if why else "")
    )
    if checks:
        same = checks["numpy_params"] == checks["torch_params"]
        log(
            f"    torch model: {checks['torch_params']:,} parameters (ours {checks['numpy_params']:,}: "
            f"{'equal' if same else 'DIFFERENT'}); forward max |diff| {checks['forward_max_abs_diff']:.1e} "
            f"(outputs up to {checks['forward_max_abs_output']:.1f})"
        )
    c: dict[str, float] = {}
    t = interleaved_medians(fns, {k: repeats for k in fns}, cpu=c)
    rows, line = _epoch_rows(f"msdn epoch {name_ds}", t, c, repeats)
    log(line)
    return rows, checks


# --------------------------------------------------------------------------------------
# 4. Large label sets: one epoch at L = 1,000 and 4,000, and its memory
# --------------------------------------------------------------------------------------
def label_set_data(N: int, L: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random standardised features ``X (N, 100)`` and sparse labels ``Y (N, L)``: 2% of
    the labels on per example (cardinality 0.02 L), as in large real sets."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, 100)).astype(np.float32), (rng.random((N, L)) < 0.02).astype(np.float32)


def bench_label_sets(quick: bool, torch: Any, log: Callable[[str], None]) -> list[Row]:
    """One MSDN epoch (numpy, numpy branches, torch) at each large L: time and peak memory; the label order's time."""
    Ls, N = (LABEL_SETS_QUICK, LABEL_SETS_N_QUICK) if quick else (LABEL_SETS, LABEL_SETS_N)
    repeats = 1 if quick else 3
    log(
        f"\n[4] Large label sets: one MSDN epoch (defaults, batch {TrainConfig().batch_size}) on random data, "
        f"N={N}, D=100, 2% of labels on; median of {repeats}; peak memory = extra resident memory of one epoch "
        "(measured alike for NumPy and torch); label order = the default 'cooccurrence' order of Y."
    )
    rows: list[Row] = []
    progress = Progress(len(Ls), "bench [4] labels")
    for L in Ls:
        X, Y = label_set_data(N, L)
        fns, _ = _epoch_contenders(X, Y, torch, branches=True)
        c: dict[str, float] = {}
        t = interleaved_medians(fns, {k: repeats for k in fns}, cpu=c)
        memory = {k: peak_memory(fn) for k, fn in fns.items()}
        epoch_rows, line = _epoch_rows(f"msdn epoch random N={N} L={L}", t, c, repeats, memory)
        start = time.perf_counter()
        label_order(Y, "cooccurrence")
        seconds = time.perf_counter() - start
        rows += epoch_rows + [_row(f"label order cooccurrence N={N} L={L}", "numpy", seconds, note="one call")]
        log(f"    L={L:<5d}" + line.strip() + f"  label order {seconds:.2f} s")
        progress.update(f"L={L}")
    return rows


# --------------------------------------------------------------------------------------
# 5. Scaling in L and N
# --------------------------------------------------------------------------------------
def bench_scaling(quick: bool, torch: Any, log: Callable[[str], None]) -> tuple[list[Row], dict[str, Any]]:
    """Seconds per epoch on random data as L grows (N fixed) and as N grows (L fixed)."""
    D = 100
    if quick:
        Ls, N_for_L, Ns, L_for_N, repeats = (6, 53, 200), 128, (64, 128, 256), 14, 1
    else:
        Ls, N_for_L, Ns, L_for_N, repeats = (6, 14, 53, 174, 500, 1000), 512, (512, 1024, 2048, 4096, 8192), 14, 5
    log(
        f"\n[5] Scaling: seconds per epoch on random data (D={D}, MSDN defaults, batch {TrainConfig().batch_size}), "
        f"median of {repeats}:\n    L in {list(Ls)} at N={N_for_L}; N in {list(Ns)} at L={L_for_N}."
    )
    progress = Progress(len(Ls) + len(Ns), "bench [5] scaling")
    rows: list[Row] = []
    series: dict[str, dict[str, list[float]]] = {"L": {}, "N": {}}
    cpu_series: dict[str, dict[str, list[float]]] = {"L": {}, "N": {}}
    rng = np.random.default_rng(0)
    points = [("L", N_for_L, L) for L in Ls] + [("N", N, L_for_N) for N in Ns]
    for axis, N, L in points:
        X = rng.standard_normal((N, D)).astype(np.float32)
        Y = (rng.random((N, L)) < 0.2).astype(np.float32)
        fns, _ = _epoch_contenders(X, Y, torch)
        c: dict[str, float] = {}
        t = interleaved_medians(fns, {k: repeats for k in fns}, cpu=c)
        name = f"scaling epoch N={N} L={L}"
        rows.append(_timed_row(name, "numpy", t, c, "torch" if "torch" in t else None, repeats=repeats, axis=axis))
        if "torch" in t:
            rows.append(_timed_row(name, "torch", t, c, repeats=repeats, axis=axis))
        for k, v in t.items():
            series[axis].setdefault(k, []).append(v)
            cpu_series[axis].setdefault(k, []).append(c[k])
        log(f"    N={N:<5d} L={L:<5d} " + "  ".join(f"{k} {v:7.3f} s" for k, v in t.items()))
        progress.update(f"N={N} L={L}")
    slopes, fits = {}, {}
    for axis, xs in (("L", Ls), ("N", Ns)):
        for k, ys in series[axis].items():
            slopes[f"{k} vs {axis}"] = loglog_slope(list(xs), ys)
            # the upper half: where the per-batch fixed costs no longer dominate
            half = len(xs) // 2
            slopes[f"{k} vs {axis} (upper half)"] = loglog_slope(list(xs[half:]), ys[half:])
            slopes[f"{k} vs {axis} (cpu time)"] = loglog_slope(list(xs), cpu_series[axis][k])
            a, _, resid = affine_fit(list(xs), ys)
            fits[f"{k} vs {axis}: fixed share at {axis}={xs[0]}"] = a / ys[0]
            fits[f"{k} vs {axis}: affine fit max residual"] = resid
    unreliable = slope_verdicts(slopes)
    log("    log-log slopes (1 = linear) and affine fits:")
    for k, v in slopes.items():
        log(f"      {k:<40s} " + (f"UNRELIABLE: {unreliable[k]}" if k in unreliable else f"{v:6.2f}"))
    for k, v in fits.items():
        log(f"      {k:<40s} {v:6.2f}")
    return rows, {"slopes": slopes, "fits": fits, "unreliable_slopes": unreliable, "Ls": list(Ls), "Ns": list(Ns),
                  "N_for_L": N_for_L, "L_for_N": L_for_N, "series": series}  # fmt: skip


def scaling_figure(scaling: dict[str, Any], path: Path) -> Path | None:
    """Log-log plot of seconds per epoch vs L and vs N (matplotlib Agg); None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, axis, xs, fixed in (
        (axes[0], "L", scaling["Ls"], f"N={scaling['N_for_L']}"),
        (axes[1], "N", scaling["Ns"], f"L={scaling['L_for_N']}"),
    ):
        for k, ys in scaling["series"][axis].items():
            key = f"{k} vs {axis}"
            slope = "unreliable" if key in scaling["unreliable_slopes"] else f"{scaling['slopes'][key]:.2f}"
            ax.loglog(xs, ys, "o-", label=f"{k} (slope {slope})")
        ref = np.asarray(xs, dtype=float)
        ys0 = scaling["series"][axis]["numpy"]
        ax.loglog(ref, ys0[-1] * ref / ref[-1], "k:", label="linear (slope 1)")
        ax.set_xticks(xs, [str(x) for x in xs])  # the measured sizes, not crowded minor ticks
        ax.minorticks_off()
        ax.set_xlabel("labels L" if axis == "L" else "examples N")
        ax.set_ylabel("seconds per epoch")
        ax.set_title(f"epoch time vs {axis} ({fixed})")
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as f:  # never a half-written figure
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)
    return path


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
        _row(name, "input", None, bytes=x.nbytes),
        _row(name, "forward peak", None, "input", peak_fwd / x.nbytes, bytes=peak_fwd,
             note="cached im2col matrix + padded input + output"),
        _row(name, "backward peak", None, "input", peak_bwd / x.nbytes, bytes=peak_bwd,
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
    rows = [_row(names["square"], "gflops", t["square"], gflops=g["square"], best_gflops=ceiling_g, repeats=repeats)]
    log(
        f"\n[7] GFLOP/s (median of {repeats}, interleaved); ceiling numpy.matmul {n}x{n} float32: "
        f"{ceiling_g:.1f} GFLOP/s (its best call; median {g['square']:.1f})"
    )
    for k in list(names)[1:]:
        row = _row(names[k], "gflops", t[k], "gflops/" + ceiling, g[k] / ceiling_g, gflops=g[k],
                   ceiling_gflops=ceiling_g, repeats=repeats)  # fmt: skip
        mark_unreliable([row])
        rows.append(row)
        share = f"({g[k] / ceiling_g:.0%} of the ceiling)"
        shown = "UNRELIABLE: " + row["unreliable"] if "unreliable" in row else share
        log(f"    {names[k]:<78s} {g[k]:6.1f} GFLOP/s {shown}")
    return rows


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
    torch = _import_torch()
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
