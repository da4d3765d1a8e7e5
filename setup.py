"""The one build step pyproject.toml cannot declare: the bundled folders go into the package.

The project's metadata (name, version, dependencies, extras, the ``msdn`` command) is in
pyproject.toml. What stays here:

* ``data/`` and ``tutorials/`` live at the repository's top level, and a wheel can only
  hold packages: :class:`BuildWithBundle` copies what ``msdn_numpy/util/bundled.py`` lists
  (``SHIPPED``: datasets, checksums, tutorials, exercise templates; no worked solutions)
  into ``msdn_numpy/_bundled/``, where the package finds them at run time;
* editable installs put the repository on ``sys.path`` (a .pth entry) instead of an import
  hook, so that ``import msdn_numpy`` also works from the folder that *contains* a clone
  named msdn_numpy (the hook would lose to that folder, a namespace package); they read
  the folders where they are and copy nothing.
"""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _bundle_rule():
    """``msdn_numpy/util/bundled.py``, loaded alone: the package itself needs NumPy, which a build has not."""
    spec = importlib.util.spec_from_file_location("_msdn_bundled", HERE / "msdn_numpy" / "util" / "bundled.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithBundle(build_py):
    """``build_py``, then the bundled folders copied into the built package (a fresh copy every build)."""

    def run(self):
        super().run()
        if self.editable_mode:
            return
        rule = _bundle_rule()
        target = Path(self.build_lib) / "msdn_numpy" / rule.INSIDE
        shutil.rmtree(target, ignore_errors=True)  # no file of an earlier build survives (a solution, a renamed file)
        for rel in rule.shipped_files(HERE):
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(HERE / rel, dest)

    def get_outputs(self, include_bytecode=True):
        rule = _bundle_rule()
        target = Path(self.build_lib) / "msdn_numpy" / rule.INSIDE
        return super().get_outputs(include_bytecode) + [str(target / rel) for rel in rule.shipped_files(HERE)]


setup(cmdclass={"build_py": BuildWithBundle}, options={"editable_wheel": {"mode": "compat"}})
