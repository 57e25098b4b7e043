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
from latentnav.errors import LatentnavError
from latentnav.jobs.dask import fill_distributed
from latentnav.jobs.fill import fill_store
from latentnav.models.checkpoint import load_checkpoint
from latentnav.models.loaded import LoadedModel
from latentnav.store import StoreContents, open_or_create_store
from latentnav.traversal.chunking import bytes_per_input, plan_chunk_size
from latentnav.traversal.config import TraverseConfig, check_dims, select_inputs
from latentnav.traversal.encoding import encode_inputs
from latentnav.traversal.grid import traversal_values


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


def run_traverse(checkpoint: str | Path, dataset: str, out: str | Path, config: TraverseConfig = TraverseConfig(), *,
                 split: str = "test", device: str = "auto", overwrite: bool = False, progress: bool = True,
                 data_dir=None, download: bool = False, model_class: str | None = None,
                 model_kwargs: dict | None = None, storage_options: dict | None = None,
                 scheduler: str | None = None, workers: int | None = None) -> TraverseResult:
    """Traverse ``dataset``'s inputs with the model of ``checkpoint`` into the store ``out`` (resuming it)."""
    torch_device = resolve_device(device)
    model = load_checkpoint(checkpoint, model_class=model_class, model_kwargs=model_kwargs)
    data = load_dataset(dataset, split, data_dir=data_dir, download=download)
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
    index = select_inputs(len(data), config, f"{data.name} {data.split}")
    model.model.to(device)
    z_all = encode_inputs(model, data.inputs[index], device, index)
    stats = z_all if config.grid.mode == "fixed" else encode_inputs(model, data.inputs, device)
    values = traversal_values(config.grid, stats)[dims]
    itemsize = 1 if config.dtype == "uint8" else 4
    per_input = bytes_per_input(len(dims), config.grid.steps, model.input_dim, itemsize, model.latent_dim)
    chunk = config.chunk_size or plan_chunk_size(len(index), per_input, device, config.memory_budget)
    contents = StoreContents(
        latents=z_all, labels=data.labels[index], input_index=index, values=values, dims=tuple(dims),
        image_shape=data.image_shape, chunk_size=chunk, dtype=config.dtype,
        identity=_identity(model, data, index, config, dims),
    )
    store, resumed = open_or_create_store(out, contents, overwrite=overwrite, storage_options=storage_options)
    if resumed:
        store.verify(full=False)  # a done chunk whose file was deleted is recomputed, not trusted
    store.update_attrs({"checkpoint": model.path, "model_kind": model.kind})
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
                          image_bytes=store.image_bytes(), resumed=resumed)


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
