"""The README's test command installs no PyTorch; the PyTorch oracle is an extra of its own.

Offline: everything is read from the repository's own files (pyproject.toml; README.md;
.ci/run; tests/conftest.py parsed with ``ast``, never run), so it holds whatever is installed.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # the test extra brings tomli on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
# Distributions that mean a PyTorch or CUDA download (torch pulls nvidia-* and triton on Linux).
HEAVY = re.compile(r"^(torch|torchvision|torchaudio|triton|nvidia-.*|jax.*|tensorflow.*)$", re.IGNORECASE)


def _project() -> dict:
    """The ``[project]`` table of pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _extras() -> dict[str, list[str]]:
    """The extras of pyproject.toml (``[project.optional-dependencies]``)."""
    return _project()["optional-dependencies"]


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
        assert extra in extras, f"the README's test command names the extra '{extra}', which pyproject.toml lacks"
        heavy = [r for r in extras[extra] if HEAVY.match(_name(r))]
        assert not heavy, f"the extra '{extra}' of the README's test command requires {heavy}"
    # what the test extra does carry: the test runner, the linter and the scikit-learn oracle
    assert {_name(r) for r in extras["test"]} >= {"pytest", "scikit-learn", "ruff"}


def test_run_time_needs_four_packages_and_the_build_is_declared() -> None:
    """The run-time dependencies are numpy, scipy, matplotlib and liac-arff, nothing else; the
    licence, Python versions, the ``msdn`` script and the build system are declared."""
    project = _project()
    assert sorted(_name(r) for r in project["dependencies"]) == ["liac-arff", "matplotlib", "numpy", "scipy"]
    assert sorted(_extras()) == ["test", "torch"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"] and (ROOT / "LICENSE").is_file()
    assert project["requires-python"] == ">=3.10" and project["dynamic"] == ["version"]
    assert project["scripts"] == {"msdn": "msdn_numpy.tools.cli:main"}
    build = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]
    assert build["build-backend"] == "setuptools.build_meta"


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


def test_msdn_version_prints_the_one_version(capsys) -> None:
    """``msdn --version`` prints ``msdn_numpy.__version__``, which pyproject.toml reads as the version."""
    import msdn_numpy
    from msdn_numpy.tools.cli import main

    assert tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["dynamic"] == {
        "version": {"attr": "msdn_numpy.__version__"}
    }
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"msdn_numpy {msdn_numpy.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", msdn_numpy.__version__)
