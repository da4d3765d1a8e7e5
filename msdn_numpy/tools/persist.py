"""Model files: a trained model as one ``.npz`` archive of plain arrays, never pickles.

Layout of the archive (every entry a plain array, no pickled objects, so loading a
file can never execute code):

* ``format``   — the string ``"msdn_numpy-model"`` (recognises foreign ``.npz`` files)
* ``version``  — the integer format version (:data:`FORMAT_VERSION`)
* ``meta``     — one JSON string: model kind and config, dtype, thresholds,
  feature and label names, dataset name
* ``param/<name>`` — every parameter under its qualified name (``param/encoder.0.W``)
* ``scaler/mean``, ``scaler/scale`` — the training-split standardisation

A model file may come from anywhere, so :func:`load` checks the *whole* content before
using any of it, and reads nothing it has not bounded first:

0. the file itself, by the rule for every input (:func:`msdn_numpy.util.inputs.open_input`): a
   regular file (never a FIFO or a device such as ``/dev/zero``) of at most
   ``MAX_BYTES + MAX_META_BYTES`` plus 1 KiB per member, checked before a byte is read;
1. the zip directory (names and uncompressed sizes, read without decompressing):
   only the members above, at most :data:`MAX_MEMBERS`, each and all together at
   most :data:`MAX_BYTES`;
2. each member's ``.npy`` header (dtype and shape) before its data: plain numbers or
   text only, and a shape that matches the member's size;
3. the description: ``version`` an exact integer, every config value of the right type
   and range (the model options by their dataclass, :mod:`msdn_numpy.models.config`; ``D``
   and ``L`` within :data:`SIZE_LIMITS`; so ``hidden=1e9`` is refused before anything is
   allocated), dtype float32/float64, thresholds in [0, 1], names lists of strings of
   the right lengths;
4. the arrays: finite parameters of the expected shapes and dtype, none beyond
   :data:`MAX_ABS_PARAMETER` in magnitude, a finite mean and a finite, positive scale.

Every problem is one :class:`ModelFileError` naming the file and what is wrong.

Files of format version 2 (before the layers were renamed: MSDN's ``relations`` and ``readout``,
now ``convs`` and ``combine``; BR-MLP's and the RNN's ``readout``, now ``head``; the option
``relation``, now ``embedding``) are read with their names translated (:func:`upgrade_v2`).
MSDN files saved before the options ``label_dim`` and ``free_channels`` existed load as the
network they describe (:func:`older_msdn_options`).
"""

from __future__ import annotations

import json
import lzma
import math
import re
import zipfile
import zlib
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from msdn_numpy.dataio.preprocessing import Standardizer
from msdn_numpy.models import CONFIGS, MODELS, build_model
from msdn_numpy.train import TrainedModel
from msdn_numpy.util.files import atomic_write
from msdn_numpy.util.inputs import open_input

FORMAT = "msdn_numpy-model"
FORMAT_VERSION = 3  # 3: the layers' names of today; 2 is read with its names translated
READ_VERSIONS = (2, 3)

#: Largest data sizes a model file accepts (the models' own options have their ranges in
#: ``models.config``). Real MULAN datasets have D <= 50,000 features and L <= 1,000 labels;
#: these limits are far above that, and small enough that a damaged or hostile file cannot
#: ask for an absurd allocation.
SIZE_LIMITS = {"D": 1_000_000, "L": 100_000}

#: No parameter of a trained model comes near this magnitude (weight decay keeps them small);
#: a file holding a larger one is damaged, and its model could only give overflowing outputs.
MAX_ABS_PARAMETER = 1e6

#: At most this many members in a model file (an MSDN has about 15 parameter arrays).
MAX_MEMBERS = 1024
#: At most this many uncompressed bytes per member and in all (512 MiB: a float64
#: model of 67 million parameters; the models here have thousands to millions).
MAX_BYTES = 512 * 2**20
#: At most this many bytes of description (JSON stored as UTF-32: 16 million characters).
MAX_META_BYTES = 64 * 2**20

_MEMBER = re.compile(r"(format|version|meta|scaler/mean|scaler/scale|param/[A-Za-z0-9_.]{1,200})\.npy")
_META_KEYS = {"kind", "config", "dtype", "thresholds", "feature_names", "label_names", "dataset"}


class ModelFileError(ValueError):
    """A model file that is missing, truncated, foreign, damaged or of another format version."""


def model_path(path: str | Path) -> Path:
    """The file :func:`save` writes for ``path``: ``.npz`` appended if missing."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def too_large(n_bytes: int) -> str | None:
    """Why a model file of ``n_bytes`` uncompressed bytes could not be loaded, or None if it can.

    The limit is :data:`MAX_BYTES`, the one :func:`load` applies: what is saved can be loaded.
    """
    if n_bytes <= MAX_BYTES:
        return None
    return (
        f"the model would take {n_bytes:,} bytes ({n_bytes / 2**20:,.0f} MiB) in its file, more than a model file "
        f"may hold ({MAX_BYTES:,} bytes, {MAX_BYTES // 2**20} MiB; a larger file could not be loaded): use a "
        "smaller model (--hidden, --embed-dim, --rank, --channels) or --dtype float32"
    )


def estimate_bytes(n_params: int, itemsize: int, feature_names: list[str], label_names: list[str]) -> int:
    """About the bytes :func:`save` will write for a model of ``n_params`` parameters (never fewer than 0)."""
    names = sum(len(n) + 4 for n in feature_names) + sum(len(n) + 4 for n in label_names)
    meta = 4 * (names + 4096)  # stored as UTF-32
    return n_params * itemsize + 2 * 8 * len(feature_names) + 8 * len(label_names) + meta


def save(trained: TrainedModel, path: str | Path, *, replace: bool = True) -> Path:
    """Write ``trained`` to ``path`` (``.npz`` is appended if missing). Returns the path.

    The file is written atomically (:func:`msdn_numpy.util.files.atomic_write`): an
    interrupt or a full disk leaves a previous file at ``path`` as it was. The folder
    is created if needed; an existing file is replaced, or with ``replace=False`` kept
    (:class:`msdn_numpy.util.files.OutputError`, also when it appears while saving: the
    name is created without replacing). A model larger than :func:`load` accepts
    (:data:`MAX_BYTES`) is refused with a ``ValueError`` before anything is written.
    """
    path = model_path(path)
    meta = {
        "kind": trained.model.kind,
        "config": trained.model.config,
        "dtype": str(trained.model.dtype),
        "thresholds": [float(t) for t in trained.thresholds],
        "feature_names": list(trained.feature_names),
        "label_names": list(trained.label_names),
        "dataset": trained.dataset,
    }
    arrays = {
        "format": np.array(FORMAT),
        "version": np.array(FORMAT_VERSION),
        "meta": np.array(json.dumps(meta)),
        "scaler/mean": trained.standardizer.mean_,
        "scaler/scale": trained.standardizer.scale_,
    }
    for name, p, _ in trained.model.named_parameters():
        arrays["param/" + name] = p
    # the sizes load() checks: each member (.npy header included) and all together
    sizes = [np.asarray(a).nbytes + 128 for a in arrays.values()]
    problem = too_large(max(max(sizes), sum(sizes)))
    if problem:
        raise ValueError(f"cannot save {path}: {problem}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb", replace=replace, option="--save") as f:
        np.savez(f, **arrays)
    return path


# -- reading: every step bounded and checked ------------------------------------------------
def _not_readable(path: Path, problem: str) -> ModelFileError:
    return ModelFileError(
        f"{path} is not a readable msdn_numpy model file: {problem}; it may be truncated or corrupted: "
        "re-save it with `msdn train --save`"
    )


def _damaged(path: Path, problem: str) -> ModelFileError:
    return ModelFileError(
        f"{path}: the model description inside is damaged: {problem}; re-save the model with `msdn train --save`"
    )


def _directory(path: Path, zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by name (``param/encoder.0.W``), checked from the zip directory alone."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _not_readable(path, f"{len(infos)} members, more than a model file has (at most {MAX_MEMBERS})")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if not _MEMBER.fullmatch(info.filename):
            shown = info.filename[:80] + ("…" if len(info.filename) > 80 else "")
            raise ModelFileError(
                f"{path} is not an msdn_numpy model file: it holds an unexpected member {shown!r} "
                f"(a model file holds only format, version, meta, scaler/* and param/* arrays)"
            )
        name = info.filename[: -len(".npy")]
        if name in members:
            raise _not_readable(path, f"member {name!r} appears twice")
        if info.flag_bits & 0x1:
            raise _not_readable(path, f"member {name!r} is encrypted")
        if info.file_size > MAX_BYTES:
            raise _not_readable(path, f"member {name!r} would unpack to {info.file_size:,} bytes (limit {MAX_BYTES:,})")
        members[name] = info
    total = sum(i.file_size for i in members.values())
    if total > MAX_BYTES:
        raise _not_readable(path, f"its members would unpack to {total:,} bytes in all (limit {MAX_BYTES:,})")
    return members


def _read_member(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, kinds: str) -> np.ndarray:
    """One ``.npy`` member, header checked before any data is read.

    ``kinds`` lists the accepted ``dtype.kind`` letters (``"f"``, ``"iu"``, ``"U"``).
    """
    name = info.filename[: -len(".npy")]
    try:
        with zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f".npy format version {version}")
            if dtype.hasobject:
                raise ModelFileError(
                    f"{path} is not a readable msdn_numpy model file: member {name!r} holds pickled Python "
                    "objects, which model files never contain (they were not loaded, so no code ran); "
                    "use a file written by `msdn train --save`"
                )
            if dtype.kind not in kinds or dtype.byteorder not in "=<|" or any(s < 0 for s in shape):
                raise ValueError(f"unexpected array type {dtype.str} of shape {shape}")
            n_bytes = math.prod(shape) * dtype.itemsize
            if f.tell() + n_bytes != info.file_size:
                raise ValueError(f"its header says {shape} {dtype.str} but the member holds {info.file_size} bytes")
            data = f.read(n_bytes)
    except ModelFileError:
        raise
    except (zlib.error, lzma.LZMAError) as e:  # a damaged compressed stream (zipfile lets these through)
        detail = " ".join(str(e).split())[:100]
        raise _not_readable(path, f"member {name!r} does not decompress ({detail})") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as e:
        # numpy's own messages may suggest allow_pickle=True, which must never reach a user
        detail = type(e).__name__ if "pickle" in str(e) else " ".join(str(e).split())[:100]
        raise _not_readable(path, f"member {name!r} is not a plain array ({detail})") from None
    if len(data) != n_bytes:
        raise _not_readable(path, f"member {name!r} ends early")
    order = "F" if fortran else "C"
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order).copy()


def _member(path: Path, zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], name: str, kinds: str) -> np.ndarray:
    """The member ``name`` (:func:`_read_member`); a missing member is a ModelFileError."""
    if name not in members:
        raise _not_readable(path, f"member {name!r} is missing")
    return _read_member(path, zf, members[name], kinds)


def _refuse_constant(value: str) -> float:
    raise ValueError(f"{value} is not a number a model file holds")


def _is_int(v: Any, lo: int, hi: int) -> bool:
    return type(v) is int and lo <= v <= hi


def _check_config(path: Path, kind: str, config: Any, n_features: int, n_labels: int) -> None:
    """Every config value of the right type and range, before the model is built."""
    if not isinstance(config, dict):
        raise _damaged(path, "'config' is not a dictionary")
    if config.get("D") != n_features or config.get("L") != n_labels:
        D, L = str(config.get("D"))[:20], str(config.get("L"))[:20]
        raise _damaged(path, f"config D={D}, L={L} but {n_features} feature and {n_labels} label names")
    rules: dict[str, tuple[Any, str]] = {
        "D": (lambda v: _is_int(v, 1, SIZE_LIMITS["D"]), f"an integer from 1 to {SIZE_LIMITS['D']}"),
        "L": (lambda v: _is_int(v, 1, SIZE_LIMITS["L"]), f"an integer from 1 to {SIZE_LIMITS['L']}"),
        "seed": (lambda v: _is_int(v, 0, 2**63 - 1), "a non-negative integer"),
    }
    if kind == "msdn":
        rules["label_perm"] = (
            lambda v: isinstance(v, list) and all(type(i) is int for i in v) and sorted(v) == list(range(n_labels)),
            f"a permutation of 0..{n_labels - 1}",
        )
    options = {f.name for f in fields(CONFIGS[kind])}
    for key, value in config.items():
        if key not in rules and key not in options:
            raise _damaged(path, f"unknown config entry {str(key)[:40]!r} for a {kind!r} model")
        if key in rules and not rules[key][0](value):
            raise _damaged(path, f"config {key}={str(value)[:40]} is not {rules[key][1]}")
    try:  # the options, by the rules of their dataclass
        CONFIGS[kind](**{k: v for k, v in config.items() if k in options})
    except (TypeError, ValueError) as e:
        raise _damaged(path, f"config: {str(e).split(': ', 1)[-1][:120]}") from None


def upgrade_v2(kind: str, config: dict[str, Any], names: set[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A version-2 description in today's names: the config, and ``{today's parameter name: stored name}``."""
    config = {("embedding" if k == "relation" else k): v for k, v in config.items()}
    sizes = config.get("kernel_sizes") if isinstance(config.get("kernel_sizes"), list) else []
    renamed = {}
    for name in names:
        new = name
        if kind == "msdn" and name.startswith("relations.0.") and name[12:13] in ("W", "b"):
            k = name[13:]
            if k.isdigit() and int(k) in sizes:
                new = f"convs.{sizes.index(int(k))}.0.{name[12]}"
        elif name.startswith("readout."):
            new = ("combine." if kind == "msdn" else "head.") + name[len("readout.") :]
        renamed[new] = name
    return config, renamed


def older_msdn_options(config: dict[str, Any]) -> dict[str, Any]:
    """An MSDN description saved before the options ``label_dim`` and ``free_channels`` existed.

    Such a file's score embedding had ``embed_dim`` channels, and a file that names no
    ``embedding`` has the design that was then the only one, ``"free"``; today's defaults of
    these options would build a different network.
    """
    config = dict(config)
    config.setdefault("embedding", "free")
    if "label_dim" not in config and "embed_dim" in config:
        config["label_dim"] = config["embed_dim"]
    return config


def _min_parameters(kind: str, config: dict[str, Any]) -> int:
    """A lower bound on the parameter count of the model ``config`` describes, without building it.

    Counts only the weight matrices every such model has: the encoder's ``D × hidden``,
    MSDN's label embeddings (``hidden × r + r × d L`` read from h, ``2 d_s L`` from each
    label's own score) and convolutions ``c d k``, the LSTM's ``8 hidden²``. Missing
    entries take the dataclass's defaults.
    """
    c = {**{f.name: f.default for f in fields(CONFIGS[kind])}, **config}
    h, d, r, ds = c.get("hidden", 1), c.get("embed_dim", 0), c.get("rank", 0), c.get("label_dim", 0)
    free, label = h * r + r * d * c["L"], 2 * ds * c["L"]
    embedding = c.get("embedding")
    embed = {"free": free, "label": label}.get(embedding, free + label)
    d_in = d if embedding == "free" else ds
    n = c["D"] * h + (embed + c.get("channels", 0) * d_in * sum(c.get("kernel_sizes", [])) if kind == "msdn" else 0)
    if kind == "rnn":
        n += 8 * h * h
    return int(n)


def _names(path: Path, meta: dict, key: str) -> list[str]:
    """``meta[key]`` as a list of distinct strings, or a ModelFileError."""
    names = meta[key]
    if not isinstance(names, list) or not all(isinstance(s, str) for s in names):
        raise _damaged(path, f"'{key}' is not a list of strings")
    if len(set(names)) != len(names):
        raise _damaged(path, f"'{key}' lists a name twice")
    return names


def _finite(path: Path, name: str, a: np.ndarray) -> None:
    if not np.isfinite(a).all():
        bad = a[~np.isfinite(a)].flat[0]
        raise ModelFileError(
            f"{path}: {name} holds non-finite values ({bad}); the model is damaged or was saved after training "
            "diverged: re-train it (a lower --lr helps divergence) and save it again"
        )


def load(path: str | Path) -> TrainedModel:
    """Read a model file written by :func:`save`; every problem is a :class:`ModelFileError`.

    Nothing is decompressed before the archive's directory has been checked, and no
    model is built before its description has been checked (see the module docstring).
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file {path} does not exist: train one with `msdn train --save {path}`")
    if path.is_dir():
        raise ModelFileError(f"model file {path} is a folder; pass the .npz file written by `msdn train --save`")
    try:  # a regular file of bounded size only: never a FIFO, /dev/zero or /dev/urandom
        f = open_input(path, _MAX_FILE_BYTES, "model file", "pass the .npz file written by `msdn train --save`")
    except ValueError as e:
        raise ModelFileError(str(e)) from None
    with f:
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, zlib.error, lzma.LZMAError):
            raise ModelFileError(
                f"{path} is not an msdn_numpy model file: it is not a .npz (zip) archive, or it is truncated or "
                "corrupted; use a file written by `msdn train --save`"
            ) from None
        with zf:
            return _load(path, zf)


#: Largest model file :func:`load` opens: every member at its limit, with the zip's own
#: headers (at most 1 KiB a member) on top. Checked before a byte is read.
_MAX_FILE_BYTES = MAX_BYTES + MAX_META_BYTES + MAX_MEMBERS * 1024


def _load(path: Path, zf: zipfile.ZipFile) -> TrainedModel:
    members = _directory(path, zf)
    for name, limit in (("format", 1024), ("version", 1024), ("meta", MAX_META_BYTES)):
        if name in members and members[name].file_size > limit:
            raise _not_readable(path, f"member {name!r} would unpack to {members[name].file_size:,} bytes")
    if "format" not in members:
        raise ModelFileError(f"{path} is an .npz file but not an msdn_numpy model (no '{FORMAT}' marker)")
    fmt = _read_member(path, zf, members["format"], "biufU")
    if fmt.shape != () or str(fmt) != FORMAT:
        raise ModelFileError(f"{path} is an .npz file but not an msdn_numpy model (no '{FORMAT}' marker)")
    version = _member(path, zf, members, "version", "iuUfb")
    shown = str(version.tolist())[:40]
    if version.shape != () or version.dtype.kind not in "iu":
        raise ModelFileError(
            f"{path}: model-file format version {shown} is not a single integer; the file is damaged "
            f"(this msdn_numpy writes version {FORMAT_VERSION}): re-save the model with `msdn train --save`"
        )
    if int(version) not in READ_VERSIONS:
        raise ModelFileError(
            f"{path} has model-file format version {int(version)}, this msdn_numpy reads versions "
            f"{' and '.join(map(str, READ_VERSIONS))}: re-train and save the model with this version"
        )

    meta_array = _member(path, zf, members, "meta", "U")
    try:
        if meta_array.shape != ():
            raise ValueError("not one string")
        meta = json.loads(str(meta_array), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as e:
        raise _damaged(path, f"'meta' is not a JSON description ({str(e)[:80]})") from None
    if not isinstance(meta, dict) or set(meta) != _META_KEYS:
        found = sorted(map(str, meta))[:10] if isinstance(meta, dict) else type(meta).__name__
        raise _damaged(path, f"'meta' holds {found}, expected the entries {sorted(_META_KEYS)}")
    kind = meta["kind"]
    if not isinstance(kind, str) or kind not in MODELS:
        raise _damaged(path, f"unknown model kind {str(kind)[:40]!r} (known: {', '.join(MODELS)})")
    if meta["dtype"] not in ("float32", "float64"):
        raise _damaged(path, f"dtype {str(meta['dtype'])[:40]!r} is not 'float32' or 'float64'")
    if not isinstance(meta["dataset"], str):
        raise _damaged(path, "'dataset' is not a string")
    config = meta["config"]
    stored_names = {k[len("param/") :] for k in members if k.startswith("param/")}
    renamed = {name: name for name in stored_names}
    if int(version) == 2 and isinstance(config, dict):
        config, renamed = upgrade_v2(kind, config, stored_names)
    if kind == "msdn" and isinstance(config, dict):
        config = older_msdn_options(config)
    feature_names, label_names = _names(path, meta, "feature_names"), _names(path, meta, "label_names")
    _check_config(path, kind, config, len(feature_names), len(label_names))
    thresholds = meta["thresholds"]
    if (
        not isinstance(thresholds, list)
        or len(thresholds) != config["L"]
        or not all(type(t) in (int, float) and 0.0 <= t <= 1.0 for t in thresholds)
    ):
        raise _damaged(path, f"'thresholds' must be {config['L']} numbers in [0, 1], got {str(thresholds)[:60]}")

    dtype = np.dtype(meta["dtype"])
    param_bytes = sum(v.file_size for k, v in members.items() if k.startswith("param/"))
    needed = _min_parameters(kind, config) * dtype.itemsize
    if needed > param_bytes:
        raise _damaged(
            path, f"its config needs at least {needed:,} bytes of parameters but the file holds {param_bytes:,}"
        )

    scaler = Standardizer()
    scaler.mean_ = _member(path, zf, members, "scaler/mean", "f").astype(np.float64)
    scaler.scale_ = _member(path, zf, members, "scaler/scale", "f").astype(np.float64)
    for name, a in (("scaler/mean", scaler.mean_), ("scaler/scale", scaler.scale_)):
        if a.shape != (config["D"],):
            raise _damaged(path, f"{name} has shape {a.shape}, expected ({config['D']},)")
        _finite(path, name, a)
    if not (scaler.scale_ > 0).all():
        j = int(np.flatnonzero(scaler.scale_ <= 0)[0])
        raise _damaged(path, f"scaler/scale of feature {feature_names[j]!r} is {scaler.scale_[j]}, must be > 0")
    if not (scaler.scale_ >= np.finfo(np.float64).tiny).all():  # a fitted scale is a normal number
        j = int(np.flatnonzero(scaler.scale_ < np.finfo(np.float64).tiny)[0])
        raise _damaged(
            path, f"scaler/scale of feature {feature_names[j]!r} is {scaler.scale_[j]:.3g}, below any fitted scale"
        )

    try:
        model = build_model(kind, **config).to(dtype)
    except (TypeError, ValueError) as e:
        raise _damaged(path, f"the model cannot be built from its config ({str(e)[:120]})") from None
    expected = {name: p for name, p, _ in model.named_parameters()}
    stored = set(renamed)
    if stored != set(expected):
        missing, extra = sorted(set(expected) - stored), sorted(stored - set(expected))
        raise ModelFileError(
            f"{path}: parameters do not match the architecture (missing {missing[:5]}, unexpected {extra[:5]})"
        )
    for name, p in expected.items():
        value = _read_member(path, zf, members["param/" + renamed[name]], "f")
        if value.shape != p.shape or value.dtype != p.dtype:
            raise ModelFileError(
                f"{path}: parameter '{name}' is {value.dtype} {value.shape}, expected {p.dtype} {p.shape}"
            )
        _finite(path, f"parameter '{name}'", value)
        if value.size and np.abs(value).max() > MAX_ABS_PARAMETER:
            raise ModelFileError(
                f"{path}: the model file is damaged: parameter '{name}' holds {np.abs(value).max():.3g}, far beyond "
                f"any trained weight (at most {MAX_ABS_PARAMETER:.0e} in magnitude); re-save the model with "
                "`msdn train --save`"
            )
        p[...] = value
    model.eval()
    thresholds_array = np.asarray(thresholds, dtype=np.float64)
    return TrainedModel(model, scaler, thresholds_array, feature_names, label_names, meta["dataset"])
