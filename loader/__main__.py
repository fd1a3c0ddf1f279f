"""``python -m loader``: see ``python -m loader --help``."""

import sys

from loader.cli import main

sys.exit(main())
