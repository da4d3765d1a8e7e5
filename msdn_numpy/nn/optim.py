"""Optimisers, written out: SGD (momentum, weight decay) and Adam (bias correction).

An optimiser is given a :class:`~msdn_numpy.nn.layers.Module`; every ``step()`` reads
``(name, param, grad)`` from ``module.named_parameters()`` and updates each parameter
*in place* (so layers keep referencing the same arrays). Per-parameter state
(velocity, moments) is kept by the parameter's qualified name: ``state[name]["m"]`` has
the parameter's shape.

Weight decay is the classic L2 form, ``g ← g + λ θ`` (as in ``torch.optim.SGD`` and
``torch.optim.Adam``), added to the gradient before the update.

**Flat vectors, for speed.** MSDN's parameters are small (a bias has a few dozen
entries), so a step costs the *number* of NumPy calls (about half a microsecond each), not
the arithmetic. Written parameter by parameter, Adam makes ~15 calls per parameter. So
the optimisers lay every parameter's state end to end in one flat vector per quantity
(``m``, ``v``, the gradient ``g``, ...; ``state[name]`` holds *views* of them), and a step
is three phases:

1. **gather**: copy each gradient into its slice of the flat ``g`` (adding ``λ θ``);
2. **update**: the optimiser's equations, once, on the whole flat vectors;
3. **scatter**: ``θ ← θ - step`` for each parameter, from its slice of the flat step.

Two or three calls per parameter (three with weight decay) plus a dozen in all, instead of
fifteen per parameter (on yeast's MSDN, 16 parameters: Adam's step 135 -> 51 us;
docs/PERFORMANCE.md). The update does the same elementwise operations in the same order
as the equations, so the results are the same to the last bit as a parameter-by-parameter
loop. State set by hand (``opt.state[name] = {"m": ..., "v": ...}``) before a step is
copied into the flat vectors by that step.
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.nn.layers import Module


class Optimizer:
    """Shared plumbing: the module, the learning rate, the weight decay, the flat vectors.

    A subclass names its state vectors in ``state_keys`` (zero at the start, kept across
    steps) and its scratch vectors in ``work_keys``, and writes ``update(flat)``: the
    equations on the flat vectors of one dtype, leaving the amount to subtract from the
    parameters in ``flat["step"]``.
    """

    state_keys: tuple[str, ...] = ()
    work_keys: tuple[str, ...] = ("step",)

    def __init__(self, module: Module, lr: float, weight_decay: float = 0.0) -> None:
        if lr <= 0:
            raise ValueError(f"{type(self).__name__}: learning rate must be positive, got {lr}")
        if weight_decay < 0:
            raise ValueError(f"{type(self).__name__}: weight_decay must be >= 0, got {weight_decay}")
        self.module = module
        self.lr = lr
        self.weight_decay = weight_decay
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self._layout: list[tuple[str, tuple[int, ...], np.dtype]] | None = None  # what the flat vectors are for
        self._flat: dict[np.dtype, dict[str, np.ndarray]] = {}  # dtype -> key -> flat vector
        self._views: list[dict[str, np.ndarray]] = []  # per parameter: key -> view of its slice

    def step(self) -> None:
        """Gather the gradients, update (subclass), scatter ``θ ← θ - step``."""
        params = self._gather()
        for flat in self._flat.values():
            self.update(flat)
        for (_, p, _), views in zip(params, self._views):
            p -= views["step"]

    def update(self, flat: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _gather(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """Every ``(name, param, grad)``; each ``g = grad + λ θ`` copied into the flat ``g``."""
        params = []
        for name, p, grad in self.module.named_parameters():
            if grad is None:
                raise RuntimeError(
                    f"{type(self).__name__}.step(): parameter '{name}' has no gradient; run backward first"
                )
            params.append((name, p, grad))
        layout = [(name, p.shape, p.dtype) for name, p, _ in params]
        # rebuilt on the first step, when parameters were added, removed or reshaped, and when
        # a parameter's state was replaced by hand (``opt.state[name] = {...}``)
        replaced = self.state_keys and any(self.state.get(name) is not views.get("state")
                                           for (name, _, _), views in zip(params, self._views))  # fmt: skip
        if layout != self._layout or replaced:
            self._build(params)
            self._layout = layout
        for (_, p, grad), views in zip(params, self._views):
            g = views["g"]
            if self.weight_decay:  # g ← g + λ θ
                np.multiply(p, self.weight_decay, out=g)
                g += grad
            else:
                g[...] = grad
        return params

    def _build(self, params: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
        """Allocate the flat vectors (one set per dtype) and point ``state`` at views of them.

        State already in ``self.state`` under a parameter's name (from earlier steps, or set
        by hand) is copied in; a new parameter's state starts at zero.
        """
        sizes: dict[np.dtype, int] = {}
        for _, p, _ in params:
            sizes[p.dtype] = sizes.get(p.dtype, 0) + p.size
        keys = self.state_keys + self.work_keys + ("g",)
        self._flat = {dtype: {k: np.zeros(n, dtype=dtype) for k in keys} for dtype, n in sizes.items()}
        offsets = dict.fromkeys(sizes, 0)
        self._views = []
        for name, p, _ in params:
            start = offsets[p.dtype]
            offsets[p.dtype] += p.size
            views = {k: v[start : start + p.size].reshape(p.shape) for k, v in self._flat[p.dtype].items()}
            old = self.state.get(name, {})
            for k in self.state_keys:
                if k in old:
                    views[k][...] = old[k]
            if self.state_keys:
                self.state[name] = views["state"] = {k: views[k] for k in self.state_keys}
            self._views.append(views)


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
        self.state_keys = ("v",) if momentum else ()  # the velocity, kept only with momentum

    def update(self, flat: dict[str, np.ndarray]) -> None:
        g = flat["g"]
        if self.momentum:
            v = flat["v"]
            v *= self.momentum  # v ← μ v + g
            v += g
            g = v
        np.multiply(g, self.lr, out=flat["step"])  # θ ← θ - lr · v


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction:

        m ← β1 m + (1 - β1) g            v ← β2 v + (1 - β2) g²
        m̂ = m / (1 - β1^t)               v̂ = v / (1 - β2^t)
        θ ← θ - lr · m̂ / (sqrt(v̂) + ε)

    The bias correction undoes the pull of the zero initial moments towards 0 in
    the first steps. The code computes the step as ``(lr / (1 - β1^t)) m / (sqrt(v̂) + ε)``:
    the same value, with ``m̂``'s correction folded into one scalar.
    """

    state_keys = ("m", "v")
    work_keys = ("work", "step")

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
        super().step()

    def update(self, flat: dict[str, np.ndarray]) -> None:
        m, v, g, work, step = flat["m"], flat["v"], flat["g"], flat["work"], flat["step"]
        m *= self.beta1  # m ← β1 m + (1 - β1) g
        m += np.multiply(1.0 - self.beta1, g, out=work)
        v *= self.beta2  # v ← β2 v + (1 - β2) g²
        np.multiply(1.0 - self.beta2, g, out=work)
        work *= g
        v += work
        denom = np.sqrt(np.divide(v, 1.0 - self.beta2**self.t, out=work), out=work)  # sqrt(v̂) + ε
        denom += self.eps
        np.multiply(m, self.lr / (1.0 - self.beta1**self.t), out=step)  # (lr / (1 - β1^t)) m / (sqrt(v̂) + ε)
        step /= denom
