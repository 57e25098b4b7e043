"""Filling a store: decode the pending chunks of a traversal store and write them (with their effects).

Used by the traverse job in one process and by each Dask shard task. The writer thread compresses and writes chunk
k while chunk k+1 is decoded; a chunk's done flag is set only after its data is written.

Threads (CPU): effects always run with :func:`latentnav.devices.compute_threads` (so effects computed later equal
those computed on the fly). Decoding does too, which leaves one core to the writer, unless the writer's work is
small next to the decoder's: every core decodes when the decoder spends at least
:data:`COMPUTE_BOUND_FLOPS_PER_BYTE` of the codec (and, with effects on the fly, :data:`EFFECTS_FLOPS_PER_BYTE`)
FLOPs per stored byte. The conv models spend ~1,500-4,000, the article's MLP ~280: on 2 vCPUs the MLP ran end to
end 0.33-0.48x decode-only with one decode thread and ``--codec none`` and 0.46-0.59x with two; with ``zstd``
one thread was better (0.36-0.41x vs 0.25-0.32x). The choice depends only on the model, the image size, the
options and the machine, so a resumed run decodes with the same thread count as an uninterrupted one (GEMM
results can depend on it).
"""

import math
import os
import time
from contextlib import nullcontext
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
from latentnav.traversal.batched import NonFiniteDecoderOutput, decode_chunk
from latentnav.traversal.chunking import compute_in_batches
from latentnav.traversal.config import TraverseConfig


def fill_store(store: RunStore, model: LoadedModel, config: TraverseConfig, device: torch.device,
               progress: bool = True, chunks: list[int] | None = None) -> tuple[str, tuple[int, int, float]]:
    """Compute the pending chunks (of ``chunks``, default all) and their effects, with the thread policy set.

    A run over every chunk (``chunks`` None) marks the store complete when it is; a shard leaves that to its caller.
    Returns ``(device description, (images computed, chunks computed, seconds))``.
    """
    effect_threads = compute_threads(device, config.torch_threads)
    with thread_count(effect_threads):
        with thread_count(decode_threads(model, device, config, store.image_shape)):
            device_text = describe_device(device)
            result = _fill(store, model, config, device, progress, chunks, effect_threads)
        if chunks is None and store.done_flags().all() and (result[1] or not store.complete):
            store.set_complete({"last_run_seconds": round(result[2], 3), "last_run_device": device_text})
        if config.effects:
            fill_effects(store, model, device, progress=progress, block_rows=config.block_rows, chunks=chunks)
    return device_text, result


COMPUTE_BOUND_FLOPS_PER_BYTE = {"zstd": 1000, "lz4": 250, "none": 0}  # codec -> decoder FLOPs per stored byte
EFFECTS_FLOPS_PER_BYTE = 1000  # effects on the fly keep the writer thread busy with their numba half


def decode_threads(model: LoadedModel, device: torch.device, config: TraverseConfig, image_shape: tuple) -> int:
    """Torch threads for decoding: every core for a compute-bound decoder on the CPU, else ``compute_threads``.

    ``--threads`` (``config.torch_threads``) always wins. See the module docstring.
    """
    default = compute_threads(device, config.torch_threads)
    if config.torch_threads is not None or device.type != "cpu":
        return default
    stored = math.prod(image_shape) * (1 if config.dtype == "uint8" else 4)
    threshold = max(COMPUTE_BOUND_FLOPS_PER_BYTE[config.codec], EFFECTS_FLOPS_PER_BYTE if config.effects else 0)
    if threshold and decoder_flops(model, device) < threshold * stored:
        return default
    return max(default, os.cpu_count() or 1)


def decoder_flops(model: LoadedModel, device: torch.device) -> int:
    """Multiply-add FLOPs (2 per MAC) of decoding one code, counted by hooks on its Linear and conv layers.

    Layers called as functions (or inside a TorchScript archive) are not seen, so this errs low (towards leaving
    a core to the writer); 0 when the decoder cannot be run on a zero code (reported later, where it is decoded).
    """
    macs = []

    def count(module, _inputs, output):
        if isinstance(module, torch.nn.Linear):
            macs.append(output.numel() * module.in_features)
        elif isinstance(module, torch.nn.modules.conv._ConvTransposeNd):  # every input value meets the kernel
            macs.append(_inputs[0].numel() * math.prod(module.kernel_size) * module.out_channels // module.groups)
        elif isinstance(module, torch.nn.modules.conv._ConvNd):  # every output value is one kernel's dot product
            macs.append(output.numel() * math.prod(module.kernel_size) * module.in_channels // module.groups)

    hooks = [m.register_forward_hook(count) for m in model.model.modules()
             if isinstance(m, (torch.nn.Linear, torch.nn.modules.conv._ConvNd))] if hasattr(model.model, "modules") else []
    try:
        with torch.no_grad():
            model.decode(torch.zeros(1, model.latent_dim, device=device))
    except Exception:
        return 0
    finally:
        for hook in hooks:
            hook.remove()
    return 2 * sum(macs)


def _fill(store: RunStore, model: LoadedModel, config: TraverseConfig, device: torch.device, progress: bool,
          chunks: list[int] | None, effect_threads: int) -> tuple[int, int, float]:
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
    width = math.prod(image_shape)
    input_index = store.read("input")
    bar = tqdm(total=int(todo), unit="img", unit_scale=True, desc="traverse", smoothing=0.1, **bar_options(progress))
    batch = store.chunk_size
    start_time = time.perf_counter()
    with bar, ChunkWriter(partial(_write, store), on_written=lambda k, n: bar.update(n * per_input)) as writer:
        for k in pending:
            start, stop = store.chunk_bounds(k)
            failpoint("compute", k)
            z = torch.from_numpy(z_all[start:stop]).to(device)

            recon_parts = {}  # first input of a batch -> its reconstructions (a batch that ran out of memory: none)

            def compute(a: int, b: int) -> torch.Tensor:
                try:
                    images, recon_parts[a] = decode_chunk(model.decode, z[a:b], values_t, dims_t, width,
                                                          relative=config.grid.relative, dtype=dtype,
                                                          block_rows=config.block_rows)
                except NonFiniteDecoderOutput as exc:
                    raise NonFiniteDecoderOutput([a + r for r in exc.rows]) from None
                return images

            try:
                images, batch = compute_in_batches(compute, stop - start, batch)
                recon = torch.cat([recon_parts[a] for a in sorted(recon_parts)])
            except NonFiniteDecoderOutput as exc:
                bad = input_index[[start + r for r in exc.rows]][:10].tolist()
                raise LatentnavError(f"the decoder returned NaN or Inf for dataset inputs {bad}; "
                                     f"check the checkpoint and the traversal range") from None
            images = images.view(stop - start, *values.shape, *image_shape).cpu().numpy()
            recon = recon.view(-1, *image_shape).cpu().numpy()
            classified = None
            if config.effects:  # torch half here (with the effects' threads); the numba half in the writer thread
                same = torch.get_num_threads() == effect_threads
                with nullcontext() if same else thread_count(effect_threads):
                    classified = classify_chunk(model, as_uint8(images), as_uint8(recon), device, config.block_rows)
            writer.submit(k, stop - start, (images, recon, classified))
    return int(todo), len(pending), time.perf_counter() - start_time


def _write(store: RunStore, k: int, payload: tuple) -> None:
    """Writer-thread side: the chunk's images and done flag, then its effects and their flag."""
    images, recon, classified = payload
    store.write_chunk(k, images, recon)
    if classified is not None:
        store.write_effects(k, asdict(measure_chunk(as_uint8(images), as_uint8(recon), classified)))
