"""``python -m msdn_numpy ...`` is the same as the ``msdn`` command."""

import sys

from msdn_numpy.tools.cli import main

sys.exit(main())
