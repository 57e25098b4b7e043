"""The seed architecture and the beta-VAE: keys, shapes, forward, posterior mean, KL."""

import math

import pytest
import torch

from latentnav.models import AutoencoderClassifier, BetaVAEClassifier
from latentnav.models.vae import kl_divergence

ARTICLE_SHAPES = {
    "encoder.0.weight": (128, 784), "encoder.0.bias": (128,),
    "encoder.2.weight": (64, 128), "encoder.2.bias": (64,),
    "encoder.4.weight": (16, 64), "encoder.4.bias": (16,),
    "decoder.0.weight": (64, 16), "decoder.0.bias": (64,),
    "decoder.2.weight": (128, 64), "decoder.2.bias": (128,),
    "decoder.4.weight": (784, 128), "decoder.4.bias": (784,),
    "classifier.weight": (10, 16), "classifier.bias": (10,),
}


def test_state_dict_keys_and_shapes_equal_the_article():
    state = AutoencoderClassifier().state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == ARTICLE_SHAPES


def test_forward_returns_z_recon_logits_in_range():
    model = AutoencoderClassifier().eval()
    x = torch.rand(5, 784)
    z, recon, logits = model(x)
    assert z.shape == (5, 16) and recon.shape == (5, 784) and logits.shape == (5, 10)
    assert recon.min() >= 0 and recon.max() <= 1
    torch.testing.assert_close(recon, model.decode(model.encode(x)))
    torch.testing.assert_close(logits, model.classifier(z))


def test_vae_eval_uses_the_posterior_mean_and_training_samples():
    torch.manual_seed(0)
    model = BetaVAEClassifier(latent_dim=6)
    x = torch.rand(4, 784)
    mu, logvar = model.encode_distribution(x)
    z_eval, _, _ = model.eval()(x)
    torch.testing.assert_close(z_eval, mu)
    z_train, _, _ = model.train()(x)
    assert not torch.allclose(z_train, mu)
    shared = {k for k in AutoencoderClassifier(latent_dim=6).state_dict() if k.startswith(("decoder", "classifier"))}
    assert shared <= set(model.state_dict())


def test_vae_sample_has_the_posterior_variance():
    torch.manual_seed(0)
    model = BetaVAEClassifier(latent_dim=2).train()
    mu = torch.full((200_000, 2), 1.5)
    logvar = torch.full((200_000, 2), math.log(0.25))
    z = model.sample(mu, logvar)
    assert z.mean().item() == pytest.approx(1.5, abs=0.01)
    assert z.std().item() == pytest.approx(0.5, abs=0.01)


def test_kl_divergence_closed_form():
    mu = torch.tensor([[0.0, 0.0], [1.0, -2.0]])
    logvar = torch.tensor([[0.0, 0.0], [math.log(2.0), 0.0]])
    # KL(N(mu, s^2) || N(0, 1)) = 0.5 * (s^2 + mu^2 - 1 - ln s^2) per dimension
    expected = torch.tensor([0.0, 0.5 * (2 + 1 - 1 - math.log(2)) + 0.5 * 4])
    torch.testing.assert_close(kl_divergence(mu, logvar), expected)
