"""The ``msdn`` command line (also ``python -m msdn_numpy``).

Sub-commands: ``train``, ``evaluate``, ``predict``, ``compare``, ``info``, ``bench``.
Run ``msdn COMMAND --help`` for the options of each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import persist
from .arff_io import load_arff
from .benchmarks import load_dataset
from .datasets import DataError, summary_table
from .metrics import METRIC_NAMES
from .models import DEFAULT_LABEL_ORDER, MODELS
from .threads import apply_policy, describe_threads
from .train import THRESHOLD_MODES, TrainConfig, TrainedModel, config_dict, train_model

LABEL_ORDERS = ("given", "frequency", "cooccurrence", "random")
DATA_DIR_HELP = "folder with the MULAN files (default: $MSDN_DATA if set, else the bundled data/mulan)"
TABLE_METRICS = ("hamming_loss", "example_f1", "micro_f1", "macro_f1", "subset_accuracy")


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
        for key in ("kernel_sizes", "embed_dim", "channels", "label_order", "padding_mode"):
            if getattr(args, key) is not None:
                kw[key] = tuple(args.kernel_sizes) if key == "kernel_sizes" else getattr(args, key)
    return kw


def train_config(args: argparse.Namespace, seed: int) -> TrainConfig:
    """A :class:`TrainConfig` from the defaults overridden by the command line."""
    over = {
        k: getattr(args, k)
        for k in ("epochs", "batch_size", "lr", "weight_decay", "optimizer", "patience", "threshold", "dtype")
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
def cmd_train(args: argparse.Namespace) -> int:
    train, test = load_dataset(args.dataset, args.data_dir)
    print(
        f"dataset {train.name}: {train.n_samples} train / {test.n_samples} test, "
        f"D={train.n_features}, L={train.n_labels}"
    )
    trained, record = run_one(
        train, test, args.model, model_kwargs(args, args.model), train_config(args, args.seed),
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
    if args.save:
        path = persist.save(trained, args.save)
        print(f"\nmodel saved to {path}")
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n")
        print(f"results written to {args.json}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    trained = persist.load(args.model_file)
    _, test = load_dataset(args.dataset, args.data_dir)
    metrics = trained.evaluate(test)
    print(
        f"{trained.model.kind} model trained on {trained.dataset}, "
        f"evaluated on {test.name} test ({test.n_samples} examples):"
    )
    print(metrics_table(metrics))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"dataset": test.name, "model": trained.model.kind, "metrics": metrics}, indent=2) + "\n"
        )
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    trained = persist.load(args.model_file)
    try:  # the model's label attributes may be in the file (ignored), or absent (features only)
        ds = load_arff(args.input, labels=args.labels if args.labels is not None else trained.label_names)
    except DataError:
        if args.labels is not None:
            raise
        ds = load_arff(args.input, labels=[])
    if ds.feature_names != trained.feature_names:
        raise DataError(
            f"{args.input}: its features differ from those the model was trained on ({trained.dataset}); "
            "predict needs the same attributes in the same order"
        )
    P = trained.predict_proba(ds.X)
    Y = (P >= trained.thresholds).astype(np.uint8)
    out = sys.stdout if args.output in (None, "-") else open(args.output, "w")
    try:
        out.write("row," + ",".join(trained.label_names) + "\n")
        for i, row in enumerate(Y if not args.proba else P):
            vals = (f"{v:.4f}" for v in row) if args.proba else (str(int(v)) for v in row)
            out.write(f"{i + 1}," + ",".join(vals) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def _mean_std(values: list[float]) -> str:
    return f"{np.mean(values):.4f} ± {np.std(values):.4f}"


def cmd_compare(args: argparse.Namespace) -> int:
    runs: list[dict] = []
    seeds = list(range(args.seeds))
    # (label, model kind, model kwargs): the three models, then the MSDN ablations
    variants: list[tuple[str, str, dict[str, Any]]] = [(k, k, model_kwargs(args, k)) for k in args.models]
    if args.ablation:
        base = model_kwargs(args, "msdn")
        for ks in ([1], [3], [5]):
            variants.append((f"msdn K={tuple(ks)}", "msdn", {**base, "kernel_sizes": tuple(ks)}))
        for order in LABEL_ORDERS:
            if order != base.get("label_order", DEFAULT_LABEL_ORDER):
                variants.append((f"msdn order={order}", "msdn", {**base, "label_order": order}))
    lines = []
    for name in args.datasets:
        train, test = load_dataset(name, args.data_dir)
        by_variant: dict[str, list[dict]] = {}
        for label, kind, kw in variants:
            for seed in seeds:
                _, rec = run_one(train, test, kind, kw, train_config(args, seed))
                rec["variant"] = label
                runs.append(rec)
                by_variant.setdefault(label, []).append(rec)
                _log_stderr(
                    f"{train.name:>10s} {label:<22s} seed {seed}: example-F1 {rec['metrics']['example_f1']:.4f} "
                    f"micro-F1 {rec['metrics']['micro_f1']:.4f} hamming {rec['metrics']['hamming_loss']:.4f} "
                    f"({rec['seconds']:.1f}s)"
                )
        lines.append(f"\n### {train.name} ({len(seeds)} seeds, mean ± std)\n")
        lines.append("| model | params | " + " | ".join(TABLE_METRICS) + " | seconds |")
        lines.append("|---|---:|" + "---:|" * len(TABLE_METRICS) + "---:|")
        for label, recs in by_variant.items():
            cells = [_mean_std([r["metrics"][m] for r in recs]) for m in TABLE_METRICS]
            lines.append(
                f"| {label} | {recs[0]['params']:,} | "
                + " | ".join(cells)
                + f" | {np.mean([r['seconds'] for r in recs]):.1f} |"
            )
        lines.append("")
        for label, recs in by_variant.items():
            split = ", ".join(f"{k} {v:,}" for k, v in recs[0]["param_split"].items())
            lines.append(f"- {label}: {split}")
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2) + "\n")
        print(f"\n{len(runs)} runs written to {args.json}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    if args.dataset.endswith(".arff") and not Path(args.dataset).name.endswith("-train.arff"):
        print(summary_table(load_arff(args.dataset)))
    else:
        print(summary_table(*load_dataset(args.dataset, args.data_dir)))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench  # imported here: the benchmark pulls in torch when present

    return run_bench(
        quick=args.quick, json_path=args.json, data_dir=args.data_dir, figures_dir=args.figures,
        threads=args.blas_threads or None,
    )  # fmt: skip


# -- the parser --------------------------------------------------------------------------
def _add_data(p: argparse.ArgumentParser, default: str | None = "synthetic") -> None:
    p.add_argument(
        "--dataset",
        default=default,
        help="benchmark name (emotions, yeast, ...), 'synthetic' (bundled), "
        "or a *-train.arff path (default: %(default)s)",
    )
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)


def _add_training(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (defaults: see the model classes)")
    g.add_argument("--hidden", type=int, help="encoder width E")
    g.add_argument("--dropout", type=float, help="dropout after the encoder")
    g.add_argument("--kernel-sizes", type=int, nargs="+", help="MSDN kernel sizes K, e.g. 1 3 5")
    g.add_argument("--embed-dim", type=int, help="MSDN label-embedding channels d")
    g.add_argument("--channels", type=int, help="MSDN channels c per kernel size")
    g.add_argument("--label-order", choices=LABEL_ORDERS, help="MSDN label order along the convolution axis")
    g.add_argument("--padding-mode", choices=("zeros", "circular"), help="MSDN padding of the label axis")
    t = p.add_argument_group("training (defaults: see TrainConfig)")
    t.add_argument("--epochs", type=int, help="maximum epochs (early stopping on validation)")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float, help="learning rate")
    t.add_argument("--weight-decay", type=float)
    t.add_argument("--optimizer", choices=("adam", "sgd"))
    t.add_argument("--patience", type=int, help="epochs without validation improvement before stopping")
    t.add_argument("--threshold", choices=THRESHOLD_MODES, help="how decision thresholds are chosen on validation")
    t.add_argument("--dtype", choices=("float32", "float64"))


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an int >= 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="msdn", description="MSDN multi-label classification in NumPy")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a model and evaluate it on the test split")
    _add_data(p)
    p.add_argument("--model", choices=tuple(MODELS), default="msdn")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", metavar="FILE", help="write the trained model (.npz)")
    p.add_argument("--json", metavar="FILE", help="write the run's results as JSON")
    p.add_argument("--quiet", action="store_true", help="no per-epoch progress lines")
    _add_training(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="evaluate a saved model on a dataset's test split")
    p.add_argument("--model-file", required=True)
    _add_data(p)
    p.add_argument("--json", metavar="FILE")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="predict the labels of the rows of an ARFF file (CSV output)")
    p.add_argument("--model-file", required=True)
    p.add_argument("input", help="ARFF file with the model's features (and its label attributes)")
    p.add_argument("--labels", default=None, help="MULAN XML for INPUT (default: the model's label names)")
    p.add_argument("--proba", action="store_true", help="print probabilities instead of 0/1")
    p.add_argument("--output", default=None, help="CSV file (default: standard output)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("compare", help="MSDN vs RethinkRNN vs BRMLP over seeds (Markdown table)")
    p.add_argument("--datasets", nargs="+", default=["synthetic"])
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.add_argument("--seeds", type=int, default=5, help="number of seeds (0, 1, ..., n-1)")
    p.add_argument("--models", nargs="+", choices=tuple(MODELS), default=list(MODELS))
    p.add_argument(
        "--no-ablation", dest="ablation", action="store_false", help="skip the kernel-size and label-order ablations"
    )
    p.add_argument("--json", metavar="FILE")
    _add_training(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("info", help="statistics of a dataset")
    p.add_argument("dataset", help="benchmark name, 'synthetic', or an ARFF path")
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("bench", help="speed benchmark: naive vs im2col vs PyTorch")
    p.add_argument("--quick", action="store_true", help="small shapes, few repeats (seconds)")
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.add_argument("--figures", metavar="DIR", help="where the scaling figure goes (default: beside --json)")
    p.set_defaults(func=cmd_bench)

    for p in sub.choices.values():  # global: every sub-command takes it
        p.add_argument(
            "--threads", type=_positive_int, default=None, metavar="N",
            help="BLAS threads (default: the policy of msdn_numpy.threads, 1; README 'Performance')",
        )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``msdn`` console script. Returns the exit code."""
    args = build_parser().parse_args(argv)
    args.blas_threads = apply_policy(args.threads)  # the count now in force, read back (0: not OpenBLAS)
    if getattr(args, "quiet", True) is False:  # verbose commands say what runs
        _log_stderr(describe_threads(args.blas_threads, args.threads))
    try:
        return args.func(args)
    except (DataError, persist.ModelFileError, FileNotFoundError, ValueError) as e:
        print(f"msdn {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `msdn predict ... | head`: the reader has what it wanted
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
