"""Exercise 2 — binary cross-entropy with logits, stable forward and backward.

Fill in the code between the ``YOUR CODE`` markers, then run this file (or its cells in a
notebook): the last cell checks each function against the package and prints PASS, FAIL
(with what is wrong) or NOT DONE. The worked solution is ``solutions/02_bce.py``: try first.
Run:  python tutorials/exercises/02_bce.py
"""

# %% [markdown]
# # Exercise 2: binary cross-entropy with logits
#
# Every model here outputs one *logit* `z` per label, and the loss compares `p = σ(z)` with
# the target `y ∈ {0, 1}`, averaged over all `N × L` entries of the batch:
#
#     loss = mean over (n, l) of  -[y log σ(z) + (1 - y) log(1 - σ(z))],     σ(z) = 1 / (1 + e^(-z))
#
# Written like this it breaks for large logits: for `z = -1000`, `e^(1000)` overflows and
# `σ(z)` rounds to exactly 0, so `log σ(z) = -inf` and `0 * -inf = nan`. A trained network
# produces such logits for labels it is sure about. Rewrite each term so that `exp` only
# ever sees a number `<= 0`. Hints: `log σ(z) = -log(1 + e^(-z))` and
# `log(1 - σ(z)) = -z - log(1 + e^(-z))`; then look at `z >= 0` and `z < 0` separately
# (`np.log1p(u)` computes `log(1 + u)` accurately for small `u`).
#
# Backward: the derivative of one term with respect to its logit is the neat `σ(z) - y`;
# remember the mean.

# %%
import numpy as np

from msdn_numpy.course.exercises import check


# %%
def bce_forward(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean binary cross-entropy, computed without overflow for any logit.

    Parameters
    ----------
    logits : np.ndarray, shape (N, L)
    targets : np.ndarray of 0/1, shape (N, L)

    Returns
    -------
    loss : float
        The mean over all ``N * L`` entries; finite even for logits of ±1000.
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 2a: write bce_forward")
    # ============================== END OF YOUR CODE ============================


# %%
def bce_backward(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The gradient of :func:`bce_forward` (the *mean* loss) with respect to the logits.

    Parameters
    ----------
    logits : np.ndarray, shape (N, L)
    targets : np.ndarray of 0/1, shape (N, L)

    Returns
    -------
    dlogits : np.ndarray, shape (N, L)
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 2b: write bce_backward")
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# Compared with the package's `BCEWithLogits`, including a batch with logits of ±1000
# (where the textbook formula gives `inf` or `nan`).

# %%
results = check("02_bce", globals())
