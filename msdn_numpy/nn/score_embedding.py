"""ScoreEmbedding: a d-dim embedding of each label made from that label's own score alone.

MSDN convolves along the label axis, so that a kernel of size k relates each label to
its k-1 neighbours in the label order. That only holds if position ``p`` of the axis
carries information about its own label and nothing else: if every position can read
the whole hidden vector (the "free" embedding, :class:`~msdn_numpy.models.MSDN` with
``embedding="free"``), a kernel of size 1 can compute everything a kernel of size 5
can, and the order of the axis means nothing. This layer builds the embedding of
label ``p`` from one number, the label's own score ``g[:, p]``, through weights that
belong to that label::

    Z[n, c, p] = tanh(u[c, p] * g[n, p] + e[c, p])        (N, d, L)

so ``Z[:, :, p]`` is a function of ``g[:, p]`` alone: a per-label code of "how sure
am I of label p", plus a learned static per-label part ``e`` (which tells the kernels
sliding over the axis which label they are looking at). A kernel of size k centred
at ``p`` then sees only the scores of the labels within its reach.

Backward, with ``a = 1 - Z²``::

    du[c, p] = sum_n dZ[n, c, p] a[n, c, p] g[n, p]
    de[c, p] = sum_n dZ[n, c, p] a[n, c, p]
    dg[n, p] = sum_c dZ[n, c, p] a[n, c, p] u[c, p]

The paper does not describe how its label embeddings are built; this design is ours
(docs/DESIGN.md, "What the label axis carries").
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.nn.layers import Module, as_generator


class ScoreEmbedding(Module):
    """``g (N, L) → Z (N, d, L)`` with ``Z[:, :, p] = tanh(u[:, p] g[:, p] + e[:, p])``.

    Parameters
    ----------
    L : int
        Labels (positions of the label axis).
    d : int
        Embedding channels per label.
    rng : Generator or int, optional
        Initialisation: ``u ~ N(0, 1)`` and ``e ~ N(0, 1)``, so that at the start the
        d channels of a label are d different squashings of its score.
    """

    def __init__(self, L: int, d: int, *, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if L < 1 or d < 1:
            raise ValueError(f"ScoreEmbedding: L and d must be >= 1, got L={L}, d={d}")
        rng = as_generator(rng)
        self.L, self.d = L, d
        self.params["u"] = rng.standard_normal((d, L))
        self.params["e"] = rng.standard_normal((d, L))

    def forward(self, g: np.ndarray) -> np.ndarray:
        if not isinstance(g, np.ndarray) or g.ndim != 2 or g.shape[1] != self.L:
            got = g.shape if isinstance(g, np.ndarray) else type(g).__name__
            raise ValueError(f"ScoreEmbedding: expected scores of shape (N, L={self.L}), got {got}")
        Z = np.tanh(self.params["u"] * g[:, None, :] + self.params["e"])
        self._cache = (g, Z)
        return Z

    def backward(self, dZ: np.ndarray) -> np.ndarray:
        g, Z = self._cached()
        dpre = dZ * (1.0 - Z * Z)  # (N, d, L)
        self.grads["u"] = np.einsum("ncl,nl->cl", dpre, g)
        self.grads["e"] = dpre.sum(axis=0)
        return np.einsum("ncl,cl->nl", dpre, self.params["u"])

    def __repr__(self) -> str:
        return f"ScoreEmbedding(L={self.L}, d={self.d})"
