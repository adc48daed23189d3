"""``python -m optimizer`` does what the ``stockpile`` command does."""

import sys

from optimizer.cli import main

sys.exit(main())
