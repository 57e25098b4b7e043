"""Atomic file writing: every file latentnav writes appears whole under its real name, or not at all.

Each writer below writes to a temporary file in the destination's own folder (so the final rename never crosses a
file system) and renames it into place with :func:`os.replace`. A failure half-way (a full disk, a killed
process, an exception while drawing) leaves the previous file, if any, untouched and no temporary file behind
(a SIGKILL can leave one: its name starts with ``.`` and contains ``.tmp``, see :data:`TEMP_MARKER`).

Failures to write raise :class:`~latentnav.errors.LatentnavError` naming the real path (never the temporary one),
so the command line prints one line and a re-run starts clean.
"""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from latentnav.errors import LatentnavError, ParameterError

TEMP_MARKER = ".tmp-"


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, on failure delete it.

    The temporary name keeps ``path``'s suffix, so writers that pick a format from the extension (matplotlib's
    ``savefig``, PIL's ``save``, ``torch.save``) behave as with the real name.

    Parameters
    ----------
    path : str or Path
        The file to write; its folder must exist.

    Raises
    ------
    LatentnavError
        Writing failed with an :class:`OSError` (e.g. no space left on the device).

    Examples
    --------
    >>> with atomic_path(out / "figure.png") as tmp:   # doctest: +SKIP
    ...     fig.savefig(tmp)
    """
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{TEMP_MARKER}", suffix=path.suffix)
    except OSError as exc:
        raise _write_error(path, exc) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise _write_error(path, exc) from None
    except BaseException:
        _discard(tmp)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return ``path``."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; return ``path``."""
    return atomic_write_bytes(path, text.encode(encoding))


def figure_format(path: str | Path, param: str = "out") -> str:
    """The image format matplotlib writes for ``path``'s suffix (``png`` without one); refuse unknown suffixes.

    Raises
    ------
    ParameterError
        A suffix matplotlib cannot write (``.txt``), named with the formats it can.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    supported = FigureCanvasBase.get_supported_filetypes()
    if fmt not in supported:
        raise ParameterError(param, f"{path}: cannot draw a .{fmt} file; use one of "
                                    f"{', '.join('.' + f for f in sorted(supported))}")
    return fmt


def save_figure(fig, path: str | Path, **kwargs) -> Path:
    """``fig.savefig(path, **kwargs)`` atomically (the format follows ``path``'s suffix, png without one)."""
    path = Path(path)
    kwargs.setdefault("format", figure_format(path))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, **kwargs)
    return path


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass


def _write_error(path: Path, exc: OSError) -> LatentnavError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return LatentnavError(f"cannot write {path}: {reason}; free space or choose another location, then re-run "
                          f"(nothing was left half-written)")
