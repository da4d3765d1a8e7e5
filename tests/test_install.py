"""The README's test command installs no PyTorch; the PyTorch oracle is an extra of its own.

Offline: everything is read from the repository's own files (setup.py parsed with ``ast``,
never run; README.md; .ci/run; tests/conftest.py), so it holds whatever is installed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Distributions that mean a PyTorch or CUDA download (torch pulls nvidia-* and triton on Linux).
HEAVY = re.compile(r"^(torch|torchvision|torchaudio|triton|nvidia-.*|jax.*|tensorflow.*)$", re.IGNORECASE)


def _extras() -> dict[str, list[str]]:
    """``extras_require`` of setup.py, from its syntax tree (a dict literal of string lists)."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "extras_require":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no extras_require= keyword")


def _name(requirement: str) -> str:
    return re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1)


def _readme_test_extras() -> list[str]:
    """The extras of the README's test command (the block after **Run the tests**)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("**Run the tests**") :]
    block = block[block.index("```bash") : block.index("```", block.index("```bash") + 7)]
    match = re.search(r'pip install -e "\.\[([^\]]+)\]" && python -m pytest', block)
    assert match, f"no 'pip install -e \".[...]\" && python -m pytest' in the README's test block:\n{block}"
    return [e.strip() for e in match.group(1).split(",")]


def test_readme_test_command_requires_no_torch() -> None:
    extras = _extras()
    wanted = _readme_test_extras()
    assert wanted == ["test"]
    for extra in wanted:
        assert extra in extras, f"the README's test command names the extra '{extra}', which setup.py lacks"
        heavy = [r for r in extras[extra] if HEAVY.match(_name(r))]
        assert not heavy, f"the extra '{extra}' of the README's test command requires {heavy}"
    # what the test extra does carry: the test runner, the linter and the scikit-learn oracle
    assert {_name(r) for r in extras["test"]} >= {"pytest", "scikit-learn", "ruff"}


def test_torch_is_its_own_extra_and_ci_installs_it() -> None:
    extras = _extras()
    assert [_name(r) for r in extras["torch"]] == ["torch"]
    assert extras["torch"] == ["torch==2.13.0"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r'^pip install -q -e "\.\[test,torch\]"', ci, re.MULTILINE), "CI must install .[test,torch]"
    assert 'grep -q "skipped"' in ci  # and still fails on any skip


def _torch_skip_reason() -> str:
    """``TORCH_SKIP_REASON`` of tests/conftest.py, from its syntax tree."""
    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == [
            "TORCH_SKIP_REASON"
        ]:
            return ast.literal_eval(node.value)
    raise AssertionError("tests/conftest.py defines no TORCH_SKIP_REASON")


def test_the_skip_reason_names_the_extra() -> None:
    reason = _torch_skip_reason()
    command = re.search(r'pip install -e "\.\[([^\]]+)\]"', reason)
    assert command, reason
    assert set(command.group(1).split(",")) == {"test", "torch"} <= set(_extras())
    # every test that needs torch gets it from the fixture (and so this reason), none skips on its own
    needle = "importorskip(" + '"torch"'  # in two parts, so that this file does not match itself
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        assert needle not in text, f"{path.name}: use the torch fixture of conftest.py"
