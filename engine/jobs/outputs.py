"""Checks on output paths, so that nothing a user has is overwritten by accident.

Files are written atomically (:mod:`latentnav.files`). Ownership: a folder latentnav writes several files into
(a report, figures, a comparison) gets a manifest, :data:`MANIFEST`, listing the files latentnav wrote there; a
re-run replaces those, and any other existing file of the same name is replaced only with ``overwrite``.
"""

import json
import os
from pathlib import Path

from latentnav.errors import LatentnavError, ParameterError
from latentnav.files import atomic_write_text

MANIFEST = "latentnav-manifest.json"


def prepare_output_file(path: str | Path, *, overwrite: bool = False, param: str = "out") -> Path:
    """Check that a file can be written at ``path`` and make its parent folders.

    Raises
    ------
    LatentnavError
        ``path`` is a folder, exists and ``overwrite`` is false, or its folder is a file or not writable.
    """
    _refuse_url(path, param)
    path = Path(path)
    if path.is_dir():
        raise ParameterError(param, f"{path} is a directory; give a file name such as {path / 'model.pth'}")
    if path.exists() and not overwrite:
        raise ParameterError(param, f"{path} already exists; pass {{overwrite}} to replace it or choose another name")
    _make_parent(path.parent, param, path)
    return path


def prepare_output_dir(path: str | Path, *, param: str = "out") -> Path:
    """Make folder ``path`` (and parents) for outputs; refuse a file or an unwritable place."""
    _refuse_url(path, param)
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ParameterError(param, f"{path} is a file, not a directory; choose a directory name")
    _make_parent(path, param, path)
    return path


def _refuse_url(path, param: str) -> None:
    """Files and folders of results are local: a URL (``file://``, ``s3://``) would become a strange relative path."""
    if "://" in str(path):
        raise ParameterError(param, f"{path} is a URL; only a traversal store (traverse --out) may be one: give a "
                                    f"local path")
    if not str(path).strip():
        raise ParameterError(param, "is empty; give a path")


def _make_parent(folder: Path, param: str, path: Path) -> None:
    for parent in [folder, *folder.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise ParameterError(param, f"{path}: {parent} is a file, not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ParameterError(param, f"{path}: directory {parent} is not writable; choose another location")
            break
    folder.mkdir(parents=True, exist_ok=True)


def distinct_outputs(**paths) -> None:
    """Refuse two outputs of one command that name the same file (``dci --json X.png --plot X.png``).

    ``paths`` maps parameter names to paths (None for outputs not asked for).
    """
    seen = {}
    for param, path in paths.items():
        if path is None:
            continue
        key = os.path.normcase(os.path.abspath(os.fspath(path)))
        if key in seen:
            raise ParameterError(param, f"names the same file as {{{seen[key]}}} ({path}); give each output its own name")
        seen[key] = param


def claim_outputs(folder: Path, names: list[str], *, overwrite: bool = False, param: str = "out") -> list[Path]:
    """Check that files ``names`` may be written into ``folder`` and record them in its manifest.

    A file may be written when it does not exist, when the folder's manifest lists it (latentnav wrote it), or
    with ``overwrite``. Claimed names are recorded before anything is written, so a run killed half-way leaves
    its files recognisable. Returns the paths.

    Raises
    ------
    LatentnavError
        A file of that name exists that latentnav did not write (and not ``overwrite``), or is a folder.
    """
    folder = Path(folder)
    owned = read_manifest(folder, overwrite=overwrite, param=param)
    paths = [folder / name for name in names]
    for name, path in zip(names, paths):
        if path.is_dir():
            raise ParameterError(param, f"{folder}: {path} is a directory; latentnav needs that name for a file, "
                                        f"choose another location")
        if path.exists() and name not in owned and not overwrite:
            raise ParameterError(param, f"{folder}: {path.name} exists and was not written by latentnav; pass "
                                        f"{{overwrite}} to replace it or choose another location")
    if set(names) - owned:
        body = {"latentnav_manifest": 1, "files": sorted(owned | set(names))}
        atomic_write_text(folder / MANIFEST, json.dumps(body, indent=1) + "\n")
    return paths


def read_manifest(folder: Path, *, overwrite: bool = False, param: str = "out") -> set[str]:
    """Names of the files latentnav wrote into ``folder`` (empty when it has no manifest).

    A file named like the manifest that latentnav did not write is refused unless ``overwrite``.
    """
    path = Path(folder) / MANIFEST
    if not path.exists():
        return set()
    try:
        data = json.loads(path.read_text())
        files = data["files"] if isinstance(data, dict) and data.get("latentnav_manifest") == 1 else None
    except (OSError, ValueError, UnicodeDecodeError):
        files = None
    if isinstance(files, list) and all(isinstance(f, str) for f in files):
        return set(files)
    if overwrite:
        return set()
    raise ParameterError(param, f"{folder}: {MANIFEST} exists and is not latentnav's manifest; pass {{overwrite}} to "
                                f"replace it or choose another location")


def check_sidecar(checkpoint: Path, sidecar: Path, *, overwrite: bool = False, owned: bool = False) -> None:
    """Refuse to replace ``sidecar`` (the JSON beside ``checkpoint``) unless latentnav wrote it or ``overwrite``.

    ``owned`` says whether the file there is a latentnav sidecar (the caller reads it).
    """
    if sidecar == checkpoint:
        raise ParameterError("out", f"{checkpoint} ends in .json, the name of its sidecar; give the checkpoint a "
                                    f".pth name")
    if sidecar.is_dir():
        raise LatentnavError(f"{sidecar} is a directory; the sidecar of {checkpoint} needs that name")
    if sidecar.exists() and not (owned or overwrite):
        raise ParameterError("out", f"{checkpoint}: its sidecar {sidecar} already exists and was not written by "
                                    f"latentnav; pass {{overwrite}} to replace it or choose another name")
