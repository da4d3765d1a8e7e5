"""``msdn handout``: the notebooks it makes, what it ships (no solution), where it refuses to write.

The notebooks are validated with nbformat (the JSON is written by the package itself);
the student exercises run in a Jupyter kernel; the layout the student README asks for is
graded by ``msdn grade`` as one student. Every notebook starts with the install cell,
which does nothing outside Colab and, on a Colab simulated here, runs pip with what the
instructor gave (``--pip-install``).
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

import msdn_numpy
from msdn_numpy.course.exercises import EXERCISES
from msdn_numpy.tools import handout, install_cell
from msdn_numpy.tools.cli import main
from msdn_numpy.tools.notebooks import script_to_notebook

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"
SCRIPTS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py")) + sorted(TUTORIALS.glob("exercises/**/[0-9][0-9]_*.py"))


def _code_lines(text: str) -> list[str]:
    """The non-blank lines of a script that are code: no module docstring, no comment, no cell marker."""
    tree = ast.parse(text)
    first = tree.body[0]
    skip = first.end_lineno if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) else 0
    lines = text.split("\n")[skip:]
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_a_script_becomes_cells() -> None:
    text = (
        '"""Title.\n\nMore words.\n"""\n\n'
        "# %% [markdown]\n# # Heading\n#\n# Some *text*.\n\n"
        "# %%\nimport numpy as np\n\nx = np.ones(3)\n\n\n"
        "# %% a titled cell\nif x.sum() > 2:\n    # indented comment\n    print(x)\n"
    )
    nb = script_to_notebook(text)
    nbformat.validate(nbformat.from_dict(nb))
    cells = [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]
    assert cells == [
        ("markdown", "Title.\n\nMore words."),
        ("markdown", "# Heading\n\nSome *text*."),
        ("code", "import numpy as np\n\nx = np.ones(3)"),
        ("code", "if x.sum() > 2:\n    # indented comment\n    print(x)"),
    ]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in nb["cells"] if c["cell_type"] == "code")
    assert len({c["id"] for c in nb["cells"]}) == 4


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(TUTORIALS)))
def test_every_script_converts_to_a_valid_notebook_with_all_its_code(script: Path) -> None:
    text = script.read_text()
    nb = nbformat.reads(json.dumps(script_to_notebook(text)), as_version=4)  # as Jupyter reads the file
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source == ast.get_docstring(ast.parse(text))
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert _code_lines(code + "\n") == _code_lines(text)  # every line of code, in order, none added
    ast.parse(code)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, str]:
    dest = tmp_path_factory.mktemp("handout") / "course"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["handout", str(dest)]) == 0
    return dest, out.getvalue()


def test_the_handout_holds_exercises_tutorials_and_a_readme(written) -> None:
    dest, printed = written
    keys = list(EXERCISES)
    tutorials = sorted(p.stem for p in TUTORIALS.glob("[0-9][0-9]_*.py"))
    expected = {"README.md", "LICENSE", "tutorials/common.py"}
    expected |= {f"exercises/{k}{ext}" for k in keys for ext in (".py", ".ipynb")}
    expected |= {f"tutorials/{t}.ipynb" for t in tutorials}
    found = {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()}
    assert found == expected
    assert f"{len(keys)} exercises" in printed and f"{len(tutorials)} tutorials" in printed
    for nb_path in dest.rglob("*.ipynb"):
        nbformat.validate(nbformat.read(nb_path, as_version=4))
    assert not list(dest.parent.glob(".*.tmp")), "the temporary folder is gone"
    assert (dest / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()


def test_every_notebook_starts_with_the_install_cell_then_the_script(written) -> None:
    dest, printed = written
    spec = f"msdn_numpy=={msdn_numpy.__version__}"  # the default: this version, from the index
    assert f"pip install {spec!r}" in printed and f'pip install "{spec}"' in (dest / "README.md").read_text()
    sources = {p.stem: p for p in SCRIPTS if "solutions" not in p.parts}
    notebooks = sorted(dest.rglob("*.ipynb"))
    assert len(notebooks) == len(EXERCISES) + len(list(TUTORIALS.glob("[0-9][0-9]_*.py")))
    for nb_path in notebooks:
        cells = json.loads(nb_path.read_text())["cells"]
        assert cells[0]["id"] == install_cell.CELL_ID
        assert "".join(cells[0]["source"]) == install_cell.install_cell_source(spec)
        script = script_to_notebook(sources[nb_path.stem].read_text())
        if nb_path.parent.name == "tutorials":  # the exercises' first cell (their docstring) is rewritten
            assert cells[1:] == script["cells"], nb_path


def _run_cell(source: str, monkeypatch, colab: bool) -> list[list[str]]:
    """Run the install cell as a kernel would, with or without a ``google.colab`` module; return pip's commands."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, check: calls.append(cmd))
    monkeypatch.setattr(sys, "path", list(sys.path))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<install cell>", "exec"), {"__name__": "__main__"})
    return calls


def test_the_install_cell_does_nothing_outside_colab(monkeypatch) -> None:
    before = list(sys.path)
    assert _run_cell(install_cell.install_cell_source("msdn_numpy"), monkeypatch, colab=False) == []
    assert sys.path == before


def test_on_colab_the_install_cell_pip_installs_the_spec_and_finds_common(monkeypatch) -> None:
    spec = "git+https://git.example.org/course/msdn_numpy.git@v0.1.0"
    calls = _run_cell(install_cell.install_cell_source(spec), monkeypatch, colab=True)
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", spec]]
    assert sys.path[-1] == str(TUTORIALS) and (Path(sys.path[-1]) / "common.py").is_file()


def test_the_instructor_sets_the_url_once_for_every_notebook(tmp_path) -> None:
    spec = "msdn_numpy @ https://course.example.org/msdn_numpy-0.1.0-py3-none-any.whl"
    assert main(["handout", str(tmp_path / "h"), "--pip-install", spec]) == 0
    for nb_path in (tmp_path / "h").rglob("*.ipynb"):
        first = "".join(json.loads(nb_path.read_text())["cells"][0]["source"])
        assert first == install_cell.install_cell_source(spec), nb_path


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("./dist/msdn_numpy-0.1.0-py3-none-any.whl", "Colab cannot see"),
        ("numpy==2.0", "installs numpy, not msdn_numpy"),
        ("-e .", "pip reads as an option"),
        ("file:///home/me/msdn_numpy.whl", "not a URL Colab can reach"),
        ("msdn_numpy\nimport os", "control characters"),
    ],
)
def test_a_spec_colab_cannot_install_is_refused_before_writing(tmp_path, capsys, spec, why) -> None:
    err = _one_line_error(capsys, ["handout", str(tmp_path / "h"), "--pip-install", spec])
    assert why in err and "--pip-install" in err and "git+https://" in err
    assert list(tmp_path.iterdir()) == []


def test_the_exercises_ship_without_solutions(written) -> None:
    dest, _ = written
    for key in EXERCISES:
        shipped = (dest / "exercises" / f"{key}.py").read_text()
        template = (TUTORIALS / "exercises" / f"{key}.py").read_text()
        assert "solution" not in shipped.lower()
        assert _code_lines(shipped) == _code_lines(template)  # the template's code, only the docstring rewritten
        assert f"{key}.py" in ast.get_docstring(ast.parse(shipped))
        solution = (TUTORIALS / "exercises" / "solutions" / f"{key}.py").read_text()
        assert _code_lines(shipped) != _code_lines(solution)
    for path in dest.rglob("*"):
        if path.is_file():
            assert "solutions/" not in path.read_text(), path


def test_the_readme_says_what_to_hand_in_and_what_it_cannot_hide(written) -> None:
    text = (written[0] / "README.md").read_text()
    for key in EXERCISES:
        assert f"`{key}.py`" in text
    assert "msdn grade exercises/" in text
    assert "cannot hide" in text and "reference implementation" in text


def test_the_layout_the_readme_asks_for_is_one_student(written, tmp_path, capsys) -> None:
    """A class of two in the README's layout: the handout as it is (NOT DONE), the solutions under its names (PASS)."""
    dest, _ = written
    alice, bob = tmp_path / "class" / "alice", tmp_path / "class" / "bob"
    shutil.copytree(dest / "exercises", alice, ignore=shutil.ignore_patterns("*.ipynb"))
    bob.mkdir()
    for key in EXERCISES:
        shutil.copyfile(TUTORIALS / "exercises" / "solutions" / f"{key}.py", bob / f"{key}.py")
    grades = tmp_path / "grades.json"
    assert main(["grade", str(tmp_path / "class"), "--seed", "3", "--json", str(grades)]) == 0
    students = {s["student"]: s for s in json.loads(grades.read_text())["students"]}
    assert sorted(students) == ["alice", "bob"]
    assert {k: v["status"] for k, v in students["alice"]["exercises"].items()} == dict.fromkeys(EXERCISES, "NOT DONE")
    assert {k: v["status"] for k, v in students["bob"]["exercises"].items()} == dict.fromkeys(EXERCISES, "PASS")


def test_a_handout_exercise_runs_in_a_kernel(written, tmp_path) -> None:
    from test_tutorials import outputs_text, run_in_kernel

    dest, _ = written
    work = tmp_path / "exercises"
    shutil.copytree(dest / "exercises", work)
    proc, nb = run_in_kernel(work / "05_lstm_bptt.ipynb", work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    shown = "\n".join(outputs_text(c) for c in nb["cells"] if c["cell_type"] == "code")
    assert "verdict: NOT DONE" in shown and "lstm_step_backward" in shown


def test_a_handout_tutorial_runs_in_a_kernel_and_shows_its_figure(written, tmp_path) -> None:
    """From the handout's own tutorials/ folder (notebooks and common.py only), as a student opens it."""
    from test_tutorials import images, run_in_kernel

    dest, _ = written
    work = tmp_path / "tutorials"
    shutil.copytree(dest / "tutorials", work)
    proc, nb = run_in_kernel(work / "02_metrics.ipynb", work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sum(len(images(c)) for c in nb["cells"] if c["cell_type"] == "code") == 1
    assert (work / "figures" / "02_tiny_example.png").is_file()


def _one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("msdn handout: error: "), err
    return err


def test_an_existing_folder_is_kept_without_force(tmp_path, capsys) -> None:
    dest = tmp_path / "h"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    err = _one_line_error(capsys, ["handout", str(dest)])
    assert "not empty" in err and "--force" in err
    assert [p.name for p in dest.iterdir()] == ["notes.txt"] and (dest / "notes.txt").read_text() == "mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["handout", str(empty)]) == 0 and (empty / "README.md").is_file()


def test_force_replaces_the_folder_whole(tmp_path) -> None:
    dest = tmp_path / "h"
    dest.mkdir()
    (dest / "old.txt").write_text("old")
    assert main(["handout", str(dest), "--force"]) == 0
    assert not (dest / "old.txt").exists() and (dest / "README.md").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h"], "no temporary or old folder left"


def test_refuses_a_file_and_the_repository(tmp_path, capsys) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    assert "is a file" in _one_line_error(capsys, ["handout", str(f)])
    for inside in (ROOT, TUTORIALS, TUTORIALS / "exercises", TUTORIALS / "new_folder"):
        err = _one_line_error(capsys, ["handout", str(inside), "--force"])
        assert "outside the repository" in err
    assert not (TUTORIALS / "new_folder").exists()
    assert "does not exist" in _one_line_error(capsys, ["handout", str(tmp_path / "no" / "h")])


def test_an_error_while_writing_leaves_the_previous_handout(tmp_path, monkeypatch) -> None:
    dest = tmp_path / "h"
    assert main(["handout", str(dest)]) == 0
    before = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()}

    def broken(folder: Path, source: Path = handout.TUTORIALS, spec: str = "") -> list[Path]:
        (folder / "README.md").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(handout, "build", broken)
    with pytest.raises(KeyboardInterrupt):
        handout.write_handout(dest, force=True)
    assert {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h"]


def test_a_template_holding_a_solution_is_refused(tmp_path) -> None:
    source = tmp_path / "tutorials"
    shutil.copytree(TUTORIALS, source, ignore=shutil.ignore_patterns("figures", "__pycache__"))
    shutil.copyfile(source / "exercises" / "solutions" / "03_im2col.py", source / "exercises" / "03_im2col.py")
    dest = tmp_path / "h"
    with pytest.raises(handout.HandoutError, match=r"03_im2col\.py: the YOUR CODE block at line \d+ holds code"):
        handout.write_handout(dest, source=source)
    assert not dest.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["tutorials"]
