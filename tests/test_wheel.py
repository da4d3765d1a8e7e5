"""The wheel: what it carries, and the main job, the handout and the grader run from it, away from the clone.

The wheel is the one CI built (``.ci/run`` sets ``MSDN_WHEEL``), else one built here by
``pip wheel`` from a copy of the repository (pip fetches the build backend, setuptools,
from the index or its cache).

It is installed by pip (``--no-deps``) into a fresh virtual environment in a temporary
folder. Its run-time dependencies (numpy, scipy, matplotlib, liac-arff) are borrowed from
this test environment by a ``.pth`` file naming its site-packages folder: Python puts that
folder on ``sys.path`` but reads no ``.pth`` file inside it, so the editable install's
pointer at the clone stays unread and ``msdn_numpy`` can only come from the wheel (the
first test checks it). ``.ci/run`` also installs the wheel the way a user does, with its
dependencies from the index.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import os
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from msdn_numpy import __version__
from msdn_numpy.course.exercises import EXERCISES
from msdn_numpy.util.bundled import INSIDE, shipped_files

ROOT = Path(__file__).resolve().parent.parent
#: Where the wheel holds the bundled files.
BUNDLE = f"msdn_numpy/{INSIDE}/"
#: What a copy of the repository for building leaves out: what no build reads, and what a run left behind.
NOT_BUILT = (".git", "build", "dist", "*.egg-info", "__pycache__", ".venv", "figures", ".pytest_cache", ".ruff_cache")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel CI built (``MSDN_WHEEL``), or one built now from a copy of the repository."""
    given = os.environ.get("MSDN_WHEEL")
    if given:
        assert Path(given).is_file(), f"MSDN_WHEEL={given} is not a file"
        return Path(given)
    work = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, work / "src", ignore=shutil.ignore_patterns(*NOT_BUILT))
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(work / "dist")]
    proc = subprocess.run([*command, str(work / "src")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    (built,) = (work / "dist").glob("msdn_numpy-*.whl")
    return built


def _environment() -> dict[str, str]:
    """This process's environment without what could point the package elsewhere (``MSDN_DATA``, ``PYTHONPATH``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MSDN_DATA", "PYTHONPATH", "PYTHONHOME")}
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="session")
def installed(wheel, tmp_path_factory) -> Path:
    """The ``bin/`` folder of a fresh venv with the wheel installed, its dependencies borrowed (see the module)."""
    pip_version = tuple(int(p) for p in __import__("pip").__version__.split(".")[:2])
    if pip_version < (22, 3):
        pytest.skip(f"pip {pip_version} cannot install into another venv (--python needs 22.3): pip install -U pip")
    env_dir = tmp_path_factory.mktemp("installed") / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel)],
        capture_output=True, text=True, timeout=300, env=_environment(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (purelib,) = Path(env_dir).glob("lib/python*/site-packages")
    (purelib / "borrowed_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return env_dir / "bin"


def _run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(bin_dir / args[0]), *args[1:]], cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{' '.join(args)}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_the_wheel_carries_the_data_the_tutorials_and_the_templates_and_no_solution(wheel) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        bundle = {n[len(BUNDLE) :]: z.read(n) for n in names if n.startswith(BUNDLE)}
        dist_info = f"msdn_numpy-{__version__}.dist-info/"
        metadata = z.read(dist_info + "METADATA").decode()
        licence = z.read(dist_info + "licenses/LICENSE").decode()
    mulan = [line.split() for line in (ROOT / "data" / "mulan" / "SHA256SUMS").read_text().splitlines()]
    for digest, name in mulan:
        assert hashlib.sha256(bundle[f"data/mulan/{name}"]).hexdigest() == digest, name
    assert len(mulan) == 11 and "data/mulan/SHA256SUMS" in bundle
    synthetic = sorted(p.name for p in (ROOT / "data").glob("synthetic*"))
    assert len(synthetic) == 6 and all(f"data/{name}" in bundle for name in synthetic)
    tutorials = [p.relative_to(ROOT).as_posix() for p in (ROOT / "tutorials").glob("[0-9][0-9]_*.py")]
    templates = [f"tutorials/exercises/{key}.py" for key in EXERCISES]
    for rel in [*tutorials, *templates, "tutorials/common.py", "tutorials/README.md", "data/README.md", "LICENSE"]:
        assert bundle[rel] == (ROOT / rel).read_bytes(), rel
    assert sorted(bundle) == shipped_files(ROOT), "the wheel's bundle is what bundled.SHIPPED lists, nothing else"
    assert not [n for n in names if "solution" in n.lower()], "no worked solution ships"
    assert (ROOT / "tutorials" / "exercises" / "solutions").is_dir()  # they exist, and stay in the repository
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert sorted(r for r in requires if "extra ==" not in r) == [
        "liac-arff>=2.5", "matplotlib>=3.6", "numpy>=1.24", "scipy>=1.10"
    ]  # fmt: skip
    assert "License-Expression: MIT" in metadata and "Requires-Python: >=3.10" in metadata
    assert licence == (ROOT / "LICENSE").read_text()


def test_train_handout_and_grade_run_from_the_installed_wheel(installed, tmp_path) -> None:
    """In an empty folder, ``MSDN_DATA`` unset: the package, its data and its tutorials are the wheel's."""
    where = _run(
        installed, tmp_path, "python", "-c",
        "import sys, msdn_numpy\n"
        "from msdn_numpy.dataio.benchmarks import BUNDLED_MULAN_DIR, DATA_DIR\n"
        "from msdn_numpy.tools.handout import TUTORIALS\n"
        "print(msdn_numpy.__file__, DATA_DIR, BUNDLED_MULAN_DIR, TUTORIALS, sep='\\n'); print(sys.path)",
    ).stdout.splitlines()  # fmt: skip
    site_packages = installed.parent / "lib"
    for path in where[:4]:
        assert Path(path).is_relative_to(site_packages) and Path(path).exists(), path
    entries = [Path(entry).resolve() for entry in ast.literal_eval(where[4]) if entry]
    inside = [str(entry) for entry in entries if entry.is_relative_to(ROOT)]  # not a substring: ROOT-venv is outside
    assert not inside, f"the clone is on sys.path: {inside}"

    assert _run(installed, tmp_path, "msdn", "--version").stdout == f"msdn_numpy {__version__}\n"
    trained = _run(installed, tmp_path, "msdn", "train", "--epochs", "2", "--hidden", "8", "--save", "m.npz")
    assert "synthetic" in trained.stdout + trained.stderr and (tmp_path / "m.npz").is_file()
    info = _run(installed, tmp_path, "msdn", "info", "emotions")
    assert "standard MULAN split (sha256 verified)" in info.stderr

    _run(installed, tmp_path, "msdn", "handout", "h")
    shipped = sorted(p.relative_to(tmp_path / "h").as_posix() for p in (tmp_path / "h").rglob("*") if p.is_file())
    assert "LICENSE" in shipped and "tutorials/common.py" in shipped and len(shipped) == 2 + 2 * len(EXERCISES) + 12
    assert not [p for p in shipped if "solution" in p]

    # a class of two: the templates as handed out (NOT DONE), and two worked solutions from the clone (PASS)
    students = tmp_path / "class"
    shutil.copytree(tmp_path / "h" / "exercises", students / "alice", ignore=shutil.ignore_patterns("*.ipynb"))
    (students / "bob").mkdir()
    for key in ("01_relu", "07_adam"):
        shutil.copyfile(ROOT / "tutorials" / "exercises" / "solutions" / f"{key}.py", students / "bob" / f"{key}.py")
    _run(installed, tmp_path, "msdn", "grade", "class", "--seed", "0", "--jobs", "2", "--csv", "points.csv")
    with open(tmp_path / "points.csv", newline="") as f:
        points = {row["student"]: row for row in csv.DictReader(f)}
    assert points["alice"]["total"] == "0"
    assert (points["bob"]["01_relu"], points["bob"]["07_adam"], points["bob"]["total"]) == ("2", "1", "3")
