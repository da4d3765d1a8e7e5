"""Tests for msdn_numpy.dataio.arff_io: ARFF reading with MULAN XML / MEKA -C labels."""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy.dataio.arff_io import load_arff
from msdn_numpy.dataio.benchmarks import load_dataset
from msdn_numpy.dataio.datasets import DataError

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
    with pytest.raises(DataError, match=r"bad.arff, line 6: ARFF syntax error \(Invalid numerical value\) in 'abc,0'"):
        load_arff(bad)
