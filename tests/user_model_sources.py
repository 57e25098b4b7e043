"""Users' own model classes, as source text written to a ``file.py`` the tests pass as ``--model-class``.

Users' models arrive as files outside latentnav's package, so the tests write this source next to their
checkpoints and name a class in it (:func:`write_user_models`).

- ``UserConvVAE(latent, channels)``: a small conv VAE for 64x64 images; ``encode`` gives ``(mu, logvar)``, ``decode``
  a dict with ``recon_x``; a BatchNorm (its ``num_batches_tracked`` buffer is int64); TorchScript-able.
- ``UserMLP()``: flat 784 pixels, ``.encoder``/``.decoder`` attributes, 3 latents, no constructor arguments.
- ``UserVAEMLP(latent)``: flat 784 pixels; ``encode`` gives ``(mu, None)``, ``decode`` a dict with ``x_hat``.
"""

from pathlib import Path

SOURCE = '''
from typing import Dict, Tuple

import torch
from torch import nn


class UserConvVAE(nn.Module):
    def __init__(self, latent: int = 4, channels: int = 1):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(channels, 8, 4, 2, 1), nn.ReLU(), nn.Conv2d(8, 8, 4, 2, 1), nn.ReLU(),
                                 nn.Flatten())
        self.mu = nn.Linear(8 * 16 * 16, latent)
        self.logvar = nn.Linear(8 * 16 * 16, latent)
        self.dec_fc = nn.Linear(latent, 8 * 16 * 16)
        self.bn = nn.BatchNorm2d(8)
        self.dec = nn.Sequential(nn.ConvTranspose2d(8, 8, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(8, channels, 4, 2, 1))

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        h = self.enc(x)
        return self.mu(h), self.logvar(h)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> Dict[str, torch.Tensor]:
        h = self.dec_fc(z).reshape(z.shape[0], 8, 16, 16)
        return {"recon_x": torch.sigmoid(self.dec(self.bn(h)))}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x)[0])["recon_x"]


class UserMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(784, 3)
        self.decoder = nn.Sequential(nn.Linear(3, 784), nn.Sigmoid())


class UserVAEMLP(nn.Module):
    def __init__(self, latent=3):
        super().__init__()
        self.enc = nn.Linear(784, latent)
        self.dec = nn.Linear(latent, 784)

    def encode(self, x):
        return self.enc(x.reshape(len(x), -1)), None

    def decode(self, z):
        return {"x_hat": torch.sigmoid(self.dec(z))}
'''


def write_user_models(folder: Path, name: str = "file.py") -> Path:
    """Write :data:`SOURCE` to ``folder / name``; ``f"{path}:UserConvVAE"`` (etc.) is then a ``--model-class``."""
    path = Path(folder) / name
    path.write_text(SOURCE)
    return path
