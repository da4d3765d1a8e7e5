"""The comparison behind the paper's claim: every model, one recipe, the same seeds and splits.

``msdn compare`` trains MSDN, RethinkRNN and BRMLP (optionally MSDN ablations and
scikit-learn peers) on each dataset with the *same* :class:`~msdn_numpy.train.TrainConfig`,
once per seed, evaluates each on the test split, and reports

* mean ± std over seeds of the main metrics, with parameter counts and best epochs;
* the **paired** difference MSDN − other, seed by seed (seed s trains every model on the
  same validation split and, with ``--train-rows``, the same subsample), with the number
  of seeds MSDN won, a Wilcoxon signed-rank test and a sign test. Pairing removes the
  part of the spread that comes from the split, which is most of it on small data.

A p-value only says how surprising the observed differences would be if the two models
were equally good. With n seeds a two-sided paired test cannot go below ``2 / 2**n``
(0.0625 for 5 seeds, 0.002 for 10), so 5 seeds can show a consistent winner (5/5 seeds)
but never "significance at 0.05"; the report says so.

Runs are independent, so ``--jobs N`` spreads them over N processes (one BLAS thread
each); every run is seeded on its own, so the numbers are identical to ``--jobs 1``.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.stats

from msdn_numpy.dataio.benchmarks import load_dataset
from msdn_numpy.dataio.datasets import Dataset
from msdn_numpy.dataio.preprocessing import Standardizer, subset, train_val_split
from msdn_numpy.dataio.synthetic import SCALES_LABELS, scales_distance
from msdn_numpy.metrics import evaluate
from msdn_numpy.train import TrainConfig, config_dict, train_model, tune_thresholds
from msdn_numpy.util.progress import Progress
from msdn_numpy.util.threads import set_blas_threads

#: The scikit-learn peers ``--peers`` adds (logistic regression per label, a classifier
#: chain of them, and an MLP), trained on the same fit/validation split as our models.
PEERS = ("sk-br-lr", "sk-cc-lr", "sk-mlp")

#: Metrics in the table (the first is the one the paired statistics use by default).
TABLE_METRICS = ("example_f1", "micro_f1", "macro_f1", "hamming_loss", "subset_accuracy")


@dataclass(frozen=True)
class Job:
    """One training run: a model (or peer) on a dataset with a seeded recipe."""

    dataset: str
    data_dir: str | None
    variant: str
    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    config: TrainConfig = field(default_factory=TrainConfig)
    train_rows: int | None = None


# -- data -----------------------------------------------------------------------------------
_DATA: dict[tuple[str, str | None], tuple[Dataset, Dataset]] = {}


def load_once(spec: str, data_dir: str | None, quiet: bool = False) -> tuple[Dataset, Dataset]:
    """``load_dataset`` with a per-process cache; ``quiet`` hides the loader's notes (workers)."""
    key = (spec, data_dir)
    if key not in _DATA:
        if quiet:
            with contextlib.redirect_stderr(io.StringIO()):
                _DATA[key] = load_dataset(spec, data_dir)
        else:
            _DATA[key] = load_dataset(spec, data_dir)
    return _DATA[key]


def train_subsample(train: Dataset, rows: int | None, seed: int) -> Dataset:
    """At most ``rows`` training rows, drawn by ``default_rng(10_000 + seed)`` (file order kept).

    The small-data protocol: the test split is unchanged, and each seed draws its own
    subsample, the same for every model of that seed (so the comparison stays paired).
    """
    if rows is None or rows >= train.n_samples:
        return train
    picked = np.sort(np.random.default_rng(10_000 + seed).permutation(train.n_samples)[:rows])
    return subset(train, picked)


# -- the scikit-learn peers -------------------------------------------------------------------
class PeerModel:
    """A scikit-learn multi-label classifier behind our recipe: standardised features,
    the validation split held out of train, thresholds tuned on it like our models'.

    ``kind``: ``sk-br-lr`` (``OneVsRestClassifier(LogisticRegression)``, binary relevance),
    ``sk-cc-lr`` (``ClassifierChain(LogisticRegression)`` in a seeded random order; labels
    that are constant in the training part are predicted as that constant, since a chain
    link cannot be fitted on one class) or ``sk-mlp`` (``MLPClassifier``, one hidden layer of
    64 ReLU units, Adam, like BRMLP but without our early stopping).
    """

    def __init__(self, kind: str, train: Dataset, config: TrainConfig) -> None:
        try:
            from sklearn.exceptions import ConvergenceWarning
            from sklearn.linear_model import LogisticRegression
            from sklearn.multiclass import OneVsRestClassifier
            from sklearn.multioutput import ClassifierChain
            from sklearn.neural_network import MLPClassifier
        except ImportError as exc:  # pragma: no cover - CI installs scikit-learn
            raise ValueError(
                "--peers needs scikit-learn, which is not installed: pip install scikit-learn "
                '(or pip install -e ".[test]")'
            ) from exc
        if kind not in PEERS:
            raise ValueError(f"unknown peer '{kind}': choose one of {', '.join(PEERS)}")
        self.kind, self.L = kind, train.n_labels
        fit_part, val_part = train_val_split(train, config.val_fraction, seed=config.seed)
        self.standardizer = Standardizer().fit(fit_part.X)
        X, Y = self.standardizer.transform(fit_part.X), fit_part.Y
        lr = LogisticRegression(max_iter=2000)
        self.constant = {j: int(Y[0, j]) for j in range(self.L) if Y[:, j].min() == Y[:, j].max()}
        self.varying = [j for j in range(self.L) if j not in self.constant]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", UserWarning)  # OneVsRest: "label not present"
            if kind == "sk-br-lr":
                self.estimator = OneVsRestClassifier(lr).fit(X, Y)
            elif kind == "sk-cc-lr":
                chain = ClassifierChain(lr, order="random", random_state=config.seed)
                self.estimator = chain.fit(X, Y[:, self.varying]) if self.varying else None
            else:
                mlp = MLPClassifier(
                    hidden_layer_sizes=(64,), learning_rate_init=config.lr, alpha=config.weight_decay,
                    batch_size=config.batch_size, max_iter=config.epochs, random_state=config.seed,
                )  # fmt: skip
                self.estimator = mlp.fit(X, Y)
        self.thresholds = tune_thresholds(self.predict_proba(val_part.X), val_part.Y, config.threshold)

    def predict_proba(self, X_raw: np.ndarray) -> np.ndarray:
        """Probabilities ``(N, L)`` for raw features ``(N, D)``."""
        X = self.standardizer.transform(X_raw)
        if self.kind != "sk-cc-lr":
            return np.asarray(self.estimator.predict_proba(X), dtype=np.float64).reshape(len(X), self.L)
        P = np.zeros((len(X), self.L))
        for j, value in self.constant.items():
            P[:, j] = value
        if self.estimator is not None:
            P[:, self.varying] = self.estimator.predict_proba(X)
        return P

    def evaluate(self, test: Dataset) -> dict[str, float]:
        return evaluate(test.Y, self.predict_proba(test.X), threshold=self.thresholds)

    def num_parameters(self) -> int:
        """Weights and biases of every fitted estimator."""
        arrays = []
        if self.kind == "sk-br-lr":
            # a label constant in training gets a constant predictor, which has no coef_
            fitted = self.estimator.estimators_
            arrays = [a for e in fitted for a in (getattr(e, "coef_", None), getattr(e, "intercept_", None))]
        elif self.kind == "sk-cc-lr" and self.estimator is not None:
            arrays = [a for e in self.estimator.estimators_ for a in (e.coef_, e.intercept_)]
        elif self.kind == "sk-mlp":
            arrays = list(self.estimator.coefs_) + list(self.estimator.intercepts_)
        return int(sum(np.size(a) for a in arrays if a is not None))


# -- one run ----------------------------------------------------------------------------------
def run_job(job: Job, quiet: bool = True) -> dict[str, Any]:
    """Train and evaluate one job; the JSON record of the run."""
    train, test = load_once(job.dataset, job.data_dir, quiet=quiet)
    train = train_subsample(train, job.train_rows, job.config.seed)
    start = time.perf_counter()
    record: dict[str, Any] = {
        "dataset": test.name,
        "variant": job.variant,
        "model": job.kind,
        "seed": job.config.seed,
        "train_rows": train.n_samples,
    }
    if job.kind in PEERS:
        peer = PeerModel(job.kind, train, job.config)
        record |= {"params": peer.num_parameters(), "param_split": {}, "config": {"train": asdict(job.config)}}
        record["metrics"] = peer.evaluate(test)
    else:
        trained = train_model(train, job.kind, dict(job.kwargs), job.config, log=None)
        record |= {
            "params": trained.model.num_parameters(),
            "param_split": trained.model.parameter_split(),
            "config": config_dict(trained, job.config),
        }
        record["metrics"] = trained.evaluate(test)
        record["label_accuracy"] = [round(float(a), 6) for a in (trained.predict(test.X) == test.Y).mean(axis=0)]
    record["seconds"] = round(time.perf_counter() - start, 3)
    return record


#: Rough cost of one epoch relative to BRMLP's, to schedule the longest runs first.
_RELATIVE_COST = {"rnn": 3.0, "msdn": 2.0}


def _cost(job: Job) -> float:
    """A rough estimate of a run's time, to schedule long runs first: model factor × N (D + L)."""
    train, _ = _DATA.get((job.dataset, job.data_dir), (None, None))
    size = (
        1.0
        if train is None
        else min(train.n_samples, job.train_rows or train.n_samples) * (train.n_features + train.n_labels)
    )
    return _RELATIVE_COST.get(job.kind, 1.0) * size


def _init_worker() -> None:
    set_blas_threads(1)  # N processes x 1 thread: never more threads than cores asked for


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's worker processes at once (their runs are lost) and wait until they are gone."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in workers:
        if p.is_alive():
            p.terminate()
    for p in workers:
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join(5)


def run_jobs(jobs: Sequence[Job], n_jobs: int = 1, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Run every job, in ``n_jobs`` processes; records come back in the order of ``jobs``.

    Each run is seeded by its own config, and every run uses one BLAS thread whatever
    ``n_jobs`` is (BLAS sums may round differently with another thread count), so the
    records are identical for any ``n_jobs``.
    """
    records: list[dict[str, Any] | None] = [None] * len(jobs)

    def done(i: int, record: dict[str, Any]) -> None:
        records[i] = record
        if progress is not None:
            m = record["metrics"]
            progress.update(
                f"{record['dataset']} {record['variant']} seed {record['seed']}: "
                f"example-F1 {m['example_f1']:.4f} ({record['seconds']:.1f}s)"
            )

    if n_jobs <= 1:
        previous = set_blas_threads(1)
        try:
            for i, job in enumerate(jobs):
                done(i, run_job(job, quiet=True))
        finally:
            set_blas_threads(previous)
    else:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no BLAS state inherited
        # The longest runs first, so that no worker is left with one long run at the end;
        # the records still come back in the order of ``jobs``.
        order = sorted(range(len(jobs)), key=lambda i: -_cost(jobs[i]))
        pool = ProcessPoolExecutor(max_workers=n_jobs, mp_context=context, initializer=_init_worker)
        try:
            futures = {pool.submit(run_job, jobs[i]): i for i in order}
            for future in as_completed(futures):
                done(futures[future], future.result())
        except BaseException:  # an error, Ctrl-C or SIGTERM: stop the workers now, not after their runs
            _stop(pool)
            raise
        pool.shutdown()
    return [r for r in records if r is not None]


# -- statistics -------------------------------------------------------------------------------
@dataclass
class Paired:
    """The paired comparison of two models over the same seeds: ``d_s = a_s - b_s``."""

    n: int
    mean: float
    std: float
    wins: int
    ties: int
    losses: int
    p_wilcoxon: float
    p_sign: float

    @property
    def min_p(self) -> float:
        """The smallest two-sided p any paired test can give with ``n`` seeds: ``2 / 2**n``."""
        return min(1.0, 2.0 / 2.0**self.n)


def paired_stats(a: Sequence[float], b: Sequence[float]) -> Paired:
    """Paired statistics of ``a - b`` (seed by seed).

    * ``wins`` / ``ties`` / ``losses``: seeds where ``a`` is above / equal to / below ``b``;
    * ``p_sign``: two-sided sign test, ``binomtest(wins, wins + losses, 0.5)`` (ties dropped);
    * ``p_wilcoxon``: two-sided Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, exact
      for small n without ties; zero differences dropped), 1.0 when every difference is 0.
    """
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"paired_stats: a and b must be equal-length, non-empty sequences, got {d.shape}")
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    p_sign = scipy.stats.binomtest(wins, wins + losses, 0.5).pvalue if wins + losses else 1.0
    nonzero = d[d != 0]
    p_wilcoxon = float(scipy.stats.wilcoxon(nonzero).pvalue) if nonzero.size else 1.0
    std = float(d.std(ddof=1)) if d.size > 1 else 0.0
    return Paired(d.size, float(d.mean()), std, wins, d.size - wins - losses, losses, p_wilcoxon, float(p_sign))


# -- the report -------------------------------------------------------------------------------
def _mean_std(values: Sequence[float]) -> str:
    return f"{np.mean(values):.4f} ± {np.std(values):.4f}"


def _by(records: Sequence[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault(r[key], []).append(r)
    return out


def accuracy_by_distance(label_accuracy: Sequence[float]) -> dict[int, float]:
    """synthetic-scales: mean per-label accuracy of the drivers (0) and of the rule labels by distance s."""
    groups: dict[int, list[float]] = {}
    for j, acc in enumerate(label_accuracy):
        groups.setdefault(scales_distance(j), []).append(acc)
    return {d: float(np.mean(v)) for d, v in sorted(groups.items())}


def distance_table(variants: dict[str, list[dict[str, Any]]]) -> list[str]:
    """synthetic-scales: per-label test accuracy by rule distance, every variant (mean over seeds)."""
    have = {k: v for k, v in variants.items() if all(len(r.get("label_accuracy", [])) == SCALES_LABELS for r in v)}
    if not have:
        return []
    per = {k: [accuracy_by_distance(r["label_accuracy"]) for r in v] for k, v in have.items()}
    dists = sorted(next(iter(per.values()))[0])
    head = " | ".join("drivers" if d == 0 else f"rules at s={d}" for d in dists)
    lines = ["\nPer-label test accuracy by the distance s of a label's rule (mean over labels and seeds):\n"]
    lines.append(f"| model | {head} |")
    lines.append("|---|" + "---:|" * len(dists))
    for k, accs in per.items():
        lines.append(f"| {k} | " + " | ".join(f"{np.mean([a[d] for a in accs]):.3f}" for d in dists) + " |")
    return lines


def report(
    records: Sequence[dict[str, Any]], reference: str = "msdn", metric: str = "example_f1", rnn: str = "rnn"
) -> str:
    """Markdown: per dataset a table of every variant, then MSDN − other paired by seed;
    at the end, the paper's claim (``reference`` vs ``rnn``) dataset by dataset."""
    lines: list[str] = []
    verdicts: list[tuple[str, Paired, float]] = []
    for dataset, recs in _by(records, "dataset").items():
        variants = _by(recs, "variant")
        seeds = sorted({r["seed"] for r in recs})
        rows = {r["train_rows"] for r in recs}
        rows_text = f"{rows.pop()} training rows" if len(rows) == 1 else "training rows vary"
        lines.append(f"\n### {dataset} ({len(seeds)} seeds, {rows_text}, test split unchanged; mean ± std)\n")
        lines.append("| model | params | " + " | ".join(TABLE_METRICS) + " | best epoch / run | seconds |")
        lines.append("|---|---:|" + "---:|" * len(TABLE_METRICS) + "---:|---:|")
        for label, vr in variants.items():
            cells = [_mean_std([r["metrics"][m] for r in vr]) for m in TABLE_METRICS]
            best = [r["config"].get("best_epoch") for r in vr]
            runs = [r["config"].get("epochs_run") for r in vr]
            epochs = f"{np.mean(best):.0f} / {np.mean(runs):.0f}" if None not in best + runs else "—"
            seconds = np.mean([r["seconds"] for r in vr])
            lines.append(f"| {label} | {vr[0]['params']:,} | " + " | ".join(cells) + f" | {epochs} | {seconds:.1f} |")
        if reference in variants and len(variants) > 1:
            ref = {r["seed"]: r["metrics"][metric] for r in variants[reference]}
            lines.append(f"\n{reference} − other, paired by seed ({metric}; > 0: {reference} is better):\n")
            lines.append(f"| other | mean difference ± std | seeds {reference} won | Wilcoxon p | sign-test p |")
            lines.append("|---|---:|---:|---:|---:|")
            for label, vr in variants.items():
                if label == reference:
                    continue
                other = {r["seed"]: r["metrics"][metric] for r in vr}
                common = sorted(set(ref) & set(other))
                p = paired_stats([ref[s] for s in common], [other[s] for s in common])
                won = f"{p.wins}/{p.n}" + (f" ({p.ties} tied)" if p.ties else "")
                lines.append(f"| {label} | {p.mean:+.4f} ± {p.std:.4f} | {won} | {p.p_wilcoxon:.3f} | {p.p_sign:.3f} |")
                if label == rnn:
                    ratio = variants[reference][0]["params"] / vr[0]["params"]
                    verdicts.append((dataset, p, ratio))
            n = len(seeds)
            lines.append(
                f"\nWith {n} seeds no two-sided paired test can give p below {min(1.0, 2 / 2**n):.4f}: "
                f"{n}/{n} seeds won is the strongest evidence {n} seeds can give."
            )
        if dataset == "synthetic-scales":
            lines += distance_table(variants)
        lines.append("")
        for label, vr in variants.items():
            if vr[0]["param_split"]:
                split = ", ".join(f"{k} {v:,}" for k, v in vr[0]["param_split"].items())
                lines.append(f"- {label}: {split}")
    if verdicts:
        won = [d for d, p, _ in verdicts if p.mean > 0]
        lines.append(f"\n### The paper's claim: {reference} vs {rnn} ({metric}, same recipe and seeds)\n")
        lines.append(f"| dataset | {reference} − {rnn} | seeds won | Wilcoxon p | parameters {reference} / {rnn} |")
        lines.append("|---|---:|---:|---:|---:|")
        for dataset, p, ratio in verdicts:
            lines.append(f"| {dataset} | {p.mean:+.4f} | {p.wins}/{p.n} | {p.p_wilcoxon:.3f} | {ratio:.3f} |")
        lines.append(
            f"\n{reference} has the higher mean {metric} on {len(won)} of {len(verdicts)} datasets"
            + (f" ({', '.join(won)})." if won else ".")
        )
    return "\n".join(lines)


def make_jobs(
    datasets: Sequence[str],
    data_dir: str | None,
    variants: Sequence[tuple[str, str, dict[str, Any]]],
    configs: Callable[[int], TrainConfig],
    seeds: Sequence[int],
    train_rows: int | None = None,
) -> list[Job]:
    """Every (dataset, variant, seed) as a :class:`Job`, datasets outermost."""
    return [
        Job(name, data_dir, label, kind, dict(kw), configs(seed), train_rows)
        for name in datasets
        for label, kind, kw in variants
        for seed in seeds
    ]


__all__ = [
    "Job", "PEERS", "Paired", "PeerModel", "load_once", "make_jobs", "paired_stats", "report", "run_job", "run_jobs",
    "train_subsample",
]  # fmt: skip
