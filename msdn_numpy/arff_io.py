"""Reading multi-label ARFF files into a :class:`~msdn_numpy.datasets.Dataset`.

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

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import arff
import numpy as np

from .datasets import DataError, Dataset, _note


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
