"""Models and checkpoints of latentnav (``latentnav.models``): the article's autoencoder, the beta-VAE, the
convolutional autoencoders of the disentanglement literature, loading.

The bottom layer with :mod:`latentnav.store` and the pure subject packages: imports nothing from jobs or the CLI.
"""

from latentnav.models.autoencoder import AutoencoderClassifier
from latentnav.models.checkpoint import load_checkpoint, save_checkpoint
from latentnav.models.conv import ConvAE, ConvVAE
from latentnav.models.loaded import LoadedModel
from latentnav.models.vae import BetaVAEClassifier

__all__ = ["AutoencoderClassifier", "BetaVAEClassifier", "ConvAE", "ConvVAE", "LoadedModel", "load_checkpoint",
           "save_checkpoint"]
