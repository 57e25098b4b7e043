"""The ``latentnav`` command line (the top layer): :func:`main` parses, calls one job and prints."""

from latentnav.cli.main import main

__all__ = ["main"]
