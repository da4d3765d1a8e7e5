"""Exercise 6, worked solution — MSDN's relation block: multi-scale Conv1D + ReLU, concatenation, 1x1 combine.

Try the exercise (``tutorials/exercises/06_msdn_relations.py``) before reading this.
Run:  python tutorials/exercises/solutions/06_msdn_relations.py      (prints PASS for every function)
"""

# %% [markdown]
# # Exercise 6: MSDN's relation block
#
# MSDN gives every label a `d`-dimensional embedding, conditioned on the example:
# `Z (N, d, L)`, one column per label. The relation block then slides 1-D convolutions
# along the *label* axis at several scales (kernel sizes), and combines their channels
# into one logit per label:
#
#     F_k    = ReLU(Conv1D_k(Z))                  (N, c, L)      'same' zero padding, one per kernel size k
#     F      = concat over k of F_k                (N, |K| c, L)  on the channel axis, in the order of the kernel sizes
#     logits = Conv1D_1x1(F)[:, 0, :]              (N, L)         one weight per channel, shared by all labels
#
# In the package these are MSDN's two stages `convs` (the first two lines) and `combine`
# (the last); here the 1x1 convolution is `readout_forward` and the attribute `readout`.
#
# 'same' padding keeps the label axis at length `L`: `K - 1` zeros in all, `(K - 1) // 2` on
# the left and the rest on the right (PyTorch's split, so an even kernel sees one more
# label after than before). Use the package's layers (`msdn_numpy.Conv1D`, `ReLU`) or your
# own convolution from exercise 3.
#
# Last, the block as a layer: `RelationBlock` holds one `Conv1D` and one `ReLU` per
# kernel size and the 1x1 `readout` (MSDN's `combine`). Write its `forward`, its
# `backward` (each layer's backward in reverse; where one tensor fed several branches,
# its gradients **add up**), and `children()`: a layer that holds sub-layers must list
# them all, or `gradcheck` and the optimisers would never see their parameters. The
# check runs `gradcheck` on the whole block.

# %%
import numpy as np

from msdn_numpy import Conv1D, Module, ReLU
from msdn_numpy.course.exercises import check


# %%
def multiscale_forward(Z: np.ndarray, Ws: list[np.ndarray], bs: list[np.ndarray]) -> np.ndarray:
    """Concatenate ``ReLU(Conv1D_k(Z))`` over the kernel sizes, on the channel axis.

    Parameters
    ----------
    Z : np.ndarray, shape (N, d, L)
        The label embeddings.
    Ws : list of np.ndarray, each of shape (c, d, k)
        One weight per kernel size ``k``, in order.
    bs : list of np.ndarray, each of shape (c,)

    Returns
    -------
    F : np.ndarray, shape (N, len(Ws) * c, L)
    """
    # ============================== YOUR CODE HERE ==============================
    maps = []
    for W, b in zip(Ws, bs):
        c, d, k = W.shape
        conv = Conv1D(d, c, k, padding="same")  # pads (k-1)//2 on the left, k//2 on the right
        conv.params["W"], conv.params["b"] = W, b
        maps.append(np.maximum(conv.forward(Z), 0.0))
    return np.concatenate(maps, axis=1)  # the channel axis: every scale side by side, per label
    # ============================== END OF YOUR CODE ============================


# %%
def readout_forward(F: np.ndarray, W_r: np.ndarray, b_r: np.ndarray) -> np.ndarray:
    """The 1x1 convolution that combines the channels (MSDN's ``combine``): one logit per label.

    Parameters
    ----------
    F : np.ndarray, shape (N, C, L)
    W_r : np.ndarray, shape (1, C, 1)
    b_r : np.ndarray, shape (1,)

    Returns
    -------
    logits : np.ndarray, shape (N, L)
        ``logits[n, l] = b_r[0] + sum_c W_r[0, c, 0] * F[n, c, l]``.
    """
    # ============================== YOUR CODE HERE ==============================
    # a kernel of size 1 looks at one label at a time: a weighted sum over the channels
    return np.einsum("c,ncl->nl", W_r[0, :, 0], F) + b_r[0]
    # ============================== END OF YOUR CODE ============================


# %%
class RelationBlock(Module):
    """``Z (N, d, L)`` → ``logits (N, L)``: the multi-scale convolutions and the 1x1 combine, as a layer.

    Parameters
    ----------
    d, c : int
        Embedding channels in, channels per kernel size out.
    kernel_sizes : tuple of int
    rng : int
        Seed of the initialisation.
    """

    def __init__(self, d: int, c: int, kernel_sizes: tuple[int, ...], rng: int = 0) -> None:
        super().__init__()
        gen = np.random.default_rng(rng)
        self.convs = [Conv1D(d, c, k, padding="same", rng=gen) for k in kernel_sizes]
        self.relus = [ReLU() for _ in kernel_sizes]
        self.readout = Conv1D(c * len(kernel_sizes), 1, 1, rng=gen)

    def children(self) -> list[tuple[str, Module]]:
        """Every sub-layer, named: ``[("conv0", ...), ..., ("relu0", ...), ..., ("readout", ...)]``."""
        # ============================== YOUR CODE HERE ==============================
        convs = [(f"conv{i}", conv) for i, conv in enumerate(self.convs)]
        relus = [(f"relu{i}", relu) for i, relu in enumerate(self.relus)]
        return convs + relus + [("readout", self.readout)]
        # ============================== END OF YOUR CODE ============================

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """``Z (N, d, L)`` → ``logits (N, L)``, through the layers' own forward passes."""
        # ============================== YOUR CODE HERE ==============================
        F = np.concatenate([relu.forward(conv.forward(Z)) for conv, relu in zip(self.convs, self.relus)], axis=1)
        self._cache = True  # for backward's "called before forward" check: each layer caches its own input
        return self.readout.forward(F)[:, 0, :]
        # ============================== END OF YOUR CODE ============================

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        """``dlogits (N, L)`` → ``dZ (N, d, L)``; every layer's backward fills its own ``grads``."""
        # ============================== YOUR CODE HERE ==============================
        self._cached()
        dF = self.readout.backward(dlogits[:, None, :])  # (N, 1, L) → (N, |K| c, L)
        pieces = np.split(dF, len(self.convs), axis=1)  # each branch's channels, in the forward's order
        # Z fed every branch, so its gradient is the sum of the branches' gradients
        return sum(conv.backward(relu.backward(piece)) for conv, relu, piece in zip(self.convs, self.relus, pieces))
        # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# `multiscale_forward` and `readout_forward` are compared with the package's `Conv1D`,
# `ReLU` and `Parallel` (even and odd kernel sizes, one and four scales); `RelationBlock`
# is compared with them too and then gradient-checked as a whole by `gradcheck`.

# %%
results = check("06_msdn_relations", globals())
