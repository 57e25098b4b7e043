"""Choosing the torch device (``auto`` takes CUDA when a GPU is visible) and the CPU thread count."""

import os
from contextlib import contextmanager

import torch

from latentnav.errors import ParameterError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """The device for ``auto``, ``cpu`` or ``cuda``; ``cuda`` without a visible GPU is an error."""
    if name not in DEVICE_CHOICES:
        raise ParameterError("device", "is unknown; choose auto, cpu or cuda", value=name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device", "was asked for but no CUDA GPU is visible; use 'cpu' or 'auto'", value="cuda")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    """Human-readable device name, e.g. ``cuda:0 (NVIDIA H100)`` or ``cpu (2 threads)``."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    threads = torch.get_num_threads()
    return f"cpu ({threads} thread{'s' if threads != 1 else ''})"


def compute_threads(device: torch.device, requested: int | None = None) -> int:
    """Torch threads for traversal and effects: on the CPU one core is left to the writer (zstd + zarr).

    Measured best, and used for both so that effects computed later equal those computed on the fly
    (GEMM results can depend on the thread count).

    On 2 cores, 1 decode thread + the writer thread run end to end ~25 % faster than 2 decode threads
    fighting the writer (benchmarks/test_traversal_throughput.py).
    """
    if requested is not None:
        return requested
    if device.type == "cuda":
        return torch.get_num_threads()
    return max(1, (os.cpu_count() or 2) - 1)


@contextmanager
def thread_count(n: int):
    """Run the block with ``n`` torch threads, then restore the previous count."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
