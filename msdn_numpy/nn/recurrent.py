"""A long short-term memory layer with hand-written backpropagation through time.

Used by the RethinkNet-style RNN baseline (see ``docs/DESIGN.md``, "The peers").
Shape letters: ``N`` batch, ``T`` time steps, ``D_in`` input features, ``H`` hidden units.

Two versions, as for the convolution: :func:`lstm_step_forward` and
:func:`lstm_step_backward` are the readable definition of *one* time step (the chain
rule written out, tested to reproduce the layer when chained over the steps), and
:class:`LSTM` is the layer the models use, which does the input projection of all steps
in one matrix product and the weight gradients of all steps in one more.
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.nn.layers import Module, as_generator, check_input
from msdn_numpy.nn.losses import sigmoid


def lstm_step_forward(
    x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, W_x: np.ndarray, W_h: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One LSTM time step.

    .. code-block:: text

        a = x W_x + h_prev W_h + b                  (N, 4H), split as [a_i, a_f, a_g, a_o]
        i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
        c = f ⊙ c_prev + i ⊙ g
        h = o ⊙ tanh(c)

    Parameters
    ----------
    x : np.ndarray, shape (N, D_in)
        The input at this step.
    h_prev, c_prev : np.ndarray, shape (N, H)
        The previous hidden and cell states (zeros at the first step).
    W_x : np.ndarray, shape (D_in, 4H)
    W_h : np.ndarray, shape (H, 4H)
    b : np.ndarray, shape (4H,)

    Returns
    -------
    h, c : np.ndarray, shape (N, H)
        The new hidden and cell states.
    cache : tuple
        What :func:`lstm_step_backward` needs: ``(x, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh(c))``.
    """
    H = h_prev.shape[1]
    a = x @ W_x + h_prev @ W_h + b
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 3 * H :])
    g = np.tanh(a[:, 2 * H : 3 * H])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (x, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c)


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of one LSTM time step.

    ``dh`` and ``dc`` are the *total* gradients reaching ``h`` and ``c`` of this step: for
    ``h`` the loss's own gradient at this step plus ``dh_prev`` of the step after; for
    ``c`` the ``dc_prev`` of the step after (zero at the last step). Then

    .. code-block:: text

        dc_total = dc + dh ⊙ o ⊙ (1 - tanh²(c))          (h = o ⊙ tanh(c))
        di = dc_total ⊙ g      df = dc_total ⊙ c_prev     dg = dc_total ⊙ i     do = dh ⊙ tanh(c)
        da = [di σ'(a_i), df σ'(a_f), dg tanh'(a_g), do σ'(a_o)]    σ' = σ(1 - σ), tanh' = 1 - tanh²
        dx = da W_x^T     dh_prev = da W_h^T     dc_prev = dc_total ⊙ f
        dW_x = x^T da     dW_h = h_prev^T da     db = Σ_n da

    Parameters
    ----------
    dh, dc : np.ndarray, shape (N, H)
    cache : tuple
        From :func:`lstm_step_forward`.

    Returns
    -------
    dx : (N, D_in), dh_prev : (N, H), dc_prev : (N, H), dW_x : (D_in, 4H), dW_h : (H, 4H), db : (4H,)
        The weight gradients are this step's share only; over a sequence they are summed.
    """
    x, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c = cache
    dc_total = dc + dh * o * (1.0 - tanh_c * tanh_c)
    da = np.concatenate(
        [
            dc_total * g * i * (1.0 - i),
            dc_total * c_prev * f * (1.0 - f),
            dc_total * i * (1.0 - g * g),
            dh * tanh_c * o * (1.0 - o),
        ],
        axis=1,
    )
    return da @ W_x.T, da @ W_h.T, dc_total * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


class LSTM(Module):
    r"""Single-layer LSTM over a whole sequence, returning every hidden state.

    With ``h_0 = c_0 = 0`` and, for ``t = 1 .. T``,

    .. code-block:: text

        a_t = x_t W_x + h_{t-1} W_h + b                     (N, 4H), split as [a_i, a_f, a_g, a_o]
        i_t = σ(a_i)   f_t = σ(a_f)   g_t = tanh(a_g)   o_t = σ(a_o)
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)

    Gate order ``i, f, g, o`` is PyTorch's, so ``torch.nn.LSTM`` weights copy over as
    ``weight_ih = W_x.T``, ``weight_hh = W_h.T``. There is a *single* bias ``b``
    (Keras-style, as in RethinkNet); PyTorch has two, ``bias_ih + bias_hh``, whose sum
    plays the role of ``b``.

    Parameters
    ----------
    D_in : int
        Input features per time step.
    H : int
        Hidden units (size of ``h_t`` and ``c_t``).
    rng : Generator or int, optional
        Initialisation: every entry of ``W_x``, ``W_h``, ``b`` is drawn from
        ``U(-1/sqrt(H), 1/sqrt(H))``, PyTorch's default for ``nn.LSTM``.

    Attributes
    ----------
    params : dict
        ``"W_x"`` (D_in, 4H), ``"W_h"`` (H, 4H), ``"b"`` (4H,):
        ``4 (D_in H + H H + H)`` parameters in all.

    Notes
    -----
    ``forward(x (N, T, D_in)) -> h (N, T, H)``; ``backward(dh (N, T, H)) -> dx (N, T, D_in)``.
    The input projection ``x_t W_x`` is one matrix product over all ``N T`` rows; only the
    recurrence ``h_{t-1} W_h`` needs a Python loop over time.
    """

    def __init__(self, D_in: int, H: int, *, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        rng = as_generator(rng)
        bound = 1.0 / np.sqrt(H)
        self.D_in, self.H = D_in, H
        self.params["W_x"] = rng.uniform(-bound, bound, size=(D_in, 4 * H))
        self.params["W_h"] = rng.uniform(-bound, bound, size=(H, 4 * H))
        self.params["b"] = rng.uniform(-bound, bound, size=(4 * H,))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run the sequence ``x (N, T, D_in)``; return all hidden states ``h (N, T, H)``."""
        check_input(x, "LSTM", N=None, T=None, D_in=self.D_in)
        N, T, D = x.shape
        H = self.H
        W_x, W_h, b = self.params["W_x"], self.params["W_h"], self.params["b"]
        dtype = np.result_type(x.dtype, W_x.dtype)

        # Input projection for every step at once; the recurrence adds h_{t-1} W_h below.
        ax = (x.reshape(N * T, D) @ W_x).reshape(N, T, 4 * H) + b
        gates = np.empty((N, T, 4 * H), dtype=dtype)  # activated [i, f, g, o]
        cs = np.empty((N, T, H), dtype=dtype)  # cell states c_t
        tanh_cs = np.empty((N, T, H), dtype=dtype)  # tanh(c_t)
        hs = np.empty((N, T, H), dtype=dtype)  # hidden states h_t
        h = np.zeros((N, H), dtype=dtype)
        c = np.zeros((N, H), dtype=dtype)
        for t in range(T):
            a = ax[:, t] + h @ W_h
            gates[:, t, : 2 * H] = sigmoid(a[:, : 2 * H])  # i, f
            gates[:, t, 2 * H : 3 * H] = np.tanh(a[:, 2 * H : 3 * H])  # g
            gates[:, t, 3 * H :] = sigmoid(a[:, 3 * H :])  # o
            i, f, g, o = np.split(gates[:, t], 4, axis=1)
            c = f * c + i * g
            tanh_cs[:, t] = np.tanh(c)
            h = o * tanh_cs[:, t]
            cs[:, t], hs[:, t] = c, h
        self._cache = (x, gates, cs, tanh_cs, hs)
        return hs.copy()  # the caller may modify its output; our cache stays intact

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dh (N, T, H)`` through time; return ``dx (N, T, D_in)``.

        Assigns ``grads["W_x"]``, ``grads["W_h"]``, ``grads["b"]``.
        """
        x, gates, cs, tanh_cs, hs = self._cached()
        N, T, D = x.shape
        H = self.H
        dout = np.asarray(dout)
        if dout.shape != hs.shape:
            raise ValueError(f"LSTM.backward: expected dout of shape (N, T, H)={hs.shape}, got {dout.shape}")
        W_x, W_h = self.params["W_x"], self.params["W_h"]

        # BPTT. h_t reaches the loss directly (dout[:, t]) and through a_{t+1} = ... + h_t W_h
        # (dh_next = da_{t+1} W_h^T); c_t reaches it through h_t and through c_{t+1} = f_{t+1} c_t + ...
        # (dc_next = dc_{t+1} ⊙ f_{t+1}). So, walking t = T .. 1:
        #   dh  = dout_t + dh_next
        #   dc  = dc_next + dh ⊙ o ⊙ (1 - tanh²(c_t))       (h_t = o ⊙ tanh(c_t))
        #   do  = dh ⊙ tanh(c_t),  di = dc ⊙ g,  dg = dc ⊙ i,  df = dc ⊙ c_{t-1}
        #   da  = [di σ'(a_i), df σ'(a_f), dg tanh'(a_g), do σ'(a_o)],  σ' = σ(1-σ), tanh' = 1-tanh²
        # Every step's da is stored, so the weight gradients are single matrix products at the end:
        #   dW_x = Σ_t x_t^T da_t,   dW_h = Σ_t h_{t-1}^T da_t,   db = Σ_t Σ_n da_t,   dx_t = da_t W_x^T.
        da = np.empty_like(gates)
        dh_next = np.zeros((N, H), dtype=gates.dtype)
        dc_next = np.zeros((N, H), dtype=gates.dtype)
        for t in reversed(range(T)):
            i, f, g, o = np.split(gates[:, t], 4, axis=1)
            tc = tanh_cs[:, t]
            c_prev = cs[:, t - 1] if t > 0 else 0.0
            dh = dout[:, t] + dh_next
            dc = dc_next + dh * o * (1.0 - tc * tc)
            da[:, t, :H] = dc * g * i * (1.0 - i)  # di ⊙ σ'
            da[:, t, H : 2 * H] = dc * c_prev * f * (1.0 - f)  # df ⊙ σ'
            da[:, t, 2 * H : 3 * H] = dc * i * (1.0 - g * g)  # dg ⊙ tanh'
            da[:, t, 3 * H :] = dh * tc * o * (1.0 - o)  # do ⊙ σ'
            dc_next = dc * f
            dh_next = da[:, t] @ W_h.T

        da2 = da.reshape(N * T, 4 * H)
        h_prev = np.concatenate([np.zeros((N, 1, H), dtype=hs.dtype), hs[:, :-1]], axis=1)
        self.grads["W_x"] = x.reshape(N * T, D).T @ da2
        self.grads["W_h"] = h_prev.reshape(N * T, H).T @ da2
        self.grads["b"] = da2.sum(axis=0)
        return (da2 @ W_x.T).reshape(N, T, D)

    def __repr__(self) -> str:
        return f"LSTM({self.D_in}, {self.H})"
