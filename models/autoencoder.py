"""The article's ``AutoencoderClassifier``: a 784-128-64-L encoder, an L-64-128-784 decoder, a linear head."""

import torch
from torch import nn


class AutoencoderClassifier(nn.Module):
    """Autoencoder with a classification head on the latent code (the seed architecture).

    The module names and layer order equal the article's code, so its ``state_dict`` keys are
    ``encoder.{0,2,4}.*``, ``decoder.{0,2,4}.*`` and ``classifier.*``: a state_dict saved by the
    article loads here with ``load_state_dict`` unchanged, and ours loads in the article's code.

    Parameters
    ----------
    input_dim : int
        Number of input values (784 for flattened 28x28 images).
    latent_dim : int
        Size L of the latent code.
    num_classes : int
        Number of classes of the head.
    """

    def __init__(self, input_dim: int = 784, latent_dim: int = 16, num_classes: int = 10):
        super().__init__()
        self.input_dim, self.latent_dim, self.num_classes = input_dim, latent_dim, num_classes
        self.encoder = nn.Sequential(
            nn.Linear(input_dim, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, latent_dim)
        )
        self.decoder = make_decoder(latent_dim, input_dim)
        self.classifier = nn.Linear(latent_dim, num_classes)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent codes (n, L) of inputs ``x`` (n, input_dim)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstructions (..., input_dim) in [0, 1] of codes ``z`` (..., L)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return ``(z, recon, logits)`` with shapes (n, L), (n, input_dim), (n, num_classes)."""
        z = self.encoder(x)
        return z, self.decoder(z), self.classifier(z)


def make_decoder(latent_dim: int, output_dim: int) -> nn.Sequential:
    """The seed decoder L-64-128-output with ReLU between and a Sigmoid at the end."""
    return nn.Sequential(
        nn.Linear(latent_dim, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, output_dim), nn.Sigmoid()
    )
