"""The reading path: the code that runs in the default MSDN's forward and backward, measured.

``python tests/reading_path.py`` prints the table of docs/READING.md ("The path through the
code"); ``--write`` puts it there, with today's file sizes and the README's total.
``tests/test_layout.py`` checks that the documents state what this measures, and the
targets. What counts as read, for one forward + loss + backward of ``MSDN(D, L)`` with its
defaults (traced with :func:`sys.setprofile`; the model is built before the trace starts):

* every top-level function that runs, whole (docstring and comments included);
* for every class one of whose methods runs: its header and docstring, every method that runs,
  and its ``__init__`` (what the layer holds);
* each file's module docstring.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import numpy as np

import msdn_numpy
from msdn_numpy.models import MSDN
from msdn_numpy.nn.losses import BCEWithLogits

PACKAGE = Path(msdn_numpy.__file__).parent
#: The order a student reads the path in (docs/READING.md); a file not listed comes last.
ORDER = ["nn/layers.py", "nn/losses.py", "nn/conv.py", "nn/score_embedding.py", "models/msdn.py"]


def executed_functions(model: MSDN | None = None) -> dict[Path, set[int]]:
    """``{file: first lines of the functions that ran}`` for one forward, loss and backward."""
    model = model or MSDN(5, 6, seed=0)
    X = np.random.default_rng(0).standard_normal((4, model.D))
    Y = (np.random.default_rng(1).random((4, model.L)) < 0.5).astype(np.float64)
    loss = BCEWithLogits()
    ran: dict[Path, set[int]] = {}

    def profile(frame, event, arg) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(str(PACKAGE)):
            ran.setdefault(Path(frame.f_code.co_filename), set()).add(frame.f_code.co_firstlineno)

    sys.setprofile(profile)
    try:
        loss.forward(model.forward(X), Y)
        model.backward(loss.backward())
    finally:
        sys.setprofile(None)
    return ran


def _lines(node: ast.AST) -> int:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return node.end_lineno - first + 1


def path_table(model: MSDN | None = None) -> list[tuple[str, int, int, list[str]]]:
    """One row per file on the path: ``(file, lines read, lines in the file, what is read)``."""
    rows = []
    def place(path: Path) -> int:
        rel = path.relative_to(PACKAGE).as_posix()
        return ORDER.index(rel) if rel in ORDER else len(ORDER)

    for path, firsts in sorted(executed_functions(model).items(), key=lambda item: (place(item[0]), item[0])):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        read, names = 0, []
        if tree.body and isinstance(tree.body[0], ast.Expr):  # the module docstring
            read += _lines(tree.body[0])
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.lineno in firsts:
                read += _lines(node)
                names.append(node.name)
            elif isinstance(node, ast.ClassDef):
                methods = [m for m in node.body if isinstance(m, ast.FunctionDef)]
                ran = [m for m in methods if m.lineno in firsts or (m.name == "__init__" and firsts)]
                ran = [m for m in ran if any(x.lineno in firsts for x in methods)]
                if ran:
                    read += (methods[0].lineno - node.lineno) + sum(_lines(m) for m in ran)
                    names.append(node.name)
        total = len(path.read_text(encoding="utf-8").splitlines())
        rows.append((path.relative_to(PACKAGE.parent).as_posix(), read, total, names))
    return rows


def markdown(rows: list[tuple[str, int, int, list[str]]]) -> str:
    """The table of docs/READING.md."""
    lines = ["| file | lines read | lines in the file | what runs |", "|---|---:|---:|---|"]
    lines += [f"| `{f}` | {read} | {total} | {', '.join(names)} |" for f, read, total, names in rows]
    lines.append(f"| **{len(rows)} files** | **{sum(r[1] for r in rows)}** | **{sum(r[2] for r in rows)}** | |")
    return "\n".join(lines)


def write(root: Path) -> None:
    """Rewrite the measured parts of docs/READING.md (the path table, every file's size) and the README's total."""
    rows = path_table()
    marker = "<!-- reading-path: python tests/reading_path.py -->\n"
    doc = (root / "docs" / "READING.md").read_text(encoding="utf-8")
    head, rest = doc.split(marker)
    doc = head + marker + markdown(rows) + "\n<!-- end -->" + rest.split("\n<!-- end -->", 1)[1]
    lines = doc.split("\n")
    for i, line in enumerate(lines):
        cells = line.split("|")
        if len(cells) > 4 and cells[1].strip().isdigit() and "`msdn_numpy/" in cells[2]:
            cells[3] = f" {len((root / cells[2].strip().strip('`')).read_text(encoding='utf-8').splitlines())} "
            lines[i] = "|".join(cells)
    (root / "docs" / "READING.md").write_text("\n".join(lines), encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    total = f"is {sum(r[1] for r in rows)} lines of the code that runs"
    (root / "README.md").write_text(re.sub(r"is \d+ lines of the code that runs", total, readme), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write(PACKAGE.parent)
    print(markdown(path_table()))
