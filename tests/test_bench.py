"""msdn_numpy.bench: the benchmark produces every row, and its torch MSDN is our MSDN.

Speed itself is never asserted (the numbers depend on the machine and its load); these
tests check the *shape* of the results: every expected (name, contender) row, the JSON
keys, and that the PyTorch network the epoch benchmark times computes the same function
as :class:`msdn_numpy.models.MSDN` (same parameter count, same forward outputs).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from msdn_numpy import bench
from msdn_numpy.models import MSDN

ROW_KEYS = {"name", "contender", "seconds", "ratio_vs", "ratio"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One ``--quick`` run (seconds): its JSON, its printed lines and the figures folder."""
    pytest.importorskip("torch", reason="the bench's torch rows need PyTorch (installed in CI)")
    out = tmp_path_factory.mktemp("bench")
    lines: list[str] = []
    code = bench.run_bench(
        quick=True, json_path=out / "bench.json", data_dir=None,
        figures_dir=out / "figures", threads=1, log=lines.append,
    )  # fmt: skip
    assert code == 0
    return json.loads((out / "bench.json").read_text()), "\n".join(lines), out


def _pairs(result: dict) -> set[tuple[str, str]]:
    return {(r["name"], r["contender"]) for r in result["rows"]}


def test_json_has_the_documented_keys(quick_run) -> None:
    result, _, _ = quick_run
    assert {"machine", "rows"} <= set(result)
    for key in ("cpu", "cores", "threads", "numpy", "torch", "load_start", "load_end"):
        assert key in result["machine"]
    assert result["rows"]
    for row in result["rows"]:
        assert ROW_KEYS <= set(row), row


def test_every_conv_row_is_there(quick_run) -> None:
    result, text, _ = quick_run
    pairs = _pairs(result)
    for K in bench.CONV_KS:
        for L in bench.CONV_LS:
            name = bench.conv_name(bench.CONV_N, bench.CONV_C_IN, bench.CONV_C_OUT, K, L)
            assert {(name, "naive"), (name, "im2col"), (name, "torch")} <= pairs, name
    large = bench.conv_name(**bench.LARGE_QUICK)
    assert {(large, "im2col"), (large, "torch")} <= pairs
    by_key = {(r["name"], r["contender"]): r for r in result["rows"]}
    k5 = bench.conv_name(bench.CONV_N, bench.CONV_C_IN, bench.CONV_C_OUT, 5, 53)
    assert by_key[(k5, "naive")]["ratio_vs"] == "im2col"  # naive/im2col
    assert by_key[(k5, "im2col")]["ratio_vs"] == "torch"  # im2col/torch
    assert "scaled" in by_key[(k5, "naive")]["note"]  # the output says naive was scaled
    assert "scaled by N/" in text


def test_epoch_scaling_memory_and_gflops_rows(quick_run) -> None:
    result, text, out = quick_run
    rows = result["rows"]
    epoch = [r for r in rows if r["name"].startswith("msdn epoch ")]
    assert {r["contender"] for r in epoch} == {"numpy", "torch"}
    assert next(r for r in epoch if r["contender"] == "numpy")["ratio_vs"] == "torch"
    scaling = [r for r in rows if r["name"].startswith("scaling epoch ")]
    assert {r["axis"] for r in scaling} == {"L", "N"}
    assert {r["contender"] for r in scaling} == {"numpy", "torch"}
    slopes = result["checks"]["slopes"]
    assert {"numpy vs L", "numpy vs N", "torch vs L", "torch vs N"} <= set(slopes)
    memory = {r["contender"]: r for r in rows if r["name"].startswith("im2col memory")}
    assert set(memory) == {"input", "forward peak", "backward peak"}
    assert memory["forward peak"]["bytes"] > memory["input"]["bytes"]  # at least the im2col matrix
    gflops = [r for r in rows if "gflops" in r]
    assert any(r["name"].startswith("numpy.matmul") for r in gflops)
    assert sum(r["name"].startswith("conv products") for r in gflops) == 2
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
def test_torch_msdn_same_parameters_and_outputs(kwargs) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle of this test")
    rng = np.random.default_rng(0)
    model = MSDN(11, 7, seed=3, **kwargs).to(np.float32)
    tm = bench.build_torch_msdn(model, torch)
    X = rng.standard_normal((9, 11)).astype(np.float32)
    checks = bench.check_torch_msdn(model, tm, X, torch)
    assert checks["torch_params"] == checks["numpy_params"] == model.num_parameters()
    assert checks["forward_max_abs_diff"] < 1e-5


def test_contenders_without_torch_run() -> None:
    """Without PyTorch only the NumPy contenders exist, and they run."""
    rng = np.random.default_rng(0)
    fns, checks = bench._epoch_contenders(rng.standard_normal((40, 5)), rng.random((40, 6)) < 0.3, torch=None)
    assert set(fns) == {"numpy"} and checks == {}
    assert np.isfinite(fns["numpy"]())
    conv = bench._conv_contenders(4, 3, 2, 3, 6, n_naive=1, torch=None)
    assert set(conv) == {"im2col", "naive"}
    for f in conv.values():
        f()


def test_loglog_slope_and_interleaving() -> None:
    x = [6, 14, 53, 174]
    assert bench.loglog_slope(x, [3.0 * v for v in x]) == pytest.approx(1.0)
    assert bench.loglog_slope(x, [v**2 for v in x]) == pytest.approx(2.0)
    calls: list[str] = []
    med = bench.interleaved_medians(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, {"a": 3, "b": 1}, no_warmup=("b",)
    )
    assert set(med) == {"a", "b"}
    assert calls.count("a") == 4 and calls.count("b") == 1  # a: warm-up + 3 repeats; b: 1, no warm-up
