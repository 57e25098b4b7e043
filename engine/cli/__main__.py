"""``python -m latentnav.cli``: the same as the ``latentnav`` command."""

import sys

from latentnav.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
