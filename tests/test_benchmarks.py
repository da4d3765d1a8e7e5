"""Tests for msdn_numpy.dataio.benchmarks: the bundled MULAN files, checksums, train/test pairs."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest

from msdn_numpy.dataio import benchmarks
from msdn_numpy.dataio.benchmarks import (
    BUNDLED_BENCHMARKS,
    BUNDLED_MULAN_DIR,
    KNOWN_SHA256,
    check_compatible,
    load_benchmark,
    load_dataset,
    resolve_data_dir,
)
from msdn_numpy.dataio.datasets import DataError, Dataset

# ------------------------------------------------------------------ real MULAN data

BENCHMARKS = [
    # name, N train, N test, D, L, label cardinality over train+test
    ("emotions", 391, 202, 72, 6, 1.87),
    ("yeast", 1500, 917, 103, 14, 4.24),
    ("enron", 1123, 579, 1001, 53, 3.38),
]


@pytest.mark.parametrize("name, n_train, n_test, D, L, card", BENCHMARKS)
def test_benchmark_shapes_and_cardinality(data_dir, capsys, name, n_train, n_test, D, L, card):
    train, test = load_benchmark(name, data_dir)
    assert (train.n_samples, test.n_samples) == (n_train, n_test)
    assert (train.n_features, train.n_labels) == (D, L)
    assert (test.n_features, test.n_labels) == (D, L)
    assert round(float(np.vstack([train.Y, test.Y]).sum(axis=1).mean()), 2) == card
    assert train.X.dtype == np.float64 and train.Y.dtype == np.uint8
    assert f"{name}: standard MULAN split (sha256 verified)" in capsys.readouterr().err


def test_emotions_label_names_follow_the_xml(data_dir):
    train, _ = load_benchmark("emotions", data_dir)
    assert train.name == "emotions"
    assert train.label_names[0] == "amazed-suprised" and train.label_names[-1] == "angry-aggresive"


def test_enron_sparse_rows_are_binary_features(data_dir):
    train, _ = load_benchmark("enron", data_dir)
    # Word features are declared {0,1}: one 0/1 column each, mostly zeros.
    assert set(np.unique(train.X)) == {0.0, 1.0}
    assert train.X.mean() < 0.1
    assert (train.Y.sum(axis=0) == 0).any()  # the README: some labels never occur in train


def test_cal500_gets_a_seeded_split(data_dir, capsys):
    train, test = load_benchmark("CAL500", data_dir)
    assert train.n_samples + test.n_samples == 502
    assert test.n_samples == round(0.3 * 502)
    assert (train.n_features, train.n_labels) == (68, 174)
    Y = np.vstack([train.Y, test.Y])
    assert round(float(Y.sum(axis=1).mean()), 2) == 26.04
    err = capsys.readouterr().err
    assert "sha256 verified" in err and "seed=0" in err
    again, _ = load_benchmark("CAL500", data_dir)
    np.testing.assert_array_equal(again.X, train.X)


def test_modified_copy_is_not_the_standard_split(data_dir, tmp_path, capsys):
    for f in ("emotions-train.arff", "emotions-test.arff", "emotions.xml"):
        shutil.copy(data_dir / f, tmp_path / f)
    text = (tmp_path / "emotions-test.arff").read_text()
    (tmp_path / "emotions-test.arff").write_text(text.rstrip("\n").rsplit("\n", 1)[0] + "\n")  # drop a row
    train, test = load_benchmark("emotions", tmp_path)
    assert test.n_samples == 201
    err = capsys.readouterr().err
    assert "not the standard split" in err and "sha256 verified" not in err


def test_missing_benchmark_lists_what_was_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match="nosuch-train.arff.*nosuch.arff"):
        load_benchmark("nosuch", tmp_path)


def test_every_bundled_dataset_loads_by_default(monkeypatch, capsys):
    """A plain clone: no argument, no MSDN_DATA, the bundled files, checksums verified."""
    monkeypatch.delenv("MSDN_DATA", raising=False)
    assert resolve_data_dir() == BUNDLED_MULAN_DIR
    expected = {name: row for name, *row in BENCHMARKS}
    expected["CAL500"] = (351, 151, 68, 174, 26.04)
    assert set(expected) == set(BUNDLED_BENCHMARKS)
    for name, (n_train, n_test, D, L, card) in expected.items():
        train, test = load_benchmark(name)
        assert (train.n_samples, test.n_samples, train.n_features, train.n_labels) == (n_train, n_test, D, L)
        both = np.vstack([train.Y, test.Y])
        assert both.sum(axis=1).mean() == pytest.approx(card, abs=0.005)
        assert "sha256 verified" in capsys.readouterr().err


def test_bundled_checksums_match_the_registry():
    """data/mulan/SHA256SUMS, the files themselves and KNOWN_SHA256 agree."""
    listed = {}
    for line in (BUNDLED_MULAN_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        listed[name] = digest
    assert listed == KNOWN_SHA256
    for name, digest in listed.items():
        assert hashlib.sha256((BUNDLED_MULAN_DIR / name).read_bytes()).hexdigest() == digest, name


def test_resolution_order(monkeypatch, tmp_path):
    """data_dir beats MSDN_DATA beats the bundled folder."""
    env_dir, arg_dir = tmp_path / "env", tmp_path / "arg"
    env_dir.mkdir()
    arg_dir.mkdir()
    monkeypatch.setenv("MSDN_DATA", str(env_dir))
    assert resolve_data_dir(arg_dir) == arg_dir
    assert resolve_data_dir() == env_dir
    monkeypatch.delenv("MSDN_DATA")
    assert resolve_data_dir() == BUNDLED_MULAN_DIR
    # a folder that is given is used, not silently replaced by the next place
    monkeypatch.setenv("MSDN_DATA", str(env_dir))
    with pytest.raises(FileNotFoundError, match="'emotions' not found in .*env"):
        load_benchmark("emotions")


def test_not_found_names_the_three_places(monkeypatch, tmp_path):
    monkeypatch.setenv("MSDN_DATA", str(tmp_path / "no-such-env-dir"))
    with pytest.raises(FileNotFoundError) as err:
        load_benchmark("emotions", tmp_path / "no-such-arg-dir")
    message = str(err.value)
    assert "--data-dir / data_dir=: " in message and "no-such-arg-dir (no such folder)" in message
    assert "$MSDN_DATA: " in message and "no-such-env-dir (no such folder)" in message
    assert "the bundled folder: " in message and str(BUNDLED_MULAN_DIR) in message
    assert "reinstall msdn_numpy" in message
    # the bundled folder absent too (a non-editable install used elsewhere)
    monkeypatch.delenv("MSDN_DATA")
    monkeypatch.setattr(benchmarks, "BUNDLED_MULAN_DIR", tmp_path / "no-bundle")
    with pytest.raises(FileNotFoundError, match="no-bundle \\(no such folder\\)"):
        load_benchmark("emotions")


def test_load_dataset_accepts_a_train_path(data_dir):
    train, test = load_dataset(data_dir / "emotions-train.arff")
    assert (train.n_samples, test.n_samples) == (391, 202)


def test_load_dataset_synthetic_needs_no_data_dir(monkeypatch):
    monkeypatch.delenv("MSDN_DATA", raising=False)
    train, test = load_dataset("synthetic")
    assert (train.n_samples, test.n_samples, train.n_features, train.n_labels) == (1000, 500, 20, 12)


def test_xml_labels_keep_the_arff_attribute_order(data_dir):
    """yeast.xml lists its labels shuffled (Class1, Class2, Class3, Class6, ...): the
    'given' label order is the ARFF file's attribute order."""
    train, _ = load_benchmark("yeast", data_dir)
    assert train.label_names == [f"Class{i}" for i in range(1, 15)]


def _toy(n: int = 10, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    Y = (rng.random((n, 4)) < 0.4).astype(np.uint8)
    return Dataset(X, Y, ["a", "b", "c"], ["p", "q", "r", "s"], "toy")


def test_check_compatible_label_difference():
    a = _toy()
    b = Dataset(a.X, a.Y, a.feature_names, ["p", "q", "r", "zz"], "toy")
    check_compatible(a, a)
    with pytest.raises(DataError, match="label 3: 's' in train, 'zz' in test"):
        check_compatible(a, b)
