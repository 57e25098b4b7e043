"""Create, open, validate and resume a traversal store (layout v1, :mod:`store.layout`).

Writers fill chunk ``k`` (inputs ``k*c .. (k+1)*c``) with :meth:`TraversalStore.write_chunk`, which sets the
chunk's ``done`` flag only after its images and reconstructions are written; a killed run therefore resumes
by redoing exactly the chunks whose flag is not set. Readers need nothing from latentnav: it is a plain
zarr v3 group with named dimensions.
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr
from zarr.codecs import ZstdCodec

from models.errors import LatentnavError
from store.failpoints import failpoint
from store.layout import DIMENSIONS, IMAGE_DTYPES, LAYOUT_KEY, LAYOUT_VERSION, ZSTD_LEVEL


@dataclass(frozen=True)
class StoreContents:
    """What a new store is created with (everything but the images and reconstructions).

    Attributes
    ----------
    latents : ndarray (N, L) float32
    labels : ndarray (N,) int64
    input_index : ndarray (N,) int64
    values : ndarray (L, S) float32
    dims : tuple of int
        The traversed dimensions (D of them); ``images`` has D along ``dim``.
    image_shape : tuple (H, W)
    chunk_size : int
        Inputs per chunk.
    dtype : str
        ``uint8`` or ``float32``.
    identity : dict
        JSON-ready description of config, model and dataset; a resume must present the same.
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

    def __post_init__(self):
        if self.dtype not in IMAGE_DTYPES:
            raise LatentnavError(f"--dtype {self.dtype!r} is unknown; choose uint8 or float32")
        if self.chunk_size < 1:
            raise LatentnavError(f"--chunk-size must be >= 1, got {self.chunk_size}")


class TraversalStore:
    """A traversal store on disk (or any zarr store URL)."""

    def __init__(self, group: zarr.Group, location: str):
        self.group = group
        self.location = location
        self._writable = None

    def _arrays_for_writing(self) -> tuple:
        """(images, reconstructions, done), opened once, with zarr's empty-chunk scan off.

        ``write_empty_chunks`` is a runtime setting, not stored: without it zarr compares every chunk to the
        fill value before writing, which costs more than the zstd compression itself.
        """
        if self._writable is None:
            dense = {"write_empty_chunks": True}
            self._writable = tuple(self.group[name].with_config(dense) for name in ("images", "reconstructions", "done"))
        return self._writable

    # ----------------------------------------------------------------- creation and opening
    @classmethod
    def create(cls, location: str | Path, contents: StoreContents, *, overwrite: bool = False,
               storage_options: dict | None = None) -> "TraversalStore":
        """Write a new, empty (no chunk done) store at ``location``; it must not exist unless ``overwrite``."""
        group = zarr.open_group(str(location), mode="w" if overwrite else "w-",
                                storage_options=fsspec_options(location, storage_options))
        n, (h, w) = len(contents.labels), contents.image_shape
        c = contents.chunk_size
        zstd = (ZstdCodec(level=ZSTD_LEVEL),)
        small = {
            "latents": (contents.latents.astype(np.float32), (c, contents.latents.shape[1])),
            "labels": (contents.labels.astype(np.int64), (c,)),
            "input_index": (contents.input_index.astype(np.int64), (c,)),
            "values": (contents.values.astype(np.float32), contents.values.shape),
        }
        for name, (data, chunks) in small.items():
            arr = group.create_array(name, shape=data.shape, chunks=chunks, dtype=data.dtype, compressors=zstd,
                                     dimension_names=DIMENSIONS[name])
            arr[...] = data
        group.create_array("reconstructions", shape=(n, h, w), chunks=(c, h, w), dtype=contents.dtype,
                           compressors=zstd, dimension_names=DIMENSIONS["reconstructions"], fill_value=0)
        group.create_array("images", shape=(n, len(contents.dims), contents.values.shape[1], h, w),
                           chunks=(c, len(contents.dims), contents.values.shape[1], h, w), dtype=contents.dtype,
                           compressors=zstd, dimension_names=DIMENSIONS["images"], fill_value=0,
                           attributes={"dims": list(contents.dims)})
        group.create_array("done", shape=(-(-n // c),), chunks=(1,), dtype=bool, compressors=None,
                           dimension_names=DIMENSIONS["done"], fill_value=False)
        group.attrs.update({LAYOUT_KEY: LAYOUT_VERSION, "identity": contents.identity, "chunk_size": c,
                            "dims": list(contents.dims), "dtype": contents.dtype, "complete": False})
        return cls(group, str(location))

    @classmethod
    def open(cls, location: str | Path, mode: str = "r", *, storage_options: dict | None = None) -> "TraversalStore":
        """Open an existing store; refuse anything that is not a latentnav store of this layout."""
        if _is_local(location) and not Path(location).is_dir():
            raise LatentnavError(f"store {location} does not exist (or is not a directory); create it with `latentnav traverse --out {location}`")
        try:
            group = zarr.open_group(str(location), mode=mode, storage_options=fsspec_options(location, storage_options))
        except Exception as exc:
            raise LatentnavError(f"{location} is not a zarr store ({type(exc).__name__}: {exc})") from None
        version = group.attrs.get(LAYOUT_KEY)
        if version != LAYOUT_VERSION:
            raise LatentnavError(f"{location} is not a latentnav traversal store (layout {version!r}, expected {LAYOUT_VERSION})")
        missing = [name for name in DIMENSIONS if name not in group]
        if missing:
            raise LatentnavError(f"store {location} lacks arrays {', '.join(missing)}; it is damaged: re-run with --overwrite")
        return cls(group, str(location))

    @classmethod
    def open_or_create(cls, location: str | Path, contents: StoreContents, *, overwrite: bool = False,
                       storage_options: dict | None = None) -> tuple["TraversalStore", bool]:
        """Resume the store at ``location`` if it was made with the same identity, else create it.

        Returns ``(store, resumed)``. A store with another identity is refused unless ``overwrite``; a path that
        holds anything but a latentnav store is always refused (it is never deleted).
        """
        if _is_local(location):
            path = Path(location)
            if path.exists() and not path.is_dir():
                raise LatentnavError(f"--out {path} is a file; give a directory name for the store, such as {path}.zarr")
            if path.is_dir() and any(path.iterdir()):
                if not (path / "zarr.json").is_file():
                    raise LatentnavError(f"--out {path} is a non-empty directory that is not a latentnav store; choose another --out")
                existing = cls.open(path, "r+")
                if existing.matches(contents, overwrite):
                    existing.remove_partial_files()
                    return existing, True
                shutil.rmtree(path)
        elif not overwrite:  # a URL: resume what is there when it is ours with the same identity
            try:
                existing = cls.open(location, "r+", storage_options=storage_options)
            except LatentnavError:
                existing = None
            if existing is not None and existing.matches(contents, overwrite):
                return existing, True
        return cls.create(location, contents, overwrite=overwrite, storage_options=storage_options), False

    def matches(self, contents: StoreContents, overwrite: bool) -> bool:
        """True when this store was made with ``contents``' identity and chunk size (so it can be resumed).

        Otherwise False with ``overwrite`` (the caller replaces it), else an error naming the differences.
        """
        differences = _differences(self.group.attrs.get("identity", {}), contents.identity)
        if self.chunk_size != contents.chunk_size:
            differences.append(f"chunk_size: {self.chunk_size} vs {contents.chunk_size}")
        if not differences:
            return True
        if overwrite:
            return False
        raise LatentnavError(f"store {self.location} was written with another configuration ({'; '.join(differences)}); "
                             f"pass --overwrite to replace it or choose another --out")

    # ----------------------------------------------------------------- properties
    @property
    def chunk_size(self) -> int:
        return int(self.group.attrs["chunk_size"])

    @property
    def n_inputs(self) -> int:
        return int(self.group["labels"].shape[0])

    @property
    def n_chunks(self) -> int:
        return int(self.group["done"].shape[0])

    @property
    def dims(self) -> list[int]:
        return list(self.group.attrs["dims"])

    @property
    def complete(self) -> bool:
        return bool(self.group.attrs.get("complete", False))

    def chunk_bounds(self, k: int) -> tuple[int, int]:
        """Input range ``[start, stop)`` of chunk ``k``."""
        c = self.chunk_size
        return k * c, min((k + 1) * c, self.n_inputs)

    def done_flags(self) -> np.ndarray:
        """Done flag per chunk, (n_chunks,) bool."""
        return np.asarray(self.group["done"][:], dtype=bool)

    def pending_chunks(self) -> list[int]:
        """Chunks whose ``done`` flag is not set."""
        return [int(k) for k in np.nonzero(~self.done_flags())[0]]

    # ----------------------------------------------------------------- writing
    def write_chunk(self, k: int, images: np.ndarray, reconstructions: np.ndarray) -> None:
        """Write chunk ``k``'s images (n, D, S, H, W) and reconstructions (n, H, W), then set its done flag."""
        start, stop = self.chunk_bounds(k)
        images_arr, recon_arr, done_arr = self._arrays_for_writing()
        images_arr[start:stop] = images
        failpoint("images_written", k)
        recon_arr[start:stop] = reconstructions
        done_arr[k] = True
        failpoint("chunk_done", k)

    def set_complete(self, extra: dict | None = None) -> None:
        """Mark the store complete (every chunk done) and record ``extra`` attributes (e.g. timings)."""
        if not self.done_flags().all():
            raise RuntimeError("set_complete called while chunks are pending")
        self.group.attrs.update({"complete": True, **(extra or {})})

    def remove_partial_files(self) -> int:
        """Delete temporary ``*.partial`` files a killed writer left behind; return how many."""
        if not _is_local(self.location):
            return 0
        stray = list(Path(self.location).rglob("*.partial"))
        for path in stray:
            path.unlink(missing_ok=True)
        return len(stray)

    def disk_bytes(self) -> int:
        """Bytes the store takes on disk (local stores; 0 elsewhere)."""
        if not _is_local(self.location):
            return 0
        return sum(p.stat().st_size for p in Path(self.location).rglob("*") if p.is_file())

    def image_bytes(self) -> int:
        """Uncompressed bytes of ``images`` plus ``reconstructions``."""
        return int(self.group["images"].nbytes + self.group["reconstructions"].nbytes)


def _is_local(location) -> bool:
    return "://" not in str(location)


def fsspec_options(location, storage_options: dict | None) -> dict | None:
    """``storage_options`` for zarr; ``file://`` URLs get ``auto_mkdir`` (fsspec's local files need it)."""
    if str(location).startswith("file://"):
        return {"auto_mkdir": True, **(storage_options or {})}
    return storage_options


def _differences(old: dict, new: dict) -> list[str]:
    """Human-readable list of keys whose values differ between two identity dicts."""
    old_flat, new_flat = _flatten(old), _flatten(new)
    keys = sorted(set(old_flat) | set(new_flat))
    return [f"{k}: {old_flat.get(k)!r} vs {new_flat.get(k)!r}" for k in keys if old_flat.get(k) != new_flat.get(k)]


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = json.loads(json.dumps(value))  # tuples -> lists, as stored
    return out
