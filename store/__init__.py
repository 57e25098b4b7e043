"""Traversal stores (``latentnav.store``): the interface jobs use, its zarr implementation, and ``open_run``.

Backends are a registry: :data:`BACKENDS` maps a name to a class with ``open``, ``create`` and ``open_or_create``
class methods that return a :class:`RunStore`; adding a backend is one new module and one entry here.
"""

from latentnav.store.interface import RunStore, StoreContents
from latentnav.store.traversal_store import TraversalStore

BACKENDS = {"zarr": TraversalStore}


def open_store(location, mode: str = "r", *, storage_options: dict | None = None, backend: str = "zarr") -> RunStore:
    """Open an existing traversal store (``mode`` ``r`` or ``r+``)."""
    return BACKENDS[backend].open(location, mode, storage_options=storage_options)


def open_or_create_store(location, contents: StoreContents, *, overwrite: bool = False,
                         storage_options: dict | None = None, backend: str = "zarr") -> tuple[RunStore, bool]:
    """Resume the store at ``location`` when it was made with the same identity, else create it: ``(store, resumed)``."""
    return BACKENDS[backend].open_or_create(location, contents, overwrite=overwrite, storage_options=storage_options)


__all__ = ["BACKENDS", "RunStore", "StoreContents", "TraversalStore", "open_or_create_store", "open_store"]
