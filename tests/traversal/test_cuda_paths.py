"""The CUDA code paths, on a real GPU (skipped without one; ``benchmarks/gpu_check.py`` runs them all).

- the uint8 conversion on the device (``to_uint8`` on CUDA is bit-identical to the CPU; a CUDA traversal returns
  uint8 on the device, within one grey level of the CPU's for a flat and a convolutional RGB decoder);
- the out-of-memory halving with a real ``torch.cuda.OutOfMemoryError`` (not a simulated one);
- DCI with the xgboost probe on CUDA against the same probe on the CPU.
"""

import warnings

import numpy as np
import pytest
import torch

from latentnav.models.autoencoder import AutoencoderClassifier
from latentnav.models.conv import ConvAE
from latentnav.traversal.batched import to_uint8, traverse_chunk
from latentnav.traversal.chunking import compute_in_batches

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]
VALUES = np.linspace(-3, 3, 10)


def test_cuda_uint8_conversion_is_bit_identical_to_cpu():
    x = torch.rand(4096, 784, generator=torch.Generator().manual_seed(0))
    x[0, :6] = torch.tensor([0.0, 1.0, 0.5 / 255, 1.5 / 255, -0.25, 1.25])  # ties round to even; outside clips
    gpu = to_uint8(x.cuda())
    assert gpu.device.type == "cuda" and gpu.dtype == torch.uint8
    assert torch.equal(gpu.cpu(), to_uint8(x))
    assert gpu[0, :6].tolist() == [0, 255, 0, 2, 0, 255]


@pytest.mark.parametrize("kind", ["flat", "conv-rgb"])
def test_cuda_traversal_converts_to_uint8_on_the_device(kind):
    torch.manual_seed(0)
    model = (AutoencoderClassifier() if kind == "flat" else ConvAE(in_channels=3, latent_dim=10)).eval()
    latent = 16 if kind == "flat" else 10
    z = torch.randn(8, latent)
    values = torch.tensor(np.tile(VALUES, (latent, 1)), dtype=torch.float32)
    dims = torch.arange(latent)
    decode = lambda codes: model.decoder(codes).flatten(1)  # noqa: E731 (LoadedModel.decode's flat contract)
    with torch.no_grad():
        cpu = traverse_chunk(decode, z, values, dims)
        model.cuda()
        gpu = traverse_chunk(decode, z.cuda(), values.cuda(), dims.cuda())
    assert gpu.device.type == "cuda" and gpu.dtype == torch.uint8 and gpu.shape == cpu.shape
    assert (gpu.cpu().int() - cpu.int()).abs().max() <= 1  # float sums differ in order between devices


def test_real_cuda_out_of_memory_halves_the_batch_and_loses_nothing():
    device = torch.device("cuda")
    torch.cuda.empty_cache()
    free, _ = torch.cuda.mem_get_info(device)
    per_input = int(free * 0.3)  # 4 inputs need 1.2x the free memory, 2 inputs fit
    calls, failures = [], []

    def compute(start, stop):
        calls.append(stop - start)
        try:
            block = torch.empty(per_input * (stop - start), dtype=torch.uint8, device=device)
        except torch.cuda.OutOfMemoryError:
            failures.append(stop - start)
            raise
        block[:1] = 1
        return torch.arange(start, stop, device=device)

    result, batch = compute_in_batches(compute, 10, 16)
    assert torch.equal(result.cpu(), torch.arange(10))  # every input once, in order
    assert batch == 2 and failures == [10, 8, 4] and calls[:4] == [10, 8, 4, 2]


def test_xgboost_dci_on_cuda_agrees_with_cpu():
    from latentnav.metrics.dci_probe import DCIConfig, compute_dci

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 900)
    Z = rng.normal(size=(900, 5)).astype(np.float32) * 0.1
    Z[:, 1] += labels  # code 1 alone tells the class
    with warnings.catch_warnings(record=True) as caught:  # a CPU-only xgboost build falls back with a warning
        warnings.simplefilter("always")
        gpu = compute_dci(Z, labels[:, None], ["label"], DCIConfig(factors="label", device="cuda"))
    fallback = [str(w.message) for w in caught if "GPU to CPU" in str(w.message)]
    assert not fallback, f"xgboost ran on the CPU, not on CUDA: {fallback[0]}"
    cpu = compute_dci(Z, labels[:, None], ["label"], DCIConfig(factors="label", device="cpu"))
    assert gpu.probe_device == "cuda" and cpu.probe_device == "cpu"
    assert np.argmax(gpu.R[:, 0]) == 1 and gpu.train_accuracy[0] > 0.95
    np.testing.assert_allclose(gpu.R, cpu.R, atol=0.05)  # the hist algorithm on both; rounding may differ
