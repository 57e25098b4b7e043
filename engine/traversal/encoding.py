"""Encoding a dataset's inputs to latent codes, in batches of rows, with a check for NaN and Inf.

Only one batch of images is in memory at a time (``inputs`` may be a lazy, file-backed array such as
:class:`~latentnav.data.images.LazyImages`), so encoding 737,280 dSprites images needs no more than a batch.
"""

import numpy as np
import torch

from latentnav.models.loaded import LoadedModel
from latentnav.errors import LatentnavError

BATCH_BYTES = 64 * 2**20  # float32 images per encoder call
MAX_STATS_INPUTS = 10_000


def batch_rows(values_per_input: int, batch: int = 4096, batch_bytes: int | None = None) -> int:
    """Rows per encoder call: at most ``batch`` and at most ``batch_bytes`` (default :data:`BATCH_BYTES`) of
    float32 inputs (at least 1)."""
    limit = BATCH_BYTES if batch_bytes is None else batch_bytes
    return max(1, min(batch, limit // max(4 * int(values_per_input), 1)))


@torch.no_grad()
def encode_inputs(model: LoadedModel, inputs, device: torch.device, index: np.ndarray | None = None,
                  batch: int = 4096, rows: np.ndarray | None = None) -> np.ndarray:
    """Latent codes (n, L) float32 of ``inputs`` (N, P) (or of its rows ``rows`` (n,) when given).

    Parameters
    ----------
    model : LoadedModel
    inputs : ndarray or array-like of shape (N, P)
        Indexable by a slice or an integer array of rows, giving float32 (n, P).
    device : torch.device
    index : ndarray of shape (n,), optional
        Dataset indices of the encoded inputs, to name them in the NaN/Inf error.
    batch : int
        At most this many rows per encoder call (fewer for large images, see :func:`batch_rows`).
    rows : ndarray of shape (n,), optional
        Encode only these rows of ``inputs``, in this order.
    """
    n = len(inputs) if rows is None else len(rows)
    step = batch_rows(inputs.shape[1], batch)
    parts = []
    for start in range(0, n, step):
        part = inputs[start:start + step] if rows is None else inputs[np.asarray(rows[start:start + step])]
        x = torch.from_numpy(np.ascontiguousarray(part, dtype=np.float32)).to(device)
        parts.append(model.encode(x).float().cpu())
    z = torch.cat(parts).numpy() if parts else np.zeros((0, model.latent_dim), np.float32)
    bad = np.nonzero(~np.isfinite(z).all(axis=1))[0]
    if len(bad):
        names = (bad if index is None else np.asarray(index)[bad])[:10].tolist()
        raise LatentnavError(f"the encoder returned NaN or Inf for {len(bad)} inputs (dataset indices {names}); "
                             f"check the checkpoint")
    return z


def stats_rows(n: int, limit: int | None = None, seed: int = 0) -> np.ndarray | None:
    """Rows (limit,) of ``n`` inputs for range statistics: None (all of them) up to ``limit`` (default
    :data:`MAX_STATS_INPUTS`), else a seeded sample.

    The sample is sorted (file order reads fastest) and the same for the same ``n``, so a resumed run gets the
    same traversal values.
    """
    limit = MAX_STATS_INPUTS if limit is None else limit
    if n <= limit:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False)).astype(np.int64)
