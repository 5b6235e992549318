"""``python -m deci_core``: the command line (see :mod:`deci_core.cli.main`)."""

import sys

from deci_core.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
