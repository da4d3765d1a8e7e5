"""Plumbing shared by the tutorial scripts: command line, data with fallback, smoke mode.

Not a tutorial itself. Every script starts with ``args = common.setup(__doc__)``:

* ``--figures DIR``   where figures go (default ``tutorials/figures/``);
* ``--data-dir DIR``  the MULAN folder (default: ``$MSDN_DATA``, else the bundled ``data/mulan``);
* ``--smoke``         (or ``MSDN_SMOKE=1``) few epochs, small data, one seed: for CI;
* ``--dataset NAME``  for the scripts that offer a choice of dataset (``setup(..., dataset=...)``);
* ``--threads N``     BLAS threads (default: the package's policy, one thread; see
  ``msdn_numpy.util.threads``), applied here so that every tutorial's timings use it.

Unknown arguments are ignored, so the scripts also run as notebooks (Jupyter passes
its own arguments to the kernel).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from msdn_numpy.dataio.benchmarks import load_dataset
from msdn_numpy.dataio.datasets import Dataset
from msdn_numpy.train import TrainConfig
from msdn_numpy.util.threads import apply_policy, describe_threads


def _tutorials_folder() -> Path:
    """The folder of the running tutorial script; in a notebook (no script), the working directory.

    A script's folder is ``sys.argv[0]``'s, whatever the working directory. A notebook
    kernel's ``sys.argv[0]`` is the kernel launcher, not a tutorial, and the README asks for
    notebooks to be opened with ``tutorials/`` as the working directory.
    """
    script = Path(sys.argv[0]).resolve().parent if sys.argv and sys.argv[0] else None
    if script is not None and (script / "common.py").is_file():
        return script
    return Path.cwd()


HERE = _tutorials_folder()


def setup(description: str | None, dataset: str | None = None) -> argparse.Namespace:
    """Parse the tutorial options; apply the BLAS thread policy; create the figures folder; print what was chosen.

    ``dataset``: the script's default dataset; when given, ``--dataset NAME`` chooses another
    (a MULAN name such as ``emotions``, ``yeast``, ``enron``, ``CAL500``, or ``synthetic``).
    """
    first = (description or "").strip().splitlines()
    parser = argparse.ArgumentParser(description=first[0] if first else None)
    parser.add_argument("--figures", type=Path, default=HERE / "figures", help="folder for the figures")
    parser.add_argument(
        "--data-dir", default=None, help="MULAN folder (default: $MSDN_DATA, else the bundled data/mulan)"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny run for CI (also MSDN_SMOKE=1)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: the policy, 1)")
    if dataset is not None:
        parser.add_argument("--dataset", default=dataset, help=f"dataset name (default: {dataset})")
    args, _ = parser.parse_known_args()
    args.blas_threads = apply_policy(args.threads)  # read back from the library
    args.smoke = args.smoke or os.environ.get("MSDN_SMOKE", "") not in ("", "0")
    args.figures.mkdir(parents=True, exist_ok=True)
    mode = "SMOKE mode (tiny run: numbers are not meaningful)" if args.smoke else "full run"
    print(f"{mode}; figures -> {args.figures}")
    print(describe_threads(args.blas_threads, args.threads))
    return args


def load(name: str, args: argparse.Namespace, smoke_rows: int = 150) -> tuple[Dataset, Dataset]:
    """``load_dataset(name, --data-dir)``: the package's data-folder rule (``--data-dir``, else
    ``$MSDN_DATA``, else the bundled ``data/mulan``).

    In smoke mode both splits are cut to ``smoke_rows`` rows (seeded) so that CI is fast.
    """
    train, test = load_dataset(name, args.data_dir)
    sys.stderr.flush()
    if args.smoke:
        train, test = head(train, smoke_rows), head(test, smoke_rows)
    return train, test


def head(ds: Dataset, n: int, seed: int = 0) -> Dataset:
    """A seeded random subset of at most ``n`` rows (for smoke mode)."""
    if ds.n_samples <= n:
        return ds
    rows = np.sort(np.random.default_rng(seed).permutation(ds.n_samples)[:n])
    return Dataset(ds.X[rows], ds.Y[rows], ds.feature_names, ds.label_names, ds.name)


def config(args: argparse.Namespace, **overrides) -> TrainConfig:
    """The package defaults ``TrainConfig()``, cut to 3 epochs in smoke mode."""
    cfg = TrainConfig(**overrides)
    return replace(cfg, epochs=3, patience=2) if args.smoke else cfg


def seeds(args: argparse.Namespace, n: int) -> list[int]:
    """``range(n)`` normally, a single seed in smoke mode."""
    return [0] if args.smoke else list(range(n))


def verdict(a: str, b: str, p, higher_is_better: bool = True, alpha: float = 0.05) -> str:
    """One plain sentence for a paired comparison ``p = compare.paired_stats(a_scores, b_scores)``.

    "a is better/worse than b" when the two-sided Wilcoxon signed-rank p is below ``alpha``,
    or when ``a`` won (or lost) on every seed, the strongest evidence ``n`` seeds can give
    (with 5 seeds p cannot go below 0.0625); otherwise "no clear difference". The numbers
    are given either way. For a metric
    where lower is better (Hamming loss), pass ``higher_is_better=False``: ``a`` is better
    on the seeds where ``a - b < 0``.
    """
    wins = p.wins if higher_is_better else p.losses
    better = p.mean > 0 if higher_is_better else p.mean < 0
    ties = f", {p.ties} tied" if p.ties else ""
    numbers = (
        f"mean paired difference {p.mean:+.4f} ± {p.std:.4f}, {a} better on {wins}/{p.n} seeds{ties}, "
        f"Wilcoxon p = {p.p_wilcoxon:.3f}"
    )
    if p.p_wilcoxon < alpha:
        return f"{a} is {'better' if better else 'worse'} than {b} ({numbers})"
    if p.ties == 0 and p.n > 1 and wins in (0, p.n):
        return (
            f"{a} is {'better' if better else 'worse'} than {b} on every seed ({numbers}, the smallest p "
            f"{p.n} seeds can give)"
        )
    return f"no clear difference between {a} and {b} ({numbers}; the smallest p {p.n} seeds can give: {p.min_p:.3f})"
