"""Entry point of ``python -m companion`` (see :mod:`companion.serving`)."""

import sys

from .serving import main

if __name__ == "__main__":
    sys.exit(main())
