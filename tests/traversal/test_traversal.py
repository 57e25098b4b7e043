"""The batched traversal against the article's own loop, and its invariances."""

import numpy as np
import pytest
import torch

from latentnav.traversal.batched import NonFiniteDecoderOutput, reconstruct, to_uint8, traversal_latents, traverse_chunk
from latentnav.models import AutoencoderClassifier

VALUES = np.linspace(-3, 3, 10)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return AutoencoderClassifier().eval()


def article_loop(model, x, values, dims):
    """A faithful copy of the article's traversal: one decode per input, dimension and value, batch of one."""
    out = []
    with torch.no_grad():
        for i in range(x.shape[0]):
            z, _, _ = model(x[i:i + 1])
            per_dim = []
            for dim in dims:
                row = []
                for val in values:
                    z_new = z.clone()
                    z_new[0, dim] = val
                    row.append(model.decoder(z_new).view(-1))
                per_dim.append(torch.stack(row))
            out.append(torch.stack(per_dim))
    return torch.stack(out)  # (n, D, S, 784)


def test_latent_tensor_sets_exactly_one_coordinate():
    z = torch.arange(6, dtype=torch.float32).view(2, 3)
    values = torch.tensor([[10.0, 11.0], [20.0, 21.0], [30.0, 31.0]])
    grid = traversal_latents(z, values[[2, 0]], torch.tensor([2, 0]))
    assert grid.shape == (2, 2, 2, 3)
    for i in range(2):
        for j, d in enumerate([2, 0]):
            for s in range(2):
                expected = z[i].clone()
                expected[d] = values[d, s]
                assert torch.equal(grid[i, j, s], expected)
    rel = traversal_latents(z, values[[1]], torch.tensor([1]), relative=True)
    assert torch.equal(rel[1, 0, 1], torch.tensor([3.0, 4.0 + 21.0, 5.0]))


def test_batched_traversal_equals_the_article_loop(model):
    x = torch.rand(3, 784)
    values = torch.tensor(np.tile(VALUES, (16, 1)), dtype=torch.float32)
    z = model.encoder(x).detach()
    ours = traverse_chunk(model.decoder, z, values, torch.arange(16), dtype=torch.float32)
    reference = article_loop(model, x, VALUES, range(16))
    torch.testing.assert_close(ours, reference, rtol=0, atol=1e-6)
    ours_u8 = traverse_chunk(model.decoder, z, values, torch.arange(16))
    assert ours_u8.dtype == torch.uint8 and torch.equal(ours_u8, to_uint8(ours))
    assert (ours_u8.int() - to_uint8(reference).int()).abs().max() <= 1  # float32 rounding may cross a .5


def test_dims_subset_and_small_blocks(model):
    x = torch.rand(4, 784)
    values = torch.tensor(np.tile(VALUES, (16, 1)), dtype=torch.float32)
    z = model.encoder(x).detach()
    full = traverse_chunk(model.decoder, z, values, torch.arange(16), dtype=torch.float32)
    subset = traverse_chunk(model.decoder, z, values[[7, 3]], torch.tensor([7, 3]), dtype=torch.float32, block_rows=5)
    torch.testing.assert_close(subset, full[:, [7, 3]], rtol=0, atol=1e-6)
    torch.testing.assert_close(subset, article_loop(model, x, VALUES, [7, 3]), rtol=0, atol=1e-6)


def test_result_is_bitwise_independent_of_how_inputs_are_grouped(model):
    z = torch.randn(11, 16)
    values = torch.tensor(np.tile(VALUES, (16, 1)), dtype=torch.float32)
    whole = traverse_chunk(model.decoder, z, values, torch.arange(16))
    for size in (1, 3, 4):
        parts = torch.cat([traverse_chunk(model.decoder, z[i:i + size], values, torch.arange(16))
                           for i in range(0, 11, size)])
        assert torch.equal(parts, whole), size


def test_uint8_conversion_is_round_255x():
    x = torch.tensor([0.0, 0.5 / 255, 1.5 / 255, 0.2, 0.999, 1.0, -0.1, 1.2])
    expected = np.clip(np.round(255 * x.numpy().astype(np.float32)), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(to_uint8(x).numpy(), expected)


def test_reconstruct_matches_model(model):
    x = torch.rand(5, 784)
    z, recon, _ = model(x)
    torch.testing.assert_close(reconstruct(model.decoder, z.detach(), dtype=torch.float32, block_rows=2), recon.detach(),
                               rtol=0, atol=1e-6)


def test_non_finite_decoder_output_names_the_inputs():
    def decoder(z):
        out = torch.sigmoid(z[:, :1].repeat(1, 4))
        out[z[:, 0] > 100] = float("nan")
        return out

    z = torch.zeros(5, 2)
    z[3, 0] = 1000.0
    values = torch.tensor([[0.0, 1.0]])
    with pytest.raises(NonFiniteDecoderOutput) as info:
        traverse_chunk(decoder, z, values, torch.tensor([1]), block_rows=3)
    assert info.value.rows == [3]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_traversal_matches_cpu(model):
    z = torch.randn(6, 16)
    values = torch.tensor(np.tile(VALUES, (16, 1)), dtype=torch.float32)
    cpu = traverse_chunk(model.decoder, z, values, torch.arange(16), dtype=torch.float32)
    gpu_model = AutoencoderClassifier().eval()
    gpu_model.load_state_dict(model.state_dict())
    gpu_model.cuda()
    gpu = traverse_chunk(gpu_model.decoder, z.cuda(), values.cuda(), torch.arange(16).cuda(), dtype=torch.float32)
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-5)
