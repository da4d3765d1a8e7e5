"""The ``msdn`` command line (also ``python -m msdn_numpy``).

Sub-commands: ``train``, ``evaluate``, ``predict``, ``compare``, ``info``, ``bench``, ``grade``,
``handout``.
Run ``msdn COMMAND --help`` for the options of each.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import errno
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import msdn_numpy.compare as compare
import msdn_numpy.tools.persist as persist
from msdn_numpy import __version__
from msdn_numpy.dataio.arff_io import load_arff
from msdn_numpy.dataio.benchmarks import DATA_DIR, SYNTHETIC_NAMES, load_dataset, resolve_data_dir
from msdn_numpy.dataio.datasets import DataError, summary_table
from msdn_numpy.estimators import _smallest_split
from msdn_numpy.metrics import METRIC_NAMES
from msdn_numpy.models import DEFAULT_LABEL_ORDER, DEFAULT_RELATION, MODELS, RELATIONS, build_model
from msdn_numpy.tools.install_cell import DEFAULT_SPEC
from msdn_numpy.train import SELECTION_METRICS, THRESHOLD_MODES, TrainConfig, TrainedModel, config_dict, train_model
from msdn_numpy.util.files import OutputError, atomic_write, check_name, check_output, is_stdout, write_text
from msdn_numpy.util.progress import Progress
from msdn_numpy.util.threads import apply_policy, describe_threads

COMMANDS = ("train", "evaluate", "predict", "compare", "info", "bench", "grade", "handout")
LABEL_ORDERS = ("given", "frequency", "cooccurrence", "random")
JSON_DASH = "- writes the JSON alone to standard output, the report to stderr"
FORCE_HELP = "let an output replace a read-only file"
DATA_DIR_HELP = "folder with the MULAN files (default: $MSDN_DATA if set, else the bundled data/mulan)"
#: Options that only MSDN has: (argparse dest, option).
MSDN_ONLY = (
    ("kernel_sizes", "--kernel-sizes"),
    ("embed_dim", "--embed-dim"),
    ("rank", "--rank"),
    ("channels", "--channels"),
    ("label_order", "--label-order"),
    ("padding_mode", "--padding-mode"),
    ("relation", "--relation"),
)
SIZE = persist.SIZE_LIMITS
#: Exit codes (README "The command line"): an error, Ctrl-C (SIGINT), SIGTERM, a closed standard output.
EXIT_ERROR, EXIT_SIGINT, EXIT_SIGTERM, EXIT_BROKEN_PIPE = 2, 130, 143, 141
#: The fewest training rows a run can split into train and validation (``--train-rows``).
MIN_TRAIN_ROWS = _smallest_split(TrainConfig().val_fraction)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so that the same clean-up runs."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


# -- outputs: one rule for every command (msdn_numpy.util.files.check_output) -------------
def _check_json(args: argparse.Namespace, inputs: list[tuple[str, Any]]) -> None:
    """Check ``--json`` (``-``: standard output) before any work is done."""
    if args.json is not None and not is_stdout(args.json):
        check_output(args.json, "--json", inputs=inputs, force=args.force)


def _write_json(args: argparse.Namespace, data: Any, inputs: list[tuple[str, Any]], stdout: Any) -> None:
    """Write ``--json``: to ``stdout`` for ``-``, else to the file, checked again first (it may have changed)."""
    text = json.dumps(data, indent=2) + "\n"
    if is_stdout(args.json):
        stdout.write(text)
        stdout.flush()
    else:
        check_output(args.json, "--json", inputs=inputs, force=args.force)
        write_text(args.json, text)


@contextlib.contextmanager
def _report_stream(args: argparse.Namespace) -> Iterator[Any]:
    """With ``--json -`` the JSON alone goes to standard output, the report to stderr; yields the real stdout."""
    stdout = sys.stdout
    if is_stdout(getattr(args, "json", None)):
        with contextlib.redirect_stdout(sys.stderr):
            yield stdout
    else:
        yield stdout


def _log_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# -- building blocks shared by train and compare --------------------------------------------
def model_kwargs(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    """The model options given on the command line that apply to ``kind``."""
    kw: dict[str, Any] = {}
    if args.hidden is not None:
        kw["hidden"] = args.hidden
    if args.dropout is not None:
        kw["dropout"] = args.dropout
    if kind == "msdn":
        for key, _ in MSDN_ONLY:
            if getattr(args, key) is not None:
                kw[key] = tuple(args.kernel_sizes) if key == "kernel_sizes" else getattr(args, key)
    return kw


def train_config(args: argparse.Namespace, seed: int) -> TrainConfig:
    """A :class:`TrainConfig` from the defaults overridden by the command line."""
    over = {
        k: getattr(args, k)
        for k in (
            "epochs",
            "batch_size",
            "lr",
            "weight_decay",
            "optimizer",
            "patience",
            "select",
            "threshold",
            "dtype",
        )  # fmt: skip
        if getattr(args, k) is not None
    }
    return TrainConfig(seed=seed, **over)


def run_one(train, test, kind: str, kwargs: dict[str, Any], config: TrainConfig, log=None) -> tuple[TrainedModel, dict]:
    """Train one model and evaluate it on the test split: the ``--json`` record."""
    start = time.perf_counter()
    trained = train_model(train, kind, kwargs, config, log=log)
    seconds = time.perf_counter() - start
    record = {
        "dataset": train.name,
        "model": kind,
        "seed": config.seed,
        "params": trained.model.num_parameters(),
        "param_split": trained.model.parameter_split(),
        "config": config_dict(trained, config),
        "seconds": round(seconds, 3),
        "metrics": trained.evaluate(test),
    }
    return trained, record


def metrics_table(metrics: dict[str, float]) -> str:
    """The metrics of one run, one per line."""
    width = max(len(k) for k in METRIC_NAMES)
    return "\n".join(f"  {k:<{width}s}  {metrics[k]:.4f}" for k in METRIC_NAMES)


# -- sub-commands ------------------------------------------------------------------------
def _dataset_inputs(spec: str, data_dir: str | None) -> list[tuple[str, Path]]:
    """The files that exist among those a dataset spec reads, as ``(what, path)``: no output may be one of them.

    A spec that is a folder path is refused here (the data folder goes to ``--data-dir``).
    """
    path = Path(spec)
    if (os.sep in spec or spec.lower().endswith(".arff")) and path.is_dir():
        raise DataError(f"{spec} is a folder; pass a dataset name (e.g. emotions) and the folder as --data-dir {spec}")
    if spec in SYNTHETIC_NAMES:
        paths = [DATA_DIR / f"{spec}{end}" for end in ("-train.arff", "-test.arff", ".xml")]
    elif spec.lower().endswith(".arff"):
        stem = path.name[: -len(".arff")].removesuffix("-train").removesuffix("-test")
        paths = [path] + [path.with_name(stem + end) for end in ("-train.arff", "-test.arff", ".arff", ".xml")]
        paths.append(path.with_suffix(".xml"))
    else:
        try:
            folder = resolve_data_dir(data_dir)
        except FileNotFoundError:
            return []  # loading the dataset reports the missing folder
        paths = [folder / f"{spec}{end}" for end in ("-train.arff", "-test.arff", ".arff", ".xml")]
    return [("an input file of the dataset", p) for p in paths if p.exists()]


def _check_model_options(args: argparse.Namespace, kind: str | None) -> None:
    """Checks across options: the number of kernel sizes, and (``kind`` given) MSDN's options for another model."""
    if args.kernel_sizes is not None and len(args.kernel_sizes) > SIZE["n_kernel_sizes"]:
        raise ValueError(f"--kernel-sizes: {len(args.kernel_sizes)} sizes given, at most {SIZE['n_kernel_sizes']}")
    given = [option for key, option in MSDN_ONLY if getattr(args, key) is not None]
    if kind is not None and kind != "msdn" and given:
        raise ValueError(
            f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to --model msdn only, and the "
            f"{kind} model has no such part; remove {'it' if len(given) == 1 else 'them'} or use --model msdn"
        )


def cmd_train(args: argparse.Namespace) -> int:
    _check_model_options(args, args.model)
    inputs = _dataset_inputs(args.dataset, args.data_dir)
    save = None

    def check_save() -> Path:
        return check_output(
            persist.model_path(args.save),
            "--save",
            inputs=inputs,
            replace=args.force,
            how_to_replace="pass --force to replace it, or choose another name",
            keep_suffixes=(),
            force=args.force,
        )

    if args.save is not None:  # every output path is checked before any training, and again when written
        check_name(args.save, "--save")
        save = check_save()
    json_inputs = inputs + ([("the --save model file", save)] if save else [])
    _check_json(args, json_inputs)
    with _report_stream(args) as stdout:
        return _train(args, save, check_save, json_inputs, stdout)


def _model_bytes(args: argparse.Namespace, train: Any, config: TrainConfig) -> int:
    """About the size of the model file of this run, from two tiny models (the parameters grow linearly with D)."""
    kwargs = model_kwargs(args, args.model)
    n1, n2 = (build_model(args.model, d, train.n_labels, **kwargs).num_parameters() for d in (1, 2))
    n_params = n1 + (train.n_features - 1) * (n2 - n1)
    return persist.estimate_bytes(n_params, np.dtype(config.dtype).itemsize, train.feature_names, train.label_names)


def _train(args: argparse.Namespace, save: Path | None, check_save: Callable[[], Path], json_inputs, stdout) -> int:
    train, test = load_dataset(args.dataset, args.data_dir)
    config = train_config(args, args.seed)
    if save is not None:  # what load() would refuse is refused before training
        problem = persist.too_large(_model_bytes(args, train, config))
        if problem:
            raise ValueError(f"--save {save}: {problem} (nothing was trained)")
    print(
        f"dataset {train.name}: {train.n_samples} train / {test.n_samples} test, "
        f"D={train.n_features}, L={train.n_labels}"
    )
    trained, record = run_one(
        train, test, args.model, model_kwargs(args, args.model), config,
        log=None if args.quiet else _log_stderr,
    )  # fmt: skip
    print()
    print(trained.model.describe())
    split = ", ".join(f"{k} {v:,}" for k, v in record["param_split"].items())
    print(f"\nparameters: {record['params']:,} ({split})")
    print(f"trained in {record['seconds']:.1f}s, best epoch {trained.history.best_epoch}, "
          f"thresholds {np.unique(trained.thresholds).round(2).tolist()} (chosen on validation)")  # fmt: skip
    print(f"\ntest metrics ({test.n_samples} examples):")
    print(metrics_table(record["metrics"]))
    if save:
        try:  # never over a file that appeared meanwhile
            path = persist.save(trained, check_save(), replace=args.force)
        except OutputError as e:
            raise OutputError(f"the trained model was not saved: {e}") from None
        print(f"\nmodel saved to {path}")
    if args.json is not None:
        _write_json(args, record, json_inputs, stdout)
        if not is_stdout(args.json):
            print(f"results written to {args.json}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    inputs = [("the --model-file", Path(args.model_file)), *_dataset_inputs(args.dataset, args.data_dir)]
    _check_json(args, inputs)
    with _report_stream(args) as stdout:
        return _evaluate(args, inputs, stdout)


def _evaluate(args: argparse.Namespace, inputs: list[tuple[str, Any]], stdout: Any) -> int:
    trained = persist.load(args.model_file)
    if args.dataset.lower().endswith("-test.arff"):  # a test split alone: every row is a test row
        test = load_arff(args.dataset)
        print(f"{Path(args.dataset).name}: a test split, evaluated on all its {test.n_samples} rows", file=sys.stderr)
    else:
        _, test = load_dataset(args.dataset, args.data_dir)
    metrics = trained.evaluate(test)  # refuses other features or labels (names and order)
    print(
        f"{trained.model.kind} model trained on {trained.dataset}, "
        f"evaluated on {test.name} test ({test.n_samples} examples):"
    )
    print(metrics_table(metrics))
    if args.json is not None:
        _write_json(args, {"dataset": test.name, "model": trained.model.kind, "metrics": metrics}, inputs, stdout)
    return 0


def _write_predictions(out: Any, label_names: list[str], values: np.ndarray, proba: bool) -> None:
    """CSV ``row,<label names>`` then one line per input row (csv quoting: names may hold commas)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", *label_names])
    for i, row in enumerate(values):
        writer.writerow([i + 1, *((f"{v:.4f}" for v in row) if proba else (int(v) for v in row))])


def cmd_predict(args: argparse.Namespace) -> int:
    to_file = args.output is not None and not is_stdout(args.output)
    inputs = [("the --model-file", args.model_file), ("the input ARFF file", args.input)]
    inputs += [("the --labels file", args.labels)] if args.labels else []
    if to_file:
        check_output(args.output, "--output", inputs=inputs, force=args.force)
    if args.labels is not None:
        _check_labels_option(args.labels)
    trained = persist.load(args.model_file)
    # The model's label attributes may be in the file (their values are not read: Weka writes '?'
    # for unlabelled rows), or absent (features only).
    try:
        labels = args.labels if args.labels is not None else trained.label_names
        ds = load_arff(args.input, labels=labels, read_labels=False)
    except DataError:
        if args.labels is not None:
            raise
        ds = load_arff(args.input, labels=[])
    try:
        trained.check_features(ds)
    except ValueError as e:
        raise DataError(f"{args.input}: {e}") from None
    P = trained.predict_proba(ds.X)
    values = P if args.proba else (P >= trained.thresholds).astype(np.uint8)
    if to_file:
        check_output(args.output, "--output", inputs=inputs, force=args.force)  # again: it may have changed
        with atomic_write(args.output, "w", newline="") as out:
            _write_predictions(out, trained.label_names, values, args.proba)
    else:
        _write_predictions(sys.stdout, trained.label_names, values, args.proba)
    return 0


def _check_labels_option(labels: str) -> None:
    """``predict --labels``: the MULAN XML file naming INPUT's label attributes."""
    fix = "give the MULAN XML file that names INPUT's label attributes (e.g. --labels data.xml), or leave --labels out"
    if not labels.strip():
        raise DataError(f"--labels is empty; {fix} to use the model's label names")
    if not labels.lower().endswith(".xml"):
        raise DataError(f"--labels {labels} is not a MULAN XML file (.xml); {fix} to use the model's label names")
    if not Path(labels).is_file():
        raise DataError(f"--labels {labels}: no such file; {fix} to use the model's label names")


def cmd_compare(args: argparse.Namespace) -> int:
    _check_model_options(args, None)  # MSDN's options apply to the MSDN rows (the help says so)
    inputs = [item for name in args.datasets for item in _dataset_inputs(name, args.data_dir)]
    _check_json(args, inputs)
    with _report_stream(args) as stdout:
        return _compare(args, inputs, stdout)


def _compare(args: argparse.Namespace, inputs: list[tuple[str, Any]], stdout: Any) -> int:
    if args.peers:
        import importlib.util

        if importlib.util.find_spec("sklearn") is None:
            raise ValueError('--peers needs scikit-learn: pip install scikit-learn (or pip install -e ".[test]")')
    # (row label, model kind, model kwargs): the models, the MSDN ablations, the peers
    variants: list[tuple[str, str, dict[str, Any]]] = [(k, k, model_kwargs(args, k)) for k in args.models]
    if args.ablation:
        base = model_kwargs(args, "msdn")
        for ks in ([1], [3], [5], [1, 3, 5, 9]):
            if tuple(ks) != tuple(base.get("kernel_sizes", ())):
                variants.append((f"msdn K={tuple(ks)}", "msdn", {**base, "kernel_sizes": tuple(ks)}))
        for order in LABEL_ORDERS:
            if order != base.get("label_order", DEFAULT_LABEL_ORDER):
                variants.append((f"msdn order={order}", "msdn", {**base, "label_order": order}))
        for relation in RELATIONS:
            if relation != base.get("relation", DEFAULT_RELATION):
                variants.append((f"msdn relation={relation}", "msdn", {**base, "relation": relation}))
    if args.peers:
        variants += [(peer, peer, {}) for peer in compare.PEERS]
    for name in args.datasets:  # load (and check) every dataset before the first training
        train, test = compare.load_once(name, args.data_dir)
        rows = "" if args.train_rows is None else f", {min(args.train_rows, train.n_samples)} of them used"
        print(f"dataset {train.name}: {train.n_samples} train{rows} / {test.n_samples} test", file=sys.stderr)
    seeds = list(range(args.seeds))
    jobs = compare.make_jobs(
        args.datasets, args.data_dir, variants, lambda seed: train_config(args, seed), seeds, args.train_rows
    )
    progress = Progress(len(jobs), "compare")
    records = compare.run_jobs(jobs, n_jobs=args.jobs, progress=progress)
    print(compare.report(records, metric=args.metric))
    if args.json is not None:
        _write_json(args, records, inputs, stdout)
        if not is_stdout(args.json):
            print(f"\n{len(records)} runs written to {args.json}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    _dataset_inputs(args.dataset, args.data_dir)  # refuses a folder given as the dataset
    if args.dataset.endswith(".arff") and not Path(args.dataset).name.endswith("-train.arff"):
        print(summary_table(load_arff(args.dataset)))
    else:
        print(summary_table(*load_dataset(args.dataset, args.data_dir)))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if is_stdout(args.json):
        raise OutputError("--json -: msdn bench prints its table on standard output; give --json a file name")
    if args.json is not None:
        check_output(args.json, "--json", force=args.force)
    if args.figures and Path(args.figures).exists() and not Path(args.figures).is_dir():
        raise OutputError(f"--figures {args.figures} is a file; give a folder for the figure")
    from msdn_numpy.tools.bench.run import run_bench  # imported here: the benchmark pulls in torch when present

    return run_bench(
        quick=args.quick, json_path=args.json, data_dir=args.data_dir, figures_dir=args.figures,
        threads=args.blas_threads or None,
    )  # fmt: skip


def cmd_grade(args: argparse.Namespace) -> int:
    from msdn_numpy.course.gradebook import run_grade  # imported here: only grading needs the exercise checkers

    limits = {"memory_mb": args.memory_mb, "cpu_seconds": args.cpu_seconds, "file_mb": args.file_mb}
    return run_grade(
        args.files, timeout=args.timeout, json_path=args.json, jobs=args.jobs, seed=args.seed, limits=limits,
        csv_path=args.csv, gradescope_path=args.gradescope, force=args.force,
    )  # fmt: skip


def cmd_handout(args: argparse.Namespace) -> int:
    from msdn_numpy.tools.handout import write_handout

    files = write_handout(args.folder, force=args.force, pip_install=args.pip_install)
    exercises = sum(1 for f in files if f.parent.name == "exercises" and f.suffix == ".py")
    tutorials = sum(1 for f in files if f.parent.name == "tutorials" and f.suffix == ".ipynb")
    print(
        f"handout written to {args.folder}: {exercises} exercises without solutions (.py and .ipynb), "
        f"{tutorials} tutorials (.ipynb), README.md for students, LICENSE ({len(files)} files); "
        f"on Colab the notebooks' first cell runs pip install {args.pip_install!r}"
    )
    return 0


# -- option values: checked where they enter ---------------------------------------------
def int_in(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """An argparse ``type=`` for an integer in ``[lo, hi]`` (``hi=None``: no upper bound).

    Out-of-range or non-integer text gives one line naming the option and the range,
    e.g. ``argument --hidden: expected an integer from 1 to 4096, got '0'``.
    """
    expected = f"an integer >= {lo}" if hi is None else f"an integer from {lo} to {hi}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


def float_in(
    lo: float, hi: float | None = None, *, lo_open: bool = False, hi_open: bool = False
) -> Callable[[str], float]:
    """An argparse ``type=`` for a finite number between ``lo`` and ``hi`` (``None``: no upper bound).

    ``lo_open`` / ``hi_open`` exclude the bound itself. NaN and infinities are refused.
    """
    parts = [f"{'>' if lo_open else '>='} {lo:g}"] + ([] if hi is None else [f"{'<' if hi_open else '<='} {hi:g}"])
    expected = f"a finite number {' and '.join(parts)}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and (value > lo if lo_open else value >= lo)
        if ok and hi is not None:
            ok = value < hi if hi_open else value <= hi
        if not ok:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: ``msdn train: error: ...; see `msdn train --help```."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


# -- the parser --------------------------------------------------------------------------
def _add_data(p: argparse.ArgumentParser, default: str | None = "synthetic") -> None:
    p.add_argument(
        "--dataset",
        default=default,
        help="benchmark name (emotions, yeast, ...), 'synthetic' or 'synthetic-scales' (bundled), "
        "or a *-train.arff path (default: %(default)s)",
    )
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)


def _add_training(p: argparse.ArgumentParser, msdn_only: str) -> None:
    g = p.add_argument_group("model (defaults: see the model classes)")
    g.add_argument("--hidden", type=int_in(1, SIZE["hidden"]), metavar="E", help="encoder width E")
    g.add_argument(
        "--dropout", type=float_in(0, 1, hi_open=True), metavar="P", help="dropout after the encoder, in [0, 1)"
    )
    kernel_help = f"MSDN kernel sizes K, e.g. 1 3 5, at most {SIZE['n_kernel_sizes']} ({msdn_only})"
    g.add_argument("--kernel-sizes", type=int_in(1, SIZE["kernel_size"]), nargs="+", metavar="K", help=kernel_help)
    g.add_argument(
        "--embed-dim",
        type=int_in(1, SIZE["embed_dim"]),
        metavar="d",
        help=f"MSDN label-embedding channels d ({msdn_only})",
    )
    g.add_argument(
        "--rank",
        type=int_in(1, SIZE["rank"]),
        metavar="r",
        help=f"MSDN rank r of the bottleneck the label embeddings are read from ({msdn_only})",
    )
    g.add_argument(
        "--channels",
        type=int_in(1, SIZE["channels"]),
        metavar="c",
        help=f"MSDN channels c per kernel size ({msdn_only})",
    )
    g.add_argument(
        "--label-order", choices=LABEL_ORDERS, help=f"MSDN label order along the convolution axis ({msdn_only})"
    )
    g.add_argument(
        "--padding-mode", choices=("zeros", "circular"), help=f"MSDN padding of the label axis ({msdn_only})"
    )
    g.add_argument(
        "--relation",
        choices=RELATIONS,
        help="what MSDN's label axis carries: 'free', an embedding of each label read from the whole "
        "hidden vector (the default), or 'label', a code of each label's own score alone, so that a "
        f"kernel of size k relates only labels at most k-1 positions apart ({msdn_only})",
    )
    t = p.add_argument_group("training (defaults: see TrainConfig)")
    t.add_argument("--epochs", type=int_in(1, 100_000), help="maximum epochs (early stopping on validation)")
    t.add_argument("--batch-size", type=int_in(1, 1_000_000))
    t.add_argument("--lr", type=float_in(0, lo_open=True), help="learning rate (> 0)")
    t.add_argument("--weight-decay", type=float_in(0), help="L2 weight decay (>= 0)")
    t.add_argument("--optimizer", choices=("adam", "sgd"))
    t.add_argument("--patience", type=int_in(1, 100_000), help="epochs without validation improvement before stopping")
    t.add_argument(
        "--select",
        choices=SELECTION_METRICS,
        help="what early stopping watches on validation: micro-F1 at the tuned threshold, or the BCE loss",
    )
    t.add_argument("--threshold", choices=THRESHOLD_MODES, help="how decision thresholds are chosen on validation")
    t.add_argument("--dtype", choices=("float32", "float64"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="msdn", description="MSDN multi-label classification in NumPy")
    parser.add_argument("--version", action="version", version=f"msdn_numpy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a model and evaluate it on the test split")
    _add_data(p)
    p.add_argument("--model", choices=tuple(MODELS), default="msdn")
    p.add_argument("--seed", type=int_in(0, 2**32 - 1), default=0)
    p.add_argument(
        "--save", metavar="FILE", help="write the trained model (.npz); an existing file is kept unless --force"
    )
    p.add_argument(
        "--force", action="store_true", help="let --save replace an existing model file, and outputs a read-only file"
    )
    p.add_argument("--json", metavar="FILE", help=f"write the run's results as JSON (replaces FILE; {JSON_DASH})")
    p.add_argument("--quiet", action="store_true", help="no per-epoch progress lines")
    _add_training(p, "with --model msdn only")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="evaluate a saved model on a dataset's test split")
    p.add_argument("--model-file", required=True)
    _add_data(p)
    p.add_argument("--json", metavar="FILE", help=f"write the metrics as JSON (replaces FILE; {JSON_DASH})")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="predict the labels of the rows of an ARFF file (CSV output)")
    p.add_argument("--model-file", required=True)
    p.add_argument("input", help="ARFF file with the model's features (label attributes, if present, are ignored)")
    p.add_argument(
        "--labels", default=None, metavar="XML", help="MULAN XML file of INPUT's labels (default: the model's labels)"
    )
    p.add_argument("--proba", action="store_true", help="print probabilities instead of 0/1")
    p.add_argument(
        "--output", default=None, metavar="FILE", help="CSV file (replaces FILE; default or -: standard output)"
    )
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser(
        "compare", help="MSDN vs RethinkRNN vs BRMLP over seeds: tables and paired statistics (Markdown)"
    )
    p.add_argument("--datasets", nargs="+", default=["synthetic"])
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.add_argument("--seeds", type=int_in(1, 1000), default=5, help="number of seeds n >= 1 (seeds 0, 1, ..., n-1)")
    p.add_argument("--models", nargs="+", choices=tuple(MODELS), default=list(MODELS))
    p.add_argument(
        "--metric",
        choices=compare.TABLE_METRICS,
        default="example_f1",
        help="the metric of the paired tables and of the claim (default: %(default)s)",
    )
    p.add_argument(
        "--ablation",
        action="store_true",
        help="also MSDN with one kernel size (1, 3, 5), with K = 1 3 5 9, with the other label orders "
        "and with the other --relation",
    )
    p.add_argument(
        "--peers",
        action="store_true",
        help="also scikit-learn peers on the same splits: " + ", ".join(compare.PEERS) + " (needs scikit-learn)",
    )
    p.add_argument(
        "--train-rows",
        type=int_in(MIN_TRAIN_ROWS, 10_000_000),
        metavar="N",
        help="the small-data protocol: a seeded subsample of N training rows per seed (test split unchanged; "
        f"at least {MIN_TRAIN_ROWS}, so that train and validation each get a row)",
    )
    p.add_argument(
        "--jobs",
        type=int_in(1, 256),
        default=1,
        metavar="N",
        help="trainings run in N processes, one BLAS thread each; the results are identical (default: 1)",
    )
    p.add_argument("--json", metavar="FILE", help=f"write every run as JSON (replaces FILE; {JSON_DASH})")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    _add_training(p, "applies to the MSDN rows only")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("info", help="statistics of a dataset")
    p.add_argument("dataset", help="benchmark name, 'synthetic', 'synthetic-scales', or an ARFF path")
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("bench", help="speed benchmark: naive vs im2col vs PyTorch")
    p.add_argument("--quick", action="store_true", help="small shapes, few repeats (seconds)")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON (replaces FILE)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.add_argument("--figures", metavar="DIR", help="where the scaling figure goes (default: beside --json)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("grade", help="check students' exercise files: PASS / FAIL / NOT DONE per exercise")
    p.add_argument(
        "files", nargs="+", metavar="PATH",
        help="student folders (holding 01_relu.py ...), student files, or a class folder of either (docs/COURSE.md)",
    )  # fmt: skip
    p.add_argument(
        "--timeout",
        type=float_in(0, 3600, lo_open=True),
        default=10.0,
        help="seconds allowed for each function's check (default: %(default)s)",
    )
    p.add_argument("--json", metavar="FILE", help="also write the grades as JSON, for a gradebook (replaces FILE)")
    p.add_argument("--csv", metavar="FILE",
                   help="also write the points as CSV: student, per-exercise points, total (replaces it)")  # fmt: skip
    p.add_argument("--gradescope", metavar="FILE",
                   help="also write Gradescope's autograder results.json, for one student (replaces FILE)")  # fmt: skip
    p.add_argument("--jobs", type=int_in(1, 256), default=None, metavar="N",
                   help="exercise files checked at a time (default: one per CPU core)")  # fmt: skip
    p.add_argument("--seed", type=int_in(0, 2**63 - 1), default=None, metavar="N",
                   help="fix the checks' inputs (default: a secret seed per run; one students know lets them "
                   "prepare answers)")  # fmt: skip
    p.add_argument("--memory-mb", type=int_in(256, 1 << 20), default=2048, metavar="MB",
                   help="address space of a student process (default: %(default)s)")  # fmt: skip
    p.add_argument("--cpu-seconds", type=int_in(1, 86400), default=120, metavar="S",
                   help="CPU time of a student process, one exercise (default: %(default)s)")  # fmt: skip
    p.add_argument(
        "--file-mb",
        type=int_in(1, 1 << 20),
        default=16,
        metavar="MB",
        help="largest file a student process may write, in its temporary folder (default: %(default)s)",
    )
    p.add_argument("--force", action="store_true",
                   help="let --json/--csv/--gradescope replace a read-only file (never an input)")  # fmt: skip
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser(
        "handout", help="write what students receive: the exercises without solutions, the tutorials as notebooks"
    )
    p.add_argument("folder", metavar="DIR", help="a new or empty folder (outside the repository)")
    p.add_argument("--force", action="store_true", help="replace an existing non-empty DIR, as a whole")
    p.add_argument(
        "--pip-install", default=DEFAULT_SPEC, metavar="SPEC",
        help="what each notebook's first cell installs on Colab (elsewhere the cell does nothing): the course's git "
        "URL (git+https://HOST/COURSE/msdn_numpy.git@TAG), a wheel's URL, or a version (default: %(default)s)",
    )  # fmt: skip
    p.set_defaults(func=cmd_handout)

    for p in sub.choices.values():  # global: every sub-command takes it
        p.add_argument(
            "--threads", type=int_in(1, 1024), default=None, metavar="N",
            help="BLAS threads (default: the policy of msdn_numpy.util.threads, 1; README 'Performance')",
        )  # fmt: skip
    return parser


def _message(e: BaseException) -> str:
    """One line for an error: the message itself, or for an OS error the file, the reason and the fix."""
    if isinstance(e, OSError) and e.strerror:
        where = f"{e.filename}: " if e.filename else ""
        fix = (
            "free some space and run again (no existing file was replaced)"
            if e.errno == errno.ENOSPC
            else "check the path and its permissions"
        )
        text = f"{where}{e.strerror}; {fix}"
    elif isinstance(e, MemoryError):
        text = (
            "not enough memory for this data and model; a smaller model (--hidden, --embed-dim, --channels) "
            "or --batch-size needs less, and a dataset needs rows x attributes within the limits of README, "
            "'Size limits on inputs'"
        )
    else:
        text = str(e)
    return " ".join(text.split())


class _GuardedStdout:
    """Standard output that never stops a command: a write that fails (a closed pipe, a full
    disk) is recorded, and the rest of the output is discarded, so the files asked for are
    still written; :func:`main` then reports it and exits non-zero."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.error: OSError | None = None

    def write(self, text: str) -> int:
        if self.error is None:
            try:
                return self.stream.write(text)
            except OSError as e:
                self._fail(e)
        return len(text)

    def flush(self) -> None:
        if self.error is None:
            try:
                self.stream.flush()
            except OSError as e:
                self._fail(e)

    def _fail(self, e: OSError) -> None:
        self.error = e
        try:  # what is still buffered (and Python's own flush at exit) goes to the null device
            fd = self.stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _stdout_failure(command: str, e: OSError) -> tuple[int, str]:
    """The exit code and the one line for a standard output that could not be written."""
    if e.errno == errno.EPIPE:
        return EXIT_BROKEN_PIPE, (
            f"{command}: error: standard output was closed before all of it was written (broken pipe); "
            "every file asked for was written; read the whole output, or send it to a file"
        )
    return EXIT_ERROR, (
        f"{command}: error: cannot write standard output ({e.strerror or e}; a full disk or /dev/full?); "
        "every file asked for was written; send standard output to a file or a terminal"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``msdn`` console script. Returns the exit code.

    Every error ends in one line on stderr, ``msdn COMMAND: error: <problem and fix>``,
    and exit code 2; Ctrl-C in ``msdn interrupted`` and exit code 130, SIGTERM in
    ``msdn terminated`` and 143 (temporary files removed, ``compare``'s worker processes
    stopped). A standard output that cannot be written does not stop the command: the
    files asked for are written, then the exit code is 141 for a closed pipe, 2 otherwise.
    Files are written atomically, so nothing leaves a half-written file.
    """
    stdout = _GuardedStdout(sys.stdout)
    sys.stdout = stdout
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: signals stay as they are
        previous = None
    try:
        code = _main(argv)
        stdout.flush()
        if stdout.error is not None and code == 0:  # an error has had its line already
            given = (sys.argv[1:] if argv is None else argv)[:1]
            command = f"msdn {given[0]}" if given and given[0] in COMMANDS else "msdn"
            code, line = _stdout_failure(command, stdout.error)
            with contextlib.suppress(OSError):
                print(line, file=sys.stderr, flush=True)
        return code
    except Terminated:  # between the command's end and here
        return EXIT_SIGTERM
    finally:
        sys.stdout = stdout.stream
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    command = "msdn"
    try:
        args = build_parser().parse_args(argv)
        command = f"msdn {args.command}"
        args.blas_threads = apply_policy(args.threads)  # the count now in force, read back (0: not OpenBLAS)
        if getattr(args, "quiet", True) is False:  # verbose commands say what runs
            _log_stderr(describe_threads(args.blas_threads, args.threads))
        # Overflow and NaN are caught where they matter (inputs, divergence, outputs), with a
        # message; numpy's RuntimeWarnings would only add lines of noise before it.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return args.func(args)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2, already printed)
        return e.code if isinstance(e.code, int) else 2
    except Terminated:
        print("msdn: terminated (SIGTERM); no file was half-written, temporary files were removed", file=sys.stderr)
        return EXIT_SIGTERM
    except KeyboardInterrupt:
        print("msdn: interrupted", file=sys.stderr)
        return EXIT_SIGINT
    except (DataError, persist.ModelFileError, OutputError, ValueError, OSError, MemoryError) as e:
        print(f"{command}: error: {_message(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
