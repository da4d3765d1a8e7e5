"""The three models: whole-model gradient checks, parameter counts, label order, overfitting."""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy import BCEWithLogits, gradcheck
from msdn_numpy.models import BRMLP, MSDN, RethinkRNN, build_model
from msdn_numpy.nn.optim import Adam

BAR = 1e-7


def _x(N: int, D: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((N, D))


def _randomise_combine(model: MSDN, seed: int = 9) -> MSDN:
    """MSDN's combine starts at zero (the relation block is a no-op at first), which
    would make every gradient behind it zero; a random read-out exercises every path."""
    rng = np.random.default_rng(seed)
    for p in model.combine.params.values():
        p[...] = rng.standard_normal(p.shape)
    return model


GRADCHECK_CASES = [
    dict(kernel_sizes=(1, 3, 5), padding_mode="zeros"),
    dict(kernel_sizes=(2, 3, 4), padding_mode="circular", dropout=0.3),
    dict(kernel_sizes=(3,), label_perm=[4, 2, 0, 5, 1, 3], dropout=0.0),
    dict(kernel_sizes=(1, 7), label_perm=[5, 4, 3, 2, 1, 0], dropout=0.5, padding_mode="circular", rank=2),
]
#: The parameters each design's gradcheck must reach, besides the encoder, head, convs and combine.
EMBEDDING_PARAMETERS = {
    "free": {"embed.0.W", "embed.1.b"},
    "label": {"embed.u", "embed.e"},
    "both": {"embed.u", "embed.e", "free_embed.0.W", "free_embed.1.b", "free_conv.0.W", "free_conv.0.b"},
}


@pytest.mark.parametrize("embedding", ["both", "free", "label"])
@pytest.mark.parametrize("kwargs", GRADCHECK_CASES)
def test_msdn_whole_model_gradcheck(kwargs, embedding):
    kwargs = {"rank": 4, "embedding": embedding, **kwargs}
    sizes = dict(hidden=7, embed_dim=3, label_dim=2, free_channels=5, channels=4)
    model = _randomise_combine(MSDN(5, 6, seed=1, **sizes, **kwargs))
    errors = gradcheck(model, _x(4, 5, seed=2))
    expected = {"x", "encoder.0.W", "head.W", "head.b", "combine.W", "combine.b"} | EMBEDDING_PARAMETERS[embedding]
    expected |= {f"convs.{i}.0.{w}" for i in range(len(kwargs["kernel_sizes"])) for w in "Wb"}  # one conv per size
    assert set(errors) >= expected
    assert errors.passed and max(errors.values()) < BAR, errors
    # and as built, with the zero combine (the relation block's gradients are then exactly 0)
    fresh = MSDN(5, 6, seed=1, **sizes, **kwargs)
    assert max(gradcheck(fresh, _x(4, 5, seed=2)).values()) < BAR


def test_msdn_relation_block_starts_as_an_exact_no_op():
    """Zero-initialised combine: at initialisation MSDN *is* BR-MLP, weight for weight.

    Same seed, same draw order: MSDN's encoder and head are BRMLP's encoder and head,
    so the two give bit-identical logits (with dropout active too, since
    the dropout generator is drawn at the same point) and identical input gradients.
    """
    X = _x(6, 5)
    for dropout in (0.0, 0.3):
        msdn = MSDN(5, 7, hidden=8, dropout=dropout, seed=3, label_perm=[6, 5, 4, 3, 2, 1, 0])
        br = BRMLP(5, 7, hidden=8, dropout=dropout, seed=3)
        for (name, p_m, _), (_, p_b, _) in zip(msdn.encoder.named_parameters(), br.encoder.named_parameters()):
            np.testing.assert_array_equal(p_m, p_b, err_msg=name)
        np.testing.assert_array_equal(msdn.head.params["W"], br.head.params["W"])
        out_m, out_b = msdn.forward(X), br.forward(X)
        np.testing.assert_array_equal(out_m, out_b)
        dout = _x(6, 7, seed=4)
        np.testing.assert_array_equal(msdn.backward(dout), br.backward(dout))
        assert not msdn.combine.params["W"].any() and not msdn.combine.params["b"].any()
        assert msdn.combine.grads["W"].any()  # ... but combine receives a gradient, so it learns


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
    """docs/DESIGN.md: RethinkNet's shape has 141,702 parameters on emotions, 146,702 on yeast."""
    assert RethinkRNN(72, 6).num_parameters() == 141_702
    assert RethinkRNN(103, 14).num_parameters() == 146_702
    split = RethinkRNN(72, 6).parameter_split()
    assert split == {"encoder": 72 * 128 + 128, "lstm": 4 * (128 * 128 * 2 + 128), "head": 128 * 6 + 6}


@pytest.mark.parametrize("embedding", ["both", "free", "label"])
def test_msdn_parameter_count_by_hand(embedding):
    D, L, E, d, ds, Cf, r, c, K = 10, 7, 12, 4, 6, 9, 3, 5, (1, 3, 5)
    model = MSDN(D, L, hidden=E, embed_dim=d, label_dim=ds, free_channels=Cf, rank=r, channels=c, kernel_sizes=K,
                 embedding=embedding)  # fmt: skip
    free = E * r + r + r * d * L + d * L  # E -> r -> d L
    d_in = d if embedding == "free" else ds
    expected = {
        "encoder": D * E + E,
        "head": E * L + L,
        "embed": free if embedding == "free" else 2 * ds * L,  # or u and e, (d_s, L) each
        "convs": sum(c * d_in * k + c for k in K),  # one Conv1D per kernel size
        "combine": len(K) * c + (Cf if embedding == "both" else 0) + 1,  # the 1x1 convolution to one channel
    }
    if embedding == "both":
        expected |= {"free_embed": free, "free_conv": d * Cf + Cf}
    assert model.parameter_split() == expected
    assert model.num_parameters() == sum(expected.values())
    assert f"{model.num_parameters():,}" in model.describe()


def test_msdn_stays_small_at_large_L():
    """The label embedding grows as r d L, not E d L: at CAL500's size MSDN stays below a
    third of the RNN's parameters, and below a fifth on emotions and yeast."""
    for D, L, bound in ((68, 174, 1 / 3), (72, 6, 1 / 5), (103, 14, 1 / 5)):
        assert MSDN(D, L).num_parameters() <= bound * RethinkRNN(D, L).num_parameters(), (D, L)


def test_brmlp_parameter_count():
    assert BRMLP(10, 7, hidden=12).num_parameters() == 10 * 12 + 12 + 12 * 7 + 7


def test_label_perm_reorders_the_convolution_axis_only():
    """With the free embedding, the relation block of MSDN with order perm, read in perm's order,
    equals that of MSDN with the identity order (same weights); the label-wise head is not
    reordered. (With a score embedding, position p also reads label perm[p]'s score: what the
    order changes there is tested in test_score_embedding.py.)"""
    perm = [3, 0, 4, 1, 2]
    kw = dict(hidden=8, embed_dim=3, channels=4, dropout=0.0, seed=7, embedding="free")
    a = _randomise_combine(MSDN(6, 5, label_perm=perm, **kw))
    b = _randomise_combine(MSDN(6, 5, **kw))  # identity order
    X = _x(5, 6)
    head = a.head.forward(a.encoder.forward(X))  # identical in a and b, in the dataset's order
    np.testing.assert_array_equal(head, b.head.forward(b.encoder.forward(X)))
    np.testing.assert_allclose((a.forward(X) - head)[:, perm], b.forward(X) - head, rtol=0, atol=1e-14)
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


def test_backward_checks_the_shape_of_dlogits_against_its_forward():
    model = MSDN(5, 3)
    with pytest.raises(RuntimeError, match="before forward"):
        model.backward(np.zeros((4, 3)))
    model.forward(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"dlogits must have the logits' shape \(N, L\) = \(4, 3\), got \(4, 2\)"):
        model.backward(np.zeros((4, 2)))


@pytest.mark.parametrize("kind", ["msdn", "rnn", "br"])
def test_an_unknown_option_is_refused_with_the_model_options(kind):
    with pytest.raises(TypeError, match=r"unknown option 'relation'; the options of .* are hidden, "):
        build_model(kind, 3, 4, relation="label")


def test_a_label_order_without_its_perm_is_refused():
    with pytest.raises(ValueError, match="label_order='cooccurrence' needs label_perm"):
        MSDN(3, 4, label_order="cooccurrence")
    assert MSDN(3, 4).config["label_order"] == "given"
    assert MSDN(3, 4, label_perm=[1, 0, 2, 3]).config["label_order"] == "custom"


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


def _record_batches(model) -> list[int]:
    """Wrap ``model.forward`` so that the rows of every call are recorded."""
    rows: list[int] = []
    forward = model.forward

    def recorded(X):
        rows.append(len(X))
        return forward(X)

    model.forward = recorded
    return rows


@pytest.mark.parametrize(("L", "expected"), [(3, [300]), (1000, [131, 131, 38]), (5000, [32] * 9 + [12])])
def test_logits_batch_rows_shrink_as_L_grows(L, expected):
    """min(1024, max(32, 2**17 // L)) rows per batch, so memory stays linear in L; same logits as one batch."""
    model = MSDN(4, L, hidden=8, embed_dim=2, rank=2, channels=2, seed=0)
    X = _x(300, 4)
    one_batch = model.logits(X, batch_size=len(X))
    rows = _record_batches(model)
    batched = model.logits(X)
    assert rows == expected
    np.testing.assert_allclose(batched, one_batch, rtol=0, atol=1e-12)


def test_logits_restores_mode_and_is_batched():
    model = MSDN(4, 3, dropout=0.5, seed=0)
    model.train()
    X = _x(7, 4)
    full = model.logits(X, batch_size=1024)
    parts = model.logits(X, batch_size=3)
    assert model.training
    np.testing.assert_allclose(full, parts, atol=1e-12)
    assert model.predict_proba(X).shape == (7, 3)
