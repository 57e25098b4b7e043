"""The project's errors for bad user input.

Everything a user can get wrong (a missing file, a bad option value, a checkpoint of another shape) raises
:class:`LatentnavError` with a message that says what was wrong and how to fix it. The CLI prints it as one line
``latentnav: error: <message>`` and exits with status 2.

A bad *parameter value* raises :class:`ParameterError`, which knows the parameter's name: called from Python the
message names the parameter (``probe='forest' is unknown; choose xgboost or sklearn``), and the CLI renders the
same error with its flag (``--probe 'forest' is unknown; ...``) through :meth:`ParameterError.for_cli`.
"""

import re

_NO_VALUE = object()
_OTHER_PARAMETER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class LatentnavError(ValueError):
    """Bad user input; the message says what was expected, what came and how to fix it."""


class ParameterError(LatentnavError):
    """A parameter with a bad value.

    Parameters
    ----------
    param : str
        The Python parameter name (``n_test``); the CLI flag is ``--n-test`` unless the CLI maps it otherwise.
    problem : str
        What is wrong, completing the sentence after the name (``must be >= 1, got 0``). Other parameters it
        mentions are written in braces (``must be below {high}``) and rendered as names or flags alike.
    value : optional
        The bad value; when given it follows the name (``probe='forest' is unknown``).

    Examples
    --------
    >>> str(ParameterError("probe", "is unknown; choose xgboost or sklearn", value="forest"))
    "probe='forest' is unknown; choose xgboost or sklearn"
    >>> ParameterError("probe", "is unknown; choose xgboost or sklearn", value="forest").for_cli()
    "--probe 'forest' is unknown; choose xgboost or sklearn"
    """

    def __init__(self, param: str, problem: str, value=_NO_VALUE):
        self.param, self.problem, self.value = param, problem, value
        super().__init__(self._render(lambda name: name, "="))

    def for_cli(self, flags: dict[str, str] | None = None) -> str:
        """The message with parameters written as CLI flags (``flags`` maps names whose flag is not ``--name``)."""
        return self._render(lambda name: (flags or {}).get(name) or "--" + name.replace("_", "-"), " ")

    def _render(self, spell, joiner: str) -> str:
        named = spell(self.param) if self.value is _NO_VALUE else f"{spell(self.param)}{joiner}{self.value!r}"
        return f"{named} {_OTHER_PARAMETER.sub(lambda m: spell(m.group(1)), self.problem)}"
