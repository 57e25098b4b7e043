"""Scale-out on Dask distributed: one traversal sharded over workers, and sweeps over many checkpoints.

``scheduler`` is ``local`` (a :class:`dask.distributed.LocalCluster` of worker processes on 127.0.0.1, one
thread each, sized to the machine unless ``workers`` says otherwise) or a scheduler address ``tcp://HOST:PORT``.

A sharded traversal splits the pending chunks into contiguous shards; each task opens the shared store, loads the
model from its checkpoint and computes and writes only its own chunks and their ``done`` flags (no locks: no two
tasks share a chunk). A task whose worker dies is retried by Dask on another worker, and skips the chunks that
are already done. Workers use the thread count the single-process run would use, so the store is bitwise the same.
"""

import os
import time
from contextlib import contextmanager
from dataclasses import replace

import torch

from latentnav.errors import LatentnavError, ParameterError
from latentnav.jobs.fill import fill_store
from latentnav.models.checkpoint import load_checkpoint
from latentnav.models.loaded import LoadedModel
from latentnav.store import RunStore, open_store
from latentnav.traversal.config import TraverseConfig

SHARDS_PER_WORKER = 4


@contextmanager
def dask_client(scheduler: str = "local", workers: int | None = None):
    """A Dask client for ``local`` (a fresh loopback cluster, closed afterwards) or a ``tcp://`` scheduler."""
    from dask.distributed import Client, LocalCluster

    if workers is not None and workers < 1:
        raise ParameterError("workers", f"must be >= 1, got {workers}")
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, worker_dashboard_address=None)
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
    elif scheduler.startswith(("tcp://", "tls://")):
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise LatentnavError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with "
                                 f"`dask scheduler` and workers with `dask worker {scheduler}`") from None
        try:
            yield client
        finally:
            client.close()
    else:
        raise ParameterError("scheduler", "must be 'local' or an address such as tcp://10.0.0.5:8786", value=scheduler)


def shard(chunks: list[int], n_shards: int) -> list[list[int]]:
    """Split ``chunks`` into at most ``n_shards`` contiguous, non-empty, disjoint runs covering all of them."""
    n_shards = max(1, min(n_shards, len(chunks)))
    size, extra = divmod(len(chunks), n_shards)
    out, start = [], 0
    for i in range(n_shards):
        stop = start + size + (1 if i < extra else 0)
        out.append(chunks[start:stop])
        start = stop
    return [part for part in out if part]


def traverse_shard(location: str, storage_options: dict | None, checkpoint: str, model_class: str | None,
                   model_kwargs: dict | None, config: TraverseConfig, device: str, threads: int,
                   chunks: list[int]) -> tuple[int, int]:
    """Worker task: compute and write ``chunks`` of the store (skipping finished ones); (images, chunks) done."""
    torch.set_num_threads(threads)
    store = open_store(location, "r+", storage_options=storage_options)
    model = load_checkpoint(checkpoint, model_class=model_class, model_kwargs=model_kwargs,
                            input_shape=store.image_shape)
    model.model.to(device)
    config = replace(config, torch_threads=threads)
    _, (images, n_chunks, _) = fill_store(store, model, config, torch.device(device), progress=False, chunks=chunks)
    return images, n_chunks


def fill_distributed(store: RunStore, model: LoadedModel, config: TraverseConfig, device: torch.device,
                     threads: int, scheduler: str, workers: int | None) -> tuple[int, int, float]:
    """Shard the store's pending chunks over Dask workers; return (images computed, chunks computed, seconds).

    Workers write only chunk data and done flags; the store's attributes (complete, timings) are set here, once.
    """
    todo = sorted(set(store.pending_chunks()) | (set(store.effects_pending()) if config.effects else set()))
    start = time.perf_counter()
    images = chunks = 0
    if todo:
        with dask_client(scheduler, workers) as client:
            n_workers = max(1, len(client.scheduler_info()["workers"]))
            futures = [client.submit(traverse_shard, store.location, store.storage_options, model.path,
                                     model.model_class, model.model_kwargs, config, device.type, threads, part,
                                     pure=False)
                       for part in shard(todo, n_workers * SHARDS_PER_WORKER)]
            for done_images, done_chunks in client.gather(futures):
                images += done_images
                chunks += done_chunks
    seconds = time.perf_counter() - start
    if store.done_flags().all() and not store.complete:
        store.set_complete({"last_run_seconds": round(seconds, 3), "last_run_device": f"dask ({scheduler})"})
    if config.effects and store.effects_done().all():
        store.update_attrs({"effects_complete": True})
    return images, chunks, seconds
