"""Shared test fixtures.

Real MULAN data is found by the package's own rule (``resolve_data_dir``): ``$MSDN_DATA``
if set, else the copy bundled in ``data/mulan``. A clone therefore has everything the
tests need, and no test skips for want of data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msdn_numpy.dataio.benchmarks import resolve_data_dir

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder holding the real MULAN benchmark files (the bundled copy unless ``MSDN_DATA`` is set)."""
    return resolve_data_dir()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Small hand-written ARFF/XML files used by the data tests."""
    return FIXTURES
