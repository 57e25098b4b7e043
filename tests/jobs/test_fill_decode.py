"""How fill decodes: traversal and reconstructions in one stream (bitwise as apart), decoder FLOPs, thread policy."""

import os

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from latentnav.jobs import fill
from latentnav.jobs.fill import decode_threads, decoder_flops
from latentnav.traversal.batched import decode_chunk
from latentnav.models import AutoencoderClassifier
from latentnav.models.conv import ConvAE
from latentnav.models.loaded import wrap_module
from latentnav.traversal.batched import NonFiniteDecoderOutput, reconstruct, traverse_chunk
from latentnav.traversal.config import TraverseConfig

CPU = torch.device("cpu")


def _mlp():
    torch.manual_seed(0)
    return wrap_module(AutoencoderClassifier(), (784,))


def _conv(channels=1):
    torch.manual_seed(0)
    return wrap_module(ConvAE(in_channels=channels, latent_dim=10), (channels, 64, 64))


@pytest.mark.parametrize("make, width", [(_mlp, 784), (_conv, 4096)])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
@pytest.mark.parametrize("block_rows", [64, 1024])  # an odd block (7) lets MKL/oneDNN round float32 by position
def test_one_stream_equals_traversal_and_reconstruction_apart_bitwise(make, width, dtype, block_rows):
    model = make()
    latent = model.latent_dim
    z = torch.randn(5, latent, generator=torch.Generator().manual_seed(1)) * 2
    values = torch.tensor(np.tile(np.linspace(-3, 3, 4), (3, 1)), dtype=torch.float32)
    dims = torch.tensor([0, 2, latent - 1])
    images, recon = decode_chunk(model.decode, z, values, dims, width, dtype=dtype, block_rows=block_rows)
    expect = traverse_chunk(model.decode, z, values, dims, dtype=dtype, block_rows=block_rows)
    assert images.shape == (5, 3, 4, width) and recon.shape == (5, width)
    assert torch.equal(images, expect)
    assert torch.equal(recon, reconstruct(model.decode, z, dtype=dtype, block_rows=block_rows))


class _NaNAt(nn.Module):
    """Decodes to NaN where z[0] equals ``bad``, else to sigmoid(z[0]) in every pixel."""

    def __init__(self, bad):
        super().__init__()
        self.bad = bad

    def forward(self, z):
        out = torch.sigmoid(z[:, :1]).expand(len(z), 6).clone()
        out[(z[:, 0] == self.bad)] = float("nan")
        return out


def test_non_finite_rows_name_the_inputs_of_traversal_and_reconstruction():
    z = torch.tensor([[0.5, 0.0], [7.0, 0.0], [0.25, 0.0]])
    values = torch.tensor([[-1.0, 1.0]])
    with pytest.raises(NonFiniteDecoderOutput) as info:  # input 1's own code: only its reconstruction
        decode_chunk(_NaNAt(7.0), z, values, torch.tensor([1]), 6, block_rows=16)
    assert info.value.rows == [1]
    with pytest.raises(NonFiniteDecoderOutput) as info:  # a traversal value of dim 0: every input
        decode_chunk(_NaNAt(1.0), z, values, torch.tensor([0]), 6, block_rows=16)
    assert info.value.rows == [0, 1, 2]


@pytest.mark.parametrize("make", [_mlp, _conv, lambda: _conv(3)])
def test_decoder_flops_equal_torchs_flop_counter(make):
    model = make()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.decode(torch.zeros(1, model.latent_dim))
    assert decoder_flops(model, CPU) == counter.get_total_flops()


def test_decoder_flops_of_the_article_mlp_by_hand():
    macs = 16 * 64 + 64 * 128 + 128 * 784
    assert decoder_flops(_mlp(), CPU) == 2 * macs


@pytest.mark.parametrize("make, codec, effects, threads", [
    (_mlp, "zstd", False, 3),   # ~280 FLOPs per stored byte: compression competes, one core left to the writer
    (_mlp, "lz4", False, 4),    # lighter compression: every core decodes
    (_mlp, "none", False, 4),
    (_mlp, "none", True, 3),    # effects on the fly keep the writer busy
    (_conv, "zstd", True, 4),   # ~4,000 FLOPs per byte: compute-bound
    (lambda: _conv(3), "zstd", False, 4),
])
def test_thread_policy(monkeypatch, make, codec, effects, threads):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    model = make()
    shape = (1, 28, 28) if model.latent_dim == 16 else tuple(model.input_shape)
    assert decode_threads(model, CPU, TraverseConfig(codec=codec, effects=effects), shape) == threads
    assert decode_threads(model, CPU, TraverseConfig(codec=codec, effects=effects, torch_threads=1), shape) == 1


def test_an_uncountable_decoder_keeps_the_default(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(fill, "decoder_flops", lambda model, device: 0)
    assert decode_threads(_conv(), CPU, TraverseConfig(), (1, 64, 64)) == 3
