"""The three models: whole-model gradient checks, parameter counts, label order, overfitting."""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy import BCEWithLogits, gradcheck
from msdn_numpy.models import BRMLP, MSDN, RethinkRNN, build_model
from msdn_numpy.optim import Adam

BAR = 1e-7


def _x(N: int, D: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((N, D))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_sizes=(1, 3, 5), padding_mode="zeros"),
        dict(kernel_sizes=(2, 3, 4), padding_mode="circular", dropout=0.3),
        dict(kernel_sizes=(3,), label_perm=[4, 2, 0, 5, 1, 3]),
        dict(kernel_sizes=(1, 7), label_perm=[5, 4, 3, 2, 1, 0], dropout=0.5, padding_mode="circular"),
    ],
)
def test_msdn_whole_model_gradcheck(kwargs):
    model = MSDN(5, 6, hidden=7, embed_dim=3, channels=4, seed=1, **kwargs)
    errors = gradcheck(model, _x(4, 5, seed=2))
    assert set(errors) >= {"x", "encoder.0.W", "embed.0.b", "relations.0.0.W", "readout.W", "readout.b"}
    assert max(errors.values()) < BAR, errors


def test_brmlp_and_rethinkrnn_whole_model_gradcheck():
    for model in (BRMLP(5, 4, hidden=6, dropout=0.2, seed=3), RethinkRNN(5, 4, hidden=5, steps=3, seed=4)):
        errors = gradcheck(model, _x(3, 5, seed=5))
        assert max(errors.values()) < BAR, (type(model).__name__, errors)


def test_model_plus_loss_gradcheck():
    """Model and BCE loss together: d(loss)/dX by backprop equals finite differences."""
    Y = np.random.default_rng(0).integers(0, 2, (4, 6))

    class WithLoss(MSDN):
        def forward(self, X, Y):  # noqa: D102 - a scalar loss as the "output"
            self._loss = BCEWithLogits()
            return np.asarray(self._loss.forward(super().forward(X), Y))

        def backward(self, dout):
            return super().backward(self._loss.backward(dout))

    model = WithLoss(5, 6, hidden=6, embed_dim=2, channels=3, kernel_sizes=(1, 3), seed=0)
    errors = gradcheck(model, _x(4, 5), Y)
    assert max(errors.values()) < BAR, errors


def test_rethinkrnn_parameter_count_matches_the_reference():
    """DESIGN.md: RethinkNet's shape has 141,702 parameters on emotions, 146,702 on yeast."""
    assert RethinkRNN(72, 6).num_parameters() == 141_702
    assert RethinkRNN(103, 14).num_parameters() == 146_702
    split = RethinkRNN(72, 6).parameter_split()
    assert split == {"encoder": 72 * 128 + 128, "LSTM": 4 * (128 * 128 * 2 + 128), "read-out": 128 * 6 + 6}


def test_msdn_parameter_count_by_hand():
    D, L, E, d, c, K = 10, 7, 12, 4, 5, (1, 3, 5)
    model = MSDN(D, L, hidden=E, embed_dim=d, channels=c, kernel_sizes=K)
    expected = {
        "encoder": D * E + E,
        "label embedding": E * d * L + d * L,
        "relation block": sum(c * d * k + c for k in K),
        "read-out": len(K) * c + 1 + L,  # the 1x1 conv, plus one bias per label
    }
    assert model.parameter_split() == expected
    assert model.num_parameters() == sum(expected.values())
    assert f"{model.num_parameters():,}" in model.describe()
    no_bias = MSDN(D, L, hidden=E, embed_dim=d, channels=c, kernel_sizes=K, label_bias=False)
    assert no_bias.num_parameters() == model.num_parameters() - L


def test_brmlp_parameter_count():
    assert BRMLP(10, 7, hidden=12).num_parameters() == 10 * 12 + 12 + 12 * 7 + 7


def test_label_perm_reorders_the_convolution_axis_only():
    """MSDN with order perm, read in perm's order, equals MSDN with the identity order."""
    perm = [3, 0, 4, 1, 2]
    a = MSDN(6, 5, hidden=8, embed_dim=3, channels=4, label_perm=perm, seed=7)
    b = MSDN(6, 5, hidden=8, embed_dim=3, channels=4, seed=7)  # same weights, identity order
    X = _x(5, 6)
    np.testing.assert_allclose(a.forward(X)[:, perm], b.forward(X), rtol=0, atol=1e-14)
    # and the order changes what a label sees: not the same function
    assert not np.allclose(a.forward(X), b.forward(X))


def test_bad_label_perm_and_kernel_sizes():
    with pytest.raises(ValueError, match="permutation"):
        MSDN(3, 4, label_perm=[0, 1, 1, 2])
    with pytest.raises(ValueError, match="kernel_sizes"):
        MSDN(3, 4, kernel_sizes=(0, 3))


@pytest.mark.parametrize("kind", ["msdn", "rnn", "br"])
def test_wrong_input_shape_is_a_clear_error(kind):
    model = build_model(kind, 5, 3)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, D=5\), got \(4, 6\)"):
        model.forward(np.zeros((4, 6)))
    with pytest.raises(ValueError, match=r"got \(5,\)"):
        model.forward(np.zeros(5))


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown model 'cnn'.*msdn"):
        build_model("cnn", 3, 3)


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="before forward"):
        MSDN(3, 4).backward(np.zeros((2, 4)))


@pytest.mark.parametrize("kind", ["msdn", "rnn", "br"])
def test_each_model_overfits_20_examples(kind):
    """Enough capacity and a correct backward pass: zero training error on 20 examples."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 8))
    Y = rng.integers(0, 2, (20, 5)).astype(np.float64)
    kw = {"hidden": 32} if kind != "msdn" else {"hidden": 32, "embed_dim": 8, "channels": 8}
    model = build_model(kind, 8, 5, seed=0, **kw)
    loss, opt = BCEWithLogits(), Adam(model, lr=1e-2)
    for _ in range(300):
        loss.forward(model.forward(X), model.output_targets(Y))
        model.backward(loss.backward())
        opt.step()
    pred = (model.logits(X) >= 0).astype(int)
    assert (pred == Y).all(), f"{kind}: {int((pred != Y).sum())} training errors left"


def test_logits_restores_mode_and_is_batched():
    model = MSDN(4, 3, dropout=0.5, seed=0)
    model.train()
    X = _x(7, 4)
    full = model.logits(X, batch_size=1024)
    parts = model.logits(X, batch_size=3)
    assert model.training
    np.testing.assert_allclose(full, parts, atol=1e-12)
    assert model.predict_proba(X).shape == (7, 3)
