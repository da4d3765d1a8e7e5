"""msdn_numpy.tools.bench and msdn_numpy.util.timing: every row is produced, impossible ones are marked.

Speed itself is never asserted (the numbers depend on the machine and its load); these
tests check the *shape* of the results: every expected (name, contender) row, the JSON
keys, that the PyTorch network the epoch benchmark times computes the same function
as :class:`msdn_numpy.models.MSDN` (same parameter count, same forward outputs), and that
fabricated impossible measurements (above their ceiling, a negative slope) are marked
unreliable, not shown. (That the fast twins timed beside the readable MSDN compute the same
function is tested in ``test_fast.py``.)
"""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

from msdn_numpy.models import MSDN
from msdn_numpy.tools.bench import common, conv, epoch, run, torch_twin
from msdn_numpy.util import timing
from msdn_numpy.util.threads import get_blas_threads, set_blas_threads

ROW_KEYS = {"name", "contender", "seconds", "ratio_vs", "ratio"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, torch):
    """One ``--quick`` run (seconds): its JSON, its printed lines and the figures folder.

    ``torch``: the bench imports PyTorch itself; the fixture skips, naming the extra, without it.
    """
    out = tmp_path_factory.mktemp("bench")
    lines: list[str] = []
    before = get_blas_threads()
    set_blas_threads(2)  # the bench sets its own count (1 here) and restores this one
    try:
        code = run.run_bench(
            quick=True, json_path=out / "bench.json", data_dir=None,
            figures_dir=out / "figures", threads=1, log=lines.append,
        )  # fmt: skip
        restored = get_blas_threads()
    finally:
        set_blas_threads(before)
    assert code == 0 and restored == 2
    return json.loads((out / "bench.json").read_text()), "\n".join(lines), out


def _pairs(result: dict) -> set[tuple[str, str]]:
    return {(r["name"], r["contender"]) for r in result["rows"]}


def test_json_has_the_documented_keys(quick_run) -> None:
    result, _, _ = quick_run
    assert {"machine", "rows"} <= set(result)
    for key in ("cpu", "cores", "threads", "numpy", "torch", "load_start", "load_end"):
        assert key in result["machine"]
    # the thread counts in force during the run, read back from both libraries
    assert result["machine"]["threads"] == result["machine"]["blas_threads"] == result["machine"]["torch_threads"] == 1
    assert isinstance(result["checks"]["unreliable"], list)
    assert result["rows"]
    for row in result["rows"]:
        assert ROW_KEYS <= set(row), row


def test_every_conv_row_is_there(quick_run) -> None:
    result, text, _ = quick_run
    pairs = _pairs(result)
    for K in common.CONV_KS:
        for L in common.CONV_LS:
            name = conv.conv_name(common.CONV_N, common.CONV_C_IN, common.CONV_C_OUT, K, L)
            assert {(name, "naive"), (name, "im2col"), (name, "torch")} <= pairs, name
    large = conv.conv_name(**common.LARGE_QUICK)
    assert {(large, "im2col"), (large, "torch")} <= pairs
    by_key = {(r["name"], r["contender"]): r for r in result["rows"]}
    for (name, contender), row in by_key.items():  # every fast conv row is bounded by a ceiling measured with it
        if name.startswith("conv1d") and contender in ("im2col", "torch"):
            assert row["gflops"] > 0 and row["ceiling_gflops"] > 0
    k5 = conv.conv_name(common.CONV_N, common.CONV_C_IN, common.CONV_C_OUT, 5, 53)
    assert by_key[(k5, "naive")]["ratio_vs"] == "im2col"  # naive/im2col
    assert by_key[(k5, "im2col")]["ratio_vs"] == "torch"  # im2col/torch
    assert "scaled" in by_key[(k5, "naive")]["note"]  # the output says naive was scaled
    assert "scaled by N/" in text


def test_block_and_large_label_rows(quick_run) -> None:
    result, text, _ = quick_run
    rows = {(r["name"], r["contender"]): r for r in result["rows"]}
    block = conv.block_name(**conv.msdn_block_shape(), L=14)
    assert rows[(block, "fast")]["ratio_vs"] == "readable" and (block, "readable") in rows
    assert rows[(block, "fast")]["note"] in ("path: one-product", "path: per-kernel")  # the path the rule took
    assert "fast/readable" in text
    for L in common.LABEL_SETS_QUICK:
        name = f"msdn epoch random N={common.LABEL_SETS_N_QUICK} L={L}"
        for contender in ("numpy", "numpy fast", "torch"):
            assert rows[(name, contender)]["bytes"] > 0  # peak memory of one epoch, for torch too
        assert rows[(name, "numpy")]["ratio_vs"] == "torch"
        assert rows[(f"label order cooccurrence N={common.LABEL_SETS_N_QUICK} L={L}", "numpy")]["seconds"] > 0
    assert "[4] Large label sets" in text


def test_epoch_scaling_memory_and_gflops_rows(quick_run) -> None:
    result, text, out = quick_run
    rows = result["rows"]
    epoch = [r for r in rows if r["name"].startswith("msdn epoch ") and "random" not in r["name"]]
    assert {r["contender"] for r in epoch} == {"numpy", "numpy fast", "torch"}
    assert next(r for r in epoch if r["contender"] == "numpy")["ratio_vs"] == "torch"
    scaling = [r for r in rows if r["name"].startswith("scaling epoch ")]
    assert {r["axis"] for r in scaling} == {"L", "N"}
    assert {r["contender"] for r in scaling} == {"numpy", "torch"}
    slopes = result["checks"]["slopes"]
    assert {"numpy vs L", "numpy vs N", "torch vs L", "torch vs N"} <= set(slopes)
    memory = {r["contender"]: r for r in rows if r["name"].startswith("im2col memory")}
    assert set(memory) == {"input", "forward peak", "backward peak"}
    assert memory["forward peak"]["bytes"] > memory["input"]["bytes"]  # at least the im2col matrix
    gflops = [r for r in rows if r["contender"] == "gflops"]
    assert any(r["name"].startswith("numpy.matmul") for r in gflops)
    assert sum(r["name"].startswith("conv products") for r in gflops) == 2
    assert all(r["ceiling_gflops"] > 0 for r in gflops if r["name"].startswith("conv"))
    assert (out / "figures" / "bench-scaling.png").stat().st_size > 0
    assert "load average" in text


def test_the_timed_torch_model_is_msdn(quick_run) -> None:
    checks = quick_run[0]["checks"]
    assert checks["torch_params"] == checks["numpy_params"]
    assert checks["forward_max_abs_diff"] < 1e-5


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # the defaults the benchmark times
        {"kernel_sizes": (2, 3, 4), "hidden": 16, "embed_dim": 4, "channels": 5, "label_perm": [3, 0, 6, 1, 5, 2, 4]},
        {"kernel_sizes": (1, 4), "padding_mode": "circular", "dropout": 0.3},
    ],
)
@pytest.mark.parametrize("embedding", ["both", "free", "label"])
def test_torch_msdn_same_parameters_and_outputs(kwargs, embedding, torch) -> None:
    rng = np.random.default_rng(0)
    model = MSDN(11, 7, seed=3, **{"embedding": embedding, **kwargs}).to(np.float32)
    for p in model.combine.params.values():  # combine starts at zero: make every path count
        p[...] = rng.standard_normal(p.shape)
    tm = torch_twin.build_torch_msdn(model, torch)
    X = rng.standard_normal((9, 11)).astype(np.float32)
    checks = torch_twin.check_torch_msdn(model, tm, X, torch)
    assert checks["torch_params"] == checks["numpy_params"] == model.num_parameters()
    assert checks["forward_max_abs_diff"] < 1e-5


def test_contenders_without_torch_run() -> None:
    """Without PyTorch only the NumPy contenders exist, and they run."""
    rng = np.random.default_rng(0)
    fns, checks = epoch._epoch_contenders(rng.standard_normal((40, 5)), rng.random((40, 6)) < 0.3, torch=None)
    assert set(fns) == {"numpy", "numpy fast"} and checks == {}
    assert np.isfinite(fns["numpy fast"]())
    assert np.isfinite(fns["numpy"]())
    convs = conv._conv_contenders(4, 3, 2, 3, 6, n_naive=1, torch=None)
    assert set(convs) == {"im2col", "naive"}
    for f in convs.values():
        f()


def test_short_calls_are_repeated_within_a_sample(monkeypatch) -> None:
    """With min_sample, a call shorter than it is repeated within each sample and the time divided."""
    clock = [0.0]
    fake_time = types.SimpleNamespace(perf_counter=lambda: clock[0], process_time=lambda: clock[0])
    monkeypatch.setattr(timing, "time", fake_time)
    calls = {"fast": 0, "slow": 0}

    def call(name: str, seconds: float):
        def run() -> None:
            calls[name] += 1
            clock[0] += seconds

        return run

    t = timing.interleaved_medians({"fast": call("fast", 0.001), "slow": call("slow", 0.010)}, {"fast": 3, "slow": 3},
                                   min_sample=0.005)  # fmt: skip
    assert calls == {"fast": 1 + 3 * 5, "slow": 1 + 3}  # warm-up, then 5 calls per sample for the 1 ms one
    assert t == pytest.approx({"fast": 0.001, "slow": 0.010})  # per call


def test_loglog_slope_and_interleaving() -> None:
    x = [6, 14, 53, 174]
    assert timing.loglog_slope(x, [3.0 * v for v in x]) == pytest.approx(1.0)
    assert timing.loglog_slope(x, [v**2 for v in x]) == pytest.approx(2.0)
    calls: list[str] = []
    med = timing.interleaved_medians(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, {"a": 3, "b": 1}, no_warmup=("b",)
    )
    assert set(med) == {"a", "b"}
    assert calls.count("a") == 4 and calls.count("b") == 1  # a: warm-up + 3 repeats; b: 1, no warm-up


def test_interleaving_varies_who_runs_before_whom() -> None:
    """Each round in a new order: every contender follows every other one, not always the same one."""
    calls: list[str] = []
    names = ("a", "b", "c", "ceiling")
    timing.interleaved_medians({n: (lambda n=n: calls.append(n)) for n in names}, dict.fromkeys(names, 30))
    timed = calls[len(names) :]  # after the warm-up calls
    follows = {(x, y): 0 for x in names for y in names if x != y}
    for before, after in zip(timed, timed[1:]):
        if before != after:
            follows[(before, after)] += 1
    assert min(follows.values()) >= 3, follows  # a fixed cyclic order gives 0 for most pairs


# -- impossible numbers are marked, not shown ------------------------------------------------
def test_a_row_above_its_ceiling_is_marked_unreliable() -> None:
    rows = [
        common.make_row("conv1d fwd+bwd fake", "im2col", 0.001, "torch", 0.5, gflops=150.0, ceiling_gflops=96.0),
        common.make_row("conv1d fwd+bwd fake", "torch", 0.002, gflops=60.0, ceiling_gflops=96.0),
        common.make_row("no ceiling here", "numpy", 0.003, "torch", 0.7),
    ]
    marked = timing.mark_unreliable(rows)
    assert marked == [rows[0]] and "unreliable" not in rows[1] and "unreliable" not in rows[2]
    assert "156%" in rows[0]["unreliable"] and "mismeasured" in rows[0]["unreliable"]
    table = run.format_table(rows).splitlines()
    assert "unrel." in table[1] and "UNRELIABLE" in table[1]
    assert " 0.50 " not in table[1] and "150.0 GFLOP/s (" not in table[1]  # the impossible result is not shown as one
    assert "60.0 GFLOP/s (ceiling 96.0)" in table[2] and "unrel." not in table[2]


def test_a_negative_slope_is_marked_unreliable() -> None:
    sizes = [512, 1024, 2048, 4096]
    slopes = {"numpy vs N": timing.loglog_slope(sizes, [4.0, 3.0, 2.5, 2.0]),  # time fell as N grew: fabricated
              "torch vs N": timing.loglog_slope(sizes, [1.0, 2.1, 4.0, 8.2])}  # fmt: skip
    assert slopes["numpy vs N"] < 0
    verdicts = timing.slope_verdicts(slopes)
    assert set(verdicts) == {"numpy vs N"} and "negative slope" in verdicts["numpy vs N"]


def test_peak_memory_sees_an_allocation() -> None:
    peak = timing.peak_memory(lambda: np.ones(4_000_000).sum())  # 32 MB, touched
    if peak is None:
        pytest.skip("peak resident memory needs Linux /proc")
    assert 30e6 < peak < 80e6
