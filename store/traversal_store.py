"""The zarr implementation of the traversal store (layout v2, :mod:`latentnav.store.layout`).

Writers fill chunk ``k`` (inputs ``k*c .. (k+1)*c``) with :meth:`TraversalStore.write_chunk`, which sets the
chunk's ``done`` flag only after its images and reconstructions are written; a killed run therefore resumes
by redoing exactly the chunks whose flag is not set. Readers need nothing from latentnav: it is a plain zarr v3
group with named dimensions and consolidated metadata, so ``xarray.open_zarr`` reads it as is.
"""

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import zarr
from zarr.codecs import ZstdCodec

from latentnav.errors import LatentnavError
from latentnav.store import effects_store, verify
from latentnav.store.failpoints import failpoint
from latentnav.store.interface import StoreContents
from latentnav.store.layout import CHUNKED, DIMENSIONS, LAYOUT_KEY, LAYOUT_VERSION, UINT8_SCALE, ZSTD_LEVEL


class TraversalStore:
    """A traversal store on disk (or at any fsspec URL zarr can write); implements :class:`RunStore`."""

    def __init__(self, group: zarr.Group, location: str, storage_options: dict | None = None):
        self.group = group
        self.location = location
        self.storage_options = storage_options
        self._writable = None

    # ----------------------------------------------------------------- creation and opening
    @classmethod
    def create(cls, location: str | Path, contents: StoreContents, *, overwrite: bool = False,
               storage_options: dict | None = None) -> "TraversalStore":
        """Write a new, empty (no chunk done) store at ``location``; it must not exist unless ``overwrite``."""
        options = fsspec_options(location, storage_options)
        group = zarr.open_group(str(location), mode="w" if overwrite else "w-", storage_options=options)
        n, c = len(contents.labels), contents.chunk_size
        n_dims, steps = contents.values.shape
        zstd = (ZstdCodec(level=ZSTD_LEVEL),)
        whole = {
            "input": contents.input_index.astype(np.int64), "latent": np.arange(contents.latents.shape[1]),
            "dim": np.asarray(contents.dims, dtype=np.int64), "step": np.arange(steps),
            "value": contents.values.astype(np.float32),
        }
        along_input = {"latents": contents.latents.astype(np.float32), "labels": contents.labels.astype(np.int64)}
        for name, data in {**whole, **along_input}.items():
            chunks = (c, *data.shape[1:]) if name in along_input or name == "input" else data.shape
            arr = group.create_array(name, shape=data.shape, chunks=chunks, dtype=data.dtype, compressors=zstd,
                                     dimension_names=DIMENSIONS[name])
            arr[...] = data
        image = tuple(contents.image_shape)
        decode = {"scale_factor": UINT8_SCALE} if contents.dtype == "uint8" else {}
        for name, shape in (("reconstructions", (n, *image)), ("images", (n, n_dims, steps, *image))):
            group.create_array(name, shape=shape, chunks=(c, *shape[1:]), dtype=contents.dtype, compressors=zstd,
                               dimension_names=DIMENSIONS[name], fill_value=0,
                               attributes={**decode, **({"coordinates": "value"} if name == "images" else {})})
        group.create_array("done", shape=(-(-n // c),), chunks=(1,), dtype=bool, compressors=None,
                           dimension_names=DIMENSIONS["done"], fill_value=False)
        store = cls(group, str(location), storage_options)
        store.update_attrs({LAYOUT_KEY: LAYOUT_VERSION, "identity": contents.identity, "chunk_size": c,
                            "dims": list(contents.dims), "dtype": contents.dtype, "complete": False})
        return store

    @classmethod
    def open(cls, location: str | Path, mode: str = "r", *, storage_options: dict | None = None) -> "TraversalStore":
        """Open an existing store; refuse anything that is not a latentnav store of this layout."""
        if is_local(location) and not Path(location).is_dir():
            raise LatentnavError(f"store {location} does not exist (or is not a directory); create it with "
                                 f"`latentnav traverse --out {location}`")
        try:
            group = zarr.open_group(str(location), mode=mode, use_consolidated=False,
                                    storage_options=fsspec_options(location, storage_options))
        except Exception as exc:
            raise LatentnavError(f"{location} is not a zarr store ({type(exc).__name__}: {exc})") from None
        version = group.attrs.get(LAYOUT_KEY)
        if version != LAYOUT_VERSION:
            if isinstance(version, int) and version < LAYOUT_VERSION:
                raise LatentnavError(f"store {location} has layout {version}, older than this latentnav's "
                                     f"{LAYOUT_VERSION}; re-run the traverse command with --overwrite to rewrite it")
            raise LatentnavError(f"{location} is not a latentnav traversal store (layout {version!r}, "
                                 f"expected {LAYOUT_VERSION})")
        missing = [name for name in DIMENSIONS if name not in group]
        if missing:
            raise LatentnavError(f"store {location} lacks arrays {', '.join(missing)}; it is damaged: re-run with --overwrite")
        return cls(group, str(location), storage_options)

    @classmethod
    def open_or_create(cls, location: str | Path, contents: StoreContents, *, overwrite: bool = False,
                       storage_options: dict | None = None) -> tuple["TraversalStore", bool]:
        """Resume the store at ``location`` if it was made with the same identity, else create it.

        Returns ``(store, resumed)``. A store with another identity is refused unless ``overwrite``; a path that
        holds anything but a latentnav store is always refused (it is never deleted).
        """
        if is_local(location):
            path = Path(location)
            if path.exists() and not path.is_dir():
                raise LatentnavError(f"--out {path} is a file; give a directory name for the store, such as {path}.zarr")
            if path.is_dir() and any(path.iterdir()):
                if not (path / "zarr.json").is_file():
                    raise LatentnavError(f"--out {path} is a non-empty directory that is not a latentnav store; "
                                         f"choose another --out")
                if overwrite and _older_layout(path):  # ours, of an older layout: --overwrite rewrites it
                    shutil.rmtree(path)
                    return cls.create(location, contents, storage_options=storage_options), False
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
        differences = _differences(self.attrs.get("identity", {}), contents.identity)
        if self.chunk_size != contents.chunk_size:
            differences.append(f"chunk_size: {self.chunk_size} vs {contents.chunk_size}")
        if not differences:
            return True
        if overwrite:
            return False
        raise LatentnavError(f"store {self.location} was written with another configuration ({'; '.join(differences)}); "
                             f"pass --overwrite to replace it or choose another --out")

    # ----------------------------------------------------------------- attributes and properties
    @property
    def attrs(self) -> dict:
        return dict(self.group.attrs)

    def update_attrs(self, values: dict) -> None:
        """Set group attributes and refresh the consolidated metadata that ``xarray.open_zarr`` reads."""
        self.group.attrs.update(values)
        self._consolidate()

    def _consolidate(self) -> None:
        with warnings.catch_warnings():  # zarr: consolidated metadata is not (yet) in the v3 spec; xarray reads it
            warnings.simplefilter("ignore")
            zarr.consolidate_metadata(self.group.store)

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
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.group["reconstructions"].shape[1:])

    @property
    def complete(self) -> bool:
        return bool(self.group.attrs.get("complete", False))

    def read(self, name: str, start: int | None = None, stop: int | None = None) -> np.ndarray:
        """Array ``name`` (rows ``start:stop`` along its first axis) as numpy."""
        if name not in DIMENSIONS and name not in effects_store.EFFECT_NAMES:
            raise KeyError(f"{name!r} is not an array of the store layout")
        arr = self.group[name]
        return arr[...] if start is None and stop is None else arr[start:stop]

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
    def _arrays_for_writing(self) -> tuple:
        """(images, reconstructions, done), opened once, with zarr's empty-chunk scan off.

        ``write_empty_chunks`` is a runtime setting, not stored: without it zarr compares every chunk to the
        fill value before writing, which costs more than the zstd compression itself.
        """
        if self._writable is None:
            dense = {"write_empty_chunks": True}
            self._writable = tuple(self.group[name].with_config(dense) for name in (*CHUNKED, "done"))
        return self._writable

    def write_chunk(self, k: int, images: np.ndarray, reconstructions: np.ndarray) -> None:
        """Write chunk ``k``'s images (n, D, S, C, H, W) and reconstructions (n, C, H, W), then set its done flag."""
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
        self.update_attrs({"complete": True, **(extra or {})})

    # ----------------------------------------------------------------- effects and checks (see their modules)
    def has_effects(self) -> bool:
        return effects_store.has_effects(self.group)

    def ensure_effects(self, measures: list[str]) -> None:
        if not self.has_effects():
            effects_store.create_effects(self.group, self.chunk_size, self.n_chunks, measures)
            self._consolidate()

    def effects_done(self) -> np.ndarray:
        return effects_store.effects_done(self.group, self.n_chunks)

    def effects_pending(self) -> list[int]:
        """Chunks whose images are done but whose effects are not."""
        return [int(k) for k in np.nonzero(self.done_flags() & ~self.effects_done())[0]]

    def write_effects(self, k: int, arrays: dict) -> None:
        effects_store.write_effects(self.group, k, *self.chunk_bounds(k), arrays)

    def read_effects(self) -> dict:
        return effects_store.read_effects(self.group)

    def verify(self, full: bool = True) -> tuple[list[int], list[int]]:
        """Clear the flags of done chunks whose files are missing (or, with ``full``, do not decode)."""
        bad = verify.find_bad_chunks(self, full)
        verify.clear_bad_chunks(self, *bad)
        return bad

    def remove_partial_files(self) -> int:
        """Delete temporary ``*.partial`` files a killed writer left behind; return how many."""
        if not is_local(self.location):
            return 0
        stray = list(Path(self.location).rglob("*.partial"))
        for path in stray:
            path.unlink(missing_ok=True)
        return len(stray)

    def disk_bytes(self) -> int:
        """Bytes the store takes on disk (local stores; 0 elsewhere)."""
        if not is_local(self.location):
            return 0
        return sum(p.stat().st_size for p in Path(self.location).rglob("*") if p.is_file())

    def image_bytes(self) -> int:
        """Uncompressed bytes of ``images`` plus ``reconstructions``."""
        return int(sum(self.group[name].nbytes for name in CHUNKED))


def _older_layout(path: Path) -> bool:
    """True when ``path`` holds a latentnav store of an earlier layout version."""
    try:
        version = json.loads((path / "zarr.json").read_text()).get("attributes", {}).get(LAYOUT_KEY)
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(version, int) and 0 < version < LAYOUT_VERSION


def is_local(location) -> bool:
    """True for a plain path, False for a URL such as ``memory://`` or ``s3://``."""
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

