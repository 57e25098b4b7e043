"""End to end (decode + uint8 + checksummed store write) vs decode-only, per codec and decoder (issue 12, part 7).

- the convolutional decoder (``ConvAE``, random weights, 64x64, 1 and 3 channels): end to end >= 0.8x decode-only
  (the decoder is compute-bound, so every core decodes: :func:`latentnav.jobs.fill.decode_threads`);
- the article's MLP, end to end vs decode-only for each ``--codec``: >= 0.5x with ``none`` (both cores decode, the
  writer only copies and checksums), >= 0.4x with ``zstd`` and ``lz4`` (their compression competes with the decoder
  for the 2 cores).

Every ratio is measured within one run; ``extra_info`` carries ``ratio`` and ``target`` for ``benchmarks.guard``.
"""

import os

import numpy as np
import pytest
import torch

from benchmarks.conftest import best_time, tiled_digits
from latentnav import load_checkpoint
from latentnav.data.datasets import Dataset
from latentnav.jobs.traverse import TraverseConfig, traverse_dataset
from latentnav.models.conv import ConvAE
from latentnav.models.loaded import wrap_module
from latentnav.traversal.batched import traverse_chunk

MLP_TARGETS = {"zstd": 0.4, "lz4": 0.4, "none": 0.5}
CONV_TARGET = 0.8


def _record(benchmark, name, ratio, target, real_run):
    benchmark.extra_info.update({"ratio_name": name, "ratio": round(ratio, 3), "target": target})
    print(f"\n{name}: {ratio:.2f}x (target >= {target}x)")
    if real_run:
        assert ratio >= target, f"{name} is {ratio:.2f}x, below the target {target}x"


def _end_to_end(benchmark, model, data, tmp_path, config, rounds):
    """Best wall time of ``rounds`` full traversals into fresh stores (encode, decode, uint8, write) and the result."""
    counter = iter(range(10**6))
    result = benchmark.pedantic(
        lambda: traverse_dataset(model, data, tmp_path / f"r{next(counter)}.zarr", config, overwrite=True,
                                 progress=False), rounds=rounds, iterations=1)
    seconds = benchmark.stats.stats.min if benchmark.stats else None
    return result, seconds


def _conv_model(channels: int):
    torch.manual_seed(0)
    return wrap_module(ConvAE(in_channels=channels, latent_dim=10), (channels, 64, 64))


@pytest.mark.parametrize("channels", [1, 3])
def test_conv_end_to_end_vs_decode_only(benchmark, tmp_path, real_run, channels):
    model = _conv_model(channels)
    n = 24 if real_run else 2
    rng = np.random.default_rng(0)
    data = Dataset("conv-random", "train", rng.uniform(0, 1, (n, channels * 64 * 64)).astype(np.float32),
                   np.zeros(n, dtype=np.int64), image_shape=(channels, 64, 64))
    z = model.encode(torch.from_numpy(data.inputs)).detach()
    values = torch.tensor(np.tile(np.linspace(-3, 3, 10), (10, 1)), dtype=torch.float32)
    dims = torch.arange(10)
    torch.set_num_threads(os.cpu_count() or 1)

    def decode_only():
        for start in range(0, len(z), 8):
            traverse_chunk(model.decode, z[start:start + 8], values, dims)

    limit = best_time(decode_only, 3 if real_run else 1)
    config = TraverseConfig(effects=False, chunk_size=8)
    result, seconds = _end_to_end(benchmark, model, data, tmp_path, config, 3 if real_run else 1)
    seconds = seconds or limit
    benchmark.extra_info["decode_only_images_per_s"] = round(result.n_images / limit)
    benchmark.extra_info["end_to_end_images_per_s"] = round(result.n_images / seconds)
    benchmark.extra_info["compression_ratio"] = round(result.compression_ratio, 3)
    _record(benchmark, f"conv {channels}x64x64: end to end / decode-only", limit / seconds, CONV_TARGET, real_run)


@pytest.mark.parametrize("codec", list(MLP_TARGETS))
def test_mlp_end_to_end_vs_decode_only_by_codec(benchmark, trained_ckpt, tmp_path, real_run, codec):
    model = load_checkpoint(trained_ckpt)
    data = tiled_digits(2048 if real_run else 16)
    z = model.encode(torch.from_numpy(data.inputs)).detach()
    values = torch.tensor(np.tile(np.linspace(-3, 3, 10), (16, 1)), dtype=torch.float32)
    dims = torch.arange(16)
    torch.set_num_threads(os.cpu_count() or 1)

    def decode_only():
        for start in range(0, len(z), 256):
            traverse_chunk(model.decode, z[start:start + 256], values, dims)

    limit = best_time(decode_only, 3 if real_run else 1)
    config = TraverseConfig(effects=False, codec=codec)
    result, seconds = _end_to_end(benchmark, model, data, tmp_path, config, 3 if real_run else 1)
    seconds = seconds or limit
    benchmark.extra_info["decode_only_images_per_s"] = round(result.n_images / limit)
    benchmark.extra_info["end_to_end_images_per_s"] = round(result.n_images / seconds)
    benchmark.extra_info["compression_ratio"] = round(result.compression_ratio, 3)
    _record(benchmark, f"MLP --codec {codec}: end to end / decode-only", limit / seconds, MLP_TARGETS[codec],
            real_run)
