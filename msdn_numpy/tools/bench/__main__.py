"""``python -m msdn_numpy.tools.bench``: the same as ``msdn bench``."""

from msdn_numpy.tools.bench.run import main

raise SystemExit(main())
