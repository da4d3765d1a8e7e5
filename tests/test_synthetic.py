"""Tests for msdn_numpy.synthetic and the bundled data/ files it writes."""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy import synthetic
from msdn_numpy.datasets import DATA_DIR, load_arff, load_dataset
from msdn_numpy.synthetic import (
    DRIVER_NOISE,
    DRIVERS,
    FLIP_RATE,
    N_TEST,
    N_TRAIN,
    RULES,
    apply_rule,
    generate,
)

FILES = ("synthetic-train.arff", "synthetic-test.arff", "synthetic.xml")


@pytest.fixture(scope="module")
def bundled():
    """The committed train and test files, loaded like a user would."""
    return load_dataset("synthetic")


def test_generate_is_deterministic():
    a, b, c = generate(200, seed=5), generate(200, seed=5), generate(200, seed=6)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.Y, b.Y)
    assert not np.array_equal(a.X, c.X)


def test_regenerating_gives_byte_identical_files(tmp_path, capsys):
    synthetic.main(["--out", str(tmp_path), "--seed", "0"])
    assert "wrote" in capsys.readouterr().out
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name


def test_files_hold_what_generate_returns(bundled):
    train, test = bundled
    full = generate(N_TRAIN + N_TEST, seed=0)
    np.testing.assert_array_equal(np.vstack([train.X, test.X]), full.X)
    np.testing.assert_array_equal(np.vstack([train.Y, test.Y]), full.Y)


def test_sizes_as_documented(bundled):
    train, test = bundled
    assert (train.n_samples, test.n_samples) == (N_TRAIN, N_TEST) == (1000, 500)
    assert (train.n_features, train.n_labels) == (20, 12)
    assert train.label_names == [f"y{j:02d}" for j in range(12)]  # file order = rule order
    for name in FILES:
        assert (DATA_DIR / name).stat().st_size < 300_000


def test_label_statistics(bundled):
    Y = np.vstack([bundled[0].Y, bundled[1].Y])
    assert 2.0 <= Y.sum(axis=1).mean() <= 5.0
    frequency = Y.mean(axis=0)
    assert frequency.min() > 0.1 and frequency.max() < 0.9  # no label (nearly) constant


def test_rule_table_is_well_formed():
    assert [j for j, _, _ in RULES] == list(range(len(RULES)))
    distances = set()
    for j, rule, parents in RULES:
        if rule == "driver":
            assert j in DRIVERS and len(parents) == len(DRIVERS[j][0])
            assert np.isclose(np.linalg.norm(DRIVERS[j][0]), 1.0)
        else:
            assert all(p < j for p in parents)  # parents come earlier in the file
            distances |= {j - p for p in parents}
    assert distances == {1, 2, 4}


@pytest.mark.parametrize("j, rule, parents", [r for r in RULES if r[1] != "driver"])
def test_each_rule_holds_in_the_files_up_to_the_flip_rate(bundled, j, rule, parents):
    Y = np.vstack([bundled[0].Y, bundled[1].Y])
    violations = np.mean(apply_rule(rule, Y[:, list(parents)].T) != Y[:, j])
    # Binomial(1500, 0.02) has sd 0.0036: allow about 4 sd above the flip rate.
    assert violations <= FLIP_RATE + 0.015


@pytest.mark.parametrize("j", sorted(DRIVERS))
def test_each_driver_follows_its_features(bundled, j):
    X = np.vstack([bundled[0].X, bundled[1].X])
    Y = np.vstack([bundled[0].Y, bundled[1].Y])
    weights, threshold = DRIVERS[j]
    features = dict((k, p) for k, _, p in RULES)[j]
    noiseless = (X[:, list(features)] @ np.array(weights) > threshold).astype(np.uint8)
    # N(0, 0.1^2) noise on a N(0, 1) score pushes about 3% of rows across the threshold.
    assert DRIVER_NOISE == 0.1
    assert np.mean(noiseless == Y[:, j]) >= 0.94


def test_without_flips_rules_hold_exactly():
    ds = generate(300, seed=2, flip_rate=0.0)
    for j, rule, parents in RULES:
        if rule != "driver":
            np.testing.assert_array_equal(apply_rule(rule, ds.Y[:, list(parents)].T), ds.Y[:, j])


def test_apply_rule_truth_tables():
    a = np.array([0, 0, 1, 1])
    b = np.array([0, 1, 0, 1])
    c = np.array([1, 1, 0, 1])
    np.testing.assert_array_equal(apply_rule("and", [a, b]), [0, 0, 0, 1])
    np.testing.assert_array_equal(apply_rule("or", [a, b]), [0, 1, 1, 1])
    np.testing.assert_array_equal(apply_rule("xor", [a, b]), [0, 1, 1, 0])
    np.testing.assert_array_equal(apply_rule("majority", [a, b, c]), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="and, or, xor, majority"):
        apply_rule("nand", [a, b])


def test_xml_matches_the_meka_option():
    # The relation's '-C -12' agrees with synthetic.xml: both mark the last 12 attributes.
    by_xml = load_arff(DATA_DIR / "synthetic-test.arff")
    by_c = load_arff(DATA_DIR / "synthetic-test.arff", labels=-12)
    assert by_xml.label_names == by_c.label_names
    np.testing.assert_array_equal(by_xml.Y, by_c.Y)


def test_generate_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_samples"):
        generate(0)
    with pytest.raises(ValueError, match="flip_rate"):
        generate(10, flip_rate=0.7)
