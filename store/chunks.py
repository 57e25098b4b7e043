"""Chunk-level reads of a zarr array that tell a missing or damaged chunk apart from data.

zarr returns the fill value for a chunk whose file is missing, and raises (a checksum error, with the CRC32C codec
every latentnav array ends with) for a chunk whose bytes are damaged. These helpers turn both into answers the
store's checks can act on: :func:`chunk_exists`, :func:`chunk_state` and :func:`read_flags`, which reads a flags
array (``done``, ``effects_done``) even when some flag chunks are damaged (a damaged flag reads as not done).
"""

import numpy as np
import zarr
from zarr.core.sync import sync

OK, MISSING, DAMAGED = "ok", "missing", "damaged"
WHOLE_READ_BYTES = 64 * 2**20


def dense(arr: zarr.Array) -> zarr.Array:
    """``arr`` with zarr's empty-chunk scan off: every written chunk gets a file, even when it equals the fill value.

    Arrays whose chunks must exist to count as written (everything but the flags) are written this way, so a
    missing chunk file always means damage; it is also faster (no comparison with the fill value).
    """
    if hasattr(arr, "with_config"):  # zarr >= 3.1.6
        return arr.with_config({"write_empty_chunks": True})
    # zarr 3.1.0 - 3.1.5: the same array handle built from its parts (the supported lower bound, constraints-min.txt)
    from dataclasses import replace

    from zarr.core.array import AsyncArray

    inner = arr._async_array
    config = replace(getattr(inner, "config", None) or inner._config, write_empty_chunks=True)
    return zarr.Array(AsyncArray(inner.metadata, inner.store_path, config=config))


def _key(arr: zarr.Array, k: int) -> str:
    key = arr.metadata.encode_chunk_key((k,) + (0,) * (arr.ndim - 1))
    return f"{arr.store_path.path}/{key}" if arr.store_path.path else key


def chunk_exists(arr: zarr.Array, k: int) -> bool:
    """True when chunk ``k`` along the first axis (chunks along the first axis only) has a file in the store."""
    return bool(sync(arr.store_path.store.exists(_key(arr, k))))


def present_chunks(arr: zarr.Array) -> set[int]:
    """Indices of the chunks (along the first axis) that have a file, from one listing of the array's keys."""
    async def listing():
        prefix = f"{arr.store_path.path}/" if arr.store_path.path else ""
        return {key async for key in arr.store_path.store.list_prefix(prefix)}

    keys = sync(listing())
    return {k for k in range(n_chunks(arr)) if _key(arr, k) in keys}


def n_chunks(arr: zarr.Array) -> int:
    """Chunks along the first axis."""
    return -(-arr.shape[0] // arr.chunks[0]) if arr.shape[0] else 0


def chunk_rows(arr: zarr.Array, k: int) -> tuple[int, int]:
    """Rows ``[start, stop)`` of chunk ``k`` along the first axis."""
    size = arr.chunks[0]
    return k * size, min((k + 1) * size, arr.shape[0])


def chunk_state(arr: zarr.Array, k: int, full: bool = True, present: set[int] | None = None) -> str:
    """:data:`OK`, :data:`MISSING` (no file) or, with ``full``, :data:`DAMAGED` (the file fails to decode).

    Decoding checks the CRC32C checksum, the decompression and the decoded size. ``present`` (from
    :func:`present_chunks`) saves asking the store about each chunk.
    """
    if not (k in present if present is not None else chunk_exists(arr, k)):
        return MISSING
    if full:
        start, stop = chunk_rows(arr, k)
        try:
            arr[start:stop]
        except Exception:  # checksum mismatch, corrupt compressed stream, wrong size: the bytes are not the data
            return DAMAGED
    return OK


def bad_chunks(arr: zarr.Array, chunks, full: bool) -> list[int]:
    """Those of ``chunks`` that are missing or (``full``) fail to decode, with one listing of the array's keys.

    In full mode a small array (the latents, labels, coordinates: up to :data:`WHOLE_READ_BYTES`) is read whole
    first, which vouches for every chunk at once in the common case; big ones (images) are read chunk by chunk,
    so memory stays at one chunk.
    """
    present = present_chunks(arr)
    chunks = [int(k) for k in chunks]
    bad = [k for k in chunks if k not in present]
    if not full or len(bad) == len(chunks):
        return bad
    if len(chunks) == n_chunks(arr) and not bad and arr.nbytes <= WHOLE_READ_BYTES:
        try:
            arr[...]
            return []
        except Exception:
            pass
    return sorted(set(bad) | {k for k in chunks if k in present and chunk_state(arr, k, True, present) == DAMAGED})


def read_flags(arr: zarr.Array) -> tuple[np.ndarray, list[int]]:
    """A flags array (one flag a chunk) as ``(flags (n,) bool, damaged chunk indices)``; damaged flags read False.

    A missing flag chunk is a flag never set (the fill value False), not damage.
    """
    try:
        return np.asarray(arr[:], dtype=bool), []
    except Exception:  # some flag chunk is damaged: read them one by one
        pass
    flags = np.zeros(arr.shape[0], dtype=bool)
    damaged = []
    for k in range(arr.shape[0]):
        try:
            flags[k] = bool(arr[k])
        except Exception:
            damaged.append(k)
    return flags, damaged
