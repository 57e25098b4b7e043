"""Chunk planning and out-of-memory halving (simulated on the CPU; the real CUDA path is skipped without a GPU)."""

import pytest
import torch

from latentnav.traversal.chunking import IN_FLIGHT_CHUNKS, bytes_per_input, compute_in_batches, plan_chunk_size
from latentnav import LatentnavError


def test_bytes_per_input_closed_form():
    assert bytes_per_input(16, 10, 784, 1, 16) == 160 * (784 + 64) + 784


def test_plan_chunk_size_from_budget():
    per = bytes_per_input(16, 10, 784, 1, 16)
    cpu = torch.device("cpu")
    assert plan_chunk_size(10_000, per, cpu, memory_budget=IN_FLIGHT_CHUNKS * per * 50) == 50
    assert plan_chunk_size(10_000, per, cpu, memory_budget=1) == 1
    assert plan_chunk_size(7, per, cpu, memory_budget=2**34) == 7
    assert plan_chunk_size(10_000, per, cpu, memory_budget=2**34, max_inputs=100) == 100
    assert plan_chunk_size(800, per, cpu, memory_budget=2**34) == 100  # small runs: ~8 chunks to overlap
    assert plan_chunk_size(40, per, cpu, memory_budget=2**34) == 8
    with pytest.raises(LatentnavError, match="^memory_budget must be"):
        plan_chunk_size(10, per, cpu, memory_budget=0)


def _fake_oom_compute(limit, calls):
    def compute(start, stop):
        calls.append((start, stop))
        if stop - start > limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return torch.arange(start, stop)
    return compute


def test_out_of_memory_halves_and_loses_nothing():
    calls = []
    result, batch = compute_in_batches(_fake_oom_compute(3, calls), 10, 16)
    assert torch.equal(result, torch.arange(10))  # nothing lost, nothing twice
    assert batch == 2
    assert calls[:4] == [(0, 10), (0, 8), (0, 4), (0, 2)]


def test_out_of_memory_for_one_input_is_a_clear_error():
    with pytest.raises(LatentnavError, match="does not fit in device memory"):
        compute_in_batches(_fake_oom_compute(0, []), 4, 4)


def test_other_errors_pass_through():
    def broken(start, stop):
        raise KeyError("not memory")
    with pytest.raises(KeyError):
        compute_in_batches(broken, 4, 4)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_plan_uses_free_memory():
    per = bytes_per_input(16, 10, 784, 1, 16)
    device = torch.device("cuda")
    free, _ = torch.cuda.mem_get_info(device)
    size = plan_chunk_size(10**9, per, device, memory_budget=2**50, max_inputs=10**9)
    assert 1 <= size <= free // per
