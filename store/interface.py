"""The store interface that jobs use: what a traversal store holds and can do, independent of its backend.

Jobs (traverse, effects, report, dask) talk to a :class:`RunStore` only; they never touch zarr objects. The zarr
implementation is :class:`latentnav.store.traversal_store.TraversalStore`; another backend implements this protocol
and registers an opener in :data:`latentnav.store.BACKENDS`.
"""

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from latentnav.errors import ParameterError
from latentnav.store.layout import CODECS, DEFAULT_CODEC, IMAGE_DTYPES


@dataclass(frozen=True)
class StoreContents:
    """What a new store is created with (everything but the images and reconstructions).

    Attributes
    ----------
    latents : ndarray (N, L) float32
    labels : ndarray (N,) int64
    input_index : ndarray (N,) int64
        Index of each input in its dataset (the ``input`` coordinate).
    values : ndarray (D, S) float32
        What ``z[dims[j]]`` is set to (or offset by) at step ``s`` (the ``value`` coordinate).
    dims : tuple of int
        The D traversed latent dimensions (the ``dim`` coordinate).
    image_shape : tuple (C, H, W)
    chunk_size : int
        Inputs per chunk.
    dtype : str
        ``uint8`` or ``float32``.
    identity : dict
        JSON-ready description of config, model and dataset; a resume must present the same.
    codec : str
        Chunk compressor (``zstd``, ``lz4`` or ``none``; :mod:`latentnav.store.codecs`); a resume must present the
        same. Every chunk carries a CRC32C checksum whatever the codec.
    """

    latents: np.ndarray
    labels: np.ndarray
    input_index: np.ndarray
    values: np.ndarray
    dims: tuple
    image_shape: tuple
    chunk_size: int
    dtype: str
    identity: dict
    codec: str = DEFAULT_CODEC

    def __post_init__(self):
        if self.codec not in CODECS:
            raise ParameterError("codec", f"is unknown; choose {', '.join(CODECS)}", value=self.codec)
        if self.dtype not in IMAGE_DTYPES:
            raise ParameterError("dtype", "is unknown; choose uint8 or float32", value=self.dtype)
        if self.chunk_size < 1:
            raise ParameterError("chunk_size", f"must be >= 1, got {self.chunk_size}")
        if len(self.image_shape) != 3:
            raise ValueError(f"image_shape must be (C, H, W), got {self.image_shape}")
        if self.values.shape[0] != len(self.dims):
            raise ValueError(f"values must be (D, S) for the D = {len(self.dims)} dims, got {self.values.shape}")


@dataclass(frozen=True)
class Damage:
    """What a store check found and cleared (:meth:`RunStore.verify`).

    Attributes
    ----------
    images : list of int
        Input chunks whose ``done`` flags were cleared: the next ``traverse`` decodes exactly these again.
    effects : list of int
        Chunks whose effects (arrays or flags) were damaged; their effects flags were cleared, as were those of
        ``images``.
    arrays : dict
        Array name -> indices of its chunks found missing or damaged (flags included). ``input``, ``latents``,
        ``labels`` and the coordinates are rewritten from the freshly encoded inputs by the next ``traverse``.
    """

    images: list = field(default_factory=list)
    effects: list = field(default_factory=list)
    arrays: dict = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (self.images or self.effects or self.arrays)


class RunStore(Protocol):
    """A traversal store: chunked images of every (input, dim, step), effects, and per-chunk done flags."""

    location: str
    storage_options: dict | None

    @property
    def chunk_size(self) -> int: ...
    @property
    def n_inputs(self) -> int: ...
    @property
    def n_chunks(self) -> int: ...
    @property
    def dims(self) -> list[int]: ...
    @property
    def image_shape(self) -> tuple[int, int, int]: ...
    @property
    def complete(self) -> bool: ...
    @property
    def attrs(self) -> dict:
        """A copy of the store's attributes (identity, checkpoint, timings ...)."""
    def update_attrs(self, values: dict) -> None: ...
    def read(self, name: str, start: int | None = None, stop: int | None = None) -> np.ndarray:
        """Array ``name`` of the layout (rows ``start:stop`` along its first axis)."""
    def chunk_bounds(self, k: int) -> tuple[int, int]: ...
    def done_flags(self) -> np.ndarray: ...
    def pending_chunks(self) -> list[int]: ...
    def write_chunk(self, k: int, images: np.ndarray, reconstructions: np.ndarray) -> None: ...
    def set_complete(self, extra: dict | None = None) -> None: ...
    def has_effects(self) -> bool: ...
    def ensure_effects(self, measures: list[str]) -> None: ...
    def effects_done(self) -> np.ndarray: ...
    def effects_pending(self) -> list[int]: ...
    def write_effects(self, k: int, arrays: dict) -> None: ...
    def read_effects(self) -> dict: ...
    def verify(self, full: bool = True) -> Damage:
        """Check every array (``full``: read every chunk back; else chunk presence) and clear damaged chunks' flags."""
    def disk_bytes(self) -> int: ...
    def image_bytes(self) -> int: ...
