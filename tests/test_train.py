"""The trainer: determinism, early stopping, thresholds, model files, and MSDN vs BR on synthetic data."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from msdn_numpy.dataio.benchmarks import load_dataset
from msdn_numpy.dataio.preprocessing import train_val_split
from msdn_numpy.metrics import subset_accuracy
from msdn_numpy.models import MSDN
from msdn_numpy.nn.losses import BCEWithLogits
from msdn_numpy.tools import persist
from msdn_numpy.train import TrainConfig, _evaluate_split, best_micro_f1, config_dict, train_model, tune_thresholds


@pytest.fixture(scope="module")
def synthetic():
    return load_dataset("synthetic")


def _quick(**over) -> TrainConfig:
    base = dict(epochs=4, batch_size=64, patience=5, seed=0)
    base.update(over)
    return TrainConfig(**base)


def test_training_is_deterministic_for_a_seed(synthetic):
    train, _ = synthetic
    a = train_model(train, "msdn", {"hidden": 16}, _quick(), log=None)
    b = train_model(train, "msdn", {"hidden": 16}, _quick(), log=None)
    c = train_model(train, "msdn", {"hidden": 16}, _quick(seed=1), log=None)
    pa = {n: p for n, p, _ in a.model.named_parameters()}
    pb = {n: p for n, p, _ in b.model.named_parameters()}
    assert all(np.array_equal(pa[n], pb[n]) for n in pa)
    assert a.history.rows[-1]["train_loss"] == b.history.rows[-1]["train_loss"]
    assert not np.array_equal(pa["combine.W"], c.model.combine.params["W"])  # another seed, another model


def test_early_stopping_on_the_loss_restores_the_best_epoch(synthetic):
    train, _ = synthetic
    # a learning rate this large makes validation loss go up soon: early stopping must kick in
    cfg = _quick(epochs=60, lr=0.05, patience=3, select="loss")
    trained = train_model(train, "br", {"hidden": 16}, cfg, log=None)
    h = trained.history
    assert len(h.rows) < 60 and h.select == "loss"
    assert h.best_epoch == int(h.column("epoch")[np.argmin(h.column("val_loss"))])
    assert len(h.rows) == h.best_epoch + 3
    assert set(h.rows[0]) == {"epoch", "train_loss", "val_loss", "val_micro_f1", "val_example_f1", "seconds"}


def test_selection_on_validation_micro_f1_is_what_is_kept_and_recorded(synthetic):
    """The default recipe keeps the epoch with the best validation micro-F1 at the tuned
    threshold (ties: the lower validation loss), restores exactly that model, and the
    run's JSON record names the selection metric."""
    train, _ = synthetic
    cfg = _quick(epochs=40, lr=0.05, patience=4)
    assert cfg.select == "micro_f1" == TrainConfig().select
    trained = train_model(train, "msdn", {"hidden": 16}, cfg, log=None)
    h = trained.history
    keys = [(round(r["val_micro_f1"], 12), -r["val_loss"]) for r in h.rows]
    assert h.best_epoch == 1 + max(range(len(keys)), key=lambda i: (keys[i], -i))
    assert len(h.rows) == min(40, h.best_epoch + 4)
    # the restored parameters are the best epoch's: recompute its validation micro-F1
    fit_part, val_part = train_val_split(train, cfg.val_fraction, seed=cfg.seed)
    P_val = trained.predict_proba(val_part.X)
    assert best_micro_f1(P_val, val_part.Y)[0] == pytest.approx(h.rows[h.best_epoch - 1]["val_micro_f1"], abs=1e-6)
    record = config_dict(trained, cfg)
    assert record["selection_metric"] == "micro_f1" and record["train"]["select"] == "micro_f1"
    assert record["best_epoch"] == h.best_epoch and record["epochs_run"] == len(h.rows)


def test_validation_batches_shrink_as_L_grows():
    """min(1024, max(32, 2**17 // L)) rows per batch (memory linear in L); the same loss and probabilities
    as one batch."""
    rng = np.random.default_rng(0)
    L = 2000
    X, Y = rng.standard_normal((150, 4)), (rng.random((150, L)) < 0.05).astype(np.float64)
    model = MSDN(4, L, hidden=8, embed_dim=2, rank=2, channels=2, seed=0)
    model.eval_batch_size = lambda: len(X)  # one batch: the reference
    loss_one, P_one = _evaluate_split(model, BCEWithLogits(), X, Y)
    del model.eval_batch_size
    rows: list[int] = []
    forward = model.forward

    def recorded(x):
        rows.append(len(x))
        return forward(x)

    model.forward = recorded
    loss_b, P_b = _evaluate_split(model, BCEWithLogits(), X, Y)
    assert rows == [65, 65, 20]
    assert loss_b == pytest.approx(loss_one, rel=1e-12)
    np.testing.assert_allclose(P_b, P_one, rtol=0, atol=1e-12)


def test_best_micro_f1_by_hand():
    """Two labels, four rows, three true cells: (0,0), (1,1), (2,0).

    t = 0.5:  predicted (0,0) (1,0) (1,1): TP 2, FP 1, FN 1 -> 2*2 / (3 + 3) = 2/3
    t = 0.35: also (2,0):                  TP 3, FP 1, FN 0 -> 2*3 / (4 + 3) = 6/7  (the best)
    t = 0.25: also (3,0):                  TP 3, FP 2       -> 6 / (5 + 3)   = 3/4
    t = 0.15: every cell but (2,1):        TP 3, FP 4       -> 6 / (7 + 3)   = 3/5
    """
    Y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    P = np.array([[0.9, 0.2], [0.6, 0.7], [0.4, 0.1], [0.3, 0.2]])
    grid = np.array([0.15, 0.25, 0.35, 0.5])
    assert best_micro_f1(P, Y, grid) == (pytest.approx(6 / 7), 0.35)
    assert best_micro_f1(P, Y, grid[[0, 1, 3]]) == (pytest.approx(3 / 4), 0.25)
    assert best_micro_f1(P, Y, grid[[0, 3]]) == (pytest.approx(2 / 3), 0.5)
    assert best_micro_f1(np.zeros((2, 2)), np.zeros((2, 2)), grid) == (0.0, 0.15)  # nothing true, nothing predicted


def test_float32_by_default_float64_on_request(synthetic):
    train, _ = synthetic
    assert train_model(train, "br", {"hidden": 8}, _quick(epochs=1), log=None).model.dtype == np.float32
    assert (
        train_model(train, "br", {"hidden": 8}, _quick(epochs=1, dtype="float64"), log=None).model.dtype == np.float64
    )


def test_tune_thresholds():
    rng = np.random.default_rng(0)
    Y = rng.integers(0, 2, (200, 3)).astype(np.uint8)
    # label 0: positives score 0.3, negatives 0.1 -> any threshold in (0.1, 0.3] is perfect
    P = np.where(Y == 1, 0.3, 0.1)
    P[:, 2] = np.where(Y[:, 2] == 1, 0.9, 0.6)
    assert np.all(tune_thresholds(P, Y, "fixed") == 0.5)
    per = tune_thresholds(P, Y, "per-label")
    assert 0.1 < per[0] <= 0.3 and 0.1 < per[1] <= 0.3 and 0.6 < per[2] <= 0.9
    glob = tune_thresholds(P, Y, "global")
    assert len(set(glob)) == 1 and 0.05 <= glob[0] <= 0.95
    with pytest.raises(ValueError, match="threshold mode"):
        tune_thresholds(P, Y, "best")


def test_bad_train_config():
    with pytest.raises(ValueError, match="unknown optimizer"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="val_fraction"):
        TrainConfig(val_fraction=1.5)
    with pytest.raises(ValueError, match="unknown selection metric"):
        TrainConfig(select="accuracy")


def test_msdn_beats_brmlp_on_subset_accuracy_on_synthetic(synthetic):
    """The synthetic labels are built from rules over neighbouring labels: MSDN must use them."""
    train, test = synthetic
    cfg = TrainConfig(seed=0)
    msdn = train_model(train, "msdn", None, cfg, log=None)
    br = train_model(train, "br", None, cfg, log=None)
    acc_msdn = subset_accuracy(test.Y, msdn.predict(test.X))
    acc_br = subset_accuracy(test.Y, br.predict(test.X))
    assert acc_msdn > acc_br + 0.05, (acc_msdn, acc_br)


def test_save_load_gives_identical_predictions(synthetic, tmp_path):
    train, test = synthetic
    for kind in ("msdn", "rnn", "br"):
        trained = train_model(train, kind, {"hidden": 8}, _quick(epochs=2), log=None)
        path = persist.save(trained, tmp_path / f"{kind}.npz")
        loaded = persist.load(path)
        assert np.array_equal(trained.predict_proba(test.X), loaded.predict_proba(test.X))
        assert np.array_equal(trained.predict(test.X), loaded.predict(test.X))
        assert loaded.label_names == train.label_names and loaded.model.config == trained.model.config


def test_model_file_errors(synthetic, tmp_path):
    train, _ = synthetic
    trained = train_model(train, "msdn", {"hidden": 8}, _quick(epochs=1), log=None)
    good = persist.save(trained, tmp_path / "m.npz")
    data = good.read_bytes()

    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(persist.ModelFileError, match="truncated or corrupted"):
        persist.load(truncated)

    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.zeros(3))
    with pytest.raises(persist.ModelFileError, match="not an msdn_numpy model"):
        persist.load(foreign)

    pickled = tmp_path / "pickled.npz"
    version = np.array(persist.FORMAT_VERSION)
    np.savez(pickled, format=np.array("msdn_numpy-model"), version=version, meta=np.array([{"a": 1}], dtype=object))
    with pytest.raises(persist.ModelFileError, match="not a readable"):
        persist.load(pickled)

    old = tmp_path / "old.npz"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(old, "w") as zout:
        for item in zin.namelist():
            if item != "version.npy":
                zout.writestr(item, zin.read(item))
    np.lib.format.write_array(open(tmp_path / "v.npy", "wb"), np.array(99))
    with zipfile.ZipFile(old, "a") as zout:
        zout.write(tmp_path / "v.npy", "version.npy")
    with pytest.raises(persist.ModelFileError, match="format version 99"):
        persist.load(old)

    with pytest.raises(persist.ModelFileError, match="does not exist"):
        persist.load(tmp_path / "nothing.npz")


def test_model_from_another_dataset_is_refused(synthetic, data_dir):
    train, _ = synthetic
    trained = train_model(train, "br", {"hidden": 8}, _quick(epochs=1), log=None)
    _, emotions_test = load_dataset("emotions", data_dir)
    with pytest.raises(ValueError, match="trained on 'synthetic'.*L=6"):
        trained.evaluate(emotions_test)


def test_global_threshold_prefers_0_5_within_the_tolerance():
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 10, dtype=np.uint8)
    # positives at 0.6, negatives at 0.2: every threshold in (0.2, 0.6] is perfect -> 0.5
    P = np.where(Y == 1, 0.6, 0.2)
    assert np.all(tune_thresholds(P, Y, "global") == 0.5)
    # positives at 0.3: only thresholds in (0.2, 0.3] are perfect, 0.5 misses every positive
    P = np.where(Y == 1, 0.3, 0.2)
    assert np.all(tune_thresholds(P, Y, "global") == 0.3)
    # a tolerance larger than the gain keeps 0.5: the rule is "closest to 0.5 among the near-best"
    P = np.where(Y == 1, 0.3, 0.2)
    P[0, 0] = 0.9  # one positive above 0.5: micro-F1 at 0.5 is 2/41 > 0, still far below 1
    assert np.all(tune_thresholds(P, Y, "global", tolerance=1.0) == 0.5)
