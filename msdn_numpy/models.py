"""The three models of the project, built only from the engine's layers.

* :class:`MSDN` — encoder → one d-dim embedding per label → multi-scale Conv1D block
  along the label axis → 1×1 convolution read-out, added to a label-wise head (the
  paper's idea, our reconstruction of it: see docs/DESIGN.md).
* :class:`RethinkRNN` — the RethinkNet-style LSTM baseline the paper compares against.
* :class:`BRMLP` — MSDN without the relation block ("no label relations" ablation).

Every model maps standardised features ``X (N, D)`` to an output whose loss is
BCE-with-logits against :meth:`MultiLabelModel.output_targets` of ``Y (N, L)``, and
gives final logits ``(N, L)`` through :meth:`MultiLabelModel.logits`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from msdn_numpy.nn.conv import Conv1D
from msdn_numpy.nn.layers import Dropout, Linear, Module, ReLU, Reshape, Sequential, Tanh, as_generator, check_input
from msdn_numpy.nn.losses import sigmoid
from msdn_numpy.nn.multiscale import MultiScaleConv1D
from msdn_numpy.nn.recurrent import LSTM
from msdn_numpy.nn.score_embedding import ScoreEmbedding
from msdn_numpy.util.checks import check_int, check_int_sequence

#: The label order MSDN is trained with unless told otherwise. A kernel only relates
#: labels that are neighbours in the order, and the order of a dataset's file is
#: arbitrary; spectral seriation of the co-occurrence graph puts labels that occur
#: together next to each other. The paper does not say which order it uses; on dev
#: splits carved from the training data, given, random and cooccurrence orders did about
#: as well (docs/DESIGN.md, section 5): we keep this one as the principled choice.
DEFAULT_LABEL_ORDER = "cooccurrence"

#: Dropout after the encoder, the same for all three models (one recipe for all): against
#: 0 it gained +0.004 example-F1 on average over the three models on dev splits carved
#: from the training data, most for BR-MLP (docs/DESIGN.md, section 5).
DEFAULT_DROPOUT = 0.3

#: What position p of MSDN's label axis carries (the ``relation`` option):
#: ``"free"``, an embedding of label p read from the whole hidden vector (any position may
#: hold any evidence, so the kernel sizes and the order carry no information), and
#: ``"label"``, an embedding of label p's own head score alone
#: (:class:`~msdn_numpy.nn.score_embedding.ScoreEmbedding`), so that a kernel of size k
#: relates only labels at most k-1 positions apart. See docs/DESIGN.md.
RELATIONS = ("free", "label")
DEFAULT_RELATION = "free"


def _check_arguments(where: str, D: Any, L: Any, seed: Any, dropout: Any, **sizes: Any) -> None:
    """The arguments every model constructor takes: integer sizes >= 1, a seed >= 0, dropout in [0, 1)."""
    check_int(where, "D", D, 1)
    if isinstance(L, numbers.Integral) and not isinstance(L, bool) and L == 0:
        raise ValueError(
            f"{where}: L=0: the data has no labels, so there is nothing to predict; load the dataset with "
            "its label list (the MULAN .xml, or -C n in @relation)"
        )
    check_int(where, "L", L, 1)
    for name, value in sizes.items():
        check_int(where, name, value, 1)
    if not isinstance(seed, np.random.Generator):
        check_int(where, "seed", seed, 0, 2**63 - 1)
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
        raise TypeError(f"{where}: dropout={dropout!r} is not a number; pass e.g. dropout=0.3")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"{where}: dropout must be in [0, 1), got dropout={dropout}; pass e.g. dropout=0.3")


class MultiLabelModel(Module):
    """What the trainer, the CLI and the model files need from every model.

    ``config`` holds the constructor's keyword arguments (JSON-able), so that a model
    file can rebuild the same architecture before loading the weights.
    """

    kind = "base"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config = dict(config)
        self.D = int(config["D"])
        self.L = int(config["L"])

    def output_targets(self, Y: np.ndarray) -> np.ndarray:
        """The targets the training output is compared with (``Y`` itself by default)."""
        return Y

    def logits_from_output(self, out: np.ndarray) -> np.ndarray:
        """Final ``(N, L)`` logits from the training output (identity by default)."""
        return out

    def logits(self, X: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Evaluation-mode logits ``(N, L)``, computed in batches; restores the mode after.

        Rows per batch, unless ``batch_size`` says: ``min(1024, max(32, 2**17 // L))``, so
        that the largest intermediate array (MSDN's ``(rows, |K| C, L)``, ~50 MB in float32)
        stays the same size whatever L, and time and memory stay linear in L.
        """
        if batch_size is None:
            batch_size = min(1024, max(32, 2**17 // self.L))
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

    def _check_X(self, X: np.ndarray) -> None:
        check_input(X, type(self).__name__, 2, f"(N, D={self.D})", axis1=self.D)

    # -- reporting ------------------------------------------------------------------
    def parameter_split(self) -> dict[str, int]:
        """Parameters by part: encoder / label embedding / relation block or LSTM / read-out."""
        raise NotImplementedError

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
            lines.append(
                "  ".join([r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2]), r[3].rjust(widths[3])])
            )
            if i == 0 or i == len(rows) - 2:
                lines.append("-" * len(lines[-1]))
        return "\n".join(lines)


def _encoder(D: int, E: int, dropout: float, rng: np.random.Generator) -> Sequential:
    """``x (N, D) → ReLU(x W + b) (N, E)``, then (inverted) dropout if asked for."""
    if not 0.0 <= dropout < 1.0:  # also NaN: a negative or NaN rate must not mean "no dropout"
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    layers: list[Module] = [Linear(D, E, rng=rng), ReLU()]
    if dropout > 0:
        layers.append(Dropout(dropout, rng=rng.integers(2**32)))
    return Sequential(*layers)


class MSDN(MultiLabelModel):
    """Multi-Scale Label Dependence Relation Network (our reconstruction).

    ::

        h = Dropout(ReLU(X W1 + b1))                   (N, E)     encoder
        g = h W_g + b_g                                (N, L)     label-wise head (as in BR-MLP)
        Z = tanh(reshape((h A + a) B + c))             (N, d, L)  relation="free": one d-dim embedding
                                                                  per label, through a rank-r bottleneck
        Z[:, :, p] = tanh(u_p g[:, p] + e_p)           (N, d, L)  relation="label": label p's own
                                                                  score alone (ScoreEmbedding)
        F = ReLU(concat_k Conv1D_k(Z)), k in K         (N, |K| C, L)  'same' padding along the labels
        s = Conv1D_1(F)                                (N, 1, L)  shared read-out, starts at zero
        logits = g + s[:, 0, :]                        (N, L)

    The relation block (``Z → s``) is the paper's idea: 1-D convolutions with several
    kernel sizes slide along the label axis, so a kernel of size k relates each label to
    its k-1 neighbours (positions j-(k-1)//2 … j+k//2 of the label order ``perm``).
    Everything around it is our reconstruction (the paper's text is not available to
    us); see docs/DESIGN.md. ``Z``'s position p is label ``perm[p]``; the logits come
    back in the dataset's own label order.

    Parameters
    ----------
    D, L : int
        Features and labels.
    hidden : int
        Encoder width E.
    embed_dim : int
        Label-embedding channels d.
    rank : int
        Width r of the bottleneck ``h A`` the label embeddings are read from.
    channels : int
        Channels C per kernel size.
    kernel_sizes : tuple of int
        The scales K.
    dropout : float
        Dropout after the encoder (0 disables it).
    padding_mode : {"zeros", "circular"}
        How the label axis is padded at its two ends.
    relation : {"free", "label"}
        What position p of the label axis carries: ``"free"`` (the default), an embedding
        of label p read from the whole hidden vector h; ``"label"``, an embedding of label
        p's own head score alone, so that a kernel of size k can only relate labels at most
        k-1 positions apart (``rank`` is then unused). See :data:`RELATIONS`.
    label_perm : list of int, optional
        The label order (a permutation of ``range(L)``); identity by default.
        Compute it with :func:`msdn_numpy.dataio.label_orders.label_order`
        (:func:`msdn_numpy.train.train_model` does, with :data:`DEFAULT_LABEL_ORDER`).
    label_order : str, optional
        The name of the method that produced ``label_perm``, recorded in the config
        (``"given"`` when ``label_perm`` is omitted, ``"custom"`` when unnamed).
    seed : int
        Seed of the initialisation and of dropout.

    Notes
    -----
    Three choices are ours, each measured on validation splits carved from the
    training data (docs/DESIGN.md, section 5, "How the defaults were chosen"):

    * **The label-wise head** ``g`` beside the relation block, with the read-out's
      weights and bias initialised to zero: the relation block starts as an exact
      no-op, so MSDN starts as BR-MLP (with the same seed its encoder and head are
      BR-MLP's, weight for weight) and the convolutions learn a *correction* from the
      neighbouring labels. Without it, every label, rare ones included, had to be
      learned through the shared 1×1 read-out, and MSDN fell far below BR-MLP on
      small data with rare labels.
    * **The label embedding through a rank-r bottleneck** ``E → r → d L``: its size
      grows as ``r d L`` instead of ``E d L``, which keeps MSDN small at large L
      (CAL500: 174 labels), and it did as well or better on validation.
    * **tanh on the embeddings**, so every label's embedding lies in (-1, 1)^d.
    """

    kind = "msdn"
    uses_label_order = True  # train_model computes label_perm from the training labels

    def __init__(
        self,
        D: int,
        L: int,
        *,
        hidden: int = 64,
        embed_dim: int = 8,
        rank: int = 16,
        channels: int = 32,
        kernel_sizes: tuple[int, ...] = (1, 3, 5),
        dropout: float = DEFAULT_DROPOUT,
        padding_mode: str = "zeros",
        relation: str = DEFAULT_RELATION,
        label_perm: list[int] | None = None,
        label_order: str | None = None,
        seed: int = 0,
    ) -> None:
        _check_arguments("MSDN", D, L, seed, dropout, hidden=hidden, embed_dim=embed_dim, rank=rank, channels=channels)
        kernel_sizes = check_int_sequence("MSDN", "kernel_sizes", kernel_sizes)
        perm = np.arange(L) if label_perm is None else np.asarray(label_perm, dtype=np.int64)
        if sorted(perm.tolist()) != list(range(L)):
            raise ValueError(f"MSDN: label_perm must be a permutation of range(L={L}), got {perm.tolist()}")
        if len(set(kernel_sizes)) != len(kernel_sizes):
            raise ValueError(f"MSDN: kernel_sizes must be distinct (one scale each), got {kernel_sizes}")
        if relation not in RELATIONS:
            raise ValueError(f"MSDN: relation must be one of {', '.join(RELATIONS)}, got {relation!r}")
        if label_order is None:
            label_order = "given" if label_perm is None else "custom"
        super().__init__(
            dict(
                D=D, L=L, hidden=hidden, embed_dim=embed_dim, rank=rank, channels=channels,
                kernel_sizes=list(kernel_sizes), dropout=dropout, padding_mode=padding_mode, relation=relation,
                label_perm=perm.tolist(), label_order=label_order, seed=seed,
            )
        )  # fmt: skip
        rng = as_generator(seed)
        self.perm = perm
        self.inverse = np.argsort(perm)
        self.hidden, self.embed_dim, self.rank, self.channels = hidden, embed_dim, rank, channels
        self.kernel_sizes = kernel_sizes
        self.relation = relation
        # Encoder and head first, drawn exactly as BRMLP draws its own: same seed, same weights.
        self.encoder = _encoder(D, hidden, dropout, rng)
        self.head = Linear(hidden, L, rng=rng)
        if relation == "free":
            self.embed: Module = Sequential(
                Linear(hidden, rank, rng=rng), Linear(rank, embed_dim * L, rng=rng), Reshape(embed_dim, L), Tanh()
            )
        else:  # position p holds a code of label perm[p]'s own score, nothing else
            self.embed = ScoreEmbedding(L, embed_dim, rng=rng)
        # Every kernel size from one shared im2col matrix (nn.multiscale.MultiScaleConv1D: one product on
        # short label axes, one per kernel size on long ones); the same function, and the same
        # initial weights, as the readable version
        # Parallel([Sequential(Conv1D(d, C, k, padding="same"), ReLU()) for k in K], axis=1).
        self.relations = Sequential(
            MultiScaleConv1D(embed_dim, channels, kernel_sizes, padding_mode=padding_mode, rng=rng), ReLU()
        )
        self.readout = Conv1D(channels * len(kernel_sizes), 1, 1, rng=rng)
        for p in self.readout.params.values():  # the relation block starts as an exact no-op
            p[...] = 0.0

    def children(self) -> list[tuple[str, Module]]:
        return [
            ("encoder", self.encoder),
            ("head", self.head),
            ("embed", self.embed),
            ("relations", self.relations),
            ("readout", self.readout),
        ]

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X (N, D)`` → logits ``(N, L)`` in the dataset's label order."""
        self._check_X(X)
        h = self.encoder.forward(X)  # (N, E)
        g = self.head.forward(h)  # (N, L)
        # (N, d, L), label order = perm: read from h ("free") or from each label's own score ("label")
        Z = self.embed.forward(h if self.relation == "free" else g[:, self.perm])
        s = self.readout.forward(self.relations.forward(Z))  # (N, 1, L)
        self._cache = True
        return g + s[:, 0, self.inverse]  # back to the dataset's order

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        """``dlogits (N, L)`` → ``dX (N, D)``; fills every layer's gradients.

        ``"free"``: ``h`` feeds both the head and the embedding, so its gradient is the sum
        of the two. ``"label"``: the head's score ``g`` feeds both the logits and the
        embedding, so *its* gradient is the sum of the two.
        """
        self._cached()
        ds = dlogits[:, None, self.perm]  # (N, 1, L) in the convolution's order
        dZ = self.relations.backward(self.readout.backward(ds))
        if self.relation == "free":
            dh = self.head.backward(dlogits) + self.embed.backward(dZ)
        else:
            dg = dlogits + self.embed.backward(dZ)[:, self.inverse]
            dh = self.head.backward(dg)
        return self.encoder.backward(dh)

    def parameter_split(self) -> dict[str, int]:
        return {
            "encoder": self.encoder.num_parameters(),
            "label-wise head": self.head.num_parameters(),
            "label embedding": self.embed.num_parameters(),
            "relation block": self.relations.num_parameters() + self.readout.num_parameters(),
        }

    def layer_table(self) -> list[tuple[str, str, str, int]]:
        E, d, r, c, L = self.hidden, self.embed_dim, self.rank, self.channels, self.L
        rows = [("encoder", repr(layer), f"(N, {E})", layer.num_parameters()) for layer in self.encoder.layers]
        rows.append(("label-wise head", repr(self.head), f"(N, {L})", self.head.num_parameters()))
        if self.relation == "free":
            shapes = [f"(N, {r})", f"(N, {d * L})", f"(N, {d}, {L})", f"(N, {d}, {L})"]
            for layer, shape in zip(self.embed.layers, shapes):
                rows.append(("label embedding", repr(layer), shape, layer.num_parameters()))
        else:
            rows.append(("label embedding", repr(self.embed) + " of g", f"(N, {d}, {L})", self.embed.num_parameters()))
        fused = self.relations.layers[0]
        rows.append(("relation block", repr(fused), f"(N, {c * len(self.kernel_sizes)}, {L})", 0))
        for k in self.kernel_sizes:
            n = fused.params[f"W{k}"].size + fused.params[f"b{k}"].size
            rows.append(("relation block", f"  kernel {k}: W{k} ({c}, {d}, {k}), b{k} ({c},)", f"(N, {c}, {L})", n))
        rows.append(("relation block", "ReLU()", f"(N, {c * len(self.kernel_sizes)}, {L})", 0))
        rows.append(
            ("relation block", repr(self.readout) + ", zero init", f"(N, 1, {L})", self.readout.num_parameters())
        )
        rows.append(("output", "head + relation block", f"(N, {L})", 0))
        return rows


class BRMLP(MultiLabelModel):
    """Binary relevance MLP: MSDN without the relation block.

    ``logits = Dropout(ReLU(X W1 + b1)) W2 + b2``, shapes ``(N, D) → (N, E) → (N, L)``.
    Each label's logit is a separate linear read-out of the shared encoder, with no
    path from one label to another: the "no label relations" ablation. Its encoder and
    read-out are MSDN's encoder and label-wise head, drawn in the same order, so that
    ``BRMLP(seed=s)`` and ``MSDN(seed=s)`` start from the same function.
    """

    kind = "br"

    def __init__(self, D: int, L: int, *, hidden: int = 64, dropout: float = DEFAULT_DROPOUT, seed: int = 0) -> None:
        _check_arguments("BRMLP", D, L, seed, dropout, hidden=hidden)
        super().__init__(dict(D=D, L=L, hidden=hidden, dropout=dropout, seed=seed))
        rng = as_generator(seed)
        self.hidden = hidden
        self.encoder = _encoder(D, hidden, dropout, rng)
        self.readout = Linear(hidden, L, rng=rng)

    def children(self) -> list[tuple[str, Module]]:
        return [("encoder", self.encoder), ("readout", self.readout)]

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X (N, D)`` → logits ``(N, L)``."""
        self._check_X(X)
        self._cache = True
        return self.readout.forward(self.encoder.forward(X))

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        self._cached()
        return self.encoder.backward(self.readout.backward(dlogits))

    def parameter_split(self) -> dict[str, int]:
        return {"encoder": self.encoder.num_parameters(), "read-out": self.readout.num_parameters()}

    def layer_table(self) -> list[tuple[str, str, str, int]]:
        rows = [
            ("encoder", repr(layer), f"(N, {self.hidden})", layer.num_parameters()) for layer in self.encoder.layers
        ]
        rows.append(("read-out", repr(self.readout), f"(N, {self.L})", self.readout.num_parameters()))
        return rows


class RethinkRNN(MultiLabelModel):
    """RethinkNet-style LSTM baseline (Yang, Lin, Chu & Lin, ACML 2019).

    The input is repeated for ``B`` steps ("rethinking" the prediction B times)::

        u = ReLU(X W_e + b_e)                    (N, 128)     Dense(128, ReLU), the same at every step
        U = repeat(u, B)                         (N, B, 128)
        H = LSTM(U)                              (N, B, 128)  memory of the previous predictions
        out = H W_o + b_o                        (N, B, L)    Dense(L) read-out at every step

    Training compares every step with ``Y`` (the loss over steps); prediction uses
    the last step. Since Dense(128) sees the same input at every step we compute it
    once and repeat the result; the backward pass sums the B step gradients.

    Notes
    -----
    RethinkNet also re-weights its loss for a target metric (cost-sensitive); like
    every model here we use plain BCE. We *average* the BCE over the B steps rather
    than summing it: the same objective up to the constant factor B, to which Adam's
    update is (nearly) invariant.
    """

    kind = "rnn"

    def __init__(
        self, D: int, L: int, *, hidden: int = 128, steps: int = 3, dropout: float = DEFAULT_DROPOUT, seed: int = 0
    ) -> None:
        _check_arguments("RethinkRNN", D, L, seed, dropout, hidden=hidden, steps=steps)
        super().__init__(dict(D=D, L=L, hidden=hidden, steps=steps, dropout=dropout, seed=seed))
        rng = as_generator(seed)
        self.hidden, self.steps = hidden, steps
        self.encoder = _encoder(D, hidden, dropout, rng)
        self.lstm = LSTM(hidden, hidden, rng=rng)
        self.readout = Linear(hidden, L, rng=rng)

    def children(self) -> list[tuple[str, Module]]:
        return [("encoder", self.encoder), ("lstm", self.lstm), ("readout", self.readout)]

    def output_targets(self, Y: np.ndarray) -> np.ndarray:
        """``Y (N, L)`` repeated for every step: ``(N, B, L)``."""
        return np.repeat(Y[:, None, :], self.steps, axis=1)

    def logits_from_output(self, out: np.ndarray) -> np.ndarray:
        """The last step's logits, ``(N, B, L) → (N, L)``."""
        return out[:, -1, :]

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X (N, D)`` → per-step logits ``(N, B, L)``."""
        self._check_X(X)
        u = self.encoder.forward(X)  # (N, E)
        U = np.repeat(u[:, None, :], self.steps, axis=1)  # (N, B, E)
        self._cache = True
        return self.readout.forward(self.lstm.forward(U))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout (N, B, L)`` → ``dX (N, D)``."""
        self._cached()
        dU = self.lstm.backward(self.readout.backward(dout))
        return self.encoder.backward(dU.sum(axis=1))  # u was copied to every step

    def parameter_split(self) -> dict[str, int]:
        return {
            "encoder": self.encoder.num_parameters(),
            "LSTM": self.lstm.num_parameters(),
            "read-out": self.readout.num_parameters(),
        }

    def layer_table(self) -> list[tuple[str, str, str, int]]:
        E, B = self.hidden, self.steps
        rows = [("encoder", repr(layer), f"(N, {E})", layer.num_parameters()) for layer in self.encoder.layers]
        rows.append(("repeat", f"repeat x{B}", f"(N, {B}, {E})", 0))
        rows.append(("LSTM", f"LSTM({E}, {E})", f"(N, {B}, {E})", self.lstm.num_parameters()))
        rows.append(("read-out", repr(self.readout), f"(N, {B}, {self.L})", self.readout.num_parameters()))
        return rows


MODELS: dict[str, type[MultiLabelModel]] = {"msdn": MSDN, "rnn": RethinkRNN, "br": BRMLP}


def build_model(kind: str, D: int, L: int, **kwargs: Any) -> MultiLabelModel:
    """Build a model by name (``"msdn"``, ``"rnn"`` or ``"br"``)."""
    if kind not in MODELS:
        raise ValueError(f"unknown model '{kind}': choose one of {', '.join(MODELS)}")
    return MODELS[kind](D, L, **kwargs)
