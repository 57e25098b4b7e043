"""The traversal job: checkpoint + dataset -> encoded latents -> chunked batched traversal -> traversal store.

Chunks that are already done in the store are skipped, so re-running the same command resumes (see
:mod:`latentnav.jobs.fill`); with a Dask scheduler the pending chunks are sharded over workers
(:mod:`latentnav.jobs.dask`).
"""

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from latentnav.data.datasets import Dataset, load_dataset
from latentnav.devices import compute_threads, describe_device, resolve_device, thread_count
from latentnav.effects.morphometrics import MEASURES
from latentnav.errors import LatentnavError, ParameterError
from latentnav.jobs.dask import fill_distributed
from latentnav.jobs.fill import fill_store
from latentnav.models.checkpoint import load_checkpoint
from latentnav.models.loaded import LoadedModel
from latentnav.store import StoreContents, open_or_create_store
from latentnav.traversal.chunking import bytes_per_input, plan_chunk_size
from latentnav.traversal.config import TraverseConfig, check_dims, select_inputs
from latentnav.traversal.encoding import encode_inputs, stats_rows
from latentnav.traversal.grid import traversal_values
from latentnav.traversal.range_check import check_range


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
    warnings: tuple = ()  # lines for ``latentnav: warning:`` (e.g. a range that barely moves the codes)

    @property
    def images_per_second(self) -> float:
        return self.images_computed / self.seconds if self.seconds > 0 else float("nan")

    @property
    def compression_ratio(self) -> float:
        return self.image_bytes / self.disk_bytes if self.disk_bytes else float("nan")


def run_traverse(checkpoint: str | Path, dataset: str, out: str | Path, config: TraverseConfig = TraverseConfig(), *,
                 split: str = "test", device: str = "auto", overwrite: bool = False, progress: bool = True,
                 data_dir=None, download: bool = False, model_class: str | None = None,
                 model_kwargs: dict | None = None, storage_options: dict | None = None,
                 scheduler: str | None = None, workers: int | None = None, sample: int | None = None,
                 seed: int = 0) -> TraverseResult:
    """Traverse ``dataset``'s inputs with the model of ``checkpoint`` into the store ``out`` (resuming it).

    The dataset selection is ``split``, then ``config.limit`` (the first N) or ``sample`` (a ``seed``-ed subset).
    Range statistics (``sigma``, ...) come from the whole split (or the sample), as without ``limit``.
    """
    if config.limit is not None and sample is not None:
        raise ParameterError("limit", "and {sample} exclude each other; give one")
    torch_device = resolve_device(device)
    data = load_dataset(dataset, split, data_dir=data_dir, download=download, sample=sample, seed=seed)
    model = load_checkpoint(checkpoint, model_class=model_class, model_kwargs=model_kwargs,
                            input_shape=data.image_shape)
    return traverse_dataset(model, data, out, config, device=torch_device, overwrite=overwrite, progress=progress,
                            storage_options=storage_options, scheduler=scheduler, workers=workers)


def traverse_dataset(model: LoadedModel, data: Dataset, out: str | Path, config: TraverseConfig = TraverseConfig(), *,
                     device: torch.device = torch.device("cpu"), overwrite: bool = False, progress: bool = True,
                     storage_options: dict | None = None, scheduler: str | None = None,
                     workers: int | None = None) -> TraverseResult:
    """Traverse the inputs of an in-memory ``data`` record with a loaded model into the store ``out``.

    With ``scheduler`` (``local`` or ``tcp://HOST:PORT``) the pending chunks are sharded over Dask workers.
    Encoding and decoding run with :func:`latentnav.devices.compute_threads` threads, so a run is reproducible.
    """
    with thread_count(compute_threads(device, config.torch_threads)):
        return _traverse_dataset(model, data, out, config, device, overwrite, progress, storage_options, scheduler,
                                 workers)


def _traverse_dataset(model, data, out, config, device, overwrite, progress, storage_options, scheduler,
                      workers) -> TraverseResult:
    if data.inputs.shape[1] != model.input_dim:
        raise LatentnavError(f"{data.name} images have {data.inputs.shape[1]} values but the model expects {model.input_dim}")
    dims = check_dims(config.dims, model.latent_dim)
    index = select_inputs(len(data), config, f"{data.name} {data.split}", data.index)
    model.model.to(device)
    z_all = encode_inputs(model, data.inputs, device, data.index[index], rows=index)
    stats = z_all if config.grid.mode == "fixed" else _stats_codes(model, data, device)
    values = traversal_values(config.grid, stats)[dims]
    range_check = check_range(values, _range_codes(model, data, stats, device), dims, config.grid.mode)
    itemsize = 1 if config.dtype == "uint8" else 4
    per_input = bytes_per_input(len(dims), config.grid.steps, model.input_dim, itemsize, model.latent_dim)
    chunk = config.chunk_size or plan_chunk_size(len(index), per_input, device, config.memory_budget)
    contents = StoreContents(
        latents=z_all, labels=data.labels[index], input_index=data.index[index], values=values, dims=tuple(dims),
        image_shape=data.image_shape, chunk_size=chunk, dtype=config.dtype, codec=config.codec,
        identity=_identity(model, data, index, config, dims),
    )
    store, resumed = open_or_create_store(out, contents, overwrite=overwrite, storage_options=storage_options)
    if resumed:
        store.verify(full=False)  # a done chunk whose file was deleted is recomputed, not trusted
    store.update_attrs({"checkpoint": model.path, "model_kind": model.kind, "range_check": range_check.to_dict(),
                        "dataset_source": _jsonable(data.origin), "data_dir": data.origin.get("data_dir")})
    if config.effects:
        store.ensure_effects(list(MEASURES))
    if scheduler is not None:
        threads = compute_threads(device, config.torch_threads)
        result = fill_distributed(store, model, config, device, threads, scheduler, workers)
        device_text = f"{describe_device(device).split(' (')[0]} on dask workers ({threads} thread(s) each)"
    else:
        device_text, result = fill_store(store, model, config, device, progress)
    return TraverseResult(store=str(out), n_inputs=len(index), n_images=len(index) * len(dims) * config.grid.steps,
                          images_computed=result[0], chunks_computed=result[1], seconds=result[2],
                          device=device_text, disk_bytes=store.disk_bytes(),
                          image_bytes=store.image_bytes(), resumed=resumed,
                          warnings=tuple(w for w in [range_check.warning] if w))


RANGE_CHECK_CODES = 1000  # fewer traversed inputs than this: the range check uses the dataset's first 1,000 codes


def _range_codes(model: LoadedModel, data: Dataset, stats: np.ndarray, device: torch.device) -> np.ndarray:
    """Codes (n, L) whose spread the range check compares the range with: the grid's statistics, unless they come
    from only a few traversed inputs (e.g. ``--inputs 12,19``); then the first 1,000 inputs of the dataset."""
    if len(stats) >= min(len(data), RANGE_CHECK_CODES):
        return stats
    return encode_inputs(model, data.inputs, device, rows=np.arange(min(len(data), RANGE_CHECK_CODES)))


def _stats_codes(model: LoadedModel, data: Dataset, device: torch.device) -> np.ndarray:
    """Codes (n, L) for the range statistics: every input, or a seeded sample of 10,000 for a bigger selection."""
    return encode_inputs(model, data.inputs, device, rows=stats_rows(len(data)))


def _jsonable(origin: dict) -> dict:
    return {k: (v if v is None or isinstance(v, (str, int, float, bool)) else str(v)) for k, v in origin.items()}


def _identity(model: LoadedModel, data: Dataset, index: np.ndarray, config: TraverseConfig, dims: list[int]) -> dict:
    """What must match for a store to be resumed."""
    return {
        "model": {"kind": model.kind, "sha256": model.sha256, "latent_dim": model.latent_dim},
        "dataset": {"name": data.name, "split": data.split, "n_inputs": int(len(index)),
                    "inputs_sha256": hashlib.sha256(data.index[index].astype(np.int64).tobytes()).hexdigest()},
        "grid": asdict(config.grid),
        "dims": list(dims),
        "dtype": config.dtype,
        "block_rows": config.block_rows,
    }
