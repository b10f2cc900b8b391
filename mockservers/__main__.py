"""Entry point of ``python -m mockservers`` (see :mod:`mockservers.cli`)."""

import sys

from .cli import main

sys.exit(main())
