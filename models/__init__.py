"""Models, checkpoints and datasets of latentnav (the bottom layer: imports nothing from engine or store)."""

from models.autoencoder import AutoencoderClassifier
from models.checkpoint import LoadedModel, load_checkpoint, save_checkpoint
from models.datasets import Dataset, load_dataset
from models.errors import LatentnavError
from models.vae import BetaVAEClassifier

__all__ = [
    "AutoencoderClassifier", "BetaVAEClassifier", "Dataset", "LatentnavError", "LoadedModel",
    "load_checkpoint", "load_dataset", "save_checkpoint",
]
