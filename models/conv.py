"""Convolutional autoencoders for 64x64 images: the standard architecture of the disentanglement literature.

Encoder and decoder follow Higgins et al. (2017, beta-VAE) and Locatello et al. (2019), disentanglement_lib
``methods/shared/architectures.py`` (``conv_encoder`` / ``deconv_decoder``)::

    encoder  (n, C, 64, 64) -> 4 x [Conv2d 4x4 stride 2 padding 1, ReLU] with 32-32-64-64 channels -> (n, 64, 4, 4)
             -> flatten (n, 1024) -> Linear 256, ReLU -> Linear L            (the VAE: fc_mu and fc_logvar, 256 -> L)
    decoder  (n, L) -> Linear 256, ReLU -> Linear 1024, ReLU -> (n, 64, 4, 4)
             -> ConvTranspose2d 4x4 stride 2 padding 1 with 64-32-32-C channels, ReLU between -> Sigmoid

so ``decode`` returns images in [0, 1] of shape (n, C, 64, 64). Only 64x64 images are supported.
"""

import math

import torch
from torch import nn

from latentnav.errors import ParameterError

IMAGE_SIZE = 64
ENCODER_CHANNELS = (32, 32, 64, 64)
DECODER_CHANNELS = (64, 32, 32)  # then the image's C
HIDDEN = 256


def conv_trunk(in_channels: int) -> list[nn.Module]:
    """The encoder up to the 256-unit hidden layer: (n, C, 64, 64) -> (n, 256), as a list of layers."""
    layers: list[nn.Module] = []
    channels = in_channels
    for out in ENCODER_CHANNELS:
        layers += [nn.Conv2d(channels, out, kernel_size=4, stride=2, padding=1), nn.ReLU()]
        channels = out
    return layers + [nn.Flatten(), nn.Linear(channels * 4 * 4, HIDDEN), nn.ReLU()]


def deconv_decoder(latent_dim: int, out_channels: int) -> nn.Sequential:
    """The decoder (n, L) -> (n, C, 64, 64) in [0, 1] (mirror of the encoder, Sigmoid at the end)."""
    last = ENCODER_CHANNELS[-1]
    layers: list[nn.Module] = [nn.Linear(latent_dim, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, last * 4 * 4), nn.ReLU(),
                               nn.Unflatten(1, (last, 4, 4))]
    channels = last
    for i, out in enumerate(DECODER_CHANNELS + (out_channels,)):
        layers.append(nn.ConvTranspose2d(channels, out, kernel_size=4, stride=2, padding=1))
        layers.append(nn.ReLU() if i < len(DECODER_CHANNELS) else nn.Sigmoid())
        channels = out
    return nn.Sequential(*layers)


class _ConvBase(nn.Module):
    """Sizes, input reshaping, decoding and the optional head shared by :class:`ConvAE` and :class:`ConvVAE`."""

    DEFAULT_LATENT_DIM = 10  # latent size when the training config names none
    TRAINS_HEAD = False  # trained without a classifier head (num_classes=0)

    def __init__(self, in_channels: int, latent_dim: int, num_classes: int, image_size: int):
        super().__init__()
        if image_size != IMAGE_SIZE:
            raise ParameterError("image_size", f"must be {IMAGE_SIZE}: the conv models take 64x64 images only",
                                 value=image_size)
        for name, value, low in (("in_channels", in_channels, 1), ("latent_dim", latent_dim, 1),
                                 ("num_classes", num_classes, 0)):
            if int(value) != value or value < low:
                raise ParameterError(name, f"must be a whole number >= {low}", value=value)
        self.in_channels, self.latent_dim, self.num_classes = int(in_channels), int(latent_dim), int(num_classes)
        self.input_shape = (self.in_channels, IMAGE_SIZE, IMAGE_SIZE)
        self.input_dim = math.prod(self.input_shape)
        self.decoder = deconv_decoder(self.latent_dim, self.in_channels)
        if self.num_classes > 0:
            self.classifier = nn.Linear(self.latent_dim, self.num_classes)

    @classmethod
    def from_sizes(cls, input_shape: tuple, latent_dim: int, num_classes: int) -> "_ConvBase":
        """The model for inputs of ``input_shape`` ``(C, 64, 64)``; a ParameterError for other image sizes."""
        shape = tuple(int(s) for s in input_shape)
        if len(shape) != 3 or shape[1] != shape[2]:
            raise ParameterError("image_size", f"must be {IMAGE_SIZE}: {cls.__name__} takes square (C, 64, 64) "
                                               f"images, got input shape {shape}")
        return cls(in_channels=shape[0], latent_dim=latent_dim, num_classes=num_classes, image_size=shape[1])

    def _images(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (n, C, 64, 64), or flat (n, C*64*64) reshaped to it."""
        return x.reshape(len(x), *self.input_shape) if x.dim() == 2 else x

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Images (..., C, 64, 64) in [0, 1] of codes ``z`` (..., L)."""
        out = self.decoder(z.reshape(-1, self.latent_dim))
        return out.reshape(*z.shape[:-1], *self.input_shape)

    def _logits(self, z: torch.Tensor) -> torch.Tensor | None:
        head = getattr(self, "classifier", None)
        return head(z) if head is not None else None


class ConvAE(_ConvBase):
    """Convolutional autoencoder (deterministic) for (C, 64, 64) images.

    Parameters
    ----------
    in_channels : int
        Image channels C (1 for dSprites, 3 for 3dshapes / MPI3D).
    latent_dim : int
        Size L of the latent code.
    num_classes : int
        Classes of an optional linear head ``classifier`` (L -> num_classes); 0 (default): no head and no
        ``classifier`` attribute.
    image_size : int
        Must be 64.

    Attributes
    ----------
    encoder : nn.Sequential
        (n, C, 64, 64) -> (n, L).
    decoder : nn.Sequential
        (n, L) -> (n, C, 64, 64), in [0, 1].
    input_shape : tuple of int
        ``(C, 64, 64)``; ``input_dim`` is its product.
    """

    def __init__(self, in_channels: int = 1, latent_dim: int = 10, num_classes: int = 0, image_size: int = 64):
        super().__init__(in_channels, latent_dim, num_classes, image_size)
        self.encoder = nn.Sequential(*conv_trunk(self.in_channels), nn.Linear(HIDDEN, self.latent_dim))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent codes (n, L) of images ``x`` (n, C, 64, 64) (or flat (n, C*64*64))."""
        return self.encoder(self._images(x))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Return ``(z, recon, logits)``: (n, L), (n, C, 64, 64), (n, num_classes) or None without a head."""
        z = self.encode(x)
        return z, self.decode(z), self._logits(z)


class ConvVAE(_ConvBase):
    """Convolutional beta-VAE for (C, 64, 64) images (Higgins et al. 2017).

    The encoder trunk ends at the 256-unit layer; ``fc_mu`` and ``fc_logvar`` (256 -> L) give the posterior. In
    training mode ``forward`` samples ``z = mu + exp(logvar / 2) * eps``; in eval mode ``z = mu``. Parameters and
    attributes as for :class:`ConvAE`, but ``encoder`` maps (n, C, 64, 64) -> (n, 256).
    """

    def __init__(self, in_channels: int = 1, latent_dim: int = 10, num_classes: int = 0, image_size: int = 64):
        super().__init__(in_channels, latent_dim, num_classes, image_size)
        self.encoder = nn.Sequential(*conv_trunk(self.in_channels))
        self.fc_mu = nn.Linear(HIDDEN, self.latent_dim)
        self.fc_logvar = nn.Linear(HIDDEN, self.latent_dim)

    def encode_distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior ``(mu, logvar)``, each (n, L), of images ``x`` (n, C, 64, 64) (or flat)."""
        h = self.encoder(self._images(x))
        return self.fc_mu(h), self.fc_logvar(h)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Posterior mean (n, L): the deterministic code used for traversal and the metrics."""
        return self.encode_distribution(x)[0]

    def sample(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """Reparameterised sample (n, L) in training mode, ``mu`` in eval mode."""
        if not self.training:
            return mu
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Return ``(z, recon, logits)``: (n, L), (n, C, 64, 64), (n, num_classes) or None without a head."""
        mu, logvar = self.encode_distribution(x)
        z = self.sample(mu, logvar)
        return z, self.decode(z), self._logits(z)
