"""The zarr implementation of the traversal store (layout v3, :mod:`latentnav.store.layout`).

Array creation, the codecs (every chunk checksummed), the checks and the URL helpers live in their own modules
(:mod:`.creation`, :mod:`.codecs`, :mod:`.verify`, :mod:`.chunks`, :mod:`.locations`); this class ties them together.

Writers fill chunk ``k`` (inputs ``k*c .. (k+1)*c``) with :meth:`TraversalStore.write_chunk`, which sets the
chunk's ``done`` flag only after its images and reconstructions are written; a killed run therefore resumes
by redoing exactly the chunks whose flag is not set. Readers need nothing from latentnav: it is a plain zarr v3
group with named dimensions and consolidated metadata, so ``xarray.open_zarr`` reads it as is.
"""

import warnings
from pathlib import Path

import numpy as np
import zarr

from latentnav.errors import LatentnavError
from latentnav.store import effects_store, ownership, verify
from latentnav.store.chunks import dense, read_flags
from latentnav.store.creation import create_arrays, restore_creation_arrays
from latentnav.store.failpoints import failpoint
from latentnav.store.identity import differences
from latentnav.store.interface import Damage, StoreContents
from latentnav.store.layout import CHUNKED, CODEC_KEY, DEFAULT_CODEC, DIMENSIONS, LAYOUT_KEY, LAYOUT_VERSION
from latentnav.store.locations import fsspec_options, is_local


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
        ownership.begin_creation(location, options, overwrite)  # the marker first: a killed creation is ours
        group = zarr.open_group(str(location), mode="a", storage_options=options)
        create_arrays(group, contents)
        store = cls(group, str(location), storage_options)
        ownership.finish_creation(location, options)  # before the attributes, so the consolidated metadata has it
        store.update_attrs({LAYOUT_KEY: LAYOUT_VERSION, "identity": contents.identity,
                            "chunk_size": contents.chunk_size, "dims": list(contents.dims), "dtype": contents.dtype,
                            CODEC_KEY: contents.codec, "complete": False})
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
        _check_metadata(group, location)
        return cls(group, str(location), storage_options)

    @classmethod
    def open_or_create(cls, location: str | Path, contents: StoreContents, *, overwrite: bool = False,
                       storage_options: dict | None = None) -> tuple["TraversalStore", bool]:
        """Resume the store at ``location`` if it was made with the same identity, else create it.

        Returns ``(store, resumed)``. A store with another identity, of an older layout or damaged beyond a resume
        is refused unless ``overwrite``; a half-created one is rebuilt; a location that holds anything but a
        latentnav store is always refused, whatever its URL scheme (it is never deleted: :mod:`.ownership`).
        """
        state = ownership.store_state(location, fsspec_options(location, storage_options))
        ownership.refuse_unless_store(location, state)
        if state == ownership.OURS:
            try:
                existing = cls.open(location, "r+", storage_options=storage_options)
            except LatentnavError as exc:
                if not overwrite:
                    hint = "" if "--overwrite" in str(exc) else "; re-run with --overwrite to rebuild the store"
                    raise LatentnavError(f"{exc}{hint}") from None
                existing = None
            if existing is not None and existing.matches(contents, overwrite):
                existing.remove_partial_files()
                existing.restore(contents)
                return existing, True
        return cls.create(location, contents, overwrite=overwrite, storage_options=storage_options), False

    def matches(self, contents: StoreContents, overwrite: bool) -> bool:
        """True when this store was made with ``contents``' identity, chunk size and codec (so it can be resumed).

        Otherwise False with ``overwrite`` (the caller replaces it), else an error naming the differences.
        """
        changed = differences(self.attrs.get("identity", {}), contents.identity)
        if self.chunk_size != contents.chunk_size:
            changed.append(f"chunk_size: {self.chunk_size} vs {contents.chunk_size}")
        if self.codec != contents.codec:
            changed.append(f"codec: {self.codec!r} vs {contents.codec!r}")
        if not changed:
            return True
        if overwrite:
            return False
        raise LatentnavError(f"store {self.location} was written with another configuration ({'; '.join(changed)}); "
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
    def codec(self) -> str:
        """The chunk compressor the store was created with (:mod:`latentnav.store.codecs`)."""
        return str(self.group.attrs.get(CODEC_KEY, DEFAULT_CODEC))

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
        """Done flag per chunk, (n_chunks,) bool; a damaged flag reads as not done."""
        return read_flags(self.group["done"])[0]

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
            self._writable = tuple(dense(self.group[name]) for name in (*CHUNKED, "done"))
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
            effects_store.create_effects(self.group, self.chunk_size, self.n_chunks, measures, self.codec)
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

    def verify(self, full: bool = True) -> Damage:
        """Check every array (``full``: read every chunk back) and clear the flags of the chunks damage touches."""
        damage = verify.find_damage(self, full)
        verify.clear_damage(self, damage)
        return damage

    def restore(self, contents: StoreContents) -> list[int]:
        """Rewrite missing or damaged chunks of ``input``, ``latents``, ``labels`` and the coordinates from
        ``contents`` (the inputs just encoded again) and clear the done flags of the input chunks touched.

        Called on every resume, before anything is decoded: a chunk is never decoded from the fill value zero or
        from garbage. Returns the input chunks that will be decoded again.
        """
        chunks, names = restore_creation_arrays(self.group, contents)
        if names:
            verify.clear_damage(self, Damage(images=chunks, arrays={name: [] for name in names}))
        return chunks

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


def _check_metadata(group: zarr.Group, location) -> None:
    """One line for a store whose arrays' metadata is missing or damaged (a garbage or deleted ``zarr.json``)."""
    names = list(DIMENSIONS)
    if any(_present(group, name) for name in effects_store.EFFECT_NAMES):  # effects were made: all of them
        names += list(effects_store.EFFECT_NAMES)
    for name in names:
        try:
            group[name]
        except Exception as exc:
            what = "is missing" if isinstance(exc, KeyError) else f"cannot be read ({type(exc).__name__})"
            raise LatentnavError(f"store {location} is damaged: the metadata of array {name} ({name}/zarr.json) "
                                 f"{what}; re-run the traverse command with --overwrite to rewrite it") from None


def _present(group: zarr.Group, name: str) -> bool:
    """True when ``group`` has a member ``name``, also when its metadata cannot be read."""
    try:
        return name in group
    except Exception:  # garbage metadata: there, but damaged
        return True
