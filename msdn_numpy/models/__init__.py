"""The three models of the project, built only from the engine's layers (``msdn_numpy.nn``).

``msdn``     :class:`MSDN`, the paper's model as we reconstruct it (read ``msdn.py`` first)
``brmlp``    :class:`BRMLP`, MSDN without its relation block: the "no label relations" ablation
``rethink``  :class:`RethinkRNN`, the RethinkNet-style LSTM baseline the paper compares against
``base``     :class:`MultiLabelModel`, what the trainer, the CLI and the model files need of a model
``config``   each model's options, declared once (defaults, ranges, help)

Every model maps standardised features ``X (N, D)`` to an output whose loss is BCE-with-logits
against ``model.output_targets(Y)``, and gives final logits ``(N, L)`` through ``model.logits``.
"""

from __future__ import annotations

from typing import Any

from msdn_numpy.models.base import MultiLabelModel
from msdn_numpy.models.brmlp import BRMLP
from msdn_numpy.models.config import CONFIGS, EMBEDDINGS, BRMLPConfig, MSDNConfig, RethinkRNNConfig
from msdn_numpy.models.msdn import MSDN
from msdn_numpy.models.rethink import RethinkRNN

#: The models by name (``msdn train --model``); their options are ``CONFIGS[name]``.
MODELS: dict[str, type[MultiLabelModel]] = {"msdn": MSDN, "rnn": RethinkRNN, "br": BRMLP}

#: The label order train_model lays MSDN's labels out in unless told otherwise (MSDNConfig's default).
DEFAULT_LABEL_ORDER = MSDNConfig.label_order
#: Dropout after the encoder, the same for every model (one recipe for all).
DEFAULT_DROPOUT = MSDNConfig.dropout

__all__ = [
    "BRMLP", "BRMLPConfig", "CONFIGS", "DEFAULT_DROPOUT", "DEFAULT_LABEL_ORDER", "EMBEDDINGS", "MODELS", "MSDN",
    "MSDNConfig", "MultiLabelModel", "RethinkRNN", "RethinkRNNConfig", "build_model",
]  # fmt: skip


def build_model(kind: str, D: int, L: int, **kwargs: Any) -> MultiLabelModel:
    """Build a model by name (``"msdn"``, ``"rnn"`` or ``"br"``) with its options as keywords."""
    if kind not in MODELS:
        raise ValueError(f"unknown model '{kind}': choose one of {', '.join(MODELS)}")
    return MODELS[kind](D, L, **kwargs)
