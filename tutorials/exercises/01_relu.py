"""Exercise 1 — ReLU forward and backward (warm-up).

Fill in the code between the ``YOUR CODE`` markers, then run this file (or its cells in a
notebook): the last cell checks each function against the package and prints PASS, FAIL
(with what is wrong) or NOT DONE. The worked solution is ``solutions/01_relu.py``: try first.
Run:  python tutorials/exercises/01_relu.py
"""

# %% [markdown]
# # Exercise 1: ReLU, forward and backward (warm-up)
#
# Every layer of `msdn_numpy` comes as a pair: a forward pass that computes the output, and
# a backward pass that turns the upstream gradient `dout = dLoss/dout` into `dx = dLoss/dx`,
# an array of the shape of `x`. ReLU is the simplest pair:
#
#     out = max(x, 0)            (elementwise, any shape)
#     dx  = dout * [x > 0]
#
# ReLU has no derivative at `x = 0`; the convention (the package's, PyTorch's) is 0 there.
# Never modify an input in place: the caller still needs it.
#
# Fill in the code between the `YOUR CODE` markers, then run the file (or the cells of the
# notebook). The last cell checks your functions against the package's `ReLU` and prints
# PASS / FAIL / NOT DONE for each.

# %%
import numpy as np

from msdn_numpy.course.exercises import check


# %%
def relu_forward(x: np.ndarray) -> np.ndarray:
    """``out = max(x, 0)``, elementwise.

    Parameters
    ----------
    x : np.ndarray, any shape

    Returns
    -------
    out : np.ndarray, the shape of ``x``
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 1a: write relu_forward")
    # ============================== END OF YOUR CODE ============================


# %%
def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The gradient of ReLU with respect to its input.

    Parameters
    ----------
    dout : np.ndarray, the shape of ``x``
        Upstream gradient ``dLoss/dout``.
    x : np.ndarray
        The input the forward pass saw.

    Returns
    -------
    dx : np.ndarray, the shape of ``x``
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 1b: write relu_backward")
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# Each function is compared with the package's `ReLU` on a few inputs (with exact zeros in
# `x`), called twice, and watched for changes to its inputs.

# %%
results = check("01_relu", globals())
