"""Sections 3 to 5 of ``msdn bench``: one MSDN training epoch (NumPy vs its torch twin),
large label sets, scaling in L and N.

Part of :mod:`msdn_numpy.tools.bench` (its docstring describes the whole benchmark).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from msdn_numpy.dataio.benchmarks import load_dataset
from msdn_numpy.dataio.label_orders import label_order
from msdn_numpy.dataio.preprocessing import Standardizer, train_val_split
from msdn_numpy.models import MSDN
from msdn_numpy.nn.fast import FlatAdam, accelerate
from msdn_numpy.nn.losses import BCEWithLogits
from msdn_numpy.nn.optim import Adam
from msdn_numpy.tools.bench.common import (
    LABEL_SETS,
    LABEL_SETS_N,
    LABEL_SETS_N_QUICK,
    LABEL_SETS_QUICK,
    Row,
    make_row,
    timed_row,
)
from msdn_numpy.tools.bench.torch_twin import build_torch_msdn, check_torch_msdn, torch_epoch
from msdn_numpy.train import TrainConfig
from msdn_numpy.util.files import atomic_write
from msdn_numpy.util.progress import Progress
from msdn_numpy.util.timing import (
    affine_fit,
    interleaved_medians,
    loglog_slope,
    peak_memory,
    slope_verdicts,
)

# --------------------------------------------------------------------------------------
# 3. One MSDN training epoch: NumPy vs the same network in torch.nn
# --------------------------------------------------------------------------------------


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


def _epoch_contenders(X: np.ndarray, Y: np.ndarray, torch: Any, seed: int = 0):
    """Closures each running one epoch of MSDN (defaults) on ``X, Y``: ``numpy`` (``models.MSDN`` as
    built, the readable layers, Adam), ``numpy fast`` (a copy with the fast twins of ``nn.fast``
    swapped in, FlatAdam: ``TrainConfig(fast=True)``) and ``torch``. Same initial weights and
    minibatches for all.

    Returns the closures and the torch-equivalence checks (empty without torch).
    """
    config = TrainConfig()
    X = X.astype(np.float32)
    T = Y.astype(np.float32)
    model = MSDN(X.shape[1], Y.shape[1], seed=seed).to(np.float32)
    fast = accelerate(copy.deepcopy(model))
    loss = BCEWithLogits()
    order = np.random.default_rng(seed + 1).permutation(len(X))
    fns: dict[str, Callable[[], Any]] = {}
    for key, m, optimizer in (("numpy", model, Adam), ("numpy fast", fast, FlatAdam)):
        opt = optimizer(m, lr=config.lr, weight_decay=config.weight_decay)
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
    for k in ("numpy", "numpy fast", "torch"):
        if k not in t:
            continue
        extra: dict[str, Any] = {"repeats": repeats}
        if memory is not None and memory.get(k) is not None:
            extra["bytes"] = memory[k]
            extra["note"] = "bytes: peak resident memory of one epoch"
        rows.append(timed_row(name, k, t, c, "torch" if k != "torch" and "torch" in t else None, **extra))
        mem = f", peak {memory[k] / 2**20:.0f} MiB" if memory is not None and memory.get(k) is not None else ""
        parts.append(f"{k} {t[k]:.3f} s{mem}")
    for k in ("numpy", "numpy fast"):
        if k in t and "torch" in t:
            parts.append(f"{k}/torch {t[k] / t['torch']:.2f} (cpu time {c[k] / c['torch']:.2f})")
    if "numpy fast" in t:
        parts.append(f"fast/readable {t['numpy fast'] / t['numpy']:.2f}")
    return rows, "    " + "  ".join(parts)


def bench_epoch(data_dir: str | None, quick: bool, torch: Any, log: Callable[[str], None]):
    """Rows for one training epoch, and the torch-equivalence checks."""
    name_ds, X, Y, why = epoch_data(data_dir)
    repeats = 3 if quick else 9
    fns, checks = _epoch_contenders(X, Y, torch)
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
    """One MSDN epoch (numpy, numpy fast, torch) at each large L: time and peak memory; the label order's time."""
    Ls, N = (LABEL_SETS_QUICK, LABEL_SETS_N_QUICK) if quick else (LABEL_SETS, LABEL_SETS_N)
    repeats = 1 if quick else 3
    log(
        f"\n[4] Large label sets: one MSDN epoch (defaults, batch {TrainConfig().batch_size}) on random data, "
        f"N={N}, D=100, 2% of labels on; median of {repeats}; peak memory = extra resident memory of one epoch "
        "(measured alike for NumPy and torch); cooccurrence order = the time of label_order(Y, 'cooccurrence') "
        "(the default order, 'given', costs nothing)."
    )
    rows: list[Row] = []
    progress = Progress(len(Ls), "bench [4] labels")
    for L in Ls:
        X, Y = label_set_data(N, L)
        fns, _ = _epoch_contenders(X, Y, torch)
        c: dict[str, float] = {}
        t = interleaved_medians(fns, {k: repeats for k in fns}, cpu=c)
        memory = {k: peak_memory(fn) for k, fn in fns.items()}
        epoch_rows, line = _epoch_rows(f"msdn epoch random N={N} L={L}", t, c, repeats, memory)
        start = time.perf_counter()
        label_order(Y, "cooccurrence")
        seconds = time.perf_counter() - start
        rows += epoch_rows + [make_row(f"label order cooccurrence N={N} L={L}", "numpy", seconds, note="one call")]
        log(f"    L={L:<5d}" + line.strip() + f"  cooccurrence order {seconds:.2f} s")
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
        rows.append(timed_row(name, "numpy", t, c, "torch" if "torch" in t else None, repeats=repeats, axis=axis))
        if "torch" in t:
            rows.append(timed_row(name, "torch", t, c, repeats=repeats, axis=axis))
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
