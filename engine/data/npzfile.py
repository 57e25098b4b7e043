"""Read arrays from an ``.npz`` file safely: no unpickling, memory-mapping of uncompressed members, one-line errors.

An ``.npz`` is a zip archive of ``.npy`` members. ``np.load`` of an npz ignores ``mmap_mode`` and reads a whole member
into memory. A member stored uncompressed (``np.savez``, as the official dSprites file) is a plain ``.npy`` byte range
inside the zip, so :func:`npz_arrays` returns it as :class:`~latentnav.data.npyrows.NpyRows` at its offset instead
(the offset comes from the member's local zip header, whose zip64 extra field numpy always writes): indexing it
reads only the rows asked for. A compressed member (``np.savez_compressed``), an encrypted one, a Fortran-order one
or one in the rare ``.npy`` format 3.0 falls back to ``np.load`` of that member, i.e. the whole array in memory.

Every problem with the file (missing, not a zip, truncated, a missing key, pickled objects, a wrong shape or dtype)
raises :class:`~latentnav.errors.LatentnavError` with one line: the file, the key, what was expected, what came and
the fix (the caller's ``hint``). Nothing here ever unpickles: object arrays are refused from their header.
"""

import os
import struct
import zipfile
import zlib

import numpy as np

from latentnav.data.npyrows import NpyRows
from latentnav.errors import LatentnavError

_LOCAL_HEADER = b"PK\x03\x04"


def file_error(path, problem: str, hint: str) -> LatentnavError:
    """The one-line error ``\\`path\\` <problem>; <hint>`` (newlines inside ``problem`` become spaces)."""
    return LatentnavError(" ".join(f"`{path}` {problem}; {hint}".split()))


def check_array(arr, path, key: str, hint: str, *, shape: tuple, dtypes: tuple[str, ...], dtype_text: str) -> None:
    """Raise the one-line error unless ``arr`` has ``shape`` and one of ``dtypes``.

    Parameters
    ----------
    arr : ndarray
    path, key, hint : str
        The file, the key, and the fix to append to the message.
    shape : tuple of int or str
        Expected shape; an int must match, a str (``"N"``) stands for any length and names it in the message.
    dtypes : tuple of str
        Accepted dtypes: a one-letter string is a numpy kind (``"i"``, ``"u"``, ``"f"``), else a dtype name.
    dtype_text : str
        The expected dtypes in words (``uint8``, ``an integer dtype``).
    """
    want = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
    if arr.ndim != len(shape) or any(isinstance(s, int) and s != a for s, a in zip(shape, arr.shape)):
        raise file_error(path, f"key '{key}' has shape {arr.shape}; expected {want}", hint)
    ok = any(arr.dtype.kind == d if len(d) == 1 else arr.dtype == np.dtype(d) for d in dtypes)
    if not ok:
        raise file_error(path, f"key '{key}' has dtype {arr.dtype}; expected {dtype_text}", hint)


def npz_arrays(path, hint: str, required: tuple[str, ...], optional: tuple[str, ...] = (),
               lazy: tuple[str, ...] = ()) -> dict[str, np.ndarray | NpyRows]:
    """The arrays ``required`` (and those of ``optional`` present) of the npz at ``path``, never unpickling.

    Parameters
    ----------
    path : str or Path
    hint : str
        How to fix a bad file (which file to pass); ends every error message.
    required, optional : tuple of str
        Keys to read; a missing required key raises, a missing optional one is left out of the result.
    lazy : tuple of str
        Keys to leave in the file as :class:`NpyRows` when stored uncompressed; others are loaded into memory.

    Returns
    -------
    dict of str to ndarray or NpyRows
    """
    path = str(path)
    if not os.path.exists(path):
        raise file_error(path, "does not exist", f"check the path; {hint}")
    if os.path.isdir(path):
        raise file_error(path, "is a directory, not an npz file", hint)
    try:
        with zipfile.ZipFile(path) as zf:
            members = {_key(info.filename): info for info in zf.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise file_error(path, f"is not a readable npz file (a zip archive of .npy arrays): it is another kind "
                         f"of file or it is truncated ({type(err).__name__}: {err})", hint) from None
    for key in required:
        if key not in members:
            have = ", ".join(sorted(members)) or "none"
            raise file_error(path, f"has no key '{key}' (its keys: {have})", hint)
    out = {}
    for key in (*required, *(k for k in optional if k in members)):
        out[key] = _member(path, key, members[key], hint, key in lazy)
    return out


def _key(filename: str) -> str:
    return filename[:-4] if filename.endswith(".npy") else filename


def _member(path: str, key: str, info: zipfile.ZipInfo, hint: str, lazy: bool) -> np.ndarray | NpyRows:
    try:
        if lazy and info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 1:
            rows = _rows_member(path, key, info, hint)
            if rows is not None:
                return rows
        with np.load(path, allow_pickle=False) as npz:
            return npz[key]
    except LatentnavError:
        raise
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise file_error(path, f"key '{key}' holds pickled Python objects (dtype object); expected a numeric "
                             "array (pickled data is never loaded, it could run code)", hint) from None
        raise file_error(path, f"key '{key}' is not a readable .npy array ({err})", hint) from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, zlib.error) as err:
        raise file_error(path, f"key '{key}' cannot be read, the file is damaged or truncated "
                         f"({type(err).__name__}: {err})", hint) from None


def _rows_member(path: str, key: str, info: zipfile.ZipInfo, hint: str) -> NpyRows | None:
    """An uncompressed ``.npy`` member left in the file; None for a Fortran-order one or format other than 1.0, 2.0."""
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        local = f.read(30)
        if len(local) < 30 or local[:4] != _LOCAL_HEADER:
            raise file_error(path, f"key '{key}' has no valid zip entry header: the file is damaged", hint)
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        f.seek(start)
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            return None
        offset = f.tell()
    if dtype.hasobject:
        raise ValueError("Object arrays cannot be loaded when allow_pickle=False")
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if offset + nbytes > start + info.file_size or offset + nbytes > os.path.getsize(path):
        raise file_error(path, f"key '{key}' is truncated: its header announces {shape} {dtype} "
                         f"({nbytes} bytes) but the member is shorter", hint)
    if fortran or not shape:
        return None
    return NpyRows(path=path, offset=offset, shape=tuple(int(s) for s in shape), dtype=dtype)
