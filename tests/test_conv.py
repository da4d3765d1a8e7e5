"""Tests for msdn_numpy.nn.conv (the im2col Conv1D) against msdn_numpy.nn.conv_naive (the loops).

Four independent kinds of evidence:

1. tiny hand-computed cases (no oracle needed);
2. finite-difference gradient checks of the fast layer (input, W and b; float64);
3. the fast layer equals the naive loop reference, forward and all three gradients;
4. both equal PyTorch's ``conv1d`` (forward and autograd backward) when it is installed.

(2)-(4) run over the same seeded random configurations: kernel 1-7, stride 1-3,
dilation 1-3, every padding form, zeros and circular, lengths 1-20 (including inputs
shorter than the kernel, where only padding makes the kernel fit).
"""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy.nn.conv import Conv1D, col2im, conv_output_length, im2col, pad1d, resolve_padding, unpad1d
from msdn_numpy.nn.conv_naive import Conv1DNaive, conv1d_naive_backward, conv1d_naive_forward
from msdn_numpy.nn.gradcheck import PASS_BAR, gradcheck

# --------------------------------------------------------------------------------------
# The random configurations
# --------------------------------------------------------------------------------------
N_RANDOM = 44


def _fits(cfg: dict) -> bool:
    left, right = resolve_padding(cfg["padding"], cfg["K"], cfg["dilation"])
    return cfg["L"] + left + right >= cfg["dilation"] * (cfg["K"] - 1) + 1


def _draw(rng: np.random.Generator) -> dict:
    """One random configuration whose (padded) input fits the kernel."""
    while True:
        kind = rng.choice(["valid", "same", "int", "pair"])
        padding: str | int | tuple[int, int] = str(kind)
        if kind == "int":
            padding = int(rng.integers(0, 5))
        elif kind == "pair":
            padding = (int(rng.integers(0, 6)), int(rng.integers(0, 6)))
        cfg = dict(
            N=int(rng.integers(1, 4)),
            C_in=int(rng.integers(1, 9)),
            C_out=int(rng.integers(1, 9)),
            L=int(rng.integers(1, 21)),
            K=int(rng.integers(1, 8)),
            stride=int(rng.integers(1, 4)),
            dilation=int(rng.integers(1, 4)),
            padding=padding,
            padding_mode=str(rng.choice(["zeros", "circular"])),
            bias=bool(rng.random() < 0.85),
        )
        if _fits(cfg):  # a kernel that does not fit is tested separately (it must raise)
            return cfg


# Hand-picked corners first, so they are covered whatever the random draws are.
CORNERS = [
    dict(N=2, C_in=3, C_out=4, L=2, K=7, stride=1, dilation=1, padding="same", padding_mode="zeros", bias=True),
    dict(N=1, C_in=2, C_out=3, L=1, K=5, stride=2, dilation=2, padding="same", padding_mode="circular", bias=True),
    dict(N=2, C_in=2, C_out=2, L=3, K=4, stride=1, dilation=3, padding=(8, 5), padding_mode="circular", bias=False),
    dict(N=3, C_in=1, C_out=1, L=20, K=1, stride=3, dilation=1, padding="valid", padding_mode="zeros", bias=True),
    dict(N=2, C_in=4, C_out=5, L=9, K=4, stride=1, dilation=1, padding="same", padding_mode="zeros", bias=True),
    dict(N=2, C_in=3, C_out=2, L=7, K=3, stride=2, dilation=2, padding="valid", padding_mode="circular", bias=True),
    # the read-out shortcut (K = 1, C_out = 1, stride 1, no padding: a weighted sum of channels)
    dict(N=3, C_in=6, C_out=1, L=7, K=1, stride=1, dilation=1, padding="same", padding_mode="zeros", bias=True),
    dict(N=2, C_in=4, C_out=1, L=1, K=1, stride=1, dilation=2, padding="valid", padding_mode="circular", bias=False),
]
_rng = np.random.default_rng(20240607)
CONFIGS = CORNERS + [_draw(_rng) for _ in range(N_RANDOM)]


def _id(cfg: dict) -> str:
    return (
        f"N{cfg['N']}-Ci{cfg['C_in']}-Co{cfg['C_out']}-L{cfg['L']}-K{cfg['K']}-s{cfg['stride']}"
        f"-d{cfg['dilation']}-p{cfg['padding']}-{cfg['padding_mode']}{'' if cfg['bias'] else '-nobias'}"
    ).replace(" ", "")


def _make(cfg: dict, cls: type = Conv1D, seed: int = 0) -> tuple[Conv1D, np.ndarray]:
    layer = cls(
        cfg["C_in"],
        cfg["C_out"],
        cfg["K"],
        stride=cfg["stride"],
        padding=cfg["padding"],
        dilation=cfg["dilation"],
        padding_mode=cfg["padding_mode"],
        bias=cfg["bias"],
        rng=seed,
    )
    x = np.random.default_rng(seed + 1).standard_normal((cfg["N"], cfg["C_in"], cfg["L"]))
    return layer, x


def test_configurations_cover_the_hard_cases():
    """The configuration list itself must exercise what it claims to."""
    assert len(CONFIGS) == len(CORNERS) + N_RANDOM
    assert any(c["L"] < c["K"] and c["padding"] == "same" for c in CONFIGS)
    assert {c["stride"] for c in CONFIGS} == {1, 2, 3}
    assert {c["dilation"] for c in CONFIGS} == {1, 2, 3}
    assert {c["padding_mode"] for c in CONFIGS} == {"zeros", "circular"}
    assert {type(c["padding"]).__name__ for c in CONFIGS} == {"str", "int", "tuple"}
    assert {c["padding"] for c in CONFIGS if isinstance(c["padding"], str)} == {"valid", "same"}
    assert any(
        c["padding_mode"] == "circular" and max(resolve_padding(c["padding"], c["K"], c["dilation"])) > c["L"]
        for c in CONFIGS
    )
    assert not all(c["bias"] for c in CONFIGS)


# --------------------------------------------------------------------------------------
# 1. Tiny hand-computed cases
# --------------------------------------------------------------------------------------
def _layer_with(W: list, b: list | None = None, cls: type = Conv1D, **kwargs) -> Conv1D:
    W = np.asarray(W, dtype=np.float64)
    layer = cls(W.shape[1], W.shape[0], W.shape[2], bias=b is not None, **kwargs)
    layer.params["W"] = W
    if b is not None:
        layer.params["b"] = np.asarray(b, dtype=np.float64)
    return layer


@pytest.mark.parametrize("cls", [Conv1D, Conv1DNaive])
def test_hand_computed_valid_stride_dilation(cls):
    x = np.array([[[1.0, 2.0, 3.0, 4.0]]])  # (N=1, C_in=1, L=4)
    W = [[[1.0, 2.0]]]  # out[t] = x[t] + 2 x[t+1]
    for kwargs, expected in [
        ({}, [5.0, 8.0, 11.0]),
        ({"stride": 2}, [5.0, 11.0]),
        ({"dilation": 2}, [1 + 2 * 3.0, 2 + 2 * 4.0]),  # out[t] = x[t] + 2 x[t+2]
        ({"padding": "same"}, [5.0, 8.0, 11.0, 4.0]),  # K=2: pad (0, 1)
        ({"padding": "same", "padding_mode": "circular"}, [5.0, 8.0, 11.0, 4.0 + 2 * 1.0]),
        ({"padding": (1, 0)}, [2.0, 5.0, 8.0, 11.0]),
    ]:
        layer = _layer_with(W, [0.5], cls, **kwargs)
        np.testing.assert_array_equal(layer.forward(x), np.array([[expected]]) + 0.5)


def test_hand_computed_two_channels_and_backward():
    # out[0, t] = 1*x[0, t] + (-1)*x[1, t] ; out[1, t] = 2*x[0, t+1]
    x = np.array([[[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]])
    layer = _layer_with([[[1.0, 0.0], [-1.0, 0.0]], [[0.0, 2.0], [0.0, 0.0]]])
    np.testing.assert_array_equal(layer.forward(x), [[[-9.0, -18.0], [4.0, 6.0]]])
    dout = np.array([[[1.0, 0.0], [0.0, 1.0]]])  # pick out[0, 0] and out[1, 1]
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dx, [[[1.0, 0.0, 2.0], [-1.0, 0.0, 0.0]]])
    np.testing.assert_array_equal(layer.grads["W"], [[[1.0, 2.0], [10.0, 20.0]], [[2.0, 3.0], [20.0, 30.0]]])


def test_resolve_padding():
    assert resolve_padding("valid", 5, 1) == (0, 0)
    assert resolve_padding("same", 4, 1) == (1, 2)  # even kernel: the extra position on the right
    assert resolve_padding("same", 5, 1) == (2, 2)
    assert resolve_padding("same", 3, 2) == (2, 2)
    assert resolve_padding("same", 2, 3) == (1, 2)
    assert resolve_padding("same", 1, 3) == (0, 0)
    assert resolve_padding(3, 5, 1) == (3, 3)
    assert resolve_padding((0, 4), 5, 1) == (0, 4)


def test_conv_output_length():
    assert conv_output_length(53, 5, 1, 1, 2, 2) == 53
    assert conv_output_length(10, 3, 2, 1, 0, 0) == 4  # starts 0, 2, 4, 6
    assert conv_output_length(10, 3, 1, 2, 0, 0) == 6  # span 5
    assert conv_output_length(5, 5, 1, 1, 0, 0) == 1
    assert conv_output_length(1, 7, 1, 1, 3, 3) == 1
    assert conv_output_length(7, 3, 3, 1, 1, 1) == 3  # 'same' with stride 3: ceil(7 / 3)
    with pytest.raises(ValueError, match=r"kernel of size 3 \(dilation 2, spans 5 positions\) .* length 4"):
        conv_output_length(4, 3, 1, 2, 0, 0)


def test_pad1d_values_and_no_mutation():
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(pad1d(x, 2, 1, "zeros"), [[0, 0, 1, 2, 3, 0]])
    np.testing.assert_array_equal(pad1d(x, 1, 1, "circular"), [[3, 1, 2, 3, 1]])
    # pads longer than L wrap repeatedly: x_pad[p] = x[(p - left) mod L]
    np.testing.assert_array_equal(pad1d(x, 2, 4, "circular"), [[2, 3, 1, 2, 3, 1, 2, 3, 1]])
    np.testing.assert_array_equal(pad1d(x, 4, 0, "circular"), [[3, 1, 2, 3, 1, 2, 3]])
    np.testing.assert_array_equal(x, [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        pad1d(x, 1, 1, "reflect")


def test_unpad1d_folds_circular_copies_back():
    dpad = np.arange(9.0)[None]  # x_pad of length 9 built from L=3 with left=2
    # source j collects p with (p - 2) mod 3 == j: j=0 <- 2,5,8; j=1 <- 0,3,6; j=2 <- 1,4,7
    np.testing.assert_array_equal(unpad1d(dpad, 2, 4, 3, "circular"), [[15.0, 9.0, 12.0]])
    np.testing.assert_array_equal(unpad1d(dpad, 2, 4, 3, "zeros"), [[2.0, 3.0, 4.0]])


@pytest.mark.parametrize("mode", ["zeros", "circular"])
@pytest.mark.parametrize("left,right,L", [(0, 0, 4), (2, 1, 4), (7, 0, 3), (0, 9, 2), (5, 6, 1)])
def test_unpad1d_is_the_adjoint_of_pad1d(mode, left, right, L):
    """<pad(x), g> == <x, unpad(g)> for every x and g: unpad1d is exactly pad1d's backward."""
    rng = np.random.default_rng(left * 100 + right * 10 + L)
    x = rng.standard_normal((2, 3, L))
    g = rng.standard_normal((2, 3, left + L + right))
    lhs = np.sum(pad1d(x, left, right, mode) * g)
    rhs = np.sum(x * unpad1d(g, left, right, L, mode))
    assert abs(lhs - rhs) < 1e-12 * max(1.0, abs(lhs))


def test_im2col_is_a_strided_view():
    x_pad = np.arange(2 * 3 * 10, dtype=np.float64).reshape(2, 3, 10)
    cols = im2col(x_pad, kernel_size=3, stride=2, dilation=2)
    assert cols.shape == (3, 3, 2, 3)  # (C_in, K, N, L_out), L_out = (10 - 5) // 2 + 1
    assert np.shares_memory(cols, x_pad) and not cols.flags.writeable
    for c, k, n, t in np.ndindex(cols.shape):
        assert cols[c, k, n, t] == x_pad[n, c, t * 2 + k * 2]


@pytest.mark.parametrize("K,stride,dilation,L_pad", [(1, 1, 1, 5), (3, 2, 1, 9), (4, 3, 2, 17), (7, 1, 3, 20)])
def test_col2im_is_the_adjoint_of_im2col(K, stride, dilation, L_pad):
    """<im2col(x), c> == <x, col2im(c)>: col2im is exactly im2col's backward."""
    rng = np.random.default_rng(K * stride * dilation)
    x_pad = rng.standard_normal((3, 2, L_pad))
    cols = im2col(x_pad, K, stride, dilation)
    c = rng.standard_normal(cols.shape)
    dx_pad = col2im(c, L_pad, stride, dilation)
    assert dx_pad.shape == x_pad.shape
    assert abs(np.sum(cols * c) - np.sum(x_pad * dx_pad)) < 1e-11


# --------------------------------------------------------------------------------------
# 2. Finite-difference gradient checks
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("cfg", CONFIGS, ids=_id)
def test_gradcheck(cfg):
    layer, x = _make(cfg)
    errors = gradcheck(layer, x, seed=7)
    assert set(errors) == {"x", "W", "b"} if cfg["bias"] else {"x", "W"}
    assert max(errors.values()) < PASS_BAR, errors


# --------------------------------------------------------------------------------------
# 3. Fast == naive
# --------------------------------------------------------------------------------------
def _forward_backward(layer: Conv1D, x: np.ndarray, seed: int = 3):
    out = layer.forward(x)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    dx = layer.backward(dout)
    return out, dx, dict(layer.grads)


@pytest.mark.parametrize("cfg", CONFIGS, ids=_id)
def test_fast_equals_naive(cfg):
    fast, x = _make(cfg, Conv1D)
    naive, _ = _make(cfg, Conv1DNaive)
    out_f, dx_f, g_f = _forward_backward(fast, x)
    out_n, dx_n, g_n = _forward_backward(naive, x)
    assert out_f.shape == out_n.shape == (cfg["N"], cfg["C_out"], fast.output_length(cfg["L"]))
    np.testing.assert_allclose(out_f, out_n, rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx_f, dx_n, rtol=0, atol=1e-10)
    assert g_f.keys() == g_n.keys() == fast.params.keys()
    for key in g_f:
        np.testing.assert_allclose(g_f[key], g_n[key], rtol=0, atol=1e-10)


def test_naive_functions_match_the_layer():
    cfg = CONFIGS[2]
    layer, x = _make(cfg, Conv1DNaive)
    out = conv1d_naive_forward(x, layer.params["W"], None, 1, 3, 8, 5, "circular")
    np.testing.assert_array_equal(out, layer.forward(x))
    dout = np.random.default_rng(0).standard_normal(out.shape)
    dx, dW, db = conv1d_naive_backward(dout, x, layer.params["W"], 1, 3, 8, 5, "circular")
    np.testing.assert_array_equal(dx, layer.backward(dout))
    np.testing.assert_array_equal(dW, layer.grads["W"])
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2)), atol=1e-12)


# --------------------------------------------------------------------------------------
# 4. PyTorch oracle
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("cfg", CONFIGS, ids=_id)
def test_matches_torch(cfg, torch):
    F = torch.nn.functional
    layer, x = _make(cfg)
    left, right = layer.pad_left, layer.pad_right
    out, dx, grads = _forward_backward(layer, x)

    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(layer.params["W"], requires_grad=True)
    bt = torch.tensor(layer.params["b"], requires_grad=True) if cfg["bias"] else None
    # Pad first (torch's conv1d pads only symmetrically with zeros, and refuses 'same' with stride > 1).
    # Circular padding is an index gather, (t mod L): unlike F.pad(mode="circular") it may wrap
    # more than once, so every configuration is compared with torch.
    if cfg["padding_mode"] == "zeros":
        xp = F.pad(xt, (left, right), mode="constant")
    else:
        xp = xt[:, :, torch.as_tensor(np.arange(-left, cfg["L"] + right) % cfg["L"])]
    out_t = F.conv1d(xp, Wt, bt, stride=cfg["stride"], dilation=cfg["dilation"])
    dout = np.random.default_rng(3).standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))

    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(grads["W"], Wt.grad.numpy(), rtol=0, atol=1e-10)
    if cfg["bias"]:
        np.testing.assert_allclose(grads["b"], bt.grad.numpy(), rtol=0, atol=1e-10)


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel:UserWarning")
@pytest.mark.parametrize("K,dilation", [(1, 1), (2, 1), (3, 1), (4, 1), (4, 2), (5, 3), (6, 2), (7, 1)])
def test_same_padding_split_matches_torch(K, dilation, torch):
    """Our 'same' split (extra position on the right) is torch's, also for even kernels."""
    layer = Conv1D(2, 3, K, padding="same", dilation=dilation, rng=K)
    x = np.random.default_rng(K).standard_normal((2, 2, 9))
    expected = torch.nn.functional.conv1d(
        torch.tensor(x),
        torch.tensor(layer.params["W"]),
        torch.tensor(layer.params["b"]),
        padding="same",
        dilation=dilation,
    )
    np.testing.assert_allclose(layer.forward(x), expected.numpy(), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------------------
# The layer's contract: init, dtype, repr, errors
# --------------------------------------------------------------------------------------
def test_init_like_pytorch_and_seeded():
    layer = Conv1D(16, 32, 5, padding="same", rng=1)
    bound = 1.0 / np.sqrt(16 * 5)
    assert layer.params["W"].shape == (32, 16, 5) and layer.params["b"].shape == (32,)
    assert np.abs(layer.params["W"]).max() <= bound and np.abs(layer.params["W"]).max() > 0.9 * bound
    np.testing.assert_array_equal(layer.params["W"], Conv1D(16, 32, 5, rng=1).params["W"])
    assert not np.array_equal(layer.params["W"], Conv1D(16, 32, 5, rng=2).params["W"])
    assert layer.num_parameters() == 32 * 16 * 5 + 32
    assert "b" not in Conv1D(2, 3, 3, bias=False).params
    np.testing.assert_array_equal(Conv1DNaive(4, 5, 3, rng=9).params["W"], Conv1D(4, 5, 3, rng=9).params["W"])


def test_same_with_stride_keeps_the_same_padding():
    layer = Conv1D(1, 1, 3, stride=2, padding="same")
    assert (layer.pad_left, layer.pad_right) == (1, 1)
    assert layer.forward(np.ones((1, 1, 7))).shape == (1, 1, 4)  # ceil(7 / 2)


@pytest.mark.parametrize("cls", [Conv1D, Conv1DNaive])
def test_float32_stays_float32(cls):
    x = np.random.default_rng(0).standard_normal((2, 3, 8)).astype(np.float32)
    layers = (cls(3, 4, 3, padding="same", padding_mode="circular"), cls(3, 1, 1), cls(3, 1, 1).to(np.float32),
              cls(3, 4, 3).to(np.float32))  # fmt: skip
    for layer in layers:
        out = layer.forward(x)
        assert out.dtype == np.float32
        dx = layer.backward(np.ones_like(out))
        assert dx.dtype == np.float32
        assert all(layer.grads[k].dtype == layer.params[k].dtype for k in layer.params)
    ref = Conv1D(3, 4, 3).forward(x.astype(np.float64))
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_input_is_not_modified_and_output_is_contiguous():
    layer = Conv1D(3, 4, 3, padding="valid")  # 'valid': pad1d hands back x itself
    x = np.random.default_rng(0).standard_normal((2, 3, 8))
    x_copy = x.copy()
    out = layer.forward(x)
    dx = layer.backward(np.ones_like(out))
    np.testing.assert_array_equal(x, x_copy)
    assert out.flags.c_contiguous and dx.flags.c_contiguous
    # the read-out shortcut too, even for an upstream gradient that is a strided view
    readout = Conv1D(3, 1, 1)
    out = readout.forward(x)
    dout = np.random.default_rng(1).standard_normal((8, 1, 2)).transpose(2, 1, 0)  # (2, 1, 8), not contiguous
    dx = readout.backward(dout)
    assert out.flags.c_contiguous and dx.flags.c_contiguous and dx.shape == x.shape


def test_repr():
    assert repr(Conv1D(16, 32, kernel_size=5, padding="same")) == "Conv1D(16, 32, kernel_size=5, padding='same')"
    assert repr(Conv1D(2, 3, 3)) == "Conv1D(2, 3, kernel_size=3)"
    assert (
        repr(Conv1D(2, 3, 4, stride=2, padding=(1, 2), dilation=3, padding_mode="circular", bias=False))
        == "Conv1D(2, 3, kernel_size=4, stride=2, padding=(1, 2), dilation=3, padding_mode='circular', bias=False)"
    )
    assert repr(Conv1DNaive(1, 1, 1, padding=2)) == "Conv1DNaive(1, 1, kernel_size=1, padding=2)"


@pytest.mark.parametrize("cls", [Conv1D, Conv1DNaive])
def test_bad_input_shapes(cls):
    layer = cls(3, 4, 3)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C_in=3, L\), got \(2, 5\)"):
        layer.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C_in=3, L\), got \(2, 4, 5\)"):
        layer.forward(np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match=r"expected a NumPy array of shape \(N, C_in=3, L\), got list"):
        layer.forward([[[0.0] * 5] * 3])
    out = layer.forward(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"dout must have the output's shape .*\(2, 4, 3\), got \(2, 4, 5\)"):
        layer.backward(np.zeros((2, 4, 5)))
    assert out.shape == (2, 4, 3)


@pytest.mark.parametrize("cls", [Conv1D, Conv1DNaive])
def test_kernel_larger_than_valid_input(cls):
    layer = cls(2, 2, 5, dilation=2)  # spans 9 positions
    with pytest.raises(
        ValueError,
        match=r"kernel of size 5 \(dilation 2, spans 9 positions\) is larger than "
        r"the padded input of length 4; use padding='same'",
    ):
        layer.forward(np.zeros((1, 2, 4)))
    assert cls(2, 2, 5, dilation=2, padding="same").forward(np.zeros((1, 2, 4))).shape == (1, 2, 4)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"padding": "full"}, r"padding must be 'valid', 'same', an int p >= 0, or a pair .* got 'full'"),
        ({"padding": -1}, r"padding must be .* got -1"),
        ({"padding": (1, -2)}, r"padding must be .* got \(1, -2\)"),
        ({"padding": (1, 2, 3)}, r"padding must be .* got \(1, 2, 3\)"),
        ({"padding": 1.5}, r"padding must be .* got 1.5"),
        ({"padding_mode": "reflect"}, r"padding_mode must be one of \('zeros', 'circular'\); got 'reflect'"),
        ({"stride": 0}, r"stride must be a positive int, got 0"),
        ({"dilation": 1.0}, r"dilation must be a positive int, got 1.0"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv1D(2, 3, 3, **kwargs)


def test_bad_kernel_size():
    with pytest.raises(ValueError, match="kernel_size must be a positive int, got 0"):
        Conv1D(2, 3, 0)


@pytest.mark.parametrize("cls", [Conv1D, Conv1DNaive])
def test_backward_before_forward(cls):
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        cls(2, 3, 3).backward(np.zeros((1, 3, 4)))
