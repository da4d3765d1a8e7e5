"""The exercise checkers: PASS on the worked solutions, NOT DONE on the untouched exercises and on
an empty file, and FAIL, naming the tensor, on the typical wrong answers.

A wrong answer is the worked solution with one function replaced (the source below is run in
the solution's namespace, so it can use the solution's helpers).
"""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from msdn_numpy.course import exercises
from msdn_numpy.course.exercises import EXERCISES, run_exercise

ROOT = Path(__file__).resolve().parent.parent
EXERCISE_DIR = ROOT / "tutorials" / "exercises"
SOLUTION_DIR = EXERCISE_DIR / "solutions"
BEGIN = "# ============================== YOUR CODE HERE =============================="
END = "# ============================== END OF YOUR CODE ============================"


def load(path: Path) -> dict:
    """A file's namespace, loaded the way ``msdn grade`` loads it (its own check() call does nothing)."""
    exercises.GRADING = True
    try:
        return runpy.run_path(str(path), run_name="student")
    finally:
        exercises.GRADING = False


_SOLUTIONS: dict[str, dict] = {}


def solution(key: str) -> dict:
    if key not in _SOLUTIONS:
        _SOLUTIONS[key] = load(SOLUTION_DIR / f"{key}.py")
    return dict(_SOLUTIONS[key])


def verdicts(key: str, namespace: dict) -> dict[str, tuple[str, str]]:
    return {r.function: (r.status, r.message) for r in run_exercise(key, namespace)}


def test_every_exercise_has_a_file_and_a_solution() -> None:
    assert sorted(p.stem for p in EXERCISE_DIR.glob("[0-9][0-9]_*.py")) == sorted(EXERCISES)
    assert sorted(p.stem for p in SOLUTION_DIR.glob("[0-9][0-9]_*.py")) == sorted(EXERCISES)
    names = [fn for e in EXERCISES.values() for fn in e.functions]
    assert len(names) == len(set(names)), "function names must be unique across exercises (msdn grade runs all)"


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_exercise_is_its_solution_with_the_code_removed(key: str) -> None:
    """Outside the YOUR CODE blocks (and the module docstring) the two files are identical."""

    def outside(path: Path) -> tuple[list[str], list[str]]:
        text = path.read_text()
        text = text[text.index("# %%") :]  # after the module docstring
        parts = re.split(rf"{re.escape(BEGIN)}.*?{re.escape(END)}", text, flags=re.S)
        blocks = re.findall(rf"{re.escape(BEGIN)}(.*?){re.escape(END)}", text, flags=re.S)
        return parts, blocks

    ex_parts, ex_blocks = outside(EXERCISE_DIR / f"{key}.py")
    sol_parts, _ = outside(SOLUTION_DIR / f"{key}.py")
    assert ex_parts == sol_parts
    assert len(ex_blocks) >= len(EXERCISES[key].functions)
    for block in ex_blocks:  # each block of the exercise is just the NotImplementedError
        assert re.fullmatch(r'\s*raise NotImplementedError\("exercise \d[a-h]: write [\w.]+"\)\s*', block), block


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_solution_passes(key: str) -> None:
    results = run_exercise(key, solution(key))
    assert [r.status for r in results] == ["PASS"] * len(results), results
    assert all(r.error is not None and r.error < 1e-7 for r in results)


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_untouched_exercise_is_not_done(key: str) -> None:
    results = verdicts(key, load(EXERCISE_DIR / f"{key}.py"))
    assert {s for s, _ in results.values()} == {"NOT DONE"}, results
    assert all("NotImplementedError('exercise" in m or " first (its cache" in m for _, m in results.values()), results


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_empty_file_is_not_done(key: str) -> None:
    results = verdicts(key, {})
    assert results == {fn: ("NOT DONE", f"{fn} is not defined") for fn in EXERCISES[key].functions}


# (exercise, function, the wrong source, what the message must say)
WRONG = [
    # 01 ReLU
    ("01_relu", "relu_forward", "def relu_forward(x):\n    np.maximum(x, 0)\n",
     "relu_forward: returned None, expected an array of shape (4, 5) (is a return statement missing?)"),
    ("01_relu", "relu_backward", "def relu_backward(dout, x):\n    return dout * (x >= 0)\n",
     "relu_backward: dx is wrong in case x of shape (4, 5)"),
    ("01_relu", "relu_backward", "def relu_backward(dout, x):\n    dout[x <= 0] = 0\n    return dout\n",
     "relu_backward: changed its input dout in place"),
    # 02 BCE: the textbook formula overflows; the mean forgotten; the sign flipped
    ("02_bce", "bce_forward",
     "def bce_forward(logits, targets):\n    p = 1 / (1 + np.exp(-logits))\n"
     "    return float(np.mean(-(targets * np.log(p) + (1 - targets) * np.log(1 - p))))\n",
     "bce_forward: loss is nan in case logits of ±1000 (2, 4); expected 450.127833"),
    ("02_bce", "bce_forward",
     "def bce_forward(logits, targets):\n"
     "    return np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))\n",
     "bce_forward: loss has shape (3, 4) but expected a single number (shape ())"),
    ("02_bce", "bce_backward", "def bce_backward(logits, targets):\n    return sigmoid_(logits) - targets\n",
     "bce_backward: dlogits is wrong in case logits (3, 4)"),
    ("02_bce", "bce_backward",
     "def bce_backward(logits, targets):\n    return (targets - sigmoid_(logits)) / logits.size\n",
     "bce_backward: dlogits is wrong"),
    # 03 im2col: off by one, stride and dilation swapped, a copy, strides assumed C-contiguous;
    # conv1d_forward: a flipped kernel, the bias forgotten
    ("03_im2col", "im2col",
     "def im2col(x_pad, K, stride, dilation):\n    N, C, L_pad = x_pad.shape\n"
     "    L_out = (L_pad - dilation * (K - 1) - 1) // stride\n    sn, sc, sl = x_pad.strides\n"
     "    return as_strided(x_pad, (C, K, N, L_out), (sc, dilation * sl, sn, stride * sl))\n",
     "im2col: cols has shape (3, 3, 2, 6) but expected (3, 3, 2, 7)"),
    ("03_im2col", "im2col",
     "def im2col(x_pad, K, stride, dilation):\n    N, C, L_pad = x_pad.shape\n"
     "    L_out = (L_pad - dilation * (K - 1) - 1) // stride + 1\n    sn, sc, sl = x_pad.strides\n"
     "    return as_strided(x_pad, (C, K, N, L_out), (sc, stride * sl, sn, dilation * sl))\n",
     "im2col: cols is wrong in case x_pad (3, 2, 10), K=4, stride=2, dilation=1"),
    ("03_im2col", "im2col",
     "_right = im2col\ndef im2col(x_pad, K, stride, dilation):\n    return _right(x_pad, K, stride, dilation).copy()\n",
     "im2col: cols is a copy of x_pad, not a view of it"),
    ("03_im2col", "im2col",
     "def im2col(x_pad, K, stride, dilation):\n    N, C, L_pad = x_pad.shape\n"
     "    L_out = (L_pad - dilation * (K - 1) - 1) // stride + 1\n    s = x_pad.itemsize\n"
     "    return as_strided(x_pad, (C, K, N, L_out), (L_pad * s, dilation * s, C * L_pad * s, stride * s))\n",
     "im2col: cols is wrong in case x_pad (2, 3, 9), K=3, stride=1, dilation=1 (a transposed, non-contiguous x_pad"),
    ("03_im2col", "conv1d_forward",
     "_right = conv1d_forward\ndef conv1d_forward(x, W, b, stride, dilation, pad_left, pad_right):\n"
     "    return _right(x, W[:, :, ::-1], b, stride, dilation, pad_left, pad_right)\n",
     "conv1d_forward: out is wrong in case x (2, 3, 9), W (4, 3, 3)"),
    ("03_im2col", "conv1d_forward",
     "_right = conv1d_forward\ndef conv1d_forward(x, W, b, stride, dilation, pad_left, pad_right):\n"
     "    return _right(x, W, 0 * b, stride, dilation, pad_left, pad_right)\n",
     "conv1d_forward: out is wrong"),
    ("03_im2col", "conv1d_forward",  # (C_out, N, L_out) read as (N, C_out, L_out): a reshape, not a transpose
     "_right = conv1d_forward\ndef conv1d_forward(x, W, b, stride, dilation, pad_left, pad_right):\n"
     "    out = _right(x, W, b, stride, dilation, pad_left, pad_right)\n"
     "    return out.transpose(1, 0, 2).reshape(out.shape)\n",
     "conv1d_forward: out is wrong in case x (2, 3, 9), W (4, 3, 3), stride=1, dilation=1, pad=(1, 1): relative "
     "error"),
    # 04 col2im: = instead of +=; conv1d_backward: flipped kernel, no bias gradient, padding kept, wrong dW shape
    ("04_conv1d_backward", "col2im",
     "def col2im(dcols, L_pad, stride, dilation):\n    C, K, N, L_out = dcols.shape\n"
     "    dx = np.zeros((N, C, L_pad))\n    for k in range(K):\n        start = k * dilation\n"
     "        dx[:, :, start : start + stride * (L_out - 1) + 1 : stride] = dcols[:, k].transpose(1, 0, 2)\n"
     "    return dx\n",
     "col2im: dx_pad is wrong in case dcols (3, 3, 2, 7), L_pad=9"),
    ("04_conv1d_backward", "conv1d_backward",
     "_right = conv1d_backward\ndef conv1d_backward(dout, x_pad, W, stride, dilation, pad_left, L):\n"
     "    dx, dW, db = _right(dout, x_pad, W, stride, dilation, pad_left, L)\n    return dx, dW[:, :, ::-1], db\n",
     "conv1d_backward: dW is wrong in case x (2, 3, 9), W (4, 3, 3)"),
    ("04_conv1d_backward", "conv1d_backward",
     "_right = conv1d_backward\ndef conv1d_backward(dout, x_pad, W, stride, dilation, pad_left, L):\n"
     "    dx, dW, db = _right(dout, x_pad, W, stride, dilation, pad_left, L)\n    return dx, dW, None\n",
     "conv1d_backward: db is None, expected an array of shape (4,)"),
    ("04_conv1d_backward", "conv1d_backward",
     "_right = conv1d_backward\ndef conv1d_backward(dout, x_pad, W, stride, dilation, pad_left, L):\n"
     "    dx, dW, db = _right(dout, x_pad, W, stride, dilation, 0, x_pad.shape[2])\n    return dx, dW, db\n",
     "conv1d_backward: dx has shape (2, 3, 11) but expected (2, 3, 9)"),
    ("04_conv1d_backward", "conv1d_backward",
     "_right = conv1d_backward\ndef conv1d_backward(dout, x_pad, W, stride, dilation, pad_left, L):\n"
     "    dx, dW, db = _right(dout, x_pad, W, stride, dilation, pad_left, L)\n    return dx, dW.sum(axis=2), db\n",
     "conv1d_backward: dW has shape (4, 3) but expected (4, 3, 3)"),
    # 05 LSTM: c's path through h forgotten; dc_prev without f; BPTT without the cell gradient,
    # with only the last step's weights, or accumulating over calls
    ("05_lstm_bptt", "lstm_step_backward",
     "_right = lstm_step_backward\ndef lstm_step_backward(dh, dc, cache):\n"
     "    x, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c = cache\n"
     "    out = list(_right(dh, dc, cache))\n    out[2] = (dc + dh * o * (1 - tanh_c**2))\n    return tuple(out)\n",
     "lstm_step_backward: dc_prev is wrong in case x (2, 3), H=5"),
    ("05_lstm_bptt", "lstm_step_backward",
     "_right = lstm_step_backward\ndef lstm_step_backward(dh, dc, cache):\n"
     "    x, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c = cache\n"
     "    return _right(dh, dc - dh * o * (1 - tanh_c**2), cache)  # so that dc_total = dc: the path via h lost\n",
     "lstm_step_backward: the i-, f- and g-gate blocks of db, dW_x and dW_h are wrong, the other gates' blocks are "
     "right (gate order i, f, g, o along the last axis; with H = 5, i is columns 0:5, f is columns 5:10 and g is "
     "columns 10:15); the first wrong tensor: dx is wrong in case x (2, 3), H=5"),
    ("05_lstm_bptt", "lstm_backward",
     "def lstm_backward(dhs, caches):\n    N, T, H = dhs.shape\n    dxs, gs = [None] * T, [0.0, 0.0, 0.0]\n"
     "    dh_next = np.zeros((N, H))\n    for t in reversed(range(T)):\n"
     "        dxs[t], dh_next, _, *g = lstm_step_backward(dhs[:, t] + dh_next, np.zeros((N, H)), caches[t])\n"
     "        gs = [a + b for a, b in zip(gs, g)]\n    return (np.stack(dxs, axis=1), *gs)\n",
     "lstm_backward: dx is wrong in case x (2, 4, 3), H=5"),
    ("05_lstm_bptt", "lstm_backward",
     "def lstm_backward(dhs, caches):\n    N, T, H = dhs.shape\n    dxs = [None] * T\n"
     "    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))\n    for t in reversed(range(T)):\n"
     "        dxs[t], dh_next, dc_next, gW_x, gW_h, gb = lstm_step_backward(dhs[:, t] + dh_next, dc_next, caches[t])\n"
     "        if t == T - 1:\n            dW_x, dW_h, db = gW_x, gW_h, gb  # only one step's share\n"
     "    return np.stack(dxs, axis=1), dW_x, dW_h, db\n",
     "lstm_backward: dW_x is wrong in case x (2, 4, 3), H=5"),
    ("05_lstm_bptt", "lstm_backward",
     "_right, TOTAL = lstm_backward, {}\ndef lstm_backward(dhs, caches):\n"
     "    dx, *grads = _right(dhs, caches)\n    for k, g in zip(('W_x', 'W_h', 'b'), grads):\n"
     "        TOTAL[k] = TOTAL.get(k, 0.0) + g  # accumulated over calls\n"
     "    return dx, TOTAL['W_x'], TOTAL['W_h'], TOTAL['b']\n",
     "lstm_backward: two calls with the same inputs returned different dW_x (relative difference 3.3e-01): "
     "it keeps state between calls"),
    # 06 the relation block: no ReLU, concatenated on the label axis, read-out (N, 1, L) or without bias,
    # children() not listing the layers, the branches' dZ not summed, gradients kept between calls
    ("06_msdn_relations", "multiscale_forward",
     "def multiscale_forward(Z, Ws, bs):\n    out = []\n    for W, b in zip(Ws, bs):\n"
     "        conv = Conv1D(W.shape[1], W.shape[0], W.shape[2], padding='same')\n"
     "        conv.params['W'], conv.params['b'] = W, b\n        out.append(conv.forward(Z))\n"
     "    return np.concatenate(out, axis=1)\n",
     "multiscale_forward: F is wrong in case Z (2, 3, 7), kernel sizes (1, 3, 5), c=4"),
    ("06_msdn_relations", "multiscale_forward",
     "_right = multiscale_forward\ndef multiscale_forward(Z, Ws, bs):\n"
     "    F = _right(Z, Ws, bs)\n    return np.concatenate(np.split(F, len(Ws), axis=1), axis=2)\n",
     "multiscale_forward: F has shape (2, 4, 21) but expected (2, 12, 7)"),
    ("06_msdn_relations", "readout_forward",
     "_right = readout_forward\ndef readout_forward(F, W_r, b_r):\n    return _right(F, W_r, b_r)[:, None, :]\n",
     "readout_forward: logits has shape (2, 1, 7) but expected (2, 7)"),
    ("06_msdn_relations", "readout_forward",
     "def readout_forward(F, W_r, b_r):\n    return np.einsum('c,ncl->nl', W_r[0, :, 0], F)\n",
     "readout_forward: logits is wrong in case F (2, 12, 7)"),
    ("06_msdn_relations", "RelationBlock",
     "class RelationBlock(RelationBlock):\n    def children(self):\n        return []\n",
     "RelationBlock: gradcheck: RelationBlock.convs[0] (a Conv1D) is not listed by RelationBlock.children(); "
     "RelationBlock.convs[1] (a Conv1D) is not listed by RelationBlock.children(); RelationBlock.convs[2] (a Conv1D) "
     "is not listed by RelationBlock.children() (and 4 more). Their parameters would be neither checked nor trained"),
    ("06_msdn_relations", "RelationBlock",
     "class RelationBlock(RelationBlock):\n    def backward(self, dlogits):\n"
     "        dF = self.readout.backward(dlogits[:, None, :])\n"
     "        pieces = np.split(dF, len(self.convs), axis=1)\n        dZ = None\n"
     "        for conv, relu, piece in zip(self.convs, self.relus, pieces):\n"
     "            dZ = conv.backward(relu.backward(piece))  # the last branch's only\n        return dZ\n",
     "RelationBlock.backward: whole-block gradcheck fails in case Z (2, 3, 7), kernel sizes (1, 3, 5), c=4: "
     "dZ has relative error"),
    ("06_msdn_relations", "RelationBlock",
     "class RelationBlock(RelationBlock):\n    def backward(self, dlogits):\n"
     "        self.dZ = getattr(self, 'dZ', 0.0) + super().backward(dlogits)\n        return self.dZ\n",
     "grads accumulate: two identical forward + backward calls gave different gradients for dx"),
    # 07 Adam: no bias correction, t off by one, eps inside the square root, moments updated in place
    ("07_adam", "adam_step",
     "def adam_step(p, g, m, v, t, lr, beta1, beta2, eps):\n"
     "    m = beta1 * m + (1 - beta1) * g\n    v = beta2 * v + (1 - beta2) * g * g\n"
     "    return p - lr * m / (np.sqrt(v) + eps), m, v\n",
     "adam_step: p is wrong in case p (3, 4), step t=1"),
    ("07_adam", "adam_step",
     "_right = adam_step\ndef adam_step(p, g, m, v, t, lr, beta1, beta2, eps):\n"
     "    return _right(p, g, m, v, t - 1, lr, beta1, beta2, eps)\n",
     "adam_step: p has 12 non-finite entries (inf or nan) in case p (3, 4), step t=1, lr=0.001, betas=(0.9, 0.999), "
     "eps=1e-08, e.g. p[0, 0] = nan; expected"),
    ("07_adam", "adam_step",
     "def adam_step(p, g, m, v, t, lr, beta1, beta2, eps):\n"
     "    m = beta1 * m + (1 - beta1) * g\n    v = beta2 * v + (1 - beta2) * g * g\n"
     "    return p - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps), m, v\n",
     "adam_step: the update p_new - p is wrong in case p "),
    ("07_adam", "adam_step",
     "_right = adam_step\ndef adam_step(p, g, m, v, t, lr, beta1, beta2, eps):\n"
     "    p2, m2, v2 = _right(p, g, m, v, t, lr, beta1, beta2, eps)\n    m[...] = m2\n    return p2, m, v2\n",
     "adam_step: changed its input m in place"),
    # 08 the label axis: no tanh; tanh' forgotten; du without g; windows centred for even k; no clipping;
    # an int mask
    ("08_label_axis", "score_embedding_forward",
     "def score_embedding_forward(g, u, e):\n    return u[None] * g[:, None, :] + e[None]\n",
     "score_embedding_forward: Z is wrong in case g (3, 7), u and e (4, 7)"),
    ("08_label_axis", "score_embedding_backward",
     "def score_embedding_backward(dZ, g, u, e):\n"
     "    return (dZ * u[None]).sum(1), (dZ * g[:, None, :]).sum(0), dZ.sum(0)\n",
     "score_embedding_backward: dg is wrong in case g (3, 7), u and e (4, 7)"),
    ("08_label_axis", "score_embedding_backward",
     "_right = score_embedding_backward\ndef score_embedding_backward(dZ, g, u, e):\n"
     "    dg, du, de = _right(dZ, g, u, e)\n    return dg, de, de\n",
     "score_embedding_backward: du is wrong in case g (3, 7), u and e (4, 7)"),
    ("08_label_axis", "receptive_field",
     "def receptive_field(L, kernel_sizes, p):\n    seen = np.zeros(L, dtype=bool)\n"
     "    for k in kernel_sizes:\n        seen[max(p - k // 2, 0) : min(p + k // 2, L - 1) + 1] = True\n"
     "    return seen\n",
     "receptive_field: seen is wrong in case L=8, kernel_sizes=(2,), p=3"),
    ("08_label_axis", "receptive_field",
     "def receptive_field(L, kernel_sizes, p):\n    seen = np.zeros(L, dtype=bool)\n"
     "    for k in kernel_sizes:\n        seen[p - (k - 1) // 2 : p + k // 2 + 1] = True\n    return seen\n",
     "receptive_field: seen is wrong in case L=9, kernel_sizes=(1, 3, 5), p=0"),
    ("08_label_axis", "receptive_field",
     "_right = receptive_field\ndef receptive_field(L, kernel_sizes, p):\n"
     "    return _right(L, kernel_sizes, p).astype(int)\n",
     "receptive_field: seen has dtype int64, expected bool (case L=9, kernel_sizes=(3,), p=4)"),
]  # fmt: skip


def test_at_least_two_wrong_answers_per_exercise() -> None:
    for key in EXERCISES:
        assert sum(k == key for k, *_ in WRONG) >= 2, key


@pytest.mark.parametrize("key, function, source, message", WRONG, ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_wrong_answer_fails_naming_the_tensor(key: str, function: str, source: str, message: str) -> None:
    namespace = solution(key)
    namespace["sigmoid_"] = lambda z: 1 / (1 + __import__("numpy").exp(-z))
    exec(source, namespace)
    results = verdicts(key, namespace)
    status, text = results[function]
    assert status == "FAIL", results
    assert message in text, text
    others = {fn: s for fn, (s, _) in results.items() if fn != function}
    assert set(others.values()) <= {"PASS"}, others  # only the replaced function fails


def test_a_student_exception_is_a_fail_with_the_line() -> None:
    namespace = solution("01_relu")
    exec("def relu_forward(x):\n    return x.no_such_method()\n", namespace)
    status, text = verdicts("01_relu", namespace)["relu_forward"]
    assert status == "FAIL"
    assert text.startswith("relu_forward: raised AttributeError: 'numpy.ndarray' object has no attribute")
    assert "(line 2 of <string>)" in text


def test_backward_needs_the_forward_first() -> None:
    namespace = solution("05_lstm_bptt")
    exec("def lstm_step_forward(*args):\n    raise NotImplementedError('5a')\n", namespace)
    results = verdicts("05_lstm_bptt", namespace)
    assert results["lstm_step_forward"][0] == "NOT DONE"
    assert results["lstm_step_backward"] == (
        "NOT DONE",
        "lstm_step_backward needs lstm_step_forward first (its cache is lstm_step_backward's input)",
    )


def _run(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_exercise_and_solution_run_as_scripts(tmp_path: Path) -> None:
    proc = _run(EXERCISE_DIR / "03_im2col.py")
    assert proc.returncode == 0, proc.stderr
    assert "  im2col          NOT DONE  raises NotImplementedError('exercise 3a: write im2col')" in proc.stdout
    assert "verdict: NOT DONE" in proc.stdout
    proc = _run(SOLUTION_DIR / "04_conv1d_backward.py")
    assert proc.returncode == 0, proc.stderr
    assert "  conv1d_backward  PASS      worst rel. error" in proc.stdout and "verdict: PASS" in proc.stdout
    # a failing exercise exits with status 1
    wrong = tmp_path / "01_relu.py"
    wrong.write_text(
        (SOLUTION_DIR / "01_relu.py").read_text().replace("return dout * (x > 0)", "return dout * (x >= 0)")
    )
    proc = _run(wrong)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "relu_backward  FAIL      relu_backward: dx is wrong" in proc.stdout and "verdict: FAIL" in proc.stdout
