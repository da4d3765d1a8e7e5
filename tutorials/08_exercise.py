"""Tutorial 8 — exercise: write the backward pass of ReLU and of Conv1D; gradcheck marks your work.

Run:  python tutorials/08_exercise.py                 check YOUR functions below
      python tutorials/08_exercise.py --solution      check the worked solution instead
      python tutorials/08_exercise.py --solution FILE check the functions of another file
(``MSDN_EXERCISE_SOLUTION=1`` or ``=FILE`` does the same as ``--solution``.)

Exit code: 0 when every exercise you wrote passes (exercises not written yet are
reported as NOT DONE, not as errors); 1 when a written exercise fails its check.
"""

# %% [markdown]
# # 8. Exercise: backward passes, checked by `gradcheck`
#
# Fill in the two functions between the `YOUR CODE` markers, then run this script.
# For each one, `msdn_numpy.gradcheck` compares your gradients with central finite
# differences on several random inputs and prints PASS (relative error < 1e-7) or FAIL.
# You may use loops: correctness first. The worked solution is in
# `tutorials/solutions/08_exercise_solution.py`; try on your own before opening it.
#
# The contract (tutorial 3 derives the Conv1D case): given the upstream gradient
# `dout = dLoss/dout`, return `dLoss/dx` (and the parameter gradients), each with the
# shape of the thing it is the gradient of.

# %%
import argparse
import importlib.util
import os
import sys
from pathlib import Path

import common
import numpy as np

from msdn_numpy import Conv1D, Module, gradcheck
from msdn_numpy.gradcheck import PASS_BAR

# %% [markdown]
# ## Exercise 1 (warm-up): ReLU
#
# Forward: `out = max(x, 0)`, elementwise, any shape.


# %%
def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient of ReLU.

    Parameters
    ----------
    dout : np.ndarray, any shape
        Upstream gradient, same shape as ``x``.
    x : np.ndarray
        The input the forward pass saw.

    Returns
    -------
    dx : np.ndarray, shape of ``x``
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 1: write relu_backward")
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## Exercise 2: Conv1D
#
# Forward (stride 1, no dilation, zero padding already applied):
#
#     out[n, o, t] = b[o] + sum_c sum_k W[o, c, k] * x_pad[n, c, t + k]
#
# with `x_pad (N, C_in, L_pad)`, `W (C_out, C_in, K)`, `b (C_out,)`,
# `out (N, C_out, L_out)`, `L_out = L_pad - K + 1`, and `x` = `x_pad[:, :, pad_left:pad_left + L]`.
# Hint: each term `W[o, c, k] * x_pad[n, c, t + k]` sends `dout[n, o, t]` to both factors.


# %%
def conv1d_backward(
    dout: np.ndarray, x_pad: np.ndarray, W: np.ndarray, pad_left: int, L: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the convolution above.

    Parameters
    ----------
    dout : np.ndarray, shape (N, C_out, L_out)
    x_pad : np.ndarray, shape (N, C_in, L_pad)
        The zero-padded input the forward pass saw.
    W : np.ndarray, shape (C_out, C_in, K)
    pad_left : int
        Zeros added on the left of ``x`` (so ``x = x_pad[:, :, pad_left:pad_left + L]``).
    L : int
        Length of the unpadded input.

    Returns
    -------
    dx : (N, C_in, L), dW : (C_out, C_in, K), db : (C_out,)
    """
    # ============================== YOUR CODE HERE ==============================
    raise NotImplementedError("exercise 2: write conv1d_backward")
    # ============================== END OF YOUR CODE ============================


# %% [markdown]
# ## The checker (no need to edit below)
#
# Your functions are plugged into real `msdn_numpy` layers: the forward passes are the
# package's, the backward passes are yours.

# %%
parser = argparse.ArgumentParser(description="check the exercise functions with gradcheck")
parser.add_argument("--solution", nargs="?", const="1", default=os.environ.get("MSDN_EXERCISE_SOLUTION"),
                    help="check the worked solution (or the functions in FILE) instead of this file's")  # fmt: skip
opts, _ = parser.parse_known_args()
common.setup(__doc__)
SOLUTION = Path(__file__).resolve().parent / "solutions" / "08_exercise_solution.py"

if opts.solution not in (None, "", "0"):
    path = SOLUTION if opts.solution == "1" else Path(opts.solution)
    spec = importlib.util.spec_from_file_location("exercise_solution", path)
    solution = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solution)
    relu_backward, conv1d_backward = solution.relu_backward, solution.conv1d_backward  # noqa: F811
    print(f"checking the functions of {path}")
else:
    print("checking the functions written in this file")


class StudentReLU(Module):
    """The package's ReLU forward; your backward."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = x
        return np.maximum(x, 0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return relu_backward(dout, self._cached())


class StudentConv1D(Conv1D):
    """The package's Conv1D forward (zeros padding, stride 1); your backward."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = super().forward(x)  # (this sets the package's own cache; we replace it below)
        x_pad = np.pad(x, ((0, 0), (0, 0), (self.pad_left, self.pad_right)))
        self._cache = (x_pad, x.shape[2])
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x_pad, L = self._cached()
        dx, dW, db = conv1d_backward(dout, x_pad, self.params["W"], self.pad_left, L)
        self.grads["W"], self.grads["b"] = dW, db
        return dx


def check(name: str, cases: list) -> str:
    """Run gradcheck on every (module, x) case; return 'PASS', 'FAIL' or 'NOT DONE'."""
    print(f"\n{name}")
    for label, module, x in cases:
        try:
            errors = gradcheck(module, x)
        except NotImplementedError as exc:
            print(f"  NOT DONE: {exc}")
            return "NOT DONE"
        except Exception as exc:  # a shape error, a typo...: report it as a failure, with the reason
            print(f"  {label:<44s} FAIL: {type(exc).__name__}: {exc}")
            return "FAIL"
        worst = max(errors, key=errors.get)
        ok = errors[worst] < PASS_BAR
        print(f"  {label:<44s} worst rel. error {errors[worst]:.1e} ({worst})  {'ok' if ok else 'FAIL'}")
        if not ok:
            return "FAIL"
    return "PASS"


rng = np.random.default_rng(0)
verdicts = {
    "Exercise 1: relu_backward": check("Exercise 1: relu_backward", [
        ("x (4, 5)", StudentReLU(), rng.standard_normal((4, 5))),
        ("x (2, 3, 7)", StudentReLU(), rng.standard_normal((2, 3, 7))),
    ]),
    "Exercise 2: conv1d_backward": check("Exercise 2: conv1d_backward", [
        (f"K={k}, padding={p!r}, C_in=3, C_out=4, L=9", StudentConv1D(3, 4, k, padding=p, rng=k),
         rng.standard_normal((2, 3, 9)))
        for k, p in ((3, "same"), (4, "same"), (1, "valid"), (5, "valid"), (2, (3, 0)))
    ]),
}  # fmt: skip

print("\n" + "=" * 60)
for name, verdict in verdicts.items():
    print(f"{name:<32s} {verdict}")
todo = [n for n, v in verdicts.items() if v == "NOT DONE"]
if todo:
    print(f"\n{len(todo)} exercise(s) not done yet: fill in the functions marked YOUR CODE HERE.")
if any(v == "FAIL" for v in verdicts.values()):
    print("Some gradients are wrong: compare your derivation with tutorial 3, then run again.")
    sys.exit(1)
if not todo:
    print("\nAll exercises pass gradcheck. Well done!")
