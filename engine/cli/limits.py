"""Ranges of the parsed options: numbers the jobs could not use are refused with one line before any work.

The jobs check what an option means (``--epochs must be >= 1``); this module adds what the parser cannot know and
the jobs would otherwise meet as an overflow, a huge allocation or a library's traceback: upper bounds, seeds that
every random generator accepts, and finite floats.
"""

import math

from latentnav.errors import ParameterError

MAX_SEED = 2**31 - 1  # numpy, torch, scikit-learn (< 2**32) and xgboost (int32) all accept 0 .. 2**31 - 1
# option -> largest accepted value (documented in README, "Bad input")
MAXIMA = {
    "epochs": 1_000_000,
    "latent_dim": 65_536,
    "batch_size": 2**31 - 1,
    "threads": 1024,
    "workers": 1024,
    "bootstrap": 10_000,
    "seed": MAX_SEED,
}
ANY_INT = 2**62  # any other whole number (sizes, indices, counts) fits an int64 with room to add


def check_option_ranges(args) -> None:
    """Refuse out-of-range numbers among the parsed options ``args`` (an ``argparse.Namespace``).

    Raises
    ------
    ParameterError
        Naming the option, its value and the accepted range.
    """
    for name, value in sorted(vars(args).items()):
        for item in value if isinstance(value, tuple) else (value,):
            _check(name, item)


TEXT_OPTIONS = ("title",)  # drawn as text: must be valid Unicode (paths may hold undecodable bytes; text may not)


def _check(name: str, value) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, str) and name in TEXT_OPTIONS:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ParameterError(name, f"is not valid text (it holds undecodable bytes): {value!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterError(name, f"must be a finite number, got {value}")
    if not isinstance(value, int):
        return
    if name == "seed" and value < 0:
        raise ParameterError(name, f"must be between 0 and {MAX_SEED:,}, got {_short(value)}")
    top = MAXIMA.get(name, ANY_INT)
    if abs(value) > top:
        raise ParameterError(name, f"must be at most {top:,}, got {_short(value)}")


def _short(value: int) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"{text[:12]}... ({len(text.lstrip('-'))} digits)"
