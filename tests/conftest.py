"""Shared test fixtures.

Real MULAN data is found through the ``MSDN_DATA`` environment variable (CI points it
at ``../shared/data/mulan``). Tests that need it skip with a reason when it is absent;
CI sets it, so nothing is skipped there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder holding the real MULAN benchmark files (``MSDN_DATA``)."""
    value = os.environ.get("MSDN_DATA")
    if not value:
        pytest.skip("MSDN_DATA is not set: point it at the MULAN folder (e.g. ../shared/data/mulan)")
    path = Path(value)
    if not (path / "emotions-train.arff").exists():
        pytest.skip(f"MSDN_DATA={value} does not hold the MULAN files (emotions-train.arff missing)")
    return path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Small hand-written ARFF/XML files used by the data tests."""
    return FIXTURES
