"""Every tutorial runs to completion in smoke mode, as a script and as a notebook, and writes its figures.

As a script: each file in ``tutorials/`` runs as a subprocess, headless (``MPLBACKEND=Agg``),
with ``MSDN_SMOKE=1`` (few epochs, small data, one seed), the bundled real data (or
``MSDN_DATA`` if set) and ``--figures`` pointing at a temporary folder.

As a notebook: each tutorial is converted to ``.ipynb`` (:mod:`msdn_numpy.tools.notebooks`,
as ``msdn handout`` does) and executed in a Jupyter kernel (nbclient + ipykernel,
``tests/notebook_kernel.py``; matplotlib's inline backend, as in Jupyter) from a copy of
``tutorials/`` as the working directory: every cell that saves a figure shows it (one
``image/png`` output), and the module docstring is a markdown cell, never printed. The
whole set takes about 30 s of kernel time on this project's machine (measured: 28 s one
after another), so every tutorial runs, not a sample. The exercises and their solutions
run cell by cell in one namespace (``tests/notebook_runner.py``: no ``__file__``, a
kernel's ``sys.argv``), without a kernel.

The scripts and notebooks run two at a time, once per test session (the scripts' runs, the
fixture ``smoke_runs`` of ``conftest.py``, also serve ``tests/test_claims.py``).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from tutorial_runs import import_from_tutorials, smoke_env

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"
NOTEBOOK_RUNNER = Path(__file__).resolve().parent / "notebook_runner.py"
NOTEBOOK_KERNEL = Path(__file__).resolve().parent / "notebook_kernel.py"

#: script -> the figures it must write
EXPECTED = {
    "00_paper.py": ["00_one_example.png"],
    "01_data.py": ["01_cooccurrence.png", "01_label_orders.png"],
    "02_metrics.py": ["02_tiny_example.png"],
    "03_conv1d.py": ["03_im2col.png", "03_timings.png"],
    "04_build_msdn.py": ["04_receptive_fields.png", "04_params_vs_labels.png"],
    "05_train.py": ["05_learning_curves.png", "05_thresholds.png"],
    "06_ablations.py": ["06_ablations.png"],
    "07_tradeoff.py": ["07_tradeoff.png"],
    "08_lstm_rethinknet.py": ["08_bptt_gradients.png", "08_rethink_steps.png"],
    "09_training_loop.py": ["09_selection.png"],
    "10_label_axis.py": ["10_scales.png"],
}
EXERCISES = sorted(str(p.relative_to(TUTORIALS)) for p in TUTORIALS.glob("exercises/**/[0-9][0-9]_*.py"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


_env = smoke_env


def test_every_tutorial_is_listed() -> None:
    scripts = sorted(p.name for p in TUTORIALS.glob("[0-9][0-9]_*.py"))
    assert scripts == sorted(EXPECTED), "add new tutorials to EXPECTED (and to tutorials/README.md)"
    readme = (TUTORIALS / "README.md").read_text()
    for script in scripts:
        assert script in readme, f"{script} is missing from tutorials/README.md"


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_tutorial_runs_and_writes_figures(script: str, smoke_runs) -> None:
    proc, figures = smoke_runs[script]
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert "SMOKE" in proc.stdout
    for name in EXPECTED[script]:
        path = figures / name
        assert path.exists(), f"{script} did not write {name}"
        data = path.read_bytes()
        assert data[:8] == PNG_SIGNATURE, f"{name} is not a PNG"
        assert len(data) > 5_000, f"{name} is suspiciously small ({len(data)} bytes)"
        import matplotlib.image

        image = matplotlib.image.imread(path)
        assert image.ndim == 3 and image.shape[0] >= 200 and image.shape[1] >= 300, image.shape
        assert np.ptp(image[..., :3]) > 0, f"{name} is a blank image"


def test_no_file_uses_dunder_file() -> None:
    """``__file__`` does not exist in a notebook kernel: no tutorial or exercise may use it."""
    needle = "__" + "file__"
    offenders = [str(p.relative_to(ROOT)) for p in TUTORIALS.rglob("*.py") if needle in p.read_text()]
    assert not offenders, offenders


def _check_figures(script: str, figures: Path) -> None:
    for name in EXPECTED.get(script, []):
        path = figures / name
        assert path.exists(), f"{script} did not write {name}"
        assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{name} is not a PNG"


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every exercise and solution run cell by cell as a notebook would, two at a time."""
    copy = tmp_path_factory.mktemp("notebooks") / "tutorials"
    shutil.copytree(TUTORIALS, copy, ignore=shutil.ignore_patterns("figures", "__pycache__"))

    def one(script: str):
        path = copy / script
        proc = subprocess.run(
            [sys.executable, str(NOTEBOOK_RUNNER), str(path)],
            cwd=path.parent, env=_env(), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        return script, proc

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, EXERCISES))


@pytest.mark.parametrize("script", EXERCISES)
def test_exercise_runs_as_a_notebook(script: str, notebook_runs) -> None:
    proc = notebook_runs[script]
    assert proc.returncode == 0, f"{script} failed as a notebook:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    if "solutions" in script:
        assert "verdict: PASS" in proc.stdout, proc.stdout
    else:
        assert "verdict: NOT DONE" in proc.stdout, proc.stdout


def kernel_env() -> dict[str, str]:
    """A kernel as Jupyter starts one: smoke mode, one BLAS thread, and matplotlib's default (inline) backend."""
    env = _env()
    env.pop("MPLBACKEND")
    # the kernel spec runs `python`: this interpreter's, also when its venv is not activated
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_in_kernel(notebook: Path, cwd: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """Execute ``notebook`` in a Jupyter kernel from ``cwd``: the process and the executed notebook (JSON)."""
    executed = notebook.with_name(notebook.stem + ".executed.ipynb")
    proc = subprocess.run(
        [sys.executable, str(NOTEBOOK_KERNEL), str(notebook), str(cwd), str(executed)],
        env=kernel_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return proc, (json.loads(executed.read_text()) if executed.exists() else {})


@pytest.fixture(scope="session")
def kernel_runs(tmp_path_factory) -> tuple[dict[str, tuple[subprocess.CompletedProcess, dict]], Path]:
    """Every tutorial converted to a notebook and executed in a Jupyter kernel, two at a time."""
    from msdn_numpy.tools.notebooks import convert

    copy = tmp_path_factory.mktemp("kernel") / "tutorials"
    shutil.copytree(TUTORIALS, copy, ignore=shutil.ignore_patterns("figures", "__pycache__", "exercises"))

    def one(script: str):
        notebook = copy / f"{Path(script).stem}.ipynb"
        notebook.write_text(convert(copy / script))
        return script, run_in_kernel(notebook, copy)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, EXPECTED)), copy


def outputs_text(cell: dict) -> str:
    """Everything a code cell shows as text: its streams, results and errors."""
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append("".join(out["text"]))
        elif out["output_type"] in ("execute_result", "display_data"):
            parts.append("".join(out["data"].get("text/plain", "")))
        elif out["output_type"] == "error":
            parts.append("\n".join(out["traceback"]))
    return "\n".join(parts)


def images(cell: dict) -> list[str]:
    return [out["data"]["image/png"] for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_tutorial_runs_in_a_kernel_and_shows_its_figures(script: str, kernel_runs) -> None:
    import base64

    runs, copy = kernel_runs
    proc, notebook = runs[script]
    assert proc.returncode == 0, f"{script} failed in a kernel:\n{proc.stderr[-3000:]}"
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    shown = "\n".join(outputs_text(c) for c in code)
    assert "SMOKE" in shown
    _check_figures(script, copy / "figures")
    # every cell that saves a figure shows it, once; no other cell shows one
    saving = [c for c in code if "plots.save(" in "".join(c["source"])]
    assert len(saving) == len(EXPECTED[script]), f"{script}: figure cells {len(saving)}, figures {EXPECTED[script]}"
    for cell in code:
        pngs = images(cell)
        if cell in saving:
            assert len(pngs) == 1, f"{script}: a figure cell shows {len(pngs)} images:\n{''.join(cell['source'])}"
            assert base64.b64decode(pngs[0])[:8] == PNG_SIGNATURE
        else:
            assert not pngs, f"{script}: a cell that saves no figure shows one:\n{''.join(cell['source'])}"
    # the module docstring is the first cell, as markdown, and no cell prints it
    docstring = ast.get_docstring(ast.parse((TUTORIALS / script).read_text()))
    first = notebook["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]) == docstring
    assert docstring.splitlines()[0] not in shown, f"{script}: the docstring is printed as output"


def test_save_imports_no_ipython_outside_a_kernel(tmp_path) -> None:
    """A plain run of ``plots.save`` writes the PNG and never imports IPython to ask where it runs."""
    code = (
        "import sys, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
        "from msdn_numpy.tools import plots\n"
        "fig, ax = plt.subplots(); ax.plot([0, 1])\n"
        f"path = plots.save(fig, {str(tmp_path)!r}, 'a.png')\n"
        "assert not plots.in_kernel() and 'IPython' not in sys.modules, sorted(sys.modules)\n"
        "assert path.read_bytes()[:8] == b'\\x89PNG\\r\\n\\x1a\\n'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_save_displays_the_saved_png_in_a_kernel(monkeypatch, tmp_path) -> None:
    """Under a kernel (an IPython shell with a ``kernel``), the PNG written is the one displayed, then closed."""
    import types

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from msdn_numpy.tools import plots

    shown = []
    shell = types.SimpleNamespace(kernel=object())
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    display_module = types.ModuleType("IPython.display")
    display_module.Image = lambda data, format: ("Image", format, data)
    display_module.display = shown.append
    fig, ax = plt.subplots()  # before the stand-in: pyplot asks IPython about its REPL
    ax.plot([0, 1])
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    assert plots.in_kernel()
    path = plots.save(fig, tmp_path, "b.png")
    assert shown == [("Image", "png", path.read_bytes())]
    assert not plt.fignum_exists(fig.number)
    shell.kernel = None  # terminal IPython: no kernel, nothing displayed
    assert not plots.in_kernel()


def _common():
    """The tutorials' helper module, imported as the scripts import it."""
    return import_from_tutorials("common")


def test_verdict_says_better_only_on_evidence() -> None:
    from msdn_numpy.compare import paired_stats

    verdict = _common().verdict
    ten_up = paired_stats(np.arange(10) + 1.0, np.arange(10) + 0.5)  # +0.5 on every one of 10 seeds: p = 0.002
    assert verdict("A", "B", ten_up).startswith("A is better than B")
    assert verdict("A", "B", ten_up, higher_is_better=False).startswith("A is worse than B")
    five_down = paired_stats([1, 2, 3, 4, 5], [2, 3, 4, 5, 6])  # every seed, but p = 0.0625 is the floor
    assert verdict("A", "B", five_down).startswith("A is worse than B on every seed")
    mixed = paired_stats([0.1, 0.2, 0.3, 0.4, 0.5], [0.2, 0.1, 0.3, 0.5, 0.6])
    text = verdict("A", "B", mixed)
    assert text.startswith("no clear difference") and "1/5 seeds" in text and "1 tied" in text


def test_learning_curves_mark_the_selected_epoch_in_the_legend() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from msdn_numpy.tools import plots
    from msdn_numpy.train import History

    rows = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e + e / 100, "val_micro_f1": 0.5 + e / 100}
            for e in range(1, 41)]  # fmt: skip
    history = History(rows=rows, best_epoch=7)
    fig, axes = plt.subplots(1, 2)
    plots.learning_curves(history, ax=axes[0], label="M")
    plots.validation_curve(history, ax=axes[1], label="M")
    for ax in axes:
        assert ax.get_xscale() == "log"
        assert any("selected epoch 7" in t.get_text() for t in ax.get_legend().get_texts())
        # round ticks up to the last epoch, and the last epoch itself (40) when it is not next to one
        assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "5", "10", "20", "40"]
    assert not axes[0].texts, "no text written on the curves: labels of several runs would overlap"
    plt.close(fig)
