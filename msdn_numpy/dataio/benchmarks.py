"""The benchmark registry: where the MULAN files are, their checksums, train/test pairs.

``load_dataset(spec)`` is the one entry point the CLI, the tutorials, the tests and the
benchmark use: a benchmark name (``"emotions"``), ``"synthetic"`` (the bundled dataset
with known label dependencies) or an ARFF path.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from msdn_numpy.dataio.arff_io import MAX_ARFF_BYTES, load_arff
from msdn_numpy.dataio.datasets import DataError, Dataset, _note, first_difference
from msdn_numpy.dataio.preprocessing import DEFAULT_TEST_FRACTION, train_test_split
from msdn_numpy.util.bundled import bundled
from msdn_numpy.util.inputs import read_input

#: The bundled synthetic datasets, loaded by name from DATA_DIR (``NAME-train.arff``,
#: ``NAME-test.arff``, ``NAME.xml``; written by :mod:`msdn_numpy.dataio.synthetic`).
SYNTHETIC_NAMES = ("synthetic", "synthetic-scales")
#: The bundled ``data/`` folder, home of the synthetic datasets: the repository's in a clone,
#: the copy inside the package in a wheel (:func:`msdn_numpy.util.bundled.bundled`).
DATA_DIR = bundled("data")

#: The MULAN benchmark files shipped with the package (standard splits, ``SHA256SUMS``).
BUNDLED_MULAN_DIR = DATA_DIR / "mulan"

#: The benchmarks in :data:`BUNDLED_MULAN_DIR` (``data/README.md`` describes each).
BUNDLED_BENCHMARKS = ("emotions", "yeast", "enron", "CAL500")

#: Where the MULAN benchmark files can be downloaded.
MULAN_URL = "https://mulan.sourceforge.net/datasets-mlc.html"

#: sha256 of the standard MULAN files (the same as ``data/mulan/SHA256SUMS``, a test
#: checks it). Kept in the code so that a folder cannot vouch for its own files.
#: A match means "this is the split the literature reports results on".
KNOWN_SHA256: dict[str, str] = {
    "CAL500.arff": "cfe6097ba5fd6e8584e54911ab9783dcab34e898446b7c9370c71d477eae56d3",
    "CAL500.xml": "877e128531268d7661faa3e44f7bb43cbcda829c0895e49879168775b192728c",
    "emotions-train.arff": "bbe704106c79bb8fb99c1d1d2e9bde081d6a2daeb01f100862f11fd91a3c1f98",
    "emotions-test.arff": "f13d4b746b7b5c8eb484bd751d6ac463d4560dff998a93516a5c1fe35daf6c8f",
    "emotions.xml": "b20042828c32a6ca0a871c10a298c1b7b17fd2c453e944c1673d9e9b9bda1e68",
    "enron-train.arff": "2988cefc1cdf7a8004a20ef84615cc8fa1b5d7434c16687283b41454e2d9d194",
    "enron-test.arff": "2f3aad54a8f54caaab4ab01246fe9dd385ba944a2633028f52747b57eac5474e",
    "enron.xml": "fe1374ff3352b22b1268af09ae6b1d6d1f68efca6f21a3a73fe1f1cde60aa448",
    "yeast-train.arff": "e759dc991ff54694a4ff9c4314f3be0d6fd2b1994a4b563f57e416394c6aebbd",
    "yeast-test.arff": "4aaac102bff9669a765bf0b378602e5cc8c3b181048282e2f003117b496d552a",
    "yeast.xml": "45fc49ccfd0e1a45788924f40577ac4c5b1b2cb12748b0f03339ed8cdeb9bf1d",
}


def _places(data_dir: str | Path | None) -> list[tuple[str, Path | None]]:
    """The three places of the data-folder rule, in order: ``(how it was given, folder or None)``."""
    env = os.environ.get("MSDN_DATA")
    return [
        ("--data-dir / data_dir=", Path(data_dir) if data_dir is not None and str(data_dir) != "" else None),
        ("$MSDN_DATA", Path(env) if env else None),
        ("the bundled folder", BUNDLED_MULAN_DIR),
    ]


def _places_text(data_dir: str | Path | None) -> str:
    """One line per place of the rule, with what was found there (for error messages)."""
    parts = []
    for how, folder in _places(data_dir):
        if folder is None:
            state = "not given"
        elif not folder.is_dir():
            state = f"{folder} (no such folder)"
        else:
            state = str(folder)
        parts.append(f"{how}: {state}")
    return "; ".join(parts)


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The folder of the MULAN benchmark files, by one rule used everywhere.

    1. ``data_dir`` (``--data-dir`` on the command line), if given;
    2. else the environment variable ``MSDN_DATA``, if set;
    3. else the folder bundled with the package, ``data/mulan`` (in a clone; inside the
       package in a wheel: :data:`BUNDLED_MULAN_DIR`).

    The first place that is *given* is the one used: a folder you name is never
    silently replaced by another. A named folder that does not exist is an error
    that lists all three places (also when the bundled folder is absent, as in a
    damaged installation).
    """
    for how, folder in _places(data_dir):
        if folder is None:
            continue
        if folder.is_dir():
            return folder
        raise FileNotFoundError(
            f"data folder {folder} ({how}) does not exist. The rule is --data-dir, else $MSDN_DATA, "
            f"else the bundled data/mulan; here: {_places_text(data_dir)}. Pass an existing folder with "
            f"--data-dir, or unset MSDN_DATA to use the bundled files; a bundled folder that is missing means a "
            f"damaged installation: reinstall msdn_numpy (MULAN files: {MULAN_URL})"
        )
    raise AssertionError("unreachable: the bundled folder is always a place")  # pragma: no cover


def _sha256(path: Path) -> str:
    return hashlib.sha256(read_input(path, MAX_ARFF_BYTES, "data file")).hexdigest()


def _verify_checksums(files: list[Path]) -> bool:
    """True when every file is a known MULAN file with the known sha256.

    A known file whose checksum differs gets a warning on stderr: it is not the
    standard split (or a damaged download; the parse catches truncation too).
    """
    all_known = True
    for f in files:
        expected = KNOWN_SHA256.get(f.name)
        if expected is None:
            all_known = False
        elif _sha256(f) != expected:
            all_known = False
            _note(
                f"warning: {f.name}: sha256 differs from the standard MULAN file, so this is "
                f"not the standard split and results are not comparable with published ones; "
                f"re-download it from {MULAN_URL} if you meant the standard one"
            )
    return all_known


def check_compatible(train: Dataset, test: Dataset) -> None:
    """Raise DataError unless train and test have the same features and labels, in order."""
    for kind, a, b in (
        ("feature", train.feature_names, test.feature_names),
        ("label", train.label_names, test.label_names),
    ):
        if a == b:
            continue
        i, left, right = first_difference(a, b)
        raise DataError(
            f"{train.name}: train and test differ at {kind} {i}: {left} in train, {right} in "
            f"test ({len(a)} vs {len(b)} {kind}s); both must come from the same dataset with "
            "the same attributes in the same order"
        )


def _refuse_same_file(train_path: Path, test_path: Path) -> None:
    """Raise DataError when the train and test files are one file (a link, or the same inode)."""
    try:
        same = os.path.samefile(train_path, test_path)
    except OSError:
        return  # a missing file is reported where it is read
    if same:
        raise DataError(
            f"{test_path} is the same file as {train_path} (a link, or the same inode): the test rows would be "
            "the training rows and every metric would be too good; put the held-out rows in the -test.arff"
        )


def load_benchmark(name: str, data_dir: str | Path | None = None) -> tuple[Dataset, Dataset]:
    """Load a MULAN benchmark's standard train/test split.

    Looks in the folder chosen by :func:`resolve_data_dir` (``data_dir``, else
    ``$MSDN_DATA``, else the bundled ``data/mulan``) for ``<name>-train.arff``,
    ``<name>-test.arff`` and ``<name>.xml``. A dataset shipped without a split
    (CAL500: only ``<name>.arff``) is split by
    ``train_test_split(ds, test_fraction=0.3, seed=0)``, and stderr says so. When the
    files match the known sha256 checksums, stderr says "standard MULAN split".

    Returns
    -------
    (train, test) : tuple of Dataset
        Same features and labels, in the same order (checked).
    """
    folder = resolve_data_dir(data_dir)
    train_path, test_path = folder / f"{name}-train.arff", folder / f"{name}-test.arff"
    whole_path, xml_path = folder / f"{name}.arff", folder / f"{name}.xml"
    labels = xml_path if xml_path.exists() else None  # None: fall back to MEKA -C

    if train_path.exists() and test_path.exists():
        _refuse_same_file(train_path, test_path)
        train, test = load_arff(train_path, labels), load_arff(test_path, labels)
        check_compatible(train, test)
        files = [train_path, test_path] + ([xml_path] if labels else [])
        if _verify_checksums(files):
            _note(f"{name}: standard MULAN split (sha256 verified)")
        return train, test
    if whole_path.exists():
        files = [whole_path] + ([xml_path] if labels else [])
        train, test = train_test_split(load_arff(whole_path, labels), DEFAULT_TEST_FRACTION, seed=0)
        verified = " (sha256 verified)" if _verify_checksums(files) else ""
        _note(
            f"{name}: standard MULAN file{verified} without a predefined split; "
            f"train_test_split(test_fraction={DEFAULT_TEST_FRACTION}, seed=0) gives "
            f"{train.n_samples} train / {test.n_samples} test rows"
        )
        return train, test
    raise FileNotFoundError(
        f"dataset {name!r} not found in {folder}: looked for {train_path.name} + "
        f"{test_path.name} (+ {xml_path.name}), or {whole_path.name}. Places (the first given is used): "
        f"{_places_text(data_dir)}. Check the name (bundled: {', '.join(BUNDLED_BENCHMARKS)}, "
        f"and {', '.join(repr(n) for n in SYNTHETIC_NAMES)}) "
        f"and the folder (MULAN files: {MULAN_URL})"
    )


def load_dataset(spec: str | Path, data_dir: str | Path | None = None) -> tuple[Dataset, Dataset]:
    """Load (train, test) from a benchmark name, ``"synthetic"`` or an ARFF path.

    Parameters
    ----------
    spec : str or Path
        * ``"synthetic"`` or ``"synthetic-scales"``: a dataset bundled in the package's
          ``data/`` folder (:data:`DATA_DIR`, :data:`SYNTHETIC_NAMES`);
        * a path ending in ``-train.arff``: it and its ``-test.arff`` sibling (refused when
          both name one file);
        * a path ending in ``-test.arff``: refused (it is a test split; pass the
          ``-train.arff``; ``msdn evaluate`` reads such a file whole);
        * another ``.arff`` path: that file, split by ``train_test_split(seed=0)``;
        * anything else: a benchmark name for :func:`load_benchmark`.
    data_dir : str or Path, optional
        Folder of the benchmark files (else ``$MSDN_DATA``, else the bundled
        ``data/mulan``: :func:`resolve_data_dir`).
    """
    if not isinstance(spec, (str, Path)) or str(spec) == "":
        raise TypeError(
            f"load_dataset: spec={spec!r}: pass a benchmark name (e.g. 'emotions'), 'synthetic' or an .arff path"
        )
    if data_dir is not None and not isinstance(data_dir, (str, Path)):
        raise TypeError(f"load_dataset: data_dir={data_dir!r}: pass a folder (str or Path), or None")
    if str(spec) in SYNTHETIC_NAMES:
        spec = DATA_DIR / f"{spec}-train.arff"
        if not spec.exists():
            raise FileNotFoundError(
                f"the bundled synthetic dataset is not in {DATA_DIR}, so this installation is damaged; "
                "reinstall msdn_numpy, or write the dataset with python -m msdn_numpy.dataio.synthetic "
                "--out DIR and pass DIR/synthetic-train.arff"
            )
    if not str(spec).lower().endswith(".arff"):
        return load_benchmark(str(spec), data_dir)
    path = Path(spec)
    if path.name.endswith("-test.arff"):
        train_path = path.with_name(path.name[: -len("-test.arff")] + "-train.arff")
        raise DataError(
            f"{path} is the test split of a dataset: splitting it again would train and test on parts of the "
            f"test rows; pass its training file {train_path.name} (its -test.arff is read beside it), or, to "
            "evaluate a model on this file alone, `msdn evaluate --model-file M.npz --dataset "
            f"{path}` (which uses every row)"
        )
    if path.name.endswith("-train.arff"):
        test_path = path.with_name(path.name[: -len("-train.arff")] + "-test.arff")
        if not test_path.exists():
            raise FileNotFoundError(f"{test_path} not found: a -train.arff file needs its -test.arff sibling")
        _refuse_same_file(path, test_path)
        train, test = load_arff(path), load_arff(test_path)
        check_compatible(train, test)
        return train, test
    train, test = train_test_split(load_arff(path), DEFAULT_TEST_FRACTION, seed=0)
    _note(f"{path.name}: no predefined split; train_test_split(test_fraction={DEFAULT_TEST_FRACTION}, seed=0)")
    return train, test
