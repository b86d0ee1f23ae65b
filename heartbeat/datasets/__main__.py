"""``python -m heartbeat.datasets summary DATA_DIR``: the ``heartbeat summary`` command.

The summary is a command of the CLI (:mod:`heartbeat.cli`); this entry keeps the
spelling documented before the command moved there.
"""

import sys

import heartbeat.cli

if __name__ == "__main__":
    sys.exit(heartbeat.cli.main(sys.argv[1:]))
