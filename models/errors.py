"""The project's error for bad user input.

Everything a user can get wrong (a missing file, a bad option value, a checkpoint of another shape)
raises :class:`LatentnavError` with a message that says what was wrong and how to fix it. The CLI
prints it as one line ``latentnav: error: <message>`` and exits with status 2.
"""


class LatentnavError(ValueError):
    """Bad user input; the message says what was expected, what came and how to fix it."""
