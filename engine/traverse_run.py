"""The traversal job: checkpoint + dataset -> encoded latents -> chunked batched traversal -> zarr store.

Chunks that are already done in the store are skipped, so re-running the same command resumes; the writer
thread compresses and writes chunk k while chunk k+1 is decoded.
"""

import hashlib
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from engine.chunking import bytes_per_input, compute_in_batches, plan_chunk_size
from engine.devices import compute_threads, describe_device, resolve_device, thread_count
from engine.effects import as_uint8, classify_chunk, measure_chunk
from engine.effects_run import fill_effects
from engine.encoding import encode_inputs
from engine.grid import GridConfig, traversal_values
from engine.morphometrics import MEASURES
from engine.traversal import DEFAULT_BLOCK_ROWS, NonFiniteDecoderOutput, reconstruct, traverse_chunk
from models.checkpoint import LoadedModel, load_checkpoint
from models.datasets import Dataset, load_dataset
from models.errors import LatentnavError
from models.progress import bar_options
from store.effects_store import ensure_effects, write_effects
from store.failpoints import failpoint
from store.traversal_store import StoreContents, TraversalStore
from store.verify import verify_store
from store.writer import ChunkWriter


@dataclass(frozen=True)
class TraverseConfig:
    """What to traverse and how; validated on construction.

    ``inputs`` (dataset indices) and ``limit`` (the first N) are exclusive; neither means every input.
    ``dims`` None means every latent dimension. ``chunk_size`` None means planned from memory.
    """

    grid: GridConfig = GridConfig()
    inputs: tuple[int, ...] | None = None
    limit: int | None = None
    dims: tuple[int, ...] | None = None
    dtype: str = "uint8"
    chunk_size: int | None = None
    memory_budget: int | None = None
    block_rows: int = DEFAULT_BLOCK_ROWS
    torch_threads: int | None = None
    effects: bool = True

    def __post_init__(self):
        if self.inputs is not None and self.limit is not None:
            raise LatentnavError("--inputs and --limit exclude each other; give one")
        if self.inputs is not None and len(self.inputs) == 0:
            raise LatentnavError("--inputs is empty; give indices such as 12,19")
        if self.limit is not None and self.limit < 1:
            raise LatentnavError(f"--limit must be >= 1, got {self.limit}")
        if self.dims is not None and (len(self.dims) == 0 or len(set(self.dims)) != len(self.dims)):
            raise LatentnavError(f"--dims must list distinct dimensions, got {self.dims}")
        if self.dtype not in ("uint8", "float32"):
            raise LatentnavError(f"--dtype {self.dtype!r} is unknown; choose uint8 or float32")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise LatentnavError(f"--chunk-size must be >= 1 or auto, got {self.chunk_size}")
        if self.block_rows < 1:
            raise LatentnavError(f"block_rows must be >= 1, got {self.block_rows}")
        if self.torch_threads is not None and self.torch_threads < 1:
            raise LatentnavError(f"--threads must be >= 1, got {self.torch_threads}")


@dataclass(frozen=True)
class TraverseResult:
    """Summary of a traversal run."""

    store: str
    n_inputs: int
    n_images: int
    images_computed: int
    chunks_computed: int
    seconds: float
    device: str
    disk_bytes: int
    image_bytes: int
    resumed: bool

    @property
    def images_per_second(self) -> float:
        return self.images_computed / self.seconds if self.seconds > 0 else float("nan")

    @property
    def compression_ratio(self) -> float:
        return self.image_bytes / self.disk_bytes if self.disk_bytes else float("nan")


def select_inputs(data: Dataset, config: TraverseConfig) -> np.ndarray:
    """Dataset indices (n,) int64 to traverse; out-of-range indices are an error."""
    n = len(data)
    if config.inputs is not None:
        idx = np.asarray(config.inputs, dtype=np.int64)
        bad = idx[(idx < 0) | (idx >= n)]
        if len(bad):
            raise LatentnavError(f"--inputs {bad.tolist()[:5]} out of range: {data.name} {data.split} has {n} inputs (0..{n - 1})")
        return idx
    return np.arange(n if config.limit is None else min(config.limit, n), dtype=np.int64)


def run_traverse(checkpoint: str | Path, dataset: str, out: str | Path, config: TraverseConfig = TraverseConfig(), *,
                 split: str = "test", device: str = "auto", overwrite: bool = False, progress: bool = True,
                 data_dir=None, download: bool = False, model_class: str | None = None,
                 storage_options: dict | None = None, scheduler: str | None = None,
                 workers: int | None = None) -> TraverseResult:
    """Traverse ``dataset``'s inputs with the model of ``checkpoint`` into the store ``out`` (resuming it)."""
    torch_device = resolve_device(device)
    model = load_checkpoint(checkpoint, model_class=model_class)
    data = load_dataset(dataset, split, data_dir=data_dir, download=download)
    return traverse_dataset(model, data, out, config, device=torch_device, overwrite=overwrite, progress=progress,
                            storage_options=storage_options, scheduler=scheduler, workers=workers)


def traverse_dataset(model: LoadedModel, data: Dataset, out: str | Path, config: TraverseConfig = TraverseConfig(), *,
                     device: torch.device = torch.device("cpu"), overwrite: bool = False, progress: bool = True,
                     storage_options: dict | None = None, scheduler: str | None = None,
                     workers: int | None = None) -> TraverseResult:
    """Traverse the inputs of an in-memory ``data`` record with a loaded model into the store ``out``.

    With ``scheduler`` (``local`` or ``tcp://HOST:PORT``) the pending chunks are sharded over Dask workers.
    Encoding and decoding run with :func:`engine.devices.compute_threads` threads, so a run is reproducible.
    """
    with thread_count(compute_threads(device, config.torch_threads)):
        return _traverse_dataset(model, data, out, config, device, overwrite, progress, storage_options, scheduler,
                                 workers)


def _traverse_dataset(model, data, out, config, device, overwrite, progress, storage_options, scheduler,
                      workers) -> TraverseResult:
    if data.inputs.shape[1] != model.input_dim:
        raise LatentnavError(f"{data.name} images have {data.inputs.shape[1]} values but the model expects {model.input_dim}")
    dims = _check_dims(config.dims, model.latent_dim)
    index = select_inputs(data, config)
    model.model.to(device)
    z_all = encode_inputs(model, data.inputs[index], device, index)
    stats = z_all if config.grid.mode == "fixed" else encode_inputs(model, data.inputs, device)
    values = traversal_values(config.grid, stats)
    itemsize = 1 if config.dtype == "uint8" else 4
    per_input = bytes_per_input(len(dims), config.grid.steps, model.input_dim, itemsize, model.latent_dim)
    chunk = config.chunk_size or plan_chunk_size(len(index), per_input, device, config.memory_budget)
    contents = StoreContents(
        latents=z_all, labels=data.labels[index], input_index=index, values=values, dims=tuple(dims),
        image_shape=data.image_shape, chunk_size=chunk, dtype=config.dtype,
        identity=_identity(model, data, index, config, dims),
    )
    store, resumed = TraversalStore.open_or_create(out, contents, overwrite=overwrite, storage_options=storage_options)
    if resumed:
        verify_store(store, full=False)  # a done chunk whose file was deleted is recomputed, not trusted
    store.group.attrs.update({"checkpoint": model.path, "model_kind": model.kind})
    if config.effects:
        ensure_effects(store, list(MEASURES))
    if scheduler is not None:
        from engine.distributed import fill_distributed

        threads = compute_threads(device, config.torch_threads)
        result = fill_distributed(str(out), storage_options, model, config, device, threads, scheduler, workers)
        device_text = f"{describe_device(device).split(' (')[0]} on dask workers ({threads} thread(s) each)"
    else:
        device_text, result = fill_store(store, model, config, device, progress)
    return TraverseResult(store=str(out), n_inputs=len(index), n_images=len(index) * len(dims) * config.grid.steps,
                          images_computed=result[0], chunks_computed=result[1], seconds=result[2],
                          device=device_text, disk_bytes=store.disk_bytes(),
                          image_bytes=store.image_bytes(), resumed=resumed)


def fill_store(store: TraversalStore, model: LoadedModel, config: TraverseConfig, device: torch.device,
               progress: bool = True, chunks: list[int] | None = None) -> tuple[str, tuple[int, int, float]]:
    """Compute the pending chunks (of ``chunks``, default all) and their effects, with the thread policy set.

    Returns ``(device description, (images computed, chunks computed, seconds))``.
    """
    with thread_count(compute_threads(device, config.torch_threads)):
        device_text = describe_device(device)
        result = _fill(store, model, config, device, progress, chunks)
        if config.effects:
            fill_effects(store, model, device, progress=progress, block_rows=config.block_rows, chunks=chunks)
    return device_text, result


def _fill(store: TraversalStore, model: LoadedModel, config: TraverseConfig, device: torch.device, progress: bool,
          chunks: list[int] | None) -> tuple[int, int, float]:
    """Compute and write the pending chunks (of ``chunks``); return (images computed, chunks computed, seconds)."""
    wanted = None if chunks is None else set(chunks)
    pending = [k for k in store.pending_chunks() if wanted is None or k in wanted]
    z_all, values, dims = store.group["latents"][:], store.group["values"][:], store.dims
    per_input = len(dims) * config.grid.steps
    todo = sum(stop - start for start, stop in map(store.chunk_bounds, pending)) * per_input
    dtype = torch.uint8 if config.dtype == "uint8" else torch.float32
    values_t = torch.from_numpy(values).to(device)
    dims_t = torch.tensor(dims, dtype=torch.long, device=device)
    h, w = store.group["images"].shape[-2:]
    input_index = store.group["input_index"][:]
    bar = tqdm(total=int(todo), unit="img", unit_scale=True, desc="traverse", smoothing=0.1,
               **bar_options(progress))
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
            images = images.view(stop - start, len(dims), -1, h, w).cpu().numpy()
            recon = recon.view(-1, h, w).cpu().numpy()
            classified = None
            if config.effects:  # torch half here; the numba half runs in the writer thread
                classified = classify_chunk(model, as_uint8(images), as_uint8(recon), device, config.block_rows)
            writer.submit(k, stop - start, (images, recon, classified))
    seconds = time.perf_counter() - start_time
    if store.done_flags().all():
        store.set_complete({"last_run_seconds": round(seconds, 3), "last_run_device": describe_device(device)})
    return int(todo), len(pending), seconds


def _write(store: TraversalStore, k: int, payload: tuple) -> None:
    """Writer-thread side: the chunk's images and done flag, then its effects and their flag."""
    images, recon, classified = payload
    store.write_chunk(k, images, recon)
    if classified is not None:
        write_effects(store, k, asdict(measure_chunk(as_uint8(images), as_uint8(recon), classified)))


def _check_dims(dims: tuple[int, ...] | None, latent_dim: int) -> list[int]:
    if dims is None:
        return list(range(latent_dim))
    bad = [d for d in dims if not 0 <= d < latent_dim]
    if bad:
        raise LatentnavError(f"--dims {bad} out of range: the model has {latent_dim} latent dimensions (0..{latent_dim - 1})")
    return list(dims)


def _identity(model: LoadedModel, data: Dataset, index: np.ndarray, config: TraverseConfig, dims: list[int]) -> dict:
    """What must match for a store to be resumed."""
    return {
        "model": {"kind": model.kind, "sha256": model.sha256, "latent_dim": model.latent_dim},
        "dataset": {"name": data.name, "split": data.split, "n_inputs": int(len(index)),
                    "inputs_sha256": hashlib.sha256(index.tobytes()).hexdigest()},
        "grid": asdict(config.grid),
        "dims": list(dims),
        "dtype": config.dtype,
        "block_rows": config.block_rows,
    }
