"""Every tutorial runs to completion in smoke mode and writes its figures.

Each script in ``tutorials/`` runs as a subprocess, headless (``MPLBACKEND=Agg``), with
``MSDN_SMOKE=1`` (few epochs, small data, one seed), the bundled real data (or ``MSDN_DATA``
if set) and ``--figures`` pointing at
a temporary folder. The scripts run two at a time, once per test session.
Tutorial 8 (the exercise) is also run against its worked solution and against a wrong
one, to prove that the checking works.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"

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
    "08_exercise.py": [],
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _env() -> dict[str, str]:
    # One BLAS thread per script: two scripts run at once, and for these small matrices
    # multi-threaded BLAS is several times slower when the cores are shared.
    env = dict(os.environ, MSDN_SMOKE="1", MPLBACKEND="Agg", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env.pop("MSDN_EXERCISE_SOLUTION", None)
    return env


def _run(script: str, figures: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(TUTORIALS / script), "--figures", str(figures), *extra],
        cwd=ROOT, env=env or _env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_every_tutorial_is_listed() -> None:
    scripts = sorted(p.name for p in TUTORIALS.glob("[0-9][0-9]_*.py"))
    assert scripts == sorted(EXPECTED), "add new tutorials to EXPECTED (and to tutorials/README.md)"
    readme = (TUTORIALS / "README.md").read_text()
    for script in scripts:
        assert script in readme, f"{script} is missing from tutorials/README.md"


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    """Run every tutorial once, two at a time (CI has 2 cores)."""
    root = tmp_path_factory.mktemp("tutorial_figures")

    def one(script: str):
        figures = root / script.removesuffix(".py")
        return script, (_run(script, figures), figures)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, EXPECTED))


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


def test_exercise_unfilled_is_reported_not_done(smoke_runs) -> None:
    proc, _ = smoke_runs["08_exercise.py"]
    assert proc.returncode == 0
    assert "Exercise 1: relu_backward        NOT DONE" in proc.stdout
    assert "Exercise 2: conv1d_backward      NOT DONE" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_exercise_passes_with_the_solution(tmp_path) -> None:
    proc = _run("08_exercise.py", tmp_path, "--solution")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Exercise 1: relu_backward        PASS" in proc.stdout
    assert "Exercise 2: conv1d_backward      PASS" in proc.stdout
    env = dict(_env(), MSDN_EXERCISE_SOLUTION="1")  # the environment variable does the same
    proc = _run("08_exercise.py", tmp_path, env=env)
    assert proc.returncode == 0 and proc.stdout.count("PASS") == 2, proc.stdout


def test_exercise_catches_a_wrong_backward(tmp_path) -> None:
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "import numpy as np\n"
        "def relu_backward(dout, x):\n"
        "    return dout * (x >= 0) + 0.01 * (x < 0) * dout  # a leaky slope: wrong\n"
        "def conv1d_backward(dout, x_pad, W, pad_left, L):\n"
        "    from importlib.util import spec_from_file_location, module_from_spec\n"
        f"    spec = spec_from_file_location('s', {str(TUTORIALS / 'solutions' / '08_exercise_solution.py')!r})\n"
        "    m = module_from_spec(spec); spec.loader.exec_module(m)\n"
        "    dx, dW, db = m.conv1d_backward(dout, x_pad, W, pad_left, L)\n"
        "    return dx, dW[:, :, ::-1], db  # the kernel flipped: a classic mistake\n"
    )
    proc = _run("08_exercise.py", tmp_path, "--solution", str(wrong))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Exercise 1: relu_backward        FAIL" in proc.stdout
    assert "Exercise 2: conv1d_backward      FAIL" in proc.stdout
