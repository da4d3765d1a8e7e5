"""MultiScaleConv1D: one shared im2col matrix for every kernel size, == the separate branches.

The readable version is ``Parallel([Conv1D(C_in, C_out, k, padding="same", padding_mode=m)
for k in K], axis=1)``; the fused layer must compute the same function (values and every
gradient, to 1e-12 in float64, given the same weights) and pass finite-difference checks
(< 1e-7) on many seeded random configurations, including odd sizes, L = 1, even kernels,
kernel sizes given out of order, and circular padding that wraps more than once — on both
of its paths (one product with zero taps; one product per kernel on its sub-window).
"""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy import gradcheck
from msdn_numpy.nn.conv import Conv1D
from msdn_numpy.nn.gradcheck import PASS_BAR
from msdn_numpy.nn.layers import Parallel
from msdn_numpy.nn.multiscale import ONE_PRODUCT_ZERO_MACS, MultiScaleConv1D

KERNEL_SETS = [(1, 3, 5), (2, 3, 4), (1,), (7, 2), (4,), (5, 1, 2), (6, 3)]
PATHS = ("one-product", "per-kernel")


def _configs(n: int, seed: int = 13) -> list[dict]:
    """Every kernel set in both padding modes, plus L = 1, then random draws."""
    cfgs = [dict(K=K, mode=m, N=2, C_in=3, C_out=2, L=7) for K in KERNEL_SETS for m in ("zeros", "circular")]
    cfgs += [dict(K=(1, 3, 5), mode=m, N=3, C_in=2, C_out=3, L=1) for m in ("zeros", "circular")]
    cfgs += [dict(K=(7, 2), mode="circular", N=1, C_in=1, C_out=1, L=2)]  # pads of 3 on a ring of 2
    rng = np.random.default_rng(seed)
    while len(cfgs) < n:
        m = int(rng.integers(1, 4))
        K = tuple(int(k) for k in rng.choice(np.arange(1, 8), size=m, replace=False))
        mode = str(rng.choice(["zeros", "circular"]))
        N, C_in, C_out, L = (int(rng.integers(1, hi)) for hi in (4, 5, 4, 12))
        cfgs.append(dict(K=K, mode=mode, N=N, C_in=C_in, C_out=C_out, L=L))
    return cfgs


CONFIGS = _configs(40)


def _id(cfg: dict) -> str:
    return f"K{'-'.join(map(str, cfg['K']))}_{cfg['mode']}_N{cfg['N']}_Ci{cfg['C_in']}_Co{cfg['C_out']}_L{cfg['L']}"


def _pair(cfg: dict, seed: int = 0, path: str = "auto") -> tuple[MultiScaleConv1D, Parallel, np.ndarray]:
    """The fused layer (on ``path``), the separate branches with the same weights, and an input."""
    fused = MultiScaleConv1D(cfg["C_in"], cfg["C_out"], cfg["K"], padding_mode=cfg["mode"], path=path, rng=seed)
    branches = Parallel(fused.to_branches(), axis=1)
    x = np.random.default_rng(seed + 1).standard_normal((cfg["N"], cfg["C_in"], cfg["L"]))
    return fused, branches, x


def test_configurations_cover_the_hard_cases():
    assert any(c["L"] == 1 for c in CONFIGS)
    assert any(any(k % 2 == 0 for k in c["K"]) for c in CONFIGS)  # PyTorch's uneven 'same' split
    assert any(list(c["K"]) != sorted(c["K"]) for c in CONFIGS)  # offsets do not follow the order
    assert any(c["mode"] == "circular" and max(c["K"]) // 2 > c["L"] for c in CONFIGS)  # wraps more than once
    assert len({c["K"] for c in CONFIGS}) >= 15


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("cfg", CONFIGS, ids=_id)
def test_gradcheck(cfg, path):
    fused, _, x = _pair(cfg, path=path)
    errors = gradcheck(fused, x, seed=7)
    assert set(errors) == {"x"} | {f"{p}{k}" for k in cfg["K"] for p in "Wb"}
    assert max(errors.values()) < PASS_BAR, errors


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("cfg", CONFIGS, ids=_id)
def test_equals_the_separate_branches(cfg, path):
    fused, branches, x = _pair(cfg, path=path)
    out_f, out_b = fused.forward(x), branches.forward(x)
    assert out_f.shape == out_b.shape == (cfg["N"], len(cfg["K"]) * cfg["C_out"], cfg["L"])
    np.testing.assert_allclose(out_f, out_b, rtol=0, atol=1e-12)
    dout = np.random.default_rng(5).standard_normal(out_f.shape)
    np.testing.assert_allclose(fused.backward(dout), branches.backward(dout), rtol=0, atol=1e-12)
    for k, branch in zip(cfg["K"], branches.branches):
        np.testing.assert_allclose(fused.grads[f"W{k}"], branch.grads["W"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(fused.grads[f"b{k}"], branch.grads["b"], rtol=0, atol=1e-12)


def _zero_macs(layer: MultiScaleConv1D, N: int, L: int) -> int:
    K = layer.kernel_sizes
    return (len(K) * layer.span - sum(K)) * layer.C_in * layer.C_out * N * L


def test_the_path_rule_at_msdn_shapes():
    """One product at yeast's training batch; one product per kernel for long label axes and big batches."""
    layer = MultiScaleConv1D(8, 32, (1, 3, 5))  # MSDN's defaults
    assert layer.one_product(32, 6) and layer.one_product(32, 14)  # emotions, yeast at batch 32
    assert not layer.one_product(32, 53) and not layer.one_product(32, 174) and not layer.one_product(32, 1000)
    assert not layer.one_product(1024, 14)  # an evaluation batch
    # the rule's boundary, exactly: (|K| - 1) * 2**19 zero-tap multiply-adds
    assert _zero_macs(layer, 32, 21) < 2 * ONE_PRODUCT_ZERO_MACS <= _zero_macs(layer, 32, 22)
    assert layer.one_product(32, 21) and not layer.one_product(32, 22)
    single = MultiScaleConv1D(8, 32, (5,))  # no zero taps: nothing to save
    assert single.one_product(4096, 4000)
    assert MultiScaleConv1D(8, 32, (1, 3, 5), path="per-kernel").one_product(32, 14) is False
    assert MultiScaleConv1D(8, 32, (1, 3, 5), path="one-product").one_product(4096, 4000) is True


@pytest.mark.parametrize("mode", ["zeros", "circular"])
def test_auto_path_on_both_sides_of_the_crossover(mode):
    """At a shape that takes each path, the automatic choice equals the separate branches."""
    for L in (5, 90):  # N=8, C_in=8, C_out=32, K=(1,3,5): one product at 5, per kernel at 90
        cfg = dict(K=(1, 3, 5), mode=mode, N=8, C_in=8, C_out=32, L=L)
        fused, branches, x = _pair(cfg)
        assert fused.one_product(8, L) == (L == 5)
        np.testing.assert_allclose(fused.forward(x), branches.forward(x), rtol=0, atol=1e-12)
        dout = np.random.default_rng(3).standard_normal((8, 96, L))
        np.testing.assert_allclose(fused.backward(dout), branches.backward(dout), rtol=0, atol=1e-12)
        for k, branch in zip(cfg["K"], branches.branches):
            np.testing.assert_allclose(fused.grads[f"W{k}"], branch.grads["W"], rtol=0, atol=1e-12)


def test_backward_follows_the_path_of_its_forward():
    """The path is decided in forward and cached: changing ``path`` in between does not mix them."""
    cfg = dict(K=(1, 3, 5), mode="zeros", N=3, C_in=2, C_out=2, L=6)
    for first, then in (PATHS, PATHS[::-1]):
        fused, branches, x = _pair(cfg, path=first)
        fused.forward(x)
        branches.forward(x)
        fused.path = then
        dout = np.random.default_rng(1).standard_normal((3, 6, 6))
        np.testing.assert_allclose(fused.backward(dout), branches.backward(dout), rtol=0, atol=1e-12)
        for k, branch in zip(cfg["K"], branches.branches):
            np.testing.assert_allclose(fused.grads[f"W{k}"], branch.grads["W"], rtol=0, atol=1e-12)
            np.testing.assert_allclose(fused.grads[f"b{k}"], branch.grads["b"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("path", PATHS)
def test_hand_computed_taps_and_offsets(path):
    """K = (1, 2) on one channel: the 1-tap kernel reads x[t], the 2-tap one x[t], x[t+1] (zero past the end)."""
    fused = MultiScaleConv1D(1, 1, (1, 2), path=path)
    fused.params.update(W1=np.array([[[2.0]]]), b1=np.array([0.5]), W2=np.array([[[1.0, 10.0]]]), b2=np.array([0.0]))
    assert (fused.pad_left, fused.pad_right, fused.span, fused.offsets) == (0, 1, 2, (0, 0))
    out = fused.forward(np.array([[[1.0, 2.0, 3.0]]]))
    np.testing.assert_array_equal(out, [[[2.5, 4.5, 6.5], [21.0, 32.0, 3.0]]])
    circular = MultiScaleConv1D(1, 1, (1, 2), padding_mode="circular", path=path)
    circular.params.update(fused.params)
    np.testing.assert_array_equal(circular.forward(np.array([[[1.0, 2.0, 3.0]]]))[0, 1], [21.0, 32.0, 13.0])


def test_offsets_follow_the_pytorch_split():
    layer = MultiScaleConv1D(2, 2, (7, 2, 4))
    # reaches (left, right): 7 → (3, 3), 2 → (0, 1), 4 → (1, 2); window 3 + 1 + 3 = 7 taps
    assert (layer.pad_left, layer.pad_right, layer.span) == (3, 3, 7)
    assert layer.offsets == (0, 3, 2)


def test_same_init_as_branches_from_one_generator():
    """Built from the same generator, the fused layer and the branches start from the same weights."""
    fused = MultiScaleConv1D(8, 32, (1, 3, 5), rng=np.random.default_rng(4))
    rng = np.random.default_rng(4)
    branches = [Conv1D(8, 32, k, padding="same", rng=rng) for k in (1, 3, 5)]
    for k, b in zip((1, 3, 5), branches):
        np.testing.assert_array_equal(fused.params[f"W{k}"], b.params["W"])
        np.testing.assert_array_equal(fused.params[f"b{k}"], b.params["b"])
    assert fused.num_parameters() == sum(b.num_parameters() for b in branches) == 32 * 8 * 9 + 3 * 32


def test_from_and_to_branches_copy_the_weights():
    rng = np.random.default_rng(2)
    branches = [Conv1D(3, 4, k, padding="same", padding_mode="circular", rng=rng) for k in (2, 5)]
    fused = MultiScaleConv1D.from_branches(branches)
    assert fused.kernel_sizes == (2, 5) and fused.padding_mode == "circular"
    fused.params["W2"][...] = 0.0  # a copy: the branch keeps its weights
    assert np.any(branches[0].params["W"] != 0)
    back = fused.to_branches()
    np.testing.assert_array_equal(back[1].params["W"], branches[1].params["W"])
    assert repr(back[0]) == "Conv1D(3, 4, kernel_size=2, padding='same', padding_mode='circular')"
    with pytest.raises(ValueError, match="not a 'same'-padded"):
        MultiScaleConv1D.from_branches([Conv1D(3, 4, 3, padding="valid")])
    with pytest.raises(ValueError, match="not a 'same'-padded"):
        MultiScaleConv1D.from_branches([branches[0], Conv1D(3, 5, 3, padding="same")])
    with pytest.raises(ValueError, match="kernel sizes"):
        fused.load_branches(branches[::-1])


@pytest.mark.parametrize("path", PATHS)
def test_float32_and_repr(path):
    fused = MultiScaleConv1D(8, 32, (1, 3, 5), path=path, rng=0).to(np.float32)
    x = np.random.default_rng(0).standard_normal((4, 8, 14)).astype(np.float32)
    out = fused.forward(x)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    assert fused.backward(np.ones_like(out)).dtype == np.float32
    assert all(g.dtype == np.float32 for g in fused.grads.values())
    assert repr(fused) == "MultiScaleConv1D(8, 32, kernel_sizes=(1, 3, 5))"
    assert "padding_mode='circular'" in repr(MultiScaleConv1D(1, 1, (3,), padding_mode="circular"))


@pytest.mark.parametrize("path", PATHS)
def test_grads_are_assigned_not_accumulated_and_input_untouched(path):
    fused, _, x = _pair(dict(K=(1, 3), mode="zeros", N=2, C_in=2, C_out=2, L=5), path=path)
    x0 = x.copy()
    dout = np.random.default_rng(0).standard_normal((2, 4, 5))
    fused.forward(x)
    fused.backward(dout)
    first = {k: v.copy() for k, v in fused.grads.items()}
    fused.forward(x)
    fused.backward(dout)
    for k, v in fused.grads.items():
        np.testing.assert_array_equal(v, first[k])
    np.testing.assert_array_equal(x, x0)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((2, 3, ()), {}, "kernel_sizes"),
        ((2, 3, (3, 0)), {}, "kernel_sizes"),
        ((2, 3, (3, 3)), {}, "distinct"),
        ((0, 3, (3,)), {}, "C_in"),
        ((2, 3, (3,)), {"padding_mode": "reflect"}, "padding_mode"),
        ((2, 3, (3,)), {"path": "fast"}, "path"),
    ],
)
def test_bad_constructor_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiScaleConv1D(*args, **kwargs)


def test_bad_shapes_and_backward_first():
    layer = MultiScaleConv1D(3, 2, (1, 3))
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 4, 5)))
    with pytest.raises(ValueError, match=r"\(N, C_in=3, L\)"):
        layer.forward(np.zeros((1, 2, 5)))
    layer.forward(np.zeros((1, 3, 5)))
    with pytest.raises(ValueError, match=r"\|K\|\*C_out=4"):
        layer.backward(np.zeros((1, 2, 5)))
