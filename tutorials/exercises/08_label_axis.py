"""Exercise 8 — the label axis: a per-label embedding and the reach of a kernel.

Fill in the code between the ``YOUR CODE`` markers, then run this file (or its cells in a
notebook): the last cell checks each function against the package and prints PASS, FAIL
(with what is wrong) or NOT DONE. The worked solution is ``solutions/08_label_axis.py``: try first.
Run:  python tutorials/exercises/08_label_axis.py
"""

# %% [markdown]
# # Exercise 8: what the label axis carries, and how far a kernel reaches
#
# MSDN slides kernels of several sizes along the *label axis*: position `p` of an
# `(N, d, L)` tensor belongs to label `p` (in the chosen order), and a kernel of size `k`
# mixes neighbouring positions. That only relates *neighbouring labels* if position `p`
# holds information about label `p` alone (tutorial 10). The score embedding the kernels
# read (`embed`, in the default `embedding="both"` and in `embedding="label"`) builds the
# embedding of label `p` from one number, the label's own head score `g[:, p]`, through
# weights of its own:
#
#     Z[n, c, p] = tanh(u[c, p] * g[n, p] + e[c, p])          g (N, L) -> Z (N, d, L)
#
# Backward, for an upstream gradient `dZ` (shape of `Z`), with `a = 1 - Z²`:
#
#     du[c, p] = sum_n dZ a g          de[c, p] = sum_n dZ a          dg[n, p] = sum_c dZ a u
#
# Then: which positions can a kernel of size `k` see? With `"same"` padding, split as
# PyTorch splits it (`(k-1)//2` zeros on the left, `k//2` on the right), the output at
# position `p` reads positions `p - (k-1)//2 … p + k//2` of its input, clipped to the axis.
# Several kernel sizes side by side (MSDN's `K = (1, 3, 5)`) see the union of their
# windows; the 1x1 `combine` after them adds nothing. **Distance**, as in tutorial 10: the
# distance between positions `p` and `q` is `|p - q|`; a kernel of size `k` reaches
# `(k-1)//2` to the left and `k//2` to the right. So the output of MSDN with
# `K = (1, 3, 5)` at position `p` reads the labels at distance at most 2 from `p`. A rule
# label at distance `s` (its parents at `p - s` and `p + s`) is within that reach for
# `s = 1` and `s = 2`, and out of it for `s = 4`.
#
# (The embedding is this project's reconstruction: the paper does not say how its label
# embeddings are built — docs/DESIGN.md, "What the label axis carries".)

# %%
import numpy as np

from msdn_numpy.course.exercises import check


# %%
def score_embedding_forward(g: np.ndarray, u: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``Z[n, c, p] = tanh(u[c, p] * g[n, p] + e[c, p])``.

    Parameters
    ----------
    g : np.ndarray, shape (N, L)
        Each example's score of each label.
    u, e : np.ndarray, shape (d, L)
        The per-label weights: column ``p`` belongs to label ``p`` alone.

    Returns
    -------
    Z : np.ndarray, shape (N, d, L)
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 8a: write score_embedding_forward")
    # ============================== END OF YOUR CODE ============================


# %%
def score_embedding_backward(
    dZ: np.ndarray, g: np.ndarray, u: np.ndarray, e: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of the embedding with respect to its input and its weights.

    Parameters
    ----------
    dZ : np.ndarray, shape (N, d, L)
        Upstream gradient ``dLoss/dZ``.
    g, u, e : np.ndarray
        What the forward pass saw (recompute ``Z`` from them).

    Returns
    -------
    dg : np.ndarray, shape (N, L)
    du, de : np.ndarray, shape (d, L)
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 8b: write score_embedding_backward")
    # ============================== END OF YOUR CODE ============================


# %%
def receptive_field(L: int, kernel_sizes: tuple[int, ...], p: int) -> np.ndarray:
    """The positions of a length-``L`` label axis that the output at position ``p`` can depend on.

    The relation block is one ``"same"``-padded convolution per kernel size in
    ``kernel_sizes`` (stride 1, dilation 1; padding ``(k-1)//2`` on the left and ``k//2``
    on the right), side by side.

    Parameters
    ----------
    L : int
        Length of the label axis.
    kernel_sizes : tuple of int
        The kernel sizes, each >= 1.
    p : int
        The output position, ``0 <= p < L``.

    Returns
    -------
    seen : np.ndarray of bool, shape (L,)
        ``seen[q]`` is True when the input at position ``q`` can change the output at ``p``.
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 8c: write receptive_field")
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# The embedding is compared with the package's `ScoreEmbedding` (`msdn_numpy.nn`), forward
# and backward, on a few shapes; the receptive field with the windows of the package's
# convolutions, for odd and even kernel sizes, near the ends of the axis and in the middle.

# %%
results = check("08_label_axis", globals())
