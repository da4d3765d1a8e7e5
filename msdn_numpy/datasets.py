"""Multi-label datasets: reading ARFF files, splitting, standardising, ordering labels.

A multi-label dataset is a feature matrix ``X`` of shape ``(N, D)`` and a binary label
matrix ``Y`` of shape ``(N, L)``: ``Y[n, j] = 1`` when example ``n`` carries label ``j``.

Files come in the ARFF format (Weka's text format, dense or sparse rows), read with
``liac-arff``. ARFF itself does not say which attributes are labels; two conventions do:

* **MULAN**: an XML file beside the ARFF lists the label attributes by name
  (``<labels xmlns="http://mulan.sourceforge.net/labels"><label name="..."/>...``).
* **MEKA**: the relation name carries ``-C n``: ``n > 0`` means the *first* ``n``
  attributes are labels, ``n < 0`` the *last* ``|n|``.

When both are present and disagree, the XML wins (the MULAN README says the XML is
authoritative, and real MULAN files carry a stale ``-C``); a one-line note goes to stderr.

Everything that reads a file reports bad data as :class:`DataError` (a ``ValueError``)
with one message that names the problem and what to do about it.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import arff
import numpy as np
import scipy.linalg
from scipy.sparse.csgraph import connected_components

#: The repository's ``data/`` folder, home of the bundled synthetic dataset.
DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: Where the MULAN benchmark files can be downloaded.
MULAN_URL = "https://mulan.sourceforge.net/datasets-mlc.html"

#: sha256 of the standard MULAN files (from ``SHA256SUMS`` of the shared data folder).
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

#: The label orders :func:`label_order` knows.
LABEL_ORDERS = ("given", "frequency", "cooccurrence", "random")

#: Fraction of rows held out as test for datasets shipped without a split (CAL500).
DEFAULT_TEST_FRACTION = 0.3


class DataError(ValueError):
    """A dataset file or array is malformed; the message says what and how to fix it."""


def _note(message: str) -> None:
    """Print one informational line to stderr (stdout stays free for results)."""
    print(message, file=sys.stderr)


# --------------------------------------------------------------------------------------
# The Dataset container
# --------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """A multi-label dataset: features, binary labels and their names.

    Attributes
    ----------
    X : np.ndarray of float64, shape (N, D)
        Features, all finite.
    Y : np.ndarray of uint8, shape (N, L)
        Labels: ``Y[n, j] = 1`` when example ``n`` has label ``j``.
    feature_names : list of str, length D
    label_names : list of str, length L
        In label-axis order: the order MSDN's convolutions slide along.
    name : str
        Dataset name, e.g. ``"emotions"``.

    ``X`` and ``Y`` are converted (copied if needed) to float64 / uint8; the arrays
    passed in are never modified.
    """

    X: np.ndarray
    Y: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    name: str = "dataset"

    def __post_init__(self) -> None:
        X = np.asarray(self.X)
        Y = np.asarray(self.Y)
        if X.ndim != 2 or Y.ndim != 2:
            raise DataError(
                f"{self.name}: X must be 2-D (N, D) and Y 2-D (N, L), got X{X.shape} and "
                f"Y{Y.shape}; reshape them (one row per example)"
            )
        if X.shape[0] != Y.shape[0]:
            raise DataError(
                f"{self.name}: X has {X.shape[0]} rows but Y has {Y.shape[0]}; "
                "X and Y must hold one row per example, in the same order"
            )
        # L = 0 is allowed: features only, e.g. new data to predict (load_arff(..., labels=[]))
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise DataError(
                f"{self.name}: empty dataset (X{X.shape}, Y{Y.shape}); "
                "a dataset needs at least one example and one feature"
            )
        _check_names(self.name, "feature", self.feature_names, X.shape[1])
        _check_names(self.name, "label", self.label_names, Y.shape[1])
        if not np.isin(Y, (0, 1)).all():
            bad = sorted({float(v) for v in np.unique(Y) if v not in (0, 1)})[:3]
            raise DataError(
                f"{self.name}: Y must be binary (0/1), found values {bad}; threshold or binarise the labels first"
            )
        X = X.astype(np.float64)  # astype copies, so the caller's array is untouched
        finite = np.isfinite(X)
        if not finite.all():
            row, col = np.argwhere(~finite)[0]
            raise DataError(
                f"{self.name}: feature {self.feature_names[col]!r} (column {col}) is "
                f"{X[row, col]} in row {row}; remove or impute non-finite values first"
            )
        self.X = X
        self.Y = Y.astype(np.uint8)
        self.feature_names = [str(s) for s in self.feature_names]
        self.label_names = [str(s) for s in self.label_names]

    @property
    def n_samples(self) -> int:
        """N, the number of examples."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """D, the number of features."""
        return int(self.X.shape[1])

    @property
    def n_labels(self) -> int:
        """L, the number of labels."""
        return int(self.Y.shape[1])

    @property
    def label_cardinality(self) -> float:
        """Mean number of labels per example: ``Y.sum() / N``."""
        return float(self.Y.sum(axis=1).mean())

    @property
    def label_density(self) -> float:
        """Label cardinality divided by L: the fraction of ones in ``Y`` (0 when L = 0)."""
        return self.label_cardinality / self.n_labels if self.n_labels else 0.0


def _check_names(dataset: str, kind: str, names: list[str], expected: int) -> None:
    """Raise DataError unless ``names`` has ``expected`` distinct entries."""
    if len(names) != expected:
        raise DataError(
            f"{dataset}: {len(names)} {kind} names for {expected} {kind} columns; give exactly one name per {kind}"
        )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"{dataset}: {kind} name {name!r} appears twice; {kind} names must be unique")
        seen.add(name)


# --------------------------------------------------------------------------------------
# Reading ARFF files
# --------------------------------------------------------------------------------------


def _dataset_name(path: Path) -> str:
    """``emotions-train.arff`` -> ``emotions`` (the stem without ``-train``/``-test``)."""
    return re.sub(r"-(train|test)$", "", path.stem)


def _xml_beside(path: Path) -> Path | None:
    """The MULAN XML for an ARFF file: ``<stem>.xml``, or ``<name>.xml`` for split files."""
    for candidate in (path.with_suffix(".xml"), path.with_name(_dataset_name(path) + ".xml")):
        if candidate.exists():
            return candidate
    return None


def read_mulan_xml(path: str | Path) -> list[str]:
    """Label names from a MULAN XML file, in document order.

    Every ``<label name="...">`` element counts, at any depth (hierarchical label files
    nest them), with or without the MULAN namespace.

    Parameters
    ----------
    path : str or Path
        The ``.xml`` file.

    Returns
    -------
    list of str, length L
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"label file {path} not found; pass the MULAN XML that belongs to the ARFF file")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataError(f"{path.name}: not valid XML ({exc}); re-download or repair the label file") from exc
    # Tags look like '{http://mulan.sourceforge.net/labels}label'; compare the local part.
    names = [el.get("name") for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "label"]
    if not names or any(n is None for n in names):
        raise DataError(
            f'{path.name}: expected <label name="..."> elements, found '
            f"{'none' if not names else 'a <label> without a name'}; check that this is a MULAN label file"
        )
    return [str(n) for n in names]


def _meka_c(relation: str) -> int | None:
    """The ``n`` of a MEKA ``-C n`` option in a relation name, or None."""
    match = re.search(r"-C\s+(-?\d+)", relation)
    return int(match.group(1)) if match else None


def _meka_label_indices(n: int, n_attributes: int, where: str) -> list[int]:
    """Attribute indices of the labels under MEKA ``-C n`` (first n, or last |n|)."""
    if n == 0 or abs(n) >= n_attributes:
        raise DataError(
            f"{where}: -C {n} does not fit {n_attributes} attributes; use n > 0 for the "
            f"first n attributes or n < 0 for the last |n| (leaving at least one feature)"
        )
    return list(range(n)) if n > 0 else list(range(n_attributes + n, n_attributes))


def _label_indices(
    labels: str | Path | list[str] | int | None,
    attr_names: list[str],
    relation: str,
    path: Path,
) -> list[int]:
    """Resolve the ``labels`` argument of :func:`load_arff` to attribute indices."""
    if isinstance(labels, bool) or not isinstance(labels, (str, Path, list, tuple, int, type(None))):
        raise ValueError(
            f"labels={labels!r} is not understood; pass a MULAN XML path, a list of label "
            "names, an int n (MEKA -C n) or None (look for the XML beside the file)"
        )
    if isinstance(labels, int):
        return _meka_label_indices(labels, len(attr_names), f"{path.name}: labels={labels}")
    if isinstance(labels, str) and not labels.lower().endswith(".xml"):
        raise ValueError(
            f"labels={labels!r}: a string must be the path of a MULAN .xml file; "
            'pass label names as a list, e.g. labels=["a", "b"]'
        )

    source: str
    if isinstance(labels, (list, tuple)):
        names, source = list(labels), "the labels list"
    else:
        xml = Path(labels) if labels is not None else _xml_beside(path)
        if xml is None:  # no XML beside the file: fall back to MEKA -C
            n = _meka_c(relation)
            if n is None:
                raise DataError(
                    f"{path.name}: cannot tell which attributes are labels: no "
                    f"{_dataset_name(path)}.xml beside it and no '-C n' in @relation "
                    f"{relation!r}; pass labels= (an XML path, a list of names, or an int n)"
                )
            return _meka_label_indices(n, len(attr_names), f"{path.name}: @relation {relation!r}")
        names, source = read_mulan_xml(xml), xml.name

    position = {name: i for i, name in enumerate(attr_names)}
    for name in names:
        if name not in position:
            raise DataError(
                f"{path.name}: label {name!r} listed in {source} is not an attribute of the "
                "ARFF file; check that the label list belongs to this dataset"
            )
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise DataError(f"{path.name}: label {dup!r} is listed twice in {source}; list each label once")
    indices = [position[name] for name in names]
    if not isinstance(labels, (list, tuple)):
        # An XML file says WHICH attributes are labels; their order stays the ARFF file's
        # attribute order, the "given" label order (yeast.xml lists its labels shuffled).
        # An explicit list of names is the caller's choice of order and is kept.
        indices.sort()

    n = _meka_c(relation)
    if labels is None or isinstance(labels, (str, Path)):
        if n is not None and abs(n) < len(attr_names):
            if set(_meka_label_indices(n, len(attr_names), path.name)) != set(indices):
                _note(
                    f"note: {path.name}: @relation says '-C {n}' but {source} lists "
                    f"{len(indices)} labels; using {source} (the XML is authoritative)"
                )
    return indices


def _read_arff_text(path: Path) -> dict:
    """Parse an ARFF file with liac-arff; rows come back dense (sparse rows expanded).

    ``DENSE_GEN`` accepts both dense rows and sparse ``{index value, ...}`` rows;
    values left out of a sparse row are 0 (numeric) or the first declared value
    (nominal), as in Weka. ``?`` becomes None.
    """
    if not path.exists():
        raise FileNotFoundError(f"ARFF file {path} not found; check the path (and --data-dir / MSDN_DATA)")
    # Normalise CRLF and lone CR so every line ends in '\n' before liac-arff sees it.
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    decoder = arff.ArffDecoder()
    try:
        parsed = decoder.decode(text, return_type=arff.DENSE_GEN)
        rows = list(parsed["data"])
    except arff.ArffException as exc:
        # Rows are decoded lazily, so set the file line the decoder had reached.
        if getattr(exc, "line", -1) == -1:
            exc.line = getattr(decoder, "_current_line", -1)
        raise DataError(f"{path.name}: ARFF syntax error: {exc} Fix that line of the file.") from exc
    if not rows:
        raise DataError(f"{path.name}: the @data section has no rows; the file is empty or truncated")
    parsed["data"] = rows
    return parsed


def _first_row(mask: np.ndarray) -> int:
    """1-based number of the first True entry (a data row number for messages)."""
    return int(np.flatnonzero(mask)[0]) + 1


def _label_column(values: np.ndarray, name: str, fname: str) -> np.ndarray:
    """Turn one label attribute's cells (0/1, numeric or nominal) into uint8, shape (N,)."""
    to01 = {0: 0, 1: 1, "0": 0, "1": 1}  # 0.0 and 1.0 hash like 0 and 1
    out = np.zeros(len(values), dtype=np.uint8)
    for i, v in enumerate(values):
        if v is None:
            raise DataError(
                f"{fname}: label {name!r} is missing ('?') in data row {i + 1}; missing labels "
                "cannot be imputed: remove that row or fix the file"
            )
        try:
            out[i] = to01[v]
        except (KeyError, TypeError):
            raise DataError(
                f"{fname}: label {name!r} has value {v!r} in data row {i + 1}; labels must be "
                "0 or 1: check that the label list (XML or -C) marks the right attributes"
            ) from None
    return out


def _numeric_column(values: np.ndarray, name: str, fname: str) -> np.ndarray:
    """One numeric attribute as float64, shape (N,), with NaN where the file has ``?``."""
    missing = np.equal(values, None)
    column = np.where(missing, np.nan, values).astype(np.float64)
    bad = ~np.isfinite(column) & ~missing
    if bad.any():
        row = _first_row(bad)
        raise DataError(
            f"{fname}: feature {name!r} is {column[row - 1]} in data row {row}; write missing "
            "values as '?' (and load with impute=\"mean\") or fix the file"
        )
    return column


def _feature_columns(
    values: np.ndarray, name: str, kind: str | list[str], fname: str
) -> tuple[list[np.ndarray], list[str]]:
    """Encode one feature attribute as columns of shape (N,) and their names.

    numeric -> itself; nominal {0,1} -> one 0/1 column (already an indicator);
    other nominal -> one-hot, ``attr=value``; identifiers and strings -> dropped.
    Missing cells become NaN in every column they produce.
    """
    n_rows = len(values)
    if isinstance(kind, str):
        if kind.upper() == "STRING":
            _note(f"note: {fname}: dropping string attribute {name!r} (free text is not a feature)")
            return [], []
        return [_numeric_column(values, name, fname)], [name]

    missing = np.equal(values, None)
    if sorted(kind) == ["0", "1"]:
        return [np.where(missing, np.nan, np.equal(values, "1")).astype(np.float64)], [name]
    if len(kind) > n_rows / 2:
        # Almost one value per row: a name or id, which one-hot would turn into noise.
        _note(
            f"note: {fname}: dropping nominal attribute {name!r} ({len(kind)} values for "
            f"{n_rows} rows: looks like an identifier)"
        )
        return [], []
    columns = [np.where(missing, np.nan, np.equal(values, v)).astype(np.float64) for v in kind]
    return columns, [f"{name}={v}" for v in kind]


def _impute(X: np.ndarray, names: list[str], impute: str | None, fname: str) -> np.ndarray:
    """Fill NaN (from ``?``) with column means, or raise if ``impute`` is None."""
    missing = np.isnan(X)
    if not missing.any():
        return X
    if impute is None:
        row, col = np.argwhere(missing)[0]
        raise DataError(
            f"{fname}: feature {names[col]!r} is missing ('?') in data row {row + 1} "
            f'({int(missing.sum())} missing cells in all); pass impute="mean" to fill '
            "missing features with the column mean, or fix the file"
        )
    empty = missing.all(axis=0)
    if empty.any():
        raise DataError(
            f"{fname}: feature {names[int(np.flatnonzero(empty)[0])]!r} is missing in every "
            "row, so it has no mean; remove that attribute from the file"
        )
    # A one-hot feature's mean is the category frequency: a soft 'unknown' category.
    return np.where(missing, np.nanmean(X, axis=0), X)


def load_arff(
    path: str | Path,
    labels: str | Path | list[str] | int | None = None,
    *,
    impute: str | None = None,
) -> Dataset:
    """Read a multi-label ARFF file (dense or sparse) into a :class:`Dataset`.

    Parameters
    ----------
    path : str or Path
        The ``.arff`` file. ``%`` comments and CRLF line endings are fine.
    labels : str, Path, list of str, int or None
        Which attributes are labels. Their order (the "given" label order) is the
        ARFF file's attribute order, except for an explicit list, whose order is kept:

        * a path to a MULAN ``.xml`` file: its ``<label name>`` elements (real XML
          files may list them in another order than the ARFF; the ARFF's wins);
        * a list of attribute names, in the order wanted;
        * ``[]``: no labels, features only (``Y`` has shape ``(N, 0)``; for prediction);
        * an int ``n`` (MEKA ``-C n``): the first ``n`` attributes if ``n > 0``,
          the last ``|n|`` if ``n < 0``;
        * None: ``<stem>.xml`` beside the file (for ``<name>-train.arff`` /
          ``<name>-test.arff`` also ``<name>.xml``), else ``-C n`` in ``@relation``.
    impute : {None, "mean"}
        None: a missing feature value (``?``) is an error. ``"mean"``: fill it with
        the column mean over the file's rows. Missing labels are always an error.

    Returns
    -------
    Dataset
        ``X`` (N, D) float64 and ``Y`` (N, L) uint8; ``name`` is the file stem
        without ``-train`` / ``-test``.

    Notes
    -----
    Features: numeric attributes as they are; a nominal attribute declared ``{0,1}``
    as one 0/1 column (enron's word features are declared so); any other nominal
    attribute one-hot, one column ``attr=value`` per declared value; string attributes
    and identifier-like nominals (more declared values than half the rows) are
    dropped with a one-line note on stderr. Labels must be 0/1 (numeric or nominal).
    """
    path = Path(path)
    if impute not in (None, "mean"):
        raise ValueError(f'impute={impute!r} is not supported; use impute=None or impute="mean"')
    parsed = _read_arff_text(path)
    attributes: list[tuple[str, str | list[str]]] = parsed["attributes"]
    attr_names = [name for name, _ in attributes]
    table = np.empty((len(parsed["data"]), len(attributes)), dtype=object)
    table[:] = parsed["data"]  # (N, A) cells: float, str or None

    label_idx = _label_indices(labels, attr_names, parsed["relation"], path)
    Y = np.zeros((len(table), 0), dtype=np.uint8)  # labels=[]: features only (for prediction)
    if label_idx:
        Y = np.stack([_label_column(table[:, j], attr_names[j], path.name) for j in label_idx], axis=1)

    is_label = set(label_idx)
    columns: list[np.ndarray] = []
    feature_names: list[str] = []
    for j, (name, kind) in enumerate(attributes):
        if j not in is_label:
            cols, names = _feature_columns(table[:, j], name, kind, path.name)
            columns += cols
            feature_names += names
    if not columns:
        raise DataError(f"{path.name}: no feature attributes left besides the labels; check the label list")
    X = _impute(np.stack(columns, axis=1), feature_names, impute, path.name)
    return Dataset(X, Y, feature_names, [attr_names[j] for j in label_idx], _dataset_name(path))


# --------------------------------------------------------------------------------------
# Benchmarks: locating files, checksums, train/test pairs
# --------------------------------------------------------------------------------------


def _resolve_data_dir(data_dir: str | Path | None) -> Path:
    """``data_dir``, else ``$MSDN_DATA``, else a clear error."""
    value = data_dir if data_dir is not None else os.environ.get("MSDN_DATA")
    if not value:
        raise FileNotFoundError(
            "no data folder given: pass --data-dir (data_dir=) or set MSDN_DATA to the folder "
            f"holding the MULAN files (download them from the MULAN dataset page, {MULAN_URL}); "
            "the bundled 'synthetic' dataset needs no download"
        )
    folder = Path(value)
    if not folder.is_dir():
        raise FileNotFoundError(f"data folder {folder} does not exist; check --data-dir / MSDN_DATA")
    return folder


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
        i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        left = repr(a[i]) if i < len(a) else "nothing"
        right = repr(b[i]) if i < len(b) else "nothing"
        raise DataError(
            f"{train.name}: train and test differ at {kind} {i}: {left} in train, {right} in "
            f"test ({len(a)} vs {len(b)} {kind}s); both must come from the same dataset with "
            "the same attributes in the same order"
        )


def load_benchmark(name: str, data_dir: str | Path | None = None) -> tuple[Dataset, Dataset]:
    """Load a MULAN benchmark's standard train/test split.

    Looks in ``data_dir`` (else ``$MSDN_DATA``) for ``<name>-train.arff``,
    ``<name>-test.arff`` and ``<name>.xml``. A dataset shipped without a split
    (CAL500: only ``<name>.arff``) is split by
    ``train_test_split(ds, test_fraction=0.3, seed=0)``, and stderr says so. When the
    files match the known sha256 checksums, stderr says "standard MULAN split".

    Returns
    -------
    (train, test) : tuple of Dataset
        Same features and labels, in the same order (checked).
    """
    folder = _resolve_data_dir(data_dir)
    train_path, test_path = folder / f"{name}-train.arff", folder / f"{name}-test.arff"
    whole_path, xml_path = folder / f"{name}.arff", folder / f"{name}.xml"
    labels = xml_path if xml_path.exists() else None  # None: fall back to MEKA -C

    if train_path.exists() and test_path.exists():
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
        f"{test_path.name} (+ {xml_path.name}), or {whole_path.name}; check the name and "
        f"--data-dir / MSDN_DATA (MULAN files: {MULAN_URL})"
    )


def load_dataset(spec: str | Path, data_dir: str | Path | None = None) -> tuple[Dataset, Dataset]:
    """Load (train, test) from a benchmark name, ``"synthetic"`` or an ARFF path.

    Parameters
    ----------
    spec : str or Path
        * ``"synthetic"``: the dataset bundled in the repository's ``data/`` folder;
        * a path ending in ``-train.arff``: it and its ``-test.arff`` sibling;
        * another ``.arff`` path: that file, split by ``train_test_split(seed=0)``;
        * anything else: a benchmark name for :func:`load_benchmark`.
    data_dir : str or Path, optional
        Folder of the benchmark files (else ``$MSDN_DATA``).
    """
    if str(spec) == "synthetic":
        spec = DATA_DIR / "synthetic-train.arff"
        if not spec.exists():
            raise FileNotFoundError(
                f"the bundled synthetic dataset is not in {DATA_DIR}; install msdn_numpy from its "
                "repository with pip install -e ., or write it with python -m msdn_numpy.synthetic "
                "--out DIR and pass DIR/synthetic-train.arff"
            )
    if not str(spec).lower().endswith(".arff"):
        return load_benchmark(str(spec), data_dir)
    path = Path(spec)
    if path.name.endswith("-train.arff"):
        test_path = path.with_name(path.name[: -len("-train.arff")] + "-test.arff")
        if not test_path.exists():
            raise FileNotFoundError(f"{test_path} not found: a -train.arff file needs its -test.arff sibling")
        train, test = load_arff(path), load_arff(test_path)
        check_compatible(train, test)
        return train, test
    train, test = train_test_split(load_arff(path), DEFAULT_TEST_FRACTION, seed=0)
    _note(f"{path.name}: no predefined split; train_test_split(test_fraction={DEFAULT_TEST_FRACTION}, seed=0)")
    return train, test


# --------------------------------------------------------------------------------------
# Splitting and standardising
# --------------------------------------------------------------------------------------


def _subset(ds: Dataset, rows: np.ndarray) -> Dataset:
    """The rows ``rows`` of ``ds`` as a new Dataset (arrays copied by fancy indexing)."""
    return Dataset(ds.X[rows], ds.Y[rows], list(ds.feature_names), list(ds.label_names), ds.name)


def _split(ds: Dataset, fraction: float, seed: int, what: str) -> tuple[Dataset, Dataset]:
    """Seeded random split: ``round(fraction * N)`` rows go to the second part."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"{what}={fraction} must be strictly between 0 and 1, e.g. 0.2")
    n_held = int(round(fraction * ds.n_samples))
    if not 0 < n_held < ds.n_samples:
        raise ValueError(
            f"{what}={fraction} of {ds.n_samples} rows leaves an empty part; use more rows or another fraction"
        )
    perm = np.random.default_rng(seed).permutation(ds.n_samples)
    # Sorting keeps each part in file order, which makes the parts easy to inspect.
    return _subset(ds, np.sort(perm[n_held:])), _subset(ds, np.sort(perm[:n_held]))


def train_val_split(ds: Dataset, val_fraction: float = 0.2, seed: int = 0) -> tuple[Dataset, Dataset]:
    """Hold out a seeded random ``val_fraction`` of the rows for validation.

    Returns ``(train, val)`` with ``round(val_fraction * N)`` rows in ``val``.
    Use it on the training set only: the test set is never used for tuning.
    """
    return _split(ds, val_fraction, seed, "val_fraction")


def train_test_split(
    ds: Dataset, test_fraction: float = DEFAULT_TEST_FRACTION, seed: int = 0
) -> tuple[Dataset, Dataset]:
    """Split a dataset shipped without a split: ``(train, test)``, seeded.

    ``round(test_fraction * N)`` rows (chosen by ``default_rng(seed).permutation``)
    go to ``test``; both parts keep the file's row order.
    """
    return _split(ds, test_fraction, seed, "test_fraction")


class Standardizer:
    """Feature standardisation ``(X - mean_) / scale_``, fitted on training rows only.

    Attributes
    ----------
    mean_ : np.ndarray, shape (D,)
        Column means of the fitted X.
    scale_ : np.ndarray, shape (D,)
        Column standard deviations; 1 for constant columns, which therefore map to 0
        instead of NaN.
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, X: np.ndarray) -> Standardizer:
        """Learn ``mean_`` and ``scale_`` from X of shape (N, D); returns self."""
        X = _as_matrix(X, "Standardizer.fit")
        constant = X.max(axis=0) == X.min(axis=0)
        # Exact test for constant columns: their float std may be 1e-17 instead of 0.
        self.mean_ = np.where(constant, X[0], X.mean(axis=0))
        self.scale_ = np.where(constant, 1.0, X.std(axis=0))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return ``(X - mean_) / scale_``, shape (N, D); X is not modified."""
        if self.mean_ is None or self.scale_ is None:
            raise ValueError("Standardizer.transform called before fit; call fit(X_train) first")
        X = _as_matrix(X, "Standardizer.transform")
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(
                f"Standardizer.transform: X has D={X.shape[1]} features but fit saw "
                f"D={self.mean_.shape[0]}; transform data with the same features as the training set"
            )
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``; shape (N, D)."""
        return self.fit(X).transform(X)


def _as_matrix(X: np.ndarray, where: str) -> np.ndarray:
    """X as a float64 (N, D) array with N >= 1, or a clear error."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{where}: X must have shape (N, D) with N >= 1, got {X.shape}")
    return X


# --------------------------------------------------------------------------------------
# Label orders (the label axis MSDN convolves along)
# --------------------------------------------------------------------------------------


def cooccurrence_similarity(Y: np.ndarray) -> np.ndarray:
    """Cosine similarity of label columns, zero diagonal; shape (L, L).

    ``S[i, j] = C[i, j] / sqrt(C[i, i] C[j, j])`` with ``C = Y^T Y`` (co-occurrence
    counts). Cosine rather than raw counts, so that two frequent labels are not
    "similar" merely because both are frequent. Labels that never occur get 0.
    """
    Y = np.asarray(Y, dtype=np.float64)
    C = Y.T @ Y
    counts = np.diag(C).copy()
    norm = np.sqrt(np.outer(counts, counts))
    S = np.divide(C, norm, out=np.zeros_like(C), where=norm > 0)
    np.fill_diagonal(S, 0.0)
    return S


def _fiedler_order(S: np.ndarray) -> np.ndarray:
    """Order the nodes of one connected similarity graph by its Fiedler vector.

    Laplacian ``Lap = diag(S.sum(1)) - S``; the eigenvector of its second-smallest
    eigenvalue places strongly linked nodes close together (spectral seriation,
    Atkins, Boman & Hendrickson 1998). Its sign is arbitrary, so we flip it to make
    the first node with a non-zero entry negative: node order decides, not LAPACK.
    """
    n = S.shape[0]
    if n <= 2:
        return np.arange(n)
    laplacian = np.diag(S.sum(axis=1)) - S
    _, vectors = scipy.linalg.eigh(laplacian)
    fiedler = np.round(vectors[:, 1], 12)  # rounding: ties stay ties across platforms
    nonzero = np.flatnonzero(fiedler)
    if nonzero.size and fiedler[nonzero[0]] > 0:
        fiedler = -fiedler
    return np.argsort(fiedler, kind="stable")


def _cooccurrence_order(Y: np.ndarray) -> np.ndarray:
    """Spectral seriation of the label co-occurrence graph, shape (L,).

    Each connected component is ordered by its own Fiedler vector (a disconnected
    graph's Fiedler vector is not unique); components follow each other largest
    first, ties by their smallest label index; labels that co-occur with no other
    label (including labels that never occur) come last, in file order.
    """
    S = cooccurrence_similarity(Y)
    n_comp, comp = connected_components(S > 0, directed=False)
    blocks = [np.flatnonzero(comp == c) for c in range(n_comp)]  # each block sorted
    linked = sorted((b for b in blocks if len(b) > 1), key=lambda b: (-len(b), b[0]))
    alone = np.array(sorted(b[0] for b in blocks if len(b) == 1), dtype=int)
    pieces = [b[_fiedler_order(S[np.ix_(b, b)])] for b in linked] + [alone]
    return np.concatenate(pieces).astype(int)


def label_order(Y: np.ndarray, method: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A permutation of the label axis, and its inverse.

    Parameters
    ----------
    Y : np.ndarray, shape (N, L)
        Training labels (0/1).
    method : {"given", "frequency", "cooccurrence", "random"}
        * ``given``: the file order (identity);
        * ``frequency``: most frequent label first, ties in file order;
        * ``cooccurrence``: spectral seriation of the cosine co-occurrence graph
          (see :func:`cooccurrence_similarity`), so that labels that occur together
          sit next to each other, where MSDN's small kernels can relate them;
        * ``random``: ``default_rng(seed).permutation(L)`` (for ablations).
    seed : int
        Used by ``random`` only.

    Returns
    -------
    perm : np.ndarray of int, shape (L,)
        ``Y[:, perm]`` is the reordered label matrix.
    inverse : np.ndarray of int, shape (L,)
        ``Y[:, perm][:, inverse]`` equals ``Y``: maps predictions back to file order.
    """
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError(f"label_order: Y must have shape (N, L), got {Y.shape}")
    n_labels = Y.shape[1]
    if method == "given":
        perm = np.arange(n_labels)
    elif method == "frequency":
        perm = np.argsort(-Y.sum(axis=0), kind="stable")
    elif method == "cooccurrence":
        perm = _cooccurrence_order(Y)
    elif method == "random":
        perm = np.random.default_rng(seed).permutation(n_labels)
    else:
        raise ValueError(f"unknown label order {method!r}; choose one of {', '.join(LABEL_ORDERS)}")
    perm = perm.astype(int)
    return perm, np.argsort(perm)


# --------------------------------------------------------------------------------------
# A printable summary (``msdn info``)
# --------------------------------------------------------------------------------------


def top_cooccurring_pairs(Y: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The ``k`` label pairs that occur together most often.

    Returns a list of ``(i, j, count)`` with ``i < j``, count ``= sum_n Y[n,i] Y[n,j]``,
    sorted by count (descending), ties by ``(i, j)``; pairs with count 0 are left out.
    """
    C = np.asarray(Y, dtype=np.int64).T @ np.asarray(Y, dtype=np.int64)
    i, j = np.triu_indices(C.shape[0], k=1)
    counts = C[i, j]
    order = np.lexsort((j, i, -counts))[:k]
    return [(int(i[o]), int(j[o]), int(counts[o])) for o in order if counts[o] > 0]


def summary_table(train: Dataset, test: Dataset | None = None) -> str:
    """A plain-text description of a dataset, for ``msdn info``.

    Shows N (train / test), D, L, label cardinality and density, the number of distinct
    label sets and the 5 most co-occurring label pairs. Label statistics are computed
    over train and test together when a test set is given.
    """
    Y = train.Y if test is None else np.vstack([train.Y, test.Y])
    both = "train+test" if test is not None else "train"
    n_text = f"{train.n_samples}" if test is None else f"{train.n_samples} / {test.n_samples}"
    rows = [
        ("dataset", train.name),
        ("N (train / test)" if test is not None else "N (train)", n_text),
        ("D features", str(train.n_features)),
        ("L labels", str(train.n_labels)),
        (f"label cardinality ({both})", f"{Y.sum(axis=1).mean():.2f}"),
        (f"label density ({both})", f"{Y.mean():.3f}"),
        ("distinct label sets", str(len(np.unique(Y, axis=0)))),
    ]
    width = max(len(key) for key, _ in rows)
    lines = [f"{key:<{width}}  {value}" for key, value in rows]
    pairs = top_cooccurring_pairs(Y, 5)
    lines.append("most co-occurring label pairs:" if pairs else "most co-occurring label pairs: none")
    if pairs:
        names = [f"{train.label_names[i]} + {train.label_names[j]}" for i, j, _ in pairs]
        name_width = max(len(s) for s in names)
        lines += [f"  {s:<{name_width}}  {c:>6}" for s, (_, _, c) in zip(names, pairs)]
    return "\n".join(lines)
