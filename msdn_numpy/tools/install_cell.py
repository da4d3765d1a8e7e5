"""The first cell of every notebook ``msdn handout`` writes: on Colab, install the package; anywhere else, nothing.

A notebook opened on Colab (from Drive, GitHub or an upload) runs on a machine that does
not have ``msdn_numpy``. Its first cell installs it there with pip, from what the
instructor named once, for the whole handout (``msdn handout DIR --pip-install SPEC``):
the course's git URL (``git+https://host/course/msdn_numpy.git@v0.1.0``), a wheel on a web
server, or a version on the index (the default, ``msdn_numpy==VERSION``). It then puts the
installed package's copy of the tutorials folder at the end of ``sys.path``, so that a
tutorial opened alone still finds its helper ``common.py`` (one beside the notebook wins).

Outside Colab (Jupyter, VS Code, a script, ``msdn grade``) the cell only imports ``sys``:
the student installed the package as the course says. The test is
``"google.colab" in sys.modules``, true in a Colab kernel from its start. The cell is plain
Python (no ``%pip``), so the notebook also runs as a script.
"""

from __future__ import annotations

import re
from typing import Any

from msdn_numpy import __version__
from msdn_numpy.tools.notebooks import cell

#: What the cell installs when the instructor names nothing: this version, from the index.
DEFAULT_SPEC = f"msdn_numpy=={__version__}"
#: The notebook cell's id (nbformat 4.5 wants one, unique in the notebook).
CELL_ID = "install-msdn-numpy"

_URL = re.compile(r"^(git\+)?(https?|ssh)://\S+$")
_NAME = r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[A-Za-z0-9._,\s-]*\])?\s*"
_DIRECT = re.compile(rf"^{_NAME}@\s*(?P<url>.*)$")  # msdn_numpy @ URL
_REQUIREMENT = re.compile(rf"^{_NAME}(?P<versions>((===?|!=|<=?|>=?|~=)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)*)$")


def _normalized(name: str) -> str:
    """A project name as pip compares it (PEP 503): lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def check_spec(spec: str) -> str:
    """``spec`` if pip on Colab can install msdn_numpy from it, else ValueError saying what to give.

    Accepted: a URL pip reads (``https://``, ``git+https://``, ``git+ssh://``...), or a
    requirement for msdn_numpy (``msdn_numpy``, ``msdn_numpy==0.1.0``, ``msdn_numpy @ URL``).
    Refused: an empty text, control characters, a leading ``-`` (pip would read an
    option), a path on this machine (Colab cannot see it), another project's name.
    """
    fix = (
        "give what pip on Colab installs msdn_numpy from: the course's git URL "
        f"(git+https://HOST/COURSE/msdn_numpy.git@TAG), a wheel's https:// URL, or {DEFAULT_SPEC}"
    )
    text = spec.strip()
    if not text or any(ord(c) < 32 or ord(c) == 127 for c in spec):
        raise ValueError(f"--pip-install {spec!r}: empty or holds control characters; {fix}")
    if text.startswith("-"):
        raise ValueError(f"--pip-install {spec!r}: starts with '-', which pip reads as an option; {fix}")
    requirement = _DIRECT.match(text) or _REQUIREMENT.match(text)
    if requirement is None and "://" not in text:
        raise ValueError(f"--pip-install {spec!r}: neither a URL nor msdn_numpy[==VERSION] (a path on this "
                         f"machine, which Colab cannot see?); {fix}")  # fmt: skip
    if requirement is not None and _normalized(requirement.group("name")) != "msdn-numpy":
        raise ValueError(f"--pip-install {spec!r}: installs {requirement.group('name')}, not msdn_numpy; {fix}")
    url = requirement.groupdict().get("url") if requirement is not None else text
    if url is not None and not _URL.match(url):
        raise ValueError(f"--pip-install {spec!r}: {url!r} is not a URL Colab can reach (http, https, ssh); {fix}")
    return text


def install_cell_source(spec: str) -> str:
    """The cell's code, installing ``spec`` (checked by :func:`check_spec`) on Colab."""
    spec = check_spec(spec)
    return f"""# On Colab: install msdn_numpy, which this notebook imports. Anywhere else this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import importlib
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", {spec!r}], check=True)
    importlib.invalidate_caches()
    from msdn_numpy.util.bundled import bundled

    sys.path.append(str(bundled("tutorials")))  # common.py, the tutorials' helper"""


def install_cell(spec: str) -> dict[str, Any]:
    """The notebook cell (nbformat 4.5) of :func:`install_cell_source`."""
    return cell("code", install_cell_source(spec), CELL_ID)
