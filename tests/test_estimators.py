"""The estimators, with scikit-learn as the oracle: its own estimator checks, clone, a pipeline,
a grid search, cross-validation; the recipe of ``msdn train``; no scikit-learn at run time; bad input.

scikit-learn's checks run on tiny settings (3 epochs, a few hidden units), so that they take
seconds. The checks that cannot apply to a multi-label-only classifier are listed in
:data:`EXPECTED_FAILURES` with the reason, and each is run again by
``test_an_expected_failure_fails_for_its_reason`` to show that it fails for that reason
and no other; what such a check aims at is tested here directly where it applies.
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
import textwrap
import unittest
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason='scikit-learn is the oracle of these tests: pip install -e ".[test]"')

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_multilabel_classification  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, make_scorer  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import estimator_checks_generator, parametrize_with_checks  # noqa: E402

import msdn_numpy  # noqa: E402
from msdn_numpy import BRMLPClassifier, MSDNClassifier, RethinkRNNClassifier  # noqa: E402
from msdn_numpy.dataio.benchmarks import load_dataset  # noqa: E402
from msdn_numpy.dataio.datasets import Dataset  # noqa: E402
from msdn_numpy.metrics import evaluate  # noqa: E402
from msdn_numpy.tools import persist  # noqa: E402
from msdn_numpy.tools.cli import main  # noqa: E402
from msdn_numpy.train import TrainConfig, train_model  # noqa: E402

#: Tiny settings: what the checks need is the API, not a good model.
TINY = dict(epochs=3, hidden=8, patience=2, batch_size=16)
MSDN_TINY = dict(TINY, embed_dim=2, rank=2, channels=2)

#: One instance per model. The BR-MLP one uses the fixed threshold 0.5, under which
#: ``predict == predict_proba(X).round()``, as check_classifier_multioutput asserts.
CHECKED = [
    MSDNClassifier(**MSDN_TINY),
    RethinkRNNClassifier(**TINY),
    BRMLPClassifier(**TINY, threshold="fixed"),
]

_ONE_D = (
    "it fits a 1-D y, a single-output target; these classifiers are multi-label only: y is an (n_samples, n_labels) "
    "0/1 matrix and a 1-D y is refused with the fix (y.reshape(-1, 1))"
)
_ONE_TWO = (
    "its y holds the classes 1 and 2 (scikit-learn maps a binary target to y.min() and y.min() + 1); a multi-label "
    "target holds 0 and 1 only, and the estimators refuse other values (with the fix: one-hot encode)"
)

#: check name -> (why it cannot apply, a pattern that the failure's message or the check's failing line matches).
EXPECTED_FAILURES: dict[str, tuple[str, str]] = {
    "check_classifiers_train": (
        "it expects predict to return shape (n_samples,) for a binary target it passes as an (n_samples, 1) "
        "matrix; these classifiers return one column per label, (n_samples, 1)",
        r"assert y_pred\.shape == \(n_samples,\)",
    ),
    "check_classifiers_one_label": (
        _ONE_D + "; a label that is 1 in every row of a 2-D y is tested in test_a_label_that_is_always_on",
        r"y must be 2-D \(n_samples, n_labels\)",
    ),
    "check_classifiers_classes": (
        "its targets are class names ('one', 'two') and -1/1; a multi-label target is 0/1, one column per label",
        r"y must hold 0/1 labels, found 'one'",
    ),
    "check_estimators_dtypes": (
        _ONE_TWO + "; the X dtypes it aims at are tested in test_features_of_any_real_dtype",
        r"y holds the values \[2\], not only 0 and 1",
    ),
    "check_classifier_data_not_an_array": (
        _ONE_TWO + "; array-likes that are not arrays are tested in test_array_likes",
        r"y holds the values \[2\], not only 0 and 1",
    ),
    "check_fit2d_1feature": (
        _ONE_TWO + "; one feature is tested in test_one_feature",
        r"y holds the values \[2\], not only 0 and 1",
    ),
    "check_classifier_multioutput": (
        "with threshold='global' (the recipe of msdn train) predict applies the threshold tuned on validation, "
        "so it is not predict_proba(X).round(), which this check asserts; it passes with threshold='fixed'",
        r"assert_array_equal\(y_prob\.round\(\)\.astype\(int\), y_pred\)",
    ),
}

#: Checks that scikit-learn yields but skips itself (SkipTest): check name -> (why, its skip message).
SKIPPED_BY_SKLEARN: dict[str, tuple[str, str]] = {
    "check_classifiers_multilabel_output_format_decision_function": (
        "the estimators have no decision_function; predict_proba gives the scores",
        r"does not have a decision_function method",
    ),
    "check_array_api_input": (
        "the estimators take NumPy arrays (tag array_api_support=False); scikit-learn runs this check only when "
        "SCIPY_ARRAY_API=1 is set before SciPy is imported",
        r"SCIPY_ARRAY_API is not set",
    ),
}


def expected_failures(estimator) -> dict[str, str]:
    out = {name: why for name, (why, _) in EXPECTED_FAILURES.items()}
    if estimator.threshold == "fixed":
        del out["check_classifier_multioutput"]
    return out


def check_name(check) -> str:
    return getattr(check, "func", check).__name__


with warnings.catch_warnings():
    # The estimators do not inherit sklearn.base.BaseEstimator, on purpose: scikit-learn
    # is not imported at run time. scikit-learn warns about it once per estimator.
    warnings.filterwarnings("ignore", message="Estimator .* does not inherit from `sklearn.base.BaseEstimator`")
    SKLEARN_CHECKS = parametrize_with_checks(CHECKED, expected_failed_checks=expected_failures, xfail_strict=True)


@SKLEARN_CHECKS
def test_sklearn_estimator_checks(estimator, check):
    """Every check of scikit-learn's suite; the listed ones are strict xfails (they must fail)."""
    name = check_name(check)
    if name in SKIPPED_BY_SKLEARN:
        with pytest.raises(unittest.SkipTest, match=SKIPPED_BY_SKLEARN[name][1]):
            check(estimator)
        return
    check(estimator)


def _listed_checks():
    for estimator in CHECKED:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Estimator .* does not inherit")
            checks = list(estimator_checks_generator(estimator, mark=None))
        for est, check in checks:
            if check_name(check) in expected_failures(estimator):
                yield pytest.param(est, check, id=f"{type(est).__name__}-{check_name(check)}")


@pytest.mark.parametrize(("estimator", "check"), list(_listed_checks()))
def test_an_expected_failure_fails_for_its_reason(estimator, check):
    """A listed check fails, and for the reason given: its error or the check's failing line says so."""
    with pytest.raises(Exception) as info:
        check(estimator)
    errors, e = [], info.value
    while e is not None and len(errors) < 5:  # the error and what it was raised from
        errors.append(str(e))
        e = e.__cause__ or e.__context__
    lines = [str(entry.statement) for entry in info.traceback if entry.path.name == "estimator_checks.py"]
    text = "\n".join(errors + lines[-1:])
    assert re.search(EXPECTED_FAILURES[check_name(check)][1], text), text


def test_every_listed_check_is_one_scikit_learn_runs():
    """No stale entries: each listed name is a check of the installed scikit-learn's suite."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimator .* does not inherit")
        names = {check_name(c) for _, c in estimator_checks_generator(CHECKED[0], mark=None)}
    assert set(EXPECTED_FAILURES) | set(SKIPPED_BY_SKLEARN) <= names
    assert len(names) > 40  # the whole suite ran, not a few checks


# -- data -----------------------------------------------------------------------------------
def multilabel(n=60, d=5, L=4, seed=0):
    X, Y = make_multilabel_classification(n_samples=n, n_features=d, n_classes=L, random_state=seed)
    return X, Y


# -- scikit-learn's tools, with its functions as the oracle ------------------------------------
def test_clone_gives_the_same_parameters_unfitted():
    est = MSDNClassifier(**MSDN_TINY, kernel_sizes=(1, 3), random_state=4)
    X, Y = multilabel()
    est.fit(X, Y)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and twin is not est
    assert not hasattr(twin, "trained_") and not hasattr(twin, "n_features_in_")
    assert np.array_equal(twin.fit(X, Y).predict_proba(X), est.predict_proba(X))  # the same seed, the same model


def test_a_pipeline_with_a_scaler():
    """Pipeline(StandardScaler, MSDN) is the estimator on the scaler's output; as the estimator
    standardises on its own, the scaler changes its probabilities by rounding only."""
    X, Y = multilabel()
    X = X * 100.0 + 7.0
    pipe = Pipeline([("scale", StandardScaler()), ("msdn", MSDNClassifier(**MSDN_TINY))]).fit(X, Y)
    alone = MSDNClassifier(**MSDN_TINY).fit(StandardScaler().fit_transform(X), Y)
    assert np.array_equal(pipe.predict_proba(X), alone.predict_proba(StandardScaler().fit(X).transform(X)))
    assert np.array_equal(pipe.predict(X), alone.predict(StandardScaler().fit(X).transform(X)))
    assert pipe.score(X, Y) == accuracy_score(Y, pipe.predict(X))
    unscaled = MSDNClassifier(**MSDN_TINY, dtype="float64").fit(X, Y)
    scaled = Pipeline([("scale", StandardScaler()), ("msdn", MSDNClassifier(**MSDN_TINY, dtype="float64"))])
    assert np.allclose(scaled.fit(X, Y).predict_proba(X), unscaled.predict_proba(X), rtol=0, atol=1e-12)


def test_grid_search_with_a_multi_label_scorer():
    """GridSearchCV over kernel_sizes, scored by example-based F1 (f1_score average="samples"),
    reproduced fold by fold with scikit-learn's own f1_score."""
    X, Y = multilabel(n=90)
    scorer = make_scorer(f1_score, average="samples", zero_division=1.0)
    grid = {"kernel_sizes": [(1,), (1, 3, 5)]}
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(MSDNClassifier(**MSDN_TINY), grid, scoring=scorer, cv=cv).fit(X, Y)
    for i, params in enumerate(search.cv_results_["params"]):
        folds = []
        for fit_rows, test_rows in cv.split(X):
            est = MSDNClassifier(**MSDN_TINY, **params).fit(X[fit_rows], Y[fit_rows])
            folds.append(f1_score(Y[test_rows], est.predict(X[test_rows]), average="samples", zero_division=1.0))
        assert search.cv_results_["mean_test_score"][i] == np.mean(folds)
    best = int(np.argmax(search.cv_results_["mean_test_score"]))
    assert search.best_params_ == search.cv_results_["params"][best]
    refit = MSDNClassifier(**MSDN_TINY, **search.best_params_).fit(X, Y)
    assert np.array_equal(search.predict(X), refit.predict(X))


def test_cross_val_score_is_subset_accuracy_per_fold():
    X, Y = multilabel(n=90)
    cv = KFold(3, shuffle=True, random_state=1)
    est = RethinkRNNClassifier(**TINY)
    scores = cross_val_score(est, X, Y, cv=cv)
    expected = [
        accuracy_score(Y[te], clone(est).fit(X[tr], Y[tr]).predict(X[te]))  # accuracy_score: subset accuracy
        for tr, te in cv.split(X)
    ]
    assert np.array_equal(scores, expected)


# -- the recipe of msdn train ----------------------------------------------------------------
def test_fit_is_msdn_train(tmp_path, capsys):
    """The estimator fitted on the bundled synthetic training split gives the test metrics,
    thresholds and best epoch that `msdn train` prints for the same options."""
    record = tmp_path / "r.json"
    assert main(["train", "--epochs", "2", "--hidden", "8", "--seed", "3", "--quiet", "--json", str(record)]) == 0
    capsys.readouterr()
    rec = json.loads(record.read_text())
    train, test = load_dataset("synthetic")
    est = MSDNClassifier(epochs=2, hidden=8, random_state=3).fit(train.X, train.Y)
    assert evaluate(test.Y, est.predict_proba(test.X), threshold=est.thresholds_) == rec["metrics"]
    assert est.thresholds_.tolist() == rec["config"]["thresholds"]
    assert est.history_.best_epoch == rec["config"]["best_epoch"]


@pytest.mark.parametrize(
    ("cls", "kind", "params"),
    [
        (MSDNClassifier, "msdn", dict(MSDN_TINY, label_order="frequency", embedding="label")),
        (RethinkRNNClassifier, "rnn", dict(TINY, dropout=0.1)),
        (BRMLPClassifier, "br", dict(TINY, threshold="per-label", select="loss")),
    ],
)
def test_fit_is_train_model(cls, kind, params):
    """Every parameter reaches train_model: the same model, thresholds and history."""
    X, Y = multilabel(n=80)
    est = cls(**params, random_state=2).fit(X, Y)
    train_keys = {k: v for k, v in params.items() if k in TrainConfig.__dataclass_fields__}
    model_keys = {k: v for k, v in params.items() if k not in train_keys}
    data = Dataset(X, Y, [f"x{i}" for i in range(5)], [f"y{j}" for j in range(4)])
    ref = train_model(data, kind, model_keys, TrainConfig(**train_keys, seed=2), log=None)
    assert est.model_.config == ref.model.config
    assert np.array_equal(est.thresholds_, ref.thresholds)
    untimed = [[{k: v for k, v in r.items() if k != "seconds"} for r in h.rows] for h in (est.history_, ref.history)]
    assert untimed[0] == untimed[1] and est.history_.best_epoch == ref.history.best_epoch
    assert np.array_equal(est.predict_proba(X), ref.predict_proba(X))
    assert np.array_equal(est.predict(X), ref.predict(X))


def test_the_defaults_are_those_of_msdn_train():
    cfg = TrainConfig()
    for est in (MSDNClassifier(), RethinkRNNClassifier(), BRMLPClassifier()):
        p = est.get_params()
        assert {k: p[k] for k in ("epochs", "lr", "patience", "select", "threshold", "dtype")} == {
            "epochs": cfg.epochs, "lr": cfg.lr, "patience": cfg.patience, "select": cfg.select,
            "threshold": cfg.threshold, "dtype": cfg.dtype,
        }  # fmt: skip
        assert p["random_state"] == cfg.seed and p["verbose"] is False
    assert MSDNClassifier().hidden == 64 and RethinkRNNClassifier().hidden == 128
    assert MSDNClassifier().label_order == "given" and MSDNClassifier().kernel_sizes == (1, 3, 5)
    assert MSDNClassifier().embedding == "both"


# -- conventions -------------------------------------------------------------------------------
def test_parameters_are_stored_as_given_and_checked_in_fit():
    est = MSDNClassifier(epochs=0, kernel_sizes="abc", optimizer="nope")  # no error yet
    assert est.get_params()["epochs"] == 0 and est.kernel_sizes == "abc"
    X, Y = multilabel()
    with pytest.raises(ValueError, match=r"MSDNClassifier\.fit: epochs must be an integer >= 1, got 0"):
        est.fit(X, Y)
    with pytest.raises(ValueError, match=r"MSDNClassifier\.fit: kernel_sizes='abc' is not a sequence of integers"):
        est.set_params(epochs=2).fit(X, Y)
    with pytest.raises(ValueError, match=r"unknown optimizer 'nope': choose 'adam' or 'sgd'"):
        est.set_params(kernel_sizes=(1, 3)).fit(X, Y)
    with pytest.raises(ValueError, match=r"random_state must be an integer >= 0, got None"):
        BRMLPClassifier(random_state=None).fit(X, Y)
    assert not hasattr(est, "trained_")


def test_get_params_and_set_params():
    est = BRMLPClassifier(hidden=8)
    assert est.set_params(epochs=5, lr=0.01) is est
    assert est.get_params()["epochs"] == 5 and est.lr == 0.01 and est.hidden == 8
    assert set(est.get_params()) == {
        "hidden", "dropout", "epochs", "batch_size", "lr", "weight_decay", "optimizer", "patience", "select",
        "threshold", "dtype", "fast", "random_state", "verbose",
    }  # fmt: skip
    with pytest.raises(ValueError, match=r"Invalid parameter 'kernel_sizes' for estimator BRMLPClassifier"):
        est.set_params(kernel_sizes=(1,))
    assert repr(est) == "BRMLPClassifier(hidden=8, epochs=5, lr=0.01)"


def test_fitted_attributes_and_outputs():
    X, Y = multilabel()
    est = MSDNClassifier(**MSDN_TINY)
    assert est.fit(X, Y) is est
    assert est.n_features_in_ == 5 and np.array_equal(est.classes_, np.arange(4))
    assert est.model_ is est.trained_.model and est.model_.kind == "msdn"
    assert est.thresholds_.shape == (4,) and len(est.history_.rows) >= 1
    P, Z = est.predict_proba(X), est.predict(X)
    assert P.shape == Z.shape == (60, 4) and P.dtype == np.float64 and Z.dtype == np.int64
    assert ((P > 0) & (P < 1)).all()
    assert np.array_equal(Z, (P >= est.thresholds_).astype(int))
    assert est.score(X, Y) == accuracy_score(Y, Z)
    w = np.arange(60.0)
    assert est.score(X, Y, sample_weight=w) == pytest.approx(accuracy_score(Y, Z, sample_weight=w), abs=1e-15)


def test_a_pickled_estimator_and_a_model_file_predict_the_same(tmp_path):
    X, Y = multilabel()
    est = RethinkRNNClassifier(**TINY).fit(X, Y)
    again = pickle.loads(pickle.dumps(est))
    assert np.array_equal(again.predict_proba(X), est.predict_proba(X))
    path = persist.save(est.trained_, tmp_path / "rnn.npz")  # what `msdn predict --model-file` reads
    assert np.array_equal(persist.load(path).predict_proba(X), est.predict_proba(X))


def test_unfitted_estimators_raise_not_fitted_error():
    for method in ("predict", "predict_proba"):
        with pytest.raises(NotFittedError, match=r"not fitted yet; call fit\(X, y\) before"):
            getattr(MSDNClassifier(), method)(np.ones((2, 3)))
    with pytest.raises(NotFittedError):
        BRMLPClassifier().score(np.ones((2, 3)), np.ones((2, 1)))


# -- what the checks listed above aim at, where it applies -------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, object])
def test_features_of_any_real_dtype(dtype):
    X, Y = multilabel()
    Xi = np.round(X).astype(dtype)
    est = BRMLPClassifier(**TINY).fit(Xi, Y)
    assert np.array_equal(est.predict_proba(Xi), BRMLPClassifier(**TINY).fit(np.round(X), Y).predict_proba(np.round(X)))


def test_array_likes():
    """Lists and objects with __array__ give what arrays give (as check_classifier_data_not_an_array
    would check, with 0/1 labels)."""

    class NotAnArray:
        def __init__(self, a):
            self.a = a

        def __array__(self, dtype=None, copy=None):
            return np.asarray(self.a, dtype=dtype)

    X, Y = multilabel()
    ref = MSDNClassifier(**MSDN_TINY).fit(X, Y).predict(X)
    assert np.array_equal(MSDNClassifier(**MSDN_TINY).fit(X.tolist(), Y.tolist()).predict(X.tolist()), ref)
    assert np.array_equal(MSDNClassifier(**MSDN_TINY).fit(NotAnArray(X), NotAnArray(Y)).predict(NotAnArray(X)), ref)
    assert np.array_equal(MSDNClassifier(**MSDN_TINY).fit(X, Y.astype(bool)).predict(X), ref)


def test_one_feature():
    X, Y = multilabel(d=1)
    est = MSDNClassifier(**MSDN_TINY).fit(X, Y)
    assert est.n_features_in_ == 1 and est.predict(X).shape == (60, 4)


def test_a_label_that_is_always_on():
    """A label that is 1 in every training row is learnt as such, and predicted on every row."""
    X, Y = multilabel()
    Y[:, 2] = 1
    est = BRMLPClassifier(hidden=8, epochs=60, patience=60, lr=0.01).fit(X, Y)
    assert est.predict(X)[:, 2].all()


# -- no scikit-learn at run time -----------------------------------------------------------------
NO_SKLEARN = textwrap.dedent(
    """
    import json, sys

    class NoSklearn:
        '''A meta-path finder that refuses scikit-learn, as on a machine without it.'''
        def find_spec(self, name, path=None, target=None):
            if name == "sklearn" or name.startswith("sklearn."):
                raise ImportError(f"scikit-learn is blocked here: {name}")

    sys.meta_path.insert(0, NoSklearn())
    try:
        import sklearn
    except ImportError:
        pass
    else:
        raise SystemExit("the block does not work")

    import numpy as np
    from msdn_numpy import BRMLPClassifier, MSDNClassifier, RethinkRNNClassifier
    from msdn_numpy.estimators import NotFittedError

    X, Y = np.array(json.loads(sys.argv[1])), np.array(json.loads(sys.argv[2]))
    out = {}
    for cls, params in ((MSDNClassifier, %(msdn)r), (RethinkRNNClassifier, %(tiny)r), (BRMLPClassifier, %(tiny)r)):
        try:
            cls().predict(X)
        except NotFittedError as e:
            assert type(e) is NotFittedError, type(e)
        est = cls().set_params(**params).fit(X, Y)
        assert est.get_params()["epochs"] == params["epochs"]
        out[cls.__name__] = [est.predict_proba(X).tolist(), est.predict(X).tolist(), est.score(X, Y)]
    assert not [m for m in sys.modules if m.split(".")[0] == "sklearn"]
    print(json.dumps(out))
    """
) % {"msdn": MSDN_TINY, "tiny": TINY}


def test_the_estimators_work_without_scikit_learn():
    """In a fresh process where importing scikit-learn fails: fit, predict, score, the
    parameters and the not-fitted error work, and give what they give here."""
    X, Y = multilabel()
    run = subprocess.run(
        [sys.executable, "-c", NO_SKLEARN, json.dumps(X.tolist()), json.dumps(Y.tolist())],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    for cls, params in ((MSDNClassifier, MSDN_TINY), (RethinkRNNClassifier, TINY), (BRMLPClassifier, TINY)):
        est = cls(**params).fit(X, Y)
        assert out[cls.__name__] == [est.predict_proba(X).tolist(), est.predict(X).tolist(), est.score(X, Y)]


def test_the_package_root_exports_them_without_importing_the_trainer():
    code = "import sys, msdn_numpy; assert 'msdn_numpy.train' not in sys.modules; print(msdn_numpy.MSDNClassifier)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "MSDNClassifier" in run.stdout, run.stderr
    names = {"MSDNClassifier", "RethinkRNNClassifier", "BRMLPClassifier"}
    assert names <= set(msdn_numpy.__all__) & set(dir(msdn_numpy))
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        msdn_numpy.Nope  # noqa: B018


# -- bad input: a ValueError that names the argument and the fix --------------------------------
X5, Y5 = multilabel(n=10)
BAD_FIT = [
    ("X 1-D", X5[:, 0], Y5, r"X must be 2-D \(n_samples, n_features\), got shape \(10,\)\. Reshape your data"),
    ("X 3-D", X5[:, :, None], Y5, r"X must be 2-D .* got shape \(10, 5, 1\)"),
    ("X NaN", np.where(np.eye(10, 5) > 0, np.nan, X5), Y5, r"X contains NaN \(row 0, column 0\).* impute"),
    ("X inf", np.where(np.eye(10, 5) > 0, np.inf, X5), Y5, r"X contains inf \(row 0, column 0\)"),
    ("X text", np.array([["a"] * 5] * 10), Y5, r"X must be a table of numbers.*encode text or categories"),
    ("X complex", X5 + 1j, Y5, r"X is complex\. Complex data not supported: pass X\.real"),
    ("X no rows", np.empty((0, 5)), Y5[:0], r"X has 0 sample\(s\)"),
    ("X no columns", np.empty((10, 0)), Y5, r"X has 0 feature\(s\) .*give at least one feature column"),
    ("2 rows", X5[:2], Y5[:2], r"X has 2 sample\(s\) .* a minimum of 3 is required .* add rows"),
    ("y None", X5, None, r"requires y to be passed, but the target y is None; pass the labels"),
    ("y 1-D", X5, Y5[:, 0], r"y must be 2-D \(n_samples, n_labels\).* got shape \(10,\); .*y\.reshape\(-1, 1\)"),
    ("y non-binary", X5, Y5 * 3, r"y holds the values \[3\], not only 0 and 1.*one-hot encode"),
    ("y classes", X5, np.arange(10) % 3, r"y holds the values \[2\], not only 0 and 1.*np\.eye\(n_classes"),
    ("y continuous", X5, Y5 * 0.5, r"y holds continuous values \(e\.g\. 0\.5\).*threshold them first"),
    ("y NaN", X5, np.where(Y5 > 0, np.nan, 0.0), r"y contains NaN at \(\d+, \d+\).*fill in or drop"),
    ("y text", X5, np.array([["a", "b"]] * 10), r"y must hold 0/1 labels, found 'a'.*one-hot encode"),
    ("y rows", X5, Y5[:9], r"X has 10 rows but y has 9; X and y hold one row per example"),
    ("y no labels", X5, Y5[:, :0], r"y has 0 label columns .* give at least one label"),
]


@pytest.mark.parametrize(("X", "y", "message"), [b[1:] for b in BAD_FIT], ids=[b[0] for b in BAD_FIT])
def test_bad_input_to_fit(X, y, message):
    with pytest.raises(ValueError, match=r"^MSDNClassifier\.fit:? .*" + message):
        MSDNClassifier(**MSDN_TINY).fit(X, y)


def test_bad_input_to_predict_and_score():
    X, Y = multilabel()
    est = BRMLPClassifier(**TINY).fit(X, Y)
    wrong_width = r"X has 3 features, but BRMLPClassifier is expecting 5 features as input; pass the same feature"
    with pytest.raises(ValueError, match=r"^BRMLPClassifier\.predict_proba: " + wrong_width):
        est.predict(X[:, :3])
    with pytest.raises(ValueError, match=r"^BRMLPClassifier\.predict_proba: X contains NaN"):
        est.predict_proba(np.full((2, 5), np.nan))
    with pytest.raises(ValueError, match=r"^BRMLPClassifier\.predict_proba: X must be 2-D"):
        est.predict_proba(X[0])
    with pytest.raises(ValueError, match=r"^BRMLPClassifier\.score: y has 3 label columns, but the model predicts 4"):
        est.score(X, Y[:, :3])
    with pytest.raises(ValueError, match=r"^BRMLPClassifier\.predict_proba: X is a sparse matrix.* X\.toarray\(\)"):
        import scipy.sparse

        est.predict(scipy.sparse.csr_matrix(X))
    X_before = X.copy()
    est.predict(X)
    assert np.array_equal(X, X_before)  # inputs are never changed
