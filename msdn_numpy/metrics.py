"""Multi-label evaluation metrics, vectorised in NumPy.

Notation, used in every docstring below. ``N`` examples, ``L`` labels.

* ``Y_true (N, L)`` – the true label sets, binary {0, 1}; row ``i`` is the set ``Y_i``.
* ``Y_pred (N, L)`` – the predicted label sets, binary {0, 1}; row ``i`` is ``Z_i``.
* ``scores (N, L)`` – real-valued relevance scores, higher = more relevant; ``s_ij``.

Three families (Zhang & Zhou 2014, "A review on multi-label learning algorithms"):

* example-based (one number per example, then the mean over examples): Hamming loss,
  subset accuracy, Jaccard, example precision / recall / F1;
* label-based (confusion counts per label): micro (pool the counts of all labels, then
  divide) and macro (divide per label, then take the mean over labels) precision /
  recall / F1;
* ranking-based (from ``scores``): ranking loss, one-error, coverage, average precision.

Empty sets. An example whose true set and predicted set are both empty is predicted
exactly right, and the example-based ratios (Jaccard, example precision / recall / F1)
score it ``empty_score``, by default **1** (:data:`EMPTY_SCORE`): the convention of
RethinkNet's released code, and scikit-learn's ``jaccard_score`` / ``f1_score`` with
``zero_division=1.0``. ``empty_score=0`` gives scikit-learn's default instead (its
``zero_division="warn"`` returns 0 for such rows). On the bundled ``synthetic`` data, whose
test split has 37% of its rows without a label, the choice moves these four metrics by up
to 0.37; the four MULAN datasets have no such row. Every other zero denominator (an
example with an empty prediction but a non-empty truth, or the reverse; a label never
true or never predicted, micro / macro) gives 0, as scikit-learn's default does;
scikit-learn also warns, we do not. The ranking metrics follow scikit-learn's
``label_ranking_*`` / ``coverage_error`` functions, ties included; each docstring states
the convention it uses.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

METRIC_NAMES: tuple[str, ...] = (
    "hamming_loss",
    "subset_accuracy",
    "jaccard",
    "example_precision",
    "example_recall",
    "example_f1",
    "micro_precision",
    "micro_recall",
    "micro_f1",
    "macro_precision",
    "macro_recall",
    "macro_f1",
    "ranking_loss",
    "one_error",
    "coverage",
    "average_precision",
)
"""The keys of :func:`evaluate`, in order."""

EMPTY_SCORE: float = 1.0
"""The default score of an example whose true and predicted label sets are both empty."""

LOWER_IS_BETTER: frozenset[str] = frozenset({"hamming_loss", "ranking_loss", "one_error", "coverage"})
"""Metrics where smaller is better; for every other name in ``METRIC_NAMES`` larger is better."""


# --------------------------------------------------------------------------- checks


def _check_2d(name: str, a: ArrayLike) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (N, L); got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one example and one label; got shape {arr.shape}")
    return arr


def _check_binary(name: str, a: ArrayLike) -> np.ndarray:
    arr = _check_2d(name, a)
    bad = ~((arr == 0) | (arr == 1))  # NaN compares unequal to both, so it is caught too
    if bad.any():
        found = np.unique(arr[bad])[:5]
        raise ValueError(f"{name} must be binary with values in {{0, 1}}; found values {found.tolist()}")
    return arr.astype(bool)


def _check_same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape (N, L); got {name_a} {a.shape} and {name_b} {b.shape}"
        )


def _check_bipartition(Y_true: ArrayLike, Y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (truth, prediction) pair; return both as bool arrays (N, L)."""
    t, p = _check_2d("Y_true", Y_true), _check_2d("Y_pred", Y_pred)
    _check_same_shape("Y_true", t, "Y_pred", p)
    return _check_binary("Y_true", t), _check_binary("Y_pred", p)


def _check_ranking(Y_true: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (truth, scores) pair; return bool (N, L) and float64 (N, L)."""
    t, s = _check_2d("Y_true", Y_true), _check_2d("scores", scores)
    _check_same_shape("Y_true", t, "scores", s)
    try:
        s = s.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"scores must be real numbers; got dtype {s.dtype}") from err
    if not np.isfinite(s).all():
        raise ValueError(f"scores must be finite; found {int((~np.isfinite(s)).sum())} NaN or infinite entries")
    return _check_binary("Y_true", t), s


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` elementwise, 0 where ``den == 0`` (scikit-learn's default), no warning."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def _check_empty_score(empty_score: float) -> float:
    if isinstance(empty_score, bool) or not isinstance(empty_score, (int, float, np.integer, np.floating)):
        raise TypeError(f"empty_score must be a number, 0 or 1 (or in between); got {type(empty_score).__name__}")
    if not 0.0 <= float(empty_score) <= 1.0:  # NaN fails this too
        raise ValueError(
            f"empty_score must be in [0, 1] (1: an empty set predicted empty is right; 0: scikit-learn's "
            f"default); got {empty_score}"
        )
    return float(empty_score)


def _per_example(num: np.ndarray, den: np.ndarray, both_empty: np.ndarray, empty_score: float) -> float:
    """Mean over examples of ``num / den`` (0 where ``den == 0``), ``empty_score`` where both sets are empty."""
    ratio = _divide(num, den)
    ratio[both_empty] = _check_empty_score(empty_score)
    return float(np.mean(ratio))


def _counts(t: np.ndarray, p: np.ndarray, axis: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, predicted positives and true positives summed along ``axis``.

    ``axis=1`` gives per-example counts (N,), ``axis=0`` per-label counts (L,),
    ``axis=None`` the pooled (micro) counts.
    """
    return (t & p).sum(axis=axis), p.sum(axis=axis), t.sum(axis=axis)


# ---------------------------------------------------------------- example-based


def hamming_loss(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Fraction of the ``N L`` label decisions that are wrong.

    ``hamming_loss = 1/(N L) Σ_i |Y_i Δ Z_i|``, where ``Δ`` is the symmetric difference.
    Same as ``sklearn.metrics.hamming_loss``. Lower is better; 0 is perfect.

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary

    Returns
    -------
    float in [0, 1]
    """
    t, p = _check_bipartition(Y_true, Y_pred)
    return float(np.mean(t != p))


def subset_accuracy(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Fraction of examples whose whole predicted set is exactly right (exact match).

    ``subset_accuracy = 1/N Σ_i [Y_i = Z_i]``. An all-zero row predicted all-zero counts
    as a match. Same as ``sklearn.metrics.accuracy_score`` on indicator matrices.

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary

    Returns
    -------
    float in [0, 1]
    """
    t, p = _check_bipartition(Y_true, Y_pred)
    return float(np.mean((t == p).all(axis=1)))


def jaccard_score(Y_true: ArrayLike, Y_pred: ArrayLike, empty_score: float = EMPTY_SCORE) -> float:
    """Example-based Jaccard index ("multi-label accuracy").

    ``jaccard = 1/N Σ_i |Y_i ∩ Z_i| / |Y_i ∪ Z_i|``.

    Empty sets: an example with ``Y_i = Z_i = ∅`` (the only case of ``0/0``) scores
    ``empty_score``, 1 by default. This is
    ``sklearn.metrics.jaccard_score(average="samples", zero_division=empty_score)``;
    ``empty_score=0`` is scikit-learn's default.

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary
    empty_score : float in [0, 1]
        The score of an example with no true and no predicted label.

    Returns
    -------
    float in [0, 1]
    """
    t, p = _check_bipartition(Y_true, Y_pred)
    inter = (t & p).sum(axis=1)
    union = (t | p).sum(axis=1)
    return _per_example(inter, union, union == 0, empty_score)


def example_precision(Y_true: ArrayLike, Y_pred: ArrayLike, empty_score: float = EMPTY_SCORE) -> float:
    """Example-based precision: ``1/N Σ_i |Y_i ∩ Z_i| / |Z_i|``.

    Empty sets: an example with ``Y_i = Z_i = ∅`` scores ``empty_score`` (1 by default);
    one with no predicted label but a true one (``Z_i = ∅ ≠ Y_i``) scores 0. With
    ``empty_score=0`` this is ``sklearn.metrics.precision_score(average="samples")`` with
    its default. (scikit-learn's ``zero_division=1.0`` would also give 1 to an empty
    prediction of a non-empty truth, so that predicting nothing scored precision 1.)

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary
    empty_score : float in [0, 1]
        The score of an example with no true and no predicted label.

    Returns
    -------
    float in [0, 1]
    """
    tp, pred, true = _counts(*_check_bipartition(Y_true, Y_pred), axis=1)
    return _per_example(tp, pred, (pred == 0) & (true == 0), empty_score)


def example_recall(Y_true: ArrayLike, Y_pred: ArrayLike, empty_score: float = EMPTY_SCORE) -> float:
    """Example-based recall: ``1/N Σ_i |Y_i ∩ Z_i| / |Y_i|``.

    Empty sets: an example with ``Y_i = Z_i = ∅`` scores ``empty_score`` (1 by default);
    one with no true label but a predicted one (``Y_i = ∅ ≠ Z_i``) scores 0. With
    ``empty_score=0`` this is ``sklearn.metrics.recall_score(average="samples")`` with its
    default. (scikit-learn's ``zero_division=1.0`` would also give 1 to a false alarm on
    an example without labels.)

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary
    empty_score : float in [0, 1]
        The score of an example with no true and no predicted label.

    Returns
    -------
    float in [0, 1]
    """
    tp, pred, true = _counts(*_check_bipartition(Y_true, Y_pred), axis=1)
    return _per_example(tp, true, (pred == 0) & (true == 0), empty_score)


def example_f1(Y_true: ArrayLike, Y_pred: ArrayLike, empty_score: float = EMPTY_SCORE) -> float:
    """Example-based F1: ``1/N Σ_i 2 |Y_i ∩ Z_i| / (|Y_i| + |Z_i|)``.

    This is the mean of the per-example F1, not the harmonic mean of
    :func:`example_precision` and :func:`example_recall`. Empty sets: an example with
    ``Y_i = Z_i = ∅`` (the only case of ``0/0``) scores ``empty_score``, 1 by default:
    ``sklearn.metrics.f1_score(average="samples", zero_division=empty_score)``;
    ``empty_score=0`` is scikit-learn's default. (If only one of the two is empty the
    formula already gives 0.)

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary
    empty_score : float in [0, 1]
        The score of an example with no true and no predicted label.

    Returns
    -------
    float in [0, 1]
    """
    tp, pred, true = _counts(*_check_bipartition(Y_true, Y_pred), axis=1)
    return _per_example(2 * tp, true + pred, true + pred == 0, empty_score)


# ------------------------------------------------------------------ label-based


def micro_precision(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Micro-averaged precision: ``Σ_j TP_j / Σ_j (TP_j + FP_j)``, counts pooled over labels.

    0 if nothing at all is predicted (scikit-learn's default, ``average="micro"``).

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary

    Returns
    -------
    float in [0, 1]
    """
    tp, pred, _ = _counts(*_check_bipartition(Y_true, Y_pred), axis=None)
    return float(_divide(tp, pred))


def micro_recall(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Micro-averaged recall: ``Σ_j TP_j / Σ_j (TP_j + FN_j)``, counts pooled over labels.

    0 if no label is true anywhere (scikit-learn's default, ``average="micro"``).

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary

    Returns
    -------
    float in [0, 1]
    """
    tp, _, true = _counts(*_check_bipartition(Y_true, Y_pred), axis=None)
    return float(_divide(tp, true))


def micro_f1(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Micro-averaged F1: ``2 Σ_j TP_j / Σ_j (2 TP_j + FP_j + FN_j)``.

    0 if nothing is true and nothing is predicted (scikit-learn's default,
    ``average="micro"``).

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary

    Returns
    -------
    float in [0, 1]
    """
    tp, pred, true = _counts(*_check_bipartition(Y_true, Y_pred), axis=None)
    return float(_divide(2 * tp, true + pred))


def macro_precision(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Macro-averaged precision: ``1/L Σ_j TP_j / (TP_j + FP_j)``.

    A label that is never predicted contributes 0 and still counts in the ``1/L``
    (scikit-learn's default, ``average="macro"``), so rare labels pull the mean down.

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary

    Returns
    -------
    float in [0, 1]
    """
    tp, pred, _ = _counts(*_check_bipartition(Y_true, Y_pred), axis=0)
    return float(np.mean(_divide(tp, pred)))


def macro_recall(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Macro-averaged recall: ``1/L Σ_j TP_j / (TP_j + FN_j)``.

    A label that is never true contributes 0 and still counts in the ``1/L``
    (scikit-learn's default, ``average="macro"``).

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary

    Returns
    -------
    float in [0, 1]
    """
    tp, _, true = _counts(*_check_bipartition(Y_true, Y_pred), axis=0)
    return float(np.mean(_divide(tp, true)))


def macro_f1(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Macro-averaged F1: ``1/L Σ_j 2 TP_j / (2 TP_j + FP_j + FN_j)``.

    The mean of the per-label F1, not the harmonic mean of macro precision and recall.
    A label never true and never predicted contributes 0 and still counts in the ``1/L``
    (scikit-learn's default, ``average="macro"``).

    Parameters
    ----------
    Y_true, Y_pred : array (N, L), binary

    Returns
    -------
    float in [0, 1]
    """
    tp, pred, true = _counts(*_check_bipartition(Y_true, Y_pred), axis=0)
    return float(np.mean(_divide(2 * tp, true + pred)))


# ---------------------------------------------------------------- ranking-based


def _ranks(t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pessimistic ranks, all rows at once.

    Returns ``rank (N, L)`` and ``rank_rel (N, L)`` with

        rank[i, j]     = #{k       : s_ik >= s_ij}   (position of label j, ties counted against it)
        rank_rel[i, j] = #{k ∈ Y_i : s_ik >= s_ij}   (meaningful only where j ∈ Y_i)

    ``rankdata(-s, "max")`` is exactly the first count. For the second, irrelevant labels
    get ``-s = +inf`` so they never reach ``>= s_ij`` of a (finite) relevant label.
    """
    rank = rankdata(-s, method="max", axis=1)
    rank_rel = rankdata(np.where(t, -s, np.inf), method="max", axis=1)
    return rank, rank_rel


def ranking_loss(Y_true: ArrayLike, scores: ArrayLike) -> float:
    """Fraction of (relevant, irrelevant) label pairs that are ordered wrongly.

    ``ranking_loss = 1/N Σ_i |{(j, k) ∈ Y_i × Ȳ_i : s_ik >= s_ij}| / (|Y_i| |Ȳ_i|)``,
    with ``Ȳ_i`` the irrelevant labels of example ``i``. Lower is better.

    Ties: a tie between a relevant and an irrelevant label counts as a whole error.
    Empty sets: an example with no relevant or no irrelevant label has no pairs and
    scores 0, but still counts in the ``1/N``. Both as
    ``sklearn.metrics.label_ranking_loss``. (MULAN instead skips such examples.)

    The pair count uses ranks: for relevant ``j``, ``rank_ij - rank_rel_ij`` is the number
    of irrelevant labels scored ``>= s_ij``; see ``_ranks``.

    Parameters
    ----------
    Y_true : array (N, L), binary
    scores : array (N, L), real

    Returns
    -------
    float in [0, 1]
    """
    t, s = _check_ranking(Y_true, scores)
    rank, rank_rel = _ranks(t, s)
    wrong_pairs = np.where(t, rank - rank_rel, 0).sum(axis=1)
    n_rel = t.sum(axis=1)
    n_irr = t.shape[1] - n_rel
    return float(np.mean(_divide(wrong_pairs, n_rel * n_irr)))


def one_error(Y_true: ArrayLike, scores: ArrayLike) -> float:
    """Fraction of examples whose top-scored label is not relevant.

    ``one_error = 1/N Σ_i [argmax_j s_ij ∉ Y_i]``. Lower is better. As in MULAN
    (``mulan.evaluation.measure.OneError``); scikit-learn has no one-error.

    Ties: when several labels share the top score, the one with the **largest index**
    is taken as the top label. That is what MULAN does: it ranks labels with a stable
    ascending sort of the scores (``MultiLabelOutput.ranksFromValues``), so of tied
    labels the last one gets rank 1. With real-valued network outputs ties are rare.

    Empty sets: an example with no relevant label counts as an error (its top label
    cannot be relevant), and it counts in the ``1/N``; MULAN does not skip it either.

    Parameters
    ----------
    Y_true : array (N, L), binary
    scores : array (N, L), real

    Returns
    -------
    float in [0, 1]
    """
    t, s = _check_ranking(Y_true, scores)
    # argmax returns the first maximum; on the reversed row that is the last one.
    top = s.shape[1] - 1 - np.argmax(s[:, ::-1], axis=1)
    hit = t[np.arange(t.shape[0]), top]
    return float(np.mean(~hit))


def coverage(Y_true: ArrayLike, scores: ArrayLike) -> float:
    """How far down the ranking one must go to cover every relevant label, minus one.

    ``coverage = 1/N Σ_i (max_{j ∈ Y_i} rank_ij − 1)`` with the pessimistic rank
    ``rank_ij = #{k : s_ik >= s_ij}``. Lower is better; 0 means every relevant label is
    at the top. MULAN's convention (ranks start at 0), which is
    ``sklearn.metrics.coverage_error − 1`` (scikit-learn's ranks start at 1).

    Ties: handled as scikit-learn does: labels tied with the lowest-scored relevant
    label are all counted as covered before it.

    Empty sets: an example with no relevant label scores 0 (nothing to cover; also
    MULAN's value), not −1. So the result equals ``coverage_error − 1`` exactly when
    every example has a relevant label, and ``coverage_error − 1 + (#empty rows) / N``
    otherwise (scikit-learn gives such rows 0 before the shift).

    Parameters
    ----------
    Y_true : array (N, L), binary
    scores : array (N, L), real

    Returns
    -------
    float in [0, L − 1]
    """
    t, s = _check_ranking(Y_true, scores)
    rank, _ = _ranks(t, s)
    depth = np.where(t, rank, 1).max(axis=1) - 1  # rank 1 for empty rows -> depth 0
    return float(np.mean(depth))


def average_precision(Y_true: ArrayLike, scores: ArrayLike) -> float:
    """Label-ranking average precision (LRAP).

    ``AP = 1/N Σ_i 1/|Y_i| Σ_{j ∈ Y_i} rank_rel_ij / rank_ij`` with
    ``rank_ij = #{k : s_ik >= s_ij}`` and ``rank_rel_ij = #{k ∈ Y_i : s_ik >= s_ij}``:
    for each relevant label, the fraction of labels ranked at or above it that are
    relevant. Higher is better. Same as
    ``sklearn.metrics.label_ranking_average_precision_score``.

    Ties: pessimistic as in scikit-learn: every label tied with ``j`` counts as ranked
    above it (in both counts).

    Empty sets: an example with no relevant label, or with every label relevant, scores
    **1** (the ranking cannot be wrong), as in scikit-learn.

    Parameters
    ----------
    Y_true : array (N, L), binary
    scores : array (N, L), real

    Returns
    -------
    float in (0, 1]
    """
    t, s = _check_ranking(Y_true, scores)
    rank, rank_rel = _ranks(t, s)
    n_rel = t.sum(axis=1)
    per_label = np.where(t, rank_rel / rank, 0.0)  # rank >= 1 everywhere, no division by 0
    ap = _divide(per_label.sum(axis=1), n_rel)
    ap[(n_rel == 0) | (n_rel == t.shape[1])] = 1.0
    return float(np.mean(ap))


# ------------------------------------------------------------------------- all


def evaluate(
    Y_true: ArrayLike, scores: ArrayLike, threshold: float | ArrayLike = 0.5, empty_score: float = EMPTY_SCORE
) -> dict[str, float]:
    """Every metric of this module at once, from probabilities.

    The bipartition metrics use ``Y_pred = scores >= threshold``; the ranking metrics
    use ``scores`` directly.

    Parameters
    ----------
    Y_true : array (N, L), binary
    scores : array (N, L), probabilities in [0, 1]
    threshold : float or array (L,)
        One threshold for all labels, or one per label (broadcast over the rows).
    empty_score : float in [0, 1]
        What Jaccard and example precision / recall / F1 give an example with no true and
        no predicted label (1 by default; 0 is scikit-learn's default).

    Returns
    -------
    dict[str, float]
        Keys exactly ``METRIC_NAMES``, in that order; values are Python floats.
    """
    t, s = _check_ranking(Y_true, scores)
    if s.min() < 0.0 or s.max() > 1.0:
        raise ValueError(f"evaluate expects probabilities in [0, 1]; got scores in [{s.min():g}, {s.max():g}]")
    thr = np.asarray(threshold, dtype=np.float64)
    if thr.shape not in ((), (s.shape[1],)):
        raise ValueError(f"threshold must be a scalar or have shape (L,) = ({s.shape[1]},); got shape {thr.shape}")
    if not np.isfinite(thr).all():
        raise ValueError("threshold must be finite")
    p = s >= thr  # (N, L) >= () or (L,): broadcasts over rows
    empty_score = _check_empty_score(empty_score)

    bipartition = (
        ("hamming_loss", hamming_loss),
        ("subset_accuracy", subset_accuracy),
        ("jaccard", jaccard_score),
        ("example_precision", example_precision),
        ("example_recall", example_recall),
        ("example_f1", example_f1),
        ("micro_precision", micro_precision),
        ("micro_recall", micro_recall),
        ("micro_f1", micro_f1),
        ("macro_precision", macro_precision),
        ("macro_recall", macro_recall),
        ("macro_f1", macro_f1),
    )
    ranking = (
        ("ranking_loss", ranking_loss),
        ("one_error", one_error),
        ("coverage", coverage),
        ("average_precision", average_precision),
    )
    example_based = {"jaccard", "example_precision", "example_recall", "example_f1"}
    out = {name: fn(t, p, empty_score) if name in example_based else fn(t, p) for name, fn in bipartition}
    out.update({name: fn(t, s) for name, fn in ranking})
    return out
