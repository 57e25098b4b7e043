"""Failpoints for the fault tests: kill this process at a named point, as a power cut or ``kill -9`` would.

Set ``LATENTNAV_FAILPOINT=NAME:K`` (e.g. ``images_written:2``) and the process SIGKILLs itself when
:func:`failpoint` is reached with that name for chunk ``K``. ``NAME:K:MARKER`` kills only once: the first process
to get there creates the file ``MARKER`` and dies; later ones (a retried task on another worker) go on.
Unset (always, in normal use) it costs one dict lookup.

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
    if not spec:
        return
    point, _, marker = spec.partition(f"{name}:{k}")
    if point or (marker and not marker.startswith(":")):
        return  # another point, or another chunk (e.g. 1 vs 12)
    if marker:
        try:
            os.close(os.open(marker[1:], os.O_CREAT | os.O_EXCL))  # only the first process gets to die
        except FileExistsError:
            return
    os.kill(os.getpid(), signal.SIGKILL)
