"""msdn_numpy.nn.fast: each fast twin computes what its readable layer computes.

* ``MultiScaleConv1D`` (one shared im2col for every kernel size) against the readable block
  ``Parallel([Sequential(Conv1D(C_in, C_out, k, padding="same", padding_mode=m), ReLU()) for k in K],
  axis=1)``: values and every gradient equal to 1e-12 in float64 with the same (shared) weights,
  and finite-difference checks (< 1e-7), on many seeded random configurations (odd sizes, L = 1,
  even kernels, kernel sizes out of order, circular padding that wraps more than once), on both
  of its paths (one product with zero taps; one product per kernel on its sub-window);
* ``PointwiseConv1D`` against ``Conv1D(C_in, 1, 1)``; ``contiguous_rows`` against
  ``np.ascontiguousarray``;
* ``accelerate`` / ``readable`` on MSDN, and ``TrainConfig(fast=True)`` against the readable
  training (the same history and metrics to float32 rounding).

The flat-vector optimisers are tested bit for bit in ``test_optim.py``, beside the readable ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy import gradcheck
from msdn_numpy.dataio.benchmarks import load_dataset
from msdn_numpy.models import MSDN
from msdn_numpy.nn.conv import Conv1D
from msdn_numpy.nn.fast import PointwiseConv1D, accelerate, contiguous_rows, readable
from msdn_numpy.nn.fast.multiscale import ONE_PRODUCT_ZERO_MACS, MultiScaleConv1D, is_multiscale
from msdn_numpy.nn.gradcheck import PASS_BAR
from msdn_numpy.nn.layers import Parallel, ReLU, Sequential
from msdn_numpy.train import TrainConfig, train_model

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
    """The fused layer (on ``path``), the readable block holding the same weights, and an input."""
    fused = MultiScaleConv1D(cfg["C_in"], cfg["C_out"], cfg["K"], padding_mode=cfg["mode"], path=path, rng=seed)
    branches = fused.readable()
    x = np.random.default_rng(seed + 1).standard_normal((cfg["N"], cfg["C_in"], cfg["L"]))
    return fused, branches, x


def _conv_grads(block) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(dW, db)`` of each branch conv, copied (the fused layer and the block share the convs)."""
    return [(b.layers[0].grads["W"].copy(), b.layers[0].grads["b"].copy()) for b in block.branches]


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
    assert set(errors) == {"x"} | {f"{i}.0.{p}" for i in range(len(cfg["K"])) for p in "Wb"}
    assert max(errors.values()) < PASS_BAR, errors


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("cfg", CONFIGS, ids=_id)
def test_equals_the_readable_branches(cfg, path):
    fused, branches, x = _pair(cfg, path=path)
    _assert_same(fused, branches, x)


def _assert_same(fused: MultiScaleConv1D, branches: Parallel, x: np.ndarray, seed: int = 5) -> None:
    """Output, dx and every parameter gradient equal to 1e-12."""
    out_f, out_b = fused.forward(x), branches.forward(x)
    assert out_f.shape == out_b.shape == (x.shape[0], fused.out_channels, x.shape[2])
    np.testing.assert_allclose(out_f, out_b, rtol=0, atol=1e-12)
    dout = np.random.default_rng(seed).standard_normal(out_f.shape)
    dx_f = fused.backward(dout)
    grads_f = _conv_grads(fused)
    np.testing.assert_allclose(dx_f, branches.backward(dout), rtol=0, atol=1e-12)
    for (dW, db), (dW_b, db_b) in zip(grads_f, _conv_grads(branches)):
        np.testing.assert_allclose(dW, dW_b, rtol=0, atol=1e-12)
        np.testing.assert_allclose(db, db_b, rtol=0, atol=1e-12)


def _zero_macs(layer: MultiScaleConv1D, N: int, L: int) -> int:
    K = layer.kernel_sizes
    return (len(K) * layer.span - sum(K)) * layer.C_in * layer.C_out * N * L


@pytest.mark.parametrize("K", [(1, 3, 5), (1, 3), (3, 5, 7), (2, 4, 6, 8)])
def test_the_path_rule(K):
    """``auto`` takes one product exactly while its zero taps cost less than (|K| - 1) * ONE_PRODUCT_ZERO_MACS."""
    layer = MultiScaleConv1D(8, 32, K)
    for N in (1, 32, 1024):
        for L in (1, 6, 14, 53, 174, 1000):
            assert layer.one_product(N, L) == (_zero_macs(layer, N, L) < (len(K) - 1) * ONE_PRODUCT_ZERO_MACS)
    single = MultiScaleConv1D(8, 32, (5,))  # no zero taps: nothing to save
    assert single.one_product(4096, 4000)
    assert MultiScaleConv1D(8, 32, K, path="per-kernel").one_product(1, 1) is False
    assert MultiScaleConv1D(8, 32, K, path="one-product").one_product(4096, 4000) is True


@pytest.mark.parametrize("mode", ["zeros", "circular"])
def test_auto_path_on_both_sides_of_the_crossover(mode):
    """At a shape that takes each path, the automatic choice equals the readable branches."""
    for L in (5, 90):  # N=8, C_in=8, C_out=32, K=(1,3,5): one product at 5, per kernel at 90
        cfg = dict(K=(1, 3, 5), mode=mode, N=8, C_in=8, C_out=32, L=L)
        fused, branches, x = _pair(cfg)
        assert fused.one_product(8, L) == (L == 5)
        _assert_same(fused, branches, x, seed=3)


def test_backward_follows_the_path_of_its_forward():
    """The path is decided in forward and cached: changing ``path`` in between does not mix them."""
    cfg = dict(K=(1, 3, 5), mode="zeros", N=3, C_in=2, C_out=2, L=6)
    for first, then in (PATHS, PATHS[::-1]):
        fused, branches, x = _pair(cfg, path=first)
        fused.forward(x)
        fused.path = then
        dout = np.random.default_rng(1).standard_normal((3, 6, 6))
        dx = fused.backward(dout)
        grads = _conv_grads(fused)
        branches.forward(x)
        np.testing.assert_allclose(dx, branches.backward(dout), rtol=0, atol=1e-12)
        for (dW, db), (dW_b, db_b) in zip(grads, _conv_grads(branches)):
            np.testing.assert_allclose(dW, dW_b, rtol=0, atol=1e-12)
            np.testing.assert_allclose(db, db_b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("path", PATHS)
def test_hand_computed_taps_and_offsets(path):
    """K = (1, 2) on one channel: the 1-tap kernel reads x[t], the 2-tap one x[t], x[t+1] (zero past the end)."""
    fused = MultiScaleConv1D(1, 1, (1, 2), path=path)
    (c1, c2), x = fused.convs, np.array([[[1.0, -2.0, 3.0]]])
    c1.params.update(W=np.array([[[2.0]]]), b=np.array([0.5]))
    c2.params.update(W=np.array([[[1.0, 10.0]]]), b=np.array([0.0]))
    assert (fused.pad_left, fused.pad_right, fused.span, fused.offsets) == (0, 1, 2, (0, 0))
    out = fused.forward(x)  # ReLU(2 x + 0.5) and ReLU(x[t] + 10 x[t+1])
    np.testing.assert_array_equal(out, [[[2.5, 0.0, 6.5], [0.0, 28.0, 3.0]]])
    circular = MultiScaleConv1D.of(Parallel([Sequential(Conv1D(1, 1, k, padding="same", padding_mode="circular"),
                                                        ReLU()) for k in (1, 2)], axis=1), path=path)  # fmt: skip
    for conv, mine in zip(circular.convs, fused.convs):
        conv.params.update(mine.params)
    np.testing.assert_array_equal(circular.forward(x)[0, 1], [0.0, 28.0, 13.0])


def test_offsets_follow_the_pytorch_split():
    layer = MultiScaleConv1D(2, 2, (7, 2, 4))
    # reaches (left, right): 7 → (3, 3), 2 → (0, 1), 4 → (1, 2); window 3 + 1 + 3 = 7 taps
    assert (layer.pad_left, layer.pad_right, layer.span) == (3, 3, 7)
    assert layer.offsets == (0, 3, 2)


def test_same_init_as_branches_from_one_generator():
    """Built from the same generator, the fused layer holds the weights MSDN's readable block draws."""
    fused = MultiScaleConv1D(8, 32, (1, 3, 5), rng=np.random.default_rng(4))
    rng = np.random.default_rng(4)
    branches = [Conv1D(8, 32, k, padding="same", rng=rng) for k in (1, 3, 5)]
    for conv, b in zip(fused.convs, branches):
        np.testing.assert_array_equal(conv.params["W"], b.params["W"])
        np.testing.assert_array_equal(conv.params["b"], b.params["b"])
    assert fused.num_parameters() == sum(b.num_parameters() for b in branches) == 32 * 8 * 9 + 3 * 32


def test_of_and_readable_share_the_parameter_arrays():
    rng = np.random.default_rng(2)
    block = Parallel([Sequential(Conv1D(3, 4, k, padding="same", padding_mode="circular", rng=rng), ReLU())
                      for k in (2, 5)], axis=1)  # fmt: skip
    fused = MultiScaleConv1D.of(block)
    assert fused.kernel_sizes == (2, 5) and fused.padding_mode == "circular"
    names = [n for n, _, _ in block.named_parameters()]
    assert names == [n for n, _, _ in fused.named_parameters()] == ["0.0.W", "0.0.b", "1.0.W", "1.0.b"]
    assert all(p is q for (_, p, _), (_, q, _) in zip(block.named_parameters(), fused.named_parameters()))
    back = fused.readable()
    assert back.branches == block.branches and back.axis == 1
    for bad in (Parallel([Sequential(Conv1D(3, 4, 3, padding="valid"), ReLU())], axis=1),
                Parallel([block.branches[0], Sequential(Conv1D(3, 5, 3, padding="same"), ReLU())], axis=1),
                Parallel([Sequential(Conv1D(3, 4, 3, padding="same"))], axis=1),
                Parallel([block.branches[0], block.branches[0]], axis=1)):  # fmt: skip
        assert not is_multiscale(bad)
        with pytest.raises(ValueError, match="is not a Parallel of Sequential"):
            MultiScaleConv1D.of(bad)


@pytest.mark.parametrize("path", PATHS)
def test_float32_and_repr(path):
    fused = MultiScaleConv1D(8, 32, (1, 3, 5), path=path, rng=0).to(np.float32)
    x = np.random.default_rng(0).standard_normal((4, 8, 14)).astype(np.float32)
    out = fused.forward(x)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    assert fused.backward(np.ones_like(out)).dtype == np.float32
    assert all(g.dtype == np.float32 for _, _, g in fused.named_parameters())
    assert repr(fused) == "MultiScaleConv1D(8, 32, kernel_sizes=(1, 3, 5))"
    assert "padding_mode='circular'" in repr(MultiScaleConv1D(1, 1, (3,), padding_mode="circular"))


@pytest.mark.parametrize("path", PATHS)
def test_grads_are_assigned_not_accumulated_and_input_untouched(path):
    fused, _, x = _pair(dict(K=(1, 3), mode="zeros", N=2, C_in=2, C_out=2, L=5), path=path)
    x0 = x.copy()
    dout = np.random.default_rng(0).standard_normal((2, 4, 5))
    fused.forward(x)
    fused.backward(dout)
    first = _conv_grads(fused)
    fused.forward(x)
    fused.backward(dout)
    for (dW, db), (dW2, db2) in zip(first, _conv_grads(fused)):
        np.testing.assert_array_equal(dW, dW2)
        np.testing.assert_array_equal(db, db2)
    np.testing.assert_array_equal(x, x0)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((2, 3, ()), {}, "is not a Parallel"),
        ((2, 3, (3, 0)), {}, "kernel_size must be a positive int"),
        ((2, 3, (3, 3)), {}, "is not a Parallel"),
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


# -- contiguous_rows: np.ascontiguousarray, a row at a time -----------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda r: r.standard_normal((96, 32, 14)).astype(np.float32).transpose(1, 0, 2),  # a layer's output
        lambda r: r.standard_normal((32, 96, 14)).astype(np.float32)[:, 32:64].transpose(1, 0, 2),  # a dout block
        lambda r: r.standard_normal((8, 32, 18)).transpose(1, 0, 2)[:, :, 2:16],  # col2im's unpadded dx, float64
        lambda r: r.standard_normal((3, 4, 5, 6)).transpose(2, 0, 1, 3),  # 4-D
        lambda r: r.standard_normal((5, 7, 1)).astype(np.float32).transpose(1, 0, 2),  # rows of one value
        lambda r: r.standard_normal((5, 7, 9)).astype(np.float32).transpose(0, 2, 1),  # last axis not contiguous
        lambda r: np.zeros((0, 3, 5), dtype=np.float32).transpose(1, 0, 2),  # empty
    ],
)
def test_contiguous_rows_equals_ascontiguousarray(make):
    a = make(np.random.default_rng(0))
    out = contiguous_rows(a)
    assert out.flags.c_contiguous and out.dtype == a.dtype and out.shape == a.shape
    np.testing.assert_array_equal(out, a)
    assert not np.shares_memory(out, a) or a.flags.c_contiguous


def test_contiguous_rows_returns_contiguous_input_itself():
    a = np.arange(12.0).reshape(3, 4)
    assert contiguous_rows(a) is a


# -- PointwiseConv1D: MSDN's combine as a weighted sum of the channels -------------------------------------


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("N", "C_in", "L"), [(1, 1, 1), (3, 5, 7), (2, 96, 14)])
def test_pointwise_equals_the_readable_conv(bias, N, C_in, L):
    conv = Conv1D(C_in, 1, 1, bias=bias, rng=N + C_in)
    fast = PointwiseConv1D.of(conv)
    assert fast.params is conv.params  # the same arrays: optimisers and model files see no difference
    x = np.random.default_rng(L).standard_normal((N, C_in, L))
    np.testing.assert_allclose(fast.forward(x), conv.forward(x), rtol=0, atol=1e-12)
    dout = np.random.default_rng(1).standard_normal((N, 1, L))
    dx = fast.backward(dout)
    grads = {k: v.copy() for k, v in fast.grads.items()}
    np.testing.assert_allclose(dx, conv.backward(dout), rtol=0, atol=1e-12)
    assert dx.flags.c_contiguous
    for k in grads:
        np.testing.assert_allclose(grads[k], conv.grads[k], rtol=0, atol=1e-12)
    assert max(gradcheck(fast, x).values()) < PASS_BAR
    assert type(fast.readable()) is Conv1D and fast.readable().params is conv.params


def test_pointwise_only_for_a_1x1_conv_to_one_channel():
    for conv in (Conv1D(4, 2, 1), Conv1D(4, 1, 3), Conv1D(4, 1, 1, padding=1), Conv1D(4, 1, 1, stride=2)):
        with pytest.raises(ValueError, match="not a 1x1 convolution to one channel"):
            PointwiseConv1D.of(conv)


# -- the whole model: accelerate / readable, and training with fast=True ----------------------------------


@pytest.mark.parametrize("embedding", ["free", "label"])
def test_accelerate_swaps_the_twins_in_and_readable_swaps_them_back(embedding):
    model = MSDN(6, 9, seed=3, embedding=embedding, padding_mode="circular", kernel_sizes=(1, 4, 5))
    for p in model.combine.params.values():
        p[...] = 0.1  # a live block
    X = np.random.default_rng(0).standard_normal((5, 6))
    names = [n for n, _, _ in model.named_parameters()]
    arrays = [p for _, p, _ in model.named_parameters()]
    expected = model.eval().forward(X)
    accelerate(model)
    assert type(model.convs) is MultiScaleConv1D and type(model.combine) is PointwiseConv1D
    assert [n for n, _, _ in model.named_parameters()] == names
    assert all(p is q for p, (_, q, _) in zip(arrays, model.named_parameters()))
    np.testing.assert_allclose(model.forward(X), expected, rtol=0, atol=1e-12)
    assert gradcheck(model.train(), X).passed
    readable(model)
    assert type(model.convs) is Parallel and type(model.combine) is Conv1D


@pytest.mark.parametrize("embedding", ["free", "label"])
def test_training_fast_gives_the_readable_results_to_rounding(embedding):
    """Ten epochs on the bundled synthetic set, float64: the same history and metrics, the readable model back."""
    train, test = load_dataset("synthetic")
    runs = {}
    for fast in (False, True):
        config = TrainConfig(epochs=10, patience=10, dtype="float64", fast=fast, seed=1)
        trained = train_model(train, "msdn", {"embedding": embedding, "hidden": 16}, config, log=None)
        assert type(trained.model.convs) is Parallel  # the readable model is what is returned
        runs[fast] = trained
    slow, fast = runs[False], runs[True]
    np.testing.assert_allclose(fast.history.column("val_loss"), slow.history.column("val_loss"), rtol=1e-10)
    for (_, p, _), (_, q, _) in zip(slow.model.named_parameters(), fast.model.named_parameters()):
        np.testing.assert_allclose(q, p, rtol=1e-9, atol=1e-11)
    assert fast.evaluate(test) == pytest.approx(slow.evaluate(test), abs=1e-12)
