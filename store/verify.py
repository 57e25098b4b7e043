"""Checking a store's finished chunks: every chunk marked done must exist and decode.

:func:`find_missing_chunks` only asks the store whether each done chunk's files exist (cheap; run on every resume).
:func:`verify_store` also reads and decompresses every done chunk (``latentnav verify``), which catches truncated
or corrupted files. Bad chunks get their done flags cleared (images and effects), so the next ``traverse`` or
``effects`` recomputes exactly those chunks and touches nothing else.
"""

import numpy as np
import zarr
from zarr.core.sync import sync

from store.effects_store import ARRAYS as EFFECT_ARRAYS
from store.effects_store import GROUP as EFFECTS, effects_done, has_effects
from store.traversal_store import TraversalStore

CHUNKED = ("images", "reconstructions")


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


def _check(store: TraversalStore, arrays: list[zarr.Array], chunks: list[int], full: bool) -> list[int]:
    bad = []
    for k in chunks:
        start, stop = store.chunk_bounds(k)
        for arr in arrays:
            if not _chunk_exists(arr, k) or (full and not _chunk_decodes(arr, start, stop)):
                bad.append(k)
                break
    return bad


def find_bad_chunks(store: TraversalStore, full: bool = True) -> tuple[list[int], list[int]]:
    """Done chunks whose files are missing (or, with ``full``, do not decode): ``(image_chunks, effect_chunks)``."""
    done = [int(k) for k in np.nonzero(store.done_flags())[0]]
    bad_images = _check(store, [store.group[name] for name in CHUNKED], done, full)
    bad_effects = []
    if has_effects(store):
        group = store.group[EFFECTS]
        effect_done = [int(k) for k in np.nonzero(effects_done(store))[0]]
        bad_effects = _check(store, [group[name] for name in EFFECT_ARRAYS], effect_done, full)
    return bad_images, bad_effects


def clear_bad_chunks(store: TraversalStore, bad_images: list[int], bad_effects: list[int]) -> None:
    """Clear the done flags of bad chunks (a bad image chunk also loses its effects) and the complete marks."""
    for k in bad_images:
        store.group["done"][k] = False
    if has_effects(store):
        for k in set(bad_images) | set(bad_effects):
            store.group[EFFECTS]["done"][k] = False
    if bad_images:
        store.group.attrs["complete"] = False
    if bad_images or bad_effects:
        store.group.attrs["effects_complete"] = False


def verify_store(store: TraversalStore, full: bool = True) -> tuple[list[int], list[int]]:
    """Find bad chunks and clear their flags; returns ``(image_chunks, effect_chunks)`` that were bad."""
    bad_images, bad_effects = find_bad_chunks(store, full)
    clear_bad_chunks(store, bad_images, bad_effects)
    return bad_images, bad_effects
