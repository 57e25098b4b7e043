"""Chunk planning: how many inputs go into one store chunk, and compute that survives CUDA out-of-memory.

On the CPU the chunk size comes from a working-set budget: the pipeline holds up to
``IN_FLIGHT_CHUNKS`` chunks' output at once (one being computed, the writer's queue, the one being
compressed). On CUDA it comes from the free device memory. In both cases it is capped at
``MAX_CHUNK_INPUTS`` so chunks stay small enough to resume cheaply and to stream progress, and a small
run is split into about ``MIN_CHUNKS`` chunks (of at least ``MIN_CHUNK_INPUTS``) so that the writer
overlaps the decoder even then.
"""

from collections.abc import Callable

import torch

from latentnav.errors import LatentnavError, ParameterError

DEFAULT_MEMORY_BUDGET = 512 * 2**20  # bytes of host working set
IN_FLIGHT_CHUNKS = 4
MAX_CHUNK_INPUTS = 256
MIN_CHUNKS = 8  # small runs still split into chunks so that writing overlaps decoding
MIN_CHUNK_INPUTS = 8
CUDA_FREE_FRACTION = 0.5


def bytes_per_input(n_dims: int, steps: int, pixels: int, itemsize: int, latent_dim: int) -> int:
    """Bytes one input occupies in a chunk: its traversal latents (float32) and output images."""
    rows = n_dims * steps
    return rows * (pixels * itemsize + latent_dim * 4) + pixels * itemsize


def plan_chunk_size(n_inputs: int, per_input: int, device: torch.device, memory_budget: int | None = None,
                    max_inputs: int = MAX_CHUNK_INPUTS) -> int:
    """Inputs per chunk for ``n_inputs`` inputs of ``per_input`` bytes each.

    Parameters
    ----------
    n_inputs : int
    per_input : int
        From :func:`bytes_per_input`.
    device : torch.device
    memory_budget : int, optional
        Host working-set budget in bytes (default 512 MiB).
    max_inputs : int
        Upper cap.

    Returns
    -------
    int, between 1 and ``max(n_inputs, 1)``
    """
    budget = DEFAULT_MEMORY_BUDGET if memory_budget is None else memory_budget
    if not 0 < budget < 2**63:
        raise ParameterError("memory_budget", f"must be a positive number of bytes, got {budget}")
    size = budget // (IN_FLIGHT_CHUNKS * per_input)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        size = min(size, int(free * CUDA_FREE_FRACTION) // per_input)
    overlap = max(MIN_CHUNK_INPUTS, -(-n_inputs // MIN_CHUNKS))
    return int(max(1, min(size, max_inputs, overlap, max(n_inputs, 1))))


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a CUDA out-of-memory error (torch's class, or a RuntimeError saying so)."""
    return isinstance(exc, torch.cuda.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )


def compute_in_batches(compute: Callable[[int, int], torch.Tensor], n: int, batch: int) -> tuple[torch.Tensor, int]:
    """Run ``compute(start, stop)`` over ``[0, n)`` in batches and concatenate, halving on out-of-memory.

    A batch that runs out of memory is retried in halves; nothing is kept from a failed call, so no work is
    lost or duplicated. Returns the concatenated result (along dim 0) and the batch size that worked, which
    callers reuse for the next chunk.

    Raises
    ------
    LatentnavError
        A single input does not fit.
    """
    parts, start = [], 0
    while start < n:
        stop = min(start + batch, n)
        try:
            parts.append(compute(start, stop))
        except BaseException as exc:
            if not is_out_of_memory(exc):
                raise
            if batch == 1:
                raise LatentnavError("one input's traversal does not fit in device memory; use --device cpu "
                                     "or traverse fewer --dims") from None
            batch = max(1, batch // 2)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            continue
        start = stop
    return (parts[0] if len(parts) == 1 else torch.cat(parts)), batch
