"""``nn/score_embedding.py`` and the MSDN designs whose kernels read it (``embedding="both"``, the
default, and ``"label"``): gradients, equal readable and fast forms, the zero-init property, and
the receptive field a kernel size gives."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from msdn_numpy import gradcheck
from msdn_numpy.models import BRMLP, MSDN, RethinkRNN
from msdn_numpy.nn.fast import accelerate
from msdn_numpy.nn.score_embedding import ScoreEmbedding

BAR = 1e-7
SCORE_DESIGNS = ["both", "label"]  # the designs whose kernels read each label's own score


def _x(N: int, D: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((N, D))


def _randomise_combine(model: MSDN, seed: int = 9) -> MSDN:
    rng = np.random.default_rng(seed)
    for p in model.combine.params.values():
        p[...] = rng.standard_normal(p.shape)
    return model


def test_score_embedding_gradcheck():
    layer = ScoreEmbedding(6, 3, rng=1)
    errors = gradcheck(layer, _x(5, 6, seed=2))
    assert set(errors) == {"x", "u", "e"}
    assert errors.passed and max(errors.values()) < BAR, errors


def test_score_embedding_position_p_reads_only_score_p():
    layer = ScoreEmbedding(5, 4, rng=0)
    g = _x(3, 5)
    Z = layer.forward(g)
    g2 = g.copy()
    g2[:, 2] += 1.0
    changed = np.abs(layer.forward(g2) - Z).max(axis=(0, 1))
    assert changed[2] > 0 and not np.delete(changed, 2).any()


def test_score_embedding_rejects_a_wrong_shape():
    with pytest.raises(ValueError, match=r"expected scores of shape \(N, L=5\)"):
        ScoreEmbedding(5, 2).forward(np.zeros((3, 4)))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_sizes=(1, 3, 5), padding_mode="zeros"),
        dict(kernel_sizes=(2, 3, 4), padding_mode="circular", dropout=0.3),
        dict(kernel_sizes=(3,), label_perm=[4, 2, 0, 5, 1, 3], dropout=0.0),
        dict(kernel_sizes=(1, 7), label_perm=[5, 4, 3, 2, 1, 0], dropout=0.5, padding_mode="circular"),
    ],
)
@pytest.mark.parametrize("embedding", SCORE_DESIGNS)
def test_label_embedding_whole_model_gradcheck(kwargs, embedding):
    sizes = dict(hidden=7, embed_dim=3, label_dim=2, free_channels=5, channels=4)
    model = _randomise_combine(MSDN(5, 6, seed=1, embedding=embedding, **sizes, **kwargs))
    errors = gradcheck(model, _x(4, 5, seed=2))
    expected = {"x", "encoder.0.W", "head.W", "head.b", "embed.u", "embed.e", "combine.W", "combine.b"}
    expected |= {f"convs.{i}.0.{w}" for i in range(len(kwargs["kernel_sizes"])) for w in "Wb"}
    assert set(errors) >= expected
    assert errors.passed and max(errors.values()) < BAR, errors


@pytest.mark.parametrize("embedding", SCORE_DESIGNS)
def test_label_embedding_readable_and_fast_forms_are_equal(embedding):
    """The readable Parallel of Conv1D branches and the fast twins of nn.fast: same logits, same gradients."""
    model = _randomise_combine(MSDN(5, 8, hidden=7, embed_dim=3, channels=4, seed=2, embedding=embedding, dropout=0.0))
    twin = accelerate(copy.deepcopy(model))
    X, dout = _x(6, 5, seed=3), _x(6, 8, seed=4)
    np.testing.assert_allclose(twin.forward(X), model.forward(X), rtol=0, atol=1e-12)
    np.testing.assert_allclose(twin.backward(dout), model.backward(dout), rtol=0, atol=1e-12)
    np.testing.assert_allclose(twin.head.grads["W"], model.head.grads["W"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(twin.embed.grads["u"], model.embed.grads["u"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("embedding", SCORE_DESIGNS)
def test_label_embedding_starts_as_brmlp(embedding):
    """Zero-initialised combine: at initialisation MSDN (both score designs) is BR-MLP, bit for bit."""
    X = _x(6, 5)
    msdn = MSDN(5, 7, hidden=8, dropout=0.3, seed=3, embedding=embedding, label_perm=[6, 5, 4, 3, 2, 1, 0])
    br = BRMLP(5, 7, hidden=8, dropout=0.3, seed=3)
    np.testing.assert_array_equal(msdn.forward(X), br.forward(X))
    dout = _x(6, 7, seed=4)
    np.testing.assert_array_equal(msdn.backward(dout), br.backward(dout))
    assert msdn.combine.grads["W"].any()  # combine learns from the first step


def _label_logits_after_bumping(model: MSDN, X: np.ndarray, label: int) -> np.ndarray:
    """How much every label's logit moves when the head's score of ``label`` alone is changed."""
    base = model.logits(X)
    bumped = copy.deepcopy(model)
    bumped.head.params["b"][label] += 2.0
    return np.abs(bumped.logits(X) - base).max(axis=0)


@pytest.mark.parametrize("embedding", SCORE_DESIGNS)
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 9])
def test_a_kernel_of_size_k_relates_only_labels_within_its_reach(k, embedding):
    """For K=(k,): the logit at position t reads the scores at t-(k-1)//2 ... t+k//2, and nothing else.

    Change the evidence (the head's score) of one label and every label farther than that
    reach keeps its logit; the labels within it move (combine is random, so they do). With
    ``embedding="both"`` the free branch beside the kernels reads h, not the scores, and has
    kernel size 1: it relates no labels, so the same reach holds.
    """
    L = 13
    perm = list(np.random.default_rng(5).permutation(L))
    model = _randomise_combine(
        MSDN(4, L, hidden=6, embed_dim=3, channels=16, kernel_sizes=(k,), embedding=embedding, label_perm=perm, seed=0)
    )
    X = _x(64, 4, seed=1)
    pos = {label: p for p, label in enumerate(perm)}
    left, right = (k - 1) // 2, k // 2
    for label in (perm[0], perm[6], perm[12]):
        moved = _label_logits_after_bumping(model, X, label)
        for j in range(L):
            # output t reads input t+o for o in [-left, right]: input q reaches outputs q-right .. q+left
            within = -left <= pos[label] - pos[j] <= right
            if within:
                assert moved[j] > 1e-9, (k, label, j)
            else:
                assert moved[j] == 0.0, (k, label, j)


def test_label_embedding_parameter_count_by_hand():
    D, L, E, d, C, K = 10, 12, 16, 8, 32, (1, 3, 5)
    model = MSDN(D, L, hidden=E, label_dim=d, channels=C, kernel_sizes=K, embedding="label")
    expected = (D * E + E) + (E * L + L) + 2 * d * L + sum(C * d * k + C for k in K) + (C * len(K) + 1)
    assert model.num_parameters() == expected
    assert model.parameter_split()["embed"] == 2 * d * L


def test_equal_encoders_give_the_same_encoder_to_all_three():
    """``--hidden 128``: every model's encoder is RethinkNet's Dense(128, ReLU), D*128 + 128 parameters."""
    D, L = 72, 6
    models = [MSDN(D, L, hidden=128), MSDN(D, L, hidden=128, embedding="label"), BRMLP(D, L, hidden=128),
              RethinkRNN(D, L, hidden=128)]  # fmt: skip
    for m in models:
        assert m.parameter_split()["encoder"] == D * 128 + 128
    assert RethinkRNN(D, L).parameter_split()["encoder"] == D * 128 + 128  # the RNN's default already
    assert MSDN(D, L).parameter_split()["encoder"] == D * 64 + 64  # MSDN's and BR-MLP's default: 64


def test_unknown_embedding_is_a_clear_error():
    with pytest.raises(ValueError, match="embedding must be one of both, free, label"):
        MSDN(3, 4, embedding="neighbours")


@pytest.mark.parametrize("embedding", SCORE_DESIGNS)
def test_a_label_embedding_model_file_round_trips(tmp_path, embedding):
    from msdn_numpy.dataio.benchmarks import load_dataset
    from msdn_numpy.tools import persist
    from msdn_numpy.train import TrainConfig, train_model

    train, test = load_dataset("synthetic-scales")
    options = {"embedding": embedding, "label_order": "given"}
    trained = train_model(train, "msdn", options, TrainConfig(epochs=2), log=None)
    path = persist.save(trained, tmp_path / "m.npz")
    loaded = persist.load(path)
    assert loaded.model.config["embedding"] == embedding
    np.testing.assert_array_equal(loaded.predict_proba(test.X), trained.predict_proba(test.X))
