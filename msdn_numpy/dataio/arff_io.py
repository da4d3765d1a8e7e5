"""Reading multi-label ARFF files into a :class:`~msdn_numpy.dataio.datasets.Dataset`.

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

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import arff
import numpy as np

from msdn_numpy.dataio.datasets import DataError, Dataset, _note
from msdn_numpy.util.inputs import read_input

#: Largest ARFF file read (bytes; docs/CLI.md, "Size limits on inputs"). The largest MULAN files
#: are tens of MB; the limit is checked before the file is read.
MAX_ARFF_BYTES = 256 * 2**20
#: Largest MULAN XML label file read (bytes): a label list is kilobytes.
MAX_XML_BYTES = 16 * 2**20
#: Largest table an ARFF file may expand to: data rows x attributes. A sparse file is
#: expanded to this dense table while it is read (about 80 bytes per cell in all), so the
#: limit is checked from the header and the row count, before anything is allocated.
#: 30 million cells (about 2.4 GB while a file is read): the MULAN benchmarks up to delicious
#: (16,105 x 1,483) and bibtex (7,395 x 1,995) fit; a wider file is refused before it is expanded.
MAX_CELLS = 30_000_000


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
    data = read_input(path, MAX_XML_BYTES, "label file", "pass the MULAN .xml label file itself")
    try:
        root = ET.fromstring(data)
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


#: One ``index value`` pair of a sparse row ``{index value, ...}`` (values may be quoted).
_SPARSE_PAIR = re.compile(r"""(?:^|,)\s*(\d+)\s+(?:'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|[^,]*)""")

#: How much of an offending line a message quotes.
_QUOTE_CHARS = 80


def _quote(line: str) -> str:
    """``line`` stripped and cut to :data:`_QUOTE_CHARS` characters, for messages."""
    line = line.strip()
    return repr(line if len(line) <= _QUOTE_CHARS else line[:_QUOTE_CHARS] + "…")


#: Magic numbers of compressed files: (bytes, what, the command that unpacks it).
_COMPRESSED = (
    (b"\x1f\x8b", "gzip", "gunzip"),
    (b"PK\x03\x04", "zip", "unzip"),
    (b"BZh", "bzip2", "bunzip2"),
    (b"\xfd7zXZ\x00", "xz", "unxz"),
)


def _decode_text(path: Path) -> str:
    """The file's text: UTF-8 (a byte-order mark is accepted), with line ends normalised to ``\\n``."""
    data = read_input(path, MAX_ARFF_BYTES, "ARFF file", "pass the .arff file itself")
    for magic, kind, tool in _COMPRESSED:
        if data.startswith(magic):
            raise DataError(
                f"{path.name}: the file is {kind}-compressed, not ARFF text; decompress it first, e.g. "
                f"`{tool} {path.name}`, and pass the .arff file"
            )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(
            f"{path.name}: the file is UTF-16 encoded; ARFF files are read as UTF-8: convert it, e.g. "
            f"`iconv -f UTF-16 -t UTF-8 {path.name} > utf8.arff`"
        )
    try:
        text = data.decode("utf-8-sig")  # -sig: a leading byte-order mark is dropped
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{path.name}: not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} is not valid UTF-8 "
            f"(a latin-1/cp1252 file, or not a text file); convert it to UTF-8, e.g. "
            f"`iconv -f latin1 -t UTF-8 {path.name} > utf8.arff`"
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataError(
            f"{path.name}: NUL bytes at line {line}: this is not a text file (or it is UTF-16 without a "
            "byte-order mark); ARFF files are UTF-8 text"
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _check_sparse_rows(lines: list[str], fname: str) -> None:
    """Refuse a sparse row that gives the same attribute index twice (a reader would keep one silently)."""
    in_data = False
    for number, line in enumerate(lines, start=1):
        row = line.strip()
        if not in_data:
            in_data = row[:5].upper() == "@DATA"
        elif row.startswith("{") and row.endswith("}"):
            indices = [int(i) for i in _SPARSE_PAIR.findall(row[1:-1])]
            if len(indices) != len(set(indices)):
                dup = next(i for i in indices if indices.count(i) > 1)
                raise DataError(
                    f"{fname}, line {number}: sparse row gives attribute index {dup} twice: {_quote(row)}; "
                    "give each index once"
                )


#: ``@relation`` / ``@attribute`` / ``@data`` / ``@end`` and the whitespace (spaces or tabs) after it.
_KEYWORD = re.compile(r"@(relation|attribute|data|end)(?=\s|$)\s*", re.IGNORECASE)
#: An attribute name: quoted (with ARFF's backslash escapes) or a run of characters without
#: whitespace, braces, commas or %; then the type.
_ATTRIBUTE = re.compile(r"""('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|[^\s{},%'"][^\s{},%]*)\s+(.*)$""", re.DOTALL)


def _scan_header(lines: list[str], fname: str) -> tuple[list[str], list[str], int]:
    """Check the header and count the data rows, before liac-arff builds anything.

    Returns ``(lines, names, rows)``: the lines with the whitespace after a keyword made
    one space (ARFF allows tabs there; liac-arff does not), the attribute names with
    ARFF's escapes applied (``'a\\'b'`` is ``a'b``), and the number of data rows.
    Refused with file and line: a data line inside the header, a missing ``@relation``
    or ``@data``, ``date`` and ``relational`` attributes, an empty ``{}``; and a file
    whose rows x attributes exceed :data:`MAX_CELLS`.
    """
    out = list(lines)
    names: list[str] = []
    seen_relation = False
    data_at = None
    for number, line in enumerate(lines, start=1):
        row = line.strip()
        if not row or row.startswith("%"):
            continue
        where = f"{fname}, line {number}"
        m = _KEYWORD.match(row)
        if m is None:
            what = "before @relation" if not seen_relation else "in the header, before @data"
            raise DataError(
                f"{where}: {_quote(row)} is not a declaration ({what}); header lines start with @relation, "
                "@attribute or @data and comments with %: move data rows below @data, or fix that line"
            )
        keyword, rest = m.group(1).lower(), row[m.end() :]
        out[number - 1] = f"@{keyword} {rest}" if rest else f"@{keyword}"
        if keyword == "relation":
            if not rest:
                raise DataError(f"{where}: @relation has no name; write `@relation NAME`")
            seen_relation = True
            continue
        if not seen_relation:
            raise DataError(
                f"{where}: the file has no @relation line before {_quote(row)}; start it with `@relation NAME`"
            )
        if keyword == "end":
            raise DataError(
                f"{where}: relational attributes (@end) are not supported; flatten them into plain attributes"
            )
        if keyword == "data":
            data_at = number
            break
        a = _ATTRIBUTE.match(rest)
        if a is None:
            raise DataError(
                f"{where}: cannot read the attribute declaration {_quote(row)}; write `@attribute NAME TYPE` "
                "(quote a name that holds spaces)"
            )
        raw, kind = a.group(1), a.group(2).strip()
        try:
            name = arff._unquote(raw) if raw[0] in "'\"" else raw  # ARFF's escapes: \' \" \\ \t \n ...
        except ValueError:  # a backslash that starts no escape (a Windows path) stays as written
            name = raw[1:-1]
        word = kind.split(None, 1)[0].lower() if kind else ""
        if word in ("date", "relational"):
            fix = (
                "convert the dates to numbers (e.g. days since a day) or declare them string to drop them"
                if word == "date"
                else "flatten the relation into plain numeric or nominal attributes"
            )
            raise DataError(f"{where}: attribute {name!r} is of type {word}, which is not supported; {fix}")
        if kind.startswith("{") and not kind[1:].rstrip("}").strip():
            raise DataError(
                f"{where}: nominal attribute {name!r} declares no values ({{}}); list its values, e.g. {{a,b}}, "
                "or remove the attribute"
            )
        names.append(name)
    if not seen_relation:
        raise DataError(f"{fname}: no @relation line: this is not an ARFF file, or its header is missing")
    if data_at is None:
        raise DataError(
            f"{fname}: no @data line after the {len(names)} @attribute lines: the file is truncated, or "
            "@data is missing before the rows"
        )
    n_rows = sum(1 for line in lines[data_at:] if line.strip() and not line.lstrip().startswith("%"))
    if n_rows * len(names) > MAX_CELLS:
        raise DataError(
            f"{fname}: {n_rows:,} rows x {len(names):,} attributes = {n_rows * len(names):,} cells, more than "
            f"the limit of {MAX_CELLS:,} a file is expanded to (docs/CLI.md, 'Size limits on inputs'); remove "
            "attributes that are (almost) never set, or split the rows into smaller files (from Python, "
            "raise msdn_numpy.dataio.arff_io.MAX_CELLS if the memory is there, about 80 bytes a cell)"
        )
    return out, names, n_rows


def _read_arff_text(path: Path) -> dict:
    """Parse an ARFF file with liac-arff; rows come back dense (sparse rows expanded).

    ``DENSE_GEN`` accepts both dense rows and sparse ``{index value, ...}`` rows;
    values left out of a sparse row are 0 (numeric) or the first declared value
    (nominal), as in Weka. ``?`` becomes None. The file must be UTF-8 (a byte-order
    mark is fine); a sparse row may give each index once.
    """
    if not path.exists():
        raise FileNotFoundError(f"ARFF file {path} not found; check the path (and --data-dir / MSDN_DATA)")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not an ARFF file; pass the .arff file (or a folder with --data-dir)")
    lines, names, _ = _scan_header(_decode_text(path).split("\n"), path.name)
    _check_sparse_rows(lines, path.name)
    decoder = arff.ArffDecoder()
    try:
        parsed = decoder.decode(lines, return_type=arff.DENSE_GEN)  # a list of lines: numbers are file lines
        rows = list(parsed["data"])
    except csv.Error as exc:
        number = getattr(decoder, "_current_line", -1)
        raise DataError(
            f"{path.name}, line {number}: a value there cannot be read ({exc}); values are numbers or short "
            "names: look for a missing comma or quote on that line"
        ) from None
    except arff.ArffException as exc:
        # Rows are decoded lazily, so take the file line the decoder had reached.
        number = getattr(decoder, "_current_line", -1) if getattr(exc, "line", -1) == -1 else exc.line
        line = lines[number - 1] if 0 < number <= len(lines) else ""
        # liac-arff's message repeats the whole row (kilobytes for a sparse enron row): keep its first words
        what = re.sub(r",?\s*(?:at|in) line -?\d+[.:]?", "", str(exc)).strip()  # the line number comes first
        what = what if len(what) <= 2 * _QUOTE_CHARS else what[: 2 * _QUOTE_CHARS] + "…"
        if isinstance(exc, arff.BadDataFormat):
            what = "wrong number of values, or a sparse index beyond the attributes"
        raise DataError(
            f"{path.name}, line {number}: ARFF syntax error ({what}) in {_quote(line)}; fix that line of the file"
        ) from None
    if not rows:
        raise DataError(f"{path.name}: the @data section has no rows; the file is empty or truncated")
    parsed["data"] = rows
    parsed["attributes"] = [(name, kind) for name, (_, kind) in zip(names, parsed["attributes"], strict=True)]
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
            f"{fname}: feature {name!r} is {column[row - 1]} in data row {row}; fix the file (write a "
            "missing value as '?')"
        )
    return column


#: A nominal attribute declaring more values than this is dropped (see :func:`load_arff`).
MAX_NOMINAL_VALUES = 100

#: Words that mark an attribute name as an identifier (``song id``, ``track_ID``, ``fileId``).
_ID_WORDS = {"id", "ids", "identifier", "uuid", "guid"}


def _is_identifier(name: str) -> bool:
    """True when one of the words of ``name`` (split at spaces, ``_``, ``-``, ``.``, camelCase) says identifier."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)
    return any(w.lower() in _ID_WORDS for w in words)


def _feature_columns(
    values: np.ndarray, name: str, kind: str | list[str], fname: str
) -> tuple[list[np.ndarray], list[str]]:
    """Encode one feature attribute as columns of shape (N,) and their names.

    numeric -> itself; nominal {0,1} -> one 0/1 column (already an indicator);
    other nominal -> one-hot, ``attr=value``; identifiers and strings -> dropped.
    The choice depends on the declaration only, never on the rows, so every file
    with the same header gives the same columns. Missing cells become NaN in every
    column they produce.
    """
    if isinstance(kind, str):
        if kind.upper() == "STRING":
            _note(f"note: {fname}: dropping string attribute {name!r} (free text is not a feature)")
            return [], []
        return [_numeric_column(values, name, fname)], [name]

    missing = np.equal(values, None)
    if sorted(kind) == ["0", "1"]:
        return [np.where(missing, np.nan, np.equal(values, "1")).astype(np.float64)], [name]
    if _is_identifier(name) or len(kind) > MAX_NOMINAL_VALUES:
        why = "its name says identifier" if _is_identifier(name) else f"more than {MAX_NOMINAL_VALUES} values"
        _note(f"note: {fname}: dropping nominal attribute {name!r} ({len(kind)} values; {why})")
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
            f"({int(missing.sum())} missing cells in all); fill or remove them in the file (from Python, "
            'load_arff(..., impute="mean") fills them with the column mean)'
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
    read_labels: bool = True,
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
        the column mean over the file's rows. Missing labels are an error unless
        ``read_labels=False``.
    read_labels : bool
        False: the label attributes are recognised (and left out of the features) but
        their values are not read, so they may be ``?`` (Weka's mark for unlabelled
        rows): for new data to predict. ``Y`` then has shape ``(N, 0)`` and
        ``label_names`` is empty.

    Returns
    -------
    Dataset
        ``X`` (N, D) float64 and ``Y`` (N, L) uint8; ``name`` is the file stem
        without ``-train`` / ``-test``.

    Notes
    -----
    Features: numeric attributes as they are; a nominal attribute declared ``{0,1}``
    as one 0/1 column (enron's word features are declared so); any other nominal
    attribute one-hot, one column ``attr=value`` per declared value. Dropped, with a
    one-line note on stderr: string attributes, and nominal attributes that look like
    identifiers by their declaration: a word of the name is ``id``, ``identifier``,
    ``uuid`` or ``guid`` (``song id``, ``track_ID``, ``fileId``), or more than
    :data:`MAX_NOMINAL_VALUES` values are declared. The rule reads only the header,
    so a 3-row and a 3000-row file with the same header give the same columns.
    Labels must be 0/1 (numeric or nominal).
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
    Y = np.zeros((len(table), 0), dtype=np.uint8)  # labels=[] or read_labels=False: features only
    if label_idx and read_labels:
        Y = np.stack([_label_column(table[:, j], attr_names[j], path.name) for j in label_idx], axis=1)

    is_label = set(label_idx)
    columns: list[np.ndarray] = []
    feature_names: list[str] = []
    origin: dict[str, str] = {}  # feature name -> where it comes from, for the message on a clash
    for j, (name, kind) in enumerate(attributes):
        if j not in is_label:
            cols, names = _feature_columns(table[:, j], name, kind, path.name)
            for column_name in names:
                source = (
                    f"attribute {name!r}"
                    if column_name == name
                    else f"value {column_name[len(name) + 1 :]!r} of nominal attribute {name!r} (one-hot)"
                )
                if column_name in origin:
                    raise DataError(
                        f"{path.name}: the feature column {column_name!r} of {source} has the name of the column "
                        f"of {origin[column_name]}; rename one of the two attributes (or the value) in the file"
                    )
                origin[column_name] = source
            columns += cols
            feature_names += names
    if not columns:
        raise DataError(f"{path.name}: no feature attributes left besides the labels; check the label list")
    X = _impute(np.stack(columns, axis=1), feature_names, impute, path.name)
    label_names = [attr_names[j] for j in label_idx] if read_labels else []
    return Dataset(X, Y, feature_names, label_names, _dataset_name(path))
