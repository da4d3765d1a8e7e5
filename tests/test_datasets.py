"""Tests for msdn_numpy.datasets: ARFF reading, benchmarks, splits, scaling, label orders."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from msdn_numpy.datasets import (
    LABEL_ORDERS,
    DataError,
    Dataset,
    Standardizer,
    check_compatible,
    label_order,
    load_arff,
    load_benchmark,
    load_dataset,
    summary_table,
    train_test_split,
    train_val_split,
)

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


def test_no_data_dir_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv("MSDN_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="--data-dir.*MSDN_DATA.*mulan.sourceforge.net"):
        load_benchmark("emotions")


def test_load_dataset_accepts_a_train_path(data_dir):
    train, test = load_dataset(data_dir / "emotions-train.arff")
    assert (train.n_samples, test.n_samples) == (391, 202)


def test_load_dataset_synthetic_needs_no_data_dir(monkeypatch):
    monkeypatch.delenv("MSDN_DATA", raising=False)
    train, test = load_dataset("synthetic")
    assert (train.n_samples, test.n_samples, train.n_features, train.n_labels) == (1000, 500, 20, 12)


# ------------------------------------------------------------------ ARFF fixtures


def test_meka_first_n_attributes_are_labels(fixtures_dir):
    ds = load_arff(fixtures_dir / "meka_first.arff")
    assert ds.label_names == ["lab_a", "lab_b"] and ds.feature_names == ["f1", "f2", "f3"]
    np.testing.assert_array_equal(ds.Y, [[1, 0], [0, 1], [1, 1]])
    np.testing.assert_array_equal(ds.X, [[0.5, 1.0, -2.0], [1.5, 2.0, 0.0], [-0.5, 0.25, 3.0]])


def test_meka_last_n_attributes_are_labels(fixtures_dir):
    first = load_arff(fixtures_dir / "meka_first.arff")
    last = load_arff(fixtures_dir / "meka_last.arff")  # same data, numeric labels at the end
    np.testing.assert_array_equal(last.X, first.X)
    np.testing.assert_array_equal(last.Y, first.Y)
    assert last.label_names == ["lab_a", "lab_b"]


def test_labels_argument_forms(fixtures_dir):
    path = fixtures_dir / "meka_last.arff"
    by_int = load_arff(path, labels=-2)
    by_names = load_arff(path, labels=["lab_b", "lab_a"])
    assert by_int.label_names == ["lab_a", "lab_b"]
    assert by_names.label_names == ["lab_b", "lab_a"]  # the list sets the label order
    np.testing.assert_array_equal(by_names.Y, by_int.Y[:, ::-1])
    with pytest.raises(DataError, match="-C 5 does not fit"):
        load_arff(path, labels=5)


def test_xml_wins_over_a_disagreeing_meka_option(fixtures_dir, capsys):
    ds = load_arff(fixtures_dir / "xml_vs_c.arff")  # xml_vs_c.xml found beside it
    assert ds.label_names == ["lab_a", "lab_b"]  # the XML's labels (not -C 1), in the file's order
    assert ds.feature_names == ["f1", "f2"]
    np.testing.assert_array_equal(ds.Y, [[1, 0], [0, 1]])
    assert "XML is authoritative" in capsys.readouterr().err


def test_sparse_rows(fixtures_dir):
    ds = load_arff(fixtures_dir / "sparse.arff")  # sparse.xml has nested <label>s
    assert ds.label_names == ["lab_a", "lab_b"]
    np.testing.assert_array_equal(ds.X, [[0, 1, 2.5, 0], [1, 0, 0, -1], [0, 0, 0, 0]])
    np.testing.assert_array_equal(ds.Y, [[0, 1], [1, 1], [0, 0]])


def test_nominal_one_hot_identifier_and_string_dropped(fixtures_dir, capsys):
    ds = load_arff(fixtures_dir / "nominal.arff")
    # Quoted names come back unquoted; loud {YES,NO} becomes two one-hot columns.
    assert ds.feature_names == ["my feature", "loud=YES", "loud=NO"]
    assert ds.label_names == ["is happy"]
    np.testing.assert_array_equal(ds.X[:, 1:], [[1, 0], [0, 1], [0, 1], [1, 0]])
    np.testing.assert_array_equal(ds.Y[:, 0], [1, 0, 1, 0])
    err = capsys.readouterr().err
    assert "'song id'" in err and "identifier" in err
    assert "string attribute 'comment'" in err


def test_crlf_and_comments_read_like_lf(fixtures_dir, tmp_path):
    text = (fixtures_dir / "nominal.arff").read_text()
    assert "%" in text
    crlf = tmp_path / "nominal.arff"
    crlf.write_bytes(text.replace("\n", "\r\n").encode())
    assert b"\r\n" in crlf.read_bytes()
    a, b = load_arff(fixtures_dir / "nominal.arff"), load_arff(crlf)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.Y, b.Y)
    assert a.feature_names == b.feature_names and a.label_names == b.label_names


def test_missing_feature_is_an_error_that_suggests_impute(fixtures_dir):
    with pytest.raises(DataError, match=r"'f1'.*row 2.*impute=\"mean\""):
        load_arff(fixtures_dir / "missing.arff")


def test_impute_mean(fixtures_dir):
    ds = load_arff(fixtures_dir / "missing.arff", impute="mean")
    assert ds.feature_names == ["f1", "f2", "color=red", "color=blue"]
    expected = [[1, 10, 1, 0], [3, 20, 0, 1], [3, 20, 2 / 3, 1 / 3], [5, 30, 1, 0]]
    np.testing.assert_allclose(ds.X, expected)


def test_missing_label_is_always_an_error(fixtures_dir):
    with pytest.raises(DataError, match="label 'lab'.*row 2"):
        load_arff(fixtures_dir / "missing_label.arff", impute="mean")


def test_non_binary_label_names_row_and_label(fixtures_dir):
    with pytest.raises(DataError, match="label 'lab_b' has value 2.0 in data row 3"):
        load_arff(fixtures_dir / "nonbinary.arff")


def test_xml_label_missing_from_arff(fixtures_dir):
    with pytest.raises(DataError, match="'no_such_label' listed in wrong_labels.xml is not an attribute"):
        load_arff(fixtures_dir / "meka_last.arff", labels=fixtures_dir / "wrong_labels.xml")


def test_no_label_information(fixtures_dir):
    with pytest.raises(DataError, match="cannot tell which attributes are labels"):
        load_arff(fixtures_dir / "nolabels.arff")


def test_nan_feature_names_column_and_row(fixtures_dir):
    with pytest.raises(DataError, match="'f2' is nan in data row 2"):
        load_arff(fixtures_dir / "nan.arff")


def test_train_test_mismatch(fixtures_dir):
    with pytest.raises(DataError, match="feature 1: 'f2' in train, 'f_other' in test"):
        load_dataset(fixtures_dir / "mismatch-train.arff")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.arff"):
        load_arff(tmp_path / "nope.arff")


def test_syntax_error_is_a_data_error(tmp_path):
    bad = tmp_path / "bad.arff"
    bad.write_text("@relation 'bad: -C -1'\n@attribute f numeric\n@attribute y {0,1}\n@data\n1.0,1\nabc,0\n")
    with pytest.raises(DataError, match="bad.arff: ARFF syntax error"):
        load_arff(bad)


# ------------------------------------------------------------------ Dataset and splits


def _toy(n: int = 10, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    Y = (rng.random((n, 4)) < 0.4).astype(np.uint8)
    return Dataset(X, Y, ["a", "b", "c"], ["p", "q", "r", "s"], "toy")


def test_dataset_properties():
    Y = np.array([[1, 0, 1, 0], [0, 0, 0, 1], [1, 1, 1, 1]])
    ds = Dataset(np.zeros((3, 2)), Y, ["a", "b"], ["p", "q", "r", "s"], "t")
    assert (ds.n_samples, ds.n_features, ds.n_labels) == (3, 2, 4)
    assert ds.label_cardinality == pytest.approx(7 / 3)
    assert ds.label_density == pytest.approx(7 / 12)


@pytest.mark.parametrize(
    "X, Y, fnames, lnames, message",
    [
        (np.zeros((3, 2)), np.zeros((2, 1)), ["a", "b"], ["p"], "3 rows but Y has 2"),
        (np.zeros((2, 2)), np.zeros((2, 1)), ["a"], ["p"], "1 feature names for 2"),
        (np.zeros((2, 2)), np.full((2, 1), 2), ["a", "b"], ["p"], "binary"),
        (np.array([[0.0, np.inf], [0, 0]]), np.zeros((2, 1)), ["a", "b"], ["p"], "'b' \\(column 1\\)"),
        (np.zeros((2, 2)), np.zeros((2, 2)), ["a", "b"], ["p", "p"], "'p' appears twice"),
    ],
)
def test_dataset_validation(X, Y, fnames, lnames, message):
    with pytest.raises(DataError, match=message):
        Dataset(X, Y, fnames, lnames, "t")


def test_dataset_does_not_modify_its_inputs():
    X = np.arange(6).reshape(3, 2)  # int
    ds = Dataset(X, np.ones((3, 1), dtype=np.int64), ["a", "b"], ["p"])
    ds.X[0, 0] = 99.0
    assert X[0, 0] == 0


def test_splits_are_seeded_disjoint_and_complete():
    ds = _toy(10)
    train, val = train_val_split(ds, 0.2, seed=1)
    assert (train.n_samples, val.n_samples) == (8, 2)
    rows = {tuple(r) for r in np.vstack([train.X, val.X])}
    assert rows == {tuple(r) for r in ds.X}
    again, _ = train_val_split(ds, 0.2, seed=1)
    other, _ = train_val_split(ds, 0.2, seed=2)
    np.testing.assert_array_equal(again.X, train.X)
    assert not np.array_equal(other.X, train.X)
    tr, te = train_test_split(ds, 0.3, seed=0)
    assert (tr.n_samples, te.n_samples) == (7, 3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        train_val_split(ds, 1.5)


def test_check_compatible_label_difference():
    a = _toy()
    b = Dataset(a.X, a.Y, a.feature_names, ["p", "q", "r", "zz"], "toy")
    check_compatible(a, a)
    with pytest.raises(DataError, match="label 3: 's' in train, 'zz' in test"):
        check_compatible(a, b)


# ------------------------------------------------------------------ Standardizer


def test_standardizer_fits_on_train_only_and_handles_constants():
    X_train = np.array([[1.0, 5.0, 0.1], [3.0, 5.0, 0.1], [5.0, 5.0, 0.1]])
    X_test = np.array([[3.0, 7.0, 0.1]])
    scaler = Standardizer().fit(X_train)
    np.testing.assert_allclose(scaler.mean_, [3.0, 5.0, 0.1])
    np.testing.assert_allclose(scaler.scale_, [np.sqrt(8 / 3), 1.0, 1.0])
    Z = scaler.transform(X_train)
    np.testing.assert_allclose(Z[:, 0].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, 0].std(), 1.0)
    np.testing.assert_array_equal(Z[:, 1:], 0.0)  # constant columns: 0, not NaN
    np.testing.assert_allclose(scaler.transform(X_test), [[0.0, 2.0, 0.0]])  # train statistics
    np.testing.assert_allclose(Standardizer().fit_transform(X_train), Z)


def test_standardizer_errors():
    with pytest.raises(ValueError, match="before fit"):
        Standardizer().transform(np.zeros((2, 2)))
    scaler = Standardizer().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="D=3 features but fit saw D=2"):
        scaler.transform(np.zeros((1, 3)))


# ------------------------------------------------------------------ label orders


@pytest.mark.parametrize("method", LABEL_ORDERS)
def test_label_order_round_trip(method):
    Y = (np.random.default_rng(0).random((50, 9)) < 0.3).astype(np.uint8)
    perm, inverse = label_order(Y, method, seed=3)
    assert sorted(perm.tolist()) == list(range(9))
    np.testing.assert_array_equal(Y[:, perm][:, inverse], Y)


def test_frequency_order_hand_case():
    # counts: 1, 3, 0, 3, 2 -> most frequent first, ties (labels 1 and 3) in file order
    Y = np.array([[1, 1, 0, 1, 1], [0, 1, 0, 1, 1], [0, 1, 0, 1, 0]])
    perm, _ = label_order(Y, "frequency")
    np.testing.assert_array_equal(perm, [1, 3, 4, 0, 2])
    np.testing.assert_array_equal(label_order(Y, "given")[0], np.arange(5))


def test_cooccurrence_groups_labels_that_occur_together():
    rng = np.random.default_rng(0)
    n = 400
    # Two blocks, {0, 3, 6} and {1, 4, 7}, whose labels switch on together; labels 2
    # and 5 are independent noise, label 8 never occurs.
    a, b = rng.random(n) < 0.4, rng.random(n) < 0.4
    Y = np.zeros((n, 9), dtype=np.uint8)
    for j in (0, 3, 6):
        Y[:, j] = a & (rng.random(n) < 0.95)
    for j in (1, 4, 7):
        Y[:, j] = b & (rng.random(n) < 0.95)
    Y[:, 2], Y[:, 5] = rng.random(n) < 0.3, rng.random(n) < 0.3
    perm, _ = label_order(Y, "cooccurrence")
    position = {label: i for i, label in enumerate(perm)}

    def span(block):
        return max(position[j] for j in block) - min(position[j] for j in block)

    assert span((0, 3, 6)) == 2 and span((1, 4, 7)) == 2  # each block contiguous
    assert perm[-1] == 8  # the never-occurring label goes last
    np.testing.assert_array_equal(label_order(Y, "cooccurrence")[0], perm)  # deterministic


def test_cooccurrence_disconnected_components():
    # {0, 2} always together, {1, 3} always together, 4 alone: no edge between blocks.
    Y = np.array([[1, 0, 1, 0, 0], [0, 1, 0, 1, 0], [0, 0, 0, 0, 1], [0, 1, 0, 1, 0]])
    perm, _ = label_order(Y, "cooccurrence")
    np.testing.assert_array_equal(perm, [0, 2, 1, 3, 4])


def test_random_order_is_seeded():
    Y = np.zeros((3, 20), dtype=np.uint8)
    a, _ = label_order(Y, "random", seed=1)
    b, _ = label_order(Y, "random", seed=1)
    c, _ = label_order(Y, "random", seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, np.arange(20))


def test_unknown_label_order():
    with pytest.raises(ValueError, match="given, frequency, cooccurrence, random"):
        label_order(np.zeros((2, 3)), "alphabetical")


# ------------------------------------------------------------------ summary


def test_summary_table():
    Y = np.array([[1, 1, 0], [1, 1, 1], [0, 0, 1]])
    train = Dataset(np.zeros((3, 2)), Y, ["a", "b"], ["p", "q", "r"], "toy")
    test = Dataset(np.zeros((1, 2)), [[1, 1, 0]], ["a", "b"], ["p", "q", "r"], "toy")
    text = summary_table(train, test)
    lines = text.splitlines()
    assert lines[0].split() == ["dataset", "toy"]
    assert "N (train / test)" in text and "3 / 1" in text
    assert any(line.startswith("D features") and line.endswith(" 2") for line in lines)
    assert any(line.startswith("L labels") and line.endswith(" 3") for line in lines)
    assert any("label cardinality" in line and line.endswith("2.00") for line in lines)
    assert any(line.startswith("distinct label sets") and line.endswith(" 3") for line in lines)
    assert lines[-3].split() == ["p", "+", "q", "3"]  # the most co-occurring pair first
    assert "N (train)" in summary_table(train)


def test_summary_table_of_a_benchmark(data_dir):
    train, test = load_benchmark("emotions", data_dir)
    text = summary_table(train, test)
    assert "391 / 202" in text and "72" in text and "1.87" in text


def test_xml_labels_keep_the_arff_attribute_order(data_dir):
    """yeast.xml lists its labels shuffled (Class1, Class2, Class3, Class6, ...): the
    'given' label order is the ARFF file's attribute order."""
    train, _ = load_benchmark("yeast", data_dir)
    assert train.label_names == [f"Class{i}" for i in range(1, 15)]
