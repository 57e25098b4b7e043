"""Encoding a dataset's inputs to latent codes, in batches, with a check for NaN and Inf."""

import numpy as np
import torch

from latentnav.models.loaded import LoadedModel
from latentnav.errors import LatentnavError


@torch.no_grad()
def encode_inputs(model: LoadedModel, inputs: np.ndarray, device: torch.device, index: np.ndarray | None = None,
                  batch: int = 4096) -> np.ndarray:
    """Latent codes (n, L) float32 of ``inputs`` (n, P).

    NaN or Inf codes are an error naming the inputs (by ``index`` (n,), their dataset indices, when given).
    """
    parts = [model.encode(torch.from_numpy(inputs[i:i + batch]).to(device)).float().cpu() for i in range(0, len(inputs), batch)]
    z = torch.cat(parts).numpy() if parts else np.zeros((0, model.latent_dim), np.float32)
    bad = np.nonzero(~np.isfinite(z).all(axis=1))[0]
    if len(bad):
        names = (bad if index is None else np.asarray(index)[bad])[:10].tolist()
        raise LatentnavError(f"the encoder returned NaN or Inf for {len(bad)} inputs (dataset indices {names}); "
                             f"check the checkpoint")
    return z
