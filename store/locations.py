"""Where a store lives: a local path or an fsspec URL, and the ``storage_options`` zarr gets for it."""


def is_local(location) -> bool:
    """True for a plain path, False for a URL such as ``memory://`` or ``s3://``."""
    return "://" not in str(location)


def fsspec_options(location, storage_options: dict | None) -> dict | None:
    """``storage_options`` for zarr; ``file://`` URLs get ``auto_mkdir`` (fsspec's local files need it)."""
    if str(location).startswith("file://"):
        return {"auto_mkdir": True, **(storage_options or {})}
    return storage_options or None  # {} means none: zarr refuses any storage_options with a plain path
