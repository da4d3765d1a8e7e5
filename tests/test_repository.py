"""The repository stands alone: no path outside it, every design reference resolves, it imports from anywhere.

A plain clone from a code host has nothing beside it, so nothing in it may point at a
workspace folder, and every document the code sends a reader to must be in the clone.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT_SUFFIXES = {".py", ".md", ".txt", ".ini", ".toml", ".cfg", ".xml", ".sh", ""}


def _repository_files() -> list[Path]:
    """Every text file of the working tree, outside .git and build/cache folders."""
    skip = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", "build", "dist", ".venv", "figures"}
    files = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if path.is_file() and not (set(rel.parts) & skip) and not rel.parts[0].endswith(".egg-info"):
            if path.suffix in TEXT_SUFFIXES and path.stat().st_size < 2_000_000:
                files.append(path)
    return files


def test_no_path_outside_the_repository() -> None:
    needle = "../" + "shared"  # spelled in two parts so that this file does not match itself
    offenders = [
        f"{path.relative_to(ROOT)}:{i}"
        for path in _repository_files()
        for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if needle in line
    ]
    assert not offenders, f"paths outside the repository: {offenders}"


def test_design_references_resolve() -> None:
    """Every mention of a DESIGN.md names a file that exists in the repository."""
    found = 0
    for path in _repository_files():
        for match in re.finditer(r"[\w./-]*DESIGN\.md", path.read_text(encoding="utf-8", errors="replace")):
            found += 1
            ref = match.group(0)
            candidates = [ROOT / ref.lstrip("./"), path.parent / ref, ROOT / "docs" / "DESIGN.md"]
            if "/" in ref:
                candidates = candidates[:2]
            assert any(c.is_file() for c in candidates), f"{path.relative_to(ROOT)} refers to missing {ref}"
    assert found > 0, "the design document is referred to from the code and the README"


def test_import_from_the_folder_that_holds_a_clone(tmp_path: Path) -> None:
    """A clone named msdn_numpy, used from its parent folder: the package still imports.

    The parent folder holds a directory called ``msdn_numpy`` without an ``__init__.py`` (the
    clone's root), which Python sees as a namespace package; the editable install must win.
    """
    (tmp_path / "msdn_numpy").symlink_to(ROOT, target_is_directory=True)
    proc = subprocess.run(
        [sys.executable, "-c", "from msdn_numpy import Conv1D; import msdn_numpy; print(msdn_numpy.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).resolve() == (ROOT / "msdn_numpy" / "__init__.py").resolve()
