"""The ``msdn`` command line end to end, on the bundled synthetic data, in a temp dir."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from msdn_numpy.dataio.benchmarks import DATA_DIR, load_dataset
from msdn_numpy.metrics import METRIC_NAMES
from msdn_numpy.tools.cli import main

QUICK = ["--epochs", "2", "--hidden", "8", "--quiet"]


def test_train_save_json_evaluate_predict(tmp_path, capsys):
    model_file, result = tmp_path / "m.npz", tmp_path / "r.json"
    assert main(["train", *QUICK, "--save", str(model_file), "--json", str(result)]) == 0
    out = capsys.readouterr().out
    assert "test metrics" in out and "parameters:" in out and "combine" in out and "convs" in out
    rec = json.loads(result.read_text())
    assert set(rec) >= {"dataset", "model", "seed", "params", "config", "seconds", "metrics"}
    assert list(rec["metrics"]) == list(METRIC_NAMES)
    assert rec["dataset"] == "synthetic" and rec["model"] == "msdn" and rec["params"] > 0

    assert main(["evaluate", "--model-file", str(model_file), "--dataset", "synthetic"]) == 0
    out = capsys.readouterr().out
    assert f"{rec['metrics']['example_f1']:.4f}" in out  # the saved model reproduces its test figures

    csv = tmp_path / "pred.csv"
    path = DATA_DIR / "synthetic-test.arff"
    assert main(["predict", "--model-file", str(model_file), str(path), "--output", str(csv)]) == 0
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("row,") and len(lines) == load_dataset("synthetic")[1].n_samples + 1


@pytest.mark.parametrize("model", ["rnn", "br"])
def test_train_other_models(model, capsys):
    assert main(["train", "--model", model, *QUICK]) == 0
    assert "test metrics" in capsys.readouterr().out


def test_compare_writes_a_table_and_json(tmp_path, capsys):
    out_json = tmp_path / "runs.json"
    args = [
        "compare",
        "--datasets",
        "synthetic",
        "--seeds",
        "1",
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--ablation",
        "--json",
        str(out_json),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "| msdn |" in out and "| rnn |" in out and "| br |" in out and "msdn K=(3,)" in out
    runs = json.loads(out_json.read_text())
    variants = {r["variant"] for r in runs}
    expected = {"msdn", "rnn", "br", "msdn K=(1,)", "msdn K=(5,)", "msdn order=cooccurrence", "msdn order=random"}
    assert expected <= variants
    assert "msdn order=given" not in variants  # the default order is the "msdn" row itself
    assert all(set(r["metrics"]) == set(METRIC_NAMES) for r in runs)


def test_compare_ablation_on_synthetic_scales_records_its_configs(tmp_path, capsys):
    """The mechanism's protocol: every ablation record carries its kernel sizes, order and embedding,
    and the report gives the per-label accuracy of the rule labels by distance."""
    out_json = tmp_path / "runs.json"
    args = ["compare", "--datasets", "synthetic-scales", "--seeds", "1", "--epochs", "1", "--hidden", "8",
            "--models", "msdn", "br", "--ablation", "--embedding", "label", "--label-order", "given",
            "--metric", "subset_accuracy", "--json", str(out_json)]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "paired by seed (subset_accuracy" in out
    assert "| model | drivers | rules at s=1 | rules at s=2 | rules at s=4 |" in out
    runs = {r["variant"]: r for r in json.loads(out_json.read_text())}
    expected = {
        "msdn": ([1, 3, 5], "given", "label"),
        "msdn K=(1,)": ([1], "given", "label"),
        "msdn K=(1, 3, 5, 9)": ([1, 3, 5, 9], "given", "label"),
        "msdn order=random": ([1, 3, 5], "random", "label"),
        "msdn embedding=free": ([1, 3, 5], "given", "free"),
    }
    for variant, (ks, order, embedding) in expected.items():
        c = runs[variant]["config"]
        assert (c["kernel_sizes"], c["label_order"], c["embedding"]) == (ks, order, embedding), variant
    assert "msdn order=given" not in runs and "msdn embedding=label" not in runs  # those are "msdn" itself
    assert len(runs["msdn"]["label_accuracy"]) == 28 and "label_accuracy" not in runs.get("sk-br-lr", {})


def test_info_on_synthetic_and_benchmark(capsys, data_dir):
    assert main(["info", "synthetic"]) == 0
    assert "L" in capsys.readouterr().out
    assert main(["info", "emotions", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "391" in out and "202" in out and "72" in out
    assert main(["info", str(DATA_DIR / "synthetic-test.arff")]) == 0  # an ARFF path works too
    out = capsys.readouterr().out
    assert "500" in out and "12" in out


def test_clear_errors(tmp_path, capsys):
    assert main(["train", "--dataset", "nosuchset", "--data-dir", str(tmp_path), *QUICK]) == 2
    err = capsys.readouterr().err
    assert "nosuchset" in err and "error" in err
    assert main(["train", "--dataset", "emotions", "--data-dir", str(tmp_path), *QUICK]) == 2
    err = capsys.readouterr().err  # a data dir without the files: what was looked for, and the fix
    assert "emotions-train.arff" in err and "--data-dir" in err
    assert main(["evaluate", "--model-file", str(tmp_path / "none.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_model_file_from_another_dataset(tmp_path, capsys, data_dir):
    model_file = tmp_path / "m.npz"
    assert main(["train", *QUICK, "--save", str(model_file)]) == 0
    capsys.readouterr()
    assert (
        main(["evaluate", "--model-file", str(model_file), "--dataset", "emotions", "--data-dir", str(data_dir)]) == 2
    )
    assert "trained on 'synthetic'" in capsys.readouterr().err


def test_unknown_option_and_python_m():
    proc = subprocess.run(
        [sys.executable, "-m", "msdn_numpy", "train", "--epoch", "3", "--bogus"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "unrecognized arguments: --bogus" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "msdn_numpy", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "train" in proc.stdout


def test_predict_on_features_only(tmp_path, capsys):
    """New data to predict has no label attributes: predict must not need them."""
    model_file = tmp_path / "m.npz"
    assert main(["train", *QUICK, "--save", str(model_file)]) == 0
    lines = (DATA_DIR / "synthetic-test.arff").read_text().splitlines()
    kept = []
    for line in lines:
        if line.startswith("@attribute y"):
            continue
        if line and line[0] in "-0123456789":
            line = ",".join(line.split(",")[:20])  # the 20 features, labels dropped
        kept.append(line)
    features_only = tmp_path / "new.arff"
    features_only.write_text("\n".join(kept[:60]) + "\n")
    capsys.readouterr()
    assert main(["predict", "--model-file", str(model_file), str(features_only)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "row," + ",".join(f"y{j:02d}" for j in range(12))
    n_rows = sum(1 for line in kept[:60] if line and line[0] in "-0123456789")
    assert len(out) == n_rows + 1 and all(len(r.split(",")) == 13 for r in out[1:])


def test_option_types_are_reusable():
    """int_in / float_in: argparse types for any option, with the range in the message."""
    import argparse

    from msdn_numpy.tools.cli import float_in, int_in

    assert int_in(1)("7") == 7 and int_in(0, 3)("0") == 0 and float_in(0, 1, hi_open=True)("0.25") == 0.25
    for parse, text, message in [
        (int_in(1), "0", "expected an integer >= 1, got '0'"),
        (int_in(1, 8), "9", "expected an integer from 1 to 8, got '9'"),
        (int_in(1), "2.5", "expected an integer >= 1"),
        (float_in(0, lo_open=True), "nan", "expected a finite number > 0, got 'nan'"),
        (float_in(0, 1, hi_open=True), "1", "expected a finite number >= 0 and < 1, got '1'"),
        (float_in(0), "-inf", "finite number >= 0"),
        (float_in(0), "abc", "finite number >= 0, got 'abc'"),
    ]:
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            parse(text)
