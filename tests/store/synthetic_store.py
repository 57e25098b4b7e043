"""A small synthetic traversal store (no model needed) for the checksum, codec and verify tests."""

import numpy as np

from latentnav.store import StoreContents
from latentnav.store.layout import EFFECTS
from latentnav.store.traversal_store import TraversalStore

N, L, D, S, C, HW, CHUNK = 10, 4, 3, 5, 1, 6, 4  # 3 input chunks: 4, 4, 2


def contents(codec="zstd", seed=0):
    rng = np.random.default_rng(seed)
    return StoreContents(
        latents=rng.normal(size=(N, L)).astype(np.float32), labels=np.arange(N) % 3,  # chunk 0 starts with zeros
        input_index=np.arange(N, dtype=np.int64) * 2, values=np.tile(np.linspace(-3, 3, S), (D, 1)).astype(np.float32),
        dims=(0, 1, 3), image_shape=(C, HW, HW), chunk_size=CHUNK, dtype="uint8", identity={"test": 1}, codec=codec)


def images_of(k, seed=1):
    rows = min(CHUNK, N - k * CHUNK)
    rng = np.random.default_rng(seed + k)
    return (rng.integers(0, 256, size=(rows, D, S, C, HW, HW), dtype=np.uint8),
            rng.integers(0, 256, size=(rows, C, HW, HW), dtype=np.uint8))


def filled_store(path, codec="zstd", effects=True) -> TraversalStore:
    store = TraversalStore.create(path, contents(codec))
    for k in range(store.n_chunks):
        store.write_chunk(k, *images_of(k))
    if effects:
        store.ensure_effects(["ink_area", "thickness"])
        for k in range(store.n_chunks):
            start, stop = store.chunk_bounds(k)
            store.write_effects(k, {name: np.zeros((stop - start, *store.group[name].shape[1:]),
                                                   dtype=store.group[name].dtype) for name in EFFECTS})
    return store


def chunk_file(path, name, k=0):
    return next(p for p in (path / name / "c" / str(k)).rglob("*") if p.is_file()) \
        if (path / name / "c" / str(k)).is_dir() else path / name / "c" / str(k)
