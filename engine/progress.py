"""Progress-bar settings shared by every tqdm bar of latentnav."""


def bar_options(progress: bool) -> dict:
    """tqdm keyword arguments: off when ``progress`` is false; otherwise tqdm's own defaults, so that the
    environment (``TQDM_DISABLE=1``, ``TQDM_MININTERVAL``, ...) still decides."""
    return {} if progress else {"disable": True}
