"""What every model shares: the interface the trainer, the CLI and the model files use, and the encoder."""

from __future__ import annotations

import numbers
from dataclasses import asdict
from typing import Any

import numpy as np

from msdn_numpy.nn.layers import Dropout, Linear, Module, ReLU, Sequential
from msdn_numpy.nn.losses import sigmoid
from msdn_numpy.util.checks import check_int


def check_sizes(where: str, D: Any, L: Any, seed: Any) -> None:
    """The data's sizes ``D, L >= 1`` and a seed ``>= 0`` (or a ``Generator``), each named if wrong."""
    check_int(where, "D", D, 1)
    if isinstance(L, numbers.Integral) and not isinstance(L, bool) and L == 0:
        raise ValueError(
            f"{where}: L=0: the data has no labels, so there is nothing to predict; load the dataset with "
            "its label list (the MULAN .xml, or -C n in @relation)"
        )
    check_int(where, "L", L, 1)
    if not isinstance(seed, np.random.Generator):
        check_int(where, "seed", seed, 0, 2**63 - 1)


def encoder(D: int, E: int, dropout: float, rng: np.random.Generator) -> Sequential:
    """``x (N, D) → ReLU(x W + b) (N, E)``, then (inverted) dropout if ``dropout > 0``."""
    layers: list[Module] = [Linear(D, E, rng=rng), ReLU()]
    if dropout > 0:
        layers.append(Dropout(dropout, rng=rng.integers(2**32)))
    return Sequential(*layers)


class MultiLabelModel(Module):
    """What the trainer, the CLI and the model files need from every model.

    ``config`` holds what rebuilds the same architecture (JSON-able): ``D``, ``L``, the model's
    options (its dataclass of :mod:`msdn_numpy.models.config`), the seed and, for MSDN, the label
    order. Subclasses set ``kind``, build their layers and write ``forward``/``backward``.
    """

    kind = "base"
    uses_label_order = False  # MSDN: train_model computes label_perm from the training labels

    def __init__(self, D: int, L: int, options: Any, **extra: Any) -> None:
        super().__init__()
        self.D, self.L = int(D), int(L)
        self.options = options
        if "seed" in extra:  # a Generator has no number to record
            extra["seed"] = None if isinstance(extra["seed"], np.random.Generator) else int(extra["seed"])
        config = {"D": self.D, "L": self.L, **asdict(options), **extra}
        self.config = {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}

    def output_targets(self, Y: np.ndarray) -> np.ndarray:
        """The targets the training output is compared with (``Y`` itself by default)."""
        return Y

    def logits_from_output(self, out: np.ndarray) -> np.ndarray:
        """Final ``(N, L)`` logits from the training output (identity by default)."""
        return out

    def eval_batch_size(self) -> int:
        """Rows per evaluation batch: ``min(1024, max(32, 2**17 // L))``, so that the largest
        intermediate array stays about the same size whatever L (time and memory linear in L)."""
        return min(1024, max(32, 2**17 // self.L))

    def logits(self, X: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Evaluation-mode logits ``(N, L)``, computed in batches; restores the mode after."""
        batch_size = batch_size or self.eval_batch_size()
        was_training = self.training
        self.eval()
        try:
            parts = [self.logits_from_output(self.forward(X[i : i + batch_size])) for i in range(0, len(X), batch_size)]
        finally:
            self.train(was_training)
        return np.concatenate(parts, axis=0) if parts else np.zeros((0, self.L), dtype=self.dtype)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Label probabilities ``sigmoid(logits)``, shape ``(N, L)``."""
        return sigmoid(self.logits(X))

    def parameter_split(self) -> dict[str, int]:
        """Parameters by part, named as the model's stages."""
        return {name: child.num_parameters() for name, child in self.children()}

    def layer_table(self) -> list[tuple[str, str, str, int]]:
        """Rows ``(stage, layer, output shape, parameters)`` for :meth:`describe`."""
        raise NotImplementedError

    def describe(self) -> str:
        """Every layer with its output shape and parameter count, then the total."""
        rows = [("stage", "layer", "output shape", "params")]
        rows += [(s, layer, shape, f"{n:,}") for s, layer, shape, n in self.layer_table()]
        rows.append(("total", "", "", f"{self.num_parameters():,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = []
        for i, r in enumerate(rows):
            cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2]), r[3].rjust(widths[3])]
            lines.append("  ".join(cells))
            if i == 0 or i == len(rows) - 2:
                lines.append("-" * len(lines[-1]))
        return "\n".join(lines)
