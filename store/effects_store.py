"""The ``effects/`` group of a traversal store: per-image effects, chunked like the images, with their own done flags.

| array | shape | dtype | dimension_names |
|---|---|---|---|
| ``effects/pixel_change`` | (N, D, S) | float32 | input, dim, step |
| ``effects/classes`` | (N, D, S) | int16 | input, dim, step |
| ``effects/class_prob`` | (N, D, S) | float32 | input, dim, step |
| ``effects/morphometrics`` | (N, D, S, M) | float32 | input, dim, step, measure |
| ``effects/recon_class`` | (N,) | int16 | input |
| ``effects/recon_prob`` | (N,) | float32 | input |
| ``effects/recon_morphometrics`` | (N, M) | float32 | input, measure |
| ``effects/done`` | (chunks,) | bool | chunk |

A chunk's effects flag is set after its effects are written, so effects resume like images.
"""

import numpy as np
from zarr.codecs import ZstdCodec

from store.failpoints import failpoint
from store.layout import ZSTD_LEVEL
from store.traversal_store import TraversalStore

GROUP = "effects"
# name -> (trailing dims after input: "DS" = (D, S), "DSM", "", "M"; dtype; dimension names)
ARRAYS = {
    "pixel_change": ("DS", "float32", ("input", "dim", "step")),
    "classes": ("DS", "int16", ("input", "dim", "step")),
    "class_prob": ("DS", "float32", ("input", "dim", "step")),
    "morphometrics": ("DSM", "float32", ("input", "dim", "step", "measure")),
    "recon_class": ("", "int16", ("input",)),
    "recon_prob": ("", "float32", ("input",)),
    "recon_morphometrics": ("M", "float32", ("input", "measure")),
}


def has_effects(store: TraversalStore) -> bool:
    return GROUP in store.group


def ensure_effects(store: TraversalStore, measures: list[str]) -> None:
    """Create the ``effects`` group (empty, no chunk done) unless it exists."""
    if has_effects(store):
        return
    n, d, s = store.group["images"].shape[:3]
    c = store.chunk_size
    sizes = {"D": d, "S": s, "M": len(measures)}
    group = store.group.create_group(GROUP, attributes={"measures": list(measures)})
    for name, (trail, dtype, dims) in ARRAYS.items():
        shape = (n, *(sizes[t] for t in trail))
        group.create_array(name, shape=shape, chunks=(c, *shape[1:]), dtype=dtype, fill_value=0,
                           compressors=(ZstdCodec(level=ZSTD_LEVEL),), dimension_names=dims)
    group.create_array("done", shape=(store.n_chunks,), chunks=(1,), dtype=bool, fill_value=False,
                       compressors=None, dimension_names=("chunk",))


def effects_done(store: TraversalStore) -> np.ndarray:
    """Effects flag per chunk, (n_chunks,) bool (all False without an effects group)."""
    if not has_effects(store):
        return np.zeros(store.n_chunks, dtype=bool)
    return np.asarray(store.group[GROUP]["done"][:], dtype=bool)


def effects_pending(store: TraversalStore) -> list[int]:
    """Chunks whose images are done but whose effects are not."""
    return [int(k) for k in np.nonzero(store.done_flags() & ~effects_done(store))[0]]


def write_effects(store: TraversalStore, k: int, arrays: dict) -> None:
    """Write chunk ``k``'s effects (name -> array with the chunk's inputs first), then set its flag."""
    start, stop = store.chunk_bounds(k)
    group = store.group[GROUP]
    for name in ARRAYS:
        group[name][start:stop] = arrays[name]
    failpoint("effects_written", k)
    group["done"][k] = True


def read_effects(store: TraversalStore) -> dict:
    """Every effects array as numpy (name -> array over all N inputs), plus ``measures``."""
    group = store.group[GROUP]
    out = {name: group[name][...] for name in ARRAYS}
    out["measures"] = list(group.attrs["measures"])
    return out
