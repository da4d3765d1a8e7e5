"""The tutorial scripts run as the tests run them: smoke mode, headless, one BLAS thread.

Shared by ``tests/test_tutorials.py`` (each script runs and writes its figures) and
``tests/test_claims.py`` (the numbers their text states), through the session fixture
``smoke_runs`` of ``conftest.py``, so that every script runs once per test session.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"
SCRIPTS = sorted(p.name for p in TUTORIALS.glob("[0-9][0-9]_*.py"))


def smoke_env() -> dict[str, str]:
    # One BLAS thread per script: two scripts run at once, and for these small matrices
    # multi-threaded BLAS is several times slower when the cores are shared.
    return dict(os.environ, MSDN_SMOKE="1", MPLBACKEND="Agg", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")


def run_tutorial(script: str, figures: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(TUTORIALS / script), "--figures", str(figures), *extra],
        cwd=ROOT, env=env or smoke_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def import_from_tutorials(name: str):
    """A helper module that lives beside the tutorials (``common``, ``check_claims``),
    imported as the scripts import it."""
    sys.path.insert(0, str(TUTORIALS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(TUTORIALS))
