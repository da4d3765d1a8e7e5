"""SGD and Adam on flat vectors: the updates of :mod:`msdn_numpy.nn.optim`, with fewer NumPy calls.

MSDN's parameters are small (a bias has a few dozen entries), so a step costs the *number*
of NumPy calls, not the arithmetic: written parameter by parameter, Adam makes about ten
calls per parameter. Here every parameter's state lies end to end in one flat vector per
quantity (``m``, ``v``, the gradient ``g``; ``state[name]`` holds *views* of them), and a
step is three phases:

1. **gather**: copy each gradient into its slice of the flat ``g`` (adding ``λ θ``);
2. **update**: the optimiser's equations, once, on the whole flat vectors;
3. **scatter**: ``θ ← θ - step`` for each parameter, from its slice of the flat step.

The equations are applied with the same operations in the same order as the readable
optimisers, so the results are the same to the last bit (tested). State set by hand
(``opt.state[name] = {"m": ..., "v": ...}``) before a step is copied in by that step.
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.nn.optim import SGD, Adam


class FlatVectors:
    """The gather / update / scatter of a flat-vector optimiser (mixed into SGD and Adam below).

    A subclass names its state vectors in ``state_keys`` (zero at the start, kept across steps)
    and writes ``update_flat(flat)``: the equations on the flat vectors of one dtype, leaving the
    amount to subtract from the parameters in ``flat["step"]``.
    """

    state_keys: tuple[str, ...] = ()
    work_keys = ("work", "step", "g")

    def step(self) -> None:
        """Gather the gradients, update every flat vector, scatter ``θ ← θ - step``."""
        params = self._gather()
        for flat in self._flat.values():
            self.update_flat(flat)
        for (_, p, _), views in zip(params, self._views):
            p -= views["step"]

    def update_flat(self, flat: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _gather(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """Every ``(name, param, grad)``; each ``g = λ θ + grad`` copied into the flat ``g``."""
        params = []
        for name, p, grad in self.module.named_parameters():
            if grad is None:
                raise RuntimeError(
                    f"{type(self).__name__}.step(): parameter '{name}' has no gradient; run backward first"
                )
            params.append((name, p, grad))
        layout = [(name, p.shape, p.dtype) for name, p, _ in params]
        views = getattr(self, "_views", [])
        # rebuilt on the first step, when parameters changed, and when state was replaced by hand
        replaced = any(self.state.get(name) is not v.get("state") for (name, _, _), v in zip(params, views))
        if layout != getattr(self, "_layout", None) or (self.state_keys and replaced):
            self._build(params)
            self._layout = layout
        for (_, p, grad), views in zip(params, self._views):
            g = views["g"]
            if self.weight_decay:  # g ← λ θ + g: the same sum as the readable g + λ θ
                np.multiply(p, self.weight_decay, out=g)
                g += grad
            else:
                g[...] = grad
        return params

    def _build(self, params: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
        """Allocate the flat vectors (one set per dtype) and point ``state`` at views of them."""
        sizes: dict[np.dtype, int] = {}
        for _, p, _ in params:
            sizes[p.dtype] = sizes.get(p.dtype, 0) + p.size
        keys = self.state_keys + self.work_keys
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


class FlatSGD(FlatVectors, SGD):
    """:class:`~msdn_numpy.nn.optim.SGD` on flat vectors: ``v ← μ v + g``, ``θ ← θ - lr · v``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.state_keys = ("v",) if self.momentum else ()

    def update_flat(self, flat: dict[str, np.ndarray]) -> None:
        g = flat["g"]
        if self.momentum:
            v = flat["v"]
            v *= self.momentum
            v += g
            g = v
        np.multiply(self.lr, g, out=flat["step"])


class FlatAdam(FlatVectors, Adam):
    """:class:`~msdn_numpy.nn.optim.Adam` on flat vectors, the operations in the readable order."""

    state_keys = ("m", "v")

    def step(self) -> None:
        self.t += 1
        FlatVectors.step(self)

    def update_flat(self, flat: dict[str, np.ndarray]) -> None:
        m, v, g, work, step = flat["m"], flat["v"], flat["g"], flat["work"], flat["step"]
        m *= self.beta1  # m ← β1 m + (1 - β1) g
        m += np.multiply(1 - self.beta1, g, out=work)
        v *= self.beta2  # v ← β2 v + (1 - β2) g g
        np.multiply(1 - self.beta2, g, out=work)
        work *= g
        v += work
        np.divide(v, 1 - self.beta2**self.t, out=work)  # v̂
        np.sqrt(work, out=work)
        work += self.eps  # sqrt(v̂) + ε
        np.multiply(self.lr / (1 - self.beta1**self.t), m, out=step)  # lr · m̂
        step /= work  # lr · m̂ / (sqrt(v̂) + ε)
