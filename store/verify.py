"""Checking a store: every array, every chunk; the done flags of exactly the input chunks that damage touches.

:func:`find_damage` with ``full=False`` (run on every resume) checks that the chunk files exist: the images and
reconstructions of every done chunk, the effects of every chunk whose effects are done, and every chunk of
``input``, ``latents``, ``labels`` and the coordinates, plus the (one-byte) flags themselves. With ``full=True``
(``latentnav verify``) it also reads every one of those chunks back, which checks its CRC32C checksum
(:mod:`latentnav.store.codecs`) and so catches flipped bytes, truncated files and garbage.

:func:`clear_damage` then clears the ``done`` (and ``effects_done``) flags of the input chunks any damage touches:

| damage | what is cleared | what the next run does |
|---|---|---|
| an ``images`` / ``reconstructions`` chunk of a done chunk | its done and effects flags | ``traverse`` decodes it again |
| an effects chunk of a chunk whose effects are done | its effects flag | ``traverse`` / ``effects`` recompute them |
| an ``input`` / ``latents`` / ``labels`` chunk | its done and effects flags | ``traverse`` rewrites it from the freshly encoded inputs, then decodes the chunk again |
| ``latent`` / ``dim`` / ``step`` / ``value`` | the ``complete`` mark | ``traverse`` rewrites it (nothing to decode again) |
| a damaged ``done`` / ``effects_done`` flag | rewritten as not done | that chunk is computed again |

Damaged metadata (a ``zarr.json``) is refused when the store is opened (re-run with ``--overwrite``).
"""

import numpy as np

from latentnav.store.chunks import bad_chunks, read_flags
from latentnav.store.interface import Damage
from latentnav.store.layout import CHUNKED, EFFECTS, EFFECTS_DONE, INPUT_ARRAYS, WHOLE


def find_damage(store, full: bool = True) -> Damage:
    """Missing (and, with ``full``, damaged) chunks of every array of a :class:`TraversalStore`.

    Returns a :class:`Damage` whose ``images`` and ``effects`` are the chunks whose flags must be cleared.
    """
    group = store.group
    arrays: dict[str, list[int]] = {}
    done, bad_done = read_flags(group["done"])
    if bad_done:
        arrays["done"] = bad_done
    every_chunk = range(store.n_chunks)
    for name in INPUT_ARRAYS:  # written at creation: every chunk must be there, done or not
        arrays[name] = bad_chunks(group[name], every_chunk, full)
    for name in WHOLE:
        arrays[name] = bad_chunks(group[name], [0], full)
    finished = np.nonzero(done)[0]
    for name in CHUNKED:
        arrays[name] = bad_chunks(group[name], finished, full)
    images = set(bad_done)
    for name in (*INPUT_ARRAYS, *CHUNKED):
        images.update(arrays[name])
    effects = set()
    if store.has_effects():
        effect_flags, bad_effect_flags = read_flags(group[EFFECTS_DONE])
        if bad_effect_flags:
            arrays[EFFECTS_DONE] = bad_effect_flags
        effects.update(bad_effect_flags)
        for name in EFFECTS:
            arrays[name] = bad_chunks(group[name], np.nonzero(effect_flags)[0], full)
            effects.update(arrays[name])
    return Damage(images=sorted(images), effects=sorted(effects),
                  arrays={name: chunks for name, chunks in arrays.items() if chunks})


def clear_damage(store, damage: Damage) -> None:
    """Clear the flags ``damage`` names and the ``complete`` marks it invalidates (flags are rewritten as False)."""
    group = store.group
    for k in damage.images:
        group["done"][k] = False
    if store.has_effects():
        for k in sorted(set(damage.images) | set(damage.effects)):
            group[EFFECTS_DONE][k] = False
    changed = {}
    if damage.images or any(name in damage.arrays for name in WHOLE):
        changed["complete"] = False
    if damage.images or damage.effects:
        changed["effects_complete"] = False
    if changed:
        store.update_attrs(changed)
