"""``python -m heartbeat.cli``: the ``heartbeat`` command."""

import sys

from heartbeat.cli import main

sys.exit(main())
