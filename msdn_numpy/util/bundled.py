"""The files that ship with the package from the repository's top level: one way to find them, clone or wheel.

The repository keeps ``data/``, ``tutorials/`` and ``LICENSE`` at its top level, beside the
package. A wheel can only hold packages, so the build (``setup.py``) copies them into the
package, as ``msdn_numpy/_bundled/data``, ``msdn_numpy/_bundled/tutorials`` and
``msdn_numpy/_bundled/LICENSE``. :func:`bundle_root` finds either, through
:mod:`importlib.resources`:

* installed from a wheel (``pip install msdn_numpy-*.whl``, a git URL, the index): the
  copy inside the package;
* a clone installed with ``pip install -e .``: the clone's top level (an editable install
  copies nothing, so what you edit is what runs).

What the wheel carries is :data:`SHIPPED`: the datasets with their checksums and the data
README; the tutorials, their helper and README, and the exercise templates; the licence
(``msdn handout`` gives it to students with the tutorials). Nothing else is copied: not
the worked solutions (``tutorials/exercises/solutions/``; ``msdn grade`` compares with the
package's own layers and needs none of them), nor figures or caches a run left behind.

This module imports nothing but the standard library: ``setup.py`` loads it at build time,
before NumPy or the package can be imported.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: The folder, inside the package, where a wheel holds the bundled files.
INSIDE = "_bundled"

#: The bundled folders, by their names at the repository's top level.
FOLDERS = ("data", "tutorials")

#: What the wheel carries: glob patterns relative to the repository's top level, not
#: recursive (``tutorials/exercises/solutions/`` matches none of them).
SHIPPED = (
    "LICENSE",
    "data/README.md", "data/*.arff", "data/*.xml", "data/mulan/SHA256SUMS", "data/mulan/*.arff", "data/mulan/*.xml",
    "tutorials/README.md", "tutorials/common.py", "tutorials/[0-9][0-9]_*.py", "tutorials/exercises/[0-9][0-9]_*.py",
)  # fmt: skip


def shipped_files(root: Path) -> list[str]:
    """The files of :data:`SHIPPED` found under ``root`` (a clone or an unpacked sdist), as sorted
    POSIX paths relative to it, e.g. ``data/mulan/emotions.xml``."""
    found = {p.relative_to(root).as_posix() for pattern in SHIPPED for p in root.glob(pattern) if p.is_file()}
    return sorted(found)


def bundle_root() -> Path:
    """Where this installation has the bundled files: the copy inside the package when there is
    one (a wheel), else the folder that holds the package (a clone)."""
    package = files("msdn_numpy")
    if not isinstance(package, Path):
        raise RuntimeError(
            f"msdn_numpy is imported from {package}, not from a folder; install it with pip (which unpacks the wheel)"
        )
    inside = package / INSIDE
    return inside if inside.is_dir() else package.parent


def bundled(name: str) -> Path:
    """The bundled folder ``name`` (``"data"`` or ``"tutorials"``), under :func:`bundle_root`.

    The path is returned whether or not it exists; a caller that reads it says what is missing.
    """
    if name not in FOLDERS:
        raise ValueError(f"bundled({name!r}): the bundled folders are {', '.join(FOLDERS)}")
    return bundle_root() / name
