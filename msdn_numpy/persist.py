"""Model files: a trained model as one ``.npz`` archive, loaded with ``allow_pickle=False``.

Layout of the archive (every entry a plain array, no pickled objects, so loading a
file can never execute code):

* ``format``   — the string ``"msdn_numpy-model"`` (recognises foreign ``.npz`` files)
* ``version``  — the integer format version (:data:`FORMAT_VERSION`)
* ``meta``     — one JSON string: model kind and config, dtype, thresholds,
  feature and label names, dataset name
* ``param/<name>`` — every parameter under its qualified name (``param/encoder.0.W``)
* ``scaler/mean``, ``scaler/scale`` — the training-split standardisation
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from .models import build_model
from .preprocessing import Standardizer
from .train import TrainedModel

FORMAT = "msdn_numpy-model"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """A model file that is missing, truncated, foreign or of another format version."""


def save(trained: TrainedModel, path: str | Path) -> Path:
    """Write ``trained`` to ``path`` (``.npz`` is appended if missing). Returns the path."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
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
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


def load(path: str | Path) -> TrainedModel:
    """Read a model file written by :func:`save`; every problem is a :class:`ModelFileError`."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file {path} does not exist: train one with `msdn train --save {path}`")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as e:
        raise ModelFileError(
            f"{path} is not a readable msdn_numpy model file ({type(e).__name__}: {e}); "
            "it may be truncated or corrupted: re-save it with `msdn train --save`"
        ) from None
    if "format" not in arrays or str(arrays["format"]) != FORMAT:
        raise ModelFileError(f"{path} is an .npz file but not an msdn_numpy model (no '{FORMAT}' marker)")
    version = int(arrays["version"]) if "version" in arrays else -1
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has model-file format version {version}, this msdn_numpy reads version {FORMAT_VERSION}: "
            "re-train and save the model with this version"
        )
    try:
        meta = json.loads(str(arrays["meta"]))
        model = build_model(meta["kind"], **meta["config"]).to(np.dtype(meta["dtype"]))
        scaler = Standardizer()
        scaler.mean_, scaler.scale_ = arrays["scaler/mean"], arrays["scaler/scale"]
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"{path}: the model description inside is damaged ({type(e).__name__}: {e})") from None
    expected = {name: p for name, p, _ in model.named_parameters()}
    stored = {k[len("param/") :]: v for k, v in arrays.items() if k.startswith("param/")}
    if set(stored) != set(expected):
        missing, extra = sorted(set(expected) - set(stored)), sorted(set(stored) - set(expected))
        raise ModelFileError(
            f"{path}: parameters do not match the architecture (missing {missing}, unexpected {extra})"
        )
    for name, p in expected.items():
        if stored[name].shape != p.shape:
            raise ModelFileError(f"{path}: parameter '{name}' has shape {stored[name].shape}, expected {p.shape}")
        p[...] = stored[name]
    model.eval()
    return TrainedModel(
        model,
        scaler,
        np.asarray(meta["thresholds"], dtype=np.float64),
        meta["feature_names"],
        meta["label_names"],
        meta["dataset"],
    )
