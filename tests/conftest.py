"""Shared test fixtures.

Real MULAN data is found by the package's own rule (``resolve_data_dir``): ``$MSDN_DATA``
if set, else the copy bundled in ``data/mulan``. A clone therefore has everything the
tests need, and no test skips for want of data.

The PyTorch oracle is an extra of its own (``torch`` in pyproject.toml), not part of ``.[test]``:
a test that needs it takes the ``torch`` fixture, which skips with a reason naming the
install command. CI installs ``.[test,torch]`` and fails on any skip.
"""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tutorial_runs import SCRIPTS, run_tutorial

from msdn_numpy.dataio.benchmarks import resolve_data_dir

FIXTURES = Path(__file__).parent / "fixtures"

# A shell starts background jobs (`cmd &`) with SIGINT ignored, and an ignored signal stays
# ignored in every child: the tests that send Ctrl-C to `msdn` would then wait for nothing.
# A handled signal is reset to the default in a child, where Python installs its own handler.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

#: The skip reason of every test that needs PyTorch (tests/test_install.py checks the command).
TORCH_SKIP_REASON = 'PyTorch is the oracle of this test and is not installed: pip install -e ".[test,torch]"'


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder holding the real MULAN benchmark files (the bundled copy unless ``MSDN_DATA`` is set)."""
    return resolve_data_dir()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Small hand-written ARFF/XML files used by the data tests."""
    return FIXTURES


@pytest.fixture(scope="session")
def torch():
    """The ``torch`` module, or a skip naming the extra that installs it."""
    return pytest.importorskip("torch", reason=TORCH_SKIP_REASON)


@pytest.fixture(scope="session")
def model_file(tmp_path_factory) -> Path:
    """A small MSDN trained on the bundled synthetic data (2 epochs, 8 hidden units), saved once
    for the bad-input tests, which read it and never write it."""
    from msdn_numpy.tools.cli import main

    path = tmp_path_factory.mktemp("model") / "m.npz"
    assert main(["train", "--epochs", "2", "--hidden", "8", "--quiet", "--save", str(path)]) == 0
    return path


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory) -> dict:
    """Every tutorial script run once in smoke mode, two at a time (CI has 2 cores):
    ``{script: (completed process, its figures folder)}``."""
    root = tmp_path_factory.mktemp("tutorial_figures")

    def one(script: str):
        figures = root / script.removesuffix(".py")
        return script, (run_tutorial(script, figures), figures)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, SCRIPTS))
