"""Layers with a hand-written forward and backward pass.

Every layer is a :class:`Module`. The contract, the same for all of them:

* ``forward(x)`` computes the output and *caches* what the backward pass needs.
* ``backward(dout)`` reads only that cache, returns ``dx`` (the gradient of the loss
  with respect to the input) and *assigns* the gradient of every parameter to
  ``self.grads`` under the same key as in ``self.params`` (``params["W"]`` ↔
  ``grads["W"]``). Gradients are for the last batch only; nothing accumulates.
* Calling ``backward`` before ``forward`` raises a clear error.
* Parameters are created in ``__init__`` from a seeded ``np.random.Generator``, as
  C-contiguous arrays (the optimisers update them in place, and ``gradcheck`` perturbs
  them in place through a flat view).
* A *composite* layer (one that holds other modules, alone or in a list, as attributes)
  must list every one of them in ``children()``, as ``(name, module)`` pairs. The tree
  ``children()`` describes is the only one the rest of the package sees:
  ``named_parameters()``, the optimisers, ``train()``/``eval()``, ``to()`` and the model
  files all walk it, so a sub-layer left out would be neither trained nor checked
  (``gradcheck`` refuses a module that holds one).

Shape letters: ``N`` batch, ``D_in``/``D_out`` features, ``C`` channels, ``L`` length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return ``rng`` itself, or a new seeded generator for an int (``None`` → seed 0).

    Seeding by default keeps every model reproducible unless asked otherwise.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)


class Module:
    """Base class: parameters, their gradients, child modules and the train/eval mode.

    Attributes
    ----------
    params : dict[str, np.ndarray]
        This module's own parameters (not its children's).
    grads : dict[str, np.ndarray]
        Gradients under the same keys, assigned by ``backward``.
    training : bool
        ``True`` in training mode (Dropout active), ``False`` in evaluation mode.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True
        self._cache: Any = None

    # -- the two passes -------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def _cached(self) -> Any:
        """The forward cache, or a clear error when ``backward`` comes first."""
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): "
                "run forward on a batch first, then backward with the upstream gradient"
            )
        return self._cache

    # -- the module tree ------------------------------------------------------------
    def children(self) -> list[tuple[str, Module]]:
        """Named child modules: every module held as an attribute, in a fixed order.

        A layer with no sub-layers keeps this default (no children). Any layer that holds
        sub-layers must override it, e.g. ``return [("encoder", self.encoder), ("head", self.head)]``;
        the names become the prefixes of the parameter names (``"encoder.W"``).
        """
        return []

    def modules(self) -> Iterator[Module]:
        """This module and all its descendants, depth first."""
        yield self
        for _, child in self.children():
            yield from child.modules()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray, np.ndarray | None]]:
        """Yield ``(qualified_name, param, grad)`` for every parameter in the tree.

        ``grad`` is ``None`` until the first ``backward``. Names are dotted paths such
        as ``"encoder.0.W"``, so the optimiser can keep its state by name.
        """
        for key, value in self.params.items():
            yield prefix + key, value, self.grads.get(key)
        for name, child in self.children():
            yield from child.named_parameters(prefix + name + ".")

    def num_parameters(self) -> int:
        """Exact number of trainable scalars in this module and its children."""
        return int(sum(p.size for _, p, _ in self.named_parameters()))

    def train(self, mode: bool = True) -> Module:
        """Switch this module and its children to training (or evaluation) mode."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (Dropout becomes the identity)."""
        return self.train(False)

    def to(self, dtype: Any) -> Module:
        """Cast every parameter (and stored gradient) to ``dtype``, e.g. ``np.float32``."""
        for m in self.modules():
            m.params = {k: v.astype(dtype) for k, v in m.params.items()}
            m.grads = {k: v.astype(dtype) for k, v in m.grads.items()}
        return self

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the parameters (float64 unless ``to`` was called)."""
        for _, p, _ in self.named_parameters():
            return p.dtype
        return np.dtype(np.float64)


def check_input(x: np.ndarray, layer: str, **axes: int | None) -> None:
    """Raise ``ValueError`` unless ``x`` is an array with one axis per keyword, of the given sizes.

    ``check_input(x, "MSDN", N=None, D=72)`` accepts any ``(N, 72)`` array; otherwise the
    message names both shapes: ``MSDN: expected input of shape (N, D=72), got (3, 5)``.
    """
    expected = "(" + ", ".join(name if size is None else f"{name}={size}" for name, size in axes.items()) + ")"
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{layer}: expected a NumPy array of shape {expected}, got {type(x).__name__}")
    if x.ndim != len(axes) or any(size not in (None, n) for n, size in zip(x.shape, axes.values())):
        raise ValueError(f"{layer}: expected input of shape {expected}, got {x.shape}")


class Sequential(Module):
    """Run layers one after another: ``out = layers[-1](... layers[0](x))``.

    Backward runs them in reverse, passing each layer's ``dx`` to the one before.
    Child names are ``"0"``, ``"1"``, ... so parameters are ``"0.W"``, ``"0.b"``, ...
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        self.layers = list(layers)

    def children(self) -> list[tuple[str, Module]]:
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


class Linear(Module):
    """Affine map ``out = x W + b`` over the last axis.

    Parameters
    ----------
    D_in, D_out : int
        Input and output features.
    rng : Generator or int, optional
        Initialisation: ``W, b ~ U(-1/sqrt(D_in), 1/sqrt(D_in))``, PyTorch's default.

    Shapes: ``x (..., D_in)`` → ``out (..., D_out)``; ``W (D_in, D_out)``, ``b (D_out,)``.
    (PyTorch stores the transpose, ``weight (D_out, D_in)``; we follow the maths
    ``x W + b`` of the design notes.) Any leading axes are treated as a batch.

    Backward: ``dx = dout W^T``, ``dW = x^T dout``, ``db = sum(dout)`` over batch axes.
    """

    def __init__(self, D_in: int, D_out: int, *, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if D_in < 1 or D_out < 1:
            raise ValueError(f"Linear: D_in and D_out must be >= 1, got D_in={D_in}, D_out={D_out}")
        rng = as_generator(rng)
        bound = 1.0 / np.sqrt(D_in)
        self.D_in, self.D_out = D_in, D_out
        self.params["W"] = rng.uniform(-bound, bound, size=(D_in, D_out))
        self.params["b"] = rng.uniform(-bound, bound, size=(D_out,))

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray) or x.ndim < 1 or x.shape[-1] != self.D_in:
            got = x.shape if isinstance(x, np.ndarray) else type(x).__name__
            raise ValueError(f"Linear: expected input of shape (..., D_in={self.D_in}), got {got}")
        self._cache = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self._cached()
        x2 = x.reshape(-1, self.D_in)  # flatten the batch axes: one matrix product each
        d2 = dout.reshape(-1, self.D_out)
        self.grads["W"] = x2.T @ d2
        self.grads["b"] = d2.sum(axis=0)
        return dout @ self.params["W"].T

    def __repr__(self) -> str:
        return f"Linear({self.D_in}, {self.D_out})"


class ReLU(Module):
    """``out = max(x, 0)``; backward passes ``dout`` where ``x > 0``. Any shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        mask = x > 0
        self._cache = mask
        return x * mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self._cached()

    def __repr__(self) -> str:
        return "ReLU()"


class Tanh(Module):
    """``out = tanh(x)``; backward ``dx = dout * (1 - out²)`` (reads the cached output). Any shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.tanh(x)
        self._cache = out
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        out = self._cached()
        return dout * (1.0 - out * out)

    def __repr__(self) -> str:
        return "Tanh()"


class Dropout(Module):
    """Inverted dropout: in training ``out = x * m / (1 - p)`` with ``m ~ Bernoulli(1 - p)``.

    Scaling by ``1/(1-p)`` at training time keeps the expected activation unchanged,
    so evaluation is simply the identity. The mask comes from the layer's own seeded
    generator ``self.rng`` (``gradcheck`` replays it so the mask is the same in every
    finite-difference evaluation). Any shape.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p
        self.rng = as_generator(rng)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0.0:
            self._cache = np.ones((), dtype=x.dtype)  # identity: backward passes dout through
            return x
        scale = np.asarray(1.0 / (1.0 - self.p), dtype=x.dtype)
        mask = (self.rng.random(x.shape) >= self.p) * scale
        self._cache = mask.astype(x.dtype, copy=False)
        return x * self._cache

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self._cached()

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Reshape(Module):
    """Reshape each example: ``x (N, *in_shape)`` → ``out (N, *shape)``; backward undoes it."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim < 1 or math.prod(x.shape[1:]) != math.prod(self.shape):
            raise ValueError(
                f"Reshape: cannot reshape input of shape {x.shape} to (N, {', '.join(map(str, self.shape))})"
            )
        self._cache = x.shape
        return x.reshape((x.shape[0],) + self.shape)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self._cached())

    def __repr__(self) -> str:
        return f"Reshape{self.shape}"


class Parallel(Module):
    """Run several branches on the same input and concatenate along ``axis``.

    ``out = concat([b(x) for b in branches], axis)``. Backward splits ``dout`` back
    into the branches' pieces and *sums* their input gradients, because the input
    was used by every branch (the multivariate chain rule).
    Used by MSDN for its multi-scale block: one Conv1D branch per kernel size,
    concatenated on the channel axis (``axis=1`` of ``(N, C, L)``).
    """

    def __init__(self, branches: Sequence[Module], axis: int = 1) -> None:
        super().__init__()
        self.branches = list(branches)
        self.axis = axis

    def children(self) -> list[tuple[str, Module]]:
        return [(str(i), b) for i, b in enumerate(self.branches)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        outs = [b.forward(x) for b in self.branches]
        self._cache = np.cumsum([o.shape[self.axis] for o in outs])[:-1]  # split points
        return np.concatenate(outs, axis=self.axis)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        pieces = np.split(dout, self._cached(), axis=self.axis)
        dx = self.branches[0].backward(pieces[0])
        for branch, piece in zip(self.branches[1:], pieces[1:]):
            dx = dx + branch.backward(piece)
        return dx
