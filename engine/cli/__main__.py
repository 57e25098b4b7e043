"""``python -m latentnav.cli``: the same as the ``latentnav`` command."""

import sys

from latentnav.cli.main import main

sys.exit(main())
