"""Checks on output paths, so that nothing a user has is overwritten by accident."""

import os
from pathlib import Path

from models.errors import LatentnavError


def prepare_output_file(path: str | Path, *, overwrite: bool = False, option: str = "--out") -> Path:
    """Check that a file can be written at ``path`` and make its parent folders.

    Raises
    ------
    LatentnavError
        ``path`` is a folder, exists and ``overwrite`` is false, or its folder is a file or not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise LatentnavError(f"{option} {path} is a directory; give a file name such as {path / 'model.pth'}")
    if path.exists() and not overwrite:
        raise LatentnavError(f"{option} {path} already exists; pass --overwrite to replace it or choose another name")
    _make_parent(path.parent, option, path)
    return path


def prepare_output_dir(path: str | Path, *, option: str = "--out") -> Path:
    """Make folder ``path`` (and parents) for outputs; refuse a file or an unwritable place."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise LatentnavError(f"{option} {path} is a file, not a directory; choose a directory name")
    _make_parent(path, option, path)
    return path


def _make_parent(folder: Path, option: str, path: Path) -> None:
    for parent in [folder, *folder.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise LatentnavError(f"{option} {path}: {parent} is a file, not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise LatentnavError(f"{option} {path}: directory {parent} is not writable; choose another location")
            break
    folder.mkdir(parents=True, exist_ok=True)
