"""Optimisers, written out: SGD (momentum, weight decay) and Adam (bias correction).

An optimiser is given a :class:`~msdn_numpy.nn.layers.Module`. Each ``step()`` reads every
``(name, param, grad)`` from ``module.named_parameters()`` and updates the parameter *in place*
(the layers keep referencing the same arrays), parameter by parameter, with the update
equation written out as in the papers. State (velocity, moments) is kept per parameter under
its qualified name: ``state["encoder.0.W"]["m"]`` has that parameter's shape.

Weight decay is the classic L2 form, ``g ← g + λ θ`` (as in ``torch.optim.SGD`` and
``torch.optim.Adam``), added to the gradient before the update.

The same updates on one flat vector per quantity, for speed, are
:mod:`msdn_numpy.nn.fast.optim` (``TrainConfig(fast=True)``); they give the same numbers.
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.nn.layers import Module


class Optimizer:
    """What SGD and Adam share: the module, the learning rate, the weight decay, the state.

    A subclass writes ``update(name, p, g)``: the update of one parameter ``p`` (in place)
    from its gradient ``g`` (weight decay included).
    """

    def __init__(self, module: Module, lr: float, weight_decay: float = 0.0) -> None:
        name = type(self).__name__
        if not isinstance(module, Module):
            raise TypeError(f"{name}: module is a {type(module).__name__}, not a msdn_numpy Module")
        if not lr > 0 or not np.isfinite(lr):
            raise ValueError(f"{name}: learning rate must be a finite number > 0, got {lr}")
        if not weight_decay >= 0 or not np.isfinite(weight_decay):
            raise ValueError(f"{name}: weight_decay must be a finite number >= 0, got {weight_decay}")
        self.module = module
        self.lr = lr
        self.weight_decay = weight_decay
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def step(self) -> None:
        """Update every parameter of the module from its gradient of the last backward pass."""
        for name, p, grad in self.module.named_parameters():
            if grad is None:
                raise RuntimeError(
                    f"{type(self).__name__}.step(): parameter '{name}' has no gradient; run backward first"
                )
            g = grad + self.weight_decay * p if self.weight_decay else grad  # g ← g + λ θ
            self.update(name, p, g)

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError


def _check_fraction(where: str, name: str, value: float) -> None:
    """A decay rate of a running average: in [0, 1)."""
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{where}: {name} must be in [0, 1), got {value}")


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum μ, PyTorch's formulation::

        v ← μ v + g,        θ ← θ - lr · v

    With μ = 0 it is plain ``θ ← θ - lr · g`` (and keeps no state).
    """

    def __init__(self, module: Module, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(module, lr, weight_decay)
        _check_fraction("SGD", "momentum", momentum)
        self.momentum = momentum

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        if self.momentum:
            v = self.state.setdefault(name, {"v": np.zeros_like(p)})["v"]
            v[...] = self.momentum * v + g
            g = v
        p -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction; at step ``t = 1, 2, ...``::

        m ← β1 m + (1 - β1) g            v ← β2 v + (1 - β2) g²
        m̂ = m / (1 - β1^t)               v̂ = v / (1 - β2^t)
        θ ← θ - lr · m̂ / (sqrt(v̂) + ε)

    The moments start at zero; the bias correction undoes their pull towards 0 in the first
    steps (after one step ``m = (1 - β1) g`` but ``m̂ = g``).
    """

    def __init__(
        self,
        module: Module,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(module, lr, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        _check_fraction("Adam", "betas[0]", betas[0])
        _check_fraction("Adam", "betas[1]", betas[1])
        if not eps >= 0 or not np.isfinite(eps):
            raise ValueError(f"Adam: eps must be a finite number >= 0, got {eps}")
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0

    def step(self) -> None:
        self.t += 1
        super().step()

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        state = self.state.setdefault(name, {"m": np.zeros_like(p), "v": np.zeros_like(p)})
        m, v = state["m"], state["v"]
        m[...] = self.beta1 * m + (1 - self.beta1) * g
        v[...] = self.beta2 * v + (1 - self.beta2) * g * g
        v_hat = v / (1 - self.beta2**self.t)
        step_size = self.lr / (1 - self.beta1**self.t)  # lr · m̂ = (lr / (1 - β1^t)) · m: m̂'s correction
        p -= step_size * m / (np.sqrt(v_hat) + self.eps)  # folded into one number
