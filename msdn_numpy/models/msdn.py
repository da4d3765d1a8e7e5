"""MSDN, the Multi-Scale Label Dependence Relation Network (Kim, Park & Hong, 2021), as we reconstruct it.

::

    h = Dropout(ReLU(X W1 + b1))                   (N, E)          encoder
    g = h W_g + b_g                                (N, L)          head: one score per label (as in BR-MLP)
    Z = tanh(reshape((h A + a) B + c))             (N, d, L)       embed, embedding="free": one d-dim
                                                                   embedding per label, rank-r bottleneck
    Z[:, :, p] = tanh(u_p g[:, perm[p]] + e_p)     (N, d, L)       embed, embedding="label": label
                                                                   perm[p]'s own score alone
    F = concat_k ReLU(Conv1D_k(Z)), k in K         (N, |K| C, L)   convs, 'same' padding along the labels
    s = Conv1D_1x1(F)                              (N, 1, L)       combine, starts at zero
    logits = g + s[:, 0, inverse]                  (N, L)

The paper's idea is the **relation block**, ``convs`` then ``combine``: 1-D convolutions with
several kernel sizes slide along the label axis, so a kernel of size k relates each label to
its neighbours within k positions, one scale per kernel size. The label axis is laid out in an
order ``perm`` (position p is label ``perm[p]``; ``inverse = argsort(perm)`` brings the block's
output back to the dataset's order). Everything around the block is our reconstruction (only
the paper's abstract is available to us): docs/DESIGN.md says what we chose and why.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from msdn_numpy.models.base import MultiLabelModel, check_sizes, encoder
from msdn_numpy.models.config import CUSTOM_ORDER, MSDNConfig, make_options
from msdn_numpy.nn.conv import Conv1D
from msdn_numpy.nn.layers import Linear, Module, Parallel, ReLU, Reshape, Sequential, Tanh, as_generator, check_input
from msdn_numpy.nn.score_embedding import ScoreEmbedding


class MSDN(MultiLabelModel):
    """MSDN: encoder, head, label embedding, multi-scale convolutions along the labels, 1×1 combine.

    Parameters
    ----------
    D, L : int
        Features and labels.
    label_perm : list of int, optional
        The label order, a permutation of ``range(L)`` (identity by default). Compute it with
        :func:`msdn_numpy.dataio.label_orders.label_order`; :func:`msdn_numpy.train.train_model` does.
    seed : int or Generator
        Seeds the initialisation and dropout.
    **options
        The fields of :class:`~msdn_numpy.models.config.MSDNConfig`, with their defaults:
        ``hidden=64, embed_dim=8, rank=16, channels=32, kernel_sizes=(1, 3, 5), dropout=0.3,
        padding_mode="zeros", embedding="free", label_order``; ``label_order`` names the rule
        that made ``label_perm`` ("given" without one, "custom" if unnamed).

    Notes
    -----
    Our choices around the block (docs/DESIGN.md, sections 2 and 5): the **head** ``g`` beside
    the block, and ``combine`` initialised at zero, so that MSDN starts as BR-MLP (with the same
    seed, the same encoder and head, weight for weight) and the convolutions learn a correction
    from the neighbouring labels; the free embedding read through a **rank-r bottleneck**, so its
    size grows as ``r d L`` rather than ``E d L``; **tanh**, so every embedding lies in (-1, 1)^d.
    """

    kind = "msdn"
    uses_label_order = True

    def __init__(self, D: int, L: int, *, label_perm: list[int] | None = None, seed: Any = 0, **options: Any) -> None:
        check_sizes("MSDN", D, L, seed)
        if label_perm is None and options.setdefault("label_order", "given") != "given":
            raise ValueError(
                f"MSDN: label_order={options['label_order']!r} needs label_perm, the order computed from the "
                "training labels (msdn_numpy.dataio.label_orders.label_order); train_model computes it for you"
            )
        options.setdefault("label_order", CUSTOM_ORDER)
        opts = make_options(MSDNConfig, options)
        perm = np.arange(L) if label_perm is None else np.asarray(label_perm, dtype=np.int64)
        if sorted(perm.tolist()) != list(range(L)):
            raise ValueError(f"MSDN: label_perm must be a permutation of range(L={L}), got {perm.tolist()}")
        super().__init__(D, L, opts, label_perm=perm.tolist(), seed=seed)
        self.perm, self.inverse = perm, np.argsort(perm)
        E, d, C, K = opts.hidden, opts.embed_dim, opts.channels, opts.kernel_sizes
        rng = as_generator(seed)
        # encoder and head first, drawn exactly as BRMLP draws its own: same seed, same weights
        self.encoder = encoder(D, E, opts.dropout, rng)
        self.head = Linear(E, L, rng=rng)
        if opts.embedding == "free":
            self.embed: Module = Sequential(Linear(E, opts.rank, rng=rng), Linear(opts.rank, d * L, rng=rng),
                                            Reshape(d, L), Tanh())  # fmt: skip
        else:  # position p holds a code of label perm[p]'s own score, nothing else
            self.embed = ScoreEmbedding(L, d, rng=rng)
        self.convs = Parallel(
            [Sequential(Conv1D(d, C, k, padding="same", padding_mode=opts.padding_mode, rng=rng), ReLU()) for k in K],
            axis=1,
        )
        self.combine = Conv1D(C * len(K), 1, 1, rng=rng)
        for p in self.combine.params.values():  # the relation block starts as an exact no-op
            p[...] = 0.0

    def children(self) -> list[tuple[str, Module]]:
        return [("encoder", self.encoder), ("head", self.head), ("embed", self.embed), ("convs", self.convs),
                ("combine", self.combine)]  # fmt: skip

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X (N, D)`` → logits ``(N, L)`` in the dataset's label order."""
        check_input(X, "MSDN", N=None, D=self.D)
        h = self.encoder.forward(X)  # (N, E)
        g = self.head.forward(h)  # (N, L), the dataset's order
        Z = self.embed.forward(h if self.options.embedding == "free" else g[:, self.perm])  # (N, d, L), order perm
        s = self.combine.forward(self.convs.forward(Z))  # (N, 1, L), order perm
        self._cache = len(X)
        return g + s[:, 0, self.inverse]  # s back in the dataset's order

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        """``dlogits (N, L)`` → ``dX (N, D)``; assigns every layer's gradients.

        A tensor used twice gets the sum of both gradients: ``h`` (head and free embedding), or
        with ``embedding="label"`` the scores ``g`` (logits and embedding).
        """
        N = self._cached()
        if np.shape(dlogits) != (N, self.L):
            raise ValueError(f"MSDN.backward: dlogits must have the logits' shape (N, L) = {(N, self.L)}, "
                             f"got {np.shape(dlogits)}")  # fmt: skip
        # forward read s back with `inverse`, so position p of s made logit perm[p]: its gradient is dlogits[:, perm[p]]
        ds = dlogits[:, None, self.perm]  # (N, 1, L), order perm
        dZ = self.convs.backward(self.combine.backward(ds))
        if self.options.embedding == "free":
            dh = self.head.backward(dlogits) + self.embed.backward(dZ)
        else:
            dh = self.head.backward(dlogits + self.embed.backward(dZ)[:, self.inverse])
        return self.encoder.backward(dh)

    def layer_table(self) -> list[tuple[str, str, str, int]]:
        E, d, L, K = self.options.hidden, self.options.embed_dim, self.L, self.options.kernel_sizes
        F = f"(N, {self.options.channels * len(K)}, {L})"
        rows = [("encoder", repr(layer), f"(N, {E})", layer.num_parameters()) for layer in self.encoder.layers]
        rows.append(("head", repr(self.head), f"(N, {L})", self.head.num_parameters()))
        if self.options.embedding == "free":
            shapes = [f"(N, {self.options.rank})", f"(N, {d * L})", f"(N, {d}, {L})", f"(N, {d}, {L})"]
            rows += [("embed", repr(m), shape, m.num_parameters()) for m, shape in zip(self.embed.layers, shapes)]
        else:
            rows.append(("embed", repr(self.embed) + " of g", f"(N, {d}, {L})", self.embed.num_parameters()))
        for branch in self.convs.branches:
            conv = branch.layers[0]
            rows.append(("convs", f"{conv!r} + ReLU", f"(N, {conv.C_out}, {L})", conv.num_parameters()))
        rows.append(("convs", "concatenate", F, 0))
        rows.append(("combine", repr(self.combine) + ", zero init", f"(N, 1, {L})", self.combine.num_parameters()))
        rows.append(("output", "head + combine", f"(N, {L})", 0))
        return rows
