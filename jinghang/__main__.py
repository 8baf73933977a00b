"""``python3 -m jinghang ...``: the ``jinghang`` command."""

import sys

from jinghang.cli import main

sys.exit(main())
