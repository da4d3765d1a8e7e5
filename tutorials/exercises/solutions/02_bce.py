"""Exercise 2, worked solution — binary cross-entropy with logits, stable forward and backward.

Try the exercise (``tutorials/exercises/02_bce.py``) before reading this.
Run:  python tutorials/exercises/solutions/02_bce.py      (prints PASS for every function)
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
    # -[y log σ(z) + (1-y) log(1-σ(z))] = (1-y) z + log(1 + e^(-z)), and
    # log(1 + e^(-z)) = max(-z, 0) + log(1 + e^(-|z|)); together: max(z, 0) - z y + log1p(e^(-|z|)).
    # exp only sees -|z| <= 0, so nothing overflows.
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))
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
    # d/dz [max(z,0) - z y + log(1 + e^(-|z|))] = σ(z) - y, and the mean divides by N*L.
    # A stable σ: e^(-|z|) never overflows.
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return (sig - targets) / z.size
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# Compared with the package's `BCEWithLogits`, including a batch with logits of ±1000
# (where the textbook formula gives `inf` or `nan`).

# %%
results = check("02_bce", globals())
