"""``msdn handout DIR``: what students receive, written from the package's tutorials and exercises.

The handout folder holds::

    README.md                 for students: how to check their work, what to hand in
    LICENSE                   the package's licence (MIT), which the tutorials come under
    exercises/01_relu.py      each exercise without its solution, as a script ...
    exercises/01_relu.ipynb   ... and as a notebook (the same cells)
    ...
    tutorials/00_paper.ipynb  each tutorial as a notebook
    ...
    tutorials/common.py       the helper the tutorials import

The tutorials and exercises are read from the package's bundled ``tutorials/`` folder
(:func:`msdn_numpy.util.bundled.bundled`: the clone's in an editable install, the copy
inside the package in a wheel). The exercises shipped are the student templates of
``tutorials/exercises/`` (the worked solutions in ``tutorials/exercises/solutions/`` are
never read, and a wheel does not hold them): every ``YOUR CODE`` block must hold nothing
but its ``raise NotImplementedError(...)`` stub, or the handout is refused. Their module
docstrings are rewritten to name the file to hand in instead of the solution. The
notebooks are made by :mod:`msdn_numpy.tools.notebooks`; each starts with the install
cell of :mod:`msdn_numpy.tools.install_cell` (on Colab it installs what ``pip_install``
names; elsewhere it does nothing).

The folder is built beside ``DIR`` under a temporary name and renamed into place at the
end, so an error or Ctrl-C leaves no half-written handout; an existing non-empty ``DIR``
is replaced only with ``force`` (as a whole, in one rename), and never when it holds the
repository's own tutorials or the package.
"""

from __future__ import annotations

import ast
import os
import re
import secrets
import shutil
from pathlib import Path

import msdn_numpy
from msdn_numpy.course.exercises import EXERCISES
from msdn_numpy.tools.install_cell import DEFAULT_SPEC, check_spec, install_cell
from msdn_numpy.tools.notebooks import notebook_text, script_to_notebook
from msdn_numpy.util.bundled import bundle_root, bundled
from msdn_numpy.util.files import OutputError

#: The bundled tutorials folder (a clone's ``tutorials/``, or the copy inside the installed package).
TUTORIALS = bundled("tutorials")
#: The package's licence, which goes with the tutorials into every handout.
LICENCE = bundle_root() / "LICENSE"
_TUTORIAL = re.compile(r"^[0-9][0-9]_[A-Za-z0-9_]+\.py$")
_BEGIN, _END = "YOUR CODE HERE", "END OF YOUR CODE"


class HandoutError(ValueError):
    """A source file that must not go to students as it is (a solution left in a template)."""


def tutorial_scripts(source: Path = TUTORIALS) -> list[Path]:
    """The tutorials, ``NN_name.py``, in order."""
    return sorted(p for p in source.iterdir() if p.is_file() and _TUTORIAL.match(p.name))


def exercise_files(source: Path = TUTORIALS) -> list[Path]:
    """The exercise templates, one per exercise of :data:`EXERCISES`, named after its key."""
    return [source / "exercises" / f"{key}.py" for key in EXERCISES]


def check_stubs(path: Path, text: str) -> None:
    """Every ``YOUR CODE`` block of ``text`` holds only a ``raise NotImplementedError`` (and comments).

    Raises
    ------
    HandoutError
        A block with other code (a solution), or a template with no block at all.
    """
    lines = text.split("\n")
    blocks = 0
    start = None
    for n, line in enumerate(lines, 1):
        if _BEGIN in line:
            start, body = n, []
        elif _END in line and start is not None:
            blocks += 1
            code = [s.strip() for s in body if s.strip() and not s.strip().startswith("#")]
            if len(code) != 1 or not code[0].startswith("raise NotImplementedError("):
                raise HandoutError(
                    f"{path}: the YOUR CODE block at line {start} holds code, not only its raise "
                    "NotImplementedError(...) stub; a handout ships no solutions: restore the stub"
                )
            start = None
        elif start is not None:
            body.append(line)
    if blocks == 0:
        raise HandoutError(f"{path}: no YOUR CODE block; is this the exercise template?")


def student_exercise(path: Path, key: str) -> str:
    """The template's text with its module docstring rewritten for the handout (no pointer to a solution)."""
    text = path.read_text(encoding="utf-8")
    check_stubs(path, text)
    tree = ast.parse(text)
    first = tree.body[0] if tree.body else None
    if not (
        isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    ):
        raise HandoutError(f"{path}: no module docstring; the exercise templates start with one")
    title = first.value.value.strip().split("\n")[0]
    docstring = (
        f'"""{title}\n\n'
        "Fill in the code between the ``YOUR CODE`` markers, then run this file (or the cells of\n"
        f"{key}.ipynb): the last cell checks each function against the package and prints PASS,\n"
        "FAIL (with what is wrong) or NOT DONE. Hand in this file, named "
        f"{key}.py (README.md).\n"
        f"Run:  python {key}.py\n"
        '"""'
    )
    rest = "\n".join(text.split("\n")[first.end_lineno :])
    out = docstring + "\n" + rest
    if "solution" in out.lower():
        raise HandoutError(f"{path}: mentions a solution outside its docstring; reword it for the handout")
    return out


def notebook(script: Path, spec: str) -> str:
    """The ``.ipynb`` text of a ``# %%`` script, led by the install cell for ``spec``."""
    made = script_to_notebook(script.read_text(encoding="utf-8"))
    made["cells"].insert(0, install_cell(spec))
    return notebook_text(made)


def student_readme(exercise_keys: list[str], tutorials: list[str], spec: str) -> str:
    """The handout's README.md (``spec``: what the notebooks' first cell installs on Colab)."""
    table = "\n".join(f"| `{k}.py` / `{k}.ipynb` | {EXERCISES[k].title} |" for k in exercise_keys)
    files = ", ".join(f"`{k}.py`" for k in exercise_keys)
    tutorial_list = "\n".join(f"- `tutorials/{name}`" for name in tutorials)
    return f"""# MSDN in NumPy: exercises and tutorials

You need Python 3.10+ and the package `msdn_numpy` installed as your course says (for
example `pip install msdn_numpy-*.whl`, or `pip install "{spec}"`). The exercises import it
to check your work; the tutorials import it too. **On Colab** you need nothing: the first
cell of every notebook here installs it there (`pip install "{spec}"`); anywhere else that
cell does nothing.

## The exercises

Each exercise is here twice, as a script and as a notebook with the same cells (the
notebook has the install cell first). Work in either: fill in the code between the
`YOUR CODE` markers (each still raises `NotImplementedError`).

| file | what you write |
|---|---|
{table}

**Check your work.** Run the script, or the last cell of the notebook:

```bash
cd exercises
python 03_im2col.py
```

It prints, for every function, `PASS` (with its worst relative error; the bar is 1e-7),
`FAIL` with what is wrong (the tensor, both shapes when they differ, the largest
difference, and hints such as "your values are the expected ones transposed" or the LSTM
gate block whose gradient is wrong), or `NOT DONE`. The grader runs the same checks, on
other random inputs: `msdn grade exercises/`, run from this handout's folder, grades your
exercises the way your instructor will (one row), each exercise from its own file.

## What to hand in

One folder named after you, holding your exercise files under their names here:

```
yourname/
  {exercise_keys[0]}.py
  {exercise_keys[1]}.py
  ...
  {exercise_keys[-1]}.py
```

that is

{files}.

Each file is graded alone, in a fresh process: a file may not rely on another one
(import nothing from your other exercises; each file has what it needs).
A file you do not hand in is `NOT DONE`. Keep the names: a file named otherwise is not
found.

If you worked in a notebook, hand in the script: in JupyterLab, *File > Save and Export
Notebook As > Executable Script*, or `jupyter nbconvert --to script 03_im2col.ipynb`,
then make sure it is named `03_im2col.py` and that `python 03_im2col.py` prints your
verdict.

## What this handout cannot hide

This folder holds no solutions. But the package you installed is the reference the
checks compare with: it has its own ReLU, BCE, `im2col`, `col2im`, Conv1D, LSTM, Adam and
multi-scale convolution, which you could call, and its source you could read (and a clone
of its repository also holds the worked solutions). Running an exercise yourself does not
stop a call to them: it may PASS on your machine. While `msdn grade` grades, it replaces
the package's implementations of the functions each exercise asks for by stand-ins, so a
file that calls one (or re-exports it) FAILs with "uses the reference implementation".
It does not detect code copied from the package's source into your file. The exercises
are for learning: write your own.

## The tutorials

Notebooks, to run with `tutorials/` as the working directory (they import
`tutorials/common.py`, and save their figures in `tutorials/figures/` as well as showing
them; on Colab the install cell also makes the package's copy of `common.py` importable):

{tutorial_list}

## Licence

The tutorials, the exercises and the package are under the MIT licence: `LICENSE`, here.
"""


def _inputs_inside(dest: Path, source: Path) -> str | None:
    """What ``dest`` would overwrite among the inputs (the tutorials, the package), if anything."""
    dest = dest.resolve()
    for what, path in (("the tutorials folder", source.resolve()), ("the package", Path(msdn_numpy.__file__).parent)):
        path = path.resolve()
        if dest == path or dest in path.parents or path in dest.parents:
            return f"{what} ({path})"
    return None


def check_destination(dest: str | Path, force: bool, source: Path = TUTORIALS) -> Path:
    """``dest`` as a Path if the handout may be written there.

    Raises
    ------
    OutputError
        ``dest`` is a file, a non-empty folder (without ``force``), holds or is inside the
        inputs, or its parent folder is missing or not writable.
    """
    dest = Path(dest)
    inside = _inputs_inside(dest, source)
    if inside is not None:
        raise OutputError(
            f"handout folder {dest} holds or is inside {inside}; choose a folder outside the repository and the package"
        )
    if dest.exists() and not dest.is_dir():
        raise OutputError(f"handout folder {dest} is a file; give a folder (new or empty)")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise OutputError(
            f"handout folder {dest} exists and is not empty; choose a new folder, or add --force to replace it whole"
        )
    parent = dest.resolve().parent
    if not parent.is_dir():
        raise OutputError(f"handout folder {dest}: folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"handout folder {dest}: cannot write into {parent} (permission denied); choose another")
    return dest


def build(folder: Path, source: Path = TUTORIALS, spec: str = DEFAULT_SPEC) -> list[Path]:
    """Write the handout's files into the (empty) ``folder``; return them. ``spec``: what the
    notebooks' install cell installs on Colab."""
    for needed in (source / "exercises", source / "common.py", LICENCE):
        if not needed.exists():
            raise OutputError(
                f"{needed} is missing: msdn handout reads the tutorials and the licence bundled with the package, "
                "and this installation lacks them; reinstall msdn_numpy"
            )
    written = []
    (folder / "exercises").mkdir()
    for key, path in zip(EXERCISES, exercise_files(source)):
        if not path.is_file():
            raise OutputError(f"exercise {key}: {path} is missing from the repository")
        text = student_exercise(path, key)
        script = folder / "exercises" / f"{key}.py"
        script.write_text(text, encoding="utf-8")
        exercise_notebook = script.with_suffix(".ipynb")
        exercise_notebook.write_text(notebook(script, spec), encoding="utf-8")
        written += [script, exercise_notebook]
    (folder / "tutorials").mkdir()
    tutorials = tutorial_scripts(source)
    for path in tutorials:
        tutorial_notebook = folder / "tutorials" / f"{path.stem}.ipynb"
        tutorial_notebook.write_text(notebook(path, spec), encoding="utf-8")
        written.append(tutorial_notebook)
    shutil.copyfile(source / "common.py", folder / "tutorials" / "common.py")
    shutil.copyfile(LICENCE, folder / "LICENSE")
    written += [folder / "tutorials" / "common.py", folder / "LICENSE"]
    readme = folder / "README.md"
    readme.write_text(student_readme(list(EXERCISES), [f"{p.stem}.ipynb" for p in tutorials], spec), encoding="utf-8")
    written.append(readme)
    return written


def write_handout(
    dest: str | Path, force: bool = False, source: Path = TUTORIALS, pip_install: str = DEFAULT_SPEC
) -> list[Path]:
    """Write the handout to ``dest`` atomically (see the module's docstring); return the files, under ``dest``.

    ``pip_install``: what the notebooks' first cell installs on Colab (checked first:
    :func:`msdn_numpy.tools.install_cell.check_spec`).
    """
    spec = check_spec(pip_install)
    dest = check_destination(dest, force, source)
    parent = dest.resolve().parent
    tmp = parent / f".{dest.name}.{secrets.token_hex(4)}.tmp"
    tmp.mkdir()
    old = None
    try:
        files = build(tmp, source, spec)
        if dest.is_dir():
            if any(dest.iterdir()):  # --force: the old handout moves aside, the new one takes its name
                old = parent / f".{dest.name}.{secrets.token_hex(4)}.old"
                os.rename(dest, old)
            else:
                dest.rmdir()
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not dest.exists():
            os.rename(old, dest)  # put the previous handout back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return [dest / f.relative_to(tmp) for f in files]
