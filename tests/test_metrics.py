"""Tests for msdn_numpy.metrics.

Three layers of evidence:
1. tiny hand-computed cases (no oracle), including empty true / predicted rows and ties;
2. loop-by-definition versions of the ranking metrics, compared on random tied scores;
3. scikit-learn, when installed, on many seeded random matrices (skipped with a reason
   otherwise).
Every call into msdn_numpy.metrics is made with warnings turned into errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from itertools import product

import numpy as np
import pytest

from msdn_numpy import metrics as M

BIPARTITION = {
    "hamming_loss": M.hamming_loss,
    "subset_accuracy": M.subset_accuracy,
    "jaccard": M.jaccard_score,
    "example_precision": M.example_precision,
    "example_recall": M.example_recall,
    "example_f1": M.example_f1,
    "micro_precision": M.micro_precision,
    "micro_recall": M.micro_recall,
    "micro_f1": M.micro_f1,
    "macro_precision": M.macro_precision,
    "macro_recall": M.macro_recall,
    "macro_f1": M.macro_f1,
}
RANKING = {
    "ranking_loss": M.ranking_loss,
    "one_error": M.one_error,
    "coverage": M.coverage,
    "average_precision": M.average_precision,
}


def quiet(fn: Callable, *args, **kwargs):
    """Call one of our functions with every warning raised as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


# ------------------------------------------------------------- hand-computed cases

# Rows: partly right; exactly right; empty truth, one false positive;
# non-empty truth, empty prediction; empty truth and empty prediction.
Y_TRUE = np.array(
    [
        [1, 0, 1, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 0],
        [1, 1, 0, 0],
        [0, 0, 0, 0],
    ]
)
Y_PRED = np.array(
    [
        [1, 1, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
    ]
)
# Per row (tp, |Y|, |Z|, |Y ∪ Z|, mistakes): (1,2,2,3,2) (1,1,1,1,0) (0,0,1,1,1) (0,2,0,2,2) (0,0,0,0,0).
# Per label (tp, true, pred): (1,2,1) (1,2,2) (0,1,1) (0,0,0).
# The default empty_score=1: the last row (both empty) is right and scores 1; row 2
# (empty truth, a false alarm) and row 3 (empty prediction, labels missed) score 0.
EXPECTED_BIPARTITION = {
    "hamming_loss": 5 / 20,
    "subset_accuracy": 2 / 5,
    "jaccard": (1 / 3 + 1 + 1) / 5,
    "example_precision": (1 / 2 + 1 + 1) / 5,  # row 3, empty prediction of a non-empty truth: 0
    "example_recall": (1 / 2 + 1 + 1) / 5,  # row 2, empty truth with a false alarm: 0
    "example_f1": (2 / 4 + 1 + 1) / 5,
    "micro_precision": 2 / 4,
    "micro_recall": 2 / 5,
    "micro_f1": 4 / 9,
    "macro_precision": (1 + 1 / 2 + 0 + 0) / 4,  # never-predicted label 3 counts as 0
    "macro_recall": (1 / 2 + 1 / 2 + 0 + 0) / 4,  # never-true label 3 counts as 0
    "macro_f1": (2 / 3 + 1 / 2 + 0 + 0) / 4,
}


# empty_score=0 (scikit-learn's default): the both-empty row scores 0 as well.
EXPECTED_EMPTY_ZERO = {
    "jaccard": (1 / 3 + 1) / 5,
    "example_precision": (1 / 2 + 1) / 5,
    "example_recall": (1 / 2 + 1) / 5,
    "example_f1": (2 / 4 + 1) / 5,
}
EXAMPLE_BASED = tuple(EXPECTED_EMPTY_ZERO)


@pytest.mark.parametrize("name", list(BIPARTITION))
def test_bipartition_metric_by_hand(name: str) -> None:
    assert quiet(BIPARTITION[name], Y_TRUE, Y_PRED) == pytest.approx(EXPECTED_BIPARTITION[name], abs=1e-15)


@pytest.mark.parametrize("name", EXAMPLE_BASED)
def test_example_based_empty_score(name: str) -> None:
    fn = BIPARTITION[name]
    assert quiet(fn, Y_TRUE, Y_PRED, empty_score=0) == pytest.approx(EXPECTED_EMPTY_ZERO[name], abs=1e-15)
    assert quiet(fn, Y_TRUE, Y_PRED, empty_score=1.0) == pytest.approx(EXPECTED_BIPARTITION[name], abs=1e-15)
    # in between: the both-empty row contributes 0.5 / 5
    assert quiet(fn, Y_TRUE, Y_PRED, empty_score=0.5) == pytest.approx(EXPECTED_EMPTY_ZERO[name] + 0.1, abs=1e-15)
    assert M.EMPTY_SCORE == 1.0
    # evaluate passes it on, and leaves every other metric alone
    s = Y_PRED * 0.8 + 0.1
    out0, out1 = quiet(M.evaluate, Y_TRUE, s, empty_score=0), quiet(M.evaluate, Y_TRUE, s)
    assert out0[name] == pytest.approx(EXPECTED_EMPTY_ZERO[name], abs=1e-15)
    assert out1[name] == pytest.approx(EXPECTED_BIPARTITION[name], abs=1e-15)
    assert {k for k in M.METRIC_NAMES if out0[k] != out1[k]} == set(EXAMPLE_BASED)


R_TRUE = np.array(
    [
        [1, 0, 1, 0],  # plain ranking
        [0, 0, 1, 0],  # relevant label tied at the top with two irrelevant ones
        [0, 0, 0, 0],  # no relevant label
        [1, 1, 1, 1],  # every label relevant
    ]
)
R_SCORES = np.array(
    [
        [0.9, 0.8, 0.1, 0.2],
        [0.5, 0.5, 0.5, 0.1],
        [0.3, 0.2, 0.1, 0.0],
        [0.1, 0.2, 0.3, 0.4],
    ]
)
EXPECTED_RANKING = {
    # wrong pairs / all pairs: 2/4, 2/3 (ties count as wrong), no pairs -> 0, no pairs -> 0
    "ranking_loss": (2 / 4 + 2 / 3 + 0 + 0) / 4,
    # row 1: MULAN breaks the top tie towards the last label (2, relevant); row 2: error
    "one_error": (0 + 0 + 1 + 0) / 4,
    # deepest relevant rank - 1: 4-1, 3-1 (pessimistic ties), empty row -> 0, 4-1
    "coverage": (3 + 2 + 0 + 3) / 4,
    # row 0: (1/1 + 2/4)/2; row 1: 1/3 (tied with two irrelevant); empty and full rows -> 1
    "average_precision": (3 / 4 + 1 / 3 + 1 + 1) / 4,
}


@pytest.mark.parametrize("name", list(RANKING))
def test_ranking_metric_by_hand(name: str) -> None:
    assert quiet(RANKING[name], R_TRUE, R_SCORES) == pytest.approx(EXPECTED_RANKING[name], abs=1e-15)


def test_perfect_prediction() -> None:
    y = np.array([[1, 0, 1, 0], [0, 1, 0, 1]])  # every label used at least once
    for name, fn in BIPARTITION.items():
        want = 0.0 if name == "hamming_loss" else 1.0
        assert quiet(fn, y, y) == want, name
    # a label never true nor predicted scores 0 even for a perfect prediction (sklearn default)
    y[:, 3] = 0
    assert quiet(M.macro_precision, y, y) == quiet(M.macro_recall, y, y) == quiet(M.macro_f1, y, y) == 0.75
    # scores that put both relevant labels strictly first
    assert quiet(M.ranking_loss, R_TRUE[:1], [[0.9, 0.1, 0.8, 0.2]]) == 0.0
    assert quiet(M.average_precision, R_TRUE[:1], [[0.9, 0.1, 0.8, 0.2]]) == 1.0
    assert quiet(M.coverage, R_TRUE[:1], [[0.9, 0.1, 0.8, 0.2]]) == 1.0  # 2 relevant -> depth 1


def test_all_zero_everything() -> None:
    """Nothing true, nothing predicted: every example is exactly right (example-based: 1,
    or 0 with empty_score=0); the label-based ratios have zero denominators -> 0."""
    z = np.zeros((3, 4), dtype=int)
    assert quiet(M.hamming_loss, z, z) == 0.0
    assert quiet(M.subset_accuracy, z, z) == 1.0
    for name, fn in BIPARTITION.items():
        if name in EXAMPLE_BASED:
            assert quiet(fn, z, z) == 1.0, name
            assert quiet(fn, z, z, empty_score=0) == 0.0, name
        elif name not in ("hamming_loss", "subset_accuracy"):
            assert quiet(fn, z, z) == 0.0, name
    s = np.arange(12.0).reshape(3, 4)
    assert quiet(M.ranking_loss, z, s) == 0.0
    assert quiet(M.one_error, z, s) == 1.0
    assert quiet(M.coverage, z, s) == 0.0
    assert quiet(M.average_precision, z, s) == 1.0


def test_one_error_tie_goes_to_last_label() -> None:
    s = [[0.7, 0.7, 0.7]]
    assert quiet(M.one_error, [[0, 0, 1]], s) == 0.0
    assert quiet(M.one_error, [[1, 1, 0]], s) == 1.0


def test_all_ties_are_pessimistic() -> None:
    """With all scores equal every relevant label sits at the bottom."""
    t = np.array([[1, 0, 0, 1, 0]])
    s = np.zeros((1, 5))
    assert quiet(M.ranking_loss, t, s) == 1.0
    assert quiet(M.coverage, t, s) == 4.0
    assert quiet(M.average_precision, t, s) == pytest.approx(2 / 5)


def test_accepts_bool_int_float_and_lists_without_mutation() -> None:
    t, p, s = Y_TRUE.copy(), Y_PRED.copy(), np.linspace(0, 1, Y_TRUE.size).reshape(Y_TRUE.shape)
    t0, p0, s0 = t.copy(), p.copy(), s.copy()
    for tt, pp in [
        (t, p),
        (t.astype(bool), p.astype(bool)),
        (t.astype(float), p.astype(float)),
        (t.tolist(), p.tolist()),
    ]:
        for name, fn in BIPARTITION.items():
            assert quiet(fn, tt, pp) == pytest.approx(EXPECTED_BIPARTITION[name], abs=1e-15)
    quiet(M.evaluate, t, s, threshold=np.full(4, 0.3))
    np.testing.assert_array_equal(t, t0)
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_array_equal(s, s0)


# --------------------------------------------------- loop-by-definition oracles


def naive_ranking(t: np.ndarray, s: np.ndarray) -> dict[str, float]:
    """Ranking metrics written straight from their definitions, one example at a time."""
    N, L = t.shape
    rl, oe, cov, ap = [], [], [], []
    for i in range(N):
        rel = [j for j in range(L) if t[i, j]]
        irr = [k for k in range(L) if not t[i, k]]
        rank = {j: sum(s[i, k] >= s[i, j] for k in range(L)) for j in range(L)}
        pairs = [(j, k) for j in rel for k in irr]
        rl.append(sum(s[i, k] >= s[i, j] for j, k in pairs) / len(pairs) if pairs else 0.0)
        top = max(range(L), key=lambda j: (s[i, j], j))  # largest score, then largest index
        oe.append(0.0 if t[i, top] else 1.0)
        cov.append(max(rank[j] for j in rel) - 1 if rel else 0)
        if 0 < len(rel) < L:
            ap.append(np.mean([sum(s[i, k] >= s[i, j] for k in rel) / rank[j] for j in rel]))
        else:
            ap.append(1.0)
    return {
        "ranking_loss": np.mean(rl),
        "one_error": np.mean(oe),
        "coverage": np.mean(cov),
        "average_precision": np.mean(ap),
    }


def random_case(seed: int, N: int, L: int, tied: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random truth, prediction and scores with empty/full rows and an empty column forced in."""
    rng = np.random.default_rng(seed)
    t = (rng.random((N, L)) < rng.uniform(0.1, 0.6)).astype(int)
    p = (rng.random((N, L)) < rng.uniform(0.1, 0.6)).astype(int)
    t[0] = 0  # example with no relevant label
    p[1] = 0  # example with no predicted label
    t[2] = 1  # example with every label relevant
    t[:, -1] = 0  # label never true
    p[:, 0] = 0  # label never predicted
    # few distinct values -> many ties; otherwise continuous
    s = rng.integers(0, 4, (N, L)) / 3.0 if tied else rng.random((N, L))
    return t, p, s


SIZES = [(5, 3), (17, 6), (40, 2), (64, 14)]
CASES = [(seed, N, L, tied) for seed, ((N, L), tied) in enumerate(product(SIZES, [False, True]))]


@pytest.mark.parametrize("seed,N,L,tied", CASES)
def test_ranking_matches_naive_definition(seed: int, N: int, L: int, tied: bool) -> None:
    t, _, s = random_case(seed, N, L, tied)
    want = naive_ranking(t, s)
    for name, fn in RANKING.items():
        assert quiet(fn, t, s) == pytest.approx(want[name], rel=1e-12, abs=1e-12), name


# ------------------------------------------------------------- scikit-learn oracle


def sklearn_reference(t: np.ndarray, p: np.ndarray, s: np.ndarray, zero_division: float = 0.0) -> dict[str, float]:
    """scikit-learn's values; ``zero_division`` for the example-based ones (micro / macro keep 0).

    Jaccard and example-F1 are 0/0 only on a both-empty row, so ``zero_division`` is our
    ``empty_score`` exactly. Example precision (recall) is 0/0 also on an empty prediction
    of a non-empty truth (an empty truth with a false alarm), which scikit-learn scores
    ``zero_division`` and we score 0: those rows are taken back out here.
    """
    skm = pytest.importorskip("sklearn.metrics", reason="scikit-learn is the optional oracle for metrics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's UndefinedMetricWarning; we check its values only
        ref = {
            "hamming_loss": skm.hamming_loss(t, p),
            "subset_accuracy": skm.accuracy_score(t, p),
            "jaccard": skm.jaccard_score(t, p, average="samples", zero_division=zero_division),
        }
        for avg, prefix in [("samples", "example"), ("micro", "micro"), ("macro", "macro")]:
            zd = zero_division if avg == "samples" else 0.0
            prec, rec, f1, _ = skm.precision_recall_fscore_support(t, p, average=avg, zero_division=zd)
            ref.update({f"{prefix}_precision": prec, f"{prefix}_recall": rec, f"{prefix}_f1": f1})
        n_true, n_pred = t.sum(axis=1), p.sum(axis=1)
        ref["example_precision"] -= zero_division * np.mean((n_pred == 0) & (n_true > 0))
        ref["example_recall"] -= zero_division * np.mean((n_true == 0) & (n_pred > 0))
        ref["ranking_loss"] = skm.label_ranking_loss(t, s)
        ref["average_precision"] = skm.label_ranking_average_precision_score(t, s)
        # MULAN coverage = sklearn - 1, except that empty rows (0 in sklearn) stay 0, not -1
        n_empty = int((t.sum(axis=1) == 0).sum())
        ref["coverage"] = skm.coverage_error(t, s) - 1 + n_empty / t.shape[0]
    return ref


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
@pytest.mark.parametrize("seed,N,L,tied", CASES)
def test_matches_sklearn(seed: int, N: int, L: int, tied: bool, zero_division: float) -> None:
    t, p, s = random_case(seed, N, L, tied)
    t[-1] = p[-1] = 0  # a row with no true and no predicted label, the case the convention is about
    p[0, 1], t[1, 0] = 1, 1  # a false alarm on the empty row 0, labels missed on the empty prediction 1
    ref = sklearn_reference(t, p, s, zero_division)
    for name, want in ref.items():
        fn = BIPARTITION.get(name) or RANKING[name]
        y = p if name in BIPARTITION else s
        kwargs = {"empty_score": zero_division} if name in EXAMPLE_BASED else {}
        assert quiet(fn, t, y, **kwargs) == pytest.approx(want, rel=1e-12, abs=1e-12), name


def test_jaccard_and_f1_are_sklearn_with_zero_division_one_as_is() -> None:
    """No correction needed: for these two, empty_score is scikit-learn's zero_division."""
    skm = pytest.importorskip("sklearn.metrics", reason="scikit-learn is the optional oracle for metrics")
    for seed, N, L, tied in CASES:
        t, p, _ = random_case(seed, N, L, tied)
        t[-1] = p[-1] = 0
        for zd in (0.0, 1.0):
            assert quiet(M.jaccard_score, t, p, empty_score=zd) == pytest.approx(
                skm.jaccard_score(t, p, average="samples", zero_division=zd), rel=1e-12, abs=1e-12
            )
            assert quiet(M.example_f1, t, p, empty_score=zd) == pytest.approx(
                skm.f1_score(t, p, average="samples", zero_division=zd), rel=1e-12, abs=1e-12
            )


@pytest.mark.parametrize("seed", range(5))
def test_evaluate_matches_sklearn_with_per_label_threshold(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    t, _, _ = random_case(seed, 30, 5, tied=False)
    s = rng.random(t.shape)
    thr = rng.uniform(0.2, 0.8, size=5)
    s[0] = thr / 2  # row 0 has no true label (random_case): now no predicted one either
    pred = (s >= thr).astype(int)
    for zd in (0.0, 1.0):
        out = quiet(M.evaluate, t, s, threshold=thr, empty_score=zd)
        ref = sklearn_reference(t, pred, s, zd)
        for name, want in ref.items():
            assert out[name] == pytest.approx(want, rel=1e-12, abs=1e-12), name
    assert out["one_error"] == pytest.approx(naive_ranking(t, s)["one_error"])


# ---------------------------------------------------------------------- evaluate


def test_evaluate_keys_order_and_types() -> None:
    s = np.clip(R_SCORES, 0, 1)
    out = quiet(M.evaluate, R_TRUE, s)
    assert tuple(out) == M.METRIC_NAMES
    assert M.METRIC_NAMES == (
        "hamming_loss", "subset_accuracy", "jaccard", "example_precision", "example_recall",
        "example_f1", "micro_precision", "micro_recall", "micro_f1", "macro_precision",
        "macro_recall", "macro_f1", "ranking_loss", "one_error", "coverage", "average_precision",
    )  # fmt: skip
    assert all(type(v) is float for v in out.values())
    assert M.LOWER_IS_BETTER == {"hamming_loss", "ranking_loss", "one_error", "coverage"}
    for name, want in EXPECTED_RANKING.items():
        assert out[name] == pytest.approx(want)


def test_evaluate_threshold_is_inclusive_and_per_label() -> None:
    t = np.array([[1, 0, 1], [0, 1, 0]])
    s = np.array([[0.5, 0.4, 0.2], [0.1, 0.6, 0.1]])
    # scalar 0.5 -> predictions [[1,0,0],[0,1,0]]: only (0, 2) is wrong; 0.5 >= 0.5 is positive
    out = quiet(M.evaluate, t, s, threshold=0.5)
    assert out["hamming_loss"] == pytest.approx(1 / 6)
    assert out["subset_accuracy"] == pytest.approx(1 / 2)
    # label 2 gets its own threshold 0.2 -> (0, 2) becomes positive, everything right
    out = quiet(M.evaluate, t, s, threshold=[0.5, 0.5, 0.2])
    assert out["hamming_loss"] == 0.0
    assert out["subset_accuracy"] == 1.0
    # just above 0.2 it is negative again
    out = quiet(M.evaluate, t, s, threshold=np.array([0.5, 0.5, 0.2001]))
    assert out["hamming_loss"] == pytest.approx(1 / 6)


# ------------------------------------------------------------------- bad inputs


def test_empty_score_must_be_a_number() -> None:
    with pytest.raises(TypeError, match="empty_score must be a number"):
        M.example_recall([[0, 1]], [[0, 1]], empty_score="1")
    with pytest.raises(TypeError, match="empty_score must be a number"):
        M.example_precision([[0, 1]], [[0, 1]], empty_score=True)


@pytest.mark.parametrize(
    "fn,args,match",
    [
        (
            M.hamming_loss,
            ([1, 0, 1], [1, 0, 1]),
            r"Y_true must be a 2-D array of shape \(N, L\); got shape \(3,\)",
        ),
        (
            M.micro_f1,
            (np.zeros((2, 3)), np.zeros((2, 3, 1))),
            r"Y_pred must be a 2-D .* got shape \(2, 3, 1\)",
        ),
        (
            M.example_f1,
            (np.zeros((2, 3)), np.zeros((2, 4))),
            r"same shape .* got Y_true \(2, 3\) and Y_pred \(2, 4\)",
        ),
        (
            M.ranking_loss,
            (np.zeros((2, 3)), np.zeros((3, 3))),
            r"got Y_true \(2, 3\) and scores \(3, 3\)",
        ),
        (
            M.jaccard_score,
            ([[0, 2], [1, 0]], [[0, 1], [1, 0]]),
            r"Y_true must be binary .* found values \[2\]",
        ),
        (M.macro_f1, ([[0, 1]], [[0.5, 1]]), r"Y_pred must be binary .* found values \[0.5\]"),
        (M.coverage, ([[0, 1]], [[np.nan, 1.0]]), r"scores must be finite"),
        (M.one_error, ([[0, 1]], [[np.inf, 1.0]]), r"scores must be finite"),
        (
            M.average_precision,
            ([[-1, 1]], [[0.1, 1.0]]),
            r"Y_true must be binary .* found values \[-1\]",
        ),
        (
            M.subset_accuracy,
            (np.zeros((0, 3)), np.zeros((0, 3))),
            r"at least one example .* got shape \(0, 3\)",
        ),
        (M.evaluate, ([[0, 1]], [[0.2, 1.5]]), r"probabilities in \[0, 1\]"),
        (M.example_f1, ([[0, 1]], [[0, 1]], 2.0), r"empty_score must be in \[0, 1\].*got 2.0"),
        (M.jaccard_score, ([[0, 1]], [[0, 1]], float("nan")), r"empty_score must be in \[0, 1\]"),
        (M.evaluate, ([[0, 1]], [[0.2, 0.5]], 0.5, -1), r"empty_score must be in \[0, 1\]"),
        (
            M.evaluate,
            ([[0, 1]], [[0.2, 0.5]], [0.5, 0.5, 0.5]),
            r"threshold .* shape \(L,\) = \(2,\); got shape \(3,\)",
        ),
    ],
)
def test_bad_input_raises_clear_error(fn: Callable, args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fn(*args)
