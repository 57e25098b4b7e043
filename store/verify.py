"""Checking a store's finished chunks: every chunk marked done must exist and decode.

:func:`find_bad_chunks` with ``full=False`` only asks the store whether each done chunk's files exist (cheap; run on
every resume); with ``full=True`` (``latentnav verify``) it also reads and decompresses every done chunk, which
catches truncated or corrupted files. Bad chunks get their done flags cleared (images and effects), so the next
``traverse`` or ``effects`` recomputes exactly those chunks and touches nothing else.
"""

import numpy as np
import zarr
from zarr.core.sync import sync

from latentnav.store.layout import CHUNKED, EFFECTS, EFFECTS_DONE


def _chunk_exists(arr: zarr.Array, k: int) -> bool:
    key = arr.metadata.encode_chunk_key((k,) + (0,) * (arr.ndim - 1))
    path = f"{arr.store_path.path}/{key}" if arr.store_path.path else key
    return bool(sync(arr.store_path.store.exists(path)))


def _chunk_decodes(arr: zarr.Array, start: int, stop: int) -> bool:
    try:
        arr[start:stop]
    except Exception:  # a truncated or corrupted chunk fails to decompress or has the wrong size
        return False
    return True


def _check(store, arrays: list[zarr.Array], chunks: list[int], full: bool) -> list[int]:
    bad = []
    for k in chunks:
        start, stop = store.chunk_bounds(k)
        for arr in arrays:
            if not _chunk_exists(arr, k) or (full and not _chunk_decodes(arr, start, stop)):
                bad.append(k)
                break
    return bad


def find_bad_chunks(store, full: bool = True) -> tuple[list[int], list[int]]:
    """Done chunks of a :class:`TraversalStore` whose files are missing or (``full``) do not decode.

    Returns ``(image_chunks, effect_chunks)``.
    """
    group = store.group
    done = [int(k) for k in np.nonzero(store.done_flags())[0]]
    bad_images = _check(store, [group[name] for name in CHUNKED], done, full)
    bad_effects = []
    if store.has_effects():
        effect_done = [int(k) for k in np.nonzero(store.effects_done())[0]]
        bad_effects = _check(store, [group[name] for name in EFFECTS], effect_done, full)
    return bad_images, bad_effects


def clear_bad_chunks(store, bad_images: list[int], bad_effects: list[int]) -> None:
    """Clear the done flags of bad chunks (a bad image chunk also loses its effects) and the complete marks."""
    group = store.group
    for k in bad_images:
        group["done"][k] = False
    if store.has_effects():
        for k in set(bad_images) | set(bad_effects):
            group[EFFECTS_DONE][k] = False
    changed = {}
    if bad_images:
        changed["complete"] = False
    if bad_images or bad_effects:
        changed["effects_complete"] = False
    if changed:
        store.update_attrs(changed)
