"""``# %%`` scripts as Jupyter notebooks (nbformat 4 JSON, written here: no Jupyter package needed).

The tutorials and exercises are plain scripts split into cells by ``# %%`` lines (the
"percent" format of VS Code, Spyder and jupytext). :func:`script_to_notebook` turns one
into a notebook, cell for cell:

* ``# %% [markdown]`` (or ``[md]``): a markdown cell, each line without its leading ``# ``;
* ``# %%`` (with or without a title after it): a code cell;
* what comes before the first ``# %%``: the module docstring becomes a markdown cell (a
  notebook would otherwise print it as the first cell's output), any code after it a code
  cell.

Blank lines around a cell are dropped; nothing else is changed, so the notebook runs the
same code as the script. The JSON has the fields nbformat 4.5 requires (cell ``id``,
empty ``outputs``), no outputs, and a Python 3 kernel.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

#: A cell marker: ``# %%``, optionally followed by a title and/or ``[markdown]``.
_MARKER = re.compile(r"^# %%(?P<rest>.*)$", re.MULTILINE)
_MARKDOWN = re.compile(r"\[(markdown|md)\]")

NBFORMAT, NBFORMAT_MINOR = 4, 5


def _lines(text: str) -> list[str]:
    """A cell's ``source``: its lines, each but the last with its newline."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def _trim(text: str) -> str:
    """Without the blank lines before and after (indentation inside kept)."""
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _uncomment(text: str) -> str:
    """A markdown cell's text: every line without its ``# `` (a bare ``#`` is an empty line)."""
    out = []
    for line in text.split("\n"):
        if line.startswith("# "):
            out.append(line[2:])
        elif line.rstrip() == "#":
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def _split_docstring(header: str) -> tuple[str | None, str]:
    """The module docstring at the top of ``header`` (if any) and the code after it."""
    try:
        tree = ast.parse(header)
    except SyntaxError:
        return None, header
    if not tree.body:
        return None, header
    first = tree.body[0]
    if not (
        isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    ):
        return None, header
    rest = "\n".join(header.split("\n")[first.end_lineno :])
    return ast.get_docstring(tree, clean=True), rest


def cell(kind: str, text: str, cell_id: str) -> dict[str, Any]:
    """A ``"code"`` or ``"markdown"`` cell holding ``text``, with no outputs; ``cell_id`` unique in its notebook."""
    made: dict[str, Any] = {"cell_type": kind, "id": cell_id, "metadata": {}, "source": _lines(text)}
    if kind == "code":
        made["execution_count"] = None
        made["outputs"] = []
    return made


def script_to_notebook(text: str) -> dict[str, Any]:
    """The notebook (a JSON-ready dict, nbformat 4.5) of a ``# %%`` script's text."""
    pieces: list[tuple[str, str]] = []  # (kind, text)
    starts = list(_MARKER.finditer(text))
    header = text[: starts[0].start()] if starts else text
    docstring, code = _split_docstring(header)
    if docstring is not None and docstring.strip():
        pieces.append(("markdown", docstring))
    pieces.append(("code", code))
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        body = text[match.end() + 1 : end]
        if _MARKDOWN.search(match.group("rest")):
            pieces.append(("markdown", _uncomment(_trim(body))))
        else:
            pieces.append(("code", body))
    cells = []
    for kind, body in pieces:
        body = _trim(body)
        if body.strip():
            cells.append(cell(kind, body, f"cell-{len(cells)}"))
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
    }


def notebook_text(notebook: dict[str, Any]) -> str:
    """The ``.ipynb`` file's text (indented JSON, as Jupyter writes it)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def convert(script: str | Path) -> str:
    """The ``.ipynb`` text of the ``# %%`` script at ``script``."""
    return notebook_text(script_to_notebook(Path(script).read_text(encoding="utf-8")))
