"""``python -m heartbeat``: the ``heartbeat`` command, for when its script is not on PATH."""

import sys

from heartbeat.cli import main

if __name__ == "__main__":
    sys.exit(main())
