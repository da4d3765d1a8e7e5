"""The package's layers import one way, from the bottom up (docs/READING.md, the layers).

Every ``import msdn_numpy.X`` / ``from msdn_numpy.X import`` in the package (also those
inside functions) is read from the source with :mod:`ast`; a module may import its own
layer or a layer below it, never one above.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from reading_path import markdown, path_table

import msdn_numpy

PACKAGE = Path(msdn_numpy.__file__).parent

#: Bottom to top. A module's layer is its subpackage, or the module itself at the top level.
LAYERS = ["util", "dataio", "nn", "models", "metrics", "train", "estimators", "compare", "course", "tools"]


def layer_of(module: str) -> str | None:
    """``msdn_numpy.nn.conv`` -> ``nn``; ``msdn_numpy.models`` -> ``models``; the package root -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "msdn_numpy" else None


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every msdn_numpy module ``path`` imports, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("msdn_numpy")]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import; write msdn_numpy.<layer>.<module>"
            if node.module and node.module.startswith("msdn_numpy"):
                if node.module == "msdn_numpy":  # from msdn_numpy import X: X may be a subpackage
                    found += [(node.lineno, f"msdn_numpy.{a.name}") for a in node.names]
                else:
                    found.append((node.lineno, node.module))
    return found


def target_layer(target: str) -> str | None:
    """The layer of an imported name; a name the root exports lazily (``from msdn_numpy import
    MSDNClassifier``) is in the layer of the module it is loaded from (``estimators``)."""
    layer = layer_of(target)
    return msdn_numpy._LAZY.get(layer, layer)


def rank(target: str) -> float:
    """The height of an imported module. ``from msdn_numpy import gradcheck`` imports the package
    root, which imports ``models`` and ``nn``: it sits just above ``models``."""
    layer = target_layer(target)
    return LAYERS.index(layer) if layer in LAYERS else LAYERS.index("models") + 0.5


def upward_imports() -> list[str]:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if name in ("msdn_numpy", "msdn_numpy.__main__"):  # the root re-exports the public API
            continue
        mine = layer_of(name)
        assert mine in LAYERS, f"{path}: layer {mine!r} is not in LAYERS; add it where it belongs"
        for line, target in imports_of(path):
            if rank(target) > LAYERS.index(mine):
                where = target_layer(target) if target_layer(target) in LAYERS else "the package root"
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({mine}) imports {target} ({where})")
    return bad


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports() == []


def test_every_module_sits_in_a_known_layer():
    layers = {layer_of(module_name(p)) for p in PACKAGE.rglob("*.py")} - {None, "__main__"}
    folders = ("util", "dataio", "nn", "models", "course", "tools")
    assert all(p.is_dir() == (p.name in folders) for p in PACKAGE.iterdir()
               if p.name in LAYERS or p.is_dir() and p.name != "__pycache__")  # fmt: skip
    assert layers == set(LAYERS)


def test_the_checker_catches_an_upward_import(tmp_path, monkeypatch):
    """The test can fail: a module of nn/ that imports the trainer is reported, and so is a name
    the root exports lazily, imported from below the layer it is loaded from."""
    fake = tmp_path / "msdn_numpy"
    (fake / "nn").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "nn" / "__init__.py").write_text("")
    (fake / "nn" / "bad.py").write_text("def f():\n    from msdn_numpy.train import train_model\n")
    (fake / "nn" / "root.py").write_text("from msdn_numpy import gradcheck\n")
    (fake / "metrics.py").write_text("from msdn_numpy import MSDNClassifier, sigmoid\n")
    (fake / "nn" / "fine.py").write_text("import msdn_numpy.util.files\nfrom msdn_numpy.nn import layers\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert upward_imports() == [
        "msdn_numpy/metrics.py:1 (metrics) imports msdn_numpy.MSDNClassifier (estimators)",
        "msdn_numpy/nn/bad.py:2 (nn) imports msdn_numpy.train (train)",
        "msdn_numpy/nn/root.py:1 (nn) imports msdn_numpy.gradcheck (the package root)",
    ]


def test_the_scan_sees_the_real_imports():
    msdn = imports_of(PACKAGE / "models" / "msdn.py")
    assert any(t == "msdn_numpy.nn.conv" for _, t in msdn)
    cli = [t for _, t in imports_of(PACKAGE / "tools" / "cli.py")]
    assert "msdn_numpy.course.gradebook" in cli or any(t.startswith("msdn_numpy.course") for t in cli)


# -- the reading path: what a student reads is what runs ---------------------------------------------


def test_the_models_import_no_fast_module():
    """The models are built from the readable layers only; ``nn/fast`` is opt-in (``TrainConfig(fast=True)``)."""
    for path in sorted((PACKAGE / "models").glob("*.py")):
        fast = [t for _, t in imports_of(path) if t.startswith("msdn_numpy.nn.fast")]
        assert fast == [], (path.name, fast)


def test_the_default_msdn_runs_only_the_readable_layers_in_at_most_700_lines_and_5_files():
    rows = path_table()
    files = [f for f, _, _, _ in rows]
    assert not any("/fast/" in f for f in files), files
    assert len(files) <= 5, files
    assert sum(read for _, read, _, _ in rows) <= 700, markdown(rows)


def test_reading_doc_and_readme_state_the_measured_path():
    """docs/READING.md's table is what the measure gives today (regenerate it: python tests/reading_path.py),
    and the README states its total and its files in that order."""
    rows = path_table()
    doc = (PACKAGE.parent / "docs" / "READING.md").read_text(encoding="utf-8")
    table = doc.split("<!-- reading-path: python tests/reading_path.py -->\n")[1].split("\n<!-- end -->")[0]
    assert table == markdown(rows)
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Where to start reading")[1].split("\n## ")[0]
    words = {2: "two", 3: "three", 4: "four", 5: "five"}
    assert f"is {sum(r[1] for r in rows)} lines of the code that runs" in section
    assert f"in {words[len(rows)]} files" in section
    listed = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
    assert listed == [f for f, _, _, _ in rows]


def test_the_measure_counts_what_runs():
    """A class that runs counts with its __init__ and the methods that ran; a function that does not run, not."""
    rows = {f: (read, names) for f, read, _, names in path_table()}
    assert "resolve_padding" not in rows["msdn_numpy/nn/conv.py"][1]  # runs in __init__, before the trace
    assert "Conv1D" in rows["msdn_numpy/nn/conv.py"][1]
    assert "msdn_numpy/models/base.py" not in rows  # MSDN's forward and backward need nothing of it


def test_no_function_in_the_engine_or_the_models_is_longer_than_60_lines():
    long = []
    for path in sorted([*(PACKAGE / "nn").rglob("*.py"), *(PACKAGE / "models").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            size = node.end_lineno - node.lineno + 1 if isinstance(node, ast.FunctionDef) else 0
            if size > 60:
                long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({size})")
    assert long == []


def test_reading_doc_gives_every_file_its_size():
    doc = (PACKAGE.parent / "docs" / "READING.md").read_text(encoding="utf-8")
    rows = [line.split("|") for line in doc.split("## Every file a student reads")[1].splitlines()
            if line.startswith("| ") and "`msdn_numpy/" in line]  # fmt: skip
    assert len(rows) >= 12
    for cells in rows:
        path = PACKAGE.parent / cells[2].strip().strip("`")
        assert int(cells[3]) == len(path.read_text(encoding="utf-8").splitlines()), path
