"""Effects of an existing store: compute them for every chunk whose images are done but whose effects are not.

Used by ``latentnav effects --store RUN.zarr`` and by ``traverse`` to finish effects after an interruption.
"""

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from latentnav.devices import compute_threads, resolve_device, thread_count
from latentnav.effects.measure import chunk_effects
from latentnav.effects.morphometrics import MEASURES
from latentnav.errors import LatentnavError, ParameterError
from latentnav.models.checkpoint import load_checkpoint
from latentnav.models.loaded import LoadedModel
from latentnav.progress import bar_options
from latentnav.store import RunStore, open_store
from latentnav.traversal.batched import DEFAULT_BLOCK_ROWS


@dataclass(frozen=True)
class EffectsResult:
    """Summary of an effects run."""

    store: str
    chunks_computed: int
    chunks_total: int
    seconds: float


def fill_effects(store: RunStore, model: LoadedModel, device: torch.device, *, progress: bool = True,
                 block_rows: int = DEFAULT_BLOCK_ROWS, chunks: list[int] | None = None) -> int:
    """Compute the effects of every pending chunk (images done, effects not; of ``chunks`` when given).

    A run over every chunk (``chunks`` None) records ``effects_complete``; a shard leaves that to its caller.
    """
    store.ensure_effects(list(MEASURES))
    wanted = None if chunks is None else set(chunks)
    pending = [k for k in store.effects_pending() if wanted is None or k in wanted]
    for k in tqdm(pending, desc="effects", unit="chunk", **bar_options(progress and bool(pending))):
        start, stop = store.chunk_bounds(k)
        effects = chunk_effects(model, store.read("images", start, stop), store.read("reconstructions", start, stop),
                                device, block_rows)
        store.write_effects(k, asdict(effects))
    if chunks is None and store.effects_done().all() and not store.attrs.get("effects_complete"):
        store.update_attrs({"effects_complete": True})
    return len(pending)


def run_effects(store_path: str | Path, *, checkpoint: str | Path | None = None, model_class: str | None = None,
                model_kwargs: dict | None = None, device: str = "auto", progress: bool = True) -> EffectsResult:
    """Compute missing effects of the store at ``store_path`` with the model that made it.

    The checkpoint defaults to the one recorded in the store; its sha256 must match the store's. A model class the
    store records is never imported on the store's word: the user names it with ``model_class``.
    """
    store = open_store(store_path, "r+")
    store.verify(full=False)
    attrs = store.attrs
    identity = attrs["identity"]
    path = checkpoint or attrs.get("checkpoint")
    if path is None:
        raise ParameterError("checkpoint", f"is needed: store {store_path} does not record its checkpoint")
    recorded = attrs.get("model_kind", "")
    if ":" in recorded and model_class != recorded:
        raise ParameterError("model_class", f"is needed: store {store_path} was written by the model class "
                                            f"{recorded!r}; pass {{model_class}} {recorded} (and its {{model_kwargs}})")
    model = load_checkpoint(path, model_class=model_class, model_kwargs=model_kwargs, input_shape=store.image_shape)
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
