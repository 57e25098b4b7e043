"""Which stores are latentnav's: the creation marker, telling a store from a user's files, removing only stores.

Creating a store first writes the marker :data:`MARKER` into its folder, an empty zarr group whose attributes say
``{"state": "creating"}`` (a group, so that zarr and xarray see nothing foreign in the store), and rewrites it
(``"created"``) once every array is in place. So a store killed (or out of disk) while
being created is recognisably latentnav's and half-made: a re-run simply rebuilds it. A finished store is
recognised by its marker or, for stores written before markers existed, by the ``latentnav_layout`` attribute of
its ``zarr.json``. Anything else (a file, a folder of other files, another zarr group) is never removed, with or
without ``--overwrite``, for plain paths and every URL scheme alike: every check goes through fsspec.
"""

import json
import posixpath

import fsspec

from latentnav._version import __version__
from latentnav.errors import LatentnavError, ParameterError
from latentnav.store.layout import LAYOUT_KEY

MARKER = "latentnav-store"  # a child group: MARKER/zarr.json holds the state in its attributes
ABSENT, FILE, FOREIGN, CREATING, OURS = "absent", "file", "foreign", "creating", "ours"


def filesystem(location, storage_options: dict | None) -> tuple:
    """``(fs, path)`` of a store location (a path or an fsspec URL), with one-line errors for bad ones.

    Raises
    ------
    ParameterError
        ``storage_options`` given with a plain path, or not accepted by the URL's backend.
    LatentnavError
        An unknown URL scheme, or one whose fsspec backend is not installed.
    """
    text = str(location)
    scheme = text.split("://", 1)[0] if "://" in text else None
    if scheme is None and storage_options:
        raise ParameterError("storage_options", f"are only used with a store URL (s3://..., memory://...); {text} is "
                                                f"a local path: drop them")
    try:
        return fsspec.core.url_to_fs(text, **(storage_options or {}))
    except ImportError as exc:
        raise LatentnavError(f"--out {text}: the fsspec backend for {scheme}:// is not installed ({_first(exc)}); "
                             f"install it, or use a local path") from None
    except ValueError as exc:
        if "protocol" in str(exc).lower():
            raise LatentnavError(f"--out {text}: unknown URL scheme {scheme!r}; use a local path or a scheme fsspec "
                                 f"knows (file://, memory://, s3://, gs://, ...)") from None
        raise LatentnavError(f"--out {text} cannot be used as a store location ({_first(exc)})") from None
    except TypeError as exc:
        raise ParameterError("storage_options", f"are not accepted by the {scheme}:// backend ({_first(exc)})") from None


def store_state(location, storage_options: dict | None = None) -> str:
    """What is at ``location``: ABSENT (nothing, or an empty folder), FILE, FOREIGN (not latentnav's),
    CREATING (a store whose creation never finished) or OURS (a latentnav store, possibly damaged)."""
    fs, path = filesystem(location, storage_options)
    try:
        if not fs.exists(path):
            return ABSENT
        if fs.isfile(path):
            return FILE
        names = {posixpath.basename(p.rstrip("/")) for p in fs.ls(path, detail=False)}
    except (OSError, ValueError) as exc:
        raise LatentnavError(f"cannot look at {location} ({type(exc).__name__}: {_first(exc)})") from None
    if not names:
        return ABSENT
    has_layout = "zarr.json" in names and isinstance(layout_version(fs, path), int)
    if MARKER in names:
        marker = _read_json(fs, posixpath.join(path, MARKER, "zarr.json"))
        attrs = marker.get("attributes") if isinstance(marker, dict) else None
        state = attrs.get("state") if isinstance(attrs, dict) else None
        root = _read_json(fs, posixpath.join(path, "zarr.json"))
        if state == "created" and not (isinstance(root, dict) and not has_layout):
            return OURS  # finished (its root metadata may be damaged: that needs --overwrite, not a silent rebuild)
        return OURS if state is None and has_layout else CREATING
    return OURS if has_layout else FOREIGN


def layout_version(fs, path: str):
    """The ``latentnav_layout`` attribute of the group at ``path`` (None when unreadable or absent)."""
    meta = _read_json(fs, posixpath.join(path, "zarr.json"))
    attrs = meta.get("attributes") if isinstance(meta, dict) else None
    return attrs.get(LAYOUT_KEY) if isinstance(attrs, dict) else None


def refuse_unless_store(location, state: str) -> None:
    """Raise the one-line error for a location that holds something latentnav did not write."""
    if state == FILE:
        raise LatentnavError(f"--out {location} is a file; give a directory name for the store, such as "
                             f"{str(location).rstrip('/')}.zarr")
    if state == FOREIGN:
        raise LatentnavError(f"--out {location} is a non-empty directory that is not a latentnav store; choose "
                             f"another --out (latentnav never deletes what it did not write)")


def begin_creation(location, storage_options: dict | None, overwrite: bool) -> None:
    """Make ``location`` an empty folder holding only the marker (state ``creating``).

    A half-created store is always rebuilt; a finished one only with ``overwrite``; anything else is refused.
    """
    state = store_state(location, storage_options)
    refuse_unless_store(location, state)
    if state == OURS and not overwrite:
        raise LatentnavError(f"store {location} already exists; pass --overwrite to replace it or choose another --out")
    fs, path = filesystem(location, storage_options)
    try:
        if state in (OURS, CREATING):
            fs.rm(path, recursive=True)
        fs.makedirs(path, exist_ok=True)
        _write_marker(fs, path, "creating")
    except OSError as exc:
        raise LatentnavError(f"cannot create store {location} ({exc.strerror or _first(exc)}); free space or "
                             f"choose another --out, then re-run") from None
    except (ValueError, NotImplementedError) as exc:  # fsspec's read-only filesystems (data:, http:, zip:, ...)
        raise LatentnavError(f"cannot create store {location}: its filesystem cannot be written ({_first(exc)}); "
                             f"choose a local path or a writable URL as --out") from None


def finish_creation(location, storage_options: dict | None) -> None:
    """Mark the store at ``location`` fully created."""
    fs, path = filesystem(location, storage_options)
    _write_marker(fs, path, "created")


def _write_marker(fs, path: str, state: str) -> None:
    attrs = {"latentnav_store": 1, "state": state, "written_by": f"latentnav {__version__}"}
    body = json.dumps({"zarr_format": 3, "node_type": "group", "attributes": attrs}) + "\n"
    fs.makedirs(posixpath.join(path, MARKER), exist_ok=True)
    fs.pipe_file(posixpath.join(path, MARKER, "zarr.json"), body.encode())


def _read_json(fs, path: str):
    try:
        return json.loads(fs.cat_file(path))
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _first(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
