"""Checks on output paths, so that nothing a user has is overwritten by accident."""

import os
from pathlib import Path

from latentnav.errors import ParameterError


def prepare_output_file(path: str | Path, *, overwrite: bool = False, param: str = "out") -> Path:
    """Check that a file can be written at ``path`` and make its parent folders.

    Raises
    ------
    LatentnavError
        ``path`` is a folder, exists and ``overwrite`` is false, or its folder is a file or not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise ParameterError(param, f"{path} is a directory; give a file name such as {path / 'model.pth'}")
    if path.exists() and not overwrite:
        raise ParameterError(param, f"{path} already exists; pass {{overwrite}} to replace it or choose another name")
    _make_parent(path.parent, param, path)
    return path


def prepare_output_dir(path: str | Path, *, param: str = "out") -> Path:
    """Make folder ``path`` (and parents) for outputs; refuse a file or an unwritable place."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ParameterError(param, f"{path} is a file, not a directory; choose a directory name")
    _make_parent(path, param, path)
    return path


def _make_parent(folder: Path, param: str, path: Path) -> None:
    for parent in [folder, *folder.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise ParameterError(param, f"{path}: {parent} is a file, not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ParameterError(param, f"{path}: directory {parent} is not writable; choose another location")
            break
    folder.mkdir(parents=True, exist_ok=True)
