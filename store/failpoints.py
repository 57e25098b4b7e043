"""Failpoints for the fault tests: kill this process at a named point, as a power cut or ``kill -9`` would.

Set ``LATENTNAV_FAILPOINT=NAME:K`` (e.g. ``images_written:2``) and the process SIGKILLs itself the first time
:func:`failpoint` is reached with that name for chunk ``K``. Unset (always, in normal use) it costs one dict lookup.

Points: ``compute`` (before chunk K is decoded), ``images_written`` (chunk K's images are on disk, its
reconstructions and done flag are not), ``chunk_done`` (done flag set, effects not written),
``effects_written`` (effects written, their flag not set).
"""

import os
import signal

ENV = "LATENTNAV_FAILPOINT"


def failpoint(name: str, k: int) -> None:
    """SIGKILL this process if ``LATENTNAV_FAILPOINT`` names this point and chunk."""
    spec = os.environ.get(ENV)
    if spec and spec == f"{name}:{k}":
        os.kill(os.getpid(), signal.SIGKILL)
