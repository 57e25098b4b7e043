"""The convolutional AE and beta-VAE: layers, shapes, posterior mean, training, checkpoints."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from latentnav import LatentnavError, load_checkpoint
from latentnav.data.datasets import Dataset
from latentnav.models import ConvAE, ConvVAE, save_checkpoint
from latentnav.models.checkpoint import build_model
from latentnav.models.training import TrainConfig, batch_loss, evaluate, train_model


@pytest.mark.parametrize("cls", [ConvAE, ConvVAE])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_of_encode_decode_forward(cls, channels):
    torch.manual_seed(0)
    model = cls(in_channels=channels, latent_dim=7).eval()
    x = torch.rand(5, channels, 64, 64)
    z = model.encode(x)
    assert z.shape == (5, 7)
    recon = model.decode(z)
    assert recon.shape == (5, channels, 64, 64) and recon.min() >= 0 and recon.max() <= 1
    z2, recon2, logits = model(x)
    assert logits is None and not hasattr(model, "classifier")
    torch.testing.assert_close(z2, z)
    torch.testing.assert_close(recon2, recon)
    torch.testing.assert_close(model.encode(x.reshape(5, -1)), z)  # flat inputs are reshaped
    assert model.decode(torch.zeros(2, 3, 7)).shape == (2, 3, channels, 64, 64)
    assert model.input_shape == (channels, 64, 64) and model.input_dim == channels * 64 * 64
    assert (model.latent_dim, model.num_classes) == (7, 0)
    head = cls(in_channels=channels, latent_dim=7, num_classes=4).eval()
    assert isinstance(head.classifier, nn.Linear) and head(x)[2].shape == (5, 4)


@pytest.mark.parametrize("cls", [ConvAE, ConvVAE])
def test_layers_are_the_disentanglement_lib_architecture(cls):
    model = cls(in_channels=3, latent_dim=10)
    convs = [m for m in model.encoder if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(3, 32), (32, 32), (32, 64), (64, 64)]
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2) and c.padding == (1, 1) for c in convs)
    enc_linears = [m for m in model.encoder if isinstance(m, nn.Linear)]
    if cls is ConvVAE:
        enc_linears += [model.fc_mu]
        assert (model.fc_logvar.in_features, model.fc_logvar.out_features) == (256, 10)
    assert [(m.in_features, m.out_features) for m in enc_linears] == [(1024, 256), (256, 10)]
    layers = list(model.encoder)
    assert layers.index(convs[-1]) < layers.index(enc_linears[0])  # all convolutions come first
    assert sum(isinstance(m, nn.ReLU) for m in model.encoder) == 5

    dec = list(model.decoder)
    dec_linears = [m for m in dec if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in dec_linears] == [(10, 256), (256, 1024)]
    deconvs = [m for m in dec if isinstance(m, nn.ConvTranspose2d)]
    assert [(d.in_channels, d.out_channels) for d in deconvs] == [(64, 64), (64, 32), (32, 32), (32, 3)]
    assert all(d.kernel_size == (4, 4) and d.stride == (2, 2) and d.padding == (1, 1) for d in deconvs)
    assert isinstance(dec[-1], nn.Sigmoid) and sum(isinstance(m, nn.ReLU) for m in dec) == 5
    assert not any(isinstance(m, nn.Conv2d) for m in dec)


def test_only_64x64_is_supported():
    with pytest.raises(LatentnavError, match="image_size=32 must be 64"):
        ConvAE(image_size=32)
    with pytest.raises(LatentnavError, match="image_size"):
        build_model("conv-vae", input_shape=(1, 28, 28), latent_dim=4, num_classes=0)


def test_vae_mean_in_eval_and_sample_in_training():
    torch.manual_seed(0)
    model = ConvVAE(latent_dim=6)
    x = torch.rand(4, 1, 64, 64)
    mu, _ = model.encode_distribution(x)
    z_eval, _, _ = model.eval()(x)
    torch.testing.assert_close(z_eval, mu)
    torch.testing.assert_close(model.encode(x), mu)
    z_train, _, _ = model.train()(x)
    assert not torch.allclose(z_train, mu)


def _squares(n: int, seed: int = 0) -> Dataset:
    """``n`` random 1x64x64 images: a white square of random size and place on black."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 64, 64), dtype=np.float32)
    for image in images:
        size = rng.integers(8, 24)
        top, left = rng.integers(0, 64 - size, size=2)
        image[top:top + size, left:left + size] = 1.0
    return Dataset("squares", "train", images.reshape(n, -1), rng.integers(0, 3, size=n), image_shape=(1, 64, 64))


def test_training_a_conv_vae_lowers_the_loss():
    data = _squares(64)
    config = TrainConfig(model="conv-vae", epochs=2, batch_size=8, lr=1e-3, beta=1.0)
    assert config.latent_dim == 10 and config.to_dict()["latent_dim"] == 10
    assert TrainConfig(model="ae").latent_dim == 16 and TrainConfig(model="conv-ae", latent_dim=3).latent_dim == 3
    x = torch.from_numpy(data.inputs).reshape(64, 1, 64, 64)
    y = torch.from_numpy(data.labels)
    torch.manual_seed(config.seed)  # the weights train_model starts from
    initial = build_model("conv-vae", input_shape=(1, 64, 64), latent_dim=10, num_classes=0).eval()
    trained = train_model(config, data, torch.device("cpu"), progress=False)
    assert isinstance(trained, ConvVAE) and not trained.training and not hasattr(trained, "classifier")
    with torch.no_grad():
        before, after = float(batch_loss(initial, x, y, 1.0)), float(batch_loss(trained, x, y, 1.0))
    assert after < 0.9 * before, (before, after)
    metrics = evaluate(trained, data)
    assert metrics["accuracy"] is None and metrics["n"] == 64
    assert metrics["recon_bce"] < evaluate(initial, data)["recon_bce"]


def test_training_a_conv_model_on_28x28_images_is_refused():
    data = Dataset("digits", "train", np.zeros((4, 784), np.float32), np.zeros(4, np.int64))
    with pytest.raises(LatentnavError, match="model='conv-ae' does not fit dataset 'digits'.*image_size"):
        train_model(TrainConfig(model="conv-ae", epochs=1), data, torch.device("cpu"), progress=False)


@pytest.mark.parametrize("kind, cls", [("conv-ae", ConvAE), ("conv-vae", ConvVAE)])
@pytest.mark.parametrize("num_classes", [0, 5])
def test_round_trip_with_and_without_sidecar(tmp_path, kind, cls, num_classes):
    torch.manual_seed(3)
    model = cls(in_channels=3, latent_dim=6, num_classes=num_classes).eval()
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        expected = model(x)

    path = tmp_path / "conv.pth"
    sidecar = save_checkpoint(model, path, kind=kind, dataset="shapes3d", training={})
    arch = json.loads(sidecar.read_text())["architecture"]
    assert arch == {"kind": kind, "input_dim": 3 * 64 * 64, "latent_dim": 6, "num_classes": num_classes,
                    "in_channels": 3, "input_shape": [3, 64, 64]}
    plain = tmp_path / "plain.pth"
    torch.save(model.state_dict(), plain)  # no sidecar: everything inferred from the tensor shapes

    for p in (path, plain):
        loaded = load_checkpoint(p)
        assert type(loaded.model) is cls and loaded.kind == kind and not loaded.model.training
        assert (loaded.input_dim, loaded.latent_dim, loaded.num_classes) == (3 * 64 * 64, 6, num_classes)
        assert loaded.input_shape == (3, 64, 64)
        with torch.no_grad():
            assert torch.equal(loaded.encode(x.reshape(2, -1)), expected[0])  # flat inputs, as the engine gives
            assert torch.equal(loaded.decode(expected[0]), expected[1].reshape(2, -1))
            logits = loaded.classify(expected[0])
        assert (logits is None) == (num_classes == 0)
