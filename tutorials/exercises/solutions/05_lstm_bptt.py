"""Exercise 5, worked solution — an LSTM step, forward and backward, and backpropagation through time.

Try the exercise (``tutorials/exercises/05_lstm_bptt.py``) before reading this.
Run:  python tutorials/exercises/solutions/05_lstm_bptt.py      (prints PASS for every function)
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
    H = h_prev.shape[1]
    a = x @ W_x + h_prev @ W_h + b  # (N, 4H)
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 3 * H :])
    g = np.tanh(a[:, 2 * H : 3 * H])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (x, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c)
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
    x, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c = cache
    dc_total = dc + dh * o * (1.0 - tanh_c**2)  # c reaches the loss directly and through h
    do = dh * tanh_c
    di, df, dg = dc_total * g, dc_total * c_prev, dc_total * i  # c = f c_prev + i g
    # back through the activations: σ' = σ(1 - σ), tanh' = 1 - tanh²
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)
    # a = x W_x + h_prev W_h + b: the matrix-product rule
    return da @ W_x.T, da @ W_h.T, dc_total * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)
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
    N, T, _ = x.shape
    H = W_h.shape[0]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    hs, caches = np.zeros((N, T, H)), []
    for t in range(T):
        h, c, cache = lstm_step_forward(x[:, t], h, c, W_x, W_h, b)
        hs[:, t] = h
        caches.append(cache)
    return hs, caches
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
    N, T, H = dhs.shape
    dxs, dW_x, dW_h, db = [None] * T, 0.0, 0.0, 0.0
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))  # nothing comes from after the last step
    for t in reversed(range(T)):
        # h_t feeds the loss and step t+1; c_t feeds step t+1
        dxs[t], dh_next, dc_next, gW_x, gW_h, gb = lstm_step_backward(dhs[:, t] + dh_next, dc_next, caches[t])
        dW_x, dW_h, db = dW_x + gW_x, dW_h + gW_h, db + gb  # the weights were shared by all steps
    return np.stack(dxs, axis=1), dW_x, dW_h, db
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Check your work
#
# The step functions are compared with the package's `recurrent.lstm_step_forward` and
# `lstm_step_backward`, the sequence functions with the `LSTM` layer (its BPTT is checked
# against finite differences in the package's tests), including saturated gates.

# %%
results = check("05_lstm_bptt", globals())
