"""BR-MLP, binary relevance with a shared MLP encoder: MSDN without its relation block."""

from __future__ import annotations

from typing import Any

import numpy as np

from msdn_numpy.models.base import MultiLabelModel, check_sizes, encoder
from msdn_numpy.models.config import BRMLPConfig, make_options
from msdn_numpy.nn.layers import Linear, Module, as_generator, check_input


class BRMLP(MultiLabelModel):
    """``logits = Dropout(ReLU(X W1 + b1)) W_g + b_g``, shapes ``(N, D) → (N, E) → (N, L)``.

    Each label's logit is its own linear read-out (the ``head``) of the shared encoder, with no
    path from one label to another: the "no label relations" ablation. Its encoder and head are
    MSDN's, drawn in the same order, so ``BRMLP(seed=s)`` and ``MSDN(seed=s)`` start as the same
    function. ``**options``: the fields of :class:`~msdn_numpy.models.config.BRMLPConfig`.
    """

    kind = "br"

    def __init__(self, D: int, L: int, *, seed: Any = 0, **options: Any) -> None:
        check_sizes("BRMLP", D, L, seed)
        opts = make_options(BRMLPConfig, options)
        super().__init__(D, L, opts, seed=seed)
        rng = as_generator(seed)
        self.encoder = encoder(D, opts.hidden, opts.dropout, rng)
        self.head = Linear(opts.hidden, L, rng=rng)

    def children(self) -> list[tuple[str, Module]]:
        return [("encoder", self.encoder), ("head", self.head)]

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X (N, D)`` → logits ``(N, L)``."""
        check_input(X, "BRMLP", N=None, D=self.D)
        return self.head.forward(self.encoder.forward(X))

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        """``dlogits (N, L)`` → ``dX (N, D)``."""
        return self.encoder.backward(self.head.backward(dlogits))

    def layer_table(self) -> list[tuple[str, str, str, int]]:
        E = self.options.hidden
        rows = [("encoder", repr(layer), f"(N, {E})", layer.num_parameters()) for layer in self.encoder.layers]
        rows.append(("head", repr(self.head), f"(N, {self.L})", self.head.num_parameters()))
        return rows
