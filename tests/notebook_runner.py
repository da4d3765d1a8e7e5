"""Run a ``# %%`` script the way a notebook kernel runs it: ``python notebook_runner.py SCRIPT``.

The cells (split at the ``# %%`` lines) are executed in order in one fresh namespace that
has no ``__file__`` (a kernel has none), with the ``sys.argv`` a Jupyter kernel gets and
the working directory first on ``sys.path``, as in Jupyter. Used by ``test_tutorials.py``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

script = Path(sys.argv[1])
cells = re.split(r"^# %%.*$", script.read_text(encoding="utf-8"), flags=re.M)
sys.argv = ["ipykernel_launcher.py", "-f", "kernel-connection.json"]
sys.path[0] = ""  # the working directory, not this runner's folder
namespace = {"__name__": "__main__", "__doc__": "Automatically created module for IPython interactive environment"}
for i, cell in enumerate(cells):
    exec(compile(cell, f"<{script.name}, cell {i}>", "exec"), namespace)
