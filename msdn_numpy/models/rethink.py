"""RethinkRNN, the RethinkNet-style LSTM baseline (Yang, Lin, Chu & Lin, ACML 2019) the paper compares against."""

from __future__ import annotations

from typing import Any

import numpy as np

from msdn_numpy.models.base import MultiLabelModel, check_sizes, encoder
from msdn_numpy.models.config import RethinkRNNConfig, make_options
from msdn_numpy.nn.layers import Linear, Module, as_generator, check_input
from msdn_numpy.nn.recurrent import LSTM


class RethinkRNN(MultiLabelModel):
    """The input is repeated for ``B`` steps, "rethinking" the prediction B times::

        u = ReLU(X W_e + b_e)                    (N, E)       Dense(E, ReLU), the same at every step
        U = repeat(u, B)                         (N, B, E)
        H = LSTM(U)                              (N, B, E)    memory of the previous predictions
        out = H W_g + b_g                        (N, B, L)    the head, at every step

    Training compares every step with ``Y``; prediction uses the last step. Dense(E) sees the
    same input at every step, so it is computed once and repeated; backward sums the B step
    gradients. ``**options``: the fields of :class:`~msdn_numpy.models.config.RethinkRNNConfig`.

    Deviations from RethinkNet (docs/DESIGN.md, section 3): plain BCE instead of its cost-sensitive
    re-weighting, like every model here; the BCE *averaged* over the B steps rather than summed
    (the same objective up to the factor B, to which Adam is nearly invariant); one LSTM bias.
    """

    kind = "rnn"

    def __init__(self, D: int, L: int, *, seed: Any = 0, **options: Any) -> None:
        check_sizes("RethinkRNN", D, L, seed)
        opts = make_options(RethinkRNNConfig, options)
        super().__init__(D, L, opts, seed=seed)
        rng = as_generator(seed)
        self.steps = opts.steps
        self.encoder = encoder(D, opts.hidden, opts.dropout, rng)
        self.lstm = LSTM(opts.hidden, opts.hidden, rng=rng)
        self.head = Linear(opts.hidden, L, rng=rng)

    def children(self) -> list[tuple[str, Module]]:
        return [("encoder", self.encoder), ("lstm", self.lstm), ("head", self.head)]

    def output_targets(self, Y: np.ndarray) -> np.ndarray:
        """``Y (N, L)`` repeated for every step: ``(N, B, L)``."""
        return np.repeat(Y[:, None, :], self.steps, axis=1)

    def logits_from_output(self, out: np.ndarray) -> np.ndarray:
        """The last step's logits, ``(N, B, L) → (N, L)``."""
        return out[:, -1, :]

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X (N, D)`` → per-step logits ``(N, B, L)``."""
        check_input(X, "RethinkRNN", N=None, D=self.D)
        u = self.encoder.forward(X)  # (N, E)
        U = np.repeat(u[:, None, :], self.steps, axis=1)  # (N, B, E)
        return self.head.forward(self.lstm.forward(U))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout (N, B, L)`` → ``dX (N, D)``."""
        dU = self.lstm.backward(self.head.backward(dout))
        return self.encoder.backward(dU.sum(axis=1))  # u was copied to every step

    def layer_table(self) -> list[tuple[str, str, str, int]]:
        E, B = self.options.hidden, self.steps
        rows = [("encoder", repr(layer), f"(N, {E})", layer.num_parameters()) for layer in self.encoder.layers]
        rows.append(("repeat", f"repeat x{B}", f"(N, {B}, {E})", 0))
        rows.append(("lstm", f"LSTM({E}, {E})", f"(N, {B}, {E})", self.lstm.num_parameters()))
        rows.append(("head", repr(self.head), f"(N, {B}, {self.L})", self.head.num_parameters()))
        return rows
