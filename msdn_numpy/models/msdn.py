"""MSDN, the Multi-Scale Label Dependence Relation Network (Kim, Park & Hong, 2021), as we reconstruct it.

::

    h = Dropout(ReLU(X W1 + b1))                   (N, E)          encoder
    g = h W_g + b_g                                (N, L)          head: one score per label (as in BR-MLP)
    Z[:, :, p] = tanh(u_p g[:, perm[p]] + e_p)     (N, d_s, L)     embed: label perm[p]'s own score alone
    F = concat_k ReLU(Conv1D_k(Z)), k in K         (N, |K| C, L)   convs, 'same' padding along the labels
    V = tanh(reshape((h A + a) B + c))             (N, d, L)       free_embed: one d-dim embedding per
                                                                   label read from h, rank-r bottleneck
    G = ReLU(Conv1D_1(V))                          (N, C_f, L)     free_conv: kernel size 1, no neighbours
    s = Conv1D_1x1(concat(G, F))                   (N, 1, L)       combine, starts at zero
    logits = g + s[:, 0, inverse]                  (N, L)

The paper's idea is the **relation block**, ``convs`` then ``combine``: 1-D convolutions with
several kernel sizes slide along the label axis, so a kernel of size k relates each label to
its neighbours within k positions, one scale per kernel size. The label axis is laid out in an
order ``perm`` (position p is label ``perm[p]``; ``inverse = argsort(perm)`` brings the block's
output back to the dataset's order). For the reach of a kernel to mean anything, position p
must be about label ``perm[p]`` alone: that is why ``convs`` reads ``embed``, a code of each
label's own score. The free branch beside it (``free_embed``, ``free_conv``) gives each label
capacity of its own, read from the whole hidden vector, but with kernel size 1 it relates no
labels. This default is ``embedding="both"``; ``"label"`` keeps only the relating branch, and
``"free"`` feeds the kernels the free embedding (where their reach means nothing: h already
sees every label). Everything around the block is our reconstruction (only the paper's abstract
is available to us): docs/DESIGN.md says what we chose and why.
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
        ``hidden=64, embed_dim=8, label_dim=16, free_channels=96, rank=16, channels=32,
        kernel_sizes=(1, 3, 5), dropout=0.3, padding_mode="zeros", embedding="both", label_order``;
        ``label_order`` names the rule that made ``label_perm`` ("given" without one, "custom" if
        unnamed).

    Notes
    -----
    Our choices around the block (docs/DESIGN.md, sections 2 and 5): the **head** ``g`` beside
    the block, and ``combine`` initialised at zero, so that MSDN starts as BR-MLP (with the same
    seed, the same encoder and head, weight for weight) and the convolutions learn a correction
    from the neighbouring labels; the free branch beside the kernels (``embedding="both"``, chosen
    on dev splits: docs/DESIGN.md, section 2a); the free embedding read through a **rank-r bottleneck**, so its
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
        if opts.embedding == "free":  # the kernels read embeddings of h: every position sees every label
            self.embed: Module = free_embedding(E, opts.rank, d, L, rng)
        else:  # position p holds a code of label perm[p]'s own score, nothing else
            self.embed = ScoreEmbedding(L, opts.label_dim, rng=rng)
        d_in = opts.kernel_channels
        self.convs = Parallel(
            [Sequential(Conv1D(d_in, C, k, padding="same", padding_mode=opts.padding_mode, rng=rng), ReLU())
             for k in K],
            axis=1,
        )  # fmt: skip
        width = C * len(K)
        if opts.embedding == "both":  # beside the kernels, a free branch that sees only its own position
            self.free_embed = free_embedding(E, opts.rank, d, L, rng)
            self.free_conv = Sequential(Conv1D(d, opts.free_channels, 1, rng=rng), ReLU())
            width += opts.free_channels
        self.combine = Conv1D(width, 1, 1, rng=rng)
        for p in self.combine.params.values():  # the relation block starts as an exact no-op
            p[...] = 0.0

    def children(self) -> list[tuple[str, Module]]:
        both = self.options.embedding == "both"
        free = [("free_embed", self.free_embed), ("free_conv", self.free_conv)] if both else []
        return [("encoder", self.encoder), ("head", self.head), ("embed", self.embed), ("convs", self.convs),
                *free, ("combine", self.combine)]  # fmt: skip

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X (N, D)`` → logits ``(N, L)`` in the dataset's label order."""
        check_input(X, "MSDN", N=None, D=self.D)
        h = self.encoder.forward(X)  # (N, E)
        g = self.head.forward(h)  # (N, L), the dataset's order
        Z = self.embed.forward(h if self.options.embedding == "free" else g[:, self.perm])  # (N, d, L), order perm
        F = self.convs.forward(Z)  # (N, |K| C, L)
        if self.options.embedding == "both":
            G = self.free_conv.forward(self.free_embed.forward(h))  # (N, C_f, L)
            F = np.concatenate([G, F], axis=1)
        s = self.combine.forward(F)  # (N, 1, L), order perm
        self._cache = len(X)
        return g + s[:, 0, self.inverse]  # s back in the dataset's order

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        """``dlogits (N, L)`` → ``dX (N, D)``; assigns every layer's gradients.

        A tensor used twice gets the sum of both gradients: ``h`` (head and free embedding),
        and the scores ``g`` (logits and the score embedding).
        """
        N = self._cached()
        if np.shape(dlogits) != (N, self.L):
            raise ValueError(f"MSDN.backward: dlogits must have the logits' shape (N, L) = {(N, self.L)}, "
                             f"got {np.shape(dlogits)}")  # fmt: skip
        # forward read s back with `inverse`, so position p of s made logit perm[p]: its gradient is dlogits[:, perm[p]]
        ds = dlogits[:, None, self.perm]  # (N, 1, L), order perm
        dF = self.combine.backward(ds)
        dh = 0.0
        if self.options.embedding == "both":  # the first C_f channels came from the free branch
            C_f = self.options.free_channels
            dh = self.free_embed.backward(self.free_conv.backward(dF[:, :C_f]))
            dF = dF[:, C_f:]
        dZ = self.convs.backward(dF)
        if self.options.embedding == "free":
            dh = dh + self.head.backward(dlogits) + self.embed.backward(dZ)
        else:
            dh = dh + self.head.backward(dlogits + self.embed.backward(dZ)[:, self.inverse])
        return self.encoder.backward(dh)

    def layer_table(self) -> list[tuple[str, str, str, int]]:
        o, L = self.options, self.L
        E, K = o.hidden, o.kernel_sizes
        rows = [("encoder", repr(layer), f"(N, {E})", layer.num_parameters()) for layer in self.encoder.layers]
        rows.append(("head", repr(self.head), f"(N, {L})", self.head.num_parameters()))
        if o.embedding == "free":
            rows += _free_rows("embed", self.embed, o, L)
        else:
            rows.append(("embed", repr(self.embed) + " of g", f"(N, {o.label_dim}, {L})", self.embed.num_parameters()))
        for branch in self.convs.branches:
            conv = branch.layers[0]
            rows.append(("convs", f"{conv!r} + ReLU", f"(N, {conv.C_out}, {L})", conv.num_parameters()))
        rows.append(("convs", "concatenate", f"(N, {o.channels * len(K)}, {L})", 0))
        if o.embedding == "both":
            rows += _free_rows("free_embed", self.free_embed, o, L)
            conv = self.free_conv.layers[0]
            rows.append(("free_conv", f"{conv!r} + ReLU", f"(N, {conv.C_out}, {L})", conv.num_parameters()))
        rows.append(("combine", f"concatenate, {self.combine!r}, zero init", f"(N, 1, {L})",
                     self.combine.num_parameters()))  # fmt: skip
        rows.append(("output", "head + combine", f"(N, {L})", 0))
        return rows


def free_embedding(E: int, r: int, d: int, L: int, rng: np.random.Generator) -> Sequential:
    """One ``d``-dim embedding per label read from ``h (N, E)`` through a rank-``r`` bottleneck, in (-1, 1)."""
    return Sequential(Linear(E, r, rng=rng), Linear(r, d * L, rng=rng), Reshape(d, L), Tanh())


def _free_rows(name: str, embed: Sequential, o: Any, L: int) -> list[tuple[str, str, str, int]]:
    shapes = [f"(N, {o.rank})", f"(N, {o.embed_dim * L})", f"(N, {o.embed_dim}, {L})", f"(N, {o.embed_dim}, {L})"]
    return [(name, repr(m), shape, m.num_parameters()) for m, shape in zip(embed.layers, shapes)]
