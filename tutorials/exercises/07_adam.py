"""Exercise 7 — one step of Adam, with bias correction.

Fill in the code between the ``YOUR CODE`` markers, then run this file (or its cells in a
notebook): the last cell checks each function against the package and prints PASS, FAIL
(with what is wrong) or NOT DONE. The worked solution is ``solutions/07_adam.py``: try first.
Run:  python tutorials/exercises/07_adam.py
"""

# %% [markdown]
# # Exercise 7: Adam
#
# Every model here is trained with Adam (Kingma & Ba, 2015). For a parameter `p` with
# gradient `g`, Adam keeps running means of `g` and `g²` (elementwise), starting at zero,
# and at step `t = 1, 2, ...`:
#
#     m  = beta1 m + (1 - beta1) g               v  = beta2 v + (1 - beta2) g²
#     m̂  = m / (1 - beta1^t)                     v̂  = v / (1 - beta2^t)
#     p  = p - lr m̂ / (sqrt(v̂) + eps)
#
# The *bias correction* (`m̂`, `v̂`) undoes the pull of the zero start towards 0: after one
# step `m = (1 - beta1) g`, only a tenth of `g` for `beta1 = 0.9`, but `m̂ = g`. Note where
# `eps` goes (outside the square root) and that `t` counts from 1.
#
# Return new arrays: the caller's `p`, `m` and `v` must not change. (The package's
# `msdn_numpy.nn.optim.Adam` updates in place, because the layers hold the parameter arrays;
# here we keep the function pure.)

# %%
import numpy as np

from msdn_numpy.course.exercises import check


# %%
def adam_step(
    p: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Adam update.

    Parameters
    ----------
    p, g : np.ndarray, any shape (the same)
        Parameter and its gradient.
    m, v : np.ndarray, the shape of ``p``
        First and second moments after ``t - 1`` steps (zeros before the first).
    t : int
        The number of this step, from 1.
    lr, beta1, beta2, eps : float

    Returns
    -------
    p, m, v : np.ndarray, the shape of ``p``
        The updated parameter and moments (new arrays).
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 7a: write adam_step")
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# Compared with the package's `Adam` over several consecutive steps, for three settings of
# the hyperparameters (one with small gradients, where `eps` matters).

# %%
results = check("07_adam", globals())
