"""Sentences that state what a run prints or what a figure shows, checked against a run of the code.

* README.md's excerpt of the main job's output (``msdn train``, about 3 s): every line, the
  timings aside, in the run's order;
* tutorials/README.md on MSDN's ``convs`` and its fast twin: what tutorials 0 and 4 print in a
  full run (about 2 s each): ``convs`` is its readable branches, bit for bit; the fast twin
  gives the same numbers to rounding, with the largest differences printed, not "exactly";
* the bar labels of figure ``08_bptt_gradients.png``: read from the figure the tutorial
  draws (smoke mode), against the bars' heights.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"
TIME = re.compile(r"\d+(\.\d+)?s\b")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MSDN_DATA"}  # the bundled data, as the READMEs run it
    return dict(env, MPLBACKEND="Agg", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", **extra)


def _blocks(text: str, after: str) -> list[str]:
    """The fenced blocks of ``text`` after the heading ``after``, up to the next heading."""
    section = text[text.index(after) :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```\n(.*?)```", section, flags=re.S)


def test_readme_main_job_output_is_a_run(tmp_path) -> None:
    """The README's excerpt of ``msdn train``: each line is a line of the run, in the run's order."""
    (shown,) = _blocks((ROOT / "README.md").read_text(), "## The main job")
    proc = subprocess.run(
        [sys.executable, "-m", "msdn_numpy", "train"], cwd=tmp_path, env=_env(), capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    run = [TIME.sub("T", line) for line in proc.stdout.splitlines()]
    at = 0
    for line in shown.splitlines():
        line = TIME.sub("T", line)
        assert line in run[at:], f"not in the run (after line {at}): {line!r}"
        at = run.index(line, at) + 1
    assert len([line for line in shown.splitlines() if line.strip()]) >= 6


def _full_run(script: str, figures: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(TUTORIALS / script), "--figures", str(figures)], cwd=ROOT, env=_env(),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _bullet(readme: str, n: int) -> str:
    return re.search(rf"^- \*\*{n}\*\*.*?(?=^- \*\*|\Z)", readme, flags=re.S | re.M).group(0)


def test_tutorials_readme_states_the_readable_and_fast_forms_as_printed(tmp_path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        out0, out4 = pool.map(lambda s: _full_run(s, tmp_path / s), ["00_paper.py", "04_build_msdn.py"])
    readme = (TUTORIALS / "README.md").read_text()
    text0, text4 = (" ".join(_bullet(readme, n).split()) for n in (0, 4))
    # the model's convs is the readable branches: the tutorials check it bit for bit ...
    assert "model.convs.forward(Z) == its branches concatenated: True" in out0
    assert "model.convs: forward == the branches concatenated, backward == the sum of the branches' dZ: True" in out4
    assert "`model.convs` is its readable branches, bit for bit" in text0, text0
    assert "`model.convs` is its readable branches, bit for bit, forward and backward" in text4, text4
    # ... and the fast twin gives the same numbers to rounding, as large as printed
    (diff0,) = re.findall(r"the fast twin MultiScaleConv1D \(fast=True\) gives F to rounding: largest difference (\S+)",
                          out0)  # fmt: skip
    (forward,) = re.findall(r"largest \|fast - readable\| (\S+)", out4)
    (dZ, dW) = re.search(r"backward: dZ (\S+), dW_k and db_k (\S+)", out4).groups()
    assert all(float(x) > 0 for x in (diff0, forward, dZ, dW)), "not bit for bit: the README must not say exactly"
    assert f"the fast twin gives the same F to rounding, not bit for bit (largest difference {diff0})" in text0, text0
    assert f"the fast twin to rounding: forward {forward}, backward {dZ} (dZ) and {dW} (dW_k, db_k)" in text4, text4
    for text in (text0, text4):
        assert not re.search(r"fast[^.;]*exactly", text), text


CAPTURE = """
import json, runpy, sys
import matplotlib.pyplot as plt
from msdn_numpy.tools import plots

script, figures, out = sys.argv[1:4]
bars = []

def save(fig, folder, name):  # what the figure shows, instead of a PNG
    for i, ax in enumerate(fig.axes):
        for c in ax.containers:
            bars.append({"figure": name, "axes": i, "label": c.get_label(),
                         "heights": [float(p.get_height()) for p in c.patches]})
    plt.close(fig)

plots.save = save
sys.path.insert(0, str(__import__("pathlib").Path(script).parent))
sys.argv = [script, "--smoke", "--figures", figures]
runpy.run_path(script, run_name="__main__")
json.dump(bars, open(out, "w"))
"""


def test_bptt_figure_labels_say_what_the_bars_show(tmp_path) -> None:
    import numpy as np

    out = tmp_path / "bars.json"
    proc = subprocess.run(
        [sys.executable, "-c", CAPTURE, str(TUTORIALS / "08_lstm_rethinknet.py"), str(tmp_path), str(out)],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    bars = {
        b["label"]: np.array(b["heights"])
        for b in json.loads(out.read_text())
        if b["figure"] == "08_bptt_gradients.png"
    }
    (direct,) = [v for k, v in bars.items() if k.startswith("direct")]
    (later,) = [v for k, v in bars.items() if k.startswith("flowing back")]
    (total_label,) = [k for k in bars if k.startswith("all of dL/dh_t")]
    total = bars[total_label]
    # the third bar is the norm of the summed gradient: between |direct - later| and direct + later ...
    assert np.all(total <= direct + later + 1e-12) and np.all(total >= np.abs(direct - later) - 1e-12)
    # ... and not their sum, so a label calling it "the sum of the two" would be wrong
    assert np.abs(total - (direct + later)).max() > 0.01 * total.max()
    assert "||direct + later||" in total_label and "at most the sum of the two norms" in total_label
    for label in bars:
        assert "(the sum of the two)" not in label
