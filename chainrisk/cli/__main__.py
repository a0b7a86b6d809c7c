"""``python -m chainrisk.cli``: the ``chainrisk`` command."""

import sys

from chainrisk.cli import main

sys.exit(main())
