"""``python -m msdn_numpy ...`` is the same as the ``msdn`` command."""

import sys

from .cli import main

sys.exit(main())
