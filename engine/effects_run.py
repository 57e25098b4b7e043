"""Effects of an existing store: compute them for every chunk whose images are done but whose effects are not.

Used by ``latentnav effects --store RUN.zarr`` and by ``traverse`` to finish effects after an interruption.
"""

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from engine.devices import compute_threads, resolve_device, thread_count
from engine.effects import chunk_effects
from engine.morphometrics import MEASURES
from engine.traversal import DEFAULT_BLOCK_ROWS
from models.checkpoint import LoadedModel, load_checkpoint
from models.errors import LatentnavError
from models.progress import bar_options
from store.effects_store import effects_done, effects_pending, ensure_effects, write_effects
from store.traversal_store import TraversalStore
from store.verify import verify_store


@dataclass(frozen=True)
class EffectsResult:
    """Summary of an effects run."""

    store: str
    chunks_computed: int
    chunks_total: int
    seconds: float


def fill_effects(store: TraversalStore, model: LoadedModel, device: torch.device, *, progress: bool = True,
                 block_rows: int = DEFAULT_BLOCK_ROWS, chunks: list[int] | None = None) -> int:
    """Compute the effects of every pending chunk (images done, effects not; of ``chunks`` when given)."""
    ensure_effects(store, list(MEASURES))
    wanted = None if chunks is None else set(chunks)
    pending = [k for k in effects_pending(store) if wanted is None or k in wanted]
    images_arr, recon_arr = store.group["images"], store.group["reconstructions"]
    for k in tqdm(pending, desc="effects", unit="chunk", **bar_options(progress and bool(pending))):
        start, stop = store.chunk_bounds(k)
        effects = chunk_effects(model, images_arr[start:stop], recon_arr[start:stop], device, block_rows)
        write_effects(store, k, asdict(effects))
    if effects_done(store).all():
        store.group.attrs["effects_complete"] = True
    return len(pending)


def run_effects(store_path: str | Path, *, checkpoint: str | Path | None = None, model_class: str | None = None,
                device: str = "auto", progress: bool = True) -> EffectsResult:
    """Compute missing effects of the store at ``store_path`` with the model that made it.

    The checkpoint defaults to the one recorded in the store; its sha256 must match the store's.
    """
    store = TraversalStore.open(store_path, "r+")
    verify_store(store, full=False)
    identity = store.group.attrs["identity"]
    path = checkpoint or store.group.attrs.get("checkpoint")
    if path is None:
        raise LatentnavError(f"store {store_path} does not record its checkpoint; pass --checkpoint")
    model = load_checkpoint(path, model_class=model_class or _recorded_class(store))
    if model.sha256 != identity["model"]["sha256"]:
        raise LatentnavError(f"checkpoint {path} is not the model that wrote {store_path} (sha256 differs); "
                             f"pass the right --checkpoint")
    torch_device = resolve_device(device)
    model.model.to(torch_device)
    start = time.perf_counter()
    block_rows = int(identity.get("block_rows", DEFAULT_BLOCK_ROWS))
    with thread_count(compute_threads(torch_device)):  # as traverse does: the same numbers as on the fly
        computed = fill_effects(store, model, torch_device, progress=progress, block_rows=block_rows)
    return EffectsResult(str(store_path), computed, store.n_chunks, time.perf_counter() - start)


def _recorded_class(store: TraversalStore) -> str | None:
    kind = store.group.attrs.get("model_kind")
    return kind if kind and ":" in kind else None
