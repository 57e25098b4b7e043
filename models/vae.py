"""A beta-VAE with the seed model's decoder and classifier head."""

import torch
from torch import nn

from latentnav.models.autoencoder import make_decoder


class BetaVAEClassifier(nn.Module):
    """Variational autoencoder with a classification head (Higgins et al., beta-VAE).

    The encoder trunk (784-128-64) ends in two heads ``fc_mu`` and ``fc_logvar`` (64-L). In training
    mode ``forward`` samples ``z = mu + exp(logvar / 2) * eps``; in eval mode ``z = mu`` (the posterior
    mean), which is what traversal and DCI use. The decoder and ``classifier`` equal the seed model's.

    Parameters
    ----------
    input_dim, latent_dim, num_classes : int
        As for :class:`models.AutoencoderClassifier`.
    """

    def __init__(self, input_dim: int = 784, latent_dim: int = 16, num_classes: int = 10):
        super().__init__()
        self.input_dim, self.latent_dim, self.num_classes = input_dim, latent_dim, num_classes
        self.encoder = nn.Sequential(nn.Linear(input_dim, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.fc_mu = nn.Linear(64, latent_dim)
        self.fc_logvar = nn.Linear(64, latent_dim)
        self.decoder = make_decoder(latent_dim, input_dim)
        self.classifier = nn.Linear(latent_dim, num_classes)

    def encode_distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior ``(mu, logvar)``, each (n, L), of inputs ``x`` (n, input_dim)."""
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Posterior mean (n, L): the deterministic code used for traversal and DCI."""
        return self.encode_distribution(x)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstructions (..., input_dim) in [0, 1] of codes ``z`` (..., L)."""
        return self.decoder(z)

    def sample(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """Reparameterised sample (n, L) in training mode, ``mu`` in eval mode."""
        if not self.training:
            return mu
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return ``(z, recon, logits)`` with shapes (n, L), (n, input_dim), (n, num_classes)."""
        mu, logvar = self.encode_distribution(x)
        z = self.sample(mu, logvar)
        return z, self.decoder(z), self.classifier(z)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per input, shape (n,), summed over the L latent dimensions."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
