"""Optimisers, written out: SGD (momentum, weight decay) and Adam (bias correction).

An optimiser is given a :class:`~msdn_numpy.layers.Module`; every ``step()`` reads
``(name, param, grad)`` from ``module.named_parameters()`` and updates each parameter
*in place* (so layers keep referencing the same arrays). Per-parameter state
(velocity, moments) is kept by the parameter's qualified name.

Weight decay is the classic L2 form, ``g ← g + λ θ`` (as in ``torch.optim.SGD`` and
``torch.optim.Adam``), added to the gradient before the update.
"""

from __future__ import annotations

import numpy as np

from .layers import Module


class Optimizer:
    """Shared plumbing: the module, the learning rate, the weight decay."""

    def __init__(self, module: Module, lr: float, weight_decay: float = 0.0) -> None:
        if lr <= 0:
            raise ValueError(f"{type(self).__name__}: learning rate must be positive, got {lr}")
        if weight_decay < 0:
            raise ValueError(f"{type(self).__name__}: weight_decay must be >= 0, got {weight_decay}")
        self.module = module
        self.lr = lr
        self.weight_decay = weight_decay
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def _gradients(self):
        """Yield ``(name, param, g)`` with weight decay folded into ``g``."""
        for name, p, grad in self.module.named_parameters():
            if grad is None:
                raise RuntimeError(
                    f"{type(self).__name__}.step(): parameter '{name}' has no gradient; run backward first"
                )
            g = grad + self.weight_decay * p if self.weight_decay else grad
            yield name, p, g

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum μ:

        v ← μ v + g,        θ ← θ - lr · v

    (PyTorch's formulation; with μ = 0 it is plain ``θ ← θ - lr · g``.)
    """

    def __init__(self, module: Module, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(module, lr, weight_decay)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        self.momentum = momentum

    def step(self) -> None:
        for name, p, g in self._gradients():
            if self.momentum:
                if name not in self.state:  # zero velocity, allocated once
                    self.state[name] = {"v": np.zeros_like(p)}
                v = self.state[name]["v"]
                v *= self.momentum
                v += g
                g = v
            p -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction:

        m ← β1 m + (1 - β1) g            v ← β2 v + (1 - β2) g²
        m̂ = m / (1 - β1^t)               v̂ = v / (1 - β2^t)
        θ ← θ - lr · m̂ / (sqrt(v̂) + ε)

    The bias correction undoes the pull of the zero initial moments towards 0 in
    the first steps.
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
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0

    def step(self) -> None:
        self.t += 1
        c1 = 1.0 - self.beta1**self.t
        c2 = 1.0 - self.beta2**self.t
        for name, p, g in self._gradients():
            if name not in self.state:  # zero moments, allocated once (not at every step)
                self.state[name] = {"m": np.zeros_like(p), "v": np.zeros_like(p)}
            m, v = self.state[name]["m"], self.state[name]["v"]
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * g * g
            # p -= (lr / c1) * m / (sqrt(v / c2) + eps), in two scratch arrays instead of
            # five temporaries (same operations in the same order, so the same result)
            denom = np.sqrt(v / c2)
            denom += self.eps
            step = m * (self.lr / c1)
            step /= denom
            p -= step
