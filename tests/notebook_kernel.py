"""Execute a notebook in a Jupyter kernel: ``python notebook_kernel.py IN.ipynb CWD OUT.ipynb``.

nbclient starts an ipykernel (the ``python3`` kernel of this interpreter) with ``CWD`` as
its working directory, runs every cell in order and writes the notebook with its outputs
to ``OUT.ipynb``, also when a cell fails (then the exit status is 1 and the error is on
stderr). Used by ``test_tutorials.py`` and ``test_handout.py``.
"""

from __future__ import annotations

import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

source, cwd, target = sys.argv[1:4]
notebook = nbformat.read(source, as_version=4)
client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": cwd}})
status = 0
try:
    client.execute()
except CellExecutionError as exc:
    print(exc, file=sys.stderr)
    status = 1
nbformat.write(notebook, target)
sys.exit(status)
