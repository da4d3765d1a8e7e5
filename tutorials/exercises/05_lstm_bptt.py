"""Exercise 5 — an LSTM step, forward and backward, and backpropagation through time.

Fill in the code between the ``YOUR CODE`` markers, then run this file (or its cells in a
notebook): the last cell checks each function against the package and prints PASS, FAIL
(with what is wrong) or NOT DONE. The worked solution is ``solutions/05_lstm_bptt.py``: try first.
Run:  python tutorials/exercises/05_lstm_bptt.py
"""

# %% [markdown]
# # Exercise 5: the LSTM and backpropagation through time (BPTT)
#
# The RNN baseline (RethinkRNN, tutorial 8) runs an LSTM. One step, from the input
# `x (N, D_in)` and the previous states `h_prev, c_prev (N, H)`, with gate order `i, f, g, o`:
#
#     a = x W_x + h_prev W_h + b                    (N, 4H) = [a_i | a_f | a_g | a_o]
#     i = σ(a_i)    f = σ(a_f)    g = tanh(a_g)    o = σ(a_o)
#     c = f * c_prev + i * g
#     h = o * tanh(c)
#
# with `W_x (D_in, 4H)`, `W_h (H, 4H)`, `b (4H,)` and `σ(a) = 1 / (1 + e^(-a))`.
#
# **Backward of one step.** `dh` and `dc` are the gradients reaching this step's `h` and
# `c`. `c` reaches the loss directly (`dc`) and through `h = o * tanh(c)`; then each
# product sends its gradient to both factors; `σ' = σ(1 - σ)`, `tanh' = 1 - tanh²`.
# Return `dx, dh_prev, dc_prev` and this step's share of `dW_x, dW_h, db`.
#
# **BPTT.** Over a sequence of `T` steps, `h_t` feeds the loss (`dhs[:, t]`) *and* step
# `t+1`; `c_t` feeds step `t+1`. So walk `t = T-1 .. 0`, giving step `t` the gradient
# `dhs[:, t] + dh_prev` and `dc_prev` of step `t+1` (zeros after the last step), and *sum*
# the weight gradients over the steps: the same weights were used at every step.

# %%
import numpy as np

from msdn_numpy.course.exercises import check


def sigmoid(a: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-a))`` without overflow (``exp`` only sees ``-|a|``)."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# %%
def lstm_step_forward(
    x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, W_x: np.ndarray, W_h: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One LSTM step.

    Parameters
    ----------
    x : np.ndarray, shape (N, D_in)
    h_prev, c_prev : np.ndarray, shape (N, H)
    W_x : (D_in, 4H), W_h : (H, 4H), b : (4H,)

    Returns
    -------
    h, c : np.ndarray, shape (N, H)
    cache : tuple
        Whatever your :func:`lstm_step_backward` needs.
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 5a: write lstm_step_forward")
    # ============================== END OF YOUR CODE ============================


# %%
def lstm_step_backward(dh: np.ndarray, dc: np.ndarray, cache: tuple) -> tuple:
    """Backward pass of one LSTM step.

    Parameters
    ----------
    dh, dc : np.ndarray, shape (N, H)
        The gradients reaching this step's ``h`` and ``c``.
    cache : tuple
        From your :func:`lstm_step_forward`.

    Returns
    -------
    dx : (N, D_in), dh_prev : (N, H), dc_prev : (N, H), dW_x : (D_in, 4H), dW_h : (H, 4H), db : (4H,)
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 5b: write lstm_step_backward")
    # ============================== END OF YOUR CODE ============================


# %%
def lstm_forward(x: np.ndarray, W_x: np.ndarray, W_h: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, list]:
    """Run a whole sequence from ``h_0 = c_0 = 0``.

    Parameters
    ----------
    x : np.ndarray, shape (N, T, D_in)
    W_x : (D_in, 4H), W_h : (H, 4H), b : (4H,)

    Returns
    -------
    hs : np.ndarray, shape (N, T, H)
        Every step's hidden state.
    caches : list
        One cache per step, for :func:`lstm_backward`.
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 5c: write lstm_forward")
    # ============================== END OF YOUR CODE ============================


# %%
def lstm_backward(dhs: np.ndarray, caches: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through time.

    Parameters
    ----------
    dhs : np.ndarray, shape (N, T, H)
        The loss's gradient with respect to every hidden state ``hs``.
    caches : list
        From :func:`lstm_forward`.

    Returns
    -------
    dx : (N, T, D_in), dW_x : (D_in, 4H), dW_h : (H, 4H), db : (4H,)
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 5d: write lstm_backward")
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# The step functions are compared with the package's `recurrent.lstm_step_forward` and
# `lstm_step_backward`, the sequence functions with the `LSTM` layer (its BPTT is checked
# against finite differences in the package's tests), including saturated gates.

# %%
results = check("05_lstm_bptt", globals())
