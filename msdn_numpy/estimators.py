"""MSDN, RethinkRNN and BR-MLP as scikit-learn-style estimators, on your own arrays.

::

    clf = MSDNClassifier(epochs=100).fit(X, Y)     # X (N, D) features, Y (N, L) 0/1 labels
    P = clf.predict_proba(X_new)                   # (N', L) probabilities
    Z = clf.predict(X_new)                         # (N', L) 0/1, at the thresholds tuned in fit

``fit`` is the recipe of ``msdn train``, through the same function
(:func:`msdn_numpy.train.train_model`): hold out a seeded validation split of the rows,
standardise with the statistics of the remaining rows, train with Adam, keep the epoch
with the best validation micro-F1, tune the decision threshold on the validation split.
The parameters are the options of ``msdn train`` under their Python names (``--seed`` is
``random_state``), with the same defaults.

The classes follow scikit-learn's conventions (the constructor only stores its
parameters, ``fit`` validates them and returns ``self``, fitted attributes end in ``_``;
``get_params`` / ``set_params``, ``clone``, pipelines, grid searches and cross-validation
work) without importing scikit-learn: it is a test-time oracle here, not a dependency.
``tests/test_estimators.py`` runs scikit-learn's own estimator checks on them.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import fields
from typing import Any

import numpy as np

from msdn_numpy.dataio.datasets import Dataset
from msdn_numpy.models import CONFIGS
from msdn_numpy.train import TrainConfig, TrainedModel, train_model

#: The parameters every estimator has: how it is trained (the options of ``TrainConfig``, those
#: with a help text, as ``msdn train`` has them; the seed is ``random_state``).
TRAIN_PARAMS = tuple(f.name for f in fields(TrainConfig) if "help" in f.metadata)


def _signature(kind: str) -> inspect.Signature:
    """``__init__``'s signature for the model ``kind``: its options, then :data:`TRAIN_PARAMS`, then
    ``random_state`` and ``verbose``, all keyword-only, with the defaults of the dataclasses they come from."""
    train = [f for f in fields(TrainConfig) if f.name in TRAIN_PARAMS]
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter(f.name, keyword, default=f.default) for f in [*fields(CONFIGS[kind]), *train]]
    params += [inspect.Parameter("random_state", keyword, default=TrainConfig.seed),
               inspect.Parameter("verbose", keyword, default=False)]  # fmt: skip
    return inspect.Signature([inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD), *params])


def _init_for(kind: str):
    """A scikit-learn ``__init__`` for the model ``kind``: it stores every parameter as given (no check,
    no copy), under the signature :func:`_signature` declares, so that the dataclasses stay the one
    source of the parameters and their defaults."""
    signature = _signature(kind)

    def __init__(self, **params: Any) -> None:
        bound = signature.bind(self, **params)  # a TypeError naming an unknown parameter
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    return __init__


class NotFittedError(ValueError, AttributeError):
    """``predict``, ``predict_proba`` or ``score`` called before ``fit``.

    When scikit-learn is loaded, scikit-learn's own ``NotFittedError`` is raised instead
    (it has the same two bases), so that code catching that one catches ours too.
    """


def _smallest_split(val_fraction: float) -> int:
    """The fewest rows ``train_val_split`` can split: ``0 < round(val_fraction * N) < N``."""
    return next(n for n in range(2, 10**6) if 0 < round(val_fraction * n) < n)


def _sparse(a: Any) -> bool:
    return hasattr(a, "tocsr") and hasattr(a, "nnz")  # scipy.sparse matrices and arrays


def _as_features(X: Any, where: str) -> np.ndarray:
    """``X`` as a finite float64 ``(N, D)`` array with ``N, D >= 1``, or a ValueError naming the fix."""
    if X is None:
        raise ValueError(f"{where}: X is None; pass the features, an (n_samples, n_features) array")
    if _sparse(X):
        raise ValueError(f"{where}: X is a sparse matrix, and sparse input is not supported; pass X.toarray()")
    how = "X must be a table of numbers, one row per sample and one column per feature"
    try:
        A = np.asarray(X)
    except ValueError as e:  # rows of different lengths
        raise ValueError(f"{where}: {how} ({e})") from None
    if A.dtype.kind == "c":
        raise ValueError(f"{where}: X is complex. Complex data not supported: pass X.real, or the parts as columns")
    try:
        X = A.astype(np.float64)  # a copy: the caller's array is never changed
    except (TypeError, ValueError) as e:  # the same type: a dict in X is a TypeError, as in NumPy
        raise type(e)(f"{where}: {how} ({e}); encode text or categories as numbers first") from None
    if X.ndim != 2:
        raise ValueError(
            f"{where}: X must be 2-D (n_samples, n_features), got shape {X.shape}. "
            "Reshape your data: X.reshape(-1, 1) for a single feature, X.reshape(1, -1) for a single sample"
        )
    if X.shape[1] == 0:
        raise ValueError(
            f"{where}: X has 0 feature(s) (shape={X.shape}) while a minimum of 1 is required; "
            "give at least one feature column"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{where}: X has 0 sample(s) (shape={X.shape}); give at least one row")
    finite = np.isfinite(X)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        what = "NaN" if np.isnan(X[row, col]) else "inf" if X[row, col] > 0 else "-inf"
        raise ValueError(
            f"{where}: X contains {what} (row {row}, column {col}); features must be finite numbers: "
            "remove or impute missing and infinite values first"
        )
    return X


def _as_labels(y: Any, n_rows: int, where: str) -> np.ndarray:
    """``y`` as a ``(N, L)`` uint8 0/1 matrix with ``n_rows`` rows, or a ValueError naming the fix."""
    if y is None:
        raise ValueError(
            f"{where} requires y to be passed, but the target y is None; "
            "pass the labels, an (n_samples, n_labels) 0/1 matrix"
        )
    if _sparse(y):
        raise ValueError(f"{where}: y is a sparse matrix, and sparse labels are not supported; pass y.toarray()")
    y = np.asarray(y)
    if y.dtype.kind == "c":
        raise ValueError(f"{where}: y is complex; labels must be 0 or 1 (one 0/1 column per label)")
    if y.dtype.kind not in "biuf" and y.size:
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            example = next(v for v in y.ravel() if not isinstance(v, (int, float, np.number)))
            example = example.item() if isinstance(example, np.generic) else example
            raise ValueError(
                f"{where}: y must hold 0/1 labels, found {example!r}; "
                "one-hot encode class names as 0/1 columns first (one column per label)"
            ) from None
    y = y.astype(np.float64) if y.dtype.kind in "biu" else y
    if y.size:
        finite = np.isfinite(y)
        if not finite.all():
            i = np.argwhere(~finite)[0]
            raise ValueError(
                f"{where}: y contains {'NaN' if np.isnan(y[tuple(i)]) else 'inf'} at {tuple(int(k) for k in i)}; "
                "labels must be 0 or 1: fill in or drop the unlabelled rows first"
            )
        if (y != np.round(y)).any():
            example = float(y[y != np.round(y)][0])
            raise ValueError(
                f"{where}: y holds continuous values (e.g. {example:g}), but a classifier needs 0/1 labels; "
                "threshold them first (e.g. y >= 0.5)"
            )
        bad = np.unique(y[(y != 0) & (y != 1)])
        if bad.size:
            raise ValueError(
                f"{where}: y holds the values {[int(v) for v in bad[:3]]}, not only 0 and 1. Only binary "
                "classification is supported, for each label (one 0/1 column per label): one-hot encode "
                "class labels first (np.eye(n_classes, dtype=int)[y] for classes 0 … n_classes-1)"
            )
    if y.ndim != 2:
        raise ValueError(
            f"{where}: y must be 2-D (n_samples, n_labels), one 0/1 column per label, got shape {y.shape}; "
            "for a single binary label pass y.reshape(-1, 1)"
        )
    if y.shape[0] != n_rows:
        raise ValueError(
            f"{where}: X has {n_rows} rows but y has {y.shape[0]}; X and y hold one row per example, in the same order"
        )
    if y.shape[1] == 0:
        raise ValueError(f"{where}: y has 0 label columns (shape={y.shape}); give at least one label")
    return y.astype(np.uint8)


def _check_int(where: str, name: str, value: Any, lo: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{where}: {name} must be an integer >= {lo}, got {value!r}")


class MultiLabelNetClassifier:
    """What the three estimators share; use :class:`MSDNClassifier`, :class:`RethinkRNNClassifier`
    or :class:`BRMLPClassifier`.

    A subclass names its model (``kind``, a key of :data:`msdn_numpy.models.MODELS`); its
    ``__init__`` (:func:`_init_for`) takes the model's options, :data:`TRAIN_PARAMS`,
    ``random_state`` and ``verbose``, and only stores them.

    Fitted attributes
    -----------------
    trained_ : TrainedModel
        What ``msdn train`` makes: the model, the standardiser, the thresholds, the
        history (``msdn_numpy.tools.persist.save(clf.trained_, path)`` writes a model file
        that ``msdn predict`` reads).
    model_ : MultiLabelModel
        ``trained_.model``.
    thresholds_ : np.ndarray, shape (L,)
        The decision thresholds tuned on the validation split (``threshold``).
    history_ : History
        One row per epoch; ``history_.best_epoch`` is the epoch kept.
    classes_ : np.ndarray, shape (L,)
        The label indices ``0 … L-1`` (the columns of ``predict``), as scikit-learn's
        multi-label classifiers give them.
    n_features_in_ : int
        D, the number of features seen in ``fit``.
    """

    kind = "base"

    # -- parameters -------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        """The parameter names, read from ``__init__`` as scikit-learn reads them."""
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The parameters as a dict, ``{name: value}`` (``deep`` is accepted: there are no sub-estimators)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> MultiLabelNetClassifier:
        """Set parameters by name; they are checked by the next ``fit``. Returns ``self``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        """The class and the parameters that differ from their defaults, e.g. ``MSDNClassifier(epochs=3)``."""
        defaults = inspect.signature(type(self).__init__).parameters
        changed = []
        for name, value in self.get_params().items():
            default = defaults[name].default
            same = value is default or (
                type(value) is type(default) and not isinstance(value, np.ndarray) and value == default
            )
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's description of this estimator (called by scikit-learn only, so it is loaded):
        a classifier of 2-D 0/1 targets only, each label binary, finite dense features."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True, one_d_labels=False, two_d_labels=True,
                                   multi_output=True, single_output=False),
            classifier_tags=ClassifierTags(multi_class=False, multi_label=True),
            input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=False),
        )  # fmt: skip

    # -- fit ------------------------------------------------------------------------------------
    def _config(self) -> tuple[TrainConfig, dict[str, Any]]:
        """The parameters, checked by the dataclasses they come from: a :class:`TrainConfig` and the model's options."""
        where = f"{type(self).__name__}.fit"
        model_options = [f.name for f in fields(CONFIGS[self.kind])]
        for f in [*fields(CONFIGS[self.kind]), *fields(TrainConfig)]:
            if f.type == "int" and f.name in self._param_names():
                _check_int(where, f.name, getattr(self, f.name), 1)
        _check_int(where, "random_state", self.random_state, 0)
        try:
            options = CONFIGS[self.kind](**{name: getattr(self, name) for name in model_options})
            config = TrainConfig(**{name: getattr(self, name) for name in TRAIN_PARAMS}, seed=int(self.random_state))
        except (TypeError, ValueError) as e:
            message = str(e)
            for prefix in ("TrainConfig: ", f"{CONFIGS[self.kind].__name__.removesuffix('Config')}: "):
                message = message.removeprefix(prefix)
            raise ValueError(f"{where}: {message}") from None
        return config, {name: getattr(options, name) for name in model_options}

    def fit(self, X: Any, y: Any) -> MultiLabelNetClassifier:
        """Train on features ``X (N, D)`` and 0/1 labels ``y (N, L)``, as ``msdn train`` does. Returns ``self``.

        ``y`` is the label matrix (``Y`` elsewhere in this package; scikit-learn names it
        ``y``): one column per label, 1 where the example has the label. A validation
        split of ``round(0.2 N)`` rows is held out, so ``N >= 3``.
        """
        where = f"{type(self).__name__}.fit"
        config, kwargs = self._config()
        X = _as_features(X, where)
        smallest = _smallest_split(config.val_fraction)
        if X.shape[0] < smallest:
            raise ValueError(
                f"{where}: X has {X.shape[0]} sample(s) (n_samples={X.shape[0]}) while a minimum of {smallest} "
                f"is required (a validation split of {config.val_fraction:g} of the rows is held out); add rows"
            )
        Y = _as_labels(y, X.shape[0], where)
        data = Dataset(
            X, Y, [f"x{i}" for i in range(X.shape[1])], [f"y{j}" for j in range(Y.shape[1])], type(self).__name__
        )
        trained = train_model(data, self.kind, kwargs, config, log=print if self.verbose else None)
        self.trained_: TrainedModel = trained
        self.model_ = trained.model
        self.thresholds_ = trained.thresholds
        self.history_ = trained.history
        self.classes_ = np.arange(Y.shape[1])
        self.n_features_in_ = X.shape[1]
        return self

    # -- predict --------------------------------------------------------------------------------
    def _fitted_features(self, X: Any, method: str) -> np.ndarray:
        where = f"{type(self).__name__}.{method}"
        if not hasattr(self, "trained_"):
            sk = sys.modules.get("sklearn.exceptions")
            error = sk.NotFittedError if sk is not None else NotFittedError
            raise error(f"This {type(self).__name__} instance is not fitted yet; call fit(X, y) before {method}")
        X = _as_features(X, where)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{where}: X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input; pass the same feature columns as in fit"
            )
        return X

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities ``(N, L)``, float64: ``sigmoid(logits)`` of the standardised ``X (N, D)``.

        Column j is the probability of label j alone (not a distribution over labels:
        rows need not sum to 1).
        """
        X = self._fitted_features(X, "predict_proba")
        return self.trained_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """Label sets ``(N, L)``, int64 0/1: ``predict_proba(X) >= thresholds_``."""
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int64)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Subset accuracy, scikit-learn's ``score`` of a multi-label classifier: the (weighted)
        fraction of rows whose predicted label set equals ``y``'s exactly."""
        Z = self.predict(X)
        Y = _as_labels(y, Z.shape[0], f"{type(self).__name__}.score")
        if Y.shape != Z.shape:
            raise ValueError(
                f"{type(self).__name__}.score: y has {Y.shape[1]} label columns, but the model predicts "
                f"{Z.shape[1]}; pass the labels of the same columns as in fit"
            )
        exact = (Y == Z).all(axis=1)
        return float(np.average(exact, weights=sample_weight))


class MSDNClassifier(MultiLabelNetClassifier):
    """MSDN (:class:`msdn_numpy.models.MSDN`) as an estimator: ``fit(X, y)``, ``predict``, ``predict_proba``.

    Parameters (all keyword-only; ``help(MSDNClassifier)`` lists them with their defaults)
    ----------------------------------------------------------------------------------------
    hidden, embed_dim, label_dim, free_channels, rank, channels, kernel_sizes, dropout, padding_mode, embedding,
    label_order
        MSDN's options, :class:`msdn_numpy.models.config.MSDNConfig` (``msdn train --hidden`` ...).
    epochs, batch_size, lr, weight_decay, optimizer, patience, select, threshold, dtype, fast
        The training recipe, :class:`msdn_numpy.train.TrainConfig` (``msdn train --epochs`` ...).
    random_state : int
        The seed of the initialisation, the validation split and the minibatch order (``--seed``).
    verbose : bool
        Print one line per epoch.

    See :class:`MultiLabelNetClassifier` for the fitted attributes.
    """

    kind = "msdn"
    __init__ = _init_for("msdn")


class RethinkRNNClassifier(MultiLabelNetClassifier):
    """The RethinkNet-style RNN (:class:`msdn_numpy.models.RethinkRNN`) as an estimator.

    Parameters: the model's options (:class:`msdn_numpy.models.config.RethinkRNNConfig`: ``hidden``,
    ``steps``, ``dropout``), then those of the training recipe as in :class:`MSDNClassifier`.
    """

    kind = "rnn"
    __init__ = _init_for("rnn")


class BRMLPClassifier(MultiLabelNetClassifier):
    """Binary relevance with a shared MLP encoder (:class:`msdn_numpy.models.BRMLP`) as an estimator.

    Parameters: the model's options (:class:`msdn_numpy.models.config.BRMLPConfig`: ``hidden``,
    ``dropout``), then those of the training recipe as in :class:`MSDNClassifier`.
    """

    kind = "br"
    __init__ = _init_for("br")
