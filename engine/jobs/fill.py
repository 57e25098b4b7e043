"""Filling a store: decode the pending chunks of a traversal store and write them (with their effects).

Used by the traverse job in one process and by each Dask shard task. The writer thread compresses and writes chunk
k while chunk k+1 is decoded; a chunk's done flag is set only after its data is written.
"""

import time
from dataclasses import asdict
from functools import partial

import torch
from tqdm.auto import tqdm

from latentnav.devices import compute_threads, describe_device, thread_count
from latentnav.effects.measure import as_uint8, classify_chunk, measure_chunk
from latentnav.errors import LatentnavError
from latentnav.jobs.effects import fill_effects
from latentnav.models.loaded import LoadedModel
from latentnav.progress import bar_options
from latentnav.store import RunStore
from latentnav.store.failpoints import failpoint
from latentnav.store.writer import ChunkWriter
from latentnav.traversal.batched import NonFiniteDecoderOutput, reconstruct, traverse_chunk
from latentnav.traversal.chunking import compute_in_batches
from latentnav.traversal.config import TraverseConfig


def fill_store(store: RunStore, model: LoadedModel, config: TraverseConfig, device: torch.device,
               progress: bool = True, chunks: list[int] | None = None) -> tuple[str, tuple[int, int, float]]:
    """Compute the pending chunks (of ``chunks``, default all) and their effects, with the thread policy set.

    A run over every chunk (``chunks`` None) marks the store complete when it is; a shard leaves that to its caller.
    Returns ``(device description, (images computed, chunks computed, seconds))``.
    """
    with thread_count(compute_threads(device, config.torch_threads)):
        device_text = describe_device(device)
        result = _fill(store, model, config, device, progress, chunks)
        if chunks is None and store.done_flags().all() and (result[1] or not store.complete):
            store.set_complete({"last_run_seconds": round(result[2], 3), "last_run_device": device_text})
        if config.effects:
            fill_effects(store, model, device, progress=progress, block_rows=config.block_rows, chunks=chunks)
    return device_text, result


def _fill(store: RunStore, model: LoadedModel, config: TraverseConfig, device: torch.device, progress: bool,
          chunks: list[int] | None) -> tuple[int, int, float]:
    """Compute and write the pending chunks (of ``chunks``); return (images computed, chunks computed, seconds)."""
    wanted = None if chunks is None else set(chunks)
    pending = [k for k in store.pending_chunks() if wanted is None or k in wanted]
    z_all, values, dims = store.read("latents"), store.read("value"), store.dims
    per_input = values.size
    todo = sum(stop - start for start, stop in map(store.chunk_bounds, pending)) * per_input
    dtype = torch.uint8 if config.dtype == "uint8" else torch.float32
    values_t = torch.from_numpy(values).to(device)
    dims_t = torch.tensor(dims, dtype=torch.long, device=device)
    image_shape = store.image_shape
    input_index = store.read("input")
    bar = tqdm(total=int(todo), unit="img", unit_scale=True, desc="traverse", smoothing=0.1, **bar_options(progress))
    batch = store.chunk_size
    start_time = time.perf_counter()
    with bar, ChunkWriter(partial(_write, store), on_written=lambda k, n: bar.update(n * per_input)) as writer:
        for k in pending:
            start, stop = store.chunk_bounds(k)
            failpoint("compute", k)
            z = torch.from_numpy(z_all[start:stop]).to(device)

            def compute(a: int, b: int) -> torch.Tensor:
                try:
                    return traverse_chunk(model.decode, z[a:b], values_t, dims_t, relative=config.grid.relative,
                                          dtype=dtype, block_rows=config.block_rows)
                except NonFiniteDecoderOutput as exc:
                    raise NonFiniteDecoderOutput([a + r for r in exc.rows]) from None

            try:
                recon = reconstruct(model.decode, z, dtype=dtype, block_rows=config.block_rows)
                images, batch = compute_in_batches(compute, stop - start, batch)
            except NonFiniteDecoderOutput as exc:
                bad = input_index[[start + r for r in exc.rows]][:10].tolist()
                raise LatentnavError(f"the decoder returned NaN or Inf for dataset inputs {bad}; "
                                     f"check the checkpoint and the traversal range") from None
            images = images.view(stop - start, *values.shape, *image_shape).cpu().numpy()
            recon = recon.view(-1, *image_shape).cpu().numpy()
            classified = None
            if config.effects:  # torch half here; the numba half runs in the writer thread
                classified = classify_chunk(model, as_uint8(images), as_uint8(recon), device, config.block_rows)
            writer.submit(k, stop - start, (images, recon, classified))
    return int(todo), len(pending), time.perf_counter() - start_time


def _write(store: RunStore, k: int, payload: tuple) -> None:
    """Writer-thread side: the chunk's images and done flag, then its effects and their flag."""
    images, recon, classified = payload
    store.write_chunk(k, images, recon)
    if classified is not None:
        store.write_effects(k, asdict(measure_chunk(as_uint8(images), as_uint8(recon), classified)))
