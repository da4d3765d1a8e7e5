"""Tests for msdn_numpy.dataio.synthetic and the bundled data/ files it writes."""

from __future__ import annotations

import numpy as np
import pytest

from msdn_numpy.dataio import synthetic
from msdn_numpy.dataio.arff_io import load_arff
from msdn_numpy.dataio.benchmarks import DATA_DIR, load_dataset
from msdn_numpy.dataio.synthetic import (
    DRIVERS,
    FLIP_RATE,
    MARGIN,
    N_TEST,
    N_TRAIN,
    RULES,
    THRESHOLD,
    apply_rule,
    driver_scores,
    generate,
)

FILES = ("synthetic-train.arff", "synthetic-test.arff", "synthetic.xml")
SCALES_FILES = ("synthetic-scales-train.arff", "synthetic-scales-test.arff", "synthetic-scales.xml")


@pytest.fixture(scope="module")
def bundled():
    """The committed train and test files, loaded like a user would."""
    return load_dataset("synthetic")


@pytest.fixture(scope="module")
def both(bundled):
    """Train and test rows of the committed files together: (X, Y)."""
    return np.vstack([bundled[0].X, bundled[1].X]), np.vstack([bundled[0].Y, bundled[1].Y])


def test_generate_is_deterministic():
    a, b, c = generate(200, seed=5), generate(200, seed=5), generate(200, seed=6)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.Y, b.Y)
    assert not np.array_equal(a.X, c.X)


def test_fewer_rows_are_a_prefix_of_more_rows():
    short, long = generate(300, seed=3), generate(1200, seed=3)
    np.testing.assert_array_equal(short.X, long.X[:300])
    np.testing.assert_array_equal(short.Y, long.Y[:300])


def test_regenerating_gives_byte_identical_files(tmp_path, capsys):
    synthetic.main(["--out", str(tmp_path), "--seed", "0"])
    assert "wrote" in capsys.readouterr().out
    for name in FILES + SCALES_FILES:
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


def test_label_statistics(both):
    _, Y = both
    assert 2.0 <= Y.sum(axis=1).mean() <= 2.6  # README: cardinality 2.29
    frequency = Y.mean(axis=0)
    assert frequency.min() > 0.1 and frequency.max() < 0.4  # no label (nearly) constant


def test_rule_table_is_well_formed():
    assert [j for j, _, _ in RULES] == list(range(len(RULES)))
    distances = set()
    is_driver = {j: rule == "driver" for j, rule, _ in RULES}
    for j, rule, parents in RULES:
        if rule == "driver":
            assert j in DRIVERS and len(parents) == len(DRIVERS[j][0])
            assert np.isclose(np.linalg.norm(DRIVERS[j][0]), 1.0) and DRIVERS[j][1] == THRESHOLD
        else:
            assert rule == "xor" and len(parents) == 2
            left, right = sorted(parents)
            assert j - left == right - j  # one parent on each side, at the same distance
            assert all(is_driver[p] for p in parents)
            distances.add(j - left)
    assert distances == {1, 2}  # the scales of kernels 3 and 5
    drivers = [p for _, rule, p in RULES if rule == "driver"]
    for a, b in zip(drivers, drivers[1:]):
        assert len(set(a) & set(b)) == 1  # neighbouring drivers share one feature
    assert set().union(*drivers) == set(range(15))  # x15..x19 feed no label


@pytest.mark.parametrize("j, rule, parents", [r for r in RULES if r[1] != "driver"])
def test_each_rule_holds_in_the_files(both, j, rule, parents):
    _, Y = both
    assert FLIP_RATE == 0.0  # the bundled files are noise-free: the rules hold exactly
    np.testing.assert_array_equal(apply_rule(rule, Y[:, list(parents)].T), Y[:, j])


def test_each_driver_follows_its_features_with_a_margin(both):
    X, Y = both
    scores = driver_scores(X)
    drivers = [j for j, rule, _ in RULES if rule == "driver"]
    assert scores.shape == (len(X), len(drivers))
    assert np.all(np.abs(scores - THRESHOLD) >= MARGIN - 1e-9)  # no row near a threshold
    np.testing.assert_array_equal((scores > THRESHOLD).astype(np.uint8), Y[:, drivers])


def test_flip_rate_flips_only_rule_labels_and_keeps_X():
    clean, noisy = generate(2000, seed=2), generate(2000, seed=2, flip_rate=0.1)
    np.testing.assert_array_equal(clean.X, noisy.X)
    changed = (clean.Y != noisy.Y).mean(axis=0)
    for j, rule, _ in RULES:
        if rule == "driver":
            assert changed[j] == 0
        else:
            assert 0.07 < changed[j] < 0.13


def test_without_the_margin_features_are_plain_gaussian():
    ds = generate(3000, seed=4, margin=0.0)
    scores = driver_scores(ds.X)
    assert np.mean(np.abs(scores - THRESHOLD) < MARGIN) > 0.1  # rows near a threshold are kept
    assert abs(ds.X.mean()) < 0.02 and abs(ds.X.std() - 1) < 0.02


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
    with pytest.raises(ValueError, match="margin"):
        generate(10, margin=-0.1)


# -- synthetic-scales --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scales():
    return load_dataset("synthetic-scales")


def test_scales_generate_is_deterministic():
    a, b, c = (
        synthetic.generate_scales(300, seed=5),
        synthetic.generate_scales(300, seed=5),
        synthetic.generate_scales(300, seed=6),
    )
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.Y, b.Y)
    assert not np.array_equal(a.X, c.X)


def test_scales_files_hold_what_generate_returns(scales):
    train, test = scales
    full = synthetic.generate_scales(synthetic.SCALES_N_TRAIN + synthetic.SCALES_N_TEST, seed=0)
    np.testing.assert_array_equal(np.vstack([train.X, test.X]), full.X)
    np.testing.assert_array_equal(np.vstack([train.Y, test.Y]), full.Y)
    assert (train.n_samples, test.n_samples) == (400, 1000)
    assert (train.n_features, train.n_labels) == (28, 28)
    assert train.name == "synthetic-scales"


def test_scales_rules_hold_on_every_row(scales):
    """Drivers are the sign of their one feature (with the margin); rules the XOR of their parents."""
    X = np.vstack([scales[0].X, scales[1].X])
    Y = np.vstack([scales[0].Y, scales[1].Y])
    n_rules = {1: 0, 2: 0, 4: 0}
    for j, rule, parents in synthetic.SCALES_RULES:
        if rule == "driver":
            f = parents[0]
            np.testing.assert_array_equal(Y[:, j], (X[:, f] > 0).astype(np.uint8))
            assert np.abs(X[:, f]).min() >= synthetic.SCALES_MARGIN - 1e-4
        else:
            a, b = parents
            assert rule == "xor" and synthetic.SCALES_RULES[a][1] == synthetic.SCALES_RULES[b][1] == "driver"
            s = synthetic.scales_distance(j)
            assert (a, b) == (j - s, j + s)  # the same distance on either side, in the file order
            np.testing.assert_array_equal(Y[:, j], Y[:, a] ^ Y[:, b])
            n_rules[s] += 1
    assert n_rules == {1: 4, 2: 4, 4: 1}
    assert 0.4 < Y.mean() < 0.6  # every label is balanced (drivers by symmetry, XOR of two balanced bits)


def test_scales_loads_by_name_everywhere(tmp_path, scales):
    from msdn_numpy.tools.cli import main

    assert main(["info", "synthetic-scales"]) == 0
    out = tmp_path / "run.json"
    args = ["train", "--dataset", "synthetic-scales", "--epochs", "2", "--embedding", "label", "--label-order", "given"]
    assert main(args + ["--quiet", "--json", str(out)]) == 0
    import json

    record = json.loads(out.read_text())
    assert record["dataset"] == "synthetic-scales"
    assert (record["config"]["embedding"], record["config"]["label_order"]) == ("label", "given")
    assert record["config"]["D"] == record["config"]["L"] == 28
