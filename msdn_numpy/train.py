"""Training: seeded minibatches, Adam/SGD, early stopping, threshold tuning.

The whole recipe, the same for every model, used by the CLI, the benchmarks and the
tutorials (docs/DESIGN.md, section 4, says why each step is as it is):

1. hold out a validation split *from train* (the test split is never looked at);
2. standardise the features with statistics of the remaining training rows only;
3. train on minibatches with Adam (or SGD), keeping the parameters of the epoch with
   the best validation micro-F1 at the tuned threshold (``TrainConfig.select``), and
   stop after ``patience`` epochs without a better one;
4. choose the decision threshold(s) on the validation split;
5. evaluate on the test split.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from msdn_numpy.dataio.datasets import Dataset, first_difference
from msdn_numpy.dataio.label_orders import label_order
from msdn_numpy.dataio.preprocessing import Standardizer, train_val_split
from msdn_numpy.metrics import evaluate, example_f1, micro_f1
from msdn_numpy.models import DEFAULT_LABEL_ORDER, MODELS, MultiLabelModel, build_model
from msdn_numpy.models.config import option
from msdn_numpy.nn.fast import FlatAdam, FlatSGD, accelerate, readable
from msdn_numpy.nn.losses import BCEWithLogits, sigmoid
from msdn_numpy.nn.optim import SGD, Adam
from msdn_numpy.util.checks import check_int, check_real

THRESHOLD_MODES = ("fixed", "global", "per-label")

#: What early stopping watches on the validation split (``TrainConfig.select``).
SELECTION_METRICS = ("micro_f1", "loss")

#: The grid of decision thresholds searched on validation.
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)


@dataclass
class TrainConfig:
    """Everything about *how* a model is trained (the model's own options live in ``models.config``).

    The fields with a ``help`` are also the training options of ``msdn train`` (``--batch-size``
    for ``batch_size``) and of the estimators, with these defaults; ``momentum`` and
    ``val_fraction`` are set from Python only, and the seed is ``--seed`` / ``random_state``.

    Attributes
    ----------
    epochs : int
        Upper bound on passes over the training data (early stopping usually ends sooner).
    batch_size : int
        Examples per minibatch.
    lr, weight_decay : float
        Learning rate and L2 weight decay of the optimiser.
    optimizer : {"adam", "sgd"}
        Adam (default) or SGD with ``momentum``.
    patience : int
        Stop after this many epochs without a better validation score (``select``).
    select : {"micro_f1", "loss"}
        What early stopping watches and which epoch's parameters are kept: ``micro_f1``, the
        validation micro-F1 at the best global threshold of :data:`THRESHOLD_GRID` (how the
        model is used: thresholded), ties broken by the lower validation loss; ``loss``, the
        validation BCE alone.
    threshold : {"fixed", "global", "per-label"}
        0.5 for every label; one threshold for all labels chosen on validation; or one per label.
    dtype : {"float32", "float64"}
        Training precision. float32 is about twice as fast; gradient checks use float64.
    fast : bool
        Train with the fast twins of :mod:`msdn_numpy.nn.fast` (the fused multi-scale convolution,
        the flat-vector optimisers): the same numbers to float rounding, less time.
    val_fraction : float
        Fraction of the training split held out for validation.
    seed : int
        Seeds the initialisation, the validation split and the minibatch order.
    """

    epochs: int = option(400, "maximum epochs (early stopping on validation)", "N", range=(1, 100_000))
    batch_size: int = option(32, "examples per minibatch", "N", range=(1, 1_000_000))
    lr: float = option(1e-3, "learning rate (> 0)", range=(0.0, None), lo_open=True)
    weight_decay: float = option(1e-4, "L2 weight decay (>= 0)", range=(0.0, None))
    optimizer: str = option("adam", "the optimiser", choices=("adam", "sgd"))
    momentum: float = 0.9
    patience: int = option(30, "epochs without validation improvement before stopping", "N", range=(1, 100_000))
    select: str = option("micro_f1", "what early stopping watches on validation: micro-F1 at the tuned threshold, "
                         "or the BCE loss", choices=SELECTION_METRICS)  # fmt: skip
    val_fraction: float = 0.2
    threshold: str = option("global", "how decision thresholds are chosen on validation", choices=THRESHOLD_MODES)
    dtype: str = option("float32", "training precision", choices=("float32", "float64"))
    fast: bool = option(False, "train with the fast twins of the readable layers (msdn_numpy.nn.fast): "
                        "the same results to float rounding, less time")  # fmt: skip
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "patience"):
            check_int("TrainConfig", name, getattr(self, name), 1)
        check_int("TrainConfig", "seed", self.seed, 0, 2**63 - 1)
        for name in ("lr", "weight_decay", "momentum", "val_fraction"):
            check_real("TrainConfig", name, getattr(self, name))
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"unknown optimizer '{self.optimizer}': choose 'adam' or 'sgd'")
        if self.select not in SELECTION_METRICS:
            raise ValueError(f"unknown selection metric '{self.select}': choose one of {', '.join(SELECTION_METRICS)}")
        if self.threshold not in THRESHOLD_MODES:
            raise ValueError(f"unknown threshold mode '{self.threshold}': choose one of {', '.join(THRESHOLD_MODES)}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"unknown dtype '{self.dtype}': choose 'float32' or 'float64'")
        if not isinstance(self.fast, (bool, np.bool_)):
            raise TypeError(f"TrainConfig: fast={self.fast!r} is not True or False")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1:
            raise ValueError("epochs, batch_size and patience must be >= 1")
        if not (np.isfinite(self.lr) and self.lr > 0 and np.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(
                f"lr must be finite and > 0 and weight_decay finite and >= 0, got {self.lr} and {self.weight_decay}"
            )


@dataclass
class History:
    """Per-epoch record of a training run (plot it with :func:`msdn_numpy.tools.plots.learning_curves`).

    Each row of ``rows`` is ``{"epoch", "train_loss", "val_loss", "val_micro_f1",
    "val_example_f1", "seconds"}``: ``val_micro_f1`` at the best global threshold of the
    grid, ``val_example_f1`` at 0.5. ``select`` names what chose ``best_epoch``.
    """

    rows: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    select: str = "micro_f1"

    def column(self, key: str) -> np.ndarray:
        return np.array([r[key] for r in self.rows])


def _evaluate_split(
    model: MultiLabelModel, loss: BCEWithLogits, X: np.ndarray, Y: np.ndarray
) -> tuple[float, np.ndarray]:
    """Evaluation-mode BCE and probabilities ``(N, L)`` over a whole split, in batches of
    :meth:`~msdn_numpy.models.base.MultiLabelModel.eval_batch_size` rows."""
    batch = model.eval_batch_size()
    was = model.training
    model.eval()
    total, probs = 0.0, []
    for i in range(0, len(X), batch):
        out = model.forward(X[i : i + batch])
        total += loss.forward(out, model.output_targets(Y[i : i + batch])) * len(X[i : i + batch])
        probs.append(sigmoid(model.logits_from_output(out)))
    model.train(was)
    return total / len(X), np.concatenate(probs, axis=0)


def best_micro_f1(P: np.ndarray, Y: np.ndarray, grid: np.ndarray = THRESHOLD_GRID) -> tuple[float, float]:
    """The best micro-F1 over one global threshold, and that threshold.

    ``P (N, L)`` probabilities, ``Y (N, L)`` 0/1. For each ``t`` in ``grid``,
    ``micro-F1(t) = 2 TP / (2 TP + FP + FN)`` with ``pred = P >= t``, where
    ``2 TP + FP + FN`` is simply (predicted positives) + (actual positives).
    The first best threshold of the grid wins ties.
    """
    Yb = np.asarray(Y, dtype=bool)
    actual = int(Yb.sum())
    best_f1, best_t = -1.0, float(grid[0])
    for t in grid:  # one (N, L) comparison per threshold: memory stays O(N L)
        pred = P >= t
        denom = int(pred.sum()) + actual
        f1 = 2.0 * int((pred & Yb).sum()) / denom if denom else 0.0
        if f1 > best_f1:
            best_f1, best_t = f1, float(t)
    return best_f1, best_t


def fit(
    model: MultiLabelModel,
    X: np.ndarray,
    Y: np.ndarray,
    X_val: np.ndarray,
    Y_val: np.ndarray,
    config: TrainConfig,
    log: Callable[[str], None] | None = print,
) -> History:
    """Train ``model`` in place with early stopping on a validation score (``config.select``).

    Parameters
    ----------
    model : MultiLabelModel
        Already cast to the training dtype.
    X, Y : np.ndarray
        Training features ``(N, D)`` (standardised) and labels ``(N, L)``.
    X_val, Y_val : np.ndarray
        Validation split, same layout.
    config : TrainConfig
    log : callable or None
        Receives one progress line per epoch (``None``: silent).

    Returns
    -------
    History
        The model is left with the parameters of the best epoch.
    """
    dtype = model.dtype
    X, X_val = X.astype(dtype, copy=False), X_val.astype(dtype, copy=False)
    T = model.output_targets(Y.astype(dtype))
    loss = BCEWithLogits()
    if config.fast:
        accelerate(model)  # swapped back in place below: the same parameter arrays either way
    if config.optimizer == "adam":
        opt: Adam | SGD = (FlatAdam if config.fast else Adam)(model, lr=config.lr, weight_decay=config.weight_decay)
    else:
        sgd = FlatSGD if config.fast else SGD
        opt = sgd(model, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    try:
        history = _epochs(model, loss, opt, X, T, X_val, Y_val, config, log)
    finally:
        readable(model)
    return history


def _epochs(model, loss, opt, X, T, X_val, Y_val, config: TrainConfig, log) -> History:
    """The epochs of :func:`fit`: train, evaluate on validation, keep the best, stop on patience."""
    rng = np.random.default_rng(config.seed + 1)  # the minibatch order
    history = History(select=config.select)
    best_key, best_params, waited = (-np.inf, -np.inf), None, 0
    model.train()
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(len(X))
        total = 0.0
        for i in range(0, len(X), config.batch_size):
            idx = order[i : i + config.batch_size]
            out = model.forward(X[idx])
            total += loss.forward(out, T[idx]) * len(idx)
            model.backward(loss.backward())
            opt.step()
        val_loss, P_val = _evaluate_split(model, loss, X_val, Y_val)  # one forward pass for both
        val_micro, _ = best_micro_f1(P_val, Y_val)
        row = {
            "epoch": epoch,
            "train_loss": total / len(X),
            "val_loss": val_loss,
            "val_micro_f1": val_micro,
            "val_example_f1": example_f1(Y_val, (P_val >= 0.5).astype(np.uint8)),
            "seconds": time.perf_counter() - start,
        }
        history.rows.append(row)
        if not (np.isfinite(row["train_loss"]) and np.isfinite(val_loss)):
            where = (
                f"training diverged at epoch {epoch} (train loss {row['train_loss']:.4g}, "
                f"validation loss {val_loss:.4g})"
            )
            if config.weight_decay >= 1:  # far above any useful value: the decay alone pushes the weights away
                raise ValueError(
                    f"{where}: the weight decay is too large (weight_decay={config.weight_decay:g}, --weight-decay on "
                    "the command line; useful values are 0 to about 1e-2): lower it"
                )
            raise ValueError(f"{where}: lower the learning rate (lr={config.lr:g}, --lr on the command line)")
        # Compared as (score, -loss): a higher score wins, an equal one wins with a lower loss.
        key = (val_micro if config.select == "micro_f1" else -val_loss, -val_loss)
        improved = key[0] > best_key[0] + 1e-9 or (abs(key[0] - best_key[0]) <= 1e-9 and key[1] > best_key[1] + 1e-9)
        if improved:
            best_key, waited, history.best_epoch = key, 0, epoch
            best_params = {name: p.copy() for name, p, _ in model.named_parameters()}
        else:
            waited += 1
        if log is not None:
            log(
                f"epoch {epoch:3d}  train loss {row['train_loss']:.4f}  val loss {val_loss:.4f}  "
                f"val micro-F1 {val_micro:.4f}  {row['seconds']:.2f}s" + ("  *" if improved else "")
            )
        if waited >= config.patience:
            break
    if best_params is not None:  # restore the best epoch, in place
        for name, p, _ in model.named_parameters():
            p[...] = best_params[name]
    model.eval()
    return history


def tune_thresholds(P: np.ndarray, Y: np.ndarray, mode: str, tolerance: float = 0.01) -> np.ndarray:
    """Decision thresholds ``(L,)`` chosen on validation probabilities ``P (N, L)``.

    * ``fixed``: 0.5 everywhere.
    * ``global``: one threshold for all labels, from the grid 0.05, 0.10, …, 0.95: the
      one closest to 0.5 among those whose validation micro-F1 is within ``tolerance``
      (0.01) of the best. Micro-F1 weighs every (example, label) decision alike, so it
      trades precision against recall without the pull of example-based F1 towards low
      thresholds (which costs Hamming loss). Validation splits are small (78 examples on
      emotions), so differences below ~0.01 are noise: the tolerance keeps the
      threshold at the usual 0.5 unless the validation data clearly says otherwise
      (as on sparse datasets such as enron, where every label is rare).
    * ``per-label``: for each label, the grid value maximising that label's F1 (a label
      never positive in validation keeps 0.5).

    The paper does not say how MSDN turns probabilities into label sets; we follow the
    common practice of tuning on held-out data, never on test.
    """
    L = P.shape[1]
    if mode == "fixed":
        return np.full(L, 0.5)
    # the grid by distance from 0.5, so that ties go to the value nearest 0.5
    grid = THRESHOLD_GRID[np.argsort(np.abs(THRESHOLD_GRID - 0.5), kind="stable")]
    if mode == "global":
        scores = np.array([micro_f1(Y, (P >= t).astype(np.uint8)) for t in grid])
        good = np.flatnonzero(scores >= scores.max() - tolerance)  # grid is sorted by |t - 0.5|
        return np.full(L, grid[good[0]])
    if mode == "per-label":
        th = np.full(L, 0.5)
        for j in range(L):
            y = Y[:, j].astype(bool)
            if not y.any():
                continue
            pred = P[:, j][:, None] >= grid[None, :]  # (N, |grid|)
            tp = (pred & y[:, None]).sum(0)
            f1 = 2 * tp / np.maximum(pred.sum(0) + y.sum(), 1)
            th[j] = grid[int(np.argmax(f1))]
        return th
    raise ValueError(f"unknown threshold mode '{mode}': choose one of {', '.join(THRESHOLD_MODES)}")


@dataclass
class TrainedModel:
    """A model plus everything needed to use it on raw features.

    ``predict_proba(X_raw)`` standardises with the training statistics, runs the model
    and applies the sigmoid; ``predict`` applies the tuned thresholds.
    """

    model: MultiLabelModel
    standardizer: Standardizer
    thresholds: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    dataset: str
    history: History | None = None

    def predict_proba(self, X_raw: np.ndarray) -> np.ndarray:
        """Probabilities ``(N, L)`` for raw (unstandardised) features ``(N, D)``.

        Raises ValueError rather than return a non-finite probability (features far
        outside the range of the training data can overflow the model's dtype).
        """
        X_raw = np.asarray(X_raw, dtype=np.float64)
        try:
            X = self.standardizer.transform(X_raw)
        except ValueError as e:
            raise ValueError(f"{e}{self._scale_hint(X_raw)}") from None
        with np.errstate(over="ignore", invalid="ignore"):
            P = self.model.predict_proba(X.astype(self.model.dtype, copy=False)).astype(np.float64)
        too_far = (np.abs(X) > np.finfo(self.model.dtype).max).any(axis=1)
        bad = ~np.isfinite(P).all(axis=1) | too_far
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            if not too_far[row] and not all(np.isfinite(p).all() for _, p, _ in self.model.named_parameters()):
                raise ValueError("the model's parameters are not finite numbers: re-train it (with a lower lr)")
            raise ValueError(
                f"row {row + 1}: features too far outside the range of the training data ('{self.dataset}'; "
                f"largest standardised value {np.abs(X[row]).max():.3g}) for a {self.model.dtype} model, "
                f"whose output would not be a number; check the units of the input features{self._scale_hint(X_raw)}"
            )
        return P

    def _scale_hint(self, X_raw: np.ndarray) -> str:
        """Words for a message: whether the model's standardisation, not the input, looks damaged.

        The input is in range when its largest value per feature is no more than 1e6 times the
        training scale away from the mean; if a model then overflows, its scaler is suspect.
        """
        mean, scale = self.standardizer.mean_, self.standardizer.scale_
        with np.errstate(over="ignore", invalid="ignore"):
            ratio = np.abs(scale) / np.maximum(np.abs(mean), np.abs(X_raw).max(axis=0, initial=0.0))
        odd = ~(np.isfinite(ratio) & (ratio > 1e-150) & (ratio < 1e150))
        if not odd.any():
            return ""
        j = int(np.flatnonzero(odd)[0])
        return (
            f"; but the model's training scale of feature {self.feature_names[j]!r} ({scale[j]:.3g}) does not "
            f"fit its training mean ({mean[j]:.3g}) or the data: the model file is probably damaged: "
            "re-save the model with `msdn train --save`"
        )

    def predict(self, X_raw: np.ndarray) -> np.ndarray:
        """Binary label matrix ``(N, L)``: ``predict_proba >= thresholds``."""
        return (self.predict_proba(X_raw) >= self.thresholds).astype(np.uint8)

    def evaluate(self, ds: Dataset) -> dict[str, float]:
        """All metrics of :func:`msdn_numpy.metrics.evaluate` on a dataset."""
        self.check_dataset(ds)
        return evaluate(ds.Y, self.predict_proba(ds.X), threshold=self.thresholds)

    def check_dataset(self, ds: Dataset) -> None:
        """Refuse data whose features or labels differ from the training data (names and order)."""
        if ds.n_labels != len(self.label_names) or ds.n_features != len(self.feature_names):
            raise ValueError(
                f"this model was trained on '{self.dataset}' with D={len(self.feature_names)} features and "
                f"L={len(self.label_names)} labels, but '{ds.name}' has D={ds.n_features} and L={ds.n_labels}: "
                "use a model file trained on this dataset"
            )
        self.check_features(ds)
        if list(ds.label_names) != list(self.label_names):
            ours, theirs = list(self.label_names), list(ds.label_names)
            i, mine, other = first_difference(ours, theirs)
            order = " (the same labels in another order)" if sorted(ours) == sorted(theirs) else ""
            raise ValueError(
                f"the labels of '{ds.name}' differ from those the model was trained on ('{self.dataset}'){order}: "
                f"label {i} is {other} there, {mine} in the model; use data whose label attributes are in the "
                "model's order (or a label file listing them so), or a model trained on this data"
            )

    def check_features(self, ds: Dataset) -> None:
        """Refuse data whose feature names differ from the training data's, in name or order."""
        ours, theirs = list(self.feature_names), list(ds.feature_names)
        if ours != theirs:
            i, mine, other = first_difference(ours, theirs)
            raise ValueError(
                f"the features of '{ds.name}' differ from those the model was trained on ('{self.dataset}'): "
                f"feature {i} is {other} there, {mine} in the model ({len(theirs)} vs {len(ours)} features); "
                "use data with the same attributes in the same order"
            )


def train_model(
    train: Dataset,
    kind: str = "msdn",
    model_kwargs: dict[str, Any] | None = None,
    config: TrainConfig | None = None,
    log: Callable[[str], None] | None = print,
) -> TrainedModel:
    """The whole recipe on a training split: split, standardise, build, fit, tune thresholds.

    For MSDN, ``model_kwargs["label_order"]`` names the label order
    (``given``/``frequency``/``cooccurrence``/``random``, default
    :data:`~msdn_numpy.models.DEFAULT_LABEL_ORDER`); it is computed from the training
    labels here and passed to the model as ``label_perm``.
    """
    if not isinstance(train, Dataset):
        raise TypeError(
            f"train_model: train is a {type(train).__name__}, not a Dataset; wrap the arrays: "
            "Dataset(X, Y, feature_names, label_names)"
        )
    if kind not in MODELS:
        raise ValueError(f"train_model: kind={kind!r} is not a model; choose one of {', '.join(MODELS)}")
    if model_kwargs is not None and not isinstance(model_kwargs, dict):
        raise TypeError(f"train_model: model_kwargs must be a dict of model options, got {type(model_kwargs).__name__}")
    if config is not None and not isinstance(config, TrainConfig):
        raise TypeError(
            f"train_model: config must be a TrainConfig, got {type(config).__name__}; pass TrainConfig(...)"
        )
    if train.n_labels == 0:
        raise ValueError(
            f"train_model: train ('{train.name}') has no labels (L=0), so there is nothing to learn; load it "
            "with its label list (the MULAN .xml, or -C n in @relation, or labels=[...])"
        )
    config = config or TrainConfig()
    kwargs = dict(model_kwargs or {})
    fit_part, val_part = train_val_split(train, val_fraction=config.val_fraction, seed=config.seed)
    scaler = Standardizer().fit(fit_part.X)
    X, X_val = scaler.transform(fit_part.X), scaler.transform(val_part.X)
    if getattr(MODELS.get(kind), "uses_label_order", False):
        kwargs.setdefault("label_order", DEFAULT_LABEL_ORDER)
        perm, _ = label_order(train.Y, kwargs["label_order"], seed=config.seed)
        kwargs["label_perm"] = perm.tolist()
    kwargs.setdefault("seed", config.seed)
    model = build_model(kind, train.n_features, train.n_labels, **kwargs).to(np.dtype(config.dtype))
    history = fit(model, X, fit_part.Y, X_val, val_part.Y, config, log=log)
    thresholds = tune_thresholds(model.predict_proba(X_val.astype(model.dtype)), val_part.Y, config.threshold)
    return TrainedModel(
        model, scaler, thresholds, list(train.feature_names), list(train.label_names), train.name, history
    )


def config_dict(trained: TrainedModel, config: TrainConfig) -> dict[str, Any]:
    """The model's and the trainer's settings as one JSON-able dict (for ``--json``)."""
    out = {k: v for k, v in trained.model.config.items() if k != "label_perm"}
    out["train"] = asdict(config)
    out["best_epoch"] = trained.history.best_epoch if trained.history else None
    out["epochs_run"] = len(trained.history.rows) if trained.history else None
    out["selection_metric"] = trained.history.select if trained.history else config.select
    out["thresholds"] = [float(t) for t in trained.thresholds]
    return out
