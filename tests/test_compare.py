"""msdn compare: paired statistics by hand, the small-data protocol, --jobs, --peers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from msdn_numpy import compare
from msdn_numpy.dataio.datasets import Dataset
from msdn_numpy.tools.cli import main

TINY = ["--epochs", "3", "--hidden", "8", "--seeds", "2"]


def test_paired_stats_by_hand():
    """d = a - b = (0.01, 0.02, -0.005, 0.03, 0.015).

    Wilcoxon: |d| ranks 2, 4, 1, 5, 3; the negative one has rank 1, so W- = 1. Under H0
    each of the 2^5 = 32 sign patterns is equally likely; W- <= 1 in 2 of them ({} and {1}),
    so the two-sided p is 2 * 2/32 = 0.125. Sign test: 4 wins of 5, p = 2 * (5 + 1)/32 = 0.375.
    """
    b = np.array([0.60, 0.62, 0.61, 0.59, 0.63])
    a = b + np.array([0.01, 0.02, -0.005, 0.03, 0.015])
    p = compare.paired_stats(a, b)
    assert (p.n, p.wins, p.ties, p.losses) == (5, 4, 0, 1)
    assert p.mean == pytest.approx(0.014)
    assert p.std == pytest.approx(np.std([0.01, 0.02, -0.005, 0.03, 0.015], ddof=1))
    assert p.p_wilcoxon == pytest.approx(0.125)
    assert p.p_sign == pytest.approx(0.375)
    assert p.min_p == pytest.approx(0.0625)  # 2 / 2^5: five seeds can never reach 0.05


def test_paired_stats_ties_and_all_wins():
    b = np.zeros(5)
    p = compare.paired_stats([0.1, 0.2, 0.3, 0.4, 0.0], b)  # one tie, four wins
    assert (p.wins, p.ties, p.losses) == (4, 1, 0)
    assert p.p_sign == pytest.approx(2 / 16)  # the tie is dropped: 4 of 4
    assert compare.paired_stats([0.5] * 3, [0.5] * 3).p_wilcoxon == 1.0  # no difference at all
    assert compare.paired_stats([1, 2, 3, 4, 5], [0] * 5).p_wilcoxon == pytest.approx(0.0625)
    with pytest.raises(ValueError, match="non-empty"):
        compare.paired_stats([], [])


def _toy(n: int = 30) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset(rng.standard_normal((n, 3)), rng.integers(0, 2, (n, 2)), ["a", "b", "c"], ["p", "q"], "toy")


def test_train_subsample_is_seeded_and_paired():
    ds = _toy()
    a, b, c = compare.train_subsample(ds, 10, 0), compare.train_subsample(ds, 10, 0), compare.train_subsample(ds, 10, 1)
    assert a.n_samples == 10 and np.array_equal(a.X, b.X)  # the same rows for every model of a seed
    assert not np.array_equal(a.X, c.X)  # another seed, another subsample
    rows = [int(np.flatnonzero((ds.X == x).all(axis=1))[0]) for x in a.X]
    assert rows == sorted(rows)  # file order kept
    assert compare.train_subsample(ds, None, 0) is ds and compare.train_subsample(ds, 30, 0) is ds


def test_small_data_protocol_end_to_end(tmp_path, capsys):
    """--train-rows: every run trains on that many rows, tests on the whole test split,
    and the record names the selection metric the recipe used."""
    out = tmp_path / "runs.json"
    code = main(["compare", "--datasets", "emotions", "--train-rows", "60", "--json", str(out), *TINY])
    assert code == 0
    text = capsys.readouterr().out
    assert "60 training rows, test split unchanged" in text
    assert "msdn − other, paired by seed" in text and "The paper's claim" in text
    runs = json.loads(out.read_text())
    assert len(runs) == 3 * 2  # three models, two seeds
    assert {r["train_rows"] for r in runs} == {60}
    assert {r["config"]["selection_metric"] for r in runs} == {"micro_f1"}
    assert {(r["model"], r["seed"]) for r in runs} == {(m, s) for m in ("msdn", "rnn", "br") for s in (0, 1)}


def test_jobs_2_gives_the_same_records_as_jobs_1(tmp_path):
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.json"
        args = ["compare", "--datasets", "emotions", "--train-rows", "80", "--jobs", jobs, "--json", str(out), *TINY]
        assert main(args) == 0
        outs.append([{k: v for k, v in r.items() if k != "seconds"} for r in json.loads(out.read_text())])
    assert outs[0] == outs[1]


def test_peers_add_scikit_learn_rows(tmp_path, capsys):
    pytest.importorskip("sklearn", reason="--peers needs scikit-learn (installed by .[test])")
    out = tmp_path / "peers.json"
    assert main(["compare", "--datasets", "emotions", "--models", "msdn", "--peers", "--json", str(out), *TINY]) == 0
    runs = json.loads(out.read_text())
    assert {r["variant"] for r in runs} == {"msdn", *compare.PEERS}
    for r in runs:
        assert 0.0 <= r["metrics"]["example_f1"] <= 1.0 and r["params"] > 0
    assert "| sk-cc-lr |" in capsys.readouterr().out


def test_peers_handle_a_label_never_seen_in_training():
    """enron has a label that never occurs in its training split: the chain skips it."""
    pytest.importorskip("sklearn", reason="--peers needs scikit-learn (installed by .[test])")
    ds = _toy(40)
    Y = ds.Y.copy()
    Y[:, 1] = 0
    ds = Dataset(ds.X, Y, ds.feature_names, ds.label_names, "toy")
    for kind in compare.PEERS:
        peer = compare.PeerModel(kind, ds, compare.TrainConfig(epochs=5, seed=0))
        P = peer.predict_proba(ds.X)
        assert P.shape == (40, 2) and np.isfinite(P).all()
        if kind == "sk-cc-lr":
            assert (P[:, 1] == 0).all()


def test_ctrl_c_with_jobs_ends_in_one_line(tmp_path):
    """Ctrl-C reaches the whole process group (the workers too): one line, exit 130, no
    traceback from any process, no worker left behind, no JSON file half-written."""
    import os
    import signal
    import subprocess
    import sys

    out = tmp_path / "runs.json"
    cmd = [sys.executable, "-m", "msdn_numpy", "compare", "--datasets", "yeast", "--seeds", "5", "--jobs", "2",
           "--json", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines = []
    for line in proc.stderr:  # wait until a training has finished: the pool is surely running
        lines.append(line)
        if line.startswith("[compare 1/"):
            break
    os.killpg(proc.pid, signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    err = "".join(lines) + rest
    assert proc.returncode == 130, err
    assert err.rstrip().endswith("msdn: interrupted") and "Traceback" not in err
    assert not out.exists()
    import time

    for _ in range(100):  # the workers and the resource tracker exit within moments
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("a process of the interrupted compare is still running after 10 s")
