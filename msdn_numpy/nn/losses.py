"""Binary cross-entropy with logits, the loss of every model in this project.

For a logit ``z`` and a target ``y ∈ {0, 1}`` with ``p = sigmoid(z)``:

    loss(z, y) = -[y log p + (1 - y) log(1 - p)]
               = max(z, 0) - z y + log(1 + exp(-|z|))          (stable form)

The stable form never exponentiates a positive number, so logits of ±1e4 give
finite values and no overflow warning. Its derivative is simply

    ∂loss/∂z = sigmoid(z) - y.
"""

from __future__ import annotations

import numpy as np

from msdn_numpy.nn.layers import Module


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function ``1 / (1 + exp(-z))``, any shape.

    ``exp`` only ever sees ``-|z|``, so it cannot overflow. Float input keeps its
    dtype; integer or boolean input is computed in float64; anything else (object,
    complex, strings) is a ValueError.
    """
    z = np.asarray(z)
    if z.dtype.kind in "biu":
        z = z.astype(np.float64)
    elif z.dtype.kind != "f":
        raise ValueError(f"sigmoid: expected a real-valued array, got dtype {z.dtype}; convert it to float first")
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class BCEWithLogits(Module):
    """Mean binary cross-entropy over all ``N × L`` entries.

    ``forward(logits (N, L), targets (N, L)) -> float`` and
    ``backward(dout=1.0) -> dlogits (N, L)`` with
    ``dlogits = dout * (sigmoid(logits) - targets) / (N L)``.

    ``targets`` may be any shape equal to ``logits`` (RethinkRNN passes ``(N, B, L)``);
    the mean is over every entry.
    """

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        if np.shape(logits) != np.shape(targets):
            raise ValueError(
                f"BCEWithLogits: logits have shape {np.shape(logits)} but targets have shape "
                f"{np.shape(targets)}; they must match (N, L)"
            )
        y = np.asarray(targets, dtype=logits.dtype)
        if not ((y >= 0) & (y <= 1)).all():  # NaN too: the loss is only defined for targets in [0, 1]
            bad = y[~((y >= 0) & (y <= 1))].flat[0]
            raise ValueError(f"BCEWithLogits: targets must be in [0, 1] (labels are 0 or 1), got {bad}")
        self._cache = (logits, y)
        loss = np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
        return float(np.mean(loss))

    def backward(self, dout: float | np.ndarray = 1.0) -> np.ndarray:
        logits, y = self._cached()
        scale = np.asarray(dout, dtype=logits.dtype) / logits.size
        return (sigmoid(logits) - y) * scale
