"""What a traversal does to each image: pixel change, the class along the way, and morphometrics.

All effects are computed from the stored (uint8) images, so computing them during the traversal or later from
the store (``latentnav effects``) gives bitwise the same numbers. The class of an image is the model's own head
applied to the re-encoded image (``classify(encode(img / 255))``), run in fixed-size blocks like the decoder.
"""

from dataclasses import dataclass, fields

import numpy as np
import torch

from latentnav.effects.morphometrics import MEASURES, measures_and_change, morphometrics
from latentnav.traversal.batched import DEFAULT_BLOCK_ROWS
from latentnav.models.loaded import LoadedModel


@dataclass(frozen=True)
class ChunkEffects:
    """Effects of a chunk of n inputs traversed along D dimensions in S steps.

    Attributes
    ----------
    pixel_change : ndarray (n, D, S) float32
        Mean absolute difference to the input's unmodified reconstruction, in [0, 1].
    classes : ndarray (n, D, S) int16
        Class the model's head gives the re-encoded image (-1 without a head).
    class_prob : ndarray (n, D, S) float32
        Its softmax probability (0 without a head).
    morphometrics : ndarray (n, D, S, 5) float32
        :data:`latentnav.effects.morphometrics.MEASURES` of each image (of grey ink: NaN for colour images).
    recon_class : ndarray (n,) int16
    recon_prob : ndarray (n,) float32
    recon_morphometrics : ndarray (n, 5) float32
    """

    pixel_change: np.ndarray
    classes: np.ndarray
    class_prob: np.ndarray
    morphometrics: np.ndarray
    recon_class: np.ndarray
    recon_prob: np.ndarray
    recon_morphometrics: np.ndarray

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def pixel_change(images: np.ndarray, recon: np.ndarray) -> np.ndarray:
    """Mean |image - reconstruction| / 255 of uint8 images (n, D, S, C, H, W) against recon (n, C, H, W): (n, D, S)."""
    diff = np.abs(images.astype(np.int16) - recon[:, None, None].astype(np.int16))
    return (diff.mean(axis=(-3, -2, -1)) / 255.0).astype(np.float32)


@torch.no_grad()
def classify_images(model: LoadedModel, images: np.ndarray, device: torch.device,
                    block_rows: int = DEFAULT_BLOCK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Class and probability of uint8 images (m, C, H, W) by the model's head on their re-encoding.

    Returns ``(classes (m,) int16, probs (m,) float32)``; (-1, 0) everywhere for a model without a head.
    """
    m = len(images)
    if model.num_classes == 0:
        return np.full(m, -1, np.int16), np.zeros(m, np.float32)
    flat = torch.from_numpy(np.ascontiguousarray(images).reshape(m, -1))
    classes, probs = np.empty(m, np.int16), np.empty(m, np.float32)
    for start in range(0, m, block_rows):
        block = flat[start:start + block_rows].to(device)
        real = block.shape[0]
        if real < block_rows:  # pad so that every call has one shape: results independent of chunking
            block = torch.cat([block, block.new_zeros(block_rows - real, block.shape[1])])
        logits = model.classify(model.encode(block.float() / 255.0))[:real]
        p, c = torch.softmax(logits.float(), dim=1).max(dim=1)
        classes[start:start + real] = c.cpu().numpy()
        probs[start:start + real] = p.cpu().numpy()
    return classes, probs


def classify_chunk(model: LoadedModel, images: np.ndarray, recon: np.ndarray, device: torch.device,
                   block_rows: int = DEFAULT_BLOCK_ROWS) -> dict:
    """The torch half of a chunk's effects: classes and probabilities of uint8 images (n, D, S, C, H, W) and
    recon (n, C, H, W)."""
    n, d, s = images.shape[:3]
    classes, probs = classify_images(model, images.reshape(n * d * s, *images.shape[3:]), device, block_rows)
    recon_classes, recon_probs = classify_images(model, recon, device, block_rows)
    return {"classes": classes.reshape(n, d, s), "class_prob": probs.reshape(n, d, s),
            "recon_class": recon_classes, "recon_prob": recon_probs}


def measure_chunk(images: np.ndarray, recon: np.ndarray, classified: dict) -> ChunkEffects:
    """The numba half (pixel change, morphometrics; releases the GIL), combined with :func:`classify_chunk`'s output.

    ``images`` (n, D, S, C, H, W) and ``recon`` (n, C, H, W) uint8. Morphometrics measure grey ink, so they are
    computed for one channel and NaN for colour images; the pixel change is defined for all.
    """
    if images.shape[3] == 1:
        measures, change = measures_and_change(images[:, :, :, 0], recon[:, 0])
        recon_measures = morphometrics(recon[:, 0])
    else:
        change = pixel_change(images, recon)
        measures = np.full((*images.shape[:3], len(MEASURES)), np.nan, np.float32)
        recon_measures = np.full((len(recon), len(MEASURES)), np.nan, np.float32)
    return ChunkEffects(pixel_change=change, morphometrics=measures, recon_morphometrics=recon_measures, **classified)


def as_uint8(images: np.ndarray) -> np.ndarray:
    """uint8 images as they are; float images in [0, 1] as ``round(255 x)``."""
    return images if images.dtype == np.uint8 else np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)


def chunk_effects(model: LoadedModel, images: np.ndarray, recon: np.ndarray, device: torch.device,
                  block_rows: int = DEFAULT_BLOCK_ROWS) -> ChunkEffects:
    """All effects of a chunk: ``images`` (n, D, S, C, H, W) and ``recon`` (n, C, H, W), uint8 or float in [0, 1]."""
    images, recon = as_uint8(images), as_uint8(recon)
    return measure_chunk(images, recon, classify_chunk(model, images, recon, device, block_rows))
