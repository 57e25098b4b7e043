"""The effects arrays of a traversal store: per-image effects, chunked like the images, with their own done flags.

| array | shape | dtype | dimension_names |
|---|---|---|---|
| ``pixel_change`` | (N, D, S) | float32 | input, dim, step |
| ``classes`` | (N, D, S) | int16 | input, dim, step |
| ``class_prob`` | (N, D, S) | float32 | input, dim, step |
| ``morphometrics`` | (N, D, S, M) | float32 | input, dim, step, measure |
| ``recon_class`` | (N,) | int16 | input |
| ``recon_prob`` | (N,) | float32 | input |
| ``recon_morphometrics`` | (N, M) | float32 | input, measure |
| ``effects_done`` | (chunks,) | bool | chunk |

The measure names are the ``measures`` attribute of ``morphometrics``. A chunk's effects flag is set after its
effects are written, so effects resume like images. These functions work on the zarr group; jobs call them through
:class:`latentnav.store.traversal_store.TraversalStore`.
"""

import numpy as np
import zarr

from latentnav.store.chunks import dense, read_flags
from latentnav.store.codecs import DEFAULT_CODEC, compressors, flag_compressors
from latentnav.store.failpoints import failpoint
from latentnav.store.layout import EFFECT_AXES, EFFECTS, EFFECTS_DONE

EFFECT_NAMES = (*EFFECTS, EFFECTS_DONE)


def has_effects(group: zarr.Group) -> bool:
    return EFFECTS_DONE in group


def create_effects(group: zarr.Group, chunk_size: int, n_chunks: int, measures: list[str],
                   codec: str = DEFAULT_CODEC) -> None:
    """Create the effects arrays (empty, no chunk done) beside the images, with the store's codec and checksums."""
    n, d, s = group["images"].shape[:3]
    sizes = {"D": d, "S": s, "M": len(measures)}
    for name, (trail, dtype) in EFFECTS.items():
        shape = (n, *(sizes[t] for t in trail))
        dims = ("input", *(EFFECT_AXES[t] for t in trail))
        attributes = {"measures": list(measures)} if "M" in trail else {}
        group.create_array(name, shape=shape, chunks=(chunk_size, *shape[1:]), dtype=dtype, fill_value=0,
                           compressors=compressors(codec, dtype), dimension_names=dims, attributes=attributes)
    group.create_array(EFFECTS_DONE, shape=(n_chunks,), chunks=(1,), dtype=bool, fill_value=False,
                       compressors=flag_compressors(), dimension_names=("chunk",))


def effects_done(group: zarr.Group, n_chunks: int) -> np.ndarray:
    """Effects flag per chunk, (n_chunks,) bool (all False without effects; a damaged flag reads False)."""
    if not has_effects(group):
        return np.zeros(n_chunks, dtype=bool)
    return read_flags(group[EFFECTS_DONE])[0]


def write_effects(group: zarr.Group, k: int, start: int, stop: int, arrays: dict) -> None:
    """Write chunk ``k``'s effects (name -> array of its inputs ``start:stop`` first), then set its flag."""
    for name in EFFECTS:  # dense: an all-zero chunk still gets its file, so a missing file is damage
        dense(group[name])[start:stop] = arrays[name]
    failpoint("effects_written", k)
    group[EFFECTS_DONE][k] = True


def read_effects(group: zarr.Group) -> dict:
    """Every effects array as numpy (name -> array over all N inputs), plus ``measures``."""
    out = {name: group[name][...] for name in EFFECTS}
    out["measures"] = list(group["morphometrics"].attrs["measures"])
    return out
